package supervision

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// OS threads are the one resource of svscan's whose exhaustion the Go
// runtime does not report but dies of: when it needs a thread and
// clone(2) fails (the tree's cgroup at pids.max, the user at
// RLIMIT_NPROC, or the runtime's own limit of 10000), it prints
// "runtime: failed to create new OS thread" and ends the process, with
// it every supervisor. The reference's supervise processes each fail
// alone, and only at fork.
//
// So the number of threads svscan needs is bounded, and svscan makes
// them all before it starts anything. A goroutine holds a thread of its
// own only while it is in a blocking system call; the supervisors park
// in the poller and take none, and the calls that block are made by a
// known few goroutines: the scanner, the worker and its spares
// (offload, bounded by spareWorkers), the spawner, and the one writer
// of stderr at a time (applets/internal/diag). Besides those the
// runtime wants one thread per P to run goroutines, its monitor, and
// the thread that waits for signals. The runtime never gives an idle
// thread back, so threads made at start-up, when the tree has not yet
// used up its process limit, are there when they are needed: a mass
// restart, a stuck stderr and a fork that fails for want of processes
// then take no new one.

// blockingGoroutines is how many goroutines may be in blocking system
// calls at once: the worker and its spares, the scanner, the spawner,
// the writer of stderr, and one for the reaper's and the watcher's
// calls, which do not block but may be caught in the kernel.
const blockingGoroutines = 1 + spareWorkers + 4

// threadBudget is how many threads warmThreads makes: one per P and one
// per goroutine that may block.
func threadBudget() int { return runtime.GOMAXPROCS(0) + blockingGoroutines }

var warmOnce sync.Once

// warmThreads makes the runtime start threadBudget threads, if it has
// not that many already, and leaves them idle for later: each of that
// many goroutines locks itself to a thread, so that all of them hold
// one at the same moment, then unlocks and ends, and the thread goes
// back to the runtime's idle list. Where a limit leaves fewer to
// spare (svscan started again beside the services the last one left
// in a cgroup near its pids.max), it makes only what the limit leaves,
// less a few: the tree then lives as long as it needs no more, rather
// than dying at once.
func warmThreads() {
	warmOnce.Do(func() {
		n := threadBudget()
		if spare := tasksToSpare(); spare >= 0 {
			n = min(n, spare-runtime.GOMAXPROCS(0)-2)
		}
		if n <= 0 {
			return
		}
		var locked sync.WaitGroup
		locked.Add(n)
		release := make(chan struct{})
		var done sync.WaitGroup
		done.Add(n)
		for range n {
			go func() {
				defer done.Done()
				runtime.LockOSThread()
				locked.Done()
				<-release
				runtime.UnlockOSThread()
			}()
		}
		locked.Wait()
		close(release)
		done.Wait()
	})
}

// tasksToSpare is how many more tasks (threads or processes) this
// process may make before a limit refuses one: the least room left
// under the pids.max of its cgroup and of each cgroup above it, and
// under RLIMIT_NPROC, which counts every task of its real user (and
// does not bind root); -1 when no limit applies or none can be read.
func tasksToSpare() int {
	spare := -1
	room := func(n int) {
		if n >= 0 && (spare < 0 || n < spare) {
			spare = n
		}
	}
	for _, dir := range pidsCgroups() {
		// Up to the hierarchy's root, whose limits do not exist.
		for d := dir; d != ""; d = d[:max(strings.LastIndexByte(d, '/'), 0)] {
			limit, err1 := os.ReadFile(d + "/pids.max")
			cur, err2 := os.ReadFile(d + "/pids.current")
			if err1 != nil || err2 != nil {
				break
			}
			m, err1 := strconv.Atoi(strings.TrimSpace(string(limit)))
			c, err2 := strconv.Atoi(strings.TrimSpace(string(cur)))
			if err1 == nil && err2 == nil { // "max" is no limit
				room(max(m-c, 0))
			}
		}
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &lim) == nil && lim.Cur < 1<<20 && !exemptNproc() {
		if n := userTasks(int(lim.Cur)); n >= 0 {
			room(max(int(lim.Cur)-n, 0))
		}
	}
	return spare
}

// pidsCgroups lists the directories of this process's cgroups that may
// hold pids.max: its cgroup v2 directory, and its directory in a
// cgroup v1 hierarchy with the pids controller.
func pidsCgroups() []string {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var dirs []string
	for line := range strings.Lines(string(own)) {
		// ID:CONTROLLERS:PATH; v2 is 0 with no controllers.
		f := strings.SplitN(strings.TrimSuffix(line, "\n"), ":", 3)
		if len(f) != 3 {
			continue
		}
		v2 := f[0] == "0" && f[1] == ""
		if !v2 && !strings.Contains(","+f[1]+",", ",pids,") {
			continue
		}
		if d := cgroupDir(mounts, v2, f[2]); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// cgroupDir finds where the cgroup path of a hierarchy (v2, or v1's
// with the pids controller) is mounted, from mountinfo.
func cgroupDir(mountinfo []byte, v2 bool, path string) string {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		// id parent dev root mountpoint options... - fstype source superoptions
		before, after, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(before), strings.Fields(after)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		if v2 && g[0] != "cgroup2" || !v2 && (g[0] != "cgroup" || !strings.Contains(","+g[2]+",", ",pids,")) {
			continue
		}
		root, point := f[3], f[4]
		if root == "/" {
			root = ""
		}
		if rest, ok := strings.CutPrefix(path, root); ok && (rest == "" || rest[0] == '/') {
			return strings.TrimSuffix(point+rest, "/")
		}
	}
	return ""
}

// exemptNproc reports whether RLIMIT_NPROC does not bind this process:
// the kernel exempts CAP_SYS_ADMIN and CAP_SYS_RESOURCE, and root.
func exemptNproc() bool {
	if os.Getuid() == 0 {
		return true
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			const capSysAdmin = 21
			return err == nil && caps&(1<<capSysAdmin|1<<capSysResource) != 0
		}
	}
	return false
}

// userTasks counts the tasks of this process's real user, as
// RLIMIT_NPROC counts them; -1 when /proc cannot be read. The tasks of
// every user (from /proc/loadavg) stand in for them when that is
// fewer than the limit by far anyway, as it is unless the limit was
// set low: then no process need be looked at.
func userTasks(limit int) int {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		// 0.00 0.01 0.05 RUNNING/ALL LASTPID
		if f := strings.Fields(string(b)); len(f) >= 4 {
			if _, all, ok := strings.Cut(f[3], "/"); ok {
				if n, err := strconv.Atoi(all); err == nil && n+4*threadBudget() < limit {
					return n
				}
			}
		}
	}
	d, err := os.Open("/proc")
	if err != nil {
		return -1
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return -1
	}
	uid := strconv.Itoa(os.Getuid())
	n := 0
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + name + "/status")
		if err != nil {
			continue
		}
		var real string
		threads := 0
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					real = f[0]
				}
			} else if v, ok := strings.CutPrefix(line, "Threads:"); ok {
				threads, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if real == uid {
			n += threads
		}
	}
	return n
}
