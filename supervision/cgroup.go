package supervision

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// cgroups: with a file named cgroup in its directory, each start of a
// service runs in a cgroup of its own (cgroup v2), so that processes
// that left its process group or session are still found: they are
// killed when the service is brought down, and svstat --json counts
// them. The cgroups are made below the supervisor's own cgroup, in
// daemontools/DEV-INO/RUN, DEV-INO naming the service directory. The
// child is started in its cgroup (clone3's CLONE_INTO_CGROUP), so that
// nothing it forks can escape in between. Where cgroup v2 is not
// mounted, or the supervisor may not make cgroups there, the file gets
// one warning and the service runs as without it.

// cgroupState is a service's cgroup, in its extension.
type cgroupState struct {
	dir  string // daemontools/DEV-INO below the supervisor's cgroup; "" until made
	run  string // the current run's cgroup in dir
	runs int    // how many runs have had one
	bad  bool   // cgroups are unavailable: reported once
}

var (
	cgroupOnce sync.Once
	cgroupBase string // the supervisor's own cgroup v2 directory, "" without one
	cgroupErr  error
)

// ownCgroup finds the cgroup v2 mount and this process's cgroup in it.
func ownCgroup() (string, error) {
	cgroupOnce.Do(func() {
		mount, err := cgroup2Mount()
		if err != nil {
			cgroupErr = err
			return
		}
		b, err := os.ReadFile("/proc/self/cgroup")
		if err != nil {
			cgroupErr = err
			return
		}
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "0::"); ok {
				cgroupBase = mount + strings.TrimSuffix(rest, "/")
				return
			}
		}
		cgroupErr = syscall.ENOENT
	})
	return cgroupBase, cgroupErr
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted (as
// /sys/fs/cgroup, or /sys/fs/cgroup/unified beside v1 hierarchies).
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent dev root mountpoint options... - fstype source options
		line := sc.Bytes()
		i := bytes.Index(line, []byte(" - "))
		if i < 0 {
			continue
		}
		after := bytes.Fields(line[i+3:])
		before := bytes.Fields(line[:i])
		if len(after) > 0 && string(after[0]) == "cgroup2" && len(before) > 4 {
			return string(before[4]), nil
		}
	}
	return "", syscall.ENOENT
}

// openRunCgroup makes the cgroup of the next run and returns a
// descriptor of it for the fork, or -1 when there is none.
func (s *Supervisor) openRunCgroup() int {
	cg := &s.m.x.cg
	if cg.bad {
		return -1
	}
	fail := func(err error) int {
		cg.bad = true
		s.report.Warn("unable to give "+s.dir+" a cgroup, running it without one", err)
		return -1
	}
	if cg.dir == "" {
		base, err := ownCgroup()
		if err != nil {
			return fail(err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(int(s.dirfd), &st); err != nil {
			return fail(err)
		}
		dir := base + "/daemontools/" + strconv.FormatUint(st.Dev, 10) + "-" + strconv.FormatUint(st.Ino, 10)
		unix.Mkdir(base+"/daemontools", 0o755)
		if err := unix.Mkdir(dir, 0o755); err != nil && err != unix.EEXIST {
			return fail(err)
		}
		cg.dir = dir
	}
	s.pruneCgroups()
	cg.runs++
	run := cg.dir + "/" + strconv.Itoa(cg.runs)
	if err := unix.Mkdir(run, 0o755); err != nil && err != unix.EEXIST {
		return fail(err)
	}
	fd, err := unix.Open(run, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	cg.run = run
	return fd
}

// pruneCgroups removes the cgroups of earlier runs that are empty (a
// cgroup with processes in it cannot be removed, and is left alone).
func (s *Supervisor) pruneCgroups() {
	cg := &s.m.x.cg
	ents, err := os.ReadDir(cg.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			unix.Rmdir(cg.dir + "/" + e.Name())
		}
	}
}

// killCgroup kills every process in the service's cgroups: its current
// run's and what earlier runs left.
func (s *Supervisor) killCgroup() {
	x := s.m.x
	if x == nil || x.cg.dir == "" {
		return
	}
	ents, err := os.ReadDir(x.cg.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := x.cg.dir + "/" + e.Name()
		if err := os.WriteFile(dir+"/cgroup.kill", []byte("1"), 0); err == nil {
			continue
		}
		// Before Linux 5.14 there is no cgroup.kill: one at a time.
		b, _ := os.ReadFile(dir + "/cgroup.procs")
		for line := range strings.Lines(string(b)) {
			if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// closeCgroups removes what is left of the service's cgroups when its
// supervisor leaves.
func (s *Supervisor) closeCgroups() {
	x := s.m.x
	if x == nil || x.cg.dir == "" {
		return
	}
	s.pruneCgroups()
	unix.Rmdir(x.cg.dir)
}

// CgroupProcesses counts the processes in the cgroup of pid, a run
// started with the cgroup file, for svstat: when that cgroup is one of
// a supervisor's (daemontools/DEV-INO/N), every run's of the service,
// what earlier runs left included; each cgroup's descendants too.
// false when pid is in no cgroup v2 that can be read.
func CgroupProcesses(pid int) (int, bool) {
	mount, err := cgroup2Mount()
	if err != nil {
		return 0, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return 0, false
	}
	var dir string
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "0::"); ok {
			dir = rest
		}
	}
	if dir == "" || dir == "/" {
		return 0, false
	}
	if parent := dir[:strings.LastIndexByte(dir, '/')]; isServiceCgroup(parent) {
		dir = parent
	}
	n, ok := 0, false
	var count func(string)
	count = func(d string) {
		b, err := os.ReadFile(d + "/cgroup.procs")
		if err != nil {
			return
		}
		ok = true
		n += bytes.Count(b, []byte("\n"))
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.IsDir() {
				count(d + "/" + e.Name())
			}
		}
	}
	count(mount + dir)
	return n, ok
}

// isServiceCgroup says whether dir ends in daemontools/DEV-INO.
func isServiceCgroup(dir string) bool {
	i := strings.LastIndexByte(dir, '/')
	dev, ino, found := strings.Cut(dir[i+1:], "-")
	if !found || !strings.HasSuffix(dir[:max(i, 0)], "/daemontools") {
		return false
	}
	_, e1 := strconv.ParseUint(dev, 10, 64)
	_, e2 := strconv.ParseUint(ino, 10, 64)
	return e1 == nil && e2 == nil
}
