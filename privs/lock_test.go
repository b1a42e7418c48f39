package privs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	fd, err := Lock(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&^0o600 != 0 || fi.Size() != 0 {
		t.Errorf("lock file: %v %v", fi.Mode(), err)
	}
	flags, err := fcntl(fd, syscall.F_GETFD)
	if err != nil || flags&syscall.FD_CLOEXEC != 0 {
		t.Errorf("lock fd is close-on-exec (%#x %v)", flags, err)
	}
	fl, _ := fcntl(fd, syscall.F_GETFL)
	if want := syscall.O_WRONLY | syscall.O_APPEND | syscall.O_NONBLOCK; fl&want != want {
		t.Errorf("lock fd flags %#o lack %#o", fl, want)
	}
	// Another open file description cannot take it, so -n fails with
	// "temporary failure".
	_, err = Lock(path, true)
	var e *Error
	if !errors.As(err, &e) || e.Op != OpLock || e.Err != syscall.EAGAIN || e.Path != path {
		t.Errorf("second lock: %v", err)
	}
	syscall.Close(fd)
	fd2, err := Lock(path, true)
	if err != nil {
		t.Errorf("after release: %v", err)
	} else {
		syscall.Close(fd2)
	}
	_, err = Lock(filepath.Join(path+".d", "x"), false)
	if !errors.As(err, &e) || e.Op != OpOpen || e.Err != syscall.ENOENT {
		t.Errorf("missing directory: %v", err)
	}
}

func fcntl(fd, cmd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// The lock lands on the lowest descriptor that no inherited descriptor
// holds, skipping close-on-exec ones of our own, as C's open would.
func TestReferenceFd(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0) // not close-on-exec
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for ; want < fd; want++ {
		if f, err := fcntl(want, syscall.F_GETFD); err != nil || f&syscall.FD_CLOEXEC != 0 {
			break
		}
	}
	got := referenceFd(fd)
	defer syscall.Close(got)
	if got != want {
		t.Errorf("moved to %d, want %d", got, want)
	}
	if got != fd {
		if _, err := fcntl(fd, syscall.F_GETFD); err == nil {
			t.Errorf("old descriptor %d still open", fd)
		}
	}
}
