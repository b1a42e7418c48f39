package svctl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// svc -w against real supervisors. Every wait but the timed-out ones is
// given a long -T, so that a wait that never ends fails as a timeout
// (99) rather than hanging.

const longRun = "#!/bin/sh\nexec sleep 1000\n"

// A ./finish that runs until the test creates dir/release, so that
// "down while ./finish runs" can be looked at without racing it.
const heldFinish = "#!/bin/sh\nwhile [ ! -e release ]; do sleep 0.02; done\n"

func timedOut(dir string) string { return "svc: warning: timed out waiting for " + dir + "\n" }

func TestWaitOurs(t *testing.T) {
	t.Parallel()
	dir := newService(t, longRun, map[string]string{"down": "", "finish": heldFinish, "timeout-finish": "0\n"})
	sup := startSupervisor(t, superviseOurs(t), dir)

	client(t, "svc", "-wu", "-T", "20000", "-u", dir).expect(t, "-wu -u", 0, "")
	first := statusOf(dir)
	if !first.Running() {
		t.Fatalf("-wu returned with %+v", first)
	}
	apptest.KillAtCleanup(t, int(first.Pid))
	client(t, "svc", "-w", "u", "-T", "300", dir).expect(t, "-wu when up", 0, "")
	client(t, "svc", "-wU", "-T", "20000", dir).expect(t, "-wU without a readiness method", 0, "")

	// d returns while ./finish runs; D waits for it.
	client(t, "svc", "-wd", "-T", "20000", "-d", dir).expect(t, "-wd -d", 0, "")
	if st := statusOf(dir); st.Running() || !st.Finishing() {
		t.Fatalf("-wd returned with %+v, want ./finish running", st)
	}
	client(t, "svc", "-wD", "-T", "300", dir).expect(t, "-wD while ./finish runs", exitTimedOut, timedOut(dir))
	os.WriteFile(filepath.Join(dir, "release"), nil, 0o644)
	client(t, "svc", "-wD", "-T", "20000", dir).expect(t, "-wD", 0, "")
	if st := statusOf(dir); !st.Settled() {
		t.Fatalf("-wD returned with %+v", st)
	}
	client(t, "svc", "-wu", "-T", "300", dir).expect(t, "-wu on a service wanted down", exitTimedOut, timedOut(dir))

	// r: started from down, then restarted by t.
	client(t, "svc", "-wr", "-T", "20000", "-u", dir).expect(t, "-wr -u", 0, "")
	second := statusOf(dir)
	apptest.KillAtCleanup(t, int(second.Pid))
	client(t, "svc", "-wr", "-T", "20000", "-t", dir).expect(t, "-wr -t", 0, "")
	third := statusOf(dir)
	apptest.KillAtCleanup(t, int(third.Pid))
	if !third.Running() || third.Pid == second.Pid {
		t.Fatalf("-wr -t returned with %+v, before it %+v", third, second)
	}
	client(t, "svc", "-wR", "-T", "20000", "-t", dir).expect(t, "-wR -t", 0, "")
	if st := statusOf(dir); !st.Running() || st.Pid == third.Pid {
		t.Fatalf("-wR -t returned with %+v", st)
	}

	// -dx: the supervisor writes the last status and leaves.
	client(t, "svc", "-wD", "-T", "20000", "-dx", dir).expect(t, "-wD -dx", 0, "")
	sup.Wait(t, 20*time.Second)
	client(t, "svc", "-wu", dir).expect(t, "-wu with no supervisor", exitTrouble,
		"svc: warning: unable to control "+dir+": supervise not running\n")
}

func TestWaitDebian(t *testing.T) {
	t.Parallel()
	dir := newService(t, longRun, map[string]string{"down": ""})
	startSupervisor(t, superviseDebian(t), dir)
	client(t, "svc", "-wu", "-T", "20000", "-u", dir).expect(t, "-wu -u", 0, "")
	first := statusOf(dir)
	if !first.Running() || first.Runit {
		t.Fatalf("-wu returned with %+v", first)
	}
	client(t, "svc", "-wU", "-T", "20000", dir).expect(t, "-wU", 0, "")
	client(t, "svc", "-wr", "-T", "20000", "-t", dir).expect(t, "-wr -t", 0, "")
	if st := statusOf(dir); !st.Running() || st.Pid == first.Pid {
		t.Fatalf("-wr -t returned with %+v, before it %+v", st, first)
	}
	client(t, "svc", "-wd", "-T", "20000", "-d", dir).expect(t, "-wd -d", 0, "")
	if st := statusOf(dir); st.Pid != 0 {
		t.Fatalf("-wd returned with %+v", st)
	}
	client(t, "svc", "-wD", "-T", "20000", dir).expect(t, "-wD", 0, "")
	client(t, "svc", "-wr", "-T", "300", dir).expect(t, "-wr on a service wanted down", exitTimedOut, timedOut(dir))
}

func TestWaitRunit(t *testing.T) {
	t.Parallel()
	dir := newService(t, longRun, map[string]string{"down": "", "finish": heldFinish})
	startSupervisor(t, superviseRunit(t), dir)
	client(t, "svc", "-wu", "-T", "20000", "-u", dir).expect(t, "-wu -u", 0, "")
	first := statusOf(dir)
	if !first.Running() || !first.Runit {
		t.Fatalf("-wu returned with %+v", first)
	}
	client(t, "svc", "-wd", "-T", "20000", "-d", dir).expect(t, "-wd -d", 0, "")
	if st := statusOf(dir); st.State != supervision.StateFinish {
		t.Fatalf("-wd returned with %+v, want runit's finish state", st)
	}
	client(t, "svc", "-wD", "-T", "300", dir).expect(t, "-wD while ./finish runs", exitTimedOut, timedOut(dir))
	os.WriteFile(filepath.Join(dir, "release"), nil, 0o644)
	client(t, "svc", "-wD", "-T", "20000", dir).expect(t, "-wD", 0, "")
	client(t, "svc", "-wr", "-T", "20000", "-u", dir).expect(t, "-wr -u", 0, "")
	second := statusOf(dir)
	client(t, "svc", "-wr", "-T", "20000", "-t", dir).expect(t, "-wr -t", 0, "")
	if st := statusOf(dir); !st.Running() || st.Pid == second.Pid {
		t.Fatalf("-wr -t returned with %+v, before it %+v", st, second)
	}
}

// Several directories: the wait is for all of them, and a timeout names
// those that did not get there.
func TestWaitSeveral(t *testing.T) {
	t.Parallel()
	a := newService(t, longRun, map[string]string{})
	b := newService(t, longRun, map[string]string{"down": ""})
	startSupervisor(t, superviseOurs(t), a)
	startSupervisor(t, superviseDebian(t), b)
	waitStatus(t, a, "a up", func(st supervision.Status) bool { return st.Running() })
	client(t, "svc", "-wu", "-T", "500", a, b).expect(t, "-wu a b", exitTimedOut, timedOut(b))
	client(t, "svc", "-wu", "-T", "20000", "-u", a, b).expect(t, "-wu -u a b", 0, "")
	waitStatus(t, b, "b up", func(st supervision.Status) bool { return st.Running() })
	// A directory that cannot be reached: the others get their
	// commands, and svc exits 111 without waiting.
	missing := filepath.Join(t.TempDir(), "missing")
	r := client(t, "svc", "-wd", "-d", a, missing, b)
	r.expect(t, "-wd with a missing dir", exitTrouble, "svc: warning: unable to chdir to "+missing+": file does not exist\n")
	waitStatus(t, a, "a down", func(st supervision.Status) bool { return st.Pid == 0 })
	waitStatus(t, b, "b down", func(st supervision.Status) bool { return st.Pid == 0 })
}

// startWaiting starts svc with args and returns once it waits: one of
// its threads is in epoll_wait, which it enters only once it has read
// every status and sent its commands.
func startWaiting(t *testing.T, dir string, args ...string) (*apptest.Proc, *apptest.SyncBuffer) {
	t.Helper()
	cmd := exec.Command(filepath.Join(apptest.BinDir(t), "svc"), args...)
	cmd.Env = apptest.Env()
	p := apptest.Start(t, cmd)
	apptest.Poll(t, 20*time.Second, "svc waiting on "+dir, func() bool { return inEpollWait(p.Pid()) })
	return p, p.Stderr
}

// sysEpollPwait is epoll_pwait's number on linux/amd64, the call
// golang.org/x/sys makes for EpollWait.
const sysEpollPwait = 281

// inEpollWait reports whether a thread of process pid waits in
// supervision.Watch's epoll set: in epoll_pwait on a set that holds an
// inotify descriptor (the runtime's own poller holds none).
func inEpollWait(pid int) bool {
	proc := "/proc/" + strconv.Itoa(pid)
	tasks, _ := os.ReadDir(proc + "/task")
	for _, task := range tasks {
		b, _ := os.ReadFile(proc + "/task/" + task.Name() + "/syscall")
		f := strings.Fields(string(b))
		if len(f) < 2 || f[0] != strconv.Itoa(sysEpollPwait) {
			continue
		}
		epfd, err := strconv.ParseInt(f[1], 0, 64)
		if err != nil {
			continue
		}
		info, _ := os.ReadFile(proc + "/fdinfo/" + strconv.FormatInt(epfd, 10))
		for _, line := range strings.Split(string(info), "\n") {
			if w := strings.Fields(line); len(w) >= 2 && w[0] == "tfd:" {
				if l, _ := os.Readlink(proc + "/fd/" + w[1]); l == "anon_inode:inotify" {
					return true
				}
			}
		}
	}
	return false
}

// readCalls counts the read system calls process pid has made.
func readCalls(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// A supervisor that dies during the wait ends it: 111.
func TestWaitSupervisorDies(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{superviseOurs(t), superviseDebian(t), superviseRunit(t)} {
		dir := newService(t, longRun, map[string]string{"down": ""})
		sup := startSupervisor(t, prog, dir)
		p, stderr := startWaiting(t, dir, "-wu", dir)
		sup.Kill()
		err := p.Wait(t, 20*time.Second)
		want := "svc: warning: unable to wait for " + dir + ": supervise not running\n"
		if code := apptest.ExitCode(err); code != exitTrouble || stderr.String() != want {
			t.Errorf("%s killed: svc exit %d, stderr %q; want %d, %q", prog, code, stderr, exitTrouble, want)
		}
	}
}

// waitSwitches counts the context switches of every thread of pid.
func waitSwitches(pid int) int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	n := 0
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/status")
		n += apptest.ParseStatusField(string(b), "voluntary_ctxt_switches")
		n += apptest.ParseStatusField(string(b), "nonvoluntary_ctxt_switches")
	}
	return n
}

// svc -w does not poll: while nothing changes, none of its threads
// runs. The same count shows runit's sv -w, which polls, running.
func TestWaitDoesNotPoll(t *testing.T) {
	t.Parallel()
	dir := newService(t, longRun, map[string]string{})
	startSupervisor(t, superviseOurs(t), dir)
	waitStatus(t, dir, "up", func(st supervision.Status) bool { return st.Running() })
	p, _ := startWaiting(t, dir, "-wd", "-T", "60000", dir)
	// The Go runtime's monitor thread backs off for a few milliseconds
	// after the last goroutine blocks before it sleeps for good: the
	// count starts after that.
	time.Sleep(time.Second)
	quiet := func(pid int) int {
		before := waitSwitches(pid)
		time.Sleep(2 * time.Second)
		return waitSwitches(pid) - before
	}
	if n := quiet(p.Pid()); n > 1 {
		t.Errorf("svc -wd switched %d times in 2 s of waiting", n)
	}
	if p.Exited() {
		t.Fatal("svc -wd exited while the service was up")
	}
	client(t, "svc", "-d", dir)
	if err := p.Wait(t, 20*time.Second); err != nil {
		t.Errorf("svc -wd after svc -d: %v", err)
	}

	// runit's sv -w polls (every 420 ms), so the count sees it.
	sv := apptest.Debian(t, "sv")
	r := newService(t, longRun, map[string]string{"down": "", "check": "#!/bin/sh\nexit 1\n"})
	startSupervisor(t, superviseRunit(t), r)
	cmd := exec.Command(sv, "-w", "30", "up", r)
	poller := apptest.Start(t, cmd)
	time.Sleep(300 * time.Millisecond)
	if n := quiet(poller.Pid()); n < 3 {
		t.Errorf("sv -w up switched only %d times in 2 s: the count does not see a poller", n)
	}
}

// fake is a supervisor played by the test: it holds supervise/ok and
// supervise/control open and writes the status it is told to, so that
// states our supervise does not reach yet (readiness) and exact
// sequences can be waited for.
type fake struct {
	t   *testing.T
	dir string
	ok  *os.File
}

func newFake(t *testing.T) *fake {
	dir := filepath.Join(t.TempDir(), "s")
	os.MkdirAll(filepath.Join(dir, "supervise"), 0o755)
	f := &fake{t: t, dir: dir}
	for _, name := range []string{"ok", "control"} {
		path := filepath.Join(dir, "supervise", name)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		// Read and write: the open does not block, and control never
		// fills up in these tests.
		fd, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fd.Close() })
		if name == "ok" {
			f.ok = fd
		}
	}
	return f
}

func (f *fake) announce(st supervision.Status) {
	f.t.Helper()
	b := st.Encode()
	tmp := filepath.Join(f.dir, "supervise", "status.new")
	if err := os.WriteFile(tmp, b[:], 0o644); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(f.dir, "supervise", "status")); err != nil {
		f.t.Fatal(err)
	}
}

func extStatus(pid uint32, phase, flags byte) supervision.Status {
	st := supervision.Status{Stamp: timefmt.Now(), Pid: pid, Want: 'u', Runit: true, State: supervision.StateRun}
	if pid == 0 {
		st.State = supervision.StateDown
	}
	st.Ext = supervision.Ext{Present: true, Phase: phase, Flags: flags}
	return st
}

func TestWaitReadiness(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	starting := extStatus(100, supervision.PhaseStarting, supervision.FlagReadiness)
	f.announce(starting)
	client(t, "svc", "-wu", "-T", "20000", f.dir).expect(t, "-wu while starting", 0, "")
	client(t, "svc", "-wU", "-T", "300", f.dir).expect(t, "-wU while starting", exitTimedOut, timedOut(f.dir))

	p, stderr := startWaiting(t, f.dir, "-wU", "-T", "20000", f.dir)
	ready := starting
	ready.Ext.Phase, ready.Ext.Ready = supervision.PhaseUp, timefmt.Now()
	f.announce(ready)
	if err := p.Wait(t, 20*time.Second); err != nil || stderr.String() != "" {
		t.Errorf("-wU once ready: %v, %q", err, stderr)
	}

	// R: a new run that is ready, not the one seen before.
	p, stderr = startWaiting(t, f.dir, "-wR", "-T", "20000", f.dir)
	next := extStatus(101, supervision.PhaseStarting, supervision.FlagReadiness)
	f.announce(next)
	f.announce(ready) // the old run again: not restarted
	next.Ext.Phase, next.Ext.Ready = supervision.PhaseUp, timefmt.Now()
	f.announce(next)
	if err := p.Wait(t, 20*time.Second); err != nil || stderr.String() != "" {
		t.Errorf("-wR once the new run is ready: %v, %q", err, stderr)
	}
}

// A service that has given up will not come up: waiting for it ends at
// once, unless the commands sent ask it up again, in which case the
// failure counts only once it has been seen out of it.
func TestWaitGivenUp(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	failed := extStatus(0, supervision.PhaseFailed, 0)
	failed.Ext.Deaths, failed.Ext.Window, failed.Ext.Limit = 4, 60, 3
	f.announce(failed)
	msg := "svc: warning: " + f.dir + " failed: restart-limit: 4 deaths in 60 seconds\n"
	client(t, "svc", "-wu", "-T", "20000", f.dir).expect(t, "-wu on a failed service", exitTrouble, msg)
	client(t, "svc", "-wd", "-T", "20000", f.dir).expect(t, "-wd on a failed service", 0, "")
	// The fake does not act on u: the failure it shows is the old one.
	client(t, "svc", "-wu", "-u", "-T", "300", f.dir).expect(t, "-wu -u on a stale failure", exitTimedOut, timedOut(f.dir))

	p, stderr := startWaiting(t, f.dir, "-wU", "-u", "-T", "20000", f.dir)
	seen := readCalls(p.Pid())
	f.announce(extStatus(0, supervision.PhaseBackoff, 0))
	// svc must have read the backoff before the next status replaces
	// it: two reads (the event, the status) and back to waiting.
	apptest.Poll(t, 20*time.Second, "svc reading the backoff", func() bool {
		return readCalls(p.Pid()) >= seen+2 && inEpollWait(p.Pid())
	})
	f.announce(failed)
	err := p.Wait(t, 20*time.Second)
	if code := apptest.ExitCode(err); code != exitTrouble || stderr.String() != msg {
		t.Errorf("-wU -u, failing again: exit %d, %q", code, stderr)
	}

	permanent := extStatus(0, supervision.PhaseDown, supervision.FlagPermanent)
	permanent.Want = 0
	f.announce(permanent)
	client(t, "svc", "-wr", "-T", "20000", f.dir).expect(t, "-wr after finish exited 125", exitTrouble,
		"svc: warning: "+f.dir+" failed: finish exited 125\n")
}

func TestWaitUsage(t *testing.T) {
	t.Parallel()
	usage := "svc: usage: svc -w u|U|d|D|r|R [-T ms] [-udopchaitkx] dir...\n"
	options := "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n"
	dir := t.TempDir()
	client(t, "svc", "-w", "x", dir).expect(t, "-w x", 100, usage)
	client(t, "svc", "-w", "uu", dir).expect(t, "-w uu", 100, usage)
	client(t, "svc", "-wu", "-T", "1s", dir).expect(t, "-T 1s", 100, usage)
	client(t, "svc", "-T", "100", dir).expect(t, "-T without -w", 100, usage)
	client(t, "svc", "-w").expect(t, "-w alone", 100, "svc: option requires an argument -- w\n"+options)
	client(t, "svc", "-z", dir).expect(t, "an unknown option", 100, "svc: illegal option -- z\n"+options)
	// No directory: nothing to wait for.
	client(t, "svc", "-wu").expect(t, "-wu and no dir", 0, "")
	if r := client(t, "svc", "-wu", "-T", "100", dir); r.code != exitTrouble || !strings.Contains(r.stderr, "unable to control "+dir) {
		t.Errorf("-wu on a directory with no supervise/: %+v", r)
	}
}
