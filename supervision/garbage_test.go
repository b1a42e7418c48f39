package supervision

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// What a start does on svscan's side makes no garbage: the heap a mass
// start leaves behind is what the supervisors keep, not spans kept
// sparse by the temporaries made among it (see cpath.go).

// Reading a daemontools service's directory (none of the extension
// files) allocates nothing.
func TestConfigReadMakesNoGarbage(t *testing.T) {
	dir := service(t, longRun, false)
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	var r configReader
	warn := func(string, error) { t.Error("a warning for a directory with no files") }
	if allocs := testing.AllocsPerRun(20, func() { r.read(dirfd, dir, warn) }); allocs != 0 {
		t.Errorf("reading the directory's files made %v allocations", allocs)
	}
	// The files are still found and read.
	if err := os.WriteFile(filepath.Join(dir, "timeout-kill"), []byte("250\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "finish"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	c, files := r.read(dirfd, dir, warn)
	if !files || !c.finish || c.timeoutKill != 250e6 || c.check {
		t.Errorf("read %+v, files %v", c, files)
	}
}

// exists fails as stat(2) fails, following symbolic links.
func TestExistsAsStat(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Symlink("file", filepath.Join(dir, "link"))
	os.Symlink("nowhere", filepath.Join(dir, "dangling"))
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	for _, name := range []string{"file", "link", "dangling", "missing", "file/under", "."} {
		var st unix.Stat_t
		want := unix.Fstatat(dirfd, name, &st, 0)
		c := mkcpath(name)
		if got := exists(dirfd, c); got != want {
			t.Errorf("exists(%q) = %v, stat says %v", name, got, want)
		}
		if c.String() != name {
			t.Errorf("cpath %q reads back as %q", name, c.String())
		}
	}
}

// A quickChild used again keeps its strings and lists in the storage
// its first start made.
func TestPrepareReusesItsStorage(t *testing.T) {
	if !quickClone {
		t.Skip("no clone of ./run on this architecture: it starts with ForkExec")
	}
	dir := t.TempDir()
	attr := &syscall.ProcAttr{Dir: dir, Env: defaultEnv(), Files: []uintptr{0, 1, 2}}
	argv := []string{"./run", "an argument"}
	msg := "unable to start " + dir + "/run"
	var p quickPool
	c := p.get()
	if !c.prepare("./run", argv, attr, msg) {
		t.Fatal("prepare refused a plain start")
	}
	p.put(c, false)
	allocs := testing.AllocsPerRun(20, func() {
		c := p.get()
		c.prepare("./run", argv, attr, msg)
		p.put(c, false)
	})
	if allocs != 0 {
		t.Errorf("preparing a start again made %v allocations", allocs)
	}
	c = p.get()
	if !c.prepare("./run", argv, attr, msg) {
		t.Fatal("prepare refused a plain start")
	}
	str := unix.BytePtrToString
	if str(c.path) != "./run" || str(c.dir) != dir {
		t.Errorf("path %q, dir %q", str(c.path), str(c.dir))
	}
	if len(c.argv) != 3 || str(c.argv[0]) != argv[0] || str(c.argv[1]) != argv[1] || c.argv[2] != nil {
		t.Errorf("argv %v", c.argv)
	}
	if len(c.fds) != 3 || c.fds[0] != 0 || c.fds[2] != 2 {
		t.Errorf("fds %v", c.fds)
	}
	if str(c.standPath) != selfExe || len(c.standArgv) != 2 || str(c.standArgv[0]) != "supervise" || c.standArgv[1] != nil {
		t.Errorf("stand-in %q %v", str(c.standPath), c.standArgv)
	}
	putErrno(c.errnoDigits, uint32(syscall.ENOENT))
	if len(c.standEnvv) != 2 || c.standEnvv[1] != nil || str(c.standEnvv[0]) != string(standInVar(syscall.ENOENT, msg)) {
		t.Errorf("stand-in environment %q", str(c.standEnvv[0]))
	}
	// What execve cannot take is refused, as ForkExec refuses it.
	if c := p.get(); c.prepare("./run", []string{"a\x00b"}, attr, msg) {
		t.Error("prepare took an argument with a NUL in it")
	}
}

// An offloaded call of a Supervisor's op allocates nothing, and hands
// back the op's event.
func TestOffloadMakesNoGarbage(t *testing.T) {
	s := &Supervisor{}
	op := func(*Supervisor) event { return event{kind: eChecked, ws: 7} }
	if e := s.offload(op); e.kind != eChecked || e.ws != 7 {
		t.Fatalf("offload returned %+v", e)
	}
	if allocs := testing.AllocsPerRun(50, func() { s.offload(op) }); allocs != 0 {
		t.Errorf("an offloaded call made %v allocations", allocs)
	}
}

// A start's request to the spawner is used again, and keeps nothing of
// the start before.
func TestSpawnRequestReused(t *testing.T) {
	quickReady(t)
	procReaper.start()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	o := &exitOwner{ws: make(chan syscall.WaitStatus, 1)}
	attr := &syscall.ProcAttr{Dir: "/", Files: []uintptr{null.Fd(), null.Fd(), null.Fd()}, Sys: &syscall.SysProcAttr{Setpgid: true}}
	start := func() {
		if _, err := procReaper.forkRun(o, "/bin/true", []string{"true"}, attr, "unable to start"); err != nil {
			t.Fatal(err)
		}
		if ws := o.wait(t); ws != 0 {
			t.Fatalf("true ended with %v", ws)
		}
	}
	start()
	var req *spawn
	select {
	case req = <-freeSpawns:
	default:
		t.Fatal("no request was kept for use again")
	}
	if req.owner != nil || req.path != "" || req.argv != nil || req.attr.Dir != "" || req.attr.Sys != nil || len(req.files) != 0 || req.sys.Setpgid {
		t.Errorf("the kept request still holds the last start: %+v", req)
	}
	// Another start takes it (or, with supervisors of other tests
	// starting meanwhile, one like it) and gives it back clean.
	freeSpawns <- req
	start()
	select {
	case again := <-freeSpawns:
		if again.owner != nil || again.attr.Sys != nil || len(again.files) != 0 {
			t.Errorf("the request kept after a second start holds it: %+v", again)
		}
	default:
		t.Fatal("no request was kept after the second start")
	}
}
