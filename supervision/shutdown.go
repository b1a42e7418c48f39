package supervision

import (
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// killGrace is how long the shutdown waits, after its SIGKILLs, for the
// killed to be reaped: only a process stuck in the kernel outlasts it.
const killGrace = 5 * time.Second

// shutdownTick is how often the shutdown looks at what is left.
const shutdownTick = 10 * time.Millisecond

// pipeClosedHook, set only by tests, is called right after the shutdown
// closes svscan's copy of a logged service's pipe.
var pipeClosedHook func()

// shutdown stops the tree in order, so that no line a service wrote
// before it exited is lost:
//
//  1. every service is brought down and its supervisor told to leave,
//     as `svc -dx` does (TERM, then CONT);
//  2. once a service's supervisor has left, svscan tells the logger's
//     supervisor to leave without restarting it, and then closes its
//     own copy of the pipe's write end: the logger reads what is still
//     in the pipe, sees the end of its input (multilog then flushes,
//     syncs and exits 0) and its supervisor leaves. In the other order
//     the logger could end, and be started again, before its
//     supervisor heard it was to leave: a `cat > file` logger then
//     truncates what the service wrote;
//  3. when Timeout has passed since the signal, whatever is left of the
//     services and loggers gets SIGKILL (a service whose children keep
//     the pipe open would otherwise hold its logger forever);
//  4. as PID 1, every other process left gets TERM and CONT once the
//     tree is down, and SIGKILL at the same deadline.
func (sc *Scanner) shutdown(sigs chan os.Signal) {
	deadline := time.Now().Add(sc.Timeout)
	for _, e := range sc.entries {
		e.reap()
		if e.main != nil {
			e.main.Stop(true)
		}
	}
	tick := time.NewTicker(shutdownTick)
	defer tick.Stop()
	var killedAt time.Time
	for {
		pending := false
		for _, e := range sc.entries {
			e.reap()
			if e.main == nil && e.hasLog && e.pipe[1] >= 0 {
				if e.log != nil {
					e.log.Stop(false)
				}
				unix.Close(e.pipe[1])
				e.pipe[1] = -1
				if pipeClosedHook != nil {
					pipeClosedHook()
				}
			}
			if e.main != nil || e.log != nil {
				pending = true
			}
		}
		if !pending {
			break
		}
		now := time.Now()
		if killedAt.IsZero() && !now.Before(deadline) {
			killedAt = now
			for _, e := range sc.entries {
				// Told to leave first, so that the killed are not
				// started again.
				for _, s := range []*Supervisor{e.main, e.log} {
					if s != nil {
						s.Stop(false)
						s.Kill()
					}
				}
			}
		}
		if !killedAt.IsZero() && now.Sub(killedAt) > killGrace {
			break
		}
		select {
		case <-tick.C:
		case <-sigs:
		}
	}
	if os.Getpid() == 1 {
		endEveryone(deadline)
	}
}

// endEveryone is init's last duty: every process still running (the
// daemons that escaped supervision by forking) gets TERM and CONT, and
// SIGKILL at the deadline; the reaper reaps them as they go.
func endEveryone(deadline time.Time) {
	if unix.Kill(-1, 0) == unix.ESRCH {
		return
	}
	if time.Now().Before(deadline) {
		unix.Kill(-1, syscall.SIGTERM)
		unix.Kill(-1, syscall.SIGCONT)
		for time.Now().Before(deadline) {
			if unix.Kill(-1, 0) == unix.ESRCH {
				return
			}
			time.Sleep(shutdownTick)
		}
	}
	unix.Kill(-1, syscall.SIGKILL)
	for end := time.Now().Add(killGrace); time.Now().Before(end); {
		if unix.Kill(-1, 0) == unix.ESRCH && !hasChildren() {
			return
		}
		time.Sleep(shutdownTick)
	}
}

// hasChildren reports whether this process has any child, exited or
// not, without reaping one.
func hasChildren() bool {
	var si siginfoChild
	err := unix.Waitid(unix.P_ALL, 0, (*unix.Siginfo)(unsafe.Pointer(&si)), unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != unix.ECHILD
}

var reapOnce sync.Once

// ReapOrphans makes this process reap every orphan below it: as PID 1
// the kernel gives it every orphan already; otherwise it becomes a
// child subreaper (PR_SET_CHILD_SUBREAPER), so that the children a
// service leaves behind (a daemon that forks twice, the children of a
// service that died) become its children rather than init's. The
// reaper reaps them as they exit; no service's status is touched, since
// only the children a Supervisor started are reported to it.
func ReapOrphans() {
	reapOnce.Do(func() {
		if os.Getpid() != 1 {
			unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
		}
		procReaper.start()
	})
}
