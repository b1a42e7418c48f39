package chain_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Each loader hands on the signal mask it inherited, as Debian's do:
// with HUP, USR2 and TERM blocked by the program that started it, and
// with nothing blocked. (The exec needs a thread of its own only in the
// first case; see privs.PrepareExec.)
func TestLoadersPassTheSignalMask(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("no perl to start a program with signals blocked")
	}
	bin := apptest.BinDir(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	loaders := [][]string{
		{"envdir", "e"},
		{"envuidgid", "nobody"},
		{"pgrphack"},
		{"setlock", "-n", "lk"},
		{"softlimit", "-o", "100"},
	}
	if os.Geteuid() == 0 {
		loaders = append(loaders, []string{"setuidgid", "nobody"})
	}
	mask := func(prog string, args []string, blocked string) string {
		t.Helper()
		argv := append([]string{"-e", "use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(" + blocked + ")) or die; exec @ARGV", prog}, args...)
		argv = append(argv, "grep", "^SigBlk", "/proc/self/status")
		cmd := exec.Command(perl, argv...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", prog, args, err, out)
		}
		return string(out)
	}
	for _, l := range loaders {
		deb := apptest.Debian(t, l[0])
		for _, blocked := range []string{"1, 12, 15", ""} {
			ours, theirs := mask(filepath.Join(bin, l[0]), l[1:], blocked), mask(deb, l[1:], blocked)
			if ours != theirs {
				t.Errorf("%v with (%s) blocked: ours gives %q, Debian's %q", l, blocked, ours, theirs)
			}
		}
	}
}

// A short-lived applet started through its link starts no thread
// beyond the Go runtime's own: naming the process is left to the
// kernel, and a loader execs from whichever thread it is on (either
// would otherwise cost the runtime's template thread, started by the
// first runtime.LockOSThread). The runtime's own count varies from run
// to run (here 3 or 4, never fewer in 100 runs), so the fewest clones
// of several runs are compared with the fewest of a Go program that
// only exits.
func TestShortLivedStartNoThreadOfTheirOwn(t *testing.T) {
	strace := apptest.Strace(t)
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build a program that only exits")
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module bare\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n"), 0o644)
	bare := filepath.Join(src, "bare")
	build := exec.Command(goCmd, "build", "-o", bare, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := apptest.PlainBinDir(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	// clones returns the number of clones of 15 runs of argv, sorted.
	clones := func(argv ...string) []int {
		t.Helper()
		var ns []int
		for i := 0; i < 15; i++ {
			cmd := exec.Command(strace, append([]string{"-f", "-e", "trace=clone,clone3"}, argv...)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("strace %v: %v\n%s", argv, err, out)
			}
			ns = append(ns, strings.Count(string(out), "clone(")+strings.Count(string(out), "clone3("))
		}
		sort.Ints(ns)
		return ns
	}
	bareN := clones(bare)
	floor := bareN[0]
	for _, argv := range [][]string{
		{filepath.Join(bin, "tai64n")},
		{filepath.Join(bin, "envdir"), "e", "/bin/true"},
		{filepath.Join(bin, "pgrphack"), "/bin/true"},
	} {
		if n := clones(argv...); n[0] > floor {
			t.Errorf("%v: clones in 15 runs %v, a Go program that only exits %v", argv, n, bareN)
		}
	}
}

// After setuidgid, the loaders that follow run as the new user though
// only their thread was changed (privs.ExecAs, when the chain ends in
// a program not ours): what they open, and what the last program
// gets, is as under Debian's, where the whole process changed.
func TestLoadersAfterSetuidgidAsTheUser(t *testing.T) {
	apptest.RequireRoot(t)
	script := `chmod 755 "$WORK" "${WORK%/*}"
mkdir pub priv; echo v > pub/V; echo s > priv/S; chmod 700 priv; chmod 777 pub
envdir pub setuidgid nobody softlimit -o 100 sh -c 'grep -E "^(Uid|Gid|Groups|CapEff)" /proc/self/status; echo V=$V; ulimit -n'
setuidgid nobody softlimit -o 100 envdir priv true; echo "envdir priv: $?"
setuidgid nobody pgrphack setlock priv/lock true; echo "setlock priv/lock: $?"
setuidgid nobody pgrphack setlock pub/lock true; echo "setlock pub/lock: $?"; ls -n pub/lock | cut -d' ' -f3,4
setuidgid nobody envuidgid daemon envdir pub sh -c 'echo $UID $GID V=$V; id -u'
setuidgid nobody fghack sh -c 'id -u; id -G'
`
	apptest.Differential(t, script)
}

// A chain of loaders that only pass the process on does the work of
// the execs it saves and no more: each step names the main thread,
// the one ps shows, and leaves the other threads to the program that
// stays (no listing of /proc/self/task); the last exec gives no caught
// signal its default action first (execve does that itself); and
// where lsm_get_self_attr(2) says no security module keeps a label,
// /proc/self/attr/current is not opened.
func TestChainStepsDoTheExecsWorkOnly(t *testing.T) {
	strace := apptest.Strace(t)
	bin := apptest.PlainBinDir(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "e", "FOO"), []byte("bar\n"), 0o644)
	for _, chain := range [][]string{
		{"envdir", "e", "pgrphack", "softlimit", "-o", "100", "/bin/true"},
		{"envdir", "e", "softlimit", "-o", "100", "/bin/true"},
	} {
		trace := filepath.Join(t.TempDir(), "trace")
		argv := append([]string{"-f", "-s", "256", "-o", trace, "-e", "trace=execve,openat,rt_sigaction", filepath.Join(bin, chain[0])}, chain[1:]...)
		cmd := exec.Command(strace, argv...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("strace %v: %v\n%s", chain, err, out)
		}
		b, err := os.ReadFile(trace)
		if err != nil {
			t.Fatal(err)
		}
		var execs, comms int
		for _, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.Contains(l, "execve(") && !strings.Contains(l, "= -1 "):
				execs++
			case strings.Contains(l, `"/proc/self/task",`):
				t.Errorf("%v: a passing loader listed the threads: %s", chain, l)
			case strings.Contains(l, `"/proc/self/task/`) && strings.Contains(l, `/comm"`):
				comms++
			case setsDefault(l):
				t.Errorf("%v: a caught signal was defaulted before the exec: %s", chain, l)
			case strings.Contains(l, `"/proc/self/attr/current"`) && noLSMLabel():
				t.Errorf("%v: /proc/self/attr/current opened though no module keeps a label: %s", chain, l)
			}
		}
		steps := 0 // the loaders run in this process
		for _, w := range chain[1:] {
			if w == "pgrphack" || w == "softlimit" {
				steps++
			}
		}
		if execs != 2 {
			t.Errorf("%v: %d execs, want 2 (the first loader and /bin/true): the chain did not run in one process", chain, execs)
		} else if comms > steps {
			t.Errorf("%v: %d names written through /proc for %d steps", chain, comms, steps)
		}
	}
}

// noLSMLabel reports whether lsm_get_self_attr(2) says that no security
// module keeps a label for this process (EOPNOTSUPP).
func noLSMLabel() bool {
	var size uint32
	_, _, e := syscall.RawSyscall6(459, 100 /* LSM_ATTR_CURRENT */, 0, uintptr(unsafe.Pointer(&size)), 0, 0, 0)
	return e == syscall.EOPNOTSUPP
}

// setsDefault reports whether strace's line l is an rt_sigaction that
// sets SIG_DFL (not one that only reads the action).
func setsDefault(l string) bool {
	i := strings.Index(l, "rt_sigaction(")
	if i < 0 {
		return false
	}
	rest := l[i:]
	j := strings.Index(rest, ", ")
	return j > 0 && strings.HasPrefix(rest[j+2:], "{sa_handler=SIG_DFL")
}
