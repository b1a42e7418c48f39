package supervision

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

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
