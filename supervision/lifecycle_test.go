package supervision

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// lifecycleConfig makes a service directory's files from the bits of b:
// finish, timeout-kill, restart-backoff, restart-limit, down-signal.
func lifecycleConfig(b byte) config {
	c := config{timeoutFinish: defaultTimeoutFinish, downSignal: syscall.SIGTERM}
	c.finish = b&1 != 0
	if b&2 != 0 {
		c.timeoutKill = 2 * time.Second
	}
	if b&4 != 0 {
		c.backoffMin, c.backoffMax, c.backoffReset = time.Second, 8*time.Second, 10*time.Second
	}
	if b&8 != 0 {
		c.limitDeaths, c.limitWindow = 2, 30*time.Second
	}
	if b&16 != 0 {
		c.downSignal = syscall.SIGHUP
	}
	if b&32 != 0 {
		c.timeoutFinish = 0
	}
	if b&64 != 0 {
		c.check = true
	}
	if b&128 != 0 {
		c.notifyFD, c.sdNotify, c.watchdog = 3, true, 5*time.Second
	}
	return c
}

// runLifecycle drives a service with the files cfg names through the
// world in, checking what no transition may ever do.
func runLifecycle(t *testing.T, cfg byte, normallyUp bool, in []byte) *sim {
	t.Helper()
	c := lifecycleConfig(cfg)
	s := &sim{t: t, common: common{w: world{in: in}}}
	s.m = newMachine(normallyUp)
	s.m.setConfig(c, true, &configReader{})
	// A start closer to the one before than restart-backoff's MIN must
	// have been asked for (u or o), and a failed service starts only
	// when asked.
	var lastStart time.Duration = -time.Hour
	asked := true
	gap := c.backoffMin
	if gap == 0 {
		gap = startPause
	}
	s.check = func() {
		if !asked && s.clock-lastStart < gap {
			t.Fatalf("started %v after the last start, the least is %v\n%s", s.clock-lastStart, gap, strings.Join(s.trace, "\n"))
		}
		if s.m.state == failed && !asked {
			t.Fatalf("a failed service started unasked\n%s", strings.Join(s.trace, "\n"))
		}
		lastStart, asked = s.clock, false
	}
	control := func(b byte) {
		if b == 'u' || b == 'o' {
			asked = true
		}
	}
	s.handle(event{kind: eNew})
	func() {
		defer s.recover()
		s.handle(event{kind: eBegin})
	}()
	for !s.left && !s.done {
		if len(s.fifo) > 0 {
			control(s.fifo[0])
		}
		s.step()
		if s.m.state == stopping && (s.m.x.timer == 0 || s.m.x.timer > s.clock+max(c.timeoutKill, killAgain)) {
			t.Fatalf("stopping with the timer at %v, now %v", s.m.x.timer, s.clock)
		}
		if s.m.state == backoff && s.m.x.timer == 0 {
			t.Fatal("in backoff without a timer")
		}
		if s.m.state == starting && c.check && !s.checking && s.m.x.timer == 0 && len(s.news) == 0 {
			t.Fatalf("starting with neither a ./check running nor one due\n%s", strings.Join(s.trace, "\n"))
		}
		if s.m.state == up && c.watchdog != 0 && s.m.x.timer == 0 {
			t.Fatalf("ready without a watchdog timer\n%s", strings.Join(s.trace, "\n"))
		}
	}
	return s
}

func FuzzLifecycle(f *testing.F) {
	for _, in := range []string{
		"\xf0\xf4\xf0\xf4\xf0\xf4", "d\xf4\xf4\xf4", "\xf5\xf0", "u\xf0d\xf4x", "\xf0\x01\xf0\xf0\xf0\xf0u",
		"\xf1\xf4\xf4", "t\xf4k\xf0\xf4o\xf0", "\xf0\xf3\xf4\xf0",
		"\xf4\xf8\xf4\xf8\xf4\xf7\xf4\xf4\xf0", "\xf6\xf9\xf4\xf4\xf4d\xf4", "\xf4\xf7\xf6\xf0\xf4\xf6",
	} {
		for _, cfg := range []byte{1, 2, 4, 8, 15, 31, 63, 64, 128, 192, 255} {
			f.Add(cfg, true, []byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, cfg byte, normallyUp bool, in []byte) {
		runLifecycle(t, cfg, normallyUp, in)
	})
}

func TestLifecycleSequences(t *testing.T) {
	for _, in := range []string{
		"\xf0\xf4\xf0\xf4\xf0\xf4\xf0\xf4\xf0\xf4", "d\xf4\xf4\xf4\xf4", "\xf5\xf0\xf4", "u\xf0d\xf4x",
		"\xf0\x01\xf0\xf0\xf0\xf0u\xf4\xf4", "\xf1\xf4\xf4\xf4", "t\xf4k\xf0\xf4o\xf0", "\xf0\xf3\xf4\xf0",
		"\xf0\xf4\xf4\xf0\xf4\xf4\xf0\xf4\xf4\xf0dux",
		"\xf4\xf8\xf4\xf8\xf4\xf7\xf4\xf4\xf0", "\xf6\xf9\xf4\xf4\xf4d\xf4", "\xf4\xf7\xf6\xf0\xf4\xf6",
	} {
		for cfg := 0; cfg < 256; cfg++ {
			runLifecycle(t, byte(cfg), true, []byte(in))
			runLifecycle(t, byte(cfg), false, []byte(in))
		}
	}
}

// at runs events through m at the given times and returns the last
// event's effects.
func at(m *machine, now time.Duration, events ...event) effects {
	var fx effects
	for _, e := range events {
		m.handle(e, now, &fx)
	}
	return fx
}

func TestFinish(t *testing.T) {
	m := newMachine(true)
	m.setConfig(config{finish: true, timeoutFinish: 5 * time.Second, downSignal: syscall.SIGTERM}, true, &configReader{})
	at(&m, 0, event{kind: eStarted, pid: 10})
	fx := at(&m, time.Second, event{kind: eExited, ws: 3 << 8})
	if kinds(fx) != "stamp finish" || m.state != finishing || m.exitHow != ExitCode || m.exitValue != 3 {
		t.Fatalf("death with a finish: %s, state %d, exit %d %d", kinds(fx), m.state, m.exitHow, m.exitValue)
	}
	fx = at(&m, time.Second, event{kind: eFinishStarted, pid: 11})
	if kinds(fx) != "announce deadline" || m.pid != 11 {
		t.Fatalf("finish started: %s, pid %d", kinds(fx), m.pid)
	}
	if when, ok := m.timer(); !ok || when != 6*time.Second {
		t.Fatalf("timeout-finish at %v %v", when, ok)
	}
	var st Status
	m.status(&st)
	if st.Pid != 11 || st.State != StateFinish || st.Ext.Phase != PhaseFinishing || st.Want != 'u' {
		t.Fatalf("status while finishing: %+v", st)
	}
	// d while finishing only changes the wish; signals are not passed on.
	if fx := at(&m, 2*time.Second, event{kind: eDown}); kinds(fx) != "announce" {
		t.Fatalf("d while finishing: %s", kinds(fx))
	}
	if fx := at(&m, 2*time.Second, event{kind: eSignal, sig: uint8(syscall.SIGKILL)}); fx.n != 0 {
		t.Fatalf("k while finishing: %s", kinds(fx))
	}
	// It hangs: KILL after timeout-finish, again every 5 seconds.
	fx = at(&m, 6*time.Second, event{kind: eTimer})
	if kinds(fx) != "warn signal signal deadline" || fx.list[2].arg != uint8(syscall.SIGKILL) {
		t.Fatalf("timeout-finish: %s", kinds(fx))
	}
	fx = at(&m, 7*time.Second, event{kind: eExited, ws: uint16(syscall.SIGKILL)})
	if kinds(fx) != "announce poll" || m.state != down || m.pid != 0 {
		t.Fatalf("finish killed, wanted down: %s, state %d", kinds(fx), m.state)
	}
	// Exit 125: not restarted, as after o.
	m.handle(event{kind: eUp}, 8*time.Second, &fx)
	at(&m, 8*time.Second, event{kind: eStarted, pid: 12}, event{kind: eExited}, event{kind: eFinishStarted, pid: 13})
	fx = at(&m, 9*time.Second, event{kind: eExited, ws: 125 << 8})
	m.status(&st)
	if kinds(fx) != "announce poll" || m.want || st.Want != 0 || st.Ext.Flags&FlagPermanent == 0 {
		t.Fatalf("finish exit 125: %s, want %v, status %+v", kinds(fx), m.want, st)
	}
	// x while finishing leaves once it is done.
	m.handle(event{kind: eUp}, 10*time.Second, &fx)
	at(&m, 10*time.Second, event{kind: eStarted, pid: 14}, event{kind: eExited}, event{kind: eFinishStarted, pid: 15})
	if fx := at(&m, 10*time.Second, event{kind: eExit}); kinds(fx) != "announce" {
		t.Fatalf("x while finishing: %s", kinds(fx))
	}
	if fx := at(&m, 11*time.Second, event{kind: eExited}); kinds(fx) != "announce announce leave" {
		t.Fatalf("finish done after x: %s", kinds(fx))
	}
	// A finish that cannot be started counts as done.
	m = newMachine(true)
	m.setConfig(config{finish: true, downSignal: syscall.SIGTERM}, true, &configReader{})
	at(&m, 0, event{kind: eStarted, pid: 10}, event{kind: eExited})
	if fx := at(&m, 0, event{kind: eFinishFailed}); kinds(fx) != "announce deadline poll" || m.state != backoff {
		t.Fatalf("finish failed: %s", kinds(fx))
	}
	// Not before a second after the last start, as daemontools and s6.
	if when, _ := m.timer(); when != startPause {
		t.Fatalf("restart at %v", when)
	}
}

func TestTimeoutKill(t *testing.T) {
	m := newMachine(true)
	m.setConfig(config{timeoutKill: 3 * time.Second, downSignal: syscall.SIGHUP}, true, &configReader{})
	at(&m, 0, event{kind: eStarted, pid: 10})
	if m.x.pgid != 10 {
		t.Fatalf("pgid %d", m.x.pgid)
	}
	fx := at(&m, time.Second, event{kind: eDown})
	if kinds(fx) != "group group deadline announce" || fx.list[0].arg != uint8(syscall.SIGHUP) || fx.list[1].arg != uint8(syscall.SIGCONT) || m.state != stopping {
		t.Fatalf("d with timeout-kill: %s %+v state %d", kinds(fx), fx.list, m.state)
	}
	var st Status
	m.status(&st)
	if st.Pid != 10 || st.Ext.Phase != PhaseStopping || st.Want != 'd' || st.Term != 1 {
		t.Fatalf("status while stopping: %+v", st)
	}
	fx = at(&m, 4*time.Second, event{kind: eTimer})
	if kinds(fx) != "group group deadline" || fx.list[0].arg != uint8(syscall.SIGKILL) {
		t.Fatalf("timeout-kill: %s", kinds(fx))
	}
	// It ends: what is left of its group gets KILL.
	fx = at(&m, 4*time.Second, event{kind: eExited, ws: uint16(syscall.SIGKILL)})
	if kinds(fx) != "stamp group announce poll" || fx.list[1].arg != uint8(syscall.SIGKILL) || m.state != down {
		t.Fatalf("the end of a stopped service: %s, state %d", kinds(fx), m.state)
	}
	if _, ok := m.timer(); ok {
		t.Fatal("a timer left after the stop")
	}
	// A service that exits before the timeout: no KILL to the group
	// beyond the one for what is left.
	at(&m, 5*time.Second, event{kind: eUp}, event{kind: eStarted, pid: 20}, event{kind: eDown})
	fx = at(&m, 6*time.Second, event{kind: eExited})
	if kinds(fx) != "stamp group announce poll" {
		t.Fatalf("exit during the timeout: %s", kinds(fx))
	}
	// A crash is not a stop: nothing is sent to the group.
	at(&m, 7*time.Second, event{kind: eUp}, event{kind: eStarted, pid: 30})
	if fx := at(&m, 8*time.Second, event{kind: eExited}); strings.Contains(kinds(fx), "group") {
		t.Fatalf("crash: %s", kinds(fx))
	}
}

func TestBackoff(t *testing.T) {
	m := newMachine(true)
	m.setConfig(config{backoffMin: time.Second, backoffMax: 4 * time.Second, backoffReset: 10 * time.Second, downSignal: syscall.SIGTERM}, true, &configReader{})
	now := time.Duration(0)
	var gaps []time.Duration
	last := now
	for i := 0; i < 6; i++ {
		fx := at(&m, now, event{kind: eStarted, pid: int32(10 + i)})
		if strings.Contains(kinds(fx), "pause") {
			t.Fatalf("a deaf pause with restart-backoff: %s", kinds(fx))
		}
		gaps = append(gaps, now-last)
		last = now
		now += 100 * time.Millisecond
		fx = at(&m, now, event{kind: eExited})
		if m.state != backoff || kinds(fx) != "stamp announce deadline poll" {
			t.Fatalf("death %d: %s in state %d", i, kinds(fx), m.state)
		}
		var st Status
		m.status(&st)
		if st.Ext.Phase != PhaseBackoff {
			t.Fatalf("status in backoff: %+v", st)
		}
		when, _ := m.timer()
		now = when
		if fx := at(&m, now, event{kind: eTimer}); kinds(fx) != "start" {
			t.Fatalf("restart: %s", kinds(fx))
		}
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}
	for i := range want {
		if gaps[i] != want[i] {
			t.Fatalf("gaps between starts %v, want %v", gaps, want)
		}
	}
	// Up for RESET: the pause is back to MIN, and a death then restarts
	// at once.
	at(&m, now, event{kind: eStarted, pid: 30})
	now += 11 * time.Second
	if fx := at(&m, now, event{kind: eExited}); kinds(fx) != "stamp announce start poll" {
		t.Fatalf("death after RESET: %s", kinds(fx))
	}
	at(&m, now, event{kind: eStarted, pid: 31})
	if fx := at(&m, now+time.Millisecond, event{kind: eExited}); m.state != backoff {
		t.Fatalf("quick death after a reset: %s", kinds(fx))
	}
	if when, _ := m.timer(); when != now+time.Second {
		t.Fatalf("restart at %v, want MIN after the start (%v)", when, now+time.Second)
	}
	// u during the pause starts at once; d cancels it.
	if fx := at(&m, now+2*time.Millisecond, event{kind: eUp}); kinds(fx) != "announce start" {
		t.Fatalf("u during the pause: %s", kinds(fx))
	}
	at(&m, now+3*time.Millisecond, event{kind: eStarted, pid: 32}, event{kind: eExited})
	if fx := at(&m, now+4*time.Millisecond, event{kind: eDown}); kinds(fx) != "announce" || m.state != down {
		t.Fatalf("d during the pause: %s, state %d", kinds(fx), m.state)
	}
	if _, ok := m.timer(); ok {
		t.Fatal("d left the restart timer")
	}
}

func TestRestartLimit(t *testing.T) {
	m := newMachine(true)
	m.setConfig(config{limitDeaths: 2, limitWindow: 10 * time.Second, downSignal: syscall.SIGTERM}, true, &configReader{})
	now := time.Duration(0)
	for i := 0; i < 3; i++ {
		at(&m, now, event{kind: eStarted, pid: int32(10 + i)})
		now += time.Second
		fx := at(&m, now, event{kind: eExited, ws: 1 << 8})
		if i < 2 && kinds(fx) != "stamp announce start poll" {
			t.Fatalf("death %d: %s", i, kinds(fx))
		}
		if i == 2 && (kinds(fx) != "stamp announce poll" || m.state != failed) {
			t.Fatalf("third death in the window: %s, state %d", kinds(fx), m.state)
		}
	}
	var st Status
	m.status(&st)
	if st.Ext.Phase != PhaseFailed || st.Ext.Deaths != 3 || st.Ext.Window != 10 || st.Ext.Limit != 2 || st.Want != 'u' || st.Pid != 0 {
		t.Fatalf("status of a failed service: %+v", st)
	}
	if fx := at(&m, now, event{kind: eDown}); kinds(fx) != "announce" || m.state != failed {
		t.Fatalf("d on a failed service: %s, state %d", kinds(fx), m.state)
	}
	if fx := at(&m, now, event{kind: eUp}); kinds(fx) != "announce start" || len(m.x.deaths) != 0 {
		t.Fatalf("u on a failed service: %s, deaths %v", kinds(fx), m.x.deaths)
	}
	// Deaths far apart never add up.
	for i := 0; i < 5; i++ {
		at(&m, now, event{kind: eStarted, pid: int32(20 + i)})
		now += 11 * time.Second
		if at(&m, now, event{kind: eExited}); m.state == failed {
			t.Fatalf("failed after %d deaths 11 s apart", i+1)
		}
	}
	// Deaths while wanted down do not count.
	for i := 0; i < 5; i++ {
		at(&m, now, event{kind: eUp}, event{kind: eStarted, pid: int32(30 + i)}, event{kind: eDown})
		if at(&m, now, event{kind: eExited}); m.state == failed {
			t.Fatalf("failed after %d stops", i+1)
		}
	}
}

func TestParseConfig(t *testing.T) {
	for _, c := range []struct {
		in  string
		sig syscall.Signal
		ok  bool
	}{{"TERM", syscall.SIGTERM, true}, {"sigterm", syscall.SIGTERM, true}, {"SIGHUP", syscall.SIGHUP, true},
		{"9", syscall.SIGKILL, true}, {"SIG9", syscall.SIGKILL, true}, {"usr1", syscall.SIGUSR1, true},
		{"", 0, false}, {"TERM ", 0, false}, {"65", 0, false}, {"0", 0, false}, {"SIG", 0, false}, {"FOO", 0, false}} {
		sig, ok := parseSignal(c.in)
		if sig != c.sig || ok != c.ok {
			t.Errorf("parseSignal(%q) = %v %v, want %v %v", c.in, sig, ok, c.sig, c.ok)
		}
	}
	for _, c := range []struct {
		in string
		d  time.Duration
		ok bool
	}{{"1", time.Second, true}, {"0.5", 500 * time.Millisecond, true}, {".25", 250 * time.Millisecond, true}, {"2.", 2 * time.Second, true},
		{"", 0, false}, {".", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"3000000000", 0, false}} {
		d, ok := parseSeconds(c.in)
		if d != c.d || ok != c.ok {
			t.Errorf("parseSeconds(%q) = %v %v, want %v %v", c.in, d, ok, c.d, c.ok)
		}
	}
	for _, c := range []struct {
		file int
		in   string
		ok   bool
	}{{fileTimeoutKill, "5000\n", true}, {fileTimeoutKill, "5000", true}, {fileTimeoutKill, "abc", false}, {fileTimeoutKill, " 5", false},
		{fileTimeoutKill, "4294967296", false}, {fileBackoff, "1 60 300\n", true}, {fileBackoff, "0 60 300", false},
		{fileBackoff, "5 1 3", false}, {fileBackoff, "1 60", false}, {fileLimit, "5 60\n", true}, {fileLimit, "5 0", false},
		{fileLimit, "5000 60", false}, {fileDownSignal, "HUP\n", true}, {fileTimeoutFinish, "0", true}} {
		var cfg config
		if ok := cfg.parse(c.file, c.in); ok != c.ok {
			t.Errorf("%s %q: %v, want %v", configFiles[c.file], c.in, ok, c.ok)
		}
	}
}
