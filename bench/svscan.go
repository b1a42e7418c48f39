package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/supervision"
)

func init() {
	register("svscan", "memory (PSS) of the supervision tree, start-up of 1000 services against the same start with no supervisor, pickup of a new one; against daemontools, runit and s6", benchSvscan)
	// The fork-loop floor runs in a child of this program.
	if dir := os.Getenv("BENCH_FORKLOOP"); dir != "" {
		os.Exit(forkLoop(dir))
	}
}

// A scanner is one supervision suite's scanner program, or a floor:
// a loop that starts the same run scripts with no supervisor.
type scanner struct {
	name  string
	argv  func(dir string) []string
	peers []string // what must be installed
	// nofile, when not 0, is the open-files limit (soft and hard) the
	// scanner is started under.
	nofile uint64
	env    func(dir string) []string // added to the scanner's environment
}

// parked is how long after the last service started the tree's memory
// is measured.
const parked = 5 * time.Second

// serviceMarker is the program every benchmark service runs; it is how
// the services are told apart from the supervision tree.
const serviceMarker = "sleep"

func scanners(c *ctx) []scanner {
	return []scanner{
		{name: "ours svscan", argv: func(d string) []string { return []string{c.links + "/svscan", d} }},
		{name: "daemontools svscan", argv: func(d string) []string { return []string{"/usr/bin/svscan", d} }, peers: []string{"/usr/bin/svscan"}},
		{name: "runit runsvdir", argv: func(d string) []string { return []string{"/usr/bin/runsvdir", "-P", d} }, peers: []string{"/usr/bin/runsvdir"}},
		{name: "s6-svscan", argv: func(d string) []string { return []string{"/usr/bin/s6-svscan", "-c", "2000", "-t", "5000", d} }, peers: []string{"/usr/bin/s6-svscan"}},
	}
}

// coldNofile is the open-files limit of the second cold start of ours:
// too few descriptors for 1000 services, so that svscan raises its own
// limit (the hard one too, which takes CAP_SYS_RESOURCE) and then
// gives every child the inherited limit back (the child that execs
// ./run sets it, the trampoline does for the other children).
const coldNofile = 1024

// The floors: 1000 starts with no supervisor, by a plain shell loop
// and by a loop of ForkExec (as our spawner starts them,
// one after the other: the stricter of the two on this kind of machine).
const (
	shFloor   = "no supervisor, sh loop"
	forkFloor = "no supervisor, fork loop"
)

// coldStarters are what the 1000-service cold start times: the floors
// first, then every scanner, then ours starting its children through
// a raised limit. Without CAP_SYS_RESOURCE svscan cannot raise a hard
// limit, so under coldNofile it could hold only about a quarter of the
// services; the raised limit is then forced as a live upgrade of a
// raised svscan forces it (the old one hands over the limit it
// inherited), and every child starts under 1024 descriptors all the
// same.
func coldStarters(c *ctx) []scanner {
	floors := []scanner{
		{name: shFloor, argv: func(d string) []string {
			// One fork and one exec of ./run per service, as a
			// supervisor's; the loop exits once all are started.
			return []string{"/bin/sh", "-c", `for d in "$1"/*/; do (cd "$d" && exec ./run) & done`, "sh", d}
		}},
		{name: forkFloor, argv: func(string) []string { return []string{os.Args[0]} },
			env: func(d string) []string { return []string{"BENCH_FORKLOOP=" + d} }},
	}
	all := append(floors, scanners(c)...)
	tramp := all[len(floors)]
	if maySetHardLimits() {
		tramp.name = fmt.Sprintf("ours, ulimit -n %d", coldNofile)
		tramp.nofile = coldNofile
	} else {
		var lim syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		tramp.name = "ours, raised limit (forced)"
		tramp.env = func(string) []string {
			return []string{
				supervision.HandoverEnv + "=-",
				fmt.Sprintf("%s=%d %d", supervision.HandoverNofileEnv, coldNofile, lim.Max),
			}
		}
	}
	return append(all, tramp)
}

// maySetHardLimits reports whether this process, and so a scanner it
// starts, has CAP_SYS_RESOURCE (bit 24 of CapEff): root has it, as a
// rule, but not in every container.
func maySetHardLimits() bool {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}

// runScript is every benchmark service's ./run: it writes a byte into
// the FIFO ups (so that a start is seen as it happens, without
// polling /proc) and becomes `sleep`.
func runScript(ups string) string {
	return "#!/bin/sh\necho >" + ups + "\nexec " + serviceMarker + " 1000000\n"
}

// makeServices creates n services under dir, each running runScript.
func makeServices(dir, ups string, from, n int) error {
	for i := from; i < from+n; i++ {
		if err := makeService(filepath.Join(dir, fmt.Sprintf("s%04d", i)), runScript(ups)); err != nil {
			return err
		}
	}
	return nil
}

// upCounter reads the FIFO the run scripts write into.
type upCounter struct {
	f *os.File
}

// newUps makes a fresh FIFO at path (whatever was written into an
// earlier one is gone) and holds it open for reading and writing, so
// that a run script's open neither blocks nor fails.
func newUps(path string) (*upCounter, error) {
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &upCounter{f: f}, nil
}

func (u *upCounter) close() { u.f.Close() }

// wait returns once n more run scripts have started.
func (u *upCounter) wait(n int, limit time.Duration) error {
	u.f.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 4096)
	for got := 0; got < n; {
		m, err := u.f.Read(buf[:min(len(buf), n-got)])
		got += m
		if err != nil {
			return fmt.Errorf("only %d of %d services started within %v", got, n, limit)
		}
	}
	return nil
}

func makeService(path, run string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(path, "run"), []byte(run), 0o755)
}

// tree is a running scanner.
type tree struct {
	cmd *exec.Cmd
	dir string
}

func startTree(dir string, argv []string) (*tree, error) {
	return scanner{argv: func(string) []string { return argv }}.start(dir)
}

// start starts s on dir, with s.env, and under the open-files limit
// s.nofile (soft and hard) when it is not 0: a shell sets it and execs
// the scanner, whose pid is the shell's.
func (s scanner) start(dir string) (*tree, error) {
	argv := s.argv(dir)
	env := []string{"PATH=" + filepath.Dir(argv[0]) + ":/usr/bin:/bin"}
	if s.env != nil {
		env = append(env, s.env(dir)...)
	}
	if s.nofile != 0 {
		argv = append([]string{"/bin/sh", "-c", `ulimit -n "$0" && exec "$@"`, strconv.FormatUint(s.nofile, 10)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &tree{cmd: cmd, dir: dir}, nil
}

// stop kills the whole process group and every remaining descendant,
// then anything still working inside the service directories (a peer's
// supervisors may live in sessions of their own and outlive the kill of
// their scanner, restarting services meanwhile), by pid, until nothing
// is left.
func (t *tree) stop() {
	pid := t.cmd.Process.Pid
	desc := descendants(processes(), pid)
	syscall.Kill(-pid, syscall.SIGKILL)
	for _, p := range desc {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	t.cmd.Wait()
	for i := 0; i < 100; i++ {
		left := inside(t.dir)
		if len(left) == 0 {
			return
		}
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpu returns the processor time every process of the tree has used
// so far but the scanner itself (its own comes with its exit status):
// its descendants, and what works in its directory (the services of a
// loop that has exited).
func (t *tree) cpu() time.Duration {
	all := processes()
	pids := map[int]bool{}
	for _, p := range descendants(all, t.cmd.Process.Pid) {
		pids[p.pid] = true
	}
	for _, p := range inside(t.dir) {
		pids[p] = true
	}
	delete(pids, t.cmd.Process.Pid)
	ticks := 0
	for p := range pids {
		ticks += procTicks(p)
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// inside lists the processes whose working directory is under dir.
func inside(dir string) []int {
	var out []int
	for pid := range processes() {
		cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			out = append(out, pid)
		}
	}
	return out
}

// count returns how many services are running, and with pss the PSS
// of everything else in the tree.
func (t *tree) count(pss bool) (services int, treeKB int64) {
	for _, p := range descendants(processes(), t.cmd.Process.Pid) {
		if p.comm == serviceMarker {
			services++
		} else if pss {
			treeKB += pssKB(p.pid)
		}
	}
	return
}

func (t *tree) waitServices(n int, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		if got, _ := t.count(false); got >= n {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			got, _ := t.count(false)
			return 0, fmt.Errorf("only %d of %d services running after %v", got, n, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func benchSvscan(c *ctx) error {
	fifo := filepath.Join(c.work, "ups.fifo")
	for _, s := range scanners(c) {
		if err := missing(s.peers...); err != nil {
			fmt.Printf("   %-20s %v\n", s.name, err)
			continue
		}
		if err := benchOneScanner(c, s, fifo); err != nil {
			fmt.Printf("   %-20s failed: %v\n", s.name, err)
		}
	}
	fmt.Printf("   targets (ours): at most 4096 KiB for 200 services, at most 8 KiB per further service,\n" +
		"   a new service running within 100 ms\n")
	return coldStarts(c, fifo)
}

// benchOneScanner measures s's memory with 200 and 1000 services and
// its pickup of a new one; the run scripts write into the FIFO fifo.
func benchOneScanner(c *ctx, s scanner, fifo string) error {
	dir := filepath.Join(c.work, "svscan-"+strconv.Itoa(os.Getpid())+"-"+filepath.Base(s.argv("")[0]))
	os.RemoveAll(dir)
	if err := makeServices(dir, fifo, 0, 200); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ups, err := newUps(fifo)
	if err != nil {
		return err
	}
	defer ups.close()
	t, err := s.start(dir)
	if err != nil {
		return err
	}
	defer t.stop()
	if err := ups.wait(200, 30*time.Second); err != nil {
		return err
	}
	// Measured once the tree is parked: every scanner has settled by
	// then (ours tidies up 3 s after its last start).
	time.Sleep(parked)
	_, kb200 := t.count(true)

	// Pickup of one new service.
	tmp := filepath.Join(dir, ".new")
	if err := makeService(tmp, runScript(fifo)); err != nil {
		return err
	}
	start := time.Now()
	if err := os.Rename(tmp, filepath.Join(dir, "new")); err != nil {
		return err
	}
	pickup := "more than 15 s"
	if err := ups.wait(1, 15*time.Second); err == nil {
		pickup = time.Since(start).Round(100 * time.Microsecond).String()
	}

	// 799 more services, 1000 in all (daemontools and runit stop at
	// 1000); the scanner finds them on its own.
	if err := makeServices(dir, fifo, 200, 799); err != nil {
		return err
	}
	if err := ups.wait(799, 60*time.Second); err != nil {
		fmt.Printf("   %-20s 200 services: %6d KiB; pickup %s; %v\n", s.name, kb200, pickup, err)
		return nil
	}
	time.Sleep(parked)
	_, kb1000 := t.count(true)
	fmt.Printf("   %-20s 200 services: %6d KiB; per further service: %5.1f KiB; pickup: %s\n",
		s.name, kb200, float64(kb1000-kb200)/800, pickup)
	return nil
}

// coldServices is how many services the cold start starts.
const coldServices = 1000

// coldStarts times the start of 1000 services from nothing, from the
// start of the scanner (or of a floor's loop) until the last run script
// has written its byte, for every contender in turn, c.runs rounds,
// each round in another order. It prints the medians and their ratios
// to both floors and to daemontools.
func coldStarts(c *ctx, fifo string) error {
	dir := filepath.Join(c.work, "cold-"+strconv.Itoa(os.Getpid()))
	os.RemoveAll(dir)
	defer os.RemoveAll(dir)
	if err := makeServices(dir, fifo, 0, coldServices); err != nil {
		return err
	}
	var runnable []scanner
	for _, s := range coldStarters(c) {
		if err := missing(s.peers...); err != nil {
			fmt.Printf("   %-26s %v\n", s.name, err)
			continue
		}
		runnable = append(runnable, s)
	}
	times := make([][]time.Duration, len(runnable))
	cpus := make([][]time.Duration, len(runnable))
	for round := 0; round < c.runs; round++ {
		for k := range runnable {
			i := (k + round) % len(runnable)
			s := runnable[i]
			u, err := newUps(fifo)
			if err != nil {
				return err
			}
			// Let the last tree's killed processes go first.
			time.Sleep(time.Second)
			start := time.Now()
			t, err := s.start(dir)
			if err != nil {
				return err
			}
			err = u.wait(coldServices, 120*time.Second)
			d := time.Since(start)
			cpu := t.cpu()
			t.stop()
			u.close()
			if err != nil {
				return fmt.Errorf("%s: %v", s.name, err)
			}
			if ru, ok := t.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			times[i] = append(times[i], d)
			cpus[i] = append(cpus[i], cpu)
		}
	}
	med := make([]time.Duration, len(runnable))
	var shf, forkf, dt time.Duration
	for i, s := range runnable {
		med[i] = medianOf(times[i])
		switch s.name {
		case shFloor:
			shf = med[i]
		case forkFloor:
			forkf = med[i]
		case "daemontools svscan":
			dt = med[i]
		}
	}
	fmt.Printf("   %d services, from the start to every run script running: median of %d rounds (least-most);\n"+
		"   CPU of every process of the tree, services included:\n", coldServices, c.runs)
	for i, s := range runnable {
		line := fmt.Sprintf("   %-26s %6.2f s (%.2f-%.2f)  CPU %5.2f s", s.name, med[i].Seconds(),
			times[i][0].Seconds(), times[i][len(times[i])-1].Seconds(), medianOf(cpus[i]).Seconds())
		if s.name != shFloor && s.name != forkFloor {
			line += fmt.Sprintf("  %s the sh loop, %s the fork loop", ratio(med[i], shf), ratio(med[i], forkf))
			if strings.HasPrefix(s.name, "ours") {
				line += fmt.Sprintf(" (target at most 1.15x), %s daemontools", ratio(med[i], dt))
			}
		}
		fmt.Println(line)
	}
	if strings.Contains(runnable[len(runnable)-1].name, "forced") {
		fmt.Printf("   (no CAP_SYS_RESOURCE here, so svscan cannot raise a hard limit: the raised limit is forced as after\n"+
			"   a live upgrade of a svscan that had raised its limit, with an inherited soft limit of %d)\n", coldNofile)
	}
	return nil
}

// forkLoop is the fork-loop floor: it starts ./run in every directory
// under dir with ForkExec, one after the other, and exits.
func forkLoop(dir string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 111
	}
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		attr.Dir = filepath.Join(dir, e.Name())
		if _, err := syscall.ForkExec("./run", []string{"./run"}, attr); err != nil {
			fmt.Fprintln(os.Stderr, attr.Dir, err)
		}
	}
	return 0
}
