package supervision

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// What a start does on svscan's side makes no garbage: the heap a mass
// start leaves behind is what the supervisors keep, not spans kept
// sparse by the temporaries made among it (see cpath.go).

// Reading a daemontools service's directory (none of the extension
// files) allocates nothing.
func TestConfigReadMakesNoGarbage(t *testing.T) {
	dir := service(t, longRun, false)
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	var r configReader
	warn := func(string, error) { t.Error("a warning for a directory with no files") }
	if allocs := testing.AllocsPerRun(20, func() { r.read(dirfd, dir, warn) }); allocs != 0 {
		t.Errorf("reading the directory's files made %v allocations", allocs)
	}
	// The files are still found and read.
	if err := os.WriteFile(filepath.Join(dir, "timeout-kill"), []byte("250\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "finish"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	c, files := r.read(dirfd, dir, warn)
	if !files || !c.finish || c.timeoutKill != 250e6 || c.check {
		t.Errorf("read %+v, files %v", c, files)
	}
}

// exists fails as stat(2) fails, following symbolic links.
func TestExistsAsStat(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Symlink("file", filepath.Join(dir, "link"))
	os.Symlink("nowhere", filepath.Join(dir, "dangling"))
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	for _, name := range []string{"file", "link", "dangling", "missing", "file/under", "."} {
		var st unix.Stat_t
		want := unix.Fstatat(dirfd, name, &st, 0)
		c := mkcpath(name)
		if got := exists(dirfd, c); got != want {
			t.Errorf("exists(%q) = %v, stat says %v", name, got, want)
		}
		if c.String() != name {
			t.Errorf("cpath %q reads back as %q", name, c.String())
		}
	}
}
