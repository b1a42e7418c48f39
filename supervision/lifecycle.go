package supervision

import (
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The lifecycle beyond daemontools: the transitions of a service whose
// directory opts in (config.go), with the names and the semantics of
// s6 and runit where they have them:
//
//   - finish (runit, s6): run when ./run has ended, with runit's two
//     arguments; killed after timeout-finish (s6, default 5 s); an exit
//     of 125 means a permanent failure: not restarted, as if svc -o had
//     been sent (s6). While it runs, d, u and o only change the wish, x
//     waits for it, and signals are not passed on (as s6-supervise).
//   - down-signal and timeout-kill (s6): d sends the signal instead of
//     TERM, then CONT; with timeout-kill the service leads its own
//     process group, the signals go to the group, and what is left of
//     the group after timeout-kill gets KILL, again every 5 seconds
//     until ./run has gone. Once ./run has ended after d, whatever is
//     left of its group gets KILL at once: a stop always ends.
//   - restart-backoff (ours): no fixed pause after a start; instead the
//     service is not started again before the pause after its last
//     start has passed. The pause doubles from MIN up to MAX while the
//     service keeps dying, and goes back to MIN once it stayed up
//     RESET. Meanwhile the Supervisor answers at once: u or o start it
//     now, d cancels the restart.
//   - restart-limit (ours): more than N deaths within SECONDS (deaths
//     while wanted up) is a permanent failure: the service stays down,
//     failed, until u or o.

// extension is the state of a service that opts in.
type extension struct {
	cfg    config
	reader configReader
	now    time.Duration // when the event being handled happened
	timer  time.Duration // when eTimer is due; 0: no timer
	// startedAt is when ./run last started; pause is restart-backoff's
	// pause after that start; restartAt when the next start may come.
	startedAt, pause, restartAt time.Duration
	deaths                      []time.Duration // restart-limit: the last deaths, oldest first
	pgid                        int32           // the process group ./run leads, 0: none
	permanent                   bool            // ./finish exited 125
	ending                      bool            // svscan-exit always: ./run has ended, and so does the tree
	// Readiness: whether this run has said it is ready, and when; how
	// long until the next ./check; whether the watchdog has bitten.
	ready       bool
	readyAt     time.Duration
	readyWall   timefmt.TAI64N // readyAt on the wall clock, once written
	checkDelay  time.Duration
	bitten      bool
	checkWarned bool // a ./check that cannot be executed has been reported for this run
	io          notifyIO
	cg          cgroupState
	// mail is what the watchers and the reaper report about this run's
	// readiness; it is guarded by the Supervisor's mu.
	mail mailbox
}

// killAgain is how often a process that was sent KILL and has not gone
// is sent it again (s6-supervise's 5 seconds).
const killAgain = 5 * time.Second

// Warnings the machine asks Run to print (doWarn), by number.
const (
	warnFinishKilled = iota + 1
	warnWatchdog
)

// began records a start of ./run.
func (x *extension) began(pid int32) {
	x.startedAt, x.timer, x.restartAt, x.permanent, x.ending = x.now, 0, 0, false, false
	x.ready, x.readyAt, x.readyWall, x.bitten = false, 0, timefmt.TAI64N{}, false
	x.pgid = 0
	if x.cfg.grouped() {
		x.pgid = pid
	}
	if x.cfg.backoffMin != 0 {
		x.pause = min(max(x.pause, x.cfg.backoffMin), x.cfg.backoffMax)
	}
}

// setTimer sets the timer at d from now.
func (x *extension) setTimer(d time.Duration, fx *effects) {
	x.timer = max(x.now+d, 1)
	fx.add(doDeadline)
}

// stopGroup is d for a service with timeout-kill: the down signal and
// CONT to its process group, and a deadline.
func stopGroup(m *machine, fx *effects) {
	m.state = stopping
	fx.signalGroup(m.x.cfg.downSignal)
	fx.signalGroup(syscall.SIGCONT)
	m.x.setTimer(m.x.cfg.timeoutKill, fx)
}

// downAgain is d while stopping: the signals again, the same deadline.
func downAgain(m *machine, e event, fx *effects) {
	m.want, m.wantUp = true, false
	m.paused, m.term = false, true
	fx.signalGroup(m.x.cfg.downSignal)
	fx.signalGroup(syscall.SIGCONT)
	fx.add(doAnnounce)
}

func stopStopping(m *machine, e event, fx *effects) {
	if e.down {
		downAgain(m, e, fx)
	}
	exitLater(m, e, fx)
}

// killStraggler: timeout-kill has run out and ./run is still there.
func killStraggler(m *machine, e event, fx *effects) {
	fx.signalGroup(syscall.SIGKILL)
	fx.signalGroup(syscall.SIGCONT)
	m.x.setTimer(killAgain, fx)
}

// died: ./run of a service that opts in has ended.
func died(m *machine, e event, fx *effects) {
	x := m.x
	// What a service asked down leaves behind in its process group or
	// its cgroup is killed: a stop always ends.
	stopped := m.state == stopping || (x.cfg.cgroup && (!m.wantUp || m.exit))
	m.pid, m.term, x.timer = 0, false, 0
	fx.add(doStamp)
	if x.cfg.readiness() {
		fx.add(doQuiet)
	}
	if stopped && (x.pgid != 0 || x.cfg.cgroup) {
		fx.signalGroup(syscall.SIGKILL)
	}
	if x.cfg.treeExitAlways && !m.exit {
		x.ending = true
		fx.add(doEndTree)
	}
	if m.want && m.wantUp && !m.exit {
		x.countDeath()
	}
	x.plan()
	if x.cfg.finish {
		m.state = finishing
		fx.add(doFinish)
		return
	}
	afterRun(m, fx)
}

// plan works out, at a death, when ./run may start again: a second
// after the last start, as daemontools and s6 pace their restarts, or
// restart-backoff's pause after it.
func (x *extension) plan() {
	if x.cfg.backoffMin == 0 {
		x.restartAt = x.startedAt + startPause
		return
	}
	lived := x.now - x.startedAt
	if lived >= x.cfg.backoffReset {
		x.pause = x.cfg.backoffMin
	}
	x.restartAt = x.startedAt + x.pause
	if lived < x.cfg.backoffReset {
		x.pause = min(2*x.pause, x.cfg.backoffMax)
	}
}

// countDeath records a death for restart-limit.
func (x *extension) countDeath() {
	if x.cfg.limitWindow == 0 {
		x.deaths = x.deaths[:0]
		return
	}
	x.deaths = append(x.deaths, x.now)
	x.forget()
	if n := int(x.cfg.limitDeaths) + 1; len(x.deaths) > n {
		x.deaths = append(x.deaths[:0], x.deaths[len(x.deaths)-n:]...)
	}
}

// forget drops the deaths that are out of restart-limit's window.
func (x *extension) forget() {
	i := 0
	for i < len(x.deaths) && x.now-x.deaths[i] >= x.cfg.limitWindow {
		i++
	}
	if i > 0 {
		x.deaths = append(x.deaths[:0], x.deaths[i:]...)
	}
}

func (x *extension) gaveUp() bool {
	return x.cfg.limitWindow != 0 && len(x.deaths) > int(x.cfg.limitDeaths)
}

// afterRun decides, once ./run has ended and ./finish (if any) too,
// what comes next.
func afterRun(m *machine, fx *effects) {
	x := m.x
	m.pid, m.state = 0, down
	if m.exit {
		fx.add(doAnnounce)
		fx.add(doAnnounce)
		fx.add(doLeave)
		return
	}
	switch {
	case x.ending:
		// svscan-exit always: the tree is ending with this service.
	case x.permanent:
		m.want = false
		x.endTree(fx)
	case x.gaveUp():
		m.state = failed
		x.endTree(fx)
	case !m.want:
		x.endTree(fx) // o: ended, and not started again
	case m.want && m.wantUp && x.restartAt > x.now:
		m.state = backoff
		x.timer = x.restartAt
		fx.add(doAnnounce)
		fx.add(doDeadline)
		fx.add(doPoll)
		return
	case m.want && m.wantUp:
		fx.add(doAnnounce)
		fx.add(doStart)
		fx.add(doPoll)
		return
	}
	fx.add(doAnnounce)
	fx.add(doPoll)
}

// endTree is svscan-exit: this service has ended for good, and with it
// the tree (the host decides; svscan stops every service in order and
// exits with this one's code).
func (x *extension) endTree(fx *effects) {
	if x.cfg.treeExit && !x.cfg.treeExitAlways {
		fx.add(doEndTree)
	}
}

// finishRuns: ./finish has started; it gets timeout-finish.
func finishRuns(m *machine, e event, fx *effects) {
	m.pid = e.pid
	fx.add(doAnnounce)
	if m.x.cfg.timeoutFinish != 0 {
		m.x.setTimer(m.x.cfg.timeoutFinish, fx)
	}
}

// finished: ./finish has ended (or could not be started).
func finished(m *machine, e event, fx *effects) {
	m.x.timer = 0
	if w := syscall.WaitStatus(e.ws); e.kind == eExited && w.Exited() && w.ExitStatus() == 125 {
		m.x.permanent = true
	}
	afterRun(m, fx)
}

// killFinish: ./finish has outlived timeout-finish.
func killFinish(m *machine, e event, fx *effects) {
	fx.put(effect{kind: doWarn, arg: warnFinishKilled})
	fx.signal(syscall.SIGCONT)
	fx.signal(syscall.SIGKILL)
	m.x.setTimer(killAgain, fx)
}

func stopFinishing(m *machine, e event, fx *effects) {
	if e.down {
		downIdle(m, e, fx)
	}
	exitLater(m, e, fx)
}

// restart: restart-backoff's pause has passed.
func restart(m *machine, e event, fx *effects) {
	m.state = down
	if m.want && m.wantUp {
		fx.add(doStart)
	}
}

// downCancel: d during the pause cancels the restart.
func downCancel(m *machine, e event, fx *effects) {
	m.state, m.x.timer = down, 0
	downIdle(m, e, fx)
}

// upRetry and onceRetry: u and o clear a failure.
func upRetry(m *machine, e event, fx *effects) {
	m.x.deaths = m.x.deaths[:0]
	upStart(m, e, fx)
}

func onceRetry(m *machine, e event, fx *effects) {
	m.x.deaths = m.x.deaths[:0]
	onceStart(m, e, fx)
}

// status adds what the extension knows to the status file.
func (x *extension) status(st *Status) {
	if x.cfg.limitWindow != 0 {
		n := 0
		for _, d := range x.deaths {
			if x.now-d < x.cfg.limitWindow {
				n++
			}
		}
		st.Ext.Deaths = uint32(n)
		st.Ext.Window = uint32(x.cfg.limitWindow / time.Second)
		st.Ext.Limit = x.cfg.limitDeaths
	}
	if x.permanent {
		st.Ext.Flags |= FlagPermanent
	}
	if x.cfg.readiness() {
		st.Ext.Flags |= FlagReadiness
	}
	if x.cg.run != "" && x.cfg.cgroup {
		st.Ext.Flags |= FlagCgroup
	}
}

// setConfig installs what the service directory says, before a start
// (or at set-up): a service with any of the files gets an extension
// (which remembers, in r, the warnings already given), one that no
// longer has any loses it once nothing of it is in use.
func (m *machine) setConfig(c config, files bool, r *configReader) {
	if m.x == nil {
		if !files {
			return
		}
		m.x = &extension{io: notifyIO{pipe: -1, sock: -1}}
	}
	m.x.cfg, m.x.reader = c, *r
	if !files && m.x.timer == 0 && m.state != finishing && m.state != stopping && m.x.io.sock < 0 && m.x.io.pipe < 0 {
		m.x = nil
	}
}

// adoptedPhase resumes what a survivor was doing when its supervisor
// was killed: a ./finish is waited for (and not run again), a stop is
// given its timeout-kill again from now, and anything else is up.
func adoptedPhase(m *machine, e event, fx *effects) {
	x := m.x
	x.startedAt = x.now
	switch e.phase {
	case PhaseFinishing:
		if x.cfg.finish {
			m.state = finishing
			if x.cfg.timeoutFinish != 0 {
				x.setTimer(x.cfg.timeoutFinish, fx)
			}
		}
	case PhaseStopping:
		if x.cfg.grouped() {
			m.state, x.pgid = stopping, e.pid
			x.setTimer(x.cfg.timeoutKill, fx)
		}
	default:
		if x.cfg.grouped() {
			x.pgid = e.pid
		}
		// A survivor that had not said it was ready is starting
		// still: ./check can say so, or a NOTIFY_SOCKET with a path
		// (the pipe of notification-fd and an abstract socket's name
		// died with the supervisor). One that had is ready.
		switch {
		case !x.cfg.readiness():
		case e.phase == PhaseStarting:
			m.state = starting
			if x.cfg.check {
				x.checkDelay = firstCheck
				x.setTimer(firstCheck, fx)
			}
		default:
			x.ready, x.readyAt = true, x.now
		}
	}
}
