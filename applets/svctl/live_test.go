package svctl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/supervision"
)

// Helpers of the tests that drive real supervisors (ours, Debian's
// supervise, runit's runsv) with the real executable's clients.

// newService makes a service directory holding run and the given
// files (finish and check executable).
func newService(t *testing.T, run string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "s")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files["run"] = run
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "run" || name == "finish" || name == "check" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	delete(files, "run")
	return dir
}

// supervisors are the programs a test can run on a directory.
func superviseOurs(t *testing.T) string   { return filepath.Join(apptest.BinDir(t), "supervise") }
func superviseDebian(t *testing.T) string { return apptest.Debian(t, "supervise") }
func superviseRunit(t *testing.T) string  { return apptest.Debian(t, "runsv") }

// startSupervisor runs prog on dir in a process group of its own,
// killed at cleanup with the services in it; output goes to dir's
// parent, in a file (a pipe would keep Wait waiting for orphans).
func startSupervisor(t *testing.T, prog, dir string) *apptest.Proc {
	t.Helper()
	out, err := os.Create(filepath.Join(filepath.Dir(dir), "supervisor.out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	cmd := exec.Command(prog, dir)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = apptest.Env()
	p := apptest.Start(t, cmd)
	apptest.Poll(t, 10*time.Second, prog+" on "+dir, func() bool {
		_, err := os.Stat(filepath.Join(dir, "supervise", "status"))
		return err == nil && okHasReader(dir)
	})
	return p
}

func okHasReader(dir string) bool {
	fd, err := syscall.Open(filepath.Join(dir, "supervise", "ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

func statusOf(dir string) supervision.Status {
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		return supervision.Status{}
	}
	st, _ := supervision.DecodeStatus(b)
	return st
}

// waitStatus polls dir's status until cond holds, and returns it. A
// service it sees running is killed at cleanup, should it have left
// its supervisor's process group (timeout-kill).
func waitStatus(t *testing.T, dir, what string, cond func(st supervision.Status) bool) supervision.Status {
	t.Helper()
	var st supervision.Status
	apptest.Poll(t, 20*time.Second, what, func() bool {
		st = statusOf(dir)
		return cond(st)
	})
	if st.Pid != 0 {
		apptest.KillAtCleanup(t, int(st.Pid))
	}
	return st
}

type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// client runs one of our applets (or, with a path, any program) and
// returns what it printed and its exit code, failing the test if it
// runs longer than a minute.
func client(t *testing.T, name string, args ...string) result {
	t.Helper()
	prog := name
	if !strings.Contains(name, "/") {
		prog = filepath.Join(apptest.BinDir(t), name)
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = apptest.Env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	p := apptest.Start(t, cmd)
	err := p.Wait(t, time.Minute)
	r := result{stdout: out.String(), stderr: errb.String(), code: apptest.ExitCode(err), took: time.Since(start)}
	if r.code < 0 {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return r
}

// expect checks an exit code and stderr.
func (r result) expect(t *testing.T, what string, code int, stderr string) {
	t.Helper()
	if r.code != code || r.stderr != stderr {
		t.Errorf("%s: exit %d, stderr %q; want exit %d, stderr %q", what, r.code, r.stderr, code, stderr)
	}
}
