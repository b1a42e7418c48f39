package supervision

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The machine is driven here by a simulated Supervisor whose world (the
// control FIFO, the child, the host, the outcome of each fork) is read
// from the input, and checked two ways: against invariants of its own,
// and against the reference's supervise written out as the C program
// is (trystart, doit, the command switch), which sees the same world.
// Both produce a trace of what they do; the traces must be equal.

// World events in the input. Any other byte is a control byte written
// to the FIFO.
const (
	wExit     = 0xf0 // the child ends
	wStop     = 0xf1 // the host's Stop(true)
	wStopKeep = 0xf2 // the host's Stop(false)
	wCrash    = 0xf3 // the supervisor panics; Run starts again
	wTime     = 0xf4 // time passes: to the machine's timer, or a second
	wExit125  = 0xf5 // the child ends with exit code 125
	wReady    = 0xf6 // the service says it is ready
	wCheckOK  = 0xf7 // ./check, if it runs, exits 0
	wCheckBad = 0xf8 // ./check, if it runs, exits 1
	wPing     = 0xf9 // a watchdog ping
)

// world is the input both simulations read their world from.
type world struct {
	in []byte
}

// next is what happens while the supervisor waits (or sleeps); false
// when the input is used up.
func (w *world) next() (byte, bool) {
	if len(w.in) == 0 {
		return 0, false
	}
	b := w.in[0]
	w.in = w.in[1:]
	return b, true
}

// Outcomes of a fork, read from the input.
const (
	forkOK = iota
	forkEAGAIN
	forkNoExec
	forkCrash   // the child runs, but the supervisor panics before it records it
	forkNoFiles // the start found no descriptor (svscan's, shared): as forkNoExec, with the pause that descriptors being freed cuts short
)

// crashed is what the simulations panic with for forkCrash.
type crashed struct{}

func (w *world) fork() int {
	b, ok := w.next()
	if !ok {
		return forkOK
	}
	switch b % 8 {
	case 0:
		return forkEAGAIN
	case 1:
		return forkNoExec
	case 2:
		return forkCrash
	case 3:
		return forkNoFiles
	}
	return forkOK
}

// common is what both simulations share: the world, the child, the
// pending reports, and the trace.
type common struct {
	w        world
	fifo     []byte
	alive    int // the child's pid, 0 if none
	nextID   int
	exited   bool
	ws       uint16 // of the pending exit
	req      byte
	crash    bool
	passTime bool    // wTime happened: the simulation moves its clock
	news     []event // what the watchers would report
	checking bool    // a ./check runs
	stamp    int
	trace    []string
	done     bool // the input is used up
}

func (c *common) log(format string, args ...any) {
	c.trace = append(c.trace, fmt.Sprintf(format, args...))
}

// newChild starts a child in the world.
func (c *common) newChild() {
	c.nextID++
	c.alive = 100 + c.nextID
	c.exited = false
}

// recover ends a round cut short by forkCrash; Run then starts again.
func (c *common) recover() {
	if r := recover(); r != nil {
		if _, ok := r.(crashed); !ok {
			panic(r)
		}
		c.crash = true
	}
}

// happen lets one thing happen in the world.
func (c *common) happen() {
	b, ok := c.w.next()
	if !ok {
		c.done = true
		return
	}
	switch b {
	case wExit, wExit125:
		if c.alive != 0 {
			c.alive = 0
			c.exited = true
			c.ws = 1 << 8
			if b == wExit125 {
				c.ws = 125 << 8
			}
		}
	case wTime:
		c.passTime = true
	case wReady:
		c.news = append(c.news, event{kind: eReady})
	case wPing:
		c.news = append(c.news, event{kind: eWatchdog})
	case wCheckOK, wCheckBad:
		if c.checking {
			c.checking = false
			ws := uint16(0)
			if b == wCheckBad {
				ws = 1 << 8
			}
			c.news = append(c.news, event{kind: eChecked, ws: ws})
		}
	case wStop:
		c.req |= gotLeave | gotDown
	case wStopKeep:
		c.req |= gotLeave
	case wCrash:
		c.crash = true
	default:
		c.fifo = append(c.fifo, b)
	}
}

func (c *common) kill(sig syscall.Signal) {
	if c.alive != 0 {
		c.log("kill %d %v", c.alive, sig)
		if sig == syscall.SIGKILL {
			c.alive, c.exited, c.ws = 0, true, uint16(sig)
		}
	}
}

func (c *common) sleep(what string) {
	c.log("sleep %s", what)
	c.happen()
}

func (c *common) readByte() (byte, bool) {
	if len(c.fifo) == 0 {
		return 0, false
	}
	b := c.fifo[0]
	c.fifo = c.fifo[1:]
	return b, true
}

func (c *common) take() (bool, byte) {
	e, r := c.exited, c.req
	c.exited, c.req = false, 0
	return e, r
}

// sim is Run: the machine under test, with step and handle as run.go
// has them.
type sim struct {
	common
	m     machine
	clock time.Duration
	left  bool
	t     *testing.T
	// onStart, when set, checks each start (lifecycle_test.go).
	check func()
}

func (s *sim) onStart() {
	if s.check != nil {
		s.check()
	}
}

// finish starts ./finish in the world: it runs, or fails to start.
func (s *sim) finish() event {
	b, ok := s.w.next()
	if ok && b%4 == 0 {
		return event{kind: eFinishFailed}
	}
	s.newChild()
	return event{kind: eFinishStarted, pid: int32(s.alive)}
}

func (s *sim) announce() {
	var st Status
	s.m.status(&st)
	s.log("status pid=%d paused=%d want=%q term=%d state=%d stamp=%d", st.Pid, st.Paused, st.Want, st.Term, st.State, s.stamp)
	checkStatus(s.t, &s.m, s.trace[len(s.trace)-1])
}

func (s *sim) handle(e event) {
	if s.left {
		s.t.Fatalf("event %d after leaving", e.kind)
	}
	before := s.m.state
	var fx effects
	s.m.handle(e, s.clock, &fx)
	for _, f := range fx.list[:fx.n] {
		switch f.kind {
		case doSignal:
			if before != up && before != starting && before != stopping && before != finishing {
				s.t.Fatalf("signal %d in state %d", f.arg, before)
			}
			s.kill(syscall.Signal(f.arg))
		case doSignalGroup:
			s.log("group %v", syscall.Signal(f.arg))
			if s.m.state == up || s.m.state == starting || s.m.state == stopping {
				s.kill(syscall.Signal(f.arg))
			}
		case doStamp:
			s.stamp++
		case doAnnounce:
			s.announce()
		case doStart:
			if s.alive != 0 || s.m.state == up || s.m.state == starting || s.m.state == stopping || s.m.state == finishing {
				s.t.Fatalf("a start with a child (state %d)", s.m.state)
			}
			s.log("start")
			s.onStart()
			s.handle(s.start())
		case doFinish:
			if s.alive != 0 || s.m.state != finishing {
				s.t.Fatalf("./finish with a child (state %d)", s.m.state)
			}
			s.log("finish")
			s.handle(s.finish())
		case doWarn:
			s.log("warning %d", f.arg)
		case doCheck:
			if s.checking || s.m.state != starting {
				s.t.Fatalf("./check started with one running (%v), in state %d", s.checking, s.m.state)
			}
			s.log("check")
			s.checking = true
		case doQuiet:
			s.checking = false
			s.news = s.news[:0]
		case doPause:
			s.sleep(f.duration().String())
			s.clock += f.duration()
		case doDeadline:
			if _, ok := s.m.timer(); !ok {
				s.t.Fatal("a deadline without a timer")
			}
		case doPoll:
			if b, ok := s.readByte(); ok {
				s.control(b)
			}
		case doLeave:
			if s.alive != 0 {
				s.t.Fatal("left with a child")
			}
			s.left = true
		}
	}
}

func (s *sim) start() event {
	switch s.w.fork() {
	case forkEAGAIN:
		s.log("fork failed")
		return event{kind: eForkFailed}
	case forkNoExec:
		s.log("cannot execute")
		return event{kind: eExecFailed}
	case forkNoFiles:
		s.log("cannot execute")
		return event{kind: eExecFailed, noFiles: true}
	case forkCrash:
		s.newChild()
		panic(crashed{})
	}
	s.newChild()
	return event{kind: eStarted, pid: int32(s.alive)}
}

func (s *sim) control(c byte) {
	e, ok := controlEvent(c)
	if !ok {
		return
	}
	before := s.m
	n := len(s.trace)
	s.handle(e)
	writes := strings.IndexByte("udopcx", c) >= 0
	announced := false
	for _, l := range s.trace[n:] {
		announced = announced || strings.HasPrefix(l, "status ")
	}
	if announced != writes {
		s.t.Fatalf("control %q: announced=%v", c, announced)
	}
	if !writes && s.m != before {
		s.t.Fatalf("control %q changed the state: %+v -> %+v", c, before, s.m)
	}
}

func (s *sim) step() {
	defer s.recover()
	if s.crash {
		s.crash = false
		s.handle(event{kind: eResumed, pid: int32(s.alive)})
		return
	}
	exited, req := s.take()
	if req != 0 {
		s.handle(event{kind: eStop, down: req&gotDown != 0})
		if s.left {
			return
		}
	}
	if len(s.news) > 0 {
		if exited {
			s.exited = true // the exit waits for the next step, as in Run
		}
		e := s.news[0]
		s.news = s.news[1:]
		s.handle(e)
		return
	}
	if exited {
		s.handle(event{kind: eExited, ws: s.ws})
		return
	}
	if at, ok := s.m.timer(); ok && at <= s.clock {
		s.handle(event{kind: eTimer})
		return
	}
	if b, ok := s.readByte(); ok {
		s.control(b)
		return
	}
	s.happen()
	if s.passTime {
		s.passTime = false
		if at, ok := s.m.timer(); ok && at > s.clock {
			s.clock = at
		} else {
			s.clock += time.Second
		}
	}
}

func (s *sim) run(normallyUp bool, survivor *Status) {
	s.m = newMachine(normallyUp)
	if survivor != nil {
		s.alive = int(survivor.Pid)
		s.handle(event{kind: eAdopted, pid: int32(s.alive), want: survivor.Want, paused: survivor.Paused != 0, term: survivor.Term != 0})
	} else {
		s.handle(event{kind: eNew})
	}
	func() {
		defer s.recover()
		s.handle(event{kind: eBegin})
	}()
	for !s.left && !s.done {
		s.step()
	}
}

// reference is daemontools 0.76's supervise as its C source has it,
// with Debian's retry after a failed fork, runit's q 1 2 and term flag,
// the host's Stop, and our report of a ./run that cannot be executed
// without a stand-in child (announced down, then taken as a death).
type reference struct {
	common
	pid                                        int
	flagwant, flagwantup, flagpaused, flagexit bool
	term, retry                                bool
}

func (r *reference) announce() {
	st := Status{Pid: uint32(r.pid), State: StateDown}
	if r.pid != 0 {
		st.State = StateRun
		if r.flagpaused {
			st.Paused = 1
		}
		if r.term {
			st.Term = 1
		}
	}
	if r.flagwant {
		st.Want = 'd'
		if r.flagwantup {
			st.Want = 'u'
		}
	}
	r.log("status pid=%d paused=%d want=%q term=%d state=%d stamp=%d", st.Pid, st.Paused, st.Want, st.Term, st.State, r.stamp)
}

func (r *reference) trystart() {
	r.log("start")
	switch r.w.fork() {
	case forkEAGAIN:
		// A ./run that could not be executed, taken as a death after
		// its pause, is forgotten by the next attempt to start.
		r.exited = false
		r.log("fork failed")
		r.retry = true
		r.sleep("1m0s")
		return
	case forkNoExec, forkNoFiles:
		r.log("cannot execute")
		r.pid, r.flagpaused, r.term = 0, false, false
		r.stamp++
		r.announce()
		r.sleep("1s")
		r.exited = true
		return
	case forkCrash:
		r.newChild()
		panic(crashed{})
	}
	r.newChild()
	r.pid, r.flagpaused, r.term = r.alive, false, false
	r.stamp++
	r.announce()
	r.sleep("1s")
}

func (r *reference) command(ch byte) {
	switch ch {
	case 'd':
		r.flagwant, r.flagwantup = true, false
		if r.pid != 0 {
			r.kill(syscall.SIGTERM)
			r.kill(syscall.SIGCONT)
			r.flagpaused, r.term = false, true
		}
		r.announce()
	case 'u':
		r.flagwant, r.flagwantup = true, true
		r.announce()
		if r.pid == 0 {
			r.trystart()
		}
	case 'o':
		r.flagwant = false
		r.announce()
		if r.pid == 0 {
			r.trystart()
		}
	case 'p':
		r.flagpaused = true
		r.announce()
		if r.pid != 0 {
			r.kill(syscall.SIGSTOP)
		}
	case 'c':
		r.flagpaused = false
		r.announce()
		if r.pid != 0 {
			r.kill(syscall.SIGCONT)
		}
	case 'x':
		r.flagexit = true
		r.announce()
	default:
		if sig := signalFor(ch); sig != 0 && r.pid != 0 {
			r.kill(sig)
		}
	}
}

// adopt is our supervise taking over a survivor: its pid and the
// wishes recorded beside it, and its stamp.
func (r *reference) adopt(st *Status) {
	r.pid = int(st.Pid)
	r.alive = r.pid
	r.flagpaused, r.term = st.Paused != 0, st.Term != 0
	switch st.Want {
	case 'u':
		r.flagwant, r.flagwantup = true, true
	case 'd':
		r.flagwant, r.flagwantup = true, false
	case 0:
		r.flagwant = false
	}
}

func (r *reference) run(normallyUp bool, survivor *Status) {
	r.flagwant, r.flagwantup = true, normallyUp
	if survivor != nil {
		r.adopt(survivor)
	} else {
		r.stamp++
	}
	r.announce()
	func() {
		defer r.recover()
		if r.pid == 0 && r.flagwant && r.flagwantup {
			r.trystart()
		}
	}()
	for !(r.flagexit && r.pid == 0) && !r.done {
		r.round()
	}
	if r.flagexit && r.pid == 0 {
		r.announce()
	}
}

// round is one pass of doit's loop.
func (r *reference) round() {
	defer r.recover()
	if r.crash {
		// Run again after a panic: a child started but not yet
		// recorded is recorded now.
		r.crash = false
		if r.alive != 0 && r.pid != r.alive {
			r.pid, r.flagpaused, r.term = r.alive, false, false
			r.stamp++
		}
		r.announce()
		return
	}
	exited, req := r.take()
	if req&gotDown != 0 {
		r.command('d')
	}
	if req&gotLeave != 0 {
		r.command('x')
		if r.pid == 0 {
			return
		}
	}
	if exited {
		r.pid, r.term = 0, false
		r.stamp++
		r.announce()
		if r.flagexit {
			return
		}
		if r.flagwant && r.flagwantup {
			r.trystart()
		}
		if ch, ok := r.readByte(); ok {
			r.command(ch)
		}
		return
	}
	if r.retry {
		r.retry = false
		if r.pid == 0 && r.flagwant && r.flagwantup && !r.flagexit {
			r.trystart()
		}
		return
	}
	if ch, ok := r.readByte(); ok {
		r.command(ch)
		return
	}
	r.happen()
}

func checkStatus(t *testing.T, m *machine, when string) {
	t.Helper()
	var st Status
	m.status(&st)
	isUp := st.Pid != 0 && m.state != finishing
	running := m.state == up || m.state == starting || m.state == stopping
	if isUp != running || isUp != (st.State == StateRun) || (st.Pid == 0 && st.State != StateDown) {
		t.Fatalf("%s: pid %d in state %d with runit state %d", when, st.Pid, m.state, st.State)
	}
	if m.state == finishing && st.State != StateFinish {
		t.Fatalf("%s: finishing with runit state %d", when, st.State)
	}
	if !isUp && (st.Paused != 0 || st.Term != 0) {
		t.Fatalf("%s: down but paused=%d term=%d", when, st.Paused, st.Term)
	}
	switch st.Want {
	case 'u', 'd':
		if !m.want {
			t.Fatalf("%s: want byte %q after o", when, st.Want)
		}
	case 0:
		if m.want {
			t.Fatalf("%s: want byte 0 without o", when)
		}
	default:
		t.Fatalf("%s: want byte %q", when, st.Want)
	}
}

// compare runs both on the same world and compares their traces. A
// survivor byte other than 0 makes New adopt a survivor with the want
// byte, paused and term flags it encodes.
func compare(t *testing.T, normallyUp bool, survivor byte, in []byte) {
	t.Helper()
	var st *Status
	if survivor != 0 {
		st = &Status{Pid: 99, Want: "ud\x00"[survivor%3], Paused: survivor >> 2 & 1, Term: survivor >> 3 & 1}
	}
	s := &sim{t: t, common: common{w: world{in: in}}}
	s.run(normallyUp, st)
	r := &reference{common: common{w: world{in: in}}}
	r.run(normallyUp, st)
	if got, want := strings.Join(s.trace, "\n"), strings.Join(r.trace, "\n"); got != want {
		t.Fatalf("normallyUp=%v input %q:\nmachine:\n%s\n\nreference:\n%s", normallyUp, in, got, want)
	}
	if s.left != (r.flagexit && r.pid == 0) {
		t.Fatalf("input %q: machine left=%v, reference exit=%v pid=%d", in, s.left, r.flagexit, r.pid)
	}
}

func TestMachineSequences(t *testing.T) {
	for _, in := range []string{
		"dux", "d\xf0x", "o\xf0\xf0", "pcpd\xf0u", "x\xf0", "tkhai12q\xf0\xf0", "zQ\n", "ou\xf0",
		"\xf1", "\xf2\xf0", "d\xf2", "u\x08\x02\x02\x02", "\x09\x02\x02u", "\x00\x00p\x01\x01\xf1",
		"\xf0\x09d\x02\x02", "xp\xf0c", "o\xf0u\xf0\xf2\xf0", "\xf3u\xf0\xf3", "1u1000", "p\xf3c\xf0\xf3x",
	} {
		for _, survivor := range []byte{0, 1, 2, 3, 7, 12} {
			compare(t, true, survivor, []byte(in))
			compare(t, false, survivor, []byte(in))
		}
	}
}

// The machine's own rows, one by one: what the tables say in words.
func TestMachineRows(t *testing.T) {
	m := newMachine(true)
	if fx := handled(&m, event{kind: eBegin}); fx.n != 1 || fx.list[0].kind != doStart {
		t.Fatalf("begin of a normally-up service: %+v", fx)
	}
	handled(&m, event{kind: eStarted, pid: 7})
	fx := handled(&m, event{kind: eDown})
	if kinds(fx) != "signal signal announce" || fx.list[0].arg != uint8(syscall.SIGTERM) || fx.list[1].arg != uint8(syscall.SIGCONT) {
		t.Fatalf("d while up: %s %+v", kinds(fx), fx)
	}
	if fx := handled(&m, event{kind: eExited}); kinds(fx) != "stamp announce poll" || m.state != down {
		t.Fatalf("exit after d: %s in state %d", kinds(fx), m.state)
	}
	if fx := handled(&m, event{kind: eOnce}); kinds(fx) != "announce start" {
		t.Fatalf("o while down: %s", kinds(fx))
	}
	handled(&m, event{kind: eStarted, pid: 8})
	if fx := handled(&m, event{kind: eExit}); kinds(fx) != "announce" {
		t.Fatalf("x while up: %s", kinds(fx))
	}
	if fx := handled(&m, event{kind: eExited}); kinds(fx) != "stamp announce announce leave" {
		t.Fatalf("exit after x: %s", kinds(fx))
	}
	m = newMachine(true)
	if fx := handled(&m, event{kind: eForkFailed}); kinds(fx) != "pause" || m.state != forkWait || fx.list[0].duration() != forkPause || !m.due {
		t.Fatalf("fork failed: %s in state %d", kinds(fx), m.state)
	}
	if fx := handled(&m, event{kind: eTimer}); kinds(fx) != "start" || m.state != down {
		t.Fatalf("retry: %s in state %d", kinds(fx), m.state)
	}
	if fx := handled(&m, event{kind: eExecFailed}); kinds(fx) != "stamp announce pause" || m.state != execFailed || !m.due {
		t.Fatalf("exec failed: %s in state %d", kinds(fx), m.state)
	}
	if fx := handled(&m, event{kind: eTimer}); kinds(fx) != "stamp announce start poll" {
		t.Fatalf("after exec failed: %s", kinds(fx))
	}
	m = newMachine(true)
	handled(&m, event{kind: eTimer})
	if fx := handled(&m, event{kind: eExecFailed, noFiles: true}); kinds(fx) != "stamp announce pause" || delay(fx.list[2].arg) != afterNoFiles || m.state != execFailed {
		t.Fatalf("no descriptors: %s in state %d", kinds(fx), m.state)
	}
	m = newMachine(true)
	if fx := handled(&m, event{kind: eAdopted, pid: 9, want: 'd', paused: true, term: true}); kinds(fx) != "announce" || m.state != up || m.wantUp || !m.paused || !m.term {
		t.Fatalf("adopted: %s %+v", kinds(fx), m)
	}
	if fx := handled(&m, event{kind: eBegin}); fx.n != 0 {
		t.Fatalf("begin with an adopted child: %s", kinds(fx))
	}
	if fx := handled(&m, event{kind: eStop, down: true}); kinds(fx) != "signal signal announce announce" || !m.exit {
		t.Fatalf("stop: %s", kinds(fx))
	}
}

func handled(m *machine, e event) effects {
	var fx effects
	m.handle(e, 0, &fx)
	return fx
}

func kinds(fx effects) string {
	names := [...]string{doSignal: "signal", doStamp: "stamp", doAnnounce: "announce", doStart: "start",
		doPause: "pause", doDeadline: "deadline", doPoll: "poll", doLeave: "leave",
		doSignalGroup: "group", doFinish: "finish", doWarn: "warn"}
	var w []string
	for _, f := range fx.list[:fx.n] {
		w = append(w, names[f.kind])
	}
	return strings.Join(w, " ")
}

// Every cell of the table is filled.
func TestMachineTableComplete(t *testing.T) {
	for s := state(0); s < nStates; s++ {
		for e := eventKind(0); e < nEvents; e++ {
			if table[s][e] == nil {
				t.Errorf("state %d, event %d: no transition", s, e)
			}
		}
	}
}

func FuzzMachine(f *testing.F) {
	for _, s := range []string{"udopchaitkx", "dx", "\xf0\xf0u\xf0d", "po\xf0cu", "12q\xf0", "\xf1", "u\x08\x09\xf0\x02x", "\xf2\xf0\xf0", "\xf3\xf0"} {
		f.Add(true, byte(0), []byte(s))
		f.Add(false, byte(5), []byte(s))
	}
	f.Fuzz(func(t *testing.T, normallyUp bool, survivor byte, in []byte) {
		compare(t, normallyUp, survivor, in)
	})
}
