package supervision

import (
	"syscall"
	"time"
)

// Readiness: a service may say when it is ready, by any of three
// protocols, each opted in by its file (EXTENSIONS.md §2):
//
//   - notification-fd (s6): the service gets a pipe on that descriptor
//     and writes a newline to it once ready; the supervisor then closes
//     its end. A service that ends before writing was never ready.
//   - check (runit): after each start, ./check runs until it exits 0,
//     one at a time, first after 10 ms and then at twice the interval
//     each time, up to a second, for as long as the service is up.
//   - sd-notify (systemd's protocol): the service gets NOTIFY_SOCKET and
//     sends READY=1; STATUS= is kept and shown, STOPPING=1 recorded, and
//     with WATCHDOG_USEC in the file, WATCHDOG=1 pings are expected at
//     that interval once ready: a missed one gets the service ABRT (as
//     systemd's WatchdogSignal) and then KILL.
//
// Until then the service is starting; svc -wU waits for the change.

// The intervals of ./check: the first, and the longest.
const (
	firstCheck = 10 * time.Millisecond
	lastCheck  = time.Second
)

// mailbox holds what the watchers and the reaper have noticed about the
// current run, for Run to turn into events (see news).
type mailbox struct {
	ready    bool   // a notification said ready
	watchdog bool   // a watchdog ping came
	notice   bool   // STATUS= or STOPPING= changed
	stopping bool   // the service said STOPPING=1
	text     string // its last STATUS=
	checked  bool   // ./check has ended, with checkWS
	checkWS  uint16
	check    int32 // the running ./check's pid, 0: none
}

// news turns the mailbox into the next event, and leaves word for Run
// if more is waiting. Called by Run with nothing held.
func (s *Supervisor) news() event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.x == nil {
		return event{kind: eNotice}
	}
	mb := &s.m.x.mail
	var e event
	switch {
	case mb.checked:
		mb.checked = false
		e = event{kind: eChecked, ws: mb.checkWS}
	case mb.ready:
		mb.ready = false
		e = event{kind: eReady}
	case mb.watchdog:
		mb.watchdog = false
		e = event{kind: eWatchdog}
	default:
		mb.notice = false
		e = event{kind: eNotice}
	}
	if mb.checked || mb.ready || mb.watchdog || mb.notice {
		s.pending |= gotNews
	}
	return e
}

// becameReady: the service said it is ready (or ./check said so).
func becameReady(m *machine, e event, fx *effects) {
	x := m.x
	m.state, x.ready, x.readyAt, x.timer = up, true, x.now, 0
	fx.add(doQuiet)
	if x.cfg.watchdog != 0 {
		x.setTimer(x.cfg.watchdog, fx)
	}
	fx.add(doAnnounce)
}

// checkNow: time for the next ./check.
func checkNow(m *machine, e event, fx *effects) {
	if m.x.cfg.check {
		fx.add(doCheck)
	}
}

// checked: ./check has ended; 0 means ready, anything else another try
// later.
func checked(m *machine, e event, fx *effects) {
	if w := syscall.WaitStatus(e.ws); w.Exited() && w.ExitStatus() == 0 {
		becameReady(m, e, fx)
		return
	}
	x := m.x
	x.setTimer(x.checkDelay, fx)
	x.checkDelay = min(2*x.checkDelay, lastCheck)
}

// pinged: a watchdog ping; the next is due one interval from now.
func pinged(m *machine, e event, fx *effects) {
	if m.x != nil && m.x.cfg.watchdog != 0 && m.x.ready {
		m.x.bitten = false
		m.x.setTimer(m.x.cfg.watchdog, fx)
	}
}

// watchdogBites: no ping in time. ABRT, as systemd sends; if the
// service is still there killAgain later, KILL.
func watchdogBites(m *machine, e event, fx *effects) {
	x := m.x
	if x == nil || x.cfg.watchdog == 0 {
		return
	}
	sig := syscall.SIGABRT
	if x.bitten {
		sig = syscall.SIGKILL
	} else {
		fx.put(effect{kind: doWarn, arg: warnWatchdog})
	}
	x.bitten = true
	fx.signal(sig)
	x.setTimer(killAgain, fx)
}
