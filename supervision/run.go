package supervision

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
)

// Run supervises until `svc -x` and the service is down (the reference
// then exits 0). It starts the service unless DIR/down existed when New
// ran, or New adopted a survivor. Call it once.
//
// Run gathers events and carries out what the machine makes of them;
// it decides nothing itself. A panic in Run is recovered: it is
// reported, and Run starts again on a new goroutine with the same
// service, child and descriptors, so that one service's crash touches
// no other (see crashed).
func (s *Supervisor) Run() {
	defer s.crashed()
	e := event{kind: eBegin}
	if s.resumed {
		s.resumed = false
		s.depth = 0 // what the crash cut short is not carried on
		e = event{kind: eResumed, pid: int32(s.Pid())}
	}
	if s.handed {
		s.handed = false
		s.rearm()
	} else {
		s.push(e)
	}
	for !s.left {
		if s.depth > 0 {
			s.advance()
			continue
		}
		if s.reported() {
			continue
		}
		n, err := s.control.Read(s.buf[:])
		if n == 1 {
			s.controlByte(s.buf[0])
		} else if err != nil {
			s.readFailed(err)
		}
	}
}

// The agenda. The machine's effects are carried out one at a time from
// Run's loop, so that whatever may go deep (a pause, a status write, a
// start, the read of the control FIFO) is called from the same shallow
// frames. Every byte of a Supervisor goroutine's deepest call chain
// counts: a goroutine that once needs more than its first 2 KiB keeps
// twice that for good, and hundreds of them live in svscan.
//
// A start and a look at the control FIFO produce events of their own,
// whose effects are carried out before the rest of the list. A list
// whose last effect produced the event is dropped first, so at most two
// lists are ever open: an exit that restarts the service ([stamp,
// announce, start, poll]) and the start's own effects.

// push runs e through the machine and puts its effects on the agenda.
func (s *Supervisor) push(e event) {
	for s.depth > 0 && s.agenda[s.depth-1].done == s.agenda[s.depth-1].n {
		s.depth--
	}
	if int(s.depth) == len(s.agenda) {
		panic("supervision: more effects open than the agenda holds")
	}
	s.m.handle(e, now(), &s.agenda[s.depth])
	s.depth++
}

// advance carries out the next effect on the agenda.
func (s *Supervisor) advance() {
	fx := &s.agenda[s.depth-1]
	if fx.done == fx.n {
		s.depth--
		return
	}
	f := fx.list[fx.done]
	fx.done++
	switch f.kind {
	case doStart:
		// The files are read and the fork made on the worker (see
		// offload).
		s.push(s.offload(startRun))
	case doPoll:
		var e event
		if s.readNow() && s.controlHook(s.buf[0], &e) {
			s.push(e)
		}
	case doSignal:
		s.signal(syscall.Signal(f.arg))
	case doStamp:
		s.stamp = timefmt.Now()
	case doAnnounce:
		s.announce()
	case doPause:
		if delay(f.arg) == afterNoFiles {
			s.starvedPause()
		} else {
			time.Sleep(f.duration())
		}
	case doLeave:
		s.left = true
	default:
		s.advanceOpted(f)
	}
}

// startRun reads the service's files and starts ./run, on the worker.
func startRun(s *Supervisor) event {
	s.loadConfig()
	return s.fork()
}

// checkOp starts ./check, on the worker: a check that cannot be
// started counts as one that failed.
func checkOp(s *Supervisor) event {
	if s.startCheck() {
		return event{kind: eChecked, ws: 111 << 8}
	}
	return event{}
}

func quietOp(s *Supervisor) event {
	s.quiet()
	return event{}
}

// advanceOpted carries out the effects only a service that opts in
// asks for, in a frame of its own so that a daemontools service's
// deepest chain does not pay for them.
//
//go:noinline
func (s *Supervisor) advanceOpted(f effect) {
	switch f.kind {
	case doFinish:
		s.push(s.offload((*Supervisor).forkFinish))
	case doCheck:
		if e := s.offload(checkOp); e.kind == eChecked {
			s.push(e)
		}
	case doQuiet:
		s.offload(quietOp)
	case doDeadline:
		if at, ok := s.m.timer(); ok {
			s.control.SetReadDeadline(monoBase.Add(at))
		}
	case doSignalGroup:
		sig := syscall.Signal(f.arg)
		s.offload(func(s *Supervisor) event {
			s.signalGroup(sig)
			return event{}
		})
	case doWarn:
		w := warnings[f.arg]
		s.report.Warn(w.before+s.dir+w.after, nil)
	case doEndTree:
		if s.ended != nil {
			s.ended(s.m.exitCode())
		}
	}
}

// handle runs e through the machine and carries out all its effects:
// New's events, before Run has begun.
func (s *Supervisor) handle(e event) {
	s.push(e)
	for s.depth > 0 {
		s.advance()
	}
}

// reported takes the most urgent of what has happened since the last
// look, in the reference's order: the host's request, then the child's
// exit, then a timer that is due. It returns false when there was
// nothing, and Run waits for a control byte, or for a wake-up from the
// reaper, the host or the timer. Whatever wakes Run reports first and
// then moves the read deadline into the past, so that nothing reported
// after this look is missed by the read that follows it.
func (s *Supervisor) reported() bool {
	s.mu.Lock()
	got := s.pending
	switch {
	case got&gotFreeze != 0:
		s.pending &^= gotFreeze
		s.mu.Unlock()
		s.freezeHere()
		// After a failed exec: a timer may have come due meanwhile.
		s.rearm()
		return true
	case got&gotLeave != 0:
		s.pending &^= gotLeave | gotDown
	case got&gotNews != 0:
		s.pending &^= gotNews
	case got&gotExit != 0:
		s.pending &^= gotExit
	case got&gotRetry != 0:
		s.pending &^= gotRetry
	}
	ws := s.ws
	s.mu.Unlock()
	switch {
	case got&gotLeave != 0:
		s.push(event{kind: eStop, down: got&gotDown != 0})
	case got&gotNews != 0:
		s.push(s.news())
	case got&gotExit != 0:
		s.push(event{kind: eExited, ws: ws})
	case s.timerDue():
		s.push(event{kind: eTimer})
	case got&gotRetry != 0 && s.stale:
		// The status could not be written for want of descriptors:
		// write it now (every state writes it on this event).
		s.push(event{kind: eNotice})
	default:
		return false
	}
	return true
}

func (s *Supervisor) timerDue() bool {
	at, ok := s.m.timer()
	return ok && now() >= at
}

func (s *Supervisor) readFailed(err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		// A wake-up, or the timer: put the deadline back where the
		// timer wants it and look.
		s.rearm()
	case err == io.EOF:
		// Only possible when control is not a FIFO (a regular file
		// put there by hand); the reference spins here.
		time.Sleep(startPause)
	default:
		s.report.Warn("unable to read "+s.dir+"/supervise/control", err)
		time.Sleep(startPause)
	}
}

// rearm sets the control FIFO's read deadline to the machine's timer.
func (s *Supervisor) rearm() {
	var deadline time.Time
	if at, ok := s.m.timer(); ok {
		deadline = monoBase.Add(at)
	}
	s.control.SetReadDeadline(deadline)
}

// monoBase anchors the Supervisors' timers on the monotonic clock, at
// the machine's boot (CLOCK_MONOTONIC's zero) rather than this
// process's start: a time kept from before a live upgrade's exec (when
// ./run last started, the deaths restart-limit counts) is then still a
// time after the base in the new process, and now() is never near 0,
// which the timers read as unset.
var monoBase = bootBase()

func bootBase() time.Time {
	t := time.Now()
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return t.Add(-time.Hour)
	}
	return t.Add(-time.Duration(ts.Nano()))
}

func now() time.Duration { return time.Since(monoBase) }

// faultHook, set only by tests, is called with every control byte
// before it is handled, to inject crashes.
var faultHook func(s *Supervisor, c byte)

// controlHook turns a control byte into its event, after the tests'
// fault hook; false for a byte that means nothing.
func (s *Supervisor) controlHook(c byte, e *event) bool {
	if faultHook != nil {
		faultHook(s, c)
	}
	var ok bool
	*e, ok = controlEvent(c)
	return ok
}

func (s *Supervisor) controlByte(c byte) {
	var e event
	if s.controlHook(c, &e) {
		s.push(e)
	}
}

// readNow reads one control byte if one is waiting. It reads the
// descriptor directly: the poller would refuse while a wake-up deadline
// is set, and Run's goroutine is the only reader.
func (s *Supervisor) readNow() bool {
	for {
		n, err := syscall.Read(int(s.ctlfd), s.buf[:])
		if err == syscall.EINTR {
			continue
		}
		return n == 1
	}
}

// crashed ends Run: normally it releases the Supervisor; after a panic
// it reports it and runs Run again on a fresh goroutine (a fresh 2 KiB
// stack: a wrapper frame around the loop would enlarge every parked
// supervisor's). The child stays registered with the reaper, whose
// owner is the Supervisor, not the goroutine.
func (s *Supervisor) crashed() {
	r := recover()
	if r == nil {
		s.release()
		close(s.done)
		return
	}
	s.host.Warn("supervisor of "+s.dir+" crashed, restarting it: "+panicText(r), nil)
	s.resumed = true
	go s.Run()
}

func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "panic"
}

// guard calls fn, a Supervisor's callback on a goroutine shared by every
// service (the reaper, the adoption watcher), and reports a panic in it
// instead of letting it end the process.
func guard(s *Supervisor, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.host.Warn("supervisor of "+s.dir+" crashed: "+panicText(r), nil)
		}
	}()
	fn()
}

// signal sends sig to the running child, if there is one. The reaper
// cannot reap it meanwhile, so the pid cannot have been recycled.
func (s *Supervisor) signal(sig syscall.Signal) {
	s.mu.Lock()
	if s.live != 0 {
		s.sendSignal(sig)
	}
	s.mu.Unlock()
}

// childExited is called by the reaper while the child is a zombie.
func (s *Supervisor) childExited(pid int, reap func() (syscall.WaitStatus, bool)) {
	s.mu.Lock()
	if ws, ok := reap(); ok && pid == s.live {
		s.live = 0
		s.pending |= gotExit
		s.ws = uint16(ws)
	} else if ok && s.m.x != nil && pid == int(s.m.x.mail.check) {
		s.m.x.mail.check = 0
		s.m.x.mail.checked, s.m.x.mail.checkWS = true, uint16(ws)
		s.pending |= gotNews
	}
	s.mu.Unlock()
	s.wake()
}

// wake makes Run's pending or next read return at once.
func (s *Supervisor) wake() { s.control.SetReadDeadline(longAgo) }

var longAgo = time.Unix(1, 0)
