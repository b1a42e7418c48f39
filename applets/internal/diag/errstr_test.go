package diag

import (
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestText(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{syscall.ENOENT, "file does not exist"},
		{syscall.EAGAIN, "temporary failure"},
		{syscall.EWOULDBLOCK, "temporary failure"},
		{syscall.ENXIO, "device not configured"},
		{syscall.EACCES, "access denied"},
		{syscall.EPERM, "permission denied"},
		{syscall.ENOEXEC, "exec format error"},
		{syscall.ELOOP, "symbolic link loop"},
		{syscall.ENOSPC, "out of disk space"},
		{syscall.EISDIR, "is a directory"},
		{syscall.ENOTDIR, "not a directory"},
		{syscall.Errno(0), "no error"},
		{syscall.Errno(4000), "unknown error"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, "file does not exist"},
		{fmt.Errorf("wrapped: %w", os.NewSyscallError("read", syscall.EIO)), "input/output error"},
		{ErrPartialWrite, "partial write"},
	}
	for _, c := range cases {
		if got := Text(c.err); got != c.want {
			t.Errorf("Text(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := line("svc", ": warning: ", "unable to control x", syscall.ENXIO); got != "svc: warning: unable to control x: device not configured\n" {
		t.Errorf("got %q", got)
	}
	if got := line("fghack", ": fatal: ", "child crashed", nil); got != "fghack: fatal: child crashed\n" {
		t.Errorf("got %q", got)
	}
}
