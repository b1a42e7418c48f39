package privs

import "syscall"

// Lock opens path for appending (creating it 0600, never truncating it)
// and takes an exclusive flock(2) on it, waiting for it unless nowait.
// The descriptor is left open without close-on-exec, with the flags the
// reference's open_append leaves (write-only, append, non-blocking), so
// that the program exec'd next holds the lock for as long as it, or
// anything it passes the descriptor to, keeps it open.
//
// While it waits, the signals that would kill the reference waiting in
// flock kill us too (see DefaultSignals).
func Lock(path string, nowait bool) (int, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT, 0o600)
		return err
	})
	if err != nil {
		return -1, opErr(OpOpen, path, err)
	}
	how := syscall.LOCK_EX
	if nowait {
		how |= syscall.LOCK_NB
	} else {
		DefaultSignals()
	}
	if err := retry(func() error { return syscall.Flock(fd, how) }); err != nil {
		syscall.Close(fd)
		return -1, opErr(OpLock, path, err)
	}
	return referenceFd(fd), nil
}

// referenceFd moves fd to the number the reference's open would have
// returned: the lowest one not held by a descriptor we inherited (a
// standard fd that was closed at start-up counts as free, although the
// runtime put /dev/null there). The Go
// runtime keeps descriptors of its own open (the cgroup CPU limit files,
// close-on-exec) which would otherwise push the lock from fd 3 to fd 5.
// Such a descriptor in the way is replaced: the runtime only rereads it
// about once a second to adjust GOMAXPROCS, ignores read errors, and is
// about to be replaced by exec anyway. The lock belongs to the open file
// description, so it survives the move.
func referenceFd(fd int) int {
	target, taken := 0, false
	for ; target < fd; target++ {
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(target), syscall.F_GETFD, 0)
		if taken = e == 0; e != 0 || flags&syscall.FD_CLOEXEC != 0 || closedAtStart(target) {
			break
		}
	}
	if target == fd {
		return fd
	}
	if err := syscall.Dup3(fd, target, 0); err != nil {
		return fd
	}
	syscall.Close(fd)
	// A program of ours can then only be exec'd: a fresh start would
	// open the runtime's descriptors elsewhere, or make an os.Stdin
	// (say) of the lock rather than of /dev/null (see runInProcess).
	fdDisplaced = fdDisplaced || taken
	reuseClosed(target)
	return target
}
