package privs

import (
	"syscall"
	"unsafe"
)

// Prepared is an exec whose C strings are all built in advance, for
// softlimit: once it has lowered the address-space or data limit, the Go
// heap may be unable to grow, and syscall.Exec allocates (measured: a
// "fatal error: runtime: cannot allocate memory" in about one run in 50
// of `softlimit -m 1000000000 true` on a busy machine).
type Prepared struct {
	paths [][]byte // NUL-terminated candidates
	argv  []*byte  // NULL-terminated
	envv  []*byte
}

// Prepare builds the exec of argv with env, trying each of cands in
// order as ExecAny does.
func Prepare(cands, argv, env []string) (*Prepared, error) {
	p := &Prepared{paths: make([][]byte, len(cands))}
	for i, c := range cands {
		b, err := syscall.ByteSliceFromString(c)
		if err != nil {
			return nil, err
		}
		p.paths[i] = b
	}
	var err error
	if p.argv, err = syscall.SlicePtrFromStrings(argv); err != nil {
		return nil, err
	}
	if p.envv, err = syscall.SlicePtrFromStrings(env); err != nil {
		return nil, err
	}
	return p, nil
}

// Exec is ExecAny without any allocation: it calls execve(2) directly
// for each candidate and returns the errno to report when all failed.
// Unlike syscall.Exec it does not hold the runtime's exec lock against
// thread creation, and it does not put back the open-files limit the
// runtime raised at start-up: call RestoreNofile before lowering any
// limit.
func (p *Prepared) Exec() syscall.Errno {
	var saved syscall.Errno
	last := syscall.ENOENT
	for _, path := range p.paths {
		_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE,
			uintptr(unsafe.Pointer(&path[0])),
			uintptr(unsafe.Pointer(&p.argv[0])),
			uintptr(unsafe.Pointer(&p.envv[0])))
		last = e
		if e == syscall.ENOENT {
			continue
		}
		saved = e
		if !searchGoesOn(e) {
			return e
		}
	}
	if saved != 0 {
		return saved
	}
	return last
}

// RestoreNofile gives the process back the soft open-files limit it
// started with, which the Go runtime raised for itself. The runtime
// keeps the original to itself and restores it only in syscall.Exec
// (and in the children of ForkExec), just before it calls execve; so
// this asks it to exec nothing: an empty path fails at once with "does
// not exist", after the limit is back.
func RestoreNofile() {
	syscall.Exec("", nil, nil)
}
