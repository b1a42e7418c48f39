package supervision

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A cpath is a file name as the kernel takes it, NUL-terminated, made
// once. unix.Openat and its kind copy their name to the heap at every
// call: a supervisor's start reads a dozen files of its directory and
// writes its status twice, and those copies were more than half of
// what svscan allocated while starting a tree. Freed at the next
// collection, they left the heap's spans sparse, each kept by a few
// long-lived objects made among them. The names below are constants,
// so they are converted at start-up instead.
type cpath struct{ p *byte }

// mkcpath converts s, which has no NUL in it.
func mkcpath(s string) cpath {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return cpath{&b[0]}
}

var (
	cDown       = mkcpath("down")
	cSupervise  = mkcpath("supervise")
	cLock       = mkcpath("supervise/lock")
	cControl    = mkcpath("supervise/control")
	cOk         = mkcpath("supervise/ok")
	cStatus     = mkcpath("supervise/status")
	cStatusNew  = mkcpath("supervise/status.new")
	cLogStatus  = mkcpath("log/supervise/status")
	cFinish     = mkcpath("finish")
	cCheck      = mkcpath("check")
	cCgroup     = mkcpath("cgroup")
	cConfigFile [nFiles]cpath
)

func init() {
	for i, name := range configFiles {
		cConfigFile[i] = mkcpath(name)
	}
}

// String is the name again.
func (c cpath) String() string { return unix.BytePtrToString(c.p) }

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// openat is unix.Openat of a cpath.
func openat(dirfd int, name cpath, flags int, mode uint32) (int, error) {
	fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(name.p)), uintptr(flags), uintptr(mode), 0, 0)
	return int(fd), errnoErr(e)
}

// exists is stat(2) of name, following a symbolic link, for its error
// only: statx asked for no field, which fails as stat fails. Without
// statx (before Linux 4.11, or refused by an old container runtime's
// seccomp filter, which answers EPERM), it is unix.Fstatat.
func exists(dirfd int, name cpath) error {
	var stx unix.Statx_t
	_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(dirfd), uintptr(unsafe.Pointer(name.p)), unix.AT_STATX_SYNC_AS_STAT, 0, uintptr(unsafe.Pointer(&stx)), 0)
	if e == unix.ENOSYS || e == unix.EPERM {
		var st unix.Stat_t
		return unix.Fstatat(dirfd, name.String(), &st, 0)
	}
	return errnoErr(e)
}

// renameat is rename(2) of two cpaths in one directory (renameat2
// without flags: the architectures since arm64 have no renameat).
func renameat(dirfd int, from, to cpath) error {
	_, _, e := unix.Syscall6(unix.SYS_RENAMEAT2, uintptr(dirfd), uintptr(unsafe.Pointer(from.p)), uintptr(dirfd), uintptr(unsafe.Pointer(to.p)), 0, 0)
	return errnoErr(e)
}

// mkfifoat is unix.Mkfifoat of a cpath.
func mkfifoat(dirfd int, name cpath, mode uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_MKNODAT, uintptr(dirfd), uintptr(unsafe.Pointer(name.p)), uintptr(mode|unix.S_IFIFO), 0, 0, 0)
	return errnoErr(e)
}

// mkdirat is unix.Mkdirat of a cpath.
func mkdirat(dirfd int, name cpath, mode uint32) error {
	_, _, e := unix.Syscall(unix.SYS_MKDIRAT, uintptr(dirfd), uintptr(unsafe.Pointer(name.p)), uintptr(mode))
	return errnoErr(e)
}
