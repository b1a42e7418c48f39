package apptest

// What tests read of processes in /proc, and how they clean up
// processes they did not start through Start. Nothing here waits for a
// child (no os/exec Wait, no wait4): the supervision package's tests run
// Supervisors in the test process, whose reaper owns every child, and
// use these too.

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Stat is what tests use of /proc/PID/stat (proc(5)).
type Stat struct {
	Pid   int
	Comm  string // the command name, which may hold spaces and parentheses
	State byte   // R, S, D, Z, T, ...
	Ppid  int
	Pgrp  int
	Utime int // user CPU time, in clock ticks
	Stime int // system CPU time, in clock ticks
}

// ParseStat parses the text of /proc/PID/stat: "pid (comm) state ppid
// pgrp ...". The command name runs to the last ")", so that one holding
// ") " or spaces is read whole.
func ParseStat(text string) (Stat, bool) {
	l, r := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
	if l < 0 || r < l {
		return Stat{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(text[:l]))
	if err != nil {
		return Stat{}, false
	}
	// state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
	// cmajflt utime stime ...
	f := strings.Fields(text[r+1:])
	if len(f) < 13 || len(f[0]) != 1 {
		return Stat{}, false
	}
	s := Stat{Pid: pid, Comm: text[l+1 : r], State: f[0][0]}
	for _, v := range []struct {
		dst *int
		i   int
	}{{&s.Ppid, 1}, {&s.Pgrp, 2}, {&s.Utime, 11}, {&s.Stime, 12}} {
		if *v.dst, err = strconv.Atoi(f[v.i]); err != nil {
			return Stat{}, false
		}
	}
	return s, true
}

// ReadStat reads /proc/PID/stat; false when pid does not exist (a
// zombie still does, in state Z).
func ReadStat(pid int) (Stat, bool) { return ReadStatAt("/proc", pid) }

// ReadStatAt is ReadStat in the procfs mounted at procfs: another pid
// namespace's is /proc/PID/root/proc for a process PID inside it.
func ReadStatAt(procfs string, pid int) (Stat, bool) {
	if pid <= 0 {
		return Stat{}, false
	}
	b, err := os.ReadFile(procfs + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, false
	}
	return ParseStat(string(b))
}

// Processes returns the stat of every process /proc lists.
func Processes() []Stat {
	ents, _ := os.ReadDir("/proc")
	out := make([]Stat, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := ReadStat(pid); ok {
			out = append(out, s)
		}
	}
	return out
}

// Children returns the pids whose parent is pid, zombies included.
func Children(pid int) []int {
	var out []int
	for _, s := range Processes() {
		if s.Ppid == pid {
			out = append(out, s.Pid)
		}
	}
	return out
}

// Zombies counts pid's children that have exited and not been reaped.
func Zombies(pid int) int {
	n := 0
	for _, s := range Processes() {
		if s.Ppid == pid && s.State == 'Z' {
			n++
		}
	}
	return n
}

// Alive reports whether pid exists: kill(pid, 0) succeeds. A zombie is
// alive here (see Gone); pid 0 or less never is, rather than naming a
// process group.
func Alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// Gone reports whether pid has exited: it does not exist, or it is a
// zombie (whose parent, not the test, will reap it).
func Gone(pid int) bool {
	s, ok := ReadStat(pid)
	return !ok || s.State == 'Z'
}

// Copies counts, for each of dirs, the live processes (not zombies)
// whose working directory it is and whose command name is comm (any
// command when comm is ""): the copies of a service that does not chdir.
// A dir with none is absent from the map.
func Copies(comm string, dirs ...string) map[string]int {
	want := map[string]bool{}
	for _, d := range dirs {
		want[d] = true
	}
	out := map[string]int{}
	for _, s := range Processes() {
		if s.State == 'Z' || (comm != "" && s.Comm != comm) {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + strconv.Itoa(s.Pid) + "/cwd"); err == nil && want[cwd] {
			out[cwd]++
		}
	}
	return out
}

// FDs counts pid's open descriptors (-1 when they cannot be read). For
// the test process itself the count includes the one reading them.
func FDs(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// ParseStatusField returns the number that the line "name:" of the text
// of /proc/PID/status begins with (VmRSS in KiB, Threads), or -1.
func ParseStatusField(text, name string) int {
	for _, l := range strings.Split(text, "\n") {
		v, ok := strings.CutPrefix(l, name+":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return -1
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			return -1
		}
		return n
	}
	return -1
}

// StatusField reads the field name of /proc/PID/status as
// ParseStatusField does; -1 when pid or the field does not exist.
func StatusField(pid int, name string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	return ParseStatusField(string(b), name)
}

// ThreadsIn counts the threads of pid that are in system call nr (the
// kernel's number, syscall.SYS_WRITE say) with fd as its first
// argument, as /proc/PID/task/TID/syscall shows them: a thread blocked
// in that call, or caught in it. It returns -1 when the tasks cannot
// be read (another user's process, a kernel without the file).
func ThreadsIn(pid int, nr uintptr, fd int) int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	want := strconv.FormatUint(uint64(nr), 10) + " 0x" + strconv.FormatUint(uint64(fd), 16) + " "
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/syscall")
		if err != nil {
			if os.IsPermission(err) {
				return -1
			}
			continue // the thread ended meanwhile
		}
		if strings.HasPrefix(string(b), want) {
			n++
		}
	}
	return n
}

// Cmdline returns /proc/PID/cmdline: the arguments, each ended by a NUL
// ("" when pid does not exist).
func Cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(b)
}

// KillAtCleanup SIGKILLs pids (those above 0) when the test ends: for
// processes the test did not start with Start, such as services left
// running by a supervisor killed on purpose, so that a test failing
// half-way leaves none behind. Only those pids are signalled, never a
// group or a name.
func KillAtCleanup(t testing.TB, pids ...int) {
	t.Cleanup(func() {
		for _, p := range pids {
			if p > 0 {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
}

// ExitCode is the status of a finished command as a shell reports it:
// 0 for a nil err, the exit code of an *exec.ExitError, or 128 plus the
// signal number for a process killed by a signal; -1 for any other
// error (the command did not run, or its Wait failed).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return -1
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
