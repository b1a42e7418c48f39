package supervision

import "golang.org/x/sys/unix"

var cDot = mkcpath(".")

// openDot opens the current directory for reading its entries, without
// the copy that unix.Open makes of its name.
func openDot() (int, error) {
	for {
		fd, err := openat(unix.AT_FDCWD, cDot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
