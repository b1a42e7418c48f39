package supervision

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A scan of services that are all running allocates nothing, so that a
// parked tree makes no garbage and its memory does not creep up between
// collections (every scan used to leave about 30 KB per 200 services).
func TestScanOfRunningTreeAllocatesNothing(t *testing.T) {
	root := t.TempDir()
	const n = 50
	for i := 0; i < n; i++ {
		d := filepath.Join(root, "s"+strconv.Itoa(i))
		if err := os.MkdirAll(filepath.Join(d, "log"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{d, filepath.Join(d, "log")} {
			os.WriteFile(filepath.Join(sub, "run"), []byte(longRun), 0o755)
			os.WriteFile(filepath.Join(sub, "down"), nil, 0o644)
		}
	}
	os.WriteFile(filepath.Join(root, "plain"), nil, 0o644)
	os.Mkdir(filepath.Join(root, ".hidden"), 0o755)
	t.Chdir(root)
	sc := NewScanner()
	null := devNull
	sc.stdio = [3]int{null, null, null}
	if got := sc.Scan(false); got != 2*n {
		t.Fatalf("first scan launched %d supervisors, want %d", got, 2*n)
	}
	defer func() {
		var dirs []string
		var sups []*Supervisor
		for _, e := range sc.entries {
			if e.main != nil {
				dirs, sups = append(dirs, e.name), append(sups, e.main)
			}
			if e.log != nil {
				dirs, sups = append(dirs, e.name+"/log"), append(sups, e.log)
			}
		}
		stopAll(t, dirs, sups)
		for _, e := range sc.entries {
			e.closePipe()
		}
	}()
	launched := 0
	allocs := testing.AllocsPerRun(5, func() { launched += sc.Scan(false) })
	if launched != 0 {
		t.Errorf("later scans launched %d supervisors", launched)
	}
	if allocs != 0 {
		t.Errorf("a scan of %d running services made %v allocations, want 0", n, allocs)
	}
	if len(sc.entries) != n {
		t.Errorf("%d entries, want %d", len(sc.entries), n)
	}
}
