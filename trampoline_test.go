package main_test

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/privs"
)

// The open-files trampoline svscan starts its children through once it
// has raised its own limit, as the executable runs it: the entry point
// sets the limits and execs before the Go runtime starts, and an
// executable without the entry hook (a plain `go build`) does the same
// from Go. Both are tried here with the exec's result seen by the
// program it starts.
func TestTrampoline(t *testing.T) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	hard := min(lim.Max, 191)
	plain := filepath.Join(t.TempDir(), "plain")
	build := exec.Command("go", "build", "-o", plain, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, exe := range []string{apptest.Exe(t), plain} {
		// What the program sees: its limits, its arguments, its
		// environment, and no trace of the report descriptor (3).
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		script := `echo "$(ulimit -n) $(ulimit -Hn) $0 $1 $MARK"; [ -e /proc/self/fd/3 ] && echo fd 3 open; exit 0`
		argv := privs.TrampolineArgv(syscall.Rlimit{Cur: 37, Max: hard}, 3, "/bin/sh", []string{"sh-named", "-c", script, "zero", "one"})
		cmd := &exec.Cmd{Path: exe, Args: argv, Env: []string{"MARK=kept", "PATH=/usr/bin:/bin"}, ExtraFiles: []*os.File{w}}
		out, err := cmd.CombinedOutput()
		w.Close()
		report := make([]byte, 8)
		n, _ := r.Read(report)
		r.Close()
		want := "37 " + strconv.FormatUint(hard, 10) + " zero one kept\n"
		if err != nil || string(out) != want || n != 0 {
			t.Errorf("%s: %v, %q (want %q), %d bytes reported", exe, err, out, want, n)
		}

		// An exec that fails: its errno on the descriptor, exit 127.
		r, w, _ = os.Pipe()
		argv = privs.TrampolineArgv(syscall.Rlimit{Cur: 37, Max: hard}, 3, "/nonexistent/run", []string{"./run"})
		cmd = &exec.Cmd{Path: exe, Args: argv, ExtraFiles: []*os.File{w}}
		out, err = cmd.CombinedOutput()
		w.Close()
		n, _ = r.Read(report)
		r.Close()
		if apptest.ExitCode(err) != 127 || len(out) != 0 || n != 4 || syscall.Errno(binary.NativeEndian.Uint32(report)) != syscall.ENOENT {
			t.Errorf("%s: a failed exec: %v, %q, report %x", exe, err, out, report[:n])
		}
	}
	// Too few arguments: nothing is run.
	err := (&exec.Cmd{Path: apptest.Exe(t), Args: []string{privs.TrampolineName, "1", "2", "3", "/bin/true"}}).Run()
	if apptest.ExitCode(err) != 111 {
		t.Errorf("the trampoline with four arguments: %v", err)
	}
}

// The executable's trampoline runs before the Go runtime: between the
// exec of the executable and the exec of the program, it makes the two
// system calls it needs and nothing else (no runtime start-up). The
// executable as it is shipped: a race-built one is dynamically linked,
// and the dynamic loader runs before any entry point.
func TestTrampolineBeforeRuntime(t *testing.T) {
	strace := apptest.Strace(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash, whose exec -a names the trampoline")
	}
	trace := filepath.Join(t.TempDir(), "trace")
	argv := privs.TrampolineArgv(syscall.Rlimit{Cur: 37, Max: 100}, 3, "/bin/true", []string{"true"})
	cmd := exec.Command(strace, append([]string{"-f", "-o", trace, bash, "-c", `exec -a "$0" "$@"`, argv[0], filepath.Join(apptest.PlainBinDir(t), "daemontools")}, argv[1:]...)...)
	cmd.ExtraFiles = []*os.File{os.Stdin}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v %s", cmd.Args, err, out)
	}
	b, _ := os.ReadFile(trace)
	var calls []string
	execs := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		call, _, _ := strings.Cut(f[1], "(")
		if call == "execve" {
			execs++
			continue
		}
		if execs == 2 {
			calls = append(calls, call)
		}
	}
	if execs != 3 || strings.Join(calls, " ") != "prlimit64 fcntl" {
		t.Errorf("%d execs, between the trampoline's and the program's: %q\n%s", execs, calls, b)
	}
}
