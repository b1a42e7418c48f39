package svscan_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// The robustness figures of the issue, as tests. Each runs small in
// `make test`; with DAEMONTOOLS_SOAK=1 (apptest.Soak) it runs at the
// issue's size and logs its figures (go test -run 'Shutdown|Adopt|Soak'
// -v ./applets/svscan).

// writerRun is a service that writes numbered lines to its logger as
// fast as a shell can (pausing briefly every 20 lines, so that a tree
// of them leaves the machine usable), and on TERM records how many it
// wrote. It numbers on from its last count when it is restarted.
const writerRun = `#!/bin/sh
trap 'echo $n > count; exit 0' TERM
n=$(cat count 2>/dev/null || echo 0)
while :; do
  n=$((n+1)); echo "line $n"
  [ $((n % 20)) -ne 0 ] || sleep 0.05
done
`

// logRun is multilog with room for every line (no rotation loses one).
const logRun = "#!/bin/sh\nexec multilog t s16777215 n100 ./main\n"

// writers makes n writer services with multilog loggers under sd.
func writers(t *testing.T, sd string, n int) []string {
	t.Helper()
	dirs := make([]string, n)
	for i := range dirs {
		d := filepath.Join(sd, fmt.Sprintf("w%03d", i))
		writeFile(t, filepath.Join(d, "run"), writerRun, 0o755)
		writeFile(t, filepath.Join(d, "log", "run"), logRun, 0o755)
		dirs[i] = d
	}
	return dirs
}

// logged reads every line a writer's logger kept, checks that they
// are "line 1" to "line N" in order, each once, and returns N.
func logged(t *testing.T, dir string) int {
	t.Helper()
	return loggedIn(t, filepath.Join(dir, "log", "main"))
}

// loggedIn is logged for the log directory maindir.
func loggedIn(t *testing.T, maindir string) int {
	t.Helper()
	next := 1
	for _, f := range append(apptest.OldLogs(t, maindir), "current") {
		fh, err := os.Open(filepath.Join(maindir, f))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// @TAI64N line N
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[1] != "line" || f[2] != strconv.Itoa(next) {
				fh.Close()
				t.Fatalf("%s: %q where line %d was due: a line was lost, repeated or reordered", maindir, sc.Text(), next)
			}
			next++
		}
		fh.Close()
	}
	return next - 1
}

// written reads the count a writer recorded when it was stopped.
func written(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "count"))
	if err != nil {
		t.Errorf("%s did not record its count (killed?): %v", dir, err)
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Errorf("%s/count: %q", dir, b)
		return -1
	}
	return n
}

// fileProc starts svscan with its output in a file rather than a pipe:
// services that outlive it on purpose must not hold up Wait.
func fileProc(t *testing.T, dir string, env ...string) (*apptest.Proc, string) {
	t.Helper()
	return argvProc(t, []string{ours(t), dir}, env...)
}

// argvProc is fileProc for any command line.
func argvProc(t *testing.T, argv []string, env ...string) (*apptest.Proc, string) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "svscan-out-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(apptest.Env(apptest.BinDir(t)), env...)
	cmd.Stdout, cmd.Stderr = out, out
	return apptest.Start(t, cmd), out.Name()
}

// TestShutdownLosesNoLine stops a tree of writers with SIGTERM: every
// line a service wrote before it exited is in its log, svscan exits 0
// and leaves nothing running.
func TestShutdownLosesNoLine(t *testing.T) {
	n := 4
	if apptest.Soak() {
		n = 100
	}
	sd := t.TempDir()
	dirs := writers(t, sd, n)
	// A deadline far away: this counts lines, and a loaded machine
	// must not turn a slow exit into a SIGKILL (TestShutdownTimeout
	// covers the deadline).
	p, _ := fileProc(t, sd, "SVSCAN_SHUTDOWN_TIMEOUT=120")
	for _, d := range dirs {
		apptest.Poll(t, 60*time.Second, d+" and its logger up", func() bool {
			return apptest.Alive(pid(d)) && apptest.Alive(pid(filepath.Join(d, "log")))
		})
	}
	var pids []int
	for _, d := range dirs {
		pids = append(pids, pid(d), pid(filepath.Join(d, "log")))
	}
	// Let lines pile up in the pipes.
	apptest.Poll(t, 30*time.Second, "some lines logged", func() bool {
		b, _ := os.ReadFile(filepath.Join(dirs[0], "log", "main", "current"))
		return strings.Count(string(b), "\n") > 100
	})
	start := time.Now()
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	took := time.Since(start)
	t.Logf("shutdown took %v", took.Round(time.Millisecond))
	total := 0
	for _, d := range dirs {
		w, l := written(t, d), logged(t, d)
		if w != l {
			t.Errorf("%s wrote %d lines, its log has %d", d, w, l)
		}
		total += w
		// multilog ended cleanly (EOF): current is 0744.
		if info, err := os.Stat(filepath.Join(d, "log", "main", "current")); err != nil || info.Mode().Perm() != 0o744 {
			t.Errorf("%s: current %v %v, want mode 0744 after a clean end", d, info.Mode(), err)
		}
	}
	for _, q := range pids {
		if apptest.Alive(q) {
			t.Errorf("pid %d still running after the shutdown", q)
		}
	}
	t.Logf("SIGTERM of %d writers: %d lines written, %d logged; shutdown took %v", n, total, total, took.Round(time.Millisecond))
}

// A service that ignores TERM, and one whose background child keeps
// the log pipe open, are killed at the deadline the environment sets;
// the well-behaved ones around them lose nothing.
func TestShutdownTimeout(t *testing.T) {
	sd := t.TempDir()
	dirs := writers(t, sd, 1)
	stubborn := filepath.Join(sd, "stubborn")
	svc(t, stubborn, "trap '' TERM\nwhile :; do sleep 1; done")
	holder := filepath.Join(sd, "holder")
	svc(t, holder, "sleep 1000 &\necho $! > bg\nexec sleep 1000")
	svc(t, filepath.Join(holder, "log"), "exec multilog t ./main")
	p, out := fileProc(t, sd, "SVSCAN_SHUTDOWN_TIMEOUT=4")
	for _, d := range []string{dirs[0], stubborn, holder, filepath.Join(holder, "log")} {
		apptest.Poll(t, wait, d+" up", func() bool { return apptest.Alive(pid(d)) })
	}
	var bg int
	apptest.Poll(t, wait, "the background child", func() bool {
		b, _ := os.ReadFile(filepath.Join(holder, "bg"))
		bg, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return bg > 0
	})
	apptest.KillAtCleanup(t, bg)
	pids := []int{pid(stubborn), pid(holder), pid(filepath.Join(holder, "log"))}
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	for _, q := range pids {
		if apptest.Alive(q) {
			t.Errorf("pid %d survived the deadline", q)
		}
	}
	if w, l := written(t, dirs[0]), logged(t, dirs[0]); w != l {
		t.Errorf("wrote %d lines, logged %d", w, l)
	}
	if b, _ := os.ReadFile(out); len(b) != 0 {
		t.Errorf("svscan said %q", b)
	}

	// A bad value is reported and the default used.
	sd2 := t.TempDir()
	svc(t, filepath.Join(sd2, "s"), "exec sleep 1000")
	p2, out2 := fileProc(t, sd2, "SVSCAN_SHUTDOWN_TIMEOUT=soon")
	apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(filepath.Join(sd2, "s"))) })
	p2.Signal(syscall.SIGINT)
	if err := p2.Wait(t, 30*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after INT: %v", err)
	}
	if b, _ := os.ReadFile(out2); string(b) != "svscan: warning: ignoring SVSCAN_SHUTDOWN_TIMEOUT=soon: not a number of seconds\n" {
		t.Errorf("svscan said %q", b)
	}
}

// adopted checks that the long-lived orphan of dir's service became a
// child of parent, and that it is reaped when it exits; proc is the
// procfs of the service's pid namespace.
func adopted(t *testing.T, dir, proc string, parent int) {
	t.Helper()
	var orphan int
	apptest.Poll(t, wait, "the orphan", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "orphan"))
		orphan, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return orphan > 0
	})
	if proc == "/proc" {
		apptest.KillAtCleanup(t, orphan)
	}
	// The subshell that wrote the file is the orphan's parent until it
	// exits, just after.
	var ppid int
	if !apptest.PollOK(wait, func() bool {
		s, _ := apptest.ReadStatAt(proc, orphan)
		ppid = s.Ppid
		return ppid == parent
	}) {
		t.Errorf("the orphan's parent is %d, not svscan (%d)", ppid, parent)
	}
	apptest.Poll(t, wait, "the orphan reaped", func() bool { _, ok := apptest.ReadStatAt(proc, orphan); return !ok })
}

// orphanMaker leaves one orphan that lives 3 seconds (its pid in the
// file orphan) and 20 short-lived ones behind, and stays up itself.
const orphanMaker = `(sleep 3 & echo $! > orphan.new; mv orphan.new orphan)
i=0
while [ $i -lt 20 ]; do (sleep 0.1 &) ; i=$((i+1)); sleep 0.05; done
echo made > made
exec sleep 1000`

// Not PID 1, svscan is a child subreaper: the orphans of its services
// become its children and are reaped.
func TestSubreaper(t *testing.T) {
	sd := t.TempDir()
	dir := filepath.Join(sd, "s")
	svc(t, dir, orphanMaker)
	p := scan(t, ours(t), sd)
	adopted(t, dir, "/proc", p.Pid())
	apptest.Poll(t, wait, "the orphans made", func() bool {
		_, err := os.Stat(filepath.Join(dir, "made"))
		return err == nil
	})
	st := pid(dir)
	apptest.Poll(t, wait, "every orphan reaped", func() bool {
		n := 0
		for _, c := range apptest.Children(p.Pid()) {
			if c != st {
				n++
			}
		}
		return n == 0
	})
	if got := pid(dir); got != st || !apptest.Alive(got) {
		t.Errorf("the service's status changed: pid %d, then %d", st, got)
	}
}

// As PID 1 (in a new pid namespace), svscan reaps every orphan, keeps
// its services' status, and on TERM stops everything, strays included,
// and exits 0.
func TestPID1(t *testing.T) {
	apptest.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	sd := t.TempDir()
	dir := filepath.Join(sd, "s")
	svc(t, dir, orphanMaker)
	// A daemon that escapes supervision by forking twice.
	stray := filepath.Join(sd, "stray")
	svc(t, stray, "(exec sleep 1000 &)\nexec sleep 1000")
	svc(t, filepath.Join(sd, "w"), writerRun[len("#!/bin/sh\n"):])
	writeFile(t, filepath.Join(sd, "w", "log", "run"), logRun, 0o755)
	cmd := exec.Command("unshare", "-fp", "--mount-proc", ours(t), sd)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	p := apptest.Start(t, cmd)
	init := nsInit(t, p)
	adopted(t, dir, "/proc/"+strconv.Itoa(init)+"/root/proc", 1)
	apptest.Poll(t, wait, "the orphans made", func() bool {
		_, err := os.Stat(filepath.Join(dir, "made"))
		return err == nil
	})
	// The status holds the namespace's pid; the stamp must not move.
	before, _ := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	apptest.Poll(t, wait, "no zombie left", func() bool { return apptest.Zombies(init) == 0 })
	// Exactly the services and the stray are left: s, stray and its
	// escaped child, w and its logger.
	apptest.Poll(t, wait, "only the services left", func() bool { return len(apptest.Children(init)) == 5 })
	after, _ := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if string(before) != string(after) || len(after) != 64 {
		t.Errorf("reaping orphans changed the service's status: %x then %x", before, after)
	}
	all := append(apptest.Children(init), init)
	syscall.Kill(init, syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan as PID 1 after TERM: %v", err)
	}
	for _, q := range all {
		if s, ok := apptest.ReadStat(q); ok {
			t.Errorf("pid %d left in state %c", q, s.State)
		}
	}
	if w, l := written(t, filepath.Join(sd, "w")), logged(t, filepath.Join(sd, "w")); w != l {
		t.Errorf("wrote %d lines, logged %d", w, l)
	}
}

// supervised reports whether a supervisor holds d/supervise/ok open,
// as svok does.
func supervised(d string) bool {
	fd, err := syscall.Open(filepath.Join(d, "supervise/ok"), syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

// TestAdoptAfterKill kills svscan outright and starts it again, over
// and over, under a tree of writers: every service and logger keeps
// running with the same pid (no second copy is ever started), and no
// line is lost; afterwards the adopted services and loggers restart
// normally, on the same pipe.
func TestAdoptAfterKill(t *testing.T) {
	n, rounds := 3, 3
	if apptest.Soak() {
		n, rounds = 50, 20
	}
	sd := t.TempDir()
	dirs := writers(t, sd, n)
	var logs []string
	for _, d := range dirs {
		logs = append(logs, filepath.Join(d, "log"))
	}
	p, _ := fileProc(t, sd)
	want := map[string]int{}
	for _, d := range append(dirs, logs...) {
		apptest.Poll(t, 60*time.Second, d+" up", func() bool { return apptest.Alive(pid(d)) })
		want[d] = pid(d)
		apptest.KillAtCleanup(t, want[d])
	}
	duplicates := 0
	start := time.Now()
	for r := 0; r < rounds; r++ {
		syscall.Kill(p.Pid(), syscall.SIGKILL)
		p.Wait(t, 30*time.Second)
		p, _ = fileProc(t, sd)
		for _, d := range append(dirs, logs...) {
			apptest.Poll(t, 60*time.Second, "svscan to take "+d+" back", func() bool { return supervised(d) })
			if got := pid(d); got != want[d] || !apptest.Alive(got) {
				t.Fatalf("round %d: %s has pid %d, had %d", r, d, got, want[d])
			}
		}
		// Another start would show as a second shell (or multilog)
		// working in the same directory.
		for d, c := range apptest.Copies("sh", dirs...) {
			if c != 1 {
				duplicates += c - 1
				t.Errorf("round %d: %d copies of %s", r, c, d)
			}
		}
		for d, c := range apptest.Copies("multilog", logs...) {
			if c != 1 {
				duplicates += c - 1
				t.Errorf("round %d: %d copies of %s", r, c, d)
			}
		}
	}
	took := time.Since(start)
	// The adopted are driven as our own: a restarted logger reads the
	// pipe the service writes, a restarted service writes the pipe the
	// logger reads.
	svcProg := filepath.Join(apptest.BinDir(t), "svc")
	exec.Command(svcProg, "-t", logs[0]).Run()
	exec.Command(svcProg, "-t", dirs[len(dirs)-1]).Run()
	for _, d := range []string{logs[0], dirs[len(dirs)-1]} {
		apptest.Poll(t, wait, d+" restarted", func() bool { q := pid(d); return q != want[d] && apptest.Alive(q) })
		apptest.KillAtCleanup(t, pid(d))
	}
	last := dirs[len(dirs)-1]
	apptest.Poll(t, wait, "the restarted writer's lines logged", func() bool {
		b, _ := os.ReadFile(filepath.Join(last, "count"))
		c, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		cur, _ := os.ReadFile(filepath.Join(last, "log", "main", "current"))
		return c > 0 && strings.Contains(string(cur), " line "+strconv.Itoa(c+50)+"\n")
	})
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	lost, total := 0, 0
	for _, d := range dirs {
		w, l := written(t, d), logged(t, d)
		lost += w - l
		total += w
	}
	if lost != 0 {
		t.Errorf("%d of %d lines lost", lost, total)
	}
	t.Logf("kill -9 and restart of svscan %d times over %d services with loggers (%v): %d duplicate processes, %d of %d lines lost",
		rounds, n, took.Round(time.Millisecond), duplicates, lost, total)
}

// goroutineDumps counts the live goroutines in each scheduler dump
// (GODEBUG=schedtrace=N,scheddetail=1) in the text of a process's stderr.
func goroutineDumps(text string) []int {
	var out []int
	for _, dump := range strings.Split(text, "SCHED ")[1:] {
		n := 0
		for _, l := range strings.Split(dump, "\n") {
			if strings.HasPrefix(l, "  G") && strings.Contains(l, ": status=") && !strings.Contains(l, "status=6") {
				n++
			}
		}
		out = append(out, n)
	}
	return out
}

// latency writes cmd to dir's control FIFO and returns how long the
// status file took to show it (cond).
func latency(t *testing.T, dir, cmd string, cond func([]byte) bool) time.Duration {
	fd, err := syscall.Open(filepath.Join(dir, "supervise/control"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	start := time.Now()
	syscall.Write(fd, []byte(cmd))
	syscall.Close(fd)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "supervise/status"))
		if len(b) >= 18 && cond(b) {
			return time.Since(start)
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: %q not handled within 10 s", dir, cmd)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestSoak runs a tree in which a quarter of the services crash in a
// loop: svscan's descriptors, goroutines and memory must not grow, and
// a healthy service keeps answering commands (the latency is logged,
// not asserted). With DAEMONTOOLS_SOAK=1: 200 services, 50 crashing,
// for 5 minutes.
func TestSoak(t *testing.T) {
	n, crashing, d := 20, 5, 4*time.Second
	if apptest.Soak() {
		n, crashing, d = 200, 50, 5*time.Minute
	}
	sd := t.TempDir()
	for i := 0; i < n; i++ {
		run := "exec sleep 1000000"
		if i < crashing {
			run = "exit 1"
		}
		svc(t, filepath.Join(sd, fmt.Sprintf("s%03d", i)), run)
	}
	healthy := filepath.Join(sd, fmt.Sprintf("s%03d", n-1))
	p, out := fileProc(t, sd, "GODEBUG=schedtrace=1000,scheddetail=1")
	apptest.Poll(t, 60*time.Second, "every healthy service up", func() bool {
		for i := crashing; i < n; i++ {
			if !apptest.Alive(pid(filepath.Join(sd, fmt.Sprintf("s%03d", i)))) {
				return false
			}
		}
		return true
	})
	time.Sleep(tidyDelay) // past the hand-back of start-up memory
	dumps := func() []int { b, _ := os.ReadFile(out); return goroutineDumps(string(b)) }
	rssStart := apptest.StatusField(p.Pid(), "VmRSS")
	var lat []time.Duration
	paused := func(b []byte) bool { return b[16] == 1 }
	running := func(b []byte) bool { return b[16] == 0 }
	// The baseline is taken once the crash loop has run a tenth of the
	// time: the garbage of restarts raises the heap to its working size
	// (the runtime hands memory back only gradually), and growth past
	// that is what a leak would show.
	var g0s []int
	var fds0, rss0, threads0 int
	start := time.Now()
	for time.Since(start) < d {
		if g0s == nil && time.Since(start) >= d/10 {
			time.Sleep(1100 * time.Millisecond) // a scheduler dump after the sample
			g0s = dumps()
			fds0, rss0, threads0 = apptest.FDs(p.Pid()), apptest.StatusField(p.Pid(), "VmRSS"), apptest.StatusField(p.Pid(), "Threads")
		}
		lat = append(lat, latency(t, healthy, "p", paused), latency(t, healthy, "c", running))
		time.Sleep(time.Second)
	}
	// Sample the end on the same footing as the start: the crash loop
	// is caught between restarts at either end.
	fds1, rss1, threads1 := apptest.FDs(p.Pid()), apptest.StatusField(p.Pid(), "VmRSS"), apptest.StatusField(p.Pid(), "Threads")
	time.Sleep(1100 * time.Millisecond)
	g1s := dumps()
	if len(g0s) == 0 || len(g1s) == 0 {
		t.Fatal("no scheduler dump in svscan's stderr")
	}
	g0, g1 := g0s[len(g0s)-1], g1s[len(g1s)-1]
	slices.Sort(lat)
	t.Logf("%d services (%d crash-looping) for %v, from %v in to the end: fds %d -> %d, goroutines %d -> %d, threads %d -> %d, RSS %d -> %d KiB (%d KiB right after start-up); svc latency on a healthy service: median %v, max %v over %d commands",
		n, crashing, d, d/10, fds0, fds1, g0, g1, threads0, threads1, rss0, rss1, rssStart, lat[len(lat)/2], lat[len(lat)-1], len(lat))
	// A crashing service's pipe or stand-in may be caught open at
	// either end: a few descriptors of slack, none per round.
	if fds1 > fds0+crashing/5+2 {
		t.Errorf("descriptors grew from %d to %d", fds0, fds1)
	}
	if g1 > g0+2 {
		t.Errorf("goroutines grew from %d to %d", g0, g1)
	}
	// Only at full length: a few seconds of a race-built svscan say
	// little about memory.
	if apptest.Soak() && rss1 > rss0+rss0/4+1024 {
		t.Errorf("RSS grew from %d to %d KiB", rss0, rss1)
	}
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
}

// tidyDelay is how long after start-up svscan hands memory back.
const tidyDelay = 4 * time.Second

// nsInit waits for the child of p (unshare -fp) that is PID 1 of its
// new pid namespace, and returns its pid outside.
func nsInit(t *testing.T, p *apptest.Proc) int {
	t.Helper()
	var init int
	apptest.Poll(t, wait, "svscan as PID 1", func() bool {
		for _, c := range apptest.Children(p.Pid()) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/status"); strings.Contains(string(b), "NSpid:\t"+strconv.Itoa(c)+"\t1\n") {
				init = c
				return true
			}
		}
		return false
	})
	return init
}
