package supervision

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// statz is stat(2) of a NUL-terminated name, without the copy that
// unix.Stat makes of a Go string.
func statz(cname []byte, st *unix.Stat_t) error {
	cwd := unix.AT_FDCWD
	for {
		_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(cwd), uintptr(unsafe.Pointer(&cname[0])), uintptr(unsafe.Pointer(st)), 0, 0, 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

var dotz = [2]byte{'.', 0}

// openDot opens the current directory for reading its entries, without
// the copy that unix.Open makes of its name.
func openDot() (int, error) {
	cwd := unix.AT_FDCWD
	for {
		fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(&dotz[0])), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0, 0, 0)
		switch e {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		}
		return -1, e
	}
}
