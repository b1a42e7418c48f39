package supervision

import (
	"strings"
	"syscall"
	"testing"
)

// The fuzzer drives the state machine the way Run does: every input
// byte is a control byte, except 0xff, which is the exit of the child.
const fuzzReap = 0xff

func checkStatus(t *testing.T, m *machine, when string) {
	var st Status
	m.status(&st)
	up := st.Pid != 0
	if up != (st.State == StateRun) || (!up && st.State != StateDown) {
		t.Fatalf("%s: pid %d with runit state %d", when, st.Pid, st.State)
	}
	if !up && (st.Paused != 0 || st.Term != 0) {
		t.Fatalf("%s: down but paused=%d term=%d", when, st.Paused, st.Term)
	}
	if st.Paused > 1 || st.Term > 1 {
		t.Fatalf("%s: flags %d %d", when, st.Paused, st.Term)
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

func runMachine(t *testing.T, normallyUp bool, in []byte) {
	m := newMachine(normallyUp)
	next := 100
	start := func() {
		if m.pid != 0 {
			t.Fatalf("start while up (pid %d)", m.pid)
		}
		next++
		m.started(next)
	}
	if m.want && m.wantUp {
		start()
	}
	checkStatus(t, &m, "start")
	for i, c := range in {
		if m.done() {
			return
		}
		if c == fuzzReap {
			if m.pid == 0 {
				continue
			}
			restart := m.reaped()
			checkStatus(t, &m, "reap")
			if restart && (m.exit || !m.want || !m.wantUp) {
				t.Fatalf("restart with exit=%v want=%v wantUp=%v", m.exit, m.want, m.wantUp)
			}
			if m.exit {
				return
			}
			if restart {
				start()
			}
			continue
		}
		before := m
		a := m.command(c)
		where := "byte " + string(rune(c)) + " at " + string(rune('0'+i%10))
		writes := strings.IndexByte("udopcx", c) >= 0
		if a.announce != writes {
			t.Fatalf("%s: announce=%v", where, a.announce)
		}
		if !writes && m != before {
			t.Fatalf("%s changed the state: %+v -> %+v", where, before, m)
		}
		if a.sigs[0] != 0 && before.pid == 0 {
			t.Fatalf("%s: signal %v while down", where, a.sigs[0])
		}
		if a.start && before.pid != 0 {
			t.Fatalf("%s: start while up", where)
		}
		if sig := signalFor(c); sig != 0 && before.pid != 0 && a.sigs[0] != sig {
			t.Fatalf("%s: sent %v, want %v", where, a.sigs[0], sig)
		}
		if c == 'd' && before.pid != 0 && a.sigs != [2]syscall.Signal{syscall.SIGTERM, syscall.SIGCONT} {
			t.Fatalf("d sent %v", a.sigs)
		}
		if a.start {
			start()
		}
		checkStatus(t, &m, where)
	}
}

func TestMachineSequences(t *testing.T) {
	for _, in := range []string{
		"dux", "d\xffx", "o\xff\xff", "pcpd\xffu", "x\xff", "tkhai12q\xff\xff", "zQ\n", "ou\xff",
	} {
		runMachine(t, true, []byte(in))
		runMachine(t, false, []byte(in))
	}
}

func TestMachineOnceThenExit(t *testing.T) {
	m := newMachine(true)
	m.started(7)
	m.command('o')
	var st Status
	m.status(&st)
	if st.Want != 0 {
		t.Fatalf("want byte %q after o, want 0", st.Want)
	}
	if m.reaped() {
		t.Fatal("restarted after o")
	}
	m.command('x')
	if !m.done() {
		t.Fatal("x while down does not leave")
	}
}

func FuzzControl(f *testing.F) {
	for _, s := range []string{"udopchaitkx", "dx", "\xff\xffu\xffd", "po\xffcu", "12q\xff"} {
		f.Add(true, []byte(s))
		f.Add(false, []byte(s))
	}
	f.Fuzz(func(t *testing.T, normallyUp bool, in []byte) {
		runMachine(t, normallyUp, in)
	})
}
