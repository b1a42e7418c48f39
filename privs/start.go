package privs

import (
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"
)

// What the process inherited, recorded by entry (start_linux_amd64.s)
// before the Go runtime changed it: the runtime installs its own handler
// for nearly every signal (losing an inherited SIG_IGN), unblocks the
// signals it needs, and opens /dev/null on a closed fd 0, 1 or 2. The C
// programs pass all of that on to the program they exec, so we put it
// back just before we exec. When the executable was linked without the
// entry hook, startCaptured stays 0 and nothing is restored.
var (
	startCaptured uint64
	startMask     uint64 // blocked signals, bit sig-1
	startIgnored  uint64 // ignored signals, bit sig-1
	startClosed   uint64 // closed standard fds, bit fd; cleared when reused
	sigScratch    [4]uint64
)

// StartCaptured reports whether the entry hook recorded the inherited
// state (the executable was linked with -E=EntrySymbol).
func StartCaptured() bool { return startCaptured != 0 }

func ignoredAtStart(sig int) bool {
	return startCaptured != 0 && sig >= 1 && sig <= 64 && startIgnored&(1<<(sig-1)) != 0
}

func closedAtStart(fd int) bool {
	return startCaptured != 0 && fd >= 0 && fd < 3 && startClosed&(1<<fd) != 0
}

// reuseClosed records that fd, closed at start-up, now holds a
// descriptor of ours (as it would in the C program, whose open got it).
func reuseClosed(fd int) {
	if fd >= 0 && fd < 3 {
		startClosed &^= 1 << fd
	}
}

// startSignals puts back the inherited dispositions: a signal ignored at
// start-up is ignored again, through the runtime so that children
// started with ForkExec keep it ignored too, and, with defaults, every
// other signal in stopAndDie gets its default action. What it replaced
// is kept for restoreRuntimeSignals. Just before an exec the defaults
// are not needed: execve(2) itself gives every caught signal its
// default action, and keeps only what is ignored.
func startSignals(defaults bool) {
	var sa kernelSigaction // SIG_DFL
	for i, sig := range stopAndDie {
		if defaults && !ignoredAtStart(int(sig)) {
			var old kernelSigaction
			_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
			if bit := uint64(1) << (sig - 1); e == 0 && defaulted&bit == 0 {
				runtimeActions[i], defaulted = old, defaulted|bit
			}
		}
	}
	if startCaptured == 0 || startIgnored == 0 {
		return
	}
	for sig := 1; sig <= 64; sig++ {
		if ignoredAtStart(sig) && sig != int(syscall.SIGKILL) && sig != int(syscall.SIGSTOP) {
			signal.Ignore(syscall.Signal(sig))
			reignored |= 1 << (sig - 1)
		}
	}
}

var (
	runtimeActions [len(stopAndDie)]kernelSigaction // the runtime's, where defaulted
	defaulted      uint64                           // bit sig-1: set to SIG_DFL behind the runtime's back
	reignored      uint64                           // bit sig-1: ignored again through signal.Ignore
)

// restoreRuntimeSignals undoes startSignals, for a program of ours run
// in this process instead of exec'd: a fresh start of it would find the
// dispositions startSignals restored and install the runtime's handlers
// over them, as this runtime did. The default actions are replaced by
// the runtime's handlers again, and a signal ignored through the
// runtime is handed back to it (Notify, then Reset), which leaves its
// handler in place with the inherited ignore remembered, as a fresh
// start leaves it; except HUP and INT, which a runtime that finds them
// ignored leaves ignored.
func restoreRuntimeSignals() {
	for i, sig := range stopAndDie {
		if defaulted&(1<<(sig-1)) != 0 {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&runtimeActions[i])), 0, 8, 0, 0)
		}
	}
	defaulted = 0
	var sigs []os.Signal
	for sig := 1; sig <= 64; sig++ {
		if reignored&(1<<(sig-1)) != 0 && sig != int(syscall.SIGHUP) && sig != int(syscall.SIGINT) {
			sigs = append(sigs, syscall.Signal(sig))
		}
	}
	reignored = 0
	if len(sigs) > 0 {
		c := make(chan os.Signal, 1)
		signal.Notify(c, sigs...)
		signal.Reset(sigs...)
	}
}

var restored bool

// PrepareExec gives the process back what it inherited, for the program
// it is about to exec: dispositions, closed standard fds, and last the
// signal mask, on this thread, which must then be the one that execs
// (so it locks the goroutine to it, when the mask is not already the
// inherited one). ExecAny calls it; softlimit calls it
// earlier, before the memory limits leave the runtime no room to
// allocate. Calling it again does nothing.
func PrepareExec() {
	if restored || startCaptured == 0 {
		return
	}
	restored = true
	startSignals(false)
	for fd := 0; fd < 3; fd++ {
		if closedAtStart(fd) {
			syscall.Close(fd)
		}
	}
	// Every thread of the runtime has the same mask: the inherited one,
	// less the signals the runtime must get. Mostly nothing was blocked,
	// and the mask is already the one to pass on, on whichever thread
	// execs; only otherwise does the exec need a thread of its own
	// (LockOSThread, which costs a thread the first time).
	mask := startMask
	var cur uint64
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, 0, uintptr(unsafe.Pointer(&cur)), 8, 0, 0)
	if cur == mask {
		return
	}
	runtime.LockOSThread()
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, 2 /* SIG_SETMASK */, uintptr(unsafe.Pointer(&mask)), 0, 8, 0, 0)
}

// RecloseStdio closes again whichever of fds 0, 1 and 2 were closed when
// the process started (the runtime put /dev/null there), so that a
// filter reading or writing them fails with EBADF as the reference does
// instead of seeing an empty input or a bottomless output. Programs that
// exec must use PrepareExec instead.
func RecloseStdio() {
	for fd := 0; fd < 3; fd++ {
		if closedAtStart(fd) {
			syscall.Close(fd)
		}
	}
}

// IgnoredAtStart returns the signals that were ignored when the process
// started (bit sig-1); none when the entry hook did not record them.
func IgnoredAtStart() uint64 {
	if startCaptured == 0 {
		return 0
	}
	return startIgnored
}
