package privs

import (
	"strconv"
	"syscall"
	"unsafe"
)

// The open-files limit a program was started with, and the trampoline
// that gives it back to a child of a process that has raised its own.
//
// The Go runtime raises the soft RLIMIT_NOFILE to the hard limit less
// one at start-up, keeps what it found, and puts it back in the
// children of syscall.ForkExec, but only while the process's limit is
// still the one it set, and it can only ever restore the soft limit: a
// child starts with its parent's hard limit. So a process that raises
// its hard limit (svscan, as its tree grows) cannot start a child with
// the limits it inherited through ForkExec alone: nothing in the forked
// child runs code of ours before the exec. Such a child execs this
// executable as the trampoline instead, with the limits to set in its
// arguments; the entry point (start_linux_amd64.s) sets them and execs
// the real program before the Go runtime starts (or, without the entry
// hook, Trampoline does the same from Go), so the program runs with
// exactly the inherited limits and sees nothing else of the detour.

// TrampolineName is argv[0] of the trampoline:
//
//	TrampolineName CUR MAX FD PATH ARG0 [ARG...]
//
// sets RLIMIT_NOFILE to CUR and MAX (decimal), makes descriptor FD
// close-on-exec and execs PATH with ARG0... as its arguments and the
// same environment. When that fails it writes the errno, 4 bytes in
// the machine's order, to FD and exits 127.
const TrampolineName = "daemontools-nofile"

// trampolineName is TrampolineName with its NUL, for the entry point,
// which compares argv[0] with it before the runtime has started: an
// array of constants is laid out by the linker, with no code to run.
var trampolineName = [...]byte{'d', 'a', 'e', 'm', 'o', 'n', 't', 'o', 'o', 'l', 's', '-', 'n', 'o', 'f', 'i', 'l', 'e', 0}

// Written by the entry point: the limit it found (startNofile, cur and
// max), and the trampoline's scratch.
var (
	startNofile [2]uint64
	trampLimit  [2]uint64
	trampErrno  uint32
)

// StartNofile returns the RLIMIT_NOFILE the process was started with,
// before the Go runtime raised the soft limit; false when the entry
// hook did not record it (the executable was linked without it).
func StartNofile() (syscall.Rlimit, bool) {
	if startCaptured == 0 {
		return syscall.Rlimit{}, false
	}
	return syscall.Rlimit{Cur: startNofile[0], Max: startNofile[1]}, true
}

// InheritedNofile returns the RLIMIT_NOFILE the process was started
// with. Without the entry hook's record it has to ask the runtime
// (RestoreNofile): that puts the soft limit back where it was at
// start-up until the caller raises it again, and from then on the
// runtime no longer restores it in children, so call it only once the
// caller is about to set the limit itself.
func InheritedNofile() syscall.Rlimit {
	if lim, ok := StartNofile(); ok {
		return lim
	}
	RestoreNofile()
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim
}

// TrampolineArgv returns the arguments of an exec of this executable
// that starts path with argv under the open-files limit lim, reporting
// a failure to descriptor fd (see TrampolineName).
func TrampolineArgv(lim syscall.Rlimit, fd int, path string, argv []string) []string {
	out := make([]string, 0, 5+len(argv))
	out = append(out, TrampolineName, strconv.FormatUint(lim.Cur, 10), strconv.FormatUint(lim.Max, 10), strconv.Itoa(fd), path)
	return append(out, argv...)
}

// TrampolineErrno decodes what a failed trampoline wrote.
func TrampolineErrno(b []byte) syscall.Errno {
	if len(b) < 4 {
		return syscall.EIO
	}
	return syscall.Errno(*(*uint32)(unsafe.Pointer(&b[0])))
}

// Trampoline is the trampoline when the entry point did not run it (no
// entry hook, or another architecture): the same, from Go. It returns
// only on failure, with the exit status.
func Trampoline(argv []string) int {
	if len(argv) < 6 {
		return 111
	}
	cur, err1 := strconv.ParseUint(argv[1], 10, 64)
	max, err2 := strconv.ParseUint(argv[2], 10, 64)
	fd, err3 := strconv.Atoi(argv[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return 111
	}
	// syscall.Setrlimit, not a raw prlimit: it also stops syscall.Exec
	// from putting back the soft limit this runtime found.
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: cur, Max: max})
	if err == nil {
		syscall.CloseOnExec(fd)
		err = syscall.Exec(argv[4], argv[5:], syscall.Environ())
	}
	errno, ok := err.(syscall.Errno)
	if !ok {
		errno = syscall.EINVAL
	}
	e := uint32(errno)
	syscall.Write(fd, (*[4]byte)(unsafe.Pointer(&e))[:])
	return 127
}
