package apptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// The fields after comm, as Linux 6 prints them for a sleeping sh.
	const rest = " S 41 42 41 34816 42 4194304 114 0 0 0 7 3 0 0 20 0 1 0 1234 2650112 218 18446744073709551615\n"
	for _, c := range []struct {
		text string
		want Stat
	}{
		{"42 (sh)" + rest, Stat{Pid: 42, Comm: "sh", State: 'S', Ppid: 41, Pgrp: 42, Utime: 7, Stime: 3}},
		// A command name may hold spaces, parentheses and ") ".
		{"42 (a) b ( c)" + rest, Stat{Pid: 42, Comm: "a) b ( c", State: 'S', Ppid: 41, Pgrp: 42, Utime: 7, Stime: 3}},
		{"42 (x) Z 41 )" + rest, Stat{Pid: 42, Comm: "x) Z 41 ", State: 'S', Ppid: 41, Pgrp: 42, Utime: 7, Stime: 3}},
		{"42 ()" + rest, Stat{Pid: 42, Comm: "", State: 'S', Ppid: 41, Pgrp: 42, Utime: 7, Stime: 3}},
		{"7 (z) Z 1 7 7 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0 18446744073709551615\n", Stat{Pid: 7, Comm: "z", State: 'Z', Ppid: 1, Pgrp: 7}},
	} {
		got, ok := ParseStat(c.text)
		if !ok || got != c.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v", c.text, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "42", "42 (sh", "42 sh) S 1 2", "x (sh)" + rest, "42 (sh) S 41 42", "42 (sh) S x 42 41 0 0 0 0 0 0 0 7 3", "42 (sh) SS 41 42 41 0 0 0 0 0 0 0 7 3"} {
		if got, ok := ParseStat(bad); ok {
			t.Errorf("ParseStat(%q) = %+v, want a failure", bad, got)
		}
	}
}

func TestReadStatSelf(t *testing.T) {
	s, ok := ReadStat(os.Getpid())
	if !ok || s.Pid != os.Getpid() || s.Ppid != os.Getppid() || s.State == 'Z' || s.Comm == "" {
		t.Fatalf("ReadStat(self) = %+v, %v", s, ok)
	}
	if s2, ok := ReadStatAt("/proc", os.Getpid()); !ok || s2.Pid != s.Pid || s2.Ppid != s.Ppid {
		t.Errorf("ReadStatAt(/proc, self) = %+v, %v", s2, ok)
	}
	for _, pid := range []int{0, -1, 1<<22 + 1} {
		if s, ok := ReadStat(pid); ok {
			t.Errorf("ReadStat(%d) = %+v", pid, s)
		}
	}
}

func TestParseStatusField(t *testing.T) {
	const text = "Name:\tsleep\nState:\tS (sleeping)\nVmRSS:\t    1234 kB\nThreads:\t5\nVmRSSx:\t9\nEmpty:\t\nWord:\tx\n"
	for name, want := range map[string]int{"VmRSS": 1234, "Threads": 5, "VmRSSx": 9, "Vm": -1, "Missing": -1, "Empty": -1, "Word": -1, "State": -1} {
		if got := ParseStatusField(text, name); got != want {
			t.Errorf("ParseStatusField(%q) = %d, want %d", name, got, want)
		}
	}
	if n := StatusField(os.Getpid(), "Threads"); n < 1 {
		t.Errorf("this process has %d threads", n)
	}
	if n := StatusField(1<<22+1, "Threads"); n != -1 {
		t.Errorf("a pid nobody has: %d threads", n)
	}
}

func TestFDs(t *testing.T) {
	// Once first, so that whatever the runtime opens for its first
	// file (the poller) is open before the count.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := FDs(os.Getpid())
	if f, err = os.Open(os.DevNull); err != nil {
		t.Fatal(err)
	}
	if n := FDs(os.Getpid()); n != before+1 {
		t.Errorf("%d descriptors with one more open, %d before", n, before)
	}
	f.Close()
	if n := FDs(os.Getpid()); n != before {
		t.Errorf("%d descriptors after closing it, %d before", n, before)
	}
	if n := FDs(1<<22 + 1); n != -1 {
		t.Errorf("a pid nobody has: %d descriptors", n)
	}
}

// A thread blocked writing to a full pipe is counted in write(2) on
// that pipe, and not once the pipe is read.
func TestThreadsIn(t *testing.T) {
	r, w, closeW := FullPipe(t)
	if n := ThreadsIn(os.Getpid(), syscall.SYS_WRITE, w); n != 0 {
		t.Fatalf("%d threads in write before any", n)
	}
	wrote := make(chan struct{})
	go func() {
		syscall.Write(w, []byte("line\n"))
		close(wrote)
	}()
	Poll(t, 10*time.Second, "a thread blocked in write", func() bool { return ThreadsIn(os.Getpid(), syscall.SYS_WRITE, w) == 1 })
	got := Drain(r)
	<-wrote
	if n := ThreadsIn(os.Getpid(), syscall.SYS_WRITE, w); n != 0 {
		t.Errorf("%d threads in write after the pipe was read", n)
	}
	closeW()
	<-got.Done()
	if b := got.String(); b != "line\n" {
		t.Errorf("read %q after the filling", b)
	}
	if n := ThreadsIn(1<<22+1, syscall.SYS_WRITE, w); n != -1 {
		t.Errorf("a pid nobody has: %d", n)
	}
}

// A child that has exited and is not yet reaped is a zombie: alive to
// kill(2), gone to Gone, counted by Zombies and Children; once reaped
// it is neither.
func TestChildrenAndZombies(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	reaped := false
	t.Cleanup(func() {
		if !reaped {
			cmd.Wait()
		}
	})
	Poll(t, 10*time.Second, "the child to exit", func() bool { s, _ := ReadStat(pid); return s.State == 'Z' })
	if !slices.Contains(Children(os.Getpid()), pid) {
		t.Errorf("Children(self) = %v lacks %d", Children(os.Getpid()), pid)
	}
	if z := Zombies(os.Getpid()); z != 1 {
		t.Errorf("Zombies(self) = %d, want 1", z)
	}
	if !Alive(pid) || !Gone(pid) {
		t.Errorf("a zombie: Alive %v, Gone %v; want true, true", Alive(pid), Gone(pid))
	}
	cmd.Wait()
	reaped = true
	if Alive(pid) || !Gone(pid) || Zombies(os.Getpid()) != 0 || slices.Contains(Children(os.Getpid()), pid) {
		t.Errorf("reaped: Alive %v, Gone %v, Zombies %d, Children %v", Alive(pid), Gone(pid), Zombies(os.Getpid()), Children(os.Getpid()))
	}
	if !Alive(os.Getpid()) || Gone(os.Getpid()) {
		t.Error("this process is not alive")
	}
	for _, p := range []int{0, -1} {
		if Alive(p) {
			t.Errorf("Alive(%d)", p)
		}
	}
}

// Copies finds a process by its working directory and command name;
// KillAtCleanup kills it by pid when the (sub)test ends.
func TestCopiesAndKillAtCleanup(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	cmd := exec.Command("sleep", "1000")
	cmd.Dir = dir
	done := make(chan error, 1)
	t.Run("running", func(t *testing.T) {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		KillAtCleanup(t, 0, cmd.Process.Pid, -1)
		Poll(t, 10*time.Second, "sleep to run", func() bool { return Copies("sleep", dir)[dir] == 1 })
		if got := Copies("", dir, other); got[dir] != 1 || len(got) != 1 {
			t.Errorf("Copies(any) = %v", got)
		}
		if got := Copies("sh", dir); len(got) != 0 {
			t.Errorf("Copies(sh) = %v", got)
		}
		if s := Cmdline(cmd.Process.Pid); s != "sleep\x001000\x00" {
			t.Errorf("Cmdline = %q", s)
		}
	})
	select {
	case err := <-done:
		if c := ExitCode(err); c != 128+9 {
			t.Errorf("sleep after KillAtCleanup: %v (%d)", err, c)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("KillAtCleanup did not kill sleep")
	}
	if got := Copies("sleep", dir); len(got) != 0 {
		t.Errorf("Copies after the kill = %v", got)
	}
}

func TestExitCode(t *testing.T) {
	run := func(script string) error { return exec.Command("/bin/sh", "-c", script).Run() }
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{run("exit 0"), 0},
		{run("exit 3"), 3},
		{run("kill -TERM $$"), 128 + 15},
		{fmt.Errorf("wrapped: %w", run("exit 111")), 111},
		{exec.Command("/nonexistent/program").Run(), -1},
		{errors.New("other"), -1},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestOldLogs(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"current", "state", "@400000000000000200000000.u", "lock", "@400000000000000100000000.s", "@z", "previous"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"@400000000000000100000000.s", "@400000000000000200000000.u", "@z"}
	if got := OldLogs(t, dir); !slices.Equal(got, want) {
		t.Errorf("OldLogs = %q, want %q", got, want)
	}
	if got := OldLogs(t, t.TempDir()); len(got) != 0 {
		t.Errorf("OldLogs(empty) = %q", got)
	}
}

func TestSoak(t *testing.T) {
	t.Setenv(SoakEnv, "")
	if Soak() {
		t.Error("Soak with the variable empty")
	}
	t.Setenv(SoakEnv, "1")
	if !Soak() {
		t.Error("not Soak with the variable set")
	}
}
