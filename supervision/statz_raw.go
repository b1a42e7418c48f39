//go:build amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x

package supervision

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// statz is stat(2) of a NUL-terminated name, without the copy that
// unix.Stat makes of a Go string. On these architectures unix.Stat_t
// is the kernel's struct stat, which newfstatat fills in.
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
