package svscan_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// The limits every service shares with every other inside svscan's one
// process (the README's "Limits of one process").

// pidsCgroup makes a cgroup of its own for the test in a hierarchy with
// the pids controller (cgroup v2's, where the controller can be enabled
// at its root, or cgroup v1's pids hierarchy) and returns its
// directory. At cleanup whatever the test left in it is killed, by pid,
// and it is removed. It skips the test where there is none.
func pidsCgroup(t *testing.T) string {
	t.Helper()
	apptest.RequireRoot(t)
	root, err := pidsHierarchy()
	if err != nil {
		t.Skipf("no pids controller to put a tree under: %v", err)
	}
	dir := filepath.Join(root, fmt.Sprintf("daemontools-test-%d-%s", os.Getpid(), t.Name()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a pids cgroup: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pids.max")); err != nil {
		os.Remove(dir)
		t.Skipf("the cgroup %s has no pids.max", dir)
	}
	t.Cleanup(func() {
		for try := 0; try < 100; try++ {
			b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			pids := strings.Fields(string(b))
			if len(pids) == 0 {
				break
			}
			for _, p := range pids {
				if n, err := strconv.Atoi(p); err == nil {
					syscall.Kill(n, syscall.SIGKILL)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing the test's cgroup: %v", err)
		}
	})
	return dir
}

// pidsHierarchy finds where a cgroup with pids.max can be made: the
// cgroup v2 mount, when its root offers the pids controller (enabled
// for its children if it is not yet), or else a cgroup v1 hierarchy
// with the pids controller.
func pidsHierarchy() (string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	var v1 string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// id parent dev root mountpoint options... - fstype source superoptions
		before, after, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(before), strings.Fields(after)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		switch {
		case g[0] == "cgroup2":
			ctl, _ := os.ReadFile(filepath.Join(f[4], "cgroup.controllers"))
			if !strings.Contains(" "+strings.TrimSpace(string(ctl))+" ", " pids ") {
				continue
			}
			sub, _ := os.ReadFile(filepath.Join(f[4], "cgroup.subtree_control"))
			if !strings.Contains(" "+strings.TrimSpace(string(sub))+" ", " pids ") {
				if os.WriteFile(filepath.Join(f[4], "cgroup.subtree_control"), []byte("+pids"), 0) != nil {
					continue
				}
			}
			return f[4], nil
		case g[0] == "cgroup" && strings.Contains(","+g[2]+",", ",pids,"):
			v1 = f[4]
		}
	}
	if v1 != "" {
		return v1, nil
	}
	return "", syscall.ENOENT
}

// maxEvents reads how many forks the cgroup's pids.max has refused.
func maxEvents(cg string) int {
	b, _ := os.ReadFile(filepath.Join(cg, "pids.events"))
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "max "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// At the tree's process limit every fork fails, and svscan says so as
// the reference's supervise does, once a minute per service. svscan
// itself must not need a new thread then: the Go runtime dies when it
// cannot make one, and with it every supervisor. Its stderr is stuck
// too, so that every report waits: a thread each for a report, or for
// whatever was waiting for the worker behind one, would kill it (it
// did: "runtime: failed to create new OS thread").
func TestPidsLimit(t *testing.T) {
	cg := pidsCgroup(t)
	const n = 40
	sd := t.TempDir()
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = filepath.Join(sd, fmt.Sprintf("s%02d", i))
		svc(t, dirs[i], "exec sleep 1000")
	}
	r, w, closeW := apptest.FullPipe(t)
	errw, err := syscall.Dup(w)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `echo $$ > "$1/cgroup.procs" && exec svscan "$2"`, "sh", cg, sd)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	cmd.Stderr = os.NewFile(uintptr(errw), "stderr")
	p := apptest.Start(t, cmd)
	cmd.Stderr.(*os.File).Close()
	var out *apptest.Drained
	defer func() {
		if out == nil {
			out = apptest.Drain(r)
		}
		if t.Failed() {
			time.Sleep(time.Second)
			t.Logf("svscan's stderr:\n%s", out.String())
		}
	}()
	pids := make([]int, n)
	apptest.Poll(t, 60*time.Second, "every service up", func() bool {
		for i, d := range dirs {
			if pids[i] = pid(d); !apptest.Alive(pids[i]) {
				return false
			}
		}
		return true
	})
	// From now on the cgroup holds no more than svscan's threads: once
	// the services are killed no fork succeeds, and no new thread.
	threads := apptest.StatusField(p.Pid(), "Threads")
	if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte(strconv.Itoa(threads)), 0); err != nil {
		t.Fatal(err)
	}
	refused := maxEvents(cg)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	// A fork refused for each of the worker and its spares (9): they
	// wait on stderr with their reports, and the other supervisors
	// wait for them (goroutines, not threads).
	apptest.Poll(t, 30*time.Second, "forks refused", func() bool { return p.Exited() || maxEvents(cg)-refused >= 9 })
	apptest.PollOK(time.Second, p.Exited)
	if p.Exited() {
		t.Fatalf("svscan died at the process limit: %v", p.Wait(t, time.Second))
	}
	// Its reports are waiting for the stuck stderr; let them out.
	out = apptest.Drain(r)
	closeW()
	want := 0
	apptest.PollOK(10*time.Second, func() bool {
		want = 0
		text := out.String()
		for _, d := range dirs {
			if strings.Contains(text, "supervise: warning: unable to fork for "+filepath.Base(d)+", sleeping 60 seconds: temporary failure\n") {
				want++
			}
		}
		return want == n || p.Exited()
	})
	if p.Exited() {
		t.Fatalf("svscan died at the process limit: %v", p.Wait(t, time.Second))
	}
	if want != n {
		t.Errorf("%d of %d services reported the failed fork", want, n)
	}
	if got := apptest.StatusField(p.Pid(), "Threads"); got > threads {
		t.Errorf("svscan went from %d threads to %d", threads, got)
	}
	// Once a minute, not at every try.
	if c := strings.Count(out.String(), "unable to fork"); c != n {
		t.Errorf("%d reports of a failed fork for %d services", c, n)
	}
	if strings.Contains(out.String(), "runtime:") {
		t.Error("the Go runtime complained")
	}
}

// svscan started in a cgroup with less room than its thread budget
// (started again beside the services a crashed svscan left in it, say)
// makes only the threads the limit leaves it, and lives: its warm-up
// asking for more would have killed it at once.
func TestPidsLimitAtStart(t *testing.T) {
	cg := pidsCgroup(t)
	sd := t.TempDir()
	dirs := []string{filepath.Join(sd, "a"), filepath.Join(sd, "b")}
	for _, d := range dirs {
		svc(t, d, "exec sleep 1000")
	}
	if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte("20"), 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `echo $$ > "$1/cgroup.procs" && exec svscan "$2"`, "sh", cg, sd)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	p := apptest.Start(t, cmd)
	for _, d := range dirs {
		apptest.Poll(t, 30*time.Second, d+" up", func() bool { return p.Exited() || apptest.Alive(pid(d)) })
	}
	if p.Exited() {
		t.Fatalf("svscan died: %v\n%s", p.Wait(t, time.Second), p.Stderr.String())
	}
	t.Logf("svscan has %d threads under pids.max 20", apptest.StatusField(p.Pid(), "Threads"))
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v\n%s", err, p.Stderr.String())
	}
}
