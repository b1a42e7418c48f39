package supervision

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/timefmt"
)

// A panic in one Supervisor, on its own goroutine or in work it hands
// to the shared worker, is reported and that supervisor restarted with
// its child; the other supervisors never notice.
func TestSupervisorPanicIsolated(t *testing.T) {
	victim := service(t, longRun, false)
	bystander := service(t, longRun, false)
	faultHook = func(s *Supervisor, c byte) {
		if s.dir != victim {
			return
		}
		switch c {
		case 'h':
			panic("injected fault")
		case 'a':
			offload(func() { panic("injected fault in the worker") })
		}
	}
	// Cleanups run last first: this one after the supervisors left.
	t.Cleanup(func() { faultHook = nil })
	report, host := &recorder{}, &recorder{}
	s := startWith(t, victim, Options{StandIn: true, Report: report, Host: host})
	b := startWith(t, bystander, Options{StandIn: true, Report: report, Host: host})
	vst := waitStatus(t, victim, "the victim up", func(st Status) bool { return st.Pid != 0 })
	bst := waitStatus(t, bystander, "the bystander up", func(st Status) bool { return st.Pid != 0 })
	// Deliberate: past the pause that follows the starts, which nothing
	// outside shows the end of, so that the count below is taken with
	// both supervisors parked in their reads.
	time.Sleep(startPause + 100*time.Millisecond)
	goroutines := runtime.NumGoroutine()

	for _, c := range "ha" {
		send(t, victim, string(c)+"p")
		// Restarted, it handles the p that followed the fault.
		st := waitStatus(t, victim, "the restarted supervisor to handle p", func(st Status) bool { return st.Paused == 1 })
		if st.Pid != vst.Pid || st.Stamp != vst.Stamp || !alive(st.Pid) {
			t.Fatalf("after the fault: %+v, want the same child %d", st, vst.Pid)
		}
		send(t, victim, "c")
		waitStatus(t, victim, "continue", func(st Status) bool { return st.Paused == 0 })
	}
	for _, want := range []string{
		"warning: supervisor of " + victim + " crashed, restarting it: injected fault",
		"warning: supervisor of " + victim + " crashed, restarting it: injected fault in the worker",
	} {
		if !host.has(want) {
			t.Errorf("the host heard %q, not %q", host, want)
		}
	}
	if report.String() != "" {
		t.Errorf("the supervisors reported %q", report)
	}
	// The restarted supervisor still owns its child: its exit is
	// noticed and it is restarted, and a command reaches the new one.
	send(t, victim, "t")
	st := waitStatus(t, victim, "a restart after t", func(st Status) bool { return st.Pid != 0 && st.Pid != vst.Pid })
	if alive(vst.Pid) {
		t.Errorf("pid %d alive after t", vst.Pid)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("%d goroutines, %d before the faults", g, goroutines)
	}
	if got := status(t, bystander); got != bst {
		t.Errorf("the bystander's status changed: %+v, was %+v", got, bst)
	}
	send(t, victim, "dx")
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the restarted supervisor did not leave after dx")
	}
	if alive(st.Pid) {
		t.Errorf("pid %d alive after dx", st.Pid)
	}
	select {
	case <-b.Done():
		t.Error("the bystander left")
	default:
	}
}

// The identity check behind adoption: a live process matches the stamp
// taken when it started, within the window, and nothing else does.
func TestSameProcess(t *testing.T) {
	now := timefmt.Now()
	me := os.Getppid() // a live process that is not this one
	start, ok := startedAt(me)
	if !ok {
		t.Fatal("no start time for the parent")
	}
	at := func(ns int64) timefmt.TAI64N {
		return timefmt.FromTime(time.Unix(0, ns))
	}
	for _, c := range []struct {
		off  time.Duration
		want bool
	}{{0, true}, {10 * time.Millisecond, true}, {-900 * time.Millisecond, true}, {1900 * time.Millisecond, true},
		{-1100 * time.Millisecond, false}, {2100 * time.Millisecond, false}, {time.Hour, false}} {
		if got := sameProcess(me, at(start+int64(c.off))); got != c.want {
			t.Errorf("stamp %v from the start: %v, want %v", c.off, got, c.want)
		}
	}
	if sameProcess(os.Getpid(), now) {
		t.Error("this process adopted itself")
	}
	if sameProcess(1<<22+1, now) {
		t.Error("a pid nobody has")
	}
}

// A Supervisor adopts a live process the status file names (which is
// not its child: here a grandchild whose parent has exited), signals it
// through its pidfd, notices its exit through the watcher and starts
// ./run in its place.
func TestSupervisorAdoptsSurvivor(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	os.Mkdir(filepath.Join(dir, "supervise"), 0o700)
	// sh forks sleep and exits: sleep is nobody's child here.
	pidfile := filepath.Join(dir, "survivor")
	r, err := procReaper.forkExec(nil, "/bin/sh", []string{"sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > " + pidfile}, &syscall.ProcAttr{Files: []uintptr{uintptr(devNull), uintptr(devNull), uintptr(devNull)}})
	if err != nil || r == 0 {
		t.Fatal(err)
	}
	var survivor int
	apptest.Poll(t, 10*time.Second, "the survivor", func() bool {
		b, _ := os.ReadFile(pidfile)
		n := 0
		for _, c := range strings.TrimSpace(string(b)) {
			n = n*10 + int(c-'0')
		}
		survivor = n
		return n > 0
	})
	t.Cleanup(func() { syscall.Kill(survivor, syscall.SIGKILL) })
	began, _ := startedAt(survivor)
	st := Status{Stamp: timefmt.FromTime(time.Unix(0, began+5e6)), Pid: uint32(survivor), Want: 'u', Paused: 0, State: StateRun}
	b := st.Encode()
	os.WriteFile(filepath.Join(dir, "supervise", "status"), b[:], 0o644)

	s := start(t, dir)
	got := status(t, dir)
	if got.Pid != uint32(survivor) || got.Stamp != st.Stamp {
		t.Fatalf("not adopted: %+v", got)
	}
	if s.Pid() != survivor {
		t.Fatalf("Pid() = %d", s.Pid())
	}
	send(t, dir, "k")
	next := waitStatus(t, dir, "./run in its place", func(st Status) bool { return st.Pid != 0 && st.Pid != uint32(survivor) })
	if alive(uint32(survivor)) {
		if state, _ := os.ReadFile("/proc/" + strconv.Itoa(survivor) + "/stat"); !strings.Contains(string(state), ") Z ") {
			t.Errorf("survivor %d alive after k", survivor)
		}
	}
	apptest.Poll(t, 10*time.Second, "./run to exec sleep", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(int(next.Pid)) + "/cmdline")
		return strings.HasPrefix(string(b), "sleep")
	})
}
