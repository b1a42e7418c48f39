package svscan_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// svscan-exit: when the marked service ends for good, the tree is
// stopped in order (its logger drains) and svscan exits with the
// service's exit code. Each main service first waits (up to 10 s) for
// the other service's first line to reach its logger: a fixed pause
// was not always enough on a loaded machine, and the restart-limit
// case had none. The other service writes a second line when the
// shutdown's TERM reaches it, which its logger gets only if it is
// stopped after the service and drains the pipe.
func TestSvscanExit(t *testing.T) {
	const waitOther = "n=0; until [ -s ../other/logged ] || [ $n -ge 200 ]; do sleep 0.05; n=$((n+1)); done; "
	for _, c := range []struct {
		name, file, run string
		extra           map[string]string
		code            int
	}{
		{"always", "always\n", waitOther + "echo main >> out; exit 7", nil, 7},
		{"signal", "always\n", waitOther + "echo main >> out; kill -TERM $$; sleep 1", nil, 128 + 15},
		{"finish 125", "", waitOther + "echo main >> out; exit 3", map[string]string{"finish": "#!/bin/sh\nexit 125\n"}, 3},
		{"restart-limit", "", waitOther + "echo main >> out; exit 4", map[string]string{"restart-limit": "1 60\n", "restart-backoff": "0.05 0.05 10\n"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd := t.TempDir()
			main := filepath.Join(sd, "main")
			svc(t, main, c.run)
			writeFile(t, filepath.Join(main, "svscan-exit"), c.file, 0o644)
			for name, content := range c.extra {
				mode := os.FileMode(0o644)
				if name == "finish" {
					mode = 0o755
				}
				writeFile(t, filepath.Join(main, name), content, mode)
			}
			other := filepath.Join(sd, "other")
			svc(t, other, "trap 'kill $s; echo bye; exit 0' TERM; echo line; sleep 1000 & s=$!; wait")
			svc(t, filepath.Join(other, "log"), "exec cat > ../logged")
			p := scan(t, ours(t), sd)
			if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != c.code {
				t.Fatalf("svscan ended with %v (code %d), want %d", err, apptest.ExitCode(err), c.code)
			}
			if b, _ := os.ReadFile(filepath.Join(other, "logged")); string(b) != "line\nbye\n" {
				t.Errorf("the other service's logger got %q", b)
			}
			if pid(other) != 0 || pid(filepath.Join(other, "log")) != 0 {
				t.Error("the other service or its logger still runs")
			}
			if b, _ := os.ReadFile(filepath.Join(main, "out")); !strings.HasPrefix(string(b), "main\n") {
				t.Errorf("the main service wrote %q", b)
			}
		})
	}
}

// svscan killed outright while a service's ./finish runs, or during its
// restart-backoff pause: the next svscan neither runs ./finish a second
// time nor starts the service twice.
func TestAdoptDuringFinishAndBackoff(t *testing.T) {
	sd := t.TempDir()
	fin := filepath.Join(sd, "fin")
	svc(t, fin, "echo >> starts; exit 2")
	writeFile(t, filepath.Join(fin, "finish"), "#!/bin/sh\necho >> finishes\nwhile [ ! -e release ]; do sleep 0.05; done\n", 0o755)
	writeFile(t, filepath.Join(fin, "timeout-finish"), "0\n", 0o644)
	back := filepath.Join(sd, "back")
	svc(t, back, "echo >> starts; exit 1")
	writeFile(t, filepath.Join(back, "restart-backoff"), "3 3 60\n", 0o644)
	count := func(path string) int {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), "\n")
	}
	p, _ := fileProc(t, sd)
	apptest.Poll(t, wait, "./finish running", func() bool { return count(filepath.Join(fin, "finishes")) == 1 })
	apptest.Poll(t, wait, "the backoff pause", func() bool { return count(filepath.Join(back, "starts")) == 1 && !apptest.Alive(pid(back)) })
	finishPid := pid(fin)
	if finishPid == 0 {
		t.Fatal("no pid while ./finish runs")
	}
	apptest.KillAtCleanup(t, finishPid)
	p.Signal(syscall.SIGKILL)
	p.Wait(t, wait)
	p, _ = fileProc(t, sd)
	apptest.Poll(t, wait, "the new svscan", func() bool { return supervised(fin) && supervised(back) })
	if got := pid(fin); got != finishPid {
		t.Errorf("after the kill the status names %d, not ./finish (%d)", got, finishPid)
	}
	time.Sleep(500 * time.Millisecond) // room for a wrong second start
	if n := count(filepath.Join(fin, "finishes")); n != 1 {
		t.Errorf("./finish ran %d times", n)
	}
	if n := count(filepath.Join(fin, "starts")); n != 1 {
		t.Errorf("the finishing service started %d times", n)
	}
	if n := count(filepath.Join(back, "starts")); n > 2 {
		t.Errorf("the service in its pause started %d times", n)
	}
	// Once ./finish ends, the service starts again, once.
	writeFile(t, filepath.Join(fin, "release"), "", 0o644)
	apptest.Poll(t, wait, "the restart after ./finish", func() bool { return count(filepath.Join(fin, "starts")) == 2 })
	p.Signal(syscall.SIGTERM)
	p.Wait(t, 30*time.Second)
}

// groupRun is a service whose child records the TERM it gets; ./run
// waits for the child to have done so. Only a signal to the whole
// process group reaches the child.
const groupRun = `sh -c 'trap "echo term > term; kill \$s 2>/dev/null; exit 0" TERM
  sleep 1000 & s=$!; : > ready; wait $s' 2>/dev/null &
kid=$!
trap 'wait $kid; exit 0' TERM
wait $kid`

// With timeout-kill the service leads its own process group, and
// svscan's shutdown, like svc -d, sends the stop signal to the group.
func TestShutdownSignalsGroup(t *testing.T) {
	sd := t.TempDir()
	g := filepath.Join(sd, "g")
	svc(t, g, groupRun)
	writeFile(t, filepath.Join(g, "timeout-kill"), "60000\n", 0o644)
	p, _ := fileProc(t, sd, "SVSCAN_SHUTDOWN_TIMEOUT=60")
	apptest.Poll(t, wait, "the child's trap", func() bool {
		_, err := os.Stat(filepath.Join(g, "ready"))
		return err == nil
	})
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 90*time.Second); err != nil {
		t.Fatalf("svscan after TERM: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(g, "term")); string(b) != "term\n" {
		t.Errorf("the child got no TERM (%q): the group was not signalled", b)
	}
}
