package logging

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// These tests use a log directory and the retry helper on their own,
// with a host of the test's making and no Logger.

// testHost is a host that records its warnings, pauses briefly and does
// not sync.
func testHost(w *warnings) *host {
	return &host{
		onWarn:  func(msg string, err error) { w.add("warning", msg, err) },
		onFatal: func(msg string, err error) { w.add("fatal", msg, err) },
		delay:   time.Millisecond,
		sync:    func(int) error { return nil },
		spawner: ForkExec{},
	}
}

// openTestDir opens dir/name as a log directory with the given size and
// number of files.
func openTestDir(t *testing.T, h *host, dir, name string, size, num uint64) *logDir {
	t.Helper()
	start, err := unix.Open(dir, oRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(start)
	d, err := openDir(h, DirConfig{Path: name, Size: size, Num: num}, start)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	return d
}

func TestRetryUntilItWorks(t *testing.T) {
	w := &warnings{}
	h := testHost(w)
	fails := []error{syscall.ENOSPC, &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}}
	calls, built := 0, 0
	h.retry(func() string { built++; return "unable to do it" }, func() error {
		calls++
		if calls <= len(fails) {
			return fails[calls-1]
		}
		return nil
	})
	if calls != 3 || built != 2 {
		t.Errorf("op called %d times, message built %d times; want 3 and 2", calls, built)
	}
	want := "warning: unable to do it, pausing: " + syscall.ENOSPC.Error() + "\n" +
		"warning: unable to do it, pausing: write x: " + syscall.EIO.Error()
	if w.String() != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", w, want)
	}
	if h.errno != syscall.EIO {
		t.Errorf("errno %v, want the last failure's (EIO, unwrapped)", h.errno)
	}

	// A first try that works builds no message and leaves errno alone.
	h.retry(func() string { built++; return "" }, func() error { return nil })
	if built != 2 || h.errno != syscall.EIO {
		t.Errorf("a success built a message (%d) or changed errno (%v)", built, h.errno)
	}
}

// A directory alone: lines in, rotation by size, old files pruned to
// Num-1, and a clean finish.
func TestDirectoryOnItsOwn(t *testing.T) {
	w := &warnings{}
	h := testHost(w)
	root := t.TempDir()
	d := openTestDir(t, h, root, "log", 4096, 3)
	line := strings.Repeat("d", 99)
	for i := 0; i < 200; i++ {
		d.putLine(nil, []byte(line))
		if i%10 == 9 {
			d.flush() // a read point
		}
	}
	d.quit()
	log := filepath.Join(root, "log")
	names := apptest.OldLogs(t, log)
	if len(names) != 2 {
		t.Fatalf("old files %v, want n3 to keep 2", names)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(log, n))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 4096 || len(b) < 4096-slack || b[len(b)-1] != '\n' || !strings.HasSuffix(n, ".s") {
			t.Errorf("%s: %d bytes", n, len(b))
		}
		if m := mode(t, filepath.Join(log, n)); m != 0o744 {
			t.Errorf("%s mode %o", n, m)
		}
	}
	if m := mode(t, filepath.Join(log, "current")); m != 0o744 {
		t.Errorf("current mode %o after quit, want 744", m)
	}
	if w.String() != "" {
		t.Errorf("warnings: %s", w)
	}
}

// A directory reopened after a clean finish resumes current and goes on
// counting from its size; one left without the x bit is salvaged as .u.
func TestDirectoryRestart(t *testing.T) {
	w := &warnings{}
	root := t.TempDir()
	log := filepath.Join(root, "log")
	if err := os.Mkdir(log, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(log, "current"), []byte("abc\n"), 0o744); err != nil {
		t.Fatal(err)
	}
	d := openTestDir(t, testHost(w), root, "log", 4096, 10)
	if d.bytes != 4 {
		t.Errorf("resumed at %d bytes, want 4", d.bytes)
	}
	if m := mode(t, filepath.Join(log, "current")); m != 0o644 {
		t.Errorf("current mode %o while open, want 644", m)
	}
	d.close()

	if err := os.Chmod(filepath.Join(log, "current"), 0o644); err != nil {
		t.Fatal(err)
	}
	d = openTestDir(t, testHost(w), root, "log", 4096, 10)
	names := apptest.OldLogs(t, log)
	if d.bytes != 0 || len(names) != 1 || !strings.HasSuffix(names[0], ".u") {
		t.Errorf("after a crash: %d bytes, old files %v; want a fresh current and one .u", d.bytes, names)
	}
	if w.String() != "" {
		t.Errorf("warnings: %s", w)
	}
}

// A failed write to current warns through the host with the
// reference's message and is retried until it works, losing nothing.
func TestDirectoryWriteIsRetried(t *testing.T) {
	w := &warnings{}
	h := testHost(w)
	root := t.TempDir()
	d := openTestDir(t, h, root, "log", 4096, 10)
	good := d.cur
	bad, err := unix.Open(filepath.Join(root, "log", "current"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(bad)
	d.cur = bad
	h.onWarn = func(msg string, err error) {
		w.add("warning", msg, err)
		d.cur = good // the disk has room again
	}
	d.putLine(nil, []byte("kept"))
	d.flush()
	want := "warning: unable to write to log/current, pausing: " + syscall.EBADF.Error()
	if w.String() != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", w, want)
	}
	if !errors.Is(h.errno, syscall.EBADF) {
		t.Errorf("errno %v", h.errno)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "log", "current")); string(b) != "kept\n" {
		t.Errorf("current = %q", b)
	}
}

// A log directory that is a dangling symbolic link (into a tmpfs or a
// pod's emptyDir) gets its target made, one level, mode 0700, relative
// targets resolved from the link's directory; a target whose parent is
// missing fails as the reference fails on every dangling link.
func TestDanglingLinkTarget(t *testing.T) {
	dir := t.TempDir()
	w := &warnings{}
	h := testHost(w)
	if err := os.MkdirAll(filepath.Join(dir, "svc/log"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"abs":          filepath.Join(dir, "abs-target"),
		"svc/log/main": "../../rel-target",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
		d := openTestDir(t, h, dir, "./"+link, 99999, 10)
		d.close()
		resolved := target
		if !filepath.IsAbs(target) {
			resolved = filepath.Join(dir, filepath.Dir(link), target)
		}
		info, err := os.Stat(filepath.Join(resolved, "current"))
		if err != nil || info.Mode().Perm() != 0o644 {
			t.Errorf("%s -> %s: current %v, %v", link, target, info, err)
		}
		if info, err := os.Stat(resolved); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s -> %s: the target is %v, %v", link, target, info, err)
		}
	}
	if err := os.Symlink(filepath.Join(dir, "no/such/parent"), filepath.Join(dir, "deep")); err != nil {
		t.Fatal(err)
	}
	start, err := unix.Open(dir, oRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(start)
	_, err = openDir(h, DirConfig{Path: "./deep", Size: 99999, Num: 10}, start)
	var e *Error
	if !errors.As(err, &e) || e.Msg != "unable to open directory ./deep" || !errors.Is(err, unix.ENOENT) {
		t.Errorf("a link whose target's parent is missing: %v", err)
	}
}
