package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/supervision"
	"golang.org/x/sys/unix"
)

func init() {
	register("svcwait", "svc -w: from the state change to the client's exit, and what a 10 s wait costs, against s6-svc -w on s6-supervise and sv -w on runsv", benchSvcWait)
}

// waitPeer is one supervisor with its waiting client. Each client
// sends the command itself and then waits (svc -wu -u, s6-svc -wu -u,
// sv -w up), so that all three start the same way.
type waitPeer struct {
	name      string
	supervise string
	// wait returns the client's command line that brings dir to the
	// state of letter (u or d) and waits for it.
	wait func(letter byte, dir string) []string
	// idle returns a client that waits 10 s for a state that does not
	// come: up and ready on a service wanted down (ours, s6), or
	// ready according to a ./check that always fails (runit's sv).
	idle func(dir string) []string
	// idleCheck: the idle service needs a failing ./check (runit).
	idleCheck bool
	// running decodes the supervisor's status file.
	running func(b []byte) (running, ok bool)
}

// waitPeers are the three supervisors and their clients. Readiness (U
// and R after a notification) is the next row of this table once our
// supervise records it: a service with notification-fd whose run
// writes its newline when the bench signals it, the letters U and R in
// wait (sv: a ./check that passes once notified), and running extended
// to the ready flag (ours: Ext.Ready; s6: bit 0x08 of the flags byte,
// with up), so that oneWait times from the notification's status write.
func waitPeers(c *ctx) []waitPeer {
	ours := filepath.Join(c.links, "svc")
	return []waitPeer{
		{
			name: "ours", supervise: filepath.Join(c.links, "supervise"),
			wait: func(l byte, dir string) []string {
				return []string{ours, "-w" + string(l), "-T", "30000", "-" + string(l), dir}
			},
			idle:    func(dir string) []string { return []string{ours, "-wU", "-T", "10000", dir} },
			running: daemontoolsRunning,
		},
		{
			name: "s6", supervise: "/usr/bin/s6-supervise",
			wait: func(l byte, dir string) []string {
				return []string{"/usr/bin/s6-svc", "-w" + string(l), "-T", "30000", "-" + string(l), dir}
			},
			idle:    func(dir string) []string { return []string{"/usr/bin/s6-svc", "-wU", "-T", "10000", dir} },
			running: s6Running,
		},
		{
			name: "runit", supervise: "/usr/bin/runsv",
			wait: func(l byte, dir string) []string {
				word := map[byte]string{'u': "up", 'd': "down"}[l]
				return []string{"/usr/bin/sv", "-w", "30", word, dir}
			},
			idle:      func(dir string) []string { return []string{"/usr/bin/sv", "-w", "10", "up", dir} },
			idleCheck: true,
			running:   daemontoolsRunning,
		},
	}
}

// daemontoolsRunning reads a status of ours, Debian's or runit's.
func daemontoolsRunning(b []byte) (bool, bool) {
	st, err := supervision.DecodeStatus(b)
	return st.Running(), err == nil
}

// s6Running reads s6-supervise's 35 bytes: two TAI64N stamps, the pid
// as 8 bytes big-endian, the wait status, the flags.
func s6Running(b []byte) (bool, bool) {
	if len(b) < 35 {
		return false, false
	}
	return binary.BigEndian.Uint64(b[24:32]) != 0 && b[34]&2 == 0, true
}

func benchSvcWait(c *ctx) error {
	if err := missing("/usr/bin/s6-supervise", "/usr/bin/s6-svc", "/usr/bin/runsv", "/usr/bin/sv"); err != nil {
		return err
	}
	peers := waitPeers(c)
	lat := map[string]map[byte]time.Duration{}
	for _, p := range peers {
		up, down, err := waitLatency(c, p)
		if err != nil {
			return fmt.Errorf("%s: %v", p.name, err)
		}
		lat[p.name] = map[byte]time.Duration{'u': up, 'd': down}
	}
	for _, l := range []byte("ud") {
		fmt.Printf("   %-34s ours %s  s6 %s  runit %s (median of %d: status rename to client exit)\n",
			"-w"+string(l)+" wakes after the change", ms(lat["ours"][l]), ms(lat["s6"][l]), ms(lat["runit"][l]), c.runs)
	}
	for _, p := range peers {
		cost, err := idleCost(c, p)
		if err != nil {
			return fmt.Errorf("%s: %v", p.name, err)
		}
		fmt.Printf("   %-34s %-6s %s\n", "a 10 s wait that gets nowhere", p.name, cost)
	}
	return nil
}

// startWaitSupervisor runs p's supervisor on a new normally-down
// service and returns its directory and a function that stops it.
func startWaitSupervisor(c *ctx, p waitPeer, tag string, check bool) (string, func(), error) {
	dir := filepath.Join(c.work, "wait-"+p.name+"-"+tag)
	if err := mkService(dir, true); err != nil {
		return "", nil, err
	}
	if check {
		if err := os.WriteFile(filepath.Join(dir, "check"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			return "", nil, err
		}
	}
	cmd := exec.Command(p.supervise, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	if !waitFor(10*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "supervise", "status"))
		return err == nil && controlReader(dir)
	}) {
		stop()
		return "", nil, fmt.Errorf("%s did not start on %s", p.supervise, dir)
	}
	return dir, stop, nil
}

// controlReader reports whether a supervisor reads dir's control FIFO
// (s6-supervise has no supervise/ok).
func controlReader(dir string) bool {
	fd, err := unix.Open(filepath.Join(dir, "supervise", "control"), unix.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// waitLatency brings p's service up and down c.runs times with p's
// client and returns the median time from the status rename that
// shows the state to the client's exit, for u and for d. The bench
// sees the rename through inotify, as svc does; the client's start-up
// comes before the change and is not counted.
func waitLatency(c *ctx, p waitPeer) (up, down time.Duration, err error) {
	dir, stop, err := startWaitSupervisor(c, p, "lat", false)
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	var ups, downs []time.Duration
	for i := 0; i < c.runs; i++ {
		for _, l := range []byte("ud") {
			d, err := oneWait(p, l, dir)
			if err != nil {
				return 0, 0, err
			}
			if l == 'u' {
				ups = append(ups, d)
			} else {
				downs = append(downs, d)
			}
			// Our supervise, like daemontools', reads no command
			// for a second after a start.
			time.Sleep(1200 * time.Millisecond)
		}
	}
	return medianOf(ups), medianOf(downs), nil
}

func oneWait(p waitPeer, letter byte, dir string) (time.Duration, error) {
	ino, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return 0, err
	}
	defer unix.Close(ino)
	if _, err := unix.InotifyAddWatch(ino, filepath.Join(dir, "supervise"), unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		return 0, err
	}
	argv := p.wait(letter, dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	exited := make(chan time.Time, 1)
	var waitErr error
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	go func() {
		waitErr = cmd.Wait()
		exited <- time.Now()
	}()
	changed, err := watchFor(ino, dir, p.running, letter == 'u', 30*time.Second)
	end := <-exited
	if err != nil {
		return 0, err
	}
	if waitErr != nil {
		return 0, fmt.Errorf("%v: %v", argv, waitErr)
	}
	return end.Sub(changed), nil
}

// watchFor reads inotify events until dir's status shows the service
// running (or not, when up is false) and returns when it saw that.
func watchFor(ino int, dir string, running func([]byte) (bool, bool), up bool, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	buf := make([]byte, 4096)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return time.Time{}, fmt.Errorf("no change of %s within %v", dir, limit)
		}
		fds := []unix.PollFd{{Fd: int32(ino), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return time.Time{}, err
		}
		if fds[0].Revents == 0 {
			continue
		}
		if _, err := unix.Read(ino, buf); err != nil {
			return time.Time{}, err
		}
		seen := time.Now()
		b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
		if err != nil {
			continue
		}
		if r, ok := running(b); ok && r == up {
			return seen, nil
		}
	}
}

func medianOf(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// idleCost runs p's idle client for its 10 s and reports the CPU it
// used (wait4's rusage, its reaped children included), the clock ticks
// /proc/PID/stat counts from its second 1 to its second 9 (start-up
// left out), and its wake-ups (context switches of all its threads)
// in those 8 seconds.
func idleCost(c *ctx, p waitPeer) (string, error) {
	dir, stop, err := startWaitSupervisor(c, p, "idle", p.idleCheck)
	if err != nil {
		return "", err
	}
	defer stop()
	if p.idleCheck {
		// sv -w up starts the service and then polls ./check.
		time.Sleep(100 * time.Millisecond)
	}
	argv := p.idle(dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", err
	}
	pid := cmd.Process.Pid
	time.Sleep(time.Until(start.Add(time.Second)))
	ticks0, sw0 := procTicks(pid), procSwitches(pid)
	time.Sleep(time.Until(start.Add(9 * time.Second)))
	ticks1, sw1 := procTicks(pid), procSwitches(pid)
	cmd.Wait() // exits non-zero: timed out, as it should
	took := time.Since(start)
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var cpu time.Duration
	if ru != nil {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return fmt.Sprintf("CPU %s in %.1f s; seconds 1-9: %d ticks, %d wake-ups (%s)",
		ms(cpu), took.Seconds(), ticks1-ticks0, sw1-sw0, filepath.Base(argv[0])+" "+strings.Join(argv[1:len(argv)-1], " ")), nil
}

// procTicks is utime+stime of pid, in clock ticks.
func procTicks(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st
}

// procSwitches counts the context switches of all of pid's threads.
func procSwitches(pid int) int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	n := 0
	for _, t := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/status")
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && strings.HasSuffix(f[0], "ctxt_switches:") {
				v, _ := strconv.Atoi(f[1])
				n += v
			}
		}
	}
	return n
}
