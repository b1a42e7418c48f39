package apptest

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Result is what one run of a shell script produced.
type Result struct {
	Stdout string
	Stderr string
	Code   int
}

func (r Result) String() string {
	return "exit " + strconv.Itoa(r.Code) + "\n--- stdout\n" + r.Stdout + "--- stderr\n" + r.Stderr
}

// RunScript runs script with /bin/sh in a fresh temporary directory,
// with the given PATH directories in front of the system ones, $WORK
// set to that directory and env ("NAME=value") added, and returns its
// output with the directory's path replaced by "$WORK". It kills the
// script's whole process group if it runs longer than a minute.
func RunScript(t testing.TB, pathDirs []string, script string, env ...string) Result {
	t.Helper()
	work := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = work
	cmd.Env = append(append(Env(pathDirs...), "WORK="+work, "LC_ALL=C"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	p := Start(t, cmd)
	err := p.Wait(t, time.Minute)
	p.Kill() // leftovers of the script's process group
	r := Result{
		Stdout: strings.ReplaceAll(out.String(), work, "$WORK"),
		Stderr: strings.ReplaceAll(errb.String(), work, "$WORK"),
	}
	if r.Code = ExitCode(err); r.Code < 0 {
		t.Fatalf("running script: %v", err)
	}
	return r
}

// Differential runs script once with our applets first in PATH and once
// with only Debian's daemontools (in /usr/bin), and fails the test when
// stdout, stderr or the exit status differ. It skips when Debian's
// daemontools is not installed. It returns our result for further
// checks. env is added to both runs' environment, as RunScript adds it.
func Differential(t testing.TB, script string, env ...string) Result {
	t.Helper()
	return DifferentialIn(t, BinDir(t), script, env...)
}

// DifferentialIn is Differential with our programs from bin.
func DifferentialIn(t testing.TB, bin, script string, env ...string) Result {
	t.Helper()
	Debian(t, "svscan")
	ours := RunScript(t, []string{bin}, script, env...)
	theirs := RunScript(t, nil, script, env...)
	if ours != theirs {
		t.Errorf("differs from Debian's daemontools\nscript:\n%s\n=== ours: %s=== debian: %s", script, ours, theirs)
	}
	return ours
}
