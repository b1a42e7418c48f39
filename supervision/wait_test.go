package supervision

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
)

func TestReached(t *testing.T) {
	stamp := timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000, Nano: 500}
	later := timefmt.TAI64N{Sec: stamp.Sec + 5, Nano: 500}
	ext := func(phase, flags byte, ready timefmt.TAI64N) Ext {
		return Ext{Present: true, Phase: phase, Flags: flags, Ready: ready}
	}
	var (
		dtDown  = Status{Stamp: stamp, Want: 'd'}
		dtUp    = Status{Stamp: stamp, Pid: 42, Want: 'u'}
		dtUp2   = Status{Stamp: later, Pid: 43, Want: 'u'}
		dtSame  = Status{Stamp: later, Pid: 42, Want: 'u'} // pid reused: the stamp tells
		rnFin   = Status{Stamp: stamp, Pid: 44, Want: 'u', Runit: true, State: StateFinish}
		rnUp    = Status{Stamp: later, Pid: 45, Want: 'u', Runit: true, State: StateRun}
		ourFin  = Status{Stamp: stamp, Pid: 46, Runit: true, State: StateFinish, Ext: ext(PhaseFinishing, 0, timefmt.TAI64N{})}
		starts  = Status{Stamp: later, Pid: 47, Runit: true, State: StateRun, Ext: ext(PhaseStarting, FlagReadiness, timefmt.TAI64N{})}
		ready   = Status{Stamp: later, Pid: 47, Runit: true, State: StateRun, Ext: ext(PhaseUp, FlagReadiness, later)}
		plainUp = Status{Stamp: later, Pid: 48, Runit: true, State: StateRun, Ext: ext(PhaseUp, 0, timefmt.TAI64N{})}
		stop    = Status{Stamp: later, Pid: 48, Runit: true, State: StateRun, Ext: ext(PhaseStopping, 0, timefmt.TAI64N{})}
	)
	cases := []struct {
		goal       byte
		before, st Status
		want       bool
		what       string
	}{
		{GoalUp, dtDown, dtUp, true, "daemontools up"},
		{GoalUp, dtDown, dtDown, false, "daemontools down"},
		{GoalUp, dtDown, rnFin, false, "runit's finish is not up"},
		{GoalUp, dtDown, ourFin, false, "our finish is not up"},
		{GoalUp, dtDown, starts, true, "starting is up"},
		{GoalUp, dtDown, stop, true, "stopping is still up"},
		{GoalReady, dtDown, dtUp, true, "no readiness method: ready when up"},
		{GoalReady, dtDown, plainUp, true, "ours without a method: ready when up"},
		{GoalReady, dtDown, starts, false, "not yet ready"},
		{GoalReady, dtDown, ready, true, "ready"},
		{GoalReady, dtDown, rnFin, false, "finishing is not ready"},
		{GoalDown, dtUp, dtDown, true, "down"},
		{GoalDown, dtUp, rnFin, true, "runit finishing counts as down"},
		{GoalDown, dtUp, ourFin, true, "our finishing counts as down"},
		{GoalDown, dtUp, stop, false, "stopping is not down"},
		{GoalSettled, dtUp, dtDown, true, "down, nothing runs"},
		{GoalSettled, dtUp, rnFin, false, "runit's finish still runs"},
		{GoalSettled, dtUp, ourFin, false, "our finish still runs"},
		{GoalRestarted, dtUp, dtUp, false, "the same run"},
		{GoalRestarted, dtUp, dtUp2, true, "another pid"},
		{GoalRestarted, dtUp, dtSame, true, "the same pid, another stamp"},
		{GoalRestarted, dtDown, dtUp, true, "started from down"},
		{GoalRestarted, dtUp, rnFin, false, "finishing between runs"},
		{GoalRestarted, rnFin, rnUp, true, "runit's next run"},
		{GoalRestReady, dtUp, starts, false, "restarted, not ready"},
		{GoalRestReady, dtUp, ready, true, "restarted and ready"},
		{GoalRestReady, ready, ready, false, "ready, but the same run"},
	}
	for _, c := range cases {
		if got := Reached(c.goal, &c.before, &c.st); got != c.want {
			t.Errorf("%c, %s: Reached = %v", c.goal, c.what, got)
		}
	}
	for _, c := range []byte("uUdDrR") {
		if !IsGoal(c) {
			t.Errorf("IsGoal(%q) = false", c)
		}
	}
	for _, c := range []byte("xXoO0 ") {
		if IsGoal(c) {
			t.Errorf("IsGoal(%q) = true", c)
		}
	}
}

func TestGaveUp(t *testing.T) {
	cases := []struct {
		st   Status
		want bool
	}{
		{Status{Want: 'u'}, false}, // daemontools' 18 bytes never say so
		{Status{Want: 'u', Ext: Ext{Present: true, Phase: PhaseFailed}}, true},
		{Status{Ext: Ext{Present: true, Phase: PhaseDown, Flags: FlagPermanent}}, true},
		{Status{Ext: Ext{Present: true, Phase: PhaseDown}}, false},                             // svc -o, exited
		{Status{Pid: 9, Ext: Ext{Present: true, Phase: PhaseUp, Flags: FlagPermanent}}, false}, // running again
		{Status{Want: 'u', Ext: Ext{Present: true, Phase: PhaseBackoff}}, false},
	}
	for _, c := range cases {
		if got := c.st.GaveUp(); got != c.want {
			t.Errorf("%+v: GaveUp = %v", c.st, got)
		}
	}
}

// fakeSupervisor is a service directory whose supervise/ok has a
// reader, as a running supervisor's has.
func fakeSupervisor(t *testing.T) (dir string, reader *os.File) {
	t.Helper()
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "supervise"), 0o700); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "supervise", "ok")
	if err := syscall.Mkfifo(ok, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(ok, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return dir, r
}

// announceAs writes a status as every supervisor does: status.new, then
// a rename.
func announceAs(t *testing.T, dir string, st Status) {
	t.Helper()
	b := st.Encode()
	tmp := filepath.Join(dir, "supervise", "status.new")
	if err := os.WriteFile(tmp, b[:], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "supervise", "status")); err != nil {
		t.Fatal(err)
	}
}

func TestWatchWakesOnRenameAndOnDeath(t *testing.T) {
	t.Parallel()
	a, ra := fakeSupervisor(t)
	b, _ := fakeSupervisor(t)
	announceAs(t, a, Status{Pid: 1})
	w, err := NewWatch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ia, err := w.Add(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := w.Add(b)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := w.Status(ia); err != nil || st.Pid != 1 {
		t.Fatalf("status of a: %+v, %v", st, err)
	}
	if _, err := w.Status(ib); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("status of b before its first write: %v", err)
	}
	// Nothing happens: the deadline ends the wait, and nothing else.
	start := time.Now()
	if got, err := w.Wait(start.Add(100 * time.Millisecond)); got != nil || err != nil {
		t.Fatalf("Wait with nothing to report: %v, %v", got, err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("Wait returned after %v, before its deadline", d)
	}
	// status.new alone is not a change; the rename is.
	go func() {
		time.Sleep(20 * time.Millisecond)
		os.WriteFile(filepath.Join(b, "supervise", "status.new"), []byte("x"), 0o644)
		time.Sleep(20 * time.Millisecond)
		announceAs(t, b, Status{Pid: 2})
	}()
	got, err := w.Wait(time.Now().Add(10 * time.Second))
	if err != nil || len(got) != 1 || got[0] != ib {
		t.Fatalf("Wait after b's rename: %v, %v", got, err)
	}
	if st, _ := w.Status(ib); st.Pid != 2 {
		t.Fatalf("b's new status: %+v", st)
	}
	// a's supervisor closes supervise/ok: POLLERR on our write end.
	ra.Close()
	got, err = w.Wait(time.Time{})
	if err != nil || len(got) != 1 || got[0] != ia || !w.Gone(ia) || w.Gone(ib) {
		t.Fatalf("Wait after a's supervisor left: %v, %v, gone %v %v", got, err, w.Gone(ia), w.Gone(ib))
	}
}

func TestWatchAddErrors(t *testing.T) {
	t.Parallel()
	w, err := NewWatch()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	var we *WatchError
	if _, err := w.Add(filepath.Join(dir, "missing")); !errors.As(err, &we) || we.Op != "open" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := w.Add(dir); !errors.As(err, &we) || we.Op != "watch" || we.Path != "supervise" {
		t.Errorf("no supervise/: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "supervise"), 0o700)
	if _, err := w.Add(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no supervise/ok: %v", err)
	}
	syscall.Mkfifo(filepath.Join(dir, "supervise", "ok"), 0o600)
	if _, err := w.Add(dir); !errors.Is(err, ErrNotRunning) {
		t.Errorf("supervise/ok without a reader: %v", err)
	}
}
