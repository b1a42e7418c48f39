package supervision

import (
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
)

// handedSupervisor is a Supervisor in the middle of things, with an
// extension whose every field is set: what a live upgrade hands over.
func handedSupervisor() *Supervisor {
	s := &Supervisor{dir: "/service/web", dirfd: 3, lockfd: 4, okfd: 5, ctlfd: 6, controlW: 7, stdio: [3]int32{0, 8, 2}, pidfd: -1}
	s.standIn = true
	m := &s.m
	m.state, m.want, m.wantUp, m.paused, m.term, m.due = finishing, true, true, true, true, true
	m.exitHow, m.exitValue = 2, 15
	s.stamp = timefmt.TAI64N{Sec: 4611686020000000000, Nano: 123456789}
	s.ws, s.pending = 0x0f00, 3
	x := &extension{}
	x.cfg = config{finish: true, timeoutFinish: 5 * time.Second, downSignal: syscall.SIGHUP, timeoutKill: 2 * time.Second,
		backoffMin: time.Second, backoffMax: time.Minute, backoffReset: 10 * time.Second, limitDeaths: 5, limitWindow: time.Minute,
		notifyFD: 3, check: true, sdNotify: true, watchdog: 30 * time.Second, notifySocket: "@web", cgroup: true, treeExit: true}
	x.reader.warned[0] = "x\n"
	t := now()
	x.timer, x.startedAt, x.restartAt, x.readyAt = t+time.Second, t-time.Minute, t+2*time.Second, t-30*time.Second
	x.pause, x.checkDelay = 4*time.Second, 80*time.Millisecond
	x.deaths = []time.Duration{t - 50*time.Second, t - 10*time.Second}
	x.pgid, x.permanent, x.ending, x.ready, x.bitten, x.checkWarned = 4242, true, true, true, true, true
	x.readyWall = timefmt.TAI64N{Sec: 4611686020000000001, Nano: 5}
	x.io = notifyIO{pipe: 9, sock: 10, addr: "/run/web.sock", path: "/run/web.sock"}
	x.cg = cgroupState{dir: "/sys/fs/cgroup/daemontools/1-2", run: "/sys/fs/cgroup/daemontools/1-2/run3", runs: 3}
	x.mail = mailbox{ready: true, notice: true, stopping: true, text: "serving", checked: true, checkWS: 0x100}
	m.x = x
	return s
}

// Every field a supervisor is made of crosses the handover; the times
// kept on the monotonic clock are passed as offsets from now, and come
// back within the time the test takes.
func TestHandoverRoundTrip(t *testing.T) {
	s := handedSupervisor()
	var e encoder
	s.encode(&e)
	d := &decoder{b: e.b}
	got := decodeSupervisor(d)
	if d.err != nil {
		t.Fatal(d.err)
	}
	if len(d.b) != 0 {
		t.Fatalf("%d bytes left over", len(d.b))
	}
	if got.dir != s.dir || got.dirfd != s.dirfd || got.lockfd != s.lockfd || got.okfd != s.okfd || got.ctlfd != s.ctlfd ||
		got.controlW != s.controlW || got.stdio != s.stdio || got.pidfd != s.pidfd || got.standIn != s.standIn ||
		got.stamp != s.stamp || got.ws != s.ws || got.pending != s.pending || got.live != s.live {
		t.Errorf("supervisor: got %+v, want %+v", got, s)
	}
	gm, sm := got.m, s.m
	gm.x, sm.x = nil, nil
	if gm != sm {
		t.Errorf("machine: got %+v, want %+v", gm, sm)
	}
	gx, sx := got.m.x, s.m.x
	near := func(name string, a, b time.Duration) {
		if d := a - b; d < -time.Second || d > time.Second {
			t.Errorf("%s: got %v, want %v", name, a, b)
		}
	}
	near("timer", gx.timer, sx.timer)
	near("startedAt", gx.startedAt, sx.startedAt)
	near("restartAt", gx.restartAt, sx.restartAt)
	near("readyAt", gx.readyAt, sx.readyAt)
	if len(gx.deaths) != len(sx.deaths) {
		t.Fatalf("deaths: got %v, want %v", gx.deaths, sx.deaths)
	}
	for i := range gx.deaths {
		near("death", gx.deaths[i], sx.deaths[i])
	}
	gx.timer, gx.startedAt, gx.restartAt, gx.readyAt, gx.deaths = 0, 0, 0, 0, nil
	sx.timer, sx.startedAt, sx.restartAt, sx.readyAt, sx.deaths = 0, 0, 0, 0, nil
	if !reflect.DeepEqual(gx, sx) {
		t.Errorf("extension:\n got %+v\nwant %+v", gx, sx)
	}
}

// A handover cut short anywhere is an error, never a panic or a
// supervisor made of half of one.
func TestHandoverTruncated(t *testing.T) {
	var e encoder
	handedSupervisor().encode(&e)
	for n := range len(e.b) {
		d := &decoder{b: e.b[:n]}
		decodeSupervisor(d)
		if d.err == nil {
			t.Fatalf("a handover cut to %d of %d bytes decoded", n, len(e.b))
		}
	}
	sc := NewScanner()
	if sc.resume([]byte{0x80}) {
		t.Error("a body of one broken varint resumed")
	}
}

// handoverMemfd makes the memfd an old svscan would hand over: the
// head with version and fds, then body.
func handoverMemfd(t *testing.T, version uint16, fds []int32, body []byte) int {
	t.Helper()
	b := []byte(handoverMagic)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fds)))
	for _, fd := range fds {
		b = binary.LittleEndian.AppendUint32(b, uint32(fd))
	}
	mfd, err := sealed(append(b, body...))
	if err != nil {
		t.Fatal(err)
	}
	return mfd
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// A handover of another version is not read: every descriptor it
// lists is closed, one warning says why, and the scanner starts from
// nothing (its first scan adopts the services, as after kill -9).
func TestResumeOtherVersion(t *testing.T) {
	for _, c := range []struct {
		name    string
		version uint16
		body    []byte
		warning string
	}{
		{"newer", handoverVersion + 1, []byte("whatever a later version writes"),
			"warning: taking the services over one by one: the handover of the upgrade is of version "},
		{"garbled", handoverVersion, []byte{0x80},
			"warning: taking the services over one by one: unable to read the handover of the upgrade: malformed handover"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			mfd := handoverMemfd(t, c.version, []int32{int32(p[0]), int32(p[1])}, c.body)
			defer unix.Close(mfd)
			t.Setenv(HandoverEnv, itoa(mfd))
			rec := &recorder{}
			sc, ok := ResumeScanner(rec, rec)
			if !ok || sc == nil {
				t.Fatal("no scanner")
			}
			if len(sc.entries) != 0 {
				t.Errorf("%d entries taken over", len(sc.entries))
			}
			if isOpen(p[0]) || isOpen(p[1]) {
				t.Error("the descriptors handed over are still open")
			}
			if !strings.HasPrefix(rec.String(), c.warning) || strings.Count(rec.String(), "\n") != 0 {
				t.Errorf("said %q, want one line starting %q", rec.String(), c.warning)
			}
			if _, set := syscall.Getenv(HandoverEnv); set {
				t.Error(HandoverEnv + " is left for the services")
			}
		})
	}
	t.Run("not a descriptor", func(t *testing.T) {
		t.Setenv(HandoverEnv, "x")
		rec := &recorder{}
		if sc, ok := ResumeScanner(rec, rec); !ok || sc == nil || rec.String() != "warning: ignoring "+HandoverEnv+"=x" {
			t.Errorf("said %q", rec.String())
		}
	})
	t.Run("none", func(t *testing.T) {
		os.Unsetenv(HandoverEnv)
		if sc, ok := ResumeScanner(nil, nil); ok || sc != nil {
			t.Error("a scanner resumed from no handover")
		}
	})
}

// The signals an old svscan had caught and not acted on reach the new
// one, in order; the variables naming them do not reach the services.
func TestHandoverSignals(t *testing.T) {
	ch := CatchSignals()
	for len(ch) > 0 {
		<-ch
	}
	ch <- syscall.SIGTERM
	ch <- syscall.SIGHUP
	list, sigs := pendingSignals()
	if list != "15,1" || len(sigs) != 2 || len(ch) != 0 {
		t.Fatalf("pending: %q %v", list, sigs)
	}
	env := withoutHandover([]string{"A=1", HandoverEnv + "=5", HandoverSignalsEnv + "=" + list, HandoverEnv + "X=2"})
	if !reflect.DeepEqual(env, []string{"A=1", HandoverEnv + "X=2"}) {
		t.Errorf("environment of the new program: %q", env)
	}
	t.Setenv(HandoverSignalsEnv, list+",junk,99")
	replaySignals()
	if _, set := syscall.Getenv(HandoverSignalsEnv); set {
		t.Error(HandoverSignalsEnv + " is left for the services")
	}
	var got []os.Signal
	for len(ch) > 0 {
		got = append(got, <-ch)
	}
	if !reflect.DeepEqual(got, []os.Signal{syscall.SIGTERM, syscall.SIGHUP}) {
		t.Errorf("replayed %v", got)
	}
	// A failed exec puts them back.
	putBack(sigs)
	if len(ch) != 2 {
		t.Errorf("%d put back", len(ch))
	}
	for len(ch) > 0 {
		<-ch
	}
}
