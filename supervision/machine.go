package supervision

import "syscall"

// machine is the Supervisor's state, kept apart from its side effects so
// that every control byte's meaning is in one place and can be fuzzed.
// Its fields are daemontools' flags; runit's term flag rides along.
type machine struct {
	pid    int  // the service's pid as announced; 0 when down
	want   bool // false after 'o': do not restart
	wantUp bool
	paused bool // meaningful only while pid != 0
	exit   bool // 'x' received: leave once the service is down
	term   bool // runit's "got TERM": 'd' sent TERM to this pid
}

// action is what one event asks the Supervisor to do, in this order:
// signals first when sigFirst, then the status file, then the start.
type action struct {
	sigs     [2]syscall.Signal // sent to the pid when up; 0 ends the list
	sigFirst bool
	announce bool
	start    bool
}

func newMachine(normallyUp bool) machine {
	return machine{want: true, wantUp: normallyUp}
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

// command applies one control byte. Bytes it does not know change
// nothing, as in the reference.
func (m *machine) command(c byte) action {
	var a action
	up := m.pid != 0
	switch c {
	case 'd':
		m.want, m.wantUp = true, false
		if up {
			a.sigs = [2]syscall.Signal{syscall.SIGTERM, syscall.SIGCONT}
			a.sigFirst = true
			m.paused = false
			m.term = true
		}
		a.announce = true
	case 'u':
		m.want, m.wantUp = true, true
		a.announce = true
		a.start = !up
	case 'o':
		m.want = false
		a.announce = true
		a.start = !up
	case 'p':
		m.paused = true
		a.announce = true
		if up {
			a.sigs[0] = syscall.SIGSTOP
		}
	case 'c':
		m.paused = false
		a.announce = true
		if up {
			a.sigs[0] = syscall.SIGCONT
		}
	case 'x':
		m.exit = true
		a.announce = true
	default:
		if sig := signalFor(c); sig != 0 && up {
			a.sigs[0] = sig
		}
	}
	return a
}

// started records a new incarnation of ./run.
func (m *machine) started(pid int) {
	m.pid = pid
	m.paused = false
	m.term = false
}

// reaped records the exit of the service and reports whether to start
// it again; the caller announces the change first and leaves instead
// when m.exit is set.
func (m *machine) reaped() (restart bool) {
	m.pid = 0
	m.term = false
	return !m.exit && m.want && m.wantUp
}

// done reports whether the Supervisor should leave: after 'x', once the
// service is down.
func (m *machine) done() bool { return m.exit && m.pid == 0 }

// status is the status file's content for stamp.
func (m *machine) status(st *Status) {
	st.Pid = uint32(m.pid)
	st.Paused, st.Want, st.Term, st.State = 0, 0, 0, StateDown
	if m.pid != 0 {
		st.State = StateRun
		if m.paused {
			st.Paused = 1
		}
		if m.term {
			st.Term = 1
		}
	}
	if m.want {
		st.Want = 'd'
		if m.wantUp {
			st.Want = 'u'
		}
	}
}
