package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/supervision"
)

// The engine's children are reaped by one process-wide reaper; os/exec's
// Wait anywhere in its package graph would race with it.
func TestEngineDoesNotUseOSExec(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/daemontools-go/daemontools/supervision").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "os/exec" {
			t.Fatal("the supervision package depends on os/exec")
		}
	}
}

func service(t *testing.T, run string) string {
	dir := filepath.Join(t.TempDir(), "s")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readStatus(t *testing.T, dir string) supervision.Status {
	b, err := os.ReadFile(filepath.Join(dir, "supervise/status"))
	if err != nil {
		return supervision.Status{}
	}
	st, _ := supervision.DecodeStatus(b)
	return st
}

func supervise(t *testing.T, dir string) *apptest.Proc {
	return apptest.Start(t, toNull(t, exec.Command(filepath.Join(apptest.BinDir(t), "supervise"), dir)))
}

// toNull sends cmd's output to /dev/null. Files, not pipes: Wait must
// not wait for an orphaned service to close its copy of a pipe.
func toNull(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	cmd.Stdout, cmd.Stderr = null, null
	return cmd
}

// SIGKILL of supervise leaves the service running, as with the
// reference; unlike the reference, a new supervise adopts it instead of
// starting a second copy, and drives it as its own.
func TestKilledSuperviseAdopts(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\nexec sleep 1000\n")
	p := supervise(t, dir)
	first := orphan(t, dir, p)
	if !apptest.Alive(int(first.Pid)) {
		t.Fatal("the service died with supervise")
	}
	supervise(t, dir)
	svok := filepath.Join(apptest.BinDir(t), "svok")
	apptest.Poll(t, 10*time.Second, "the new supervise", func() bool { return exec.Command(svok, dir).Run() == nil })
	// Same pid, same stamp: svstat's uptime goes on.
	if st := readStatus(t, dir); st.Pid != first.Pid || st.Stamp != first.Stamp || st.Want != 'u' {
		t.Fatalf("after adoption: %+v, want pid %d stamp %v", st, first.Pid, first.Stamp)
	}
	// Commands reach it; its exit is noticed and it is restarted.
	svc := filepath.Join(apptest.BinDir(t), "svc")
	exec.Command(svc, "-t", dir).Run()
	var second uint32
	apptest.Poll(t, 10*time.Second, "a restart after svc -t", func() bool {
		second = readStatus(t, dir).Pid
		return second != 0 && second != first.Pid
	})
	apptest.KillAtCleanup(t, int(second))
	apptest.Poll(t, 10*time.Second, "the adopted service gone", func() bool { return apptest.Gone(int(first.Pid)) })
	if n := apptest.Copies("", dir)[dir]; n != 1 {
		t.Errorf("%d copies of the service running", n)
	}
}

// orphan waits for p, a supervise of dir, to start the service, then
// kills p outright and returns the status it left: the service lives
// on (and is killed at cleanup).
func orphan(t *testing.T, dir string, p *apptest.Proc) supervision.Status {
	t.Helper()
	var st supervision.Status
	apptest.Poll(t, 10*time.Second, "the service to start", func() bool {
		st = readStatus(t, dir)
		return st.Pid != 0
	})
	apptest.KillAtCleanup(t, int(st.Pid))
	p.Signal(syscall.SIGKILL)
	p.Wait(t, 10*time.Second)
	return st
}

// A status whose stamp does not match the start time of the process
// holding its pid (the pid was recycled) is not adopted: ./run starts
// and the stranger is left alone.
func TestRecycledPidNotAdopted(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\nexec sleep 1000\n")
	p := supervise(t, dir)
	first := orphan(t, dir, p)
	for _, shift := range []int64{-2, 3} {
		// The same pid, started a little too late or too early.
		st := first
		st.Stamp.Sec = uint64(int64(st.Stamp.Sec) + shift)
		b := st.Encode()
		if err := os.WriteFile(filepath.Join(dir, "supervise", "status"), b[:], 0o644); err != nil {
			t.Fatal(err)
		}
		q := supervise(t, dir)
		var got uint32
		apptest.Poll(t, 10*time.Second, "a new copy", func() bool {
			got = readStatus(t, dir).Pid
			return got != 0 && got != first.Pid
		})
		apptest.KillAtCleanup(t, int(got))
		if !apptest.Alive(int(first.Pid)) {
			t.Fatal("the stranger was signalled")
		}
		q.Signal(syscall.SIGKILL)
		q.Wait(t, 10*time.Second)
		syscall.Kill(int(got), syscall.SIGKILL)
	}
}

// Our supervise adopts the service of a killed Debian supervise: the
// reference's status file carries all it needs.
func TestAdoptFromDebian(t *testing.T) {
	t.Parallel()
	deb := apptest.Debian(t, "supervise")
	dir := service(t, "#!/bin/sh\nexec sleep 1000\n")
	cmd := exec.Command(deb, dir)
	null, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	defer null.Close()
	cmd.Stdout, cmd.Stderr = null, null
	p := apptest.Start(t, cmd)
	first := orphan(t, dir, p)
	supervise(t, dir)
	apptest.Poll(t, 10*time.Second, "the adoption", func() bool {
		st := readStatus(t, dir)
		return st.Runit && st.Pid == first.Pid
	})
	if n := apptest.Copies("", dir)[dir]; n != 1 {
		t.Errorf("%d copies of the service running", n)
	}
	out, _ := exec.Command(filepath.Join(apptest.BinDir(t), "svc"), "-d", dir).CombinedOutput()
	apptest.Poll(t, 10*time.Second, "down after svc -d", func() bool { return readStatus(t, dir).Pid == 0 })
	if !apptest.Gone(int(first.Pid)) || len(out) != 0 {
		t.Errorf("the adopted service is still running after svc -d (%s)", out)
	}
}

// steadyFDs counts pid's descriptors, leaving out the ones a restart
// holds for an instant (the fork's error pipe, status.new): the fewest
// seen in a few looks spread over more than a second, so at least one
// falls between restarts.
func steadyFDs(pid int) int {
	fewest := -1
	for i := 0; i < 7; i++ {
		if i > 0 {
			time.Sleep(230 * time.Millisecond)
		}
		if n := apptest.FDs(pid); fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}

// A service that exits at once: supervise restarts it about once a
// second, uses next to no CPU, and leaves no zombie and no growth in
// descriptors or threads. In `make test` it watches a few restarts, as
// many as make a leak of one descriptor, thread or zombie a restart show
// past the slack below; with DAEMONTOOLS_SOAK=1 (apptest.Soak), a minute
// of them (go test -v -run CrashLoop ./applets/supervise).
func TestCrashLoop(t *testing.T) {
	t.Parallel()
	restarts, d := 5, time.Duration(0)
	if apptest.Soak() {
		d = time.Minute
	}
	// Each start adds a byte to starts: the restarts are counted, not
	// timed.
	dir := service(t, "#!/bin/sh\necho >>starts\nexit 0\n")
	starts := func() int { b, _ := os.ReadFile(filepath.Join(dir, "starts")); return len(b) }
	p := supervise(t, dir)
	pid := p.Pid()
	// Past start-up (the first restarts), as the runtime settles.
	apptest.Poll(t, 30*time.Second, "the first three starts", func() bool { return starts() >= 3 })
	stat0, _ := apptest.ReadStat(pid)
	fds0, threads0 := steadyFDs(pid), apptest.StatusField(pid, "Threads")
	start, n0 := time.Now(), starts()
	// Generous: a loaded machine slows the restarts, not the verdict.
	deadline := start.Add(d + time.Duration(restarts)*20*time.Second)
	maxZombies := 0
	for starts() < n0+restarts || time.Since(start) < d {
		if time.Now().After(deadline) {
			t.Fatalf("%d restarts in %v, want %d", starts()-n0, time.Since(start).Round(time.Millisecond), restarts)
		}
		time.Sleep(250 * time.Millisecond) // the pace of the samples
		if z := apptest.Zombies(pid); z > maxZombies {
			maxZombies = z
		}
	}
	stat1, _ := apptest.ReadStat(pid)
	took, n := time.Since(start), starts()-n0
	fds1, threads1 := steadyFDs(pid), apptest.StatusField(pid, "Threads")
	cpu := time.Duration(stat1.Utime+stat1.Stime-stat0.Utime-stat0.Stime) * 10 * time.Millisecond
	t.Logf("%d restarts over %v: cpu %v, fds %d -> %d, threads %d -> %d, zombies at most %d",
		n, took.Round(time.Millisecond), cpu, fds0, fds1, threads0, threads1, maxZombies)
	// A resource bound, not a timing: the reference's loop costs one
	// fork a second; spinning would cost the whole time.
	if cpu > took/10 {
		t.Errorf("supervise used %v of CPU in %v", cpu, took)
	}
	if fds1 > fds0 {
		t.Errorf("descriptors grew from %d to %d", fds0, fds1)
	}
	if threads1 > threads0+2 {
		t.Errorf("threads grew from %d to %d", threads0, threads1)
	}
	// A child that just died may be seen as a zombie for the instant
	// before it is reaped; more than one means a leak.
	if maxZombies > 1 {
		t.Errorf("%d zombies", maxZombies)
	}
}

// svc -x with the service up waits; once the service is down supervise
// exits 0 without restarting it.
func TestExitUpThenDown(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\nexec sleep 1000\n")
	p := supervise(t, dir)
	apptest.Poll(t, 10*time.Second, "start", func() bool { return readStatus(t, dir).Pid != 0 })
	svc := filepath.Join(apptest.BinDir(t), "svc")
	if out, err := exec.Command(svc, "-xp", dir).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("svc -xp: %v %s", err, out)
	}
	apptest.Poll(t, 10*time.Second, "x and p handled", func() bool { return readStatus(t, dir).Paused == 1 })
	if p.Exited() {
		t.Fatal("supervise left with the service up")
	}
	if out, err := exec.Command(svc, "-d", dir).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("svc -d: %v %s", err, out)
	}
	if err := p.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("supervise: %v", err)
	}
	if st := readStatus(t, dir); st.Pid != 0 || st.Want != 'd' {
		t.Errorf("final status %+v", st)
	}
}
