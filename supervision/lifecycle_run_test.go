package supervision

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"golang.org/x/sys/unix"
)

// The lifecycle files with real services, run by a Supervisor in this
// process.

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "finish" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func readInt(path string) int {
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// starts counts the starts of a service whose run appends a line to
// the file starts.
func starts(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	return strings.Count(string(b), "\n")
}

const countedExit = "#!/bin/sh\necho >> starts\nexit %d\n"

func TestFinishRealService(t *testing.T) {
	t.Parallel()
	dir := service(t, fmt.Sprintf(countedExit, 3), false)
	writeFiles(t, dir, map[string]string{
		"finish": "#!/bin/sh\necho \"$@\" >> args\necho $$ > finish.pid\nsleep 0.5\n",
	})
	start(t, dir)
	var fin Status
	waitStatus(t, dir, "./finish running", func(st Status) bool { fin = st; return st.State == StateFinish })
	if fin.Ext.Phase != PhaseFinishing || fin.Ext.Exit != ExitCode || fin.Ext.ExitValue != 3 {
		t.Errorf("status while finishing: %+v", fin)
	}
	apptest.Poll(t, 10*time.Second, "finish's pid", func() bool { return readInt(filepath.Join(dir, "finish.pid")) == int(fin.Pid) })
	apptest.Poll(t, 10*time.Second, "a restart after ./finish", func() bool { return starts(dir) >= 2 })
	b, _ := os.ReadFile(filepath.Join(dir, "args"))
	if !strings.HasPrefix(string(b), "3 0\n") {
		t.Errorf("./finish got %q, want runit's \"3 0\"", b)
	}
}

func TestFinishArgsAfterSignal(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	writeFiles(t, dir, map[string]string{"finish": "#!/bin/sh\necho \"$@\" > args\nexit 125\n"})
	start(t, dir)
	waitStatus(t, dir, "up", func(st Status) bool { return st.State == StateRun })
	send(t, dir, "k")
	st := waitStatus(t, dir, "down for good after exit 125", func(st Status) bool { return st.Pid == 0 && st.Ext.Flags&FlagPermanent != 0 })
	if st.Want != 0 || st.Ext.Exit != ExitSignal || st.Ext.ExitValue != uint8(syscall.SIGKILL) {
		t.Errorf("after ./finish exit 125: %+v", st)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "args")); string(b) != "-1 9\n" {
		t.Errorf("./finish got %q, want runit's \"-1 9\"", b)
	}
	// Not restarted; u starts it again.
	send(t, dir, "u")
	waitStatus(t, dir, "up after u", func(st Status) bool { return st.State == StateRun && st.Ext.Flags&FlagPermanent == 0 })
}

func TestFinishHangsAndIsKilled(t *testing.T) {
	t.Parallel()
	dir := service(t, fmt.Sprintf(countedExit, 0), false)
	writeFiles(t, dir, map[string]string{"finish": "#!/bin/sh\nexec sleep 1000\n", "timeout-finish": "300\n"})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	var fin Status
	waitStatus(t, dir, "./finish running", func(st Status) bool { fin = st; return st.State == StateFinish })
	apptest.Poll(t, 10*time.Second, "./run again after the kill", func() bool { return starts(dir) >= 2 })
	if apptest.Alive(int(fin.Pid)) {
		if s, ok := apptest.ReadStat(int(fin.Pid)); ok && s.State != 'Z' {
			t.Errorf("./finish %d still runs", fin.Pid)
		}
	}
	if want := "warning: killing " + dir + "/finish: it ran longer than timeout-finish"; !rec.has(want) {
		t.Errorf("reports %q lack %q", rec, want)
	}
}

func TestFinishNotExecutable(t *testing.T) {
	t.Parallel()
	dir := service(t, fmt.Sprintf(countedExit, 0), false)
	writeFiles(t, dir, map[string]string{"finish": "#!/bin/sh\nexit 0\n"})
	os.Chmod(filepath.Join(dir, "finish"), 0o644)
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	apptest.Poll(t, 10*time.Second, "restarted without ./finish", func() bool { return starts(dir) >= 2 })
	if want := "warning: unable to start " + dir + "/finish: " + syscall.EACCES.Error(); !rec.has(want) {
		t.Errorf("reports %q lack %q", rec, want)
	}
}

// A service that ignores TERM, with a child that ignores it too: d
// sends TERM to the group, and after timeout-kill KILL reaches both.
func TestTimeoutKillReachesTheGroup(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\ntrap '' TERM\nsleep 1000 &\necho $! > child\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"timeout-kill": "300\n"})
	start(t, dir)
	st := waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 })
	apptest.Poll(t, 10*time.Second, "the child", func() bool { return readInt(filepath.Join(dir, "child")) > 0 })
	child := readInt(filepath.Join(dir, "child"))
	apptest.KillAtCleanup(t, child)
	if s, _ := apptest.ReadStat(int(st.Pid)); s.Pgrp != int(st.Pid) {
		t.Errorf("the service leads process group %d, not its own", s.Pgrp)
	}
	time.Sleep(startPause) // the pause after the start: d would wait for it
	send(t, dir, "d")
	got := waitStatus(t, dir, "stopping", func(st Status) bool { return st.Ext.Phase == PhaseStopping || st.Pid == 0 })
	if got.Pid != 0 && !apptest.Alive(int(st.Pid)) {
		t.Error("TERM ended a service that ignores it")
	}
	waitStatus(t, dir, "down after timeout-kill", func(st Status) bool { return st.Pid == 0 })
	apptest.Poll(t, 10*time.Second, "the child killed", func() bool { return apptest.Gone(child) })
}

// Without timeout-kill the service stays in the supervisor's group.
func TestNoGroupWithoutTimeoutKill(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	writeFiles(t, dir, map[string]string{"down-signal": "HUP\n"})
	start(t, dir)
	st := waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 })
	if s, _ := apptest.ReadStat(int(st.Pid)); s.Pgrp == int(st.Pid) {
		t.Error("the service leads its own process group without timeout-kill")
	}
}

func TestDownSignal(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\ntrap 'echo hup > got; exit 0' HUP\ntrap '' TERM\nwhile :; do sleep 0.1; done\n", false)
	writeFiles(t, dir, map[string]string{"down-signal": "SIGHUP\n"})
	start(t, dir)
	waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 })
	time.Sleep(startPause)
	send(t, dir, "d")
	waitStatus(t, dir, "down after HUP", func(st Status) bool { return st.Pid == 0 })
	if b, _ := os.ReadFile(filepath.Join(dir, "got")); string(b) != "hup\n" {
		t.Errorf("the service got %q", b)
	}
}

// A malformed file is reported once and ignored: the service runs as
// without it.
func TestMalformedFileReportedOnce(t *testing.T) {
	t.Parallel()
	dir := service(t, fmt.Sprintf(countedExit, 1), false)
	writeFiles(t, dir, map[string]string{"timeout-kill": "abc\n"})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	apptest.Poll(t, 10*time.Second, "three starts", func() bool { return starts(dir) >= 3 })
	want := "warning: ignoring " + dir + "/timeout-kill: not a number of milliseconds"
	if n := strings.Count(rec.String(), want); n != 1 {
		t.Errorf("%d warnings %q in %q, want 1", n, want, rec)
	}
}

// restart-limit gives up, and u starts the service again.
func TestRestartLimitRealService(t *testing.T) {
	t.Parallel()
	dir := service(t, "#!/bin/sh\nexit 1\n", false)
	writeFiles(t, dir, map[string]string{"restart-limit": "1 60\n", "restart-backoff": "0.05 0.1 10\n"})
	start(t, dir)
	st := waitStatus(t, dir, "failed", func(st Status) bool { return st.Ext.Phase == PhaseFailed })
	if st.Ext.Deaths != 2 || st.Ext.Limit != 1 || st.Ext.Window != 60 || st.Pid != 0 || st.Want != 'u' {
		t.Errorf("status of the failed service: %+v", st)
	}
	send(t, dir, "u")
	waitStatus(t, dir, "started again by u", func(st Status) bool { return st.Ext.Phase != PhaseFailed })
}

// With restart-backoff the Supervisor answers during the pause: the
// service dies at once, is in backoff, and u starts it without waiting
// for the pause.
func TestBackoffRealService(t *testing.T) {
	t.Parallel()
	dir := service(t, fmt.Sprintf(countedExit, 1), false)
	writeFiles(t, dir, map[string]string{"restart-backoff": "60 60 600\n"})
	start(t, dir)
	st := waitStatus(t, dir, "backoff", func(st Status) bool { return st.Ext.Phase == PhaseBackoff })
	wait := time.Until(st.Ext.Restart.Time())
	if wait < 50*time.Second || wait > 61*time.Second {
		t.Errorf("restart in %v, want about a minute", wait)
	}
	send(t, dir, "u")
	apptest.Poll(t, 10*time.Second, "a second start, at once", func() bool { return starts(dir) >= 2 })
	send(t, dir, "d")
	waitStatus(t, dir, "down: d cancels the restart", func(st Status) bool { return st.Ext.Phase == PhaseDown && st.Want == 'd' })
}

// With a cgroup file, a process that left the service's process group
// and session is still found, and killed when the service is brought
// down.
func TestCgroupKillsEscapees(t *testing.T) {
	t.Parallel()
	apptest.RequireRoot(t)
	base, err := ownCgroup()
	if err != nil {
		t.Skipf("no cgroup v2 here: %v", err)
	}
	if err := unix.Mkdir(base+"/daemontools", 0o755); err != nil && err != unix.EEXIST {
		t.Skipf("cgroups cannot be made in %s: %v", base, err)
	}
	dir := service(t, "#!/bin/sh\nsetsid sleep 1000 </dev/null >/dev/null 2>&1 &\necho $! > escapee\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"cgroup": ""})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	st := waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 })
	var escapee int
	apptest.Poll(t, 10*time.Second, "the escapee", func() bool { escapee = readInt(filepath.Join(dir, "escapee")); return escapee > 0 })
	apptest.KillAtCleanup(t, escapee)
	cg := func(pid int) string {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
				return rest
			}
		}
		return ""
	}
	apptest.Poll(t, 10*time.Second, "the escapee in its own session", func() bool {
		s, _ := apptest.ReadStat(escapee)
		return s.Pgrp == escapee
	})
	if got, want := cg(escapee), cg(int(st.Pid)); got != want || !strings.Contains(got, "/daemontools/") {
		t.Fatalf("the escapee is in %q, the service in %q: %s", got, want, rec)
	}
	// svstat --json counts both, from the status file's flag and the
	// run's cgroup.
	if st := waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 }); st.Ext.Flags&FlagCgroup == 0 {
		t.Errorf("the status does not say the run has a cgroup: %+v", st.Ext)
	} else if n, ok := CgroupProcesses(int(st.Pid)); n != 2 || !ok {
		t.Errorf("the cgroups hold %d processes (%v), want the run and the escapee", n, ok)
	}
	send(t, dir, "d")
	waitStatus(t, dir, "down", func(st Status) bool { return st.Pid == 0 })
	apptest.Poll(t, 10*time.Second, "the escapee killed", func() bool { return apptest.Gone(escapee) })
}
