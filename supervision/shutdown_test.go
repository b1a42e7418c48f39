package supervision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The ordered shutdown tells a logger's supervisor to leave before the
// logger can see the end of its input: a logger that ended first
// would be started again, and a `cat > file` logger would truncate
// what the service wrote. The hook holds the shutdown for longer than
// the pause before a restart, right after the pipe is closed.
func TestShutdownLeavesTheLoggerEnded(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "s")
	if err := os.MkdirAll(filepath.Join(d, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\ntrap 'kill $k; echo bye; exit 0' TERM\necho line\nsleep 1000 & k=$!\nwait\n"), 0o755)
	os.WriteFile(filepath.Join(d, "log", "run"), []byte("#!/bin/sh\necho >> ../starts\nexec cat > ../logged\n"), 0o755)
	pipeClosedHook = func() { time.Sleep(1500 * time.Millisecond) }
	defer func() { pipeClosedHook = nil }()
	t.Chdir(root)
	sc := NewScanner()
	sc.stdio = [3]int{devNull, devNull, devNull}
	if got := sc.Scan(false); got != 2 {
		t.Fatalf("scan launched %d supervisors, want 2", got)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(d, name))
		return string(b)
	}
	for end := time.Now().Add(10 * time.Second); read("logged") != "line\n"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the logger got %q", read("logged"))
		}
	}
	sc.shutdown(make(chan os.Signal))
	if got := read("logged"); got != "line\nbye\n" {
		t.Errorf("after the shutdown the logger's file holds %q, want %q", got, "line\nbye\n")
	}
	if n := strings.Count(read("starts"), "\n"); n != 1 {
		t.Errorf("the logger was started %d times", n)
	}
}
