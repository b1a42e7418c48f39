package supervision

import (
	"syscall"
	"time"
)

// The Supervisor's state machine: every decision daemontools' supervise
// makes, kept apart from what it does, so that all of it can be read in
// this file and fuzzed.
//
// Run gathers events (a control byte, the child's exit, what came of a
// start, a timer, the host's request to leave) and hands each to
// handle, which updates the state and lists the effects to carry out,
// in order. An effect that produces an event of its own (a start; a
// look at the control FIFO) has that event's effects carried out
// before the next one (see the agenda in run.go).
//
// The states are the rows of the table below and the events its
// columns; a cell names the transition. daemontools has four states:
//
//	down         no child; one is started only when asked (u, o)
//	up           ./run runs; its pid is in the status file
//	forkWait     a fork failed: after the pause, try again
//	execFailed   ./run could not be executed and no stand-in child
//	             reports it: after the pause, as if it had died
//
// A service whose directory opts in (EXTENSIONS.md §2; lifecycle.go
// and ready.go) has five more:
//
//	starting     ./run runs and has not said yet that it is ready
//	stopping     asked down with timeout-kill: killed when it runs out
//	finishing    ./run has ended and ./finish runs
//	backoff      ./run has ended and is started again when the pause
//	             restart-backoff asks for has passed
//	failed       restart-limit gave up: down until u or o
//
// Flags that are not states ride along: want and wantUp (the want
// byte), paused, exit (x was received), and runit's term.
type state uint8

const (
	down state = iota
	up
	forkWait
	execFailed
	starting
	stopping
	finishing
	backoff
	failed
	nStates
)

// eventKind names the columns of the table.
type eventKind uint8

const (
	eNew           eventKind = iota // New has set the directory up and found no survivor
	eAdopted                        // New adopted a survivor: event.pid, with the want byte and flags recorded beside it
	eBegin                          // Run begins
	eResumed                        // Run begins again after a crash; event.pid is the child the reaper knows, 0 if none
	eUp                             // control byte u
	eDown                           // d
	eOnce                           // o
	ePause                          // p
	eCont                           // c
	eExit                           // x
	eSignal                         // h a i t k (daemontools), q 1 2 (runit): event.sig
	eExited                         // the child has ended: event.ws
	eStarted                        // ./run runs as event.pid
	eExecFailed                     // ./run could not be executed; the supervisor reported it itself
	eForkFailed                     // no process could be made
	eTimer                          // the machine's timer is due (see timer)
	eStop                           // the host asks the Supervisor to leave, as x; event.down: bring the service down first, as d
	eFinishStarted                  // ./finish runs as event.pid
	eFinishFailed                   // ./finish could not be started; the supervisor reported why
	eReady                          // the service says it is ready (notification-fd, READY=1)
	eChecked                        // ./check has ended: event.ws
	eWatchdog                       // the service's watchdog ping (WATCHDOG=1)
	eNotice                         // the service said something to show (STATUS=, STOPPING=1)
	nEvents
)

// event is one input to the machine. It is small, like effect, for
// the same reason.
type event struct {
	kind    eventKind
	sig     uint8  // eSignal
	down    bool   // eStop
	want    byte   // eAdopted: the want byte
	paused  bool   // eAdopted
	term    bool   // eAdopted
	phase   uint8  // eAdopted: the extension's phase, as recorded
	noFiles bool   // eExecFailed: what ./run lacked was descriptors (svscan's, shared by every service)
	pid     int32  // eAdopted, eResumed, eStarted, eFinishStarted
	ws      uint16 // eExited: the wait status
}

// effectKind is what the Supervisor does for the machine.
type effectKind uint8

const (
	doSignal      effectKind = iota + 1 // send the signal effect.arg to the child, if there is one
	doStamp                             // the pid has changed: take a new stamp
	doAnnounce                          // write the status file
	doStart                             // start ./run; what came of it is the next event handled
	doPause                             // sleep for the delay effect.arg names, reading and handling nothing meanwhile (the reference's sleep)
	doDeadline                          // the machine's timer has moved: wake for it
	doPoll                              // read one control byte if one is waiting, and handle it
	doLeave                             // Run returns; the status file has been written for the last time
	doSignalGroup                       // send the signal effect.arg to the process group ./run leads, and KILL to its cgroup
	doFinish                            // start ./finish; what came of it is the next event handled
	doWarn                              // report the warning effect.arg names
	doCheck                             // start ./check; its end is reported as eChecked
	doQuiet                             // stop listening for the run's readiness: close its notification pipe, kill a ./check
	doEndTree                           // tell the host the service has ended for good (svscan-exit)
)

// effect is one thing to do: its kind, and the signal (doSignal,
// doSignalGroup) or the delay (doPause). Two bytes, so that the lists
// of the events being handled cost a Supervisor's goroutine little
// stack.
type effect struct {
	kind effectKind
	arg  uint8
}

// delay names the machine's pauses.
type delay uint8

const (
	afterStart   delay = iota // startPause
	afterFork                 // forkPause
	afterNoFiles              // a start found no descriptors: a growing pause that descriptors being freed cuts short (Supervisor.starvedPause)
)

var delays = [...]time.Duration{afterStart: startPause, afterFork: forkPause, afterNoFiles: starvedMin}

func (f effect) duration() time.Duration { return delays[f.arg] }

// effects is the ordered list one event asks for. Its size is fixed so
// that handling an event allocates nothing; done counts the effects
// already carried out.
type effects struct {
	n, done uint8
	list    [6]effect
}

func (fx *effects) add(k effectKind) { fx.put(effect{kind: k}) }

func (fx *effects) put(f effect) {
	fx.list[fx.n] = f
	fx.n++
}

func (fx *effects) signal(sig syscall.Signal) { fx.put(effect{kind: doSignal, arg: uint8(sig)}) }

func (fx *effects) pause(d delay) { fx.put(effect{kind: doPause, arg: uint8(d)}) }

func (fx *effects) signalGroup(sig syscall.Signal) {
	fx.put(effect{kind: doSignalGroup, arg: uint8(sig)})
}

// machine is the Supervisor's state; only handle changes it.
type machine struct {
	pid    int32 // the service's pid as announced (./finish's while it runs); 0 when down
	state  state
	want   bool // false after o: do not restart
	wantUp bool
	paused bool // shown only while up
	exit   bool // x received: leave once the service is down
	term   bool // runit's "got TERM": d sent TERM to this pid
	due    bool // the timer is due at once: daemontools' retries
	// How ./run last ended (ExitNone, ExitCode, ExitSignal) and the
	// code or signal: for the status file's extension.
	exitHow, exitValue uint8
	// x is the state of a service that opts in; nil for one that does
	// not, which is then supervised exactly as daemontools does.
	x *extension
}

func newMachine(normallyUp bool) machine {
	return machine{want: true, wantUp: normallyUp}
}

// handle applies one event, which happens at now on the monotonic
// clock, and puts what to do about it in fx.
func (m *machine) handle(e event, now time.Duration, fx *effects) {
	*fx = effects{}
	if m.x != nil {
		m.x.now = now
	}
	if e.kind == eTimer {
		m.due = false
		if m.x != nil {
			m.x.timer = 0
		}
	}
	table[m.state][e.kind](m, e, fx)
}

// timer says when eTimer is due, on the monotonic clock: at once for
// daemontools' retries, or when an extension's deadline comes.
func (m *machine) timer() (at time.Duration, set bool) {
	if m.due {
		return 0, true
	}
	if m.x != nil && m.x.timer != 0 {
		return m.x.timer, true
	}
	return 0, false
}

type transition func(m *machine, e event, fx *effects)

// table is the whole of supervise: the transition for each state and
// event. The rows without a child differ mostly in what their timer
// means; the last four rows are reached only by a service that opts in.
var table = [nStates][nEvents]transition{
	down: {
		eNew: fresh, eAdopted: adopted, eBegin: begin, eResumed: resumed,
		eUp: upStart, eDown: downIdle, eOnce: onceStart, ePause: pauseIdle, eCont: contIdle, eExit: exitNow,
		eSignal: nothing, eExited: nothing,
		eStarted: started, eExecFailed: cannotExec, eForkFailed: cannotFork, eTimer: nothing,
		eStop: stopIdle, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	up: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upKeep, eDown: downStop, eOnce: onceKeep, ePause: pauseStop, eCont: contResume, eExit: exitLater,
		eSignal: passSignal, eExited: reaped,
		eStarted: nothing, eExecFailed: nothing, eForkFailed: nothing, eTimer: watchdogBites,
		eStop: stopService, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: pinged, eNotice: announce,
	},
	forkWait: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upStart, eDown: downIdle, eOnce: onceStart, ePause: pauseIdle, eCont: contIdle, eExit: exitNow,
		eSignal: nothing, eExited: nothing,
		eStarted: started, eExecFailed: cannotExec, eForkFailed: cannotFork, eTimer: retry,
		eStop: stopIdle, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	execFailed: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upStart, eDown: downIdle, eOnce: onceStart, ePause: pauseIdle, eCont: contIdle, eExit: exitNow,
		eSignal: nothing, eExited: nothing,
		eStarted: started, eExecFailed: cannotExec, eForkFailed: cannotFork, eTimer: reaped,
		eStop: stopIdle, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	starting: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upKeep, eDown: downStop, eOnce: onceKeep, ePause: pauseStop, eCont: contResume, eExit: exitLater,
		eSignal: passSignal, eExited: reaped,
		eStarted: nothing, eExecFailed: nothing, eForkFailed: nothing, eTimer: checkNow,
		eStop: stopService, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: becameReady, eChecked: checked, eWatchdog: nothing, eNotice: announce,
	},
	stopping: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upKeep, eDown: downAgain, eOnce: onceKeep, ePause: pauseStop, eCont: contResume, eExit: exitLater,
		eSignal: passSignal, eExited: reaped,
		eStarted: nothing, eExecFailed: nothing, eForkFailed: nothing, eTimer: killStraggler,
		eStop: stopStopping, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	finishing: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upKeep, eDown: downIdle, eOnce: onceKeep, ePause: announce, eCont: announce, eExit: exitLater,
		eSignal: nothing, eExited: finished,
		eStarted: nothing, eExecFailed: nothing, eForkFailed: nothing, eTimer: killFinish,
		eStop: stopFinishing, eFinishStarted: finishRuns, eFinishFailed: finished,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	backoff: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upStart, eDown: downCancel, eOnce: onceStart, ePause: pauseIdle, eCont: contIdle, eExit: exitNow,
		eSignal: nothing, eExited: nothing,
		eStarted: started, eExecFailed: cannotExec, eForkFailed: cannotFork, eTimer: restart,
		eStop: stopIdle, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
	failed: {
		eNew: nothing, eAdopted: nothing, eBegin: nothing, eResumed: resumed,
		eUp: upRetry, eDown: downIdle, eOnce: onceRetry, ePause: pauseIdle, eCont: contIdle, eExit: exitNow,
		eSignal: nothing, eExited: nothing,
		eStarted: started, eExecFailed: cannotExec, eForkFailed: cannotFork, eTimer: nothing,
		eStop: stopIdle, eFinishStarted: nothing, eFinishFailed: nothing,
		eReady: nothing, eChecked: nothing, eWatchdog: nothing, eNotice: announce,
	},
}

// The reference pauses this long after every start, whatever happens,
// so that a service that dies at once costs one fork a second.
const startPause = time.Second

// After a failed fork the reference waits a minute before trying again.
const forkPause = 60 * time.Second

func nothing(*machine, event, *effects) {}

// fresh: the reference writes the status file once it is set up.
func fresh(m *machine, e event, fx *effects) {
	fx.add(doStamp)
	fx.add(doAnnounce)
}

// adopted takes over a service that outlived its supervisor, with the
// wishes recorded beside it: after `svc -d` it is not restarted when it
// finally exits, after `svc -o` neither. Its stamp is kept.
func adopted(m *machine, e event, fx *effects) {
	m.state, m.pid = up, e.pid
	m.paused, m.term = e.paused, e.term
	switch e.want {
	case 'u':
		m.want, m.wantUp = true, true
	case 'd':
		m.want, m.wantUp = true, false
	case 0:
		m.want = false
	}
	if m.x != nil {
		adoptedPhase(m, e, fx)
	}
	fx.add(doAnnounce)
}

// begin starts the service unless it is normally down.
func begin(m *machine, e event, fx *effects) {
	if m.want && m.wantUp {
		fx.add(doStart)
	}
}

// resumed brings the machine back in line with what a crash may have
// cut short: a child started but not yet recorded. One reaped but not
// yet noticed is still reported as eExited.
func resumed(m *machine, e event, fx *effects) {
	if e.pid != 0 && m.pid != e.pid {
		m.runs(e.pid, fx)
		fx.add(doStamp)
	}
	fx.add(doAnnounce)
}

func upStart(m *machine, e event, fx *effects) {
	m.want, m.wantUp = true, true
	fx.add(doAnnounce)
	fx.add(doStart)
}

func upKeep(m *machine, e event, fx *effects) {
	m.want, m.wantUp = true, true
	fx.add(doAnnounce)
}

func downIdle(m *machine, e event, fx *effects) {
	m.want, m.wantUp = true, false
	fx.add(doAnnounce)
}

// downStop: TERM, then CONT so that a stopped service sees it; the
// status is written after the signals. A service that opts in may ask
// for another signal (down-signal) and for a kill when it does not go
// (timeout-kill; see stopGroup).
func downStop(m *machine, e event, fx *effects) {
	m.want, m.wantUp = true, false
	m.paused, m.term = false, true
	switch {
	case m.x == nil:
		fx.signal(syscall.SIGTERM)
		fx.signal(syscall.SIGCONT)
	case m.x.cfg.grouped():
		stopGroup(m, fx)
	default:
		fx.signal(m.x.cfg.downSignal)
		fx.signal(syscall.SIGCONT)
	}
	fx.add(doAnnounce)
}

func onceStart(m *machine, e event, fx *effects) {
	m.want = false
	fx.add(doAnnounce)
	fx.add(doStart)
}

func onceKeep(m *machine, e event, fx *effects) {
	m.want = false
	fx.add(doAnnounce)
}

func pauseIdle(m *machine, e event, fx *effects) {
	m.paused = true
	fx.add(doAnnounce)
}

func pauseStop(m *machine, e event, fx *effects) {
	m.paused = true
	fx.add(doAnnounce)
	fx.signal(syscall.SIGSTOP)
}

func contIdle(m *machine, e event, fx *effects) {
	m.paused = false
	fx.add(doAnnounce)
}

func contResume(m *machine, e event, fx *effects) {
	m.paused = false
	fx.add(doAnnounce)
	fx.signal(syscall.SIGCONT)
}

// exitNow: x with the service down leaves at once; the reference
// writes the status file for x and once more as it exits.
func exitNow(m *machine, e event, fx *effects) {
	m.exit = true
	fx.add(doAnnounce)
	fx.add(doAnnounce)
	fx.add(doLeave)
}

// exitLater: x never touches the service; the Supervisor leaves when it
// ends, and never restarts it.
func exitLater(m *machine, e event, fx *effects) {
	m.exit = true
	fx.add(doAnnounce)
}

func passSignal(m *machine, e event, fx *effects) {
	fx.put(effect{kind: doSignal, arg: e.sig})
}

func announce(m *machine, e event, fx *effects) { fx.add(doAnnounce) }

// reaped: the service has ended (or, after execFailed, is taken to have
// died at once). After x the Supervisor leaves; otherwise the service
// is started again if it is wanted up, and one control byte is read
// without waiting: a service that dies during every pause would
// otherwise starve the commands.
func reaped(m *machine, e event, fx *effects) {
	if m.state == execFailed {
		// As the reference's child that could not exec ./run.
		e.ws = 111 << 8
	}
	m.recordExit(e.ws)
	if m.x != nil {
		died(m, e, fx)
		return
	}
	m.state, m.pid, m.term = down, 0, false
	fx.add(doStamp)
	fx.add(doAnnounce)
	if m.exit {
		fx.add(doAnnounce)
		fx.add(doLeave)
		return
	}
	if m.want && m.wantUp {
		fx.add(doStart)
	}
	fx.add(doPoll)
}

// started: the pause that follows every start is not interrupted by
// anything; what happens meanwhile waits. A service that opts in has
// no such pause: it is not started again before the pause after its
// last start has passed (restart-backoff's, or the same second), and
// it answers at once meanwhile, as s6-supervise does.
func started(m *machine, e event, fx *effects) {
	m.runs(e.pid, fx)
	fx.add(doStamp)
	fx.add(doAnnounce)
	if m.x == nil {
		fx.pause(afterStart)
	}
}

// runs records a new run of ./run as pid: up, or starting until it says
// it is ready.
func (m *machine) runs(pid int32, fx *effects) {
	m.state, m.pid, m.paused, m.term = up, pid, false, false
	if m.x == nil {
		return
	}
	m.x.began(pid)
	if m.x.cfg.readiness() {
		m.state = starting
		if m.x.cfg.check {
			m.x.checkDelay = firstCheck
			m.x.setTimer(firstCheck, fx)
		}
	}
}

// cannotExec: without a stand-in child the failure is announced as
// down, and after the pause treated as the death of a child. A start
// that found no descriptors (svscan's are every service's) pauses for
// a growing delay instead, or until descriptors are freed.
func cannotExec(m *machine, e event, fx *effects) {
	m.state, m.pid, m.paused, m.term = execFailed, 0, false, false
	m.due = true
	if m.x != nil {
		m.x.timer = 0
	}
	fx.add(doStamp)
	fx.add(doAnnounce)
	if e.noFiles {
		fx.pause(afterNoFiles)
	} else {
		fx.pause(afterStart)
	}
}

// cannotFork: Debian's supervise tries again after the minute (the
// upstream one waits for svc -u).
func cannotFork(m *machine, e event, fx *effects) {
	m.state = forkWait
	m.due = true
	if m.x != nil {
		m.x.timer = 0
	}
	fx.pause(afterFork)
}

func retry(m *machine, e event, fx *effects) {
	m.state = down
	if m.want && m.wantUp && !m.exit {
		fx.add(doStart)
	}
}

// stopIdle and stopService are the host's request: as d (when asked),
// then x.
func stopIdle(m *machine, e event, fx *effects) {
	if e.down {
		downIdle(m, e, fx)
	}
	exitNow(m, e, fx)
}

func stopService(m *machine, e event, fx *effects) {
	if e.down {
		downStop(m, e, fx)
	}
	exitLater(m, e, fx)
}

// wsUnknown is the wait status of a process that was not our child (an
// adopted survivor): how it ended is not known.
const wsUnknown = 0xffff

// exitCode is how ./run last ended as a shell reports it: its code, or
// 128 plus the signal's number.
func (m *machine) exitCode() int {
	if m.exitHow == ExitSignal {
		return 128 + int(m.exitValue)
	}
	return int(m.exitValue)
}

// recordExit keeps how ./run ended, for the status file.
func (m *machine) recordExit(ws uint16) {
	w := syscall.WaitStatus(ws)
	switch {
	case ws == wsUnknown:
		m.exitHow, m.exitValue = ExitNone, 0
	case w.Signaled():
		m.exitHow, m.exitValue = ExitSignal, uint8(w.Signal())
	default:
		m.exitHow, m.exitValue = ExitCode, uint8(w.ExitStatus())
	}
}

// controlEvent maps a control byte to its event. Bytes it does not know
// change nothing, as in the reference.
func controlEvent(c byte) (event, bool) {
	switch c {
	case 'u':
		return event{kind: eUp}, true
	case 'd':
		return event{kind: eDown}, true
	case 'o':
		return event{kind: eOnce}, true
	case 'p':
		return event{kind: ePause}, true
	case 'c':
		return event{kind: eCont}, true
	case 'x':
		return event{kind: eExit}, true
	}
	if sig := signalFor(c); sig != 0 {
		return event{kind: eSignal, sig: uint8(sig)}, true
	}
	return event{}, false
}

// signalFor maps the bytes that only signal the service: daemontools'
// h a i t k and runit's q 1 2.
func signalFor(c byte) syscall.Signal {
	switch c {
	case 'h':
		return syscall.SIGHUP
	case 'a':
		return syscall.SIGALRM
	case 'i':
		return syscall.SIGINT
	case 't':
		return syscall.SIGTERM
	case 'k':
		return syscall.SIGKILL
	case 'q':
		return syscall.SIGQUIT
	case '1':
		return syscall.SIGUSR1
	case '2':
		return syscall.SIGUSR2
	}
	return 0
}

// status fills in the status file's content, all but the stamps, which
// the Supervisor keeps (Stamp; and Ext.Restart from restartIn).
func (m *machine) status(st *Status) {
	st.Pid = uint32(m.pid)
	st.Paused, st.Want, st.Term, st.State = 0, 0, 0, StateDown
	st.Ext = Ext{Phase: PhaseDown, Exit: m.exitHow, ExitValue: m.exitValue}
	switch m.state {
	case up, starting, stopping:
		st.State = StateRun
		if m.paused {
			st.Paused = 1
		}
		if m.term {
			st.Term = 1
		}
		st.Ext.Phase = PhaseUp
		switch m.state {
		case starting:
			st.Ext.Phase = PhaseStarting
		case stopping:
			st.Ext.Phase = PhaseStopping
		}
	case finishing:
		st.State, st.Ext.Phase = StateFinish, PhaseFinishing
	case backoff:
		st.Ext.Phase = PhaseBackoff
	case failed:
		st.Ext.Phase = PhaseFailed
	}
	if m.want {
		st.Want = 'd'
		if m.wantUp {
			st.Want = 'u'
		}
	}
	if m.x != nil {
		m.x.status(st)
	}
}
