//go:build !(amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x)

package supervision

import "golang.org/x/sys/unix"

// statz is stat(2) of a NUL-terminated name. Here unix.Stat_t is not
// what newfstatat fills in (fstatat64 on the 32-bit architectures, a
// conversion on mips64, statx on loong64), so it is unix.Fstatat, with
// its copy of the name.
func statz(cname []byte, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(unix.AT_FDCWD, unix.ByteSliceToString(cname), st, 0)
		if err != unix.EINTR {
			return err
		}
	}
}
