package privs

// stopAndDie lists the signals whose default action ends a process but
// which the Go runtime catches without ending it (USR1, USR2, ALRM,
// PIPE, ...) or ends it differently (QUIT, ABRT, SYS, STKFLT exit 2
// with a goroutine dump instead of dumping core). HUP, INT and TERM are
// left alone: the runtime already dies of them, and keeps them ignored
// when they were ignored at start-up. SIGURG (preemption), 32-34 (libc
// and AllThreadsSyscall) and the synchronous faults are the runtime's.
var stopAndDie = [...]uint8{
	3, 6, 10, 12, 13, 14, 16, 24, 25, 26, 27, 29, 30, 31,
	35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
	51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
}

// kernelSigaction is struct sigaction as rt_sigaction(2) takes it.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// DefaultSignals gives the signals in stopAndDie their default action,
// so that a chain loader that waits (setlock for its lock, fghack for
// its daemon) can be stopped by them exactly as the reference can, for
// example by supervise's `svc -a`; a signal that was ignored when the
// process started is ignored again instead (see start.go). It must be
// called after the last all-threads credential change.
func DefaultSignals() { startSignals(true) }
