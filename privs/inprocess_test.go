package privs

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// The search the in-process path predicts is the one ExecAny runs: past
// what does not exist, what is not a regular file and what may not be
// executed, stopping at any other error; the first file that may be
// executed is the one.
func TestFindTarget(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	link := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(self, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	multilog, envdir := link("multilog"), link("envdir")
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	SetSelf(func(argv []string) (string, bool) { return filepath.Base(argv[0]), true }, func([]string) int { return 0 })
	defer SetSelf(nil, nil)
	for _, tc := range []struct {
		cands []string
		want  target
	}{
		{[]string{multilog}, target{path: multilog, self: true, applet: true}},
		{[]string{envdir}, target{path: envdir, self: true, applet: true, loader: true}},
		{[]string{"/nonexistent/x", sub, plain, multilog}, target{path: multilog, self: true, applet: true}},
		{[]string{other, multilog}, target{path: other}},
		// A search that stops runs nothing.
		{[]string{"/etc/passwd/x", multilog}, target{}},
		{[]string{"/nonexistent/x"}, target{}},
	} {
		argv := []string{filepath.Base(tc.cands[len(tc.cands)-1])}
		if got := findTarget(tc.cands, argv); got != tc.want {
			t.Errorf("findTarget(%q) = %+v, want %+v", tc.cands, got, tc.want)
		}
	}
}

// execFits agrees with the kernel: around the limits it computes, an
// exec of /bin/true succeeds exactly when it says so.
func TestExecFits(t *testing.T) {
	const prog = "/bin/true"
	if _, err := os.Stat(prog); err != nil {
		t.Skip(err)
	}
	page := syscall.Getpagesize()
	var stack syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &stack); err != nil {
		t.Fatal(err)
	}
	limit := min(uint64(8<<20)/4*3, stack.Cur/4)
	limit = max(limit, uint64(32*page))
	argv := []string{prog}
	// env of n variables whose strings (with their NULs, the pointers
	// to them and the file name and argv) add up to total.
	env := func(total, n int) []string {
		used := len(prog) + 1 + len(argv[0]) + 1 + (len(argv)+n)*int(unsafe.Sizeof(uintptr(0)))
		out := make([]string, n)
		for i := range out {
			size := (total - used) / n
			if i == n-1 {
				size = total - used - (n-1)*size
			}
			out[i] = "V" + strings.Repeat("x", size-2) // and its NUL
		}
		return out
	}
	n := int(limit)/(30*page) + 1
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"one string of 32 pages", []string{"V=" + strings.Repeat("x", 32*page-3)}},
		{"one string over 32 pages", []string{"V=" + strings.Repeat("x", 32*page-2)}},
		{"at the total", env(int(limit), n)},
		{"over the total", env(int(limit)+1, n)},
	} {
		fits := execFits(prog, argv, tc.env)
		pid, err := syscall.ForkExec(prog, argv, &syscall.ProcAttr{Env: tc.env})
		if err == nil {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
		if ran := err == nil; ran != fits || (err != nil && err != syscall.E2BIG) {
			t.Errorf("%s: execFits %v, exec: %v", tc.name, fits, err)
		}
	}
}

func TestValidEnv(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{[]string{"A=1", "B=", "C==x"}, true},
		{nil, true},
		{[]string{"A=1", "NOEQUALS"}, false},
		{[]string{"=value"}, false},
	} {
		if got := validEnv(tc.env); got != tc.want {
			t.Errorf("validEnv(%q) = %v", tc.env, got)
		}
	}
}

// setEnviron leaves what a fresh runtime makes of the same environment:
// the first entry of a name, in order.
func TestSetEnviron(t *testing.T) {
	saved := syscall.Environ()
	defer setEnviron(saved)
	setEnviron([]string{"B=2", "A=1", "B=3", "C=x=y"})
	if got, want := syscall.Environ(), []string{"B=2", "A=1", "C=x=y"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
	if v, _ := syscall.Getenv("B"); v != "2" {
		t.Errorf("B=%q", v)
	}
	if v, ok := syscall.Getenv("PATH"); ok {
		t.Errorf("PATH=%q is left", v)
	}
}

// New variables at the end (envdir's usual change) are appended in
// place; a name already there, or one appended twice, rebuilds the
// whole environment, where the first of each name wins.
func TestSetEnvironAppends(t *testing.T) {
	saved := syscall.Environ()
	defer setEnviron(saved)
	setEnviron([]string{"A=1", "B=2"})
	for _, c := range []struct{ env, want []string }{
		{[]string{"A=1", "B=2", "C=3", "D=x=y"}, []string{"A=1", "B=2", "C=3", "D=x=y"}},
		{[]string{"A=1", "B=2", "C=3", "D=x=y", "E="}, []string{"A=1", "B=2", "C=3", "D=x=y", "E="}},
		{[]string{"A=1", "B=2", "C=3", "D=x=y", "E=", "A=9"}, []string{"A=1", "B=2", "C=3", "D=x=y", "E="}},
		{[]string{"A=1", "B=2", "F=1", "F=2"}, []string{"A=1", "B=2", "F=1"}},
	} {
		setEnviron(c.env)
		if got := syscall.Environ(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("setEnviron(%q): Environ() = %q, want %q", c.env, got, c.want)
		}
		for _, kv := range c.want {
			i := strings.IndexByte(kv, '=')
			if v, _ := syscall.Getenv(kv[:i]); v != kv[i+1:] {
				t.Errorf("setEnviron(%q): %s=%q", c.env, kv[:i], v)
			}
		}
	}
}

// A variable the runtime reads at start-up must keep its value.
func TestSameRuntimeEnv(t *testing.T) {
	env := syscall.Environ()
	noted, set := runtimeEnv, runtimeEnvSet
	defer func() { runtimeEnv, runtimeEnvSet = noted, set }()
	for i, name := range runtimeVars {
		runtimeEnv[i], runtimeEnvSet[i] = syscall.Getenv(name)
	}
	if !sameRuntimeEnv(env) {
		t.Error("the environment itself differs")
	}
	if sameRuntimeEnv(MergeEnv(env, []string{"GOGC=" + os.Getenv("GOGC") + "1"})) {
		t.Error("a new GOGC is accepted")
	}
}

// What startSignals sets to the default action, restoreRuntimeSignals
// gives back to the runtime.
func TestRestoreRuntimeSignals(t *testing.T) {
	actions := func() (out [len(stopAndDie)]kernelSigaction) {
		for i, sig := range stopAndDie {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&out[i])), 8, 0, 0)
		}
		return out
	}
	before := actions()
	DefaultSignals()
	for i, a := range actions() {
		if a.handler != 0 {
			t.Errorf("signal %d: handler %#x after DefaultSignals", stopAndDie[i], a.handler)
		}
	}
	restoreRuntimeSignals()
	if after := actions(); after != before {
		t.Errorf("after restoreRuntimeSignals\n%+v\nbefore\n%+v", after, before)
	}
}

func init() {
	if os.Getenv("PRIVS_TEST_HELPER") == "planfds" {
		os.Exit(planFdsHelper())
	}
}

// planFdsHelper runs in a fresh copy of the test binary, whose only
// close-on-exec descriptors when it starts are the runtime's.
func planFdsHelper() int {
	NoteStart()
	if closing, ok := planFds(); !ok || len(closing) != 0 {
		println("at start:", ok, len(closing))
		return 1
	}
	fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 1
	}
	if closing, ok := planFds(); !ok || !reflect.DeepEqual(closing, []int{fd}) {
		println("a file of ours:", ok, len(closing))
		return 1
	}
	syscall.Close(fd)
	// An anonymous inode may be a poller the runtime started since.
	efd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
	if e != 0 {
		return 1
	}
	if _, ok := planFds(); ok {
		println("an eventfd is closed")
		return 1
	}
	syscall.Close(int(efd))
	// A descriptor of the runtime's that the exec would not leave
	// where a fresh start puts it.
	if len(runtimeFds) > 0 {
		r := runtimeFds[0]
		saved, _ := syscall.Dup(r)
		syscall.Dup3(saved, r, 0) // no longer close-on-exec
		if _, ok := planFds(); ok {
			println("a runtime descriptor moved")
			return 1
		}
	}
	return 0
}

// The close-on-exec descriptors to close are the program's, never the
// runtime's, and a descriptor that may be the runtime's makes the
// loader exec.
func TestPlanFds(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRIVS_TEST_HELPER=planfds")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("helper: %v\n%s", err, out)
	}
}

// nameMain names the main thread, which ps shows, from whichever thread
// the goroutine is on, and no other thread; MainThreadName tells it.
func TestNameMain(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	comm := func(tid string) string {
		b, _ := os.ReadFile("/proc/self/task/" + tid + "/comm")
		return strings.TrimSuffix(string(b), "\n")
	}
	was, wasName := comm(pid), mainName
	others := map[string]string{}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		if task.Name() != pid {
			others[task.Name()] = comm(task.Name())
		}
	}
	defer func() {
		nameMain(was)
		mainName = wasName
	}()
	nameMain("a-name-longer-than-15")
	if got := comm(pid); got != "a-name-longer-t" {
		t.Errorf("main thread named %q, want %q", got, "a-name-longer-t")
	}
	if got := MainThreadName(); got != "a-name-longer-t" {
		t.Errorf("MainThreadName() = %q", got)
	}
	for tid, name := range others {
		if got := comm(tid); got != name && got != "" {
			t.Errorf("thread %s renamed from %q to %q", tid, name, got)
		}
	}
}

func TestPassesOn(t *testing.T) {
	for _, name := range []string{"envdir", "envuidgid", "setuidgid", "softlimit", "pgrphack"} {
		if !passesOn(name) {
			t.Errorf("passesOn(%q) = false", name)
		}
	}
	for _, name := range []string{"setlock", "fghack", "multilog", "svscan", "tai64n", ""} {
		if passesOn(name) {
			t.Errorf("passesOn(%q) = true", name)
		}
	}
}
