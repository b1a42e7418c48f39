package supervision

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"golang.org/x/sys/unix"
)

// These tests run Supervisors in the test process, so they must not use
// os/exec: the reaper owns every child of this process.

const longRun = "#!/bin/sh\nexec sleep 1000\n"

func service(t testing.TB, run string, down bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "svc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if run != "" {
		if err := os.WriteFile(filepath.Join(dir, "run"), []byte(run), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if down {
		if err := os.WriteFile(filepath.Join(dir, "down"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var devNull = func() int {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	return fd
}()

// recorder is a Reporter that keeps what it hears, as lines in
// daemontools' format without the program's name.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(kind, msg string, err error) {
	if err != nil {
		msg += ": " + err.Error()
	}
	r.mu.Lock()
	r.lines = append(r.lines, kind+": "+msg)
	r.mu.Unlock()
}

func (r *recorder) Warn(msg string, err error)  { r.add("warning", msg, err) }
func (r *recorder) Fatal(msg string, err error) { r.add("fatal", msg, err) }

func (r *recorder) has(line string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if l == line {
			return true
		}
	}
	return false
}

// all returns a copy of what was heard so far.
func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// start runs a Supervisor on dir and, at cleanup, brings it down and
// waits for it to leave.
func start(t testing.TB, dir string) *Supervisor {
	t.Helper()
	return startWith(t, dir, Options{StandIn: true})
}

// startWith is start with options; the child's stdio is /dev/null.
func startWith(t testing.TB, dir string, opt Options) *Supervisor {
	t.Helper()
	opt.Stdio = []int{devNull, devNull, devNull}
	s, err := New(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	go s.Run()
	t.Cleanup(func() {
		select {
		case <-s.Done():
			return
		default:
		}
		send(t, dir, "dx")
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("supervisor of %s did not leave after dx", dir)
		}
	})
	return s
}

func send(t testing.TB, dir, cmds string) {
	t.Helper()
	fd, err := syscall.Open(filepath.Join(dir, "supervise/control"), syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("opening control: %v", err)
	}
	defer syscall.Close(fd)
	if n, err := syscall.Write(fd, []byte(cmds)); err != nil || n != len(cmds) {
		t.Fatalf("writing %q: %d %v", cmds, n, err)
	}
}

func status(t testing.TB, dir string) Status {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "supervise/status"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < StatusSize {
		t.Fatalf("status is %d bytes", len(b))
	}
	st, err := DecodeStatus(b)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func waitStatus(t testing.TB, dir, what string, cond func(Status) bool) Status {
	t.Helper()
	var st Status
	apptest.Poll(t, 10*time.Second, what, func() bool {
		st = status(t, dir)
		return cond(st)
	})
	return st
}

func inode(t testing.TB, dir string) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, "supervise/status"), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// alive is apptest.Alive for a Status.Pid.
func alive(pid uint32) bool { return apptest.Alive(int(pid)) }

func TestSupervisorFiles(t *testing.T) {
	t.Parallel()
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := service(t, longRun, false)
	start(t, dir)
	st := waitStatus(t, dir, "the service to start", func(st Status) bool { return st.Pid != 0 })
	if st.Want != 'u' || st.State != StateRun || st.Paused != 0 {
		t.Errorf("status %+v", st)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "supervise"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		info, _ := e.Info()
		got = append(got, e.Name()+" "+info.Mode().String())
	}
	sort.Strings(got)
	want := "control prw-------,lock -rw-------,ok prw-------,status -rw-r--r--"
	if strings.Join(got, ",") != want {
		t.Errorf("supervise/ holds %v\nwant %v", got, want)
	}
	info, _ := os.Stat(filepath.Join(dir, "supervise"))
	if info.Mode().String() != "drwx------" {
		t.Errorf("supervise/ is %v", info.Mode())
	}
	// The lock is taken: a second Supervisor fails as the reference does.
	_, err = New(dir, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Msg != "unable to acquire "+dir+"/supervise/lock" || e.Err != syscall.EAGAIN {
		t.Errorf("second New: %v", err)
	}
}

func TestSupervisorCommands(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	s := start(t, dir)
	st := waitStatus(t, dir, "start", func(st Status) bool { return st.Pid != 0 })
	first := st.Pid

	send(t, dir, "t")
	st = waitStatus(t, dir, "restart after t", func(st Status) bool { return st.Pid != 0 && st.Pid != first })
	if alive(first) {
		t.Errorf("pid %d still alive after t", first)
	}
	second := st.Pid

	send(t, dir, "p")
	st = waitStatus(t, dir, "pause", func(st Status) bool { return st.Paused == 1 })
	if st.Pid != second || st.Stamp != status(t, dir).Stamp {
		t.Errorf("pause changed pid or stamp: %+v", st)
	}
	send(t, dir, "c")
	waitStatus(t, dir, "continue", func(st Status) bool { return st.Paused == 0 })

	send(t, dir, "o")
	waitStatus(t, dir, "want byte 0 after o", func(st Status) bool { return st.Want == 0 && st.Pid == second })
	send(t, dir, "k")
	st = waitStatus(t, dir, "down after k with o", func(st Status) bool { return st.Pid == 0 })
	if st.Want != 0 || st.State != StateDown {
		t.Errorf("after o and k: %+v", st)
	}

	send(t, dir, "u")
	st = waitStatus(t, dir, "up after u", func(st Status) bool { return st.Pid != 0 })
	third := st.Pid
	send(t, dir, "d")
	st = waitStatus(t, dir, "down after d", func(st Status) bool { return st.Pid == 0 })
	if st.Want != 'd' || alive(third) {
		t.Errorf("after d: %+v alive=%v", st, alive(third))
	}
	// Unknown bytes change nothing.
	send(t, dir, "zQ\n")
	send(t, dir, "x")
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("x while down did not leave")
	}
	if fd, err := syscall.Open(filepath.Join(dir, "supervise/ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err != syscall.ENXIO {
		syscall.Close(fd)
		t.Errorf("ok still has a reader after exit: %v", err)
	}
}

// The status file is written at start-up and after the start, and not
// again when the pause after the start ends (the reference writes it
// twice in all; every write is a new inode).
func TestSupervisorStartWritesStatusTwice(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	start(t, dir)
	waitStatus(t, dir, "start", func(st Status) bool { return st.Pid != 0 })
	ino := inode(t, dir)
	// Deliberate: nothing is to happen, and nothing shows that the
	// pause has ended, so wait past it.
	time.Sleep(startPause + 300*time.Millisecond)
	if inode(t, dir) != ino {
		t.Error("status rewritten after the pause that follows a start")
	}
}

// x with the service up leaves only once the service is down, and never
// restarts it.
func TestSupervisorExitWaitsForDown(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	s := start(t, dir)
	st := waitStatus(t, dir, "start", func(st Status) bool { return st.Pid != 0 })
	// x rewrites the status file without changing it; the p after it
	// shows when both were handled (after the pause that follows a start).
	send(t, dir, "xp")
	waitStatus(t, dir, "x and p to be handled", func(st Status) bool { return st.Paused == 1 })
	send(t, dir, "c")
	select {
	case <-s.Done():
		t.Fatal("left on x while the service was up")
	default:
	}
	if !alive(st.Pid) {
		t.Fatal("x stopped the service")
	}
	syscall.Kill(int(st.Pid), syscall.SIGTERM)
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("did not leave once the service was down")
	}
	if st := status(t, dir); st.Pid != 0 {
		t.Errorf("restarted after x: %+v", st)
	}
}

func TestSupervisorNormallyDown(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, true)
	start(t, dir)
	st := status(t, dir)
	if st.Pid != 0 || st.Want != 'd' {
		t.Fatalf("normally down service: %+v", st)
	}
	// down is read only at start-up.
	os.Remove(filepath.Join(dir, "down"))
	send(t, dir, "o")
	st = waitStatus(t, dir, "o to start it", func(st Status) bool { return st.Pid != 0 })
	if st.Want != 0 {
		t.Errorf("want byte %q after o", st.Want)
	}
}

func TestSupervisorRunMissing(t *testing.T) {
	t.Parallel()
	dir := service(t, "", false)
	start(t, dir)
	// As with the reference, a child reports the failure and exits 111:
	// the service is announced up with its pid, then restarted about
	// once a second.
	var first uint32
	waitStatus(t, dir, "the stand-in", func(st Status) bool { first = st.Pid; return st.Pid != 0 })
	waitStatus(t, dir, "a retry", func(st Status) bool { return st.Pid != 0 && st.Pid != first })
	os.WriteFile(filepath.Join(dir, "run"), []byte(longRun), 0o755)
	apptest.Poll(t, 10*time.Second, "start once run exists", func() bool {
		st := status(t, dir)
		if st.Pid == 0 {
			return false
		}
		return strings.HasPrefix(apptest.Cmdline(int(st.Pid)), "sleep")
	})
}

// Without /proc there is no stand-in: the failure is reported by the
// supervisor and the service announced down, retried as often.
func TestSupervisorRunMissingNoStandIn(t *testing.T) {
	old := selfExe
	selfExe = "/nonexistent/exe"
	defer func() { selfExe = old }()
	dir := service(t, "", false)
	rec := &recorder{}
	s := startWith(t, dir, Options{Report: rec})
	first := status(t, dir).Stamp
	st := waitStatus(t, dir, "a retry", func(st Status) bool { return st.Stamp != first })
	if st.Pid != 0 || st.Want != 'u' {
		t.Errorf("status %+v", st)
	}
	if want := "fatal: unable to start " + dir + "/run: " + syscall.ENOENT.Error(); !rec.has(want) {
		t.Errorf("reported %q, want %q", rec, want)
	}
	send(t, dir, "dx")
	<-s.Done()
}

// A service that exits at once is restarted about once a second with
// no zombie, fd or goroutine left behind.
func TestSupervisorCrashLoop(t *testing.T) {
	dir := service(t, "#!/bin/sh\nexit 3\n", false)
	start(t, dir)
	seen := map[uint32]bool{}
	restarts := func(n int) {
		apptest.Poll(t, 20*time.Second, "restarts", func() bool {
			if st := status(t, dir); st.Pid != 0 {
				seen[st.Pid] = true
			}
			return len(seen) >= n
		})
	}
	restarts(2)
	goroutines, fds := runtime.NumGoroutine(), apptest.FDs(os.Getpid())
	restarts(5)
	if z := apptest.Zombies(os.Getpid()); z > 1 {
		t.Errorf("%d zombies", z)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("%d goroutines, %d three restarts ago", g, goroutines)
	}
	if n := apptest.FDs(os.Getpid()); n > fds {
		t.Errorf("%d fds, %d three restarts ago", n, fds)
	}
}

// A storm of commands leaves the supervisor responsive and its status
// consistent. The service ignores the signals, so that the storm does
// not turn into a crash loop (the reference, and we, handle one command
// per restart while a service dies in every pause).
func TestSupervisorStorm(t *testing.T) {
	dir := service(t, "#!/bin/sh\ntrap '' HUP ALRM INT TERM QUIT USR1 USR2\nwhile :; do sleep 1; done\n", false)
	s := start(t, dir)
	st := waitStatus(t, dir, "start", func(st Status) bool { return st.Pid != 0 })
	first := st.Pid
	r := rand.New(rand.NewPCG(1, 2))
	const cmds = "udochaitq12" // no p: the final p marks the end
	for i := 0; i < 1000; i++ {
		send(t, dir, string(cmds[r.IntN(len(cmds))]))
	}
	send(t, dir, "cup")
	st = waitStatus(t, dir, "the storm to end", func(st Status) bool { return st.Paused == 1 })
	if st.Pid != first || st.Want != 'u' {
		t.Errorf("after the storm: %+v, want pid %d", st, first)
	}
	send(t, dir, "cdxk")
	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("did not leave after the storm")
	}
	if alive(st.Pid) {
		t.Errorf("pid %d alive after dxk", st.Pid)
	}
	if st := status(t, dir); st.Pid != 0 || st.Want != 'd' {
		t.Errorf("final status %+v", st)
	}
}

// Commands sent while a service dies in every pause are all handled,
// one per restart, as the reference does.
func TestSupervisorCommandsMidRestart(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\nexit 1\n", false)
	s := start(t, dir)
	waitStatus(t, dir, "start", func(st Status) bool { return st.Pid != 0 })
	send(t, dir, "tpcdx")
	select {
	case <-s.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("did not leave")
	}
	if st := status(t, dir); st.Pid != 0 || st.Want != 'd' {
		t.Errorf("final status %+v", st)
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New(filepath.Join(t.TempDir(), "nonexistent"), Options{})
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Msg, "unable to chdir to ") || e.Err != unix.ENOENT {
		t.Errorf("missing dir: %v", err)
	}
	dir := service(t, longRun, false)
	os.Symlink("down", filepath.Join(dir, "down"))
	_, err = New(dir, Options{})
	if !errors.As(err, &e) || e.Msg != "unable to stat "+dir+"/down" || e.Err != unix.ELOOP {
		t.Errorf("looping down: %v", err)
	}
}

// A dangling supervise link gets its target made, as Debian's supervise
// does.
func TestSuperviseDanglingLink(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, true)
	os.Symlink("elsewhere", filepath.Join(dir, "supervise"))
	start(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "elsewhere", "status")); err != nil {
		t.Fatal(err)
	}
}

// The engine runs children through the reaper; os/exec's Wait would
// race with it, so nothing in this package may use it.
func TestNoOSExec(t *testing.T) {
	// Checked by the applets' tests with go list (running go here would
	// race with this process's reaper); here, the package's own files.
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), `"os/exec"`) {
			t.Errorf("%s imports os/exec", f)
		}
	}
}
