package supervision

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"golang.org/x/sys/unix"
)

// exitOwner hears of its child's end.
type exitOwner struct{ ws chan syscall.WaitStatus }

func (o *exitOwner) childExited(pid int, reap func() (syscall.WaitStatus, bool)) {
	if ws, ok := reap(); ok {
		o.ws <- ws
	}
}

func (o *exitOwner) wait(t *testing.T) syscall.WaitStatus {
	t.Helper()
	select {
	case ws := <-o.ws:
		return ws
	case <-time.After(10 * time.Second):
		t.Fatal("the child did not end")
		return 0
	}
}

// pipeAndNull returns a pipe, whose read end is closed at the end of
// the test, and /dev/null.
func pipeAndNull(t *testing.T) (r, w, null *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if null, err = os.Open(os.DevNull); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	return r, w, null
}

var quickOnce sync.Once

// quickReady lets this test binary, which has no entry hook's record of
// the open-files limit it inherited, clone ./run: where the runtime
// raised the soft limit to one short of the hard one, the soft limit
// becomes the hard one (children inherit it, here as through ForkExec,
// since Setrlimit ends the runtime's restoring).
func quickReady(t *testing.T) {
	if !quickClone {
		t.Skip("no clone of ./run on this architecture: it starts with ForkExec")
	}
	quickOnce.Do(func() {
		nofile.mu.Lock()
		defer nofile.mu.Unlock()
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur == lim.Max-1 {
			lim.Cur = lim.Max
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	})
	nofile.mu.Lock()
	_, _, ok := childNofile()
	nofile.mu.Unlock()
	if !ok {
		t.Fatal("the open-files limit for ./run is still unknown")
	}
}

// A start whose exec fails is cloned all the same: its pid comes back at
// once, and the child itself turns into the stand-in, which reports the
// failure on the descriptors it was given and exits 111, as the
// reference's child. (Through ForkExec, the start fails with ENOENT and
// no pid.)
func TestQuickForkStandIn(t *testing.T) {
	quickReady(t)
	dir := t.TempDir()
	r, w, null := pipeAndNull(t)
	o := &exitOwner{ws: make(chan syscall.WaitStatus, 1)}
	msg := "unable to start " + dir + "/run"
	attr := &syscall.ProcAttr{Dir: dir, Files: []uintptr{null.Fd(), null.Fd(), w.Fd(), w.Fd()}}
	pid, err := procReaper.forkRun(o, "./run", runArgv, attr, msg)
	w.Close()
	if err != nil || pid <= 0 {
		t.Fatalf("forkRun: pid %d, %v", pid, err)
	}
	out, _ := io.ReadAll(r)
	if ws := o.wait(t); !ws.Exited() || ws.ExitStatus() != 111 {
		t.Errorf("the stand-in ended with %v, want exit 111", ws)
	}
	if want := "supervise: fatal: " + msg + ": " + syscall.ENOENT.Error() + "\n"; string(out) != want {
		t.Errorf("the stand-in said %q, want %q", out, want)
	}
}

// The cloned child starts ./run as ForkExec would have: in its
// directory, with its environment and descriptors, in its own process
// group when asked, no signal blocked, and an ignored signal still
// ignored.
func TestQuickForkChild(t *testing.T) {
	quickReady(t)
	signal.Ignore(syscall.SIGUSR2)
	defer signal.Reset(syscall.SIGUSR2)
	dir := t.TempDir()
	r, w, null := pipeAndNull(t)
	// The dispositions are read by the shell's own process (exec):
	// dash blocks every signal while it forks.
	script := `pwd; echo "$A"; set -- $(cat /proc/$$/stat); echo "$1 $5"; echo err >&2; exec grep -E '^Sig(Blk|Ign)' /proc/self/status`
	o := &exitOwner{ws: make(chan syscall.WaitStatus, 1)}
	attr := &syscall.ProcAttr{Dir: dir, Env: []string{"A=a b"}, Files: []uintptr{null.Fd(), w.Fd(), w.Fd()},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	pid, err := procReaper.forkRun(o, "/bin/sh", []string{"sh", "-c", script}, attr, "unable to start")
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	if ws := o.wait(t); ws != 0 {
		t.Errorf("sh ended with %v\n%s", ws, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 6 {
		t.Fatalf("sh wrote %q", out)
	}
	if lines[0] != dir || lines[1] != "a b" {
		t.Errorf("directory %q, A=%q", lines[0], lines[1])
	}
	if p := strconv.Itoa(pid); lines[2] != p+" "+p {
		t.Errorf("pid and process group %q, want %d in a group of its own", lines[2], pid)
	}
	if lines[3] != "err" {
		t.Errorf("stderr line %q", lines[3])
	}
	if lines[4] != "SigBlk:\t0000000000000000" {
		t.Errorf("blocked: %q", lines[4])
	}
	ign, _ := strconv.ParseUint(strings.TrimPrefix(lines[5], "SigIgn:\t"), 16, 64)
	if ign&(1<<(syscall.SIGUSR2-1)) == 0 || ign&(1<<(syscall.SIGPIPE-1)) != 0 {
		t.Errorf("ignored: %q, want USR2 and not PIPE", lines[5])
	}
}

// A quickChild is used again only once its child has let go of the
// memory: the kernel clears live when the child execs.
func TestQuickPool(t *testing.T) {
	quickReady(t)
	procReaper.start()
	var p quickPool
	c := p.get()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	attr := &syscall.ProcAttr{Files: []uintptr{null.Fd(), null.Fd(), null.Fd()}}
	if !c.prepare("/bin/sh", []string{"sh", "-c", "exec sleep 0.1"}, attr, "unable to start") {
		t.Fatal("prepare refused a plain start")
	}
	if _, err := c.start(); err != nil {
		t.Fatal(err)
	}
	p.put(c, true)
	apptest.Poll(t, 10*time.Second, "the child's exec", func() bool { return atomic.LoadInt32(&c.live) == 0 })
	if got := p.get(); got != c {
		t.Error("a quickChild whose child has exec'd was not used again")
	}
	held := &quickChild{live: 1, stack: make([]byte, quickStack)}
	p.put(held, true)
	if got := p.get(); got == held {
		t.Error("a quickChild still in use was handed out")
	}
	if len(p.busy) != 1 || p.busy[0] != held {
		t.Errorf("busy %v", p.busy)
	}
}

// Once svscan's limit is raised, the cloned child sets the inherited
// open-files limit itself, soft and hard, before it execs ./run.
func TestQuickForkNofile(t *testing.T) {
	quickReady(t)
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	want := syscall.Rlimit{Cur: 37, Max: min(lim.Max, 191)}
	withTrampoline(t, want)
	dir := t.TempDir()
	r, w, _ := pipeAndNull(t)
	o := &exitOwner{ws: make(chan syscall.WaitStatus, 1)}
	attr := &syscall.ProcAttr{Dir: dir, Files: []uintptr{w.Fd(), w.Fd(), w.Fd()}}
	_, err := procReaper.forkRun(o, "/bin/sh", []string{"sh", "-c", `echo "$(ulimit -n) $(ulimit -Hn)"`}, attr, "unable to start")
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	o.wait(t)
	if string(out) != "37 "+strconv.Itoa(int(want.Max))+"\n" {
		t.Errorf("the child's limits are %q, want 37 %d", out, want.Max)
	}
}

// The environment every supervisor shares is converted for execve once:
// a start passing it allocates nothing for it, and gets the same
// pointers; any other environment is converted anew.
func TestSharedEnvConvertedOnce(t *testing.T) {
	env := defaultEnv()
	if len(env) == 0 {
		t.Skip("the test process has an empty environment")
	}
	first, err := envPtrs(env)
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(10, func() { envPtrs(env) }); allocs != 0 {
		t.Errorf("converting the shared environment again made %v allocations", allocs)
	}
	if again, _ := envPtrs(env); &again[0] != &first[0] {
		t.Error("the shared environment was converted again")
	}
	if len(first) != len(env)+1 || first[len(env)] != nil {
		t.Fatalf("%d pointers for %d variables", len(first), len(env))
	}
	for i, kv := range env {
		if got := unix.BytePtrToString(first[i]); got != kv {
			t.Errorf("variable %d is %q, want %q", i, got, kv)
		}
	}
	other := append([]string{"A=1"}, env...)
	if v, _ := envPtrs(other); len(v) != len(other)+1 || unix.BytePtrToString(v[0]) != "A=1" {
		t.Error("another environment was not converted as given")
	}
}

// After a burst of starts the pool keeps one free quickChild, and those
// a child may still use.
func TestQuickPoolTrim(t *testing.T) {
	var p quickPool
	var done []*quickChild
	for range 5 {
		c := &quickChild{stack: make([]byte, quickStack)}
		p.put(c, true)
		done = append(done, c)
	}
	held := &quickChild{live: 1, stack: make([]byte, quickStack)}
	p.put(held, true)
	p.put(&quickChild{stack: make([]byte, quickStack)}, false)
	p.trim()
	if len(p.free) != 1 {
		t.Errorf("%d free after the trim, want 1", len(p.free))
	}
	if len(p.busy) != 1 || p.busy[0] != held {
		t.Errorf("busy after the trim: %v, want only the one in use", p.busy)
	}
	p.trim()
	if len(p.free) != 1 || len(p.busy) != 1 {
		t.Errorf("a second trim left %d free, %d busy", len(p.free), len(p.busy))
	}
	atomic.StoreInt32(&held.live, 0)
	p.trim()
	if len(p.free) != 1 || p.busy != nil {
		t.Errorf("once let go: %d free, busy %v", len(p.free), p.busy)
	}
}
