package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/supervision"
	"golang.org/x/sys/unix"
)

func init() {
	register("supervise", "svc -t to the new pid in status; memory of one supervisor, in-process and as a process, against daemontools and runit", benchSupervise)
	// The in-process measurement runs in a child of this program: the
	// engine's reaper must own every child of its process, and this
	// program's own children are waited for with os/exec.
	if n := os.Getenv("BENCH_SUPERVISORS"); n != "" {
		os.Exit(inProcessSupervisors(n))
	}
}

func benchSupervise(c *ctx) error {
	if err := missing("/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/runsv"); err != nil {
		return err
	}
	if err := restartLatencies(c); err != nil {
		return err
	}

	const procs = 50
	oursKB, err := processPSS(c, procs, []string{filepath.Join(c.links, "supervise")}, "ours")
	if err != nil {
		return err
	}
	dtKB, err := processPSS(c, procs, []string{"/usr/bin/supervise"}, "dt")
	if err != nil {
		return err
	}
	rsKB, err := processPSS(c, procs, []string{"/usr/bin/runsv"}, "runsv")
	if err != nil {
		return err
	}
	fmt.Printf("   %-34s ours %.1f KiB  daemontools %.1f KiB  runsv %.1f KiB (PSS of %d supervise processes, each)\n", "one supervise process", oursKB, dtKB, rsKB, procs)

	for _, n := range []int{200, 1000} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "BENCH_SUPERVISORS="+strconv.Itoa(n), "BENCH_WORK="+c.work)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("in-process supervisors: %v\n%s", err, out)
		}
		fmt.Printf("   %-34s %s (goal: at most 8 KiB each; daemontools %.1f KiB per supervise)\n", fmt.Sprintf("%d in-process Supervisors", n), strings.TrimSpace(string(out)), dtKB)
	}
	return nil
}

func mkService(dir string, down bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0o755); err != nil {
		return err
	}
	if down {
		return os.WriteFile(filepath.Join(dir, "down"), nil, 0o644)
	}
	return nil
}

func statusPid(dir string) uint32 {
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		return 0
	}
	st, err := supervision.DecodeStatus(b)
	if err != nil {
		return 0
	}
	return st.Pid
}

func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	return false
}

// restartRuns is how many restarts each latency is the median of.
const restartRuns = 15

// restartLatencies times a restart by svc -t, and by a t written into
// supervise/control by this program (which leaves out the start-up of
// svc: the supervisor's own reaction), under our supervise and
// daemontools', and prints the medians and their ratio. The trials
// alternate between the two, so that both see the same load.
func restartLatencies(c *ctx) error {
	ours, err := startRestarter(c, filepath.Join(c.links, "supervise"), filepath.Join(c.links, "svc"), "ours")
	if err != nil {
		return err
	}
	defer ours.stop()
	theirs, err := startRestarter(c, "/usr/bin/supervise", "/usr/bin/svc", "daemontools")
	if err != nil {
		return err
	}
	defer theirs.stop()
	n := max(restartRuns, c.runs)
	for _, viaSvc := range []bool{true, false} {
		var a, b []time.Duration
		for i := 0; i < n; i++ {
			// Both supervisors handle nothing for a second after a
			// start: the last was at least this long ago.
			time.Sleep(1200 * time.Millisecond)
			first, second, da, db := ours, theirs, &a, &b
			if i%2 == 1 {
				first, second, da, db = theirs, ours, &b, &a
			}
			for _, r := range []struct {
				rs *restarter
				ds *[]time.Duration
			}{{first, da}, {second, db}} {
				d, err := r.rs.restart(viaSvc)
				if err != nil {
					return err
				}
				*r.ds = append(*r.ds, d)
			}
		}
		name, target := "svc -t to new pid in status", "svc pays the Go start-up on top"
		if !viaSvc {
			name, target = "t into control to new pid", "target at most 1.10x"
		}
		mo, mt := medianOf(a), medianOf(b)
		fmt.Printf("   %-34s ours %s  daemontools %s  ratio %s (median of %d; %s)\n", name, ms(mo), ms(mt), ratio(mo, mt), n, target)
	}
	return nil
}

// restarter is a supervisor of a service that sleeps, whose restarts
// are timed.
type restarter struct {
	dir, svc string
	cmd      *exec.Cmd
}

func startRestarter(c *ctx, sup, svc, tag string) (*restarter, error) {
	dir := filepath.Join(c.work, "lat-"+tag)
	if err := mkService(dir, false); err != nil {
		return nil, err
	}
	cmd := exec.Command(sup, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &restarter{dir: dir, svc: svc, cmd: cmd}
	if !waitFor(10*time.Second, func() bool { return statusPid(dir) != 0 }) {
		r.stop()
		return nil, fmt.Errorf("%s did not start %s", sup, dir)
	}
	return r, nil
}

func (r *restarter) stop() {
	exec.Command(r.svc, "-dx", r.dir).Run()
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	r.cmd.Wait()
}

// restart sends t (with svc, or straight into the control FIFO) and
// returns the time until the status file names a new pid, seen through
// inotify as the rename that writes it happens: the bench does not
// poll, so it takes no processor from the two it times.
func (r *restarter) restart(viaSvc bool) (time.Duration, error) {
	ino, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return 0, err
	}
	defer unix.Close(ino)
	if _, err := unix.InotifyAddWatch(ino, filepath.Join(r.dir, "supervise"), unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		return 0, err
	}
	old := statusPid(r.dir)
	newPid := func(b []byte) (bool, bool) {
		st, err := supervision.DecodeStatus(b)
		return st.Pid != 0 && st.Pid != old, err == nil
	}
	start := time.Now()
	if viaSvc {
		if err := exec.Command(r.svc, "-t", r.dir).Run(); err != nil {
			return 0, err
		}
	} else {
		fd, err := unix.Open(filepath.Join(r.dir, "supervise", "control"), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, err
		}
		_, err = unix.Write(fd, []byte{'t'})
		unix.Close(fd)
		if err != nil {
			return 0, err
		}
	}
	seen, err := watchFor(ino, r.dir, newPid, true, 10*time.Second)
	if err != nil {
		return 0, fmt.Errorf("no restart after t: %v", err)
	}
	return seen.Sub(start), nil
}

// smapsPSS returns the PSS of pid in KiB.
func smapsPSS(pid int) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "Pss:" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("no Pss for %d", pid)
}

// processPSS starts n supervisors of normally-down services, one process
// each, and returns their mean PSS in KiB.
func processPSS(c *ctx, n int, sup []string, tag string) (float64, error) {
	var cmds []*exec.Cmd
	defer func() {
		for _, cmd := range cmds {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	for i := 0; i < n; i++ {
		dir := filepath.Join(c.work, fmt.Sprintf("pss-%s-%d", tag, i))
		if err := mkService(dir, true); err != nil {
			return 0, err
		}
		cmd := exec.Command(sup[0], append(sup[1:], dir)...)
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		cmds = append(cmds, cmd)
	}
	for i := range cmds {
		dir := filepath.Join(c.work, fmt.Sprintf("pss-%s-%d", tag, i))
		if !waitFor(10*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(dir, "supervise", "status"))
			return err == nil
		}) {
			return 0, fmt.Errorf("%s did not start on %s", sup[0], dir)
		}
	}
	time.Sleep(300 * time.Millisecond)
	total := 0
	for _, cmd := range cmds {
		kb, err := smapsPSS(cmd.Process.Pid)
		if err != nil {
			return 0, err
		}
		total += kb
	}
	return float64(total) / float64(n), nil
}

// inProcessSupervisors is the child: it runs n Supervisors of
// normally-down services and prints the growth of its PSS and RSS per
// supervisor.
func inProcessSupervisors(arg string) int {
	n, err := strconv.Atoi(arg)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	root, err := os.MkdirTemp(os.Getenv("BENCH_WORK"), "inproc-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = filepath.Join(root, strconv.Itoa(i))
		if err := mkService(dirs[i], true); err != nil {
			fmt.Println(err)
			return 1
		}
	}
	// One supervisor first, so that what every process pays once (the
	// reaper, the poller, the signal goroutine) is not counted.
	warm, err := supervision.New(dirs[0], supervision.Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	go warm.Run()
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	pss0, _ := smapsPSS(os.Getpid())
	rss0 := vmRSS()
	sups := []*supervision.Supervisor{warm}
	for _, d := range dirs[1:] {
		s, err := supervision.New(d, supervision.Options{})
		if err != nil {
			fmt.Println(err)
			return 1
		}
		go s.Run()
		sups = append(sups, s)
	}
	runtime.GC()
	time.Sleep(300 * time.Millisecond)
	pss1, _ := smapsPSS(os.Getpid())
	rss1 := vmRSS()
	m := float64(n - 1)
	fmt.Printf("PSS +%.2f KiB, RSS +%.2f KiB per further supervisor", float64(pss1-pss0)/m, float64(rss1-rss0)/m)
	return 0
}

func vmRSS() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}
