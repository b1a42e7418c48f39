package logging

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// smallDisk mounts a tmpfs of the given size and unmounts it at the end
// of the test. It needs root; it skips when mounting is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	apptest.RequireRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

func resize(t *testing.T, dir, size string) {
	t.Helper()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT, "size="+size); err != nil {
		t.Fatalf("resizing the tmpfs: %v", err)
	}
}

// logText returns everything a directory holds, old files in order and
// then current.
func logText(t *testing.T, dir string) []byte {
	t.Helper()
	names := apptest.OldLogs(t, dir)
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range append(names, "current") {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.Bytes()
}

// TestDiskFull fills a small tmpfs: multilog must warn, stop reading
// (the writer blocks), and once there is room again go on without losing
// or repeating a line, through many rotations.
func TestDiskFull(t *testing.T) {
	disk := smallDisk(t, "64k")
	var in strings.Builder
	for i := 0; in.Len() < 400<<10; i++ {
		fmt.Fprintf(&in, "line %06d %s\n", i, strings.Repeat("x", i%150))
	}
	log := filepath.Join(disk, "log")
	s := startLogger(t, []string{"t", "s4096", "n100000", log, "=" + filepath.Join(disk, "status")}, Options{Pause: 20 * time.Millisecond})
	wrote := make(chan error, 1)
	go func() {
		_, err := s.out.WriteString(in.String())
		s.out.Close()
		wrote <- err
	}()
	want := "warning: unable to write to " + log + "/current, pausing: " + unix.ENOSPC.Error()
	apptest.Poll(t, 20*time.Second, "a disk-full warning", func() bool { return s.warn.has(want) })
	// While the disk is full, input is not read: the writer is stuck.
	select {
	case <-wrote:
		t.Fatal("all input was consumed while the disk was full")
	case <-time.After(100 * time.Millisecond):
	}
	resize(t, disk, "8m")
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	s.wait(t)
	var got bytes.Buffer
	for _, line := range strings.SplitAfter(string(logText(t, log)), "\n") {
		if line == "" {
			continue
		}
		if len(line) < 26 || line[0] != '@' || line[25] != ' ' {
			t.Fatalf("line without a stamp: %q", line)
		}
		got.WriteString(line[26:])
	}
	if got.String() != in.String() {
		t.Errorf("after the disk filled, the log holds %d bytes of text; the input was %d", got.Len(), in.Len())
	}
	for _, n := range apptest.OldLogs(t, log) {
		st, err := os.Stat(filepath.Join(log, n))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 4096 {
			t.Errorf("%s has %d bytes, more than s4096", n, st.Size())
		}
	}
}

const fsImmutable = 0x10 // FS_IMMUTABLE_FL in linux/fs.h

func setImmutable(dir string, on bool) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		return err
	}
	if on {
		flags |= fsImmutable
	} else {
		flags &^= fsImmutable
	}
	return unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, flags)
}

// TestUnwritableDirectory makes the log directory immutable (even root
// cannot rename or create in it): rotation must warn and retry, input
// must wait, and nothing may be lost once the directory is writable.
func TestUnwritableDirectory(t *testing.T) {
	apptest.RequireRoot(t)
	d := t.TempDir()
	log := filepath.Join(d, "log")
	s := startLogger(t, []string{"s4096", "n100", log}, Options{Pause: 20 * time.Millisecond})
	if err := setImmutable(log, true); err != nil {
		t.Skipf("cannot make a directory immutable here: %v", err)
	}
	t.Cleanup(func() { setImmutable(log, false) })
	var in strings.Builder
	for i := 0; in.Len() < 200<<10; i++ {
		fmt.Fprintf(&in, "%06d %s\n", i, strings.Repeat("i", i%70))
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := s.out.WriteString(in.String())
		s.out.Close()
		wrote <- err
	}()
	want := "warning: unable to rename current to previous in directory " + log + ", pausing: " + unix.EPERM.Error()
	apptest.Poll(t, 20*time.Second, "a warning about the directory", func() bool { return s.warn.has(want) })
	select {
	case <-wrote:
		t.Fatal("all input was consumed while the directory could not be written")
	case <-time.After(100 * time.Millisecond):
	}
	if err := setImmutable(log, false); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	s.wait(t)
	if got := string(logText(t, log)); got != in.String() {
		t.Errorf("the log holds %d bytes, the input was %d", len(got), in.Len())
	}
}
