package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// ./run sees the signal dispositions supervise was started with, as
// under Debian's supervise: a signal ignored then (here QUIT, USR1 and
// PIPE, by the shell that starts it) is ignored in ./run, though the Go
// runtime catches it in supervise, and nothing is blocked.
func TestRunSignalsAsDebian(t *testing.T) {
	t.Parallel()
	deb := apptest.Debian(t, "supervise")
	run := "#!/bin/sh\ngrep -E '^Sig(Blk|Ign)' /proc/self/status > sig.new && mv sig.new sig\nexec sleep 1000\n"
	look := func(prog string) string {
		dir := service(t, run)
		cmd := exec.Command("/bin/sh", "-c", `trap "" QUIT USR1 PIPE; exec "$0" "$1"`, prog, dir)
		p := apptest.Start(t, toNull(t, cmd))
		defer p.Kill()
		var b []byte
		var err error
		apptest.Poll(t, 10*time.Second, prog+"'s ./run", func() bool {
			b, err = os.ReadFile(filepath.Join(dir, "sig"))
			return err == nil
		})
		return string(b)
	}
	ours, theirs := look(filepath.Join(apptest.BinDir(t), "supervise")), look(deb)
	if ours != theirs {
		t.Errorf("./run under our supervise:\n%s\nunder Debian's:\n%s", ours, theirs)
	}
	// QUIT, USR1 and PIPE, besides whatever this test inherited.
	var ign uint64
	for _, l := range strings.Split(theirs, "\n") {
		if v, ok := strings.CutPrefix(l, "SigIgn:\t"); ok {
			ign, _ = strconv.ParseUint(v, 16, 64)
		}
	}
	if want := uint64(1<<(3-1) | 1<<(10-1) | 1<<(13-1)); ign&want != want {
		t.Errorf("Debian's ./run ignores:\n%s", theirs)
	}
}

// supervise announces ./run's pid without waiting for its exec: the
// child is cloned sharing the memory and without CLONE_VFORK (see
// supervision/quickfork.go), on a stack of its own.
func TestRunClonedWithoutVfork(t *testing.T) {
	t.Parallel()
	strace := apptest.Strace(t)
	dir := service(t, "#!/bin/sh\nexec sleep 1000\n")
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(strace, "-f", "-e", "trace=clone,clone3,vfork,execve", "-o", trace, filepath.Join(apptest.BinDir(t), "supervise"), dir)
	p := apptest.Start(t, toNull(t, cmd))
	apptest.Poll(t, 20*time.Second, "./run under strace", func() bool {
		b, _ := os.ReadFile(trace)
		return strings.Contains(string(b), `execve("./run"`)
	})
	p.Kill()
	b, _ := os.ReadFile(trace)
	// Each clone's call, by the pid it made; a call strace saw
	// interrupted is on its thread's earlier "<unfinished ...>" line.
	calls, pending := map[string]string{}, map[string]string{}
	line := regexp.MustCompile(`^(\d+) +(.*)$`)
	made := regexp.MustCompile(`\) += (\d+)$`)
	for _, l := range strings.Split(string(b), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		tid, text := m[1], m[2]
		if strings.HasPrefix(text, "clone") && strings.HasSuffix(text, "<unfinished ...>") {
			pending[tid] = text
			continue
		}
		if strings.HasPrefix(text, "<... clone") {
			text = pending[tid] + text
		}
		if r := made.FindStringSubmatch(text); r != nil && strings.HasPrefix(text, "clone") {
			calls[r[1]] = text
		}
	}
	run := regexp.MustCompile(`(?m)^(\d+) +execve\("\./run"`).FindSubmatch(b)
	if run == nil || calls[string(run[1])] == "" {
		t.Fatalf("no clone made ./run's process:\n%s", b)
	}
	if c := calls[string(run[1])]; !strings.Contains(c, "CLONE_VM") || strings.Contains(c, "CLONE_VFORK") || strings.Contains(c, "child_stack=NULL") {
		t.Errorf("./run was started by %s", c)
	}
}
