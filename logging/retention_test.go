package logging

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/timefmt"
)

// archiveName is the name multilog gives a file finished at t.
func archiveName(t time.Time, code string) string {
	return timefmt.FromTime(t).String() + "." + code
}

// testJanitor opens dir with cfg and returns its janitor, not started:
// the test runs its passes, with its own clock.
func testJanitor(t *testing.T, dir string, cfg DirConfig, wall func() time.Time) *janitor {
	t.Helper()
	h := &host{delay: 10 * time.Millisecond, sync: func(int) error { return nil }, wall: wall, mono: monoNow,
		onWarn: func(msg string, err error) { t.Errorf("warning: %s: %v", msg, err) }}
	start, err := unix.Open(".", oRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(start)
	cfg.Path = dir
	d, err := openDir(h, cfg, start)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	j := &janitor{d: d, wall: wall, quit: make(chan struct{})}
	j.level = cfg.Compress
	d.jan = j
	return j
}

// X removes the archives older than its age, by the time in their
// names, and says when the next one expires. With the wall clock
// stepped back nothing goes; stepped forward again, the next one does.
func TestExpire(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	os.Mkdir(dir, 0o700)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	old := archiveName(now.Add(-72*time.Hour), "s")
	mid := archiveName(now.Add(-47*time.Hour), "s") + ".gz"
	recent := archiveName(now.Add(-time.Hour), "u")
	foreign := "@not-an-archive-name-of-ours"
	for _, n := range []string{old, mid, recent, foreign} {
		os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o744)
	}
	// A current finished cleanly, so that start-up salvages nothing.
	os.WriteFile(filepath.Join(dir, "current"), nil, 0o744)
	clock := now
	j := testJanitor(t, dir, DirConfig{Size: 99999, Num: 100, ExpireAge: 48 * time.Hour}, func() time.Time { return clock })
	next := j.pass()
	if got := strings.Join(apptest.OldLogs(t, dir), " "); got != strings.Join([]string{mid, recent, foreign}, " ") {
		t.Errorf("after X48h: %s", got)
	}
	if want := now.Add(-47 * time.Hour).Add(48 * time.Hour); next.Unix() != want.Unix() {
		t.Errorf("next expiry %v, want %v", next, want)
	}
	clock = now.Add(-10 * 24 * time.Hour)
	j.pass()
	if n := len(apptest.OldLogs(t, dir)); n != 3 {
		t.Errorf("the clock stepped back removed archives: %d left", n)
	}
	clock = now.Add(time.Hour + time.Minute)
	j.pass()
	if got := strings.Join(apptest.OldLogs(t, dir), " "); got != recent+" "+foreign {
		t.Errorf("an hour later: %s", got)
	}
}

// An idle logger's old archives still go: the janitor's deadline.
func TestExpireWhileIdle(t *testing.T) {
	d := t.TempDir()
	log := filepath.Join(d, "log")
	os.Mkdir(log, 0o700)
	stale := archiveName(time.Now().Add(-500*time.Millisecond), "s")
	fresh := archiveName(time.Now().Add(time.Hour), "s")
	os.WriteFile(filepath.Join(log, stale), []byte("stale\n"), 0o744)
	os.WriteFile(filepath.Join(log, fresh), []byte("fresh\n"), 0o744)
	os.WriteFile(filepath.Join(log, "current"), nil, 0o744)
	s := startLogger(t, []string{"X2s", log}, Options{})
	if _, err := os.Stat(filepath.Join(log, stale)); err != nil {
		t.Fatalf("the archive expired before its time: %v", err)
	}
	apptest.Poll(t, 20*time.Second, "the stale archive removed without input", func() bool {
		_, err := os.Stat(filepath.Join(log, stale))
		return os.IsNotExist(err)
	})
	if _, err := os.Stat(filepath.Join(log, fresh)); err != nil {
		t.Errorf("the newer archive went too: %v", err)
	}
	s.out.Close()
	s.wait(t)
}

// S keeps the newest archives whose total fits; with z it counts their
// compressed sizes.
func TestMaxTotal(t *testing.T) {
	in := manyLines(4000)
	for _, z := range []string{"z0", "z"} {
		dir, _ := runChunks(t, []string{"s4096", "n10000", "S20000", z, "$D/log"}, [][]byte{[]byte(in)}, nil, nil, Options{ReadSize: 1 << 20})
		log := filepath.Join(dir, "log")
		var total int64
		for _, n := range apptest.OldLogs(t, log) {
			st, _ := os.Stat(filepath.Join(log, n))
			total += st.Size()
		}
		if total > 20000 || total < 20000-8192 {
			t.Errorf("%s: archives total %d bytes for S20000", z, total)
		}
		var kept []byte
		if z == "z" {
			kept = gunzipAll(t, log)
			if len(kept) < 3*20000 {
				t.Errorf("z: only %d bytes kept, compressed archives should hold more than S", len(kept))
			}
		} else {
			kept = logText(t, log)
			kept = kept[:len(kept)-len(mustRead(t, filepath.Join(log, "current")))]
		}
		_, cur := dirFiles(t, log)
		if !strings.HasSuffix(in, string(kept)+string(cur)) {
			t.Errorf("%s: the kept archives are not the newest", z)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompressDiskFull fills a small tmpfs so that an archive cannot be
// compressed: the janitor warns and retries, the partial file does not
// stay, the line loop goes on meanwhile, and once there is room the
// archive is compressed with nothing lost.
func TestCompressDiskFull(t *testing.T) {
	disk := smallDisk(t, "1m")
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, 560<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(disk, "log")
	s := startLogger(t, []string{"s999999", "z9", log}, Options{Pause: 20 * time.Millisecond})
	r := rand.New(rand.NewPCG(5, 6))
	var in strings.Builder
	for in.Len() < 300<<10 {
		b := make([]byte, 100)
		for i := range b {
			b[i] = byte(' ' + r.IntN(95))
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	s.write(t, in.String())
	apptest.Poll(t, 20*time.Second, "the input in current", func() bool { return len(mustRead(t, log+"/current")) == in.Len() })
	s.l.Rotate()
	want := "warning: unable to compress " + log + "/@"
	apptest.Poll(t, 20*time.Second, "a warning about compressing", func() bool {
		return s.warn.has(want) && s.warn.has(", pausing: "+unix.ENOSPC.Error())
	})
	// The line loop is not held up by the failing compression.
	s.write(t, "meanwhile\n")
	apptest.Poll(t, 20*time.Second, "a line logged while compression fails", fileIs(log+"/current", "meanwhile\n"))
	os.Remove(filler)
	apptest.Poll(t, 20*time.Second, "the archive compressed", func() bool {
		names := apptest.OldLogs(t, log)
		return len(names) == 1 && strings.HasSuffix(names[0], ".s.gz")
	})
	s.out.Close()
	s.wait(t)
	if got := string(gunzipAll(t, log)); got != in.String() {
		t.Errorf("the compressed archive holds %d bytes, the input was %d", len(got), in.Len())
	}
	if _, err := os.Stat(filepath.Join(log, tmpName)); err == nil {
		t.Error("a partial compression is left")
	}
}

// A failure to compress at exit leaves the archive for the next start
// rather than holding the exit up.
func TestCompressGivesUpAtExit(t *testing.T) {
	disk := smallDisk(t, "256k")
	log := filepath.Join(disk, "log")
	os.Mkdir(log, 0o700)
	name := archiveName(time.Now(), "s")
	r := rand.New(rand.NewPCG(7, 8))
	var b bytes.Buffer
	for b.Len() < 150<<10 {
		binary.Write(&b, binary.LittleEndian, r.Uint64()) // does not compress
	}
	os.WriteFile(filepath.Join(log, name), b.Bytes(), 0o744)
	os.WriteFile(filepath.Join(log, "current"), nil, 0o744)
	s := startLogger(t, []string{"z", log}, Options{Pause: 20 * time.Millisecond})
	apptest.Poll(t, 20*time.Second, "a failure to compress", func() bool { return s.warn.has(unix.ENOSPC.Error()) })
	s.l.Terminate()
	s.wait(t)
	if got := apptest.OldLogs(t, log); len(got) != 1 || got[0] != name {
		t.Errorf("archives %q", got)
	}
	if !s.warn.has("leaving it for the next start") {
		t.Errorf("warnings:\n%s", s.warn)
	}
	if _, err := os.Stat(filepath.Join(log, tmpName)); err == nil {
		t.Error("a partial compression is left")
	}
}
