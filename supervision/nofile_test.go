package supervision

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"golang.org/x/sys/unix"
)

// These tests change what is process-wide (the open-files state the
// spawner reads, the limit itself), so none of them is parallel: they
// run before the parallel tests of the package start.

// withTrampoline makes the spawner start every child through the
// trampoline (the test binary acts it: see TestMain) with lim, as
// svscan does once it has raised its own limit, until the test ends.
func withTrampoline(t *testing.T, lim syscall.Rlimit) {
	nofile.mu.Lock()
	inherited, known, raised := nofile.inherited, nofile.known, nofile.raised
	nofile.inherited, nofile.known, nofile.raised = lim, true, true
	nofile.mu.Unlock()
	t.Cleanup(func() {
		nofile.mu.Lock()
		nofile.inherited, nofile.known, nofile.raised = inherited, known, raised
		nofile.mu.Unlock()
	})
}

func limitsRun(file string) string {
	return "#!/bin/sh\necho \"$(ulimit -n) $(ulimit -Hn)\" > " + file + ".tmp && mv " + file + ".tmp " + file + "\nexec sleep 1000\n"
}

// A child started through the trampoline has exactly the limits it is
// given, soft and hard, whatever this process's are.
func TestTrampolineLimits(t *testing.T) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	want := syscall.Rlimit{Cur: 37, Max: min(lim.Max, 191)}
	withTrampoline(t, want)
	dir := service(t, "", false)
	os.WriteFile(filepath.Join(dir, "run"), []byte(limitsRun("lim")), 0o755)
	start(t, dir)
	var got []byte
	apptest.Poll(t, 10*time.Second, "the service's limits", func() bool {
		got, _ = os.ReadFile(filepath.Join(dir, "lim"))
		return len(got) > 0
	})
	if string(got) != "37 "+itoa(int(want.Max))+"\n" {
		t.Errorf("the service's limits are %q, want 37 %d", got, want.Max)
	}
	// It is the service's pid in status, and svc reaches it.
	// (once the script, which wrote its limits, has exec'd sleep)
	st := status(t, dir)
	var comm []byte
	apptest.PollOK(10*time.Second, func() bool {
		comm, _ = os.ReadFile("/proc/" + itoa(int(st.Pid)) + "/comm")
		return string(comm) == "sleep\n"
	})
	if string(comm) != "sleep\n" {
		t.Errorf("the status names %d, %q", st.Pid, comm)
	}
	send(t, dir, "t")
	waitStatus(t, dir, "a restart after t", func(s Status) bool { return s.Pid != 0 && s.Pid != st.Pid })
}

// An exec that fails behind the trampoline fails as it does without:
// the same report, and no child left.
func TestTrampolineExecFails(t *testing.T) {
	for _, tramp := range []bool{false, true} {
		if tramp {
			var lim syscall.Rlimit
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
			withTrampoline(t, lim)
		}
		dir := service(t, "", false)
		os.WriteFile(filepath.Join(dir, "run"), []byte("not a program"), 0o644)
		rec := &recorder{}
		startWith(t, dir, Options{Report: rec})
		want := "fatal: unable to start " + dir + "/run: permission denied"
		apptest.Poll(t, 10*time.Second, "the report", func() bool { return rec.has(want) })
		if st := status(t, dir); st.Pid != 0 {
			t.Errorf("trampoline %v: status names pid %d", tramp, st.Pid)
		}
	}
}

// exhaust leaves no descriptor free below a soft limit a little above
// what is open now, and stops the limit from being raised, until the
// returned function gives everything back. A raw prlimit leaves the
// runtime's record of the limit it started with untouched.
func exhaust(t *testing.T) (restore func()) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	low := syscall.Rlimit{Cur: uint64(openFDs() + 32), Max: lim.Max}
	if low.Cur >= lim.Cur {
		t.Skipf("the soft limit %d is too low already", lim.Cur)
	}
	nofile.mu.Lock()
	cannot := nofile.cannot
	nofile.cannot = true
	nofile.mu.Unlock()
	if err := prlimit(&low); err != nil {
		t.Fatal(err)
	}
	var held []int
	for {
		fd, err := unix.Dup(devNull)
		if err != nil {
			break
		}
		held = append(held, fd)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		for _, fd := range held {
			unix.Close(fd)
		}
		prlimit(&lim)
		nofile.mu.Lock()
		nofile.cannot = cannot
		nofile.mu.Unlock()
	}
	t.Cleanup(restore)
	return restore
}

// controlWriter opens dir's control FIFO for the test to write to while
// no descriptor is free.
func controlWriter(t *testing.T, dir string) int {
	fd, err := syscall.Open(filepath.Join(dir, "supervise/control"), syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

func prlimit(lim *syscall.Rlimit) error {
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(lim)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// A supervisor whose start finds no descriptor says so once, not at
// every try, tries again with a growing pause, and starts the service
// as soon as descriptors are freed.
func TestStarvedStart(t *testing.T) {
	dir := service(t, longRun, true)
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	waitStatus(t, dir, "the supervisor", func(st Status) bool { return st.Want == 'd' })
	ctl := controlWriter(t, dir)
	restore := exhaust(t)
	syscall.Write(ctl, []byte("u"))
	// The start fails and is tried again after 1 s, then 2 s: let it
	// fail a few times before giving descriptors back. No timing is
	// asserted, only how often it is said.
	apptest.Poll(t, 10*time.Second, "the first report", func() bool { return len(rec.all()) > 0 })
	time.Sleep(3500 * time.Millisecond)
	restore()
	fdsFreed()
	st := waitStatus(t, dir, "the service up once descriptors are freed", func(st Status) bool { return st.Pid != 0 })
	if !alive(st.Pid) {
		t.Errorf("pid %d is not running", st.Pid)
	}
	lines := rec.all()
	// The status write of u, or the start, whichever came first.
	if len(lines) != 1 || !strings.HasSuffix(lines[0], ": "+syscall.EMFILE.Error()) {
		t.Errorf("reports: %q, want one, of too many open files", lines)
	}
}

// A status that could not be written for want of descriptors is written
// once descriptors are freed.
func TestStaleStatusRewritten(t *testing.T) {
	dir := service(t, longRun, false)
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	st := waitStatus(t, dir, "the service up", func(st Status) bool { return st.Pid != 0 })
	ctl := controlWriter(t, dir)
	restore := exhaust(t)
	syscall.Write(ctl, []byte("p")) // paused: only the status says so
	apptest.PollOK(10*time.Second, func() bool { return len(rec.all()) > 0 })
	restore()
	defer send(t, dir, "c")
	if st := status(t, dir); st.Paused != 0 {
		t.Fatalf("the status was written with no descriptor free: %+v", st)
	}
	fdsFreed()
	waitStatus(t, dir, "the paused status once descriptors are freed", func(s Status) bool { return s.Paused != 0 && s.Pid == st.Pid })
	if lines := rec.all(); len(lines) != 1 || !strings.Contains(lines[0], "unable to open "+dir+"/supervise/status.new") {
		t.Errorf("reports: %q", lines)
	}
}

func TestStarvedDelay(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := starvedDelay(i + 1); got != w {
			t.Errorf("starvedDelay(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestOpenFDs(t *testing.T) {
	before := openFDs()
	if before <= 0 {
		t.Skip("no /proc/self/fd")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if got := openFDs(); got != before+2 {
		t.Errorf("openFDs: %d, then %d after a pipe", before, got)
	}
}
