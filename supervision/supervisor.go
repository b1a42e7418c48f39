package supervision

import (
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets/diag"
	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
)

// Options configures one Supervisor.
type Options struct {
	// Name prefixes every diagnostic ("supervise": `supervise: warning:
	// unable to ...`). Empty means "supervise".
	Name string
	// Stdio holds the descriptors ./run gets as fds 0, 1 and 2 (svscan
	// passes the ends of the service-to-logger pipe). Nil means the
	// process's own 0, 1 and 2. They must be blocking.
	Stdio []int
	// Env is the environment of ./run; nil means the process's.
	Env []string
	// Display is the directory as messages name it, when that differs
	// from the path given to New: svscan runs a service's logger as the
	// reference's `supervise log` started inside the service directory,
	// so its messages say "log/...".
	Display string
	// StandIn says that this executable, run as /proc/self/exe with
	// argv ["supervise"] and Report() set, prints the report and exits
	// 111 (the supervise applet does; svscan's binary is the same). A
	// ./run that cannot be executed is then stood in for by such a
	// child, so that it looks exactly like the reference's failed
	// child. Without it the failure is reported by the supervisor.
	StandIn bool
	// InScanner says that svscan hosts the Supervisor: its messages
	// about the Supervisor itself (a recovered crash) then name svscan
	// rather than Name.
	InScanner bool
}

// Error is a start-up failure: Msg is the reference's text
// ("unable to acquire DIR/supervise/lock"), Err the system error.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg + ": " + diag.Text(e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// The reference pauses this long after every start, whatever happens,
// so that a service that dies at once costs one fork a second.
const startPause = time.Second

// After a failed fork the reference waits a minute before trying again.
const forkPause = 60 * time.Second

// Supervisor watches one service directory, as daemontools' supervise
// does: it owns DIR/supervise/{lock,control,ok,status}, runs DIR/run,
// restarts it when it exits, and obeys the control FIFO.
//
// A Supervisor never changes the process's working directory (svscan
// hosts hundreds in one process): it reaches the service directory
// through a directory descriptor, so it keeps working when the
// directory is renamed (the `mv S .S; svc -dx .S` idiom), and its
// children chdir through that descriptor.
//
// It costs one goroutine, parked in a read of the control FIFO through
// the runtime's poller; the reaper wakes it by moving the read deadline
// into the past. The descriptors it holds (lock, control reader, the
// control writer that keeps the reader from seeing EOF, ok reader,
// directory) live in its fields: a dropped *os.File would be closed by
// the garbage collector.
type Supervisor struct {
	dir      string // as messages name it
	path     string // as given to New
	name     string
	childDir string // where ./run is started
	stdio    [3]uintptr
	env      []string

	dirfd    int
	lockfd   int
	control  *os.File
	ctlfd    int // control's descriptor, for readNow
	controlW int
	okfd     int

	// Owned by the goroutine in Run.
	m       machine
	stamp   timefmt.TAI64N
	buf     [1]byte
	retry   bool // a fork failed: try again when the loop comes round
	closed  bool
	resumed bool // Run is being restarted after a crash
	standIn bool
	hosted  bool // svscan hosts it (Options.InScanner)

	// mu guards what the reaper and signal senders share with Run. The
	// reaper holds it while it reaps, so that a signal sent under it
	// never reaches a recycled pid.
	mu     sync.Mutex
	live   int   // pid of the running child, 0 once reaped
	pidfd  int32 // the adopted child's pidfd, -1 when it is our own child
	exited bool  // the child was reaped and Run has not yet noticed
	req    byte  // requests from the host (reqDown, reqExit) not yet handled

	done chan struct{}
}

var (
	envOnce    sync.Once
	processEnv []string
	procFDOnce sync.Once
	haveProcFD bool
)

func defaultEnv() []string {
	envOnce.Do(func() { processEnv = syscall.Environ() })
	return processEnv
}

// procSelfFD reports whether a child can chdir through
// /proc/self/fd/N (it cannot in an initramfs without /proc).
func procSelfFD() bool {
	procFDOnce.Do(func() {
		_, err := os.Stat("/proc/self/fd")
		haveProcFD = err == nil
	})
	return haveProcFD
}

// New prepares dir for supervision exactly as supervise does before it
// starts the service: it checks DIR/down, makes DIR/supervise, takes its
// lock, makes the control and ok FIFOs and writes the status file. Its
// errors are *Error values carrying the reference's message. Run then
// supervises.
func New(dir string, opt Options) (*Supervisor, error) {
	s := &Supervisor{
		dir:      dir,
		path:     dir,
		name:     opt.Name,
		env:      opt.Env,
		standIn:  opt.StandIn,
		dirfd:    -1,
		lockfd:   -1,
		controlW: -1,
		okfd:     -1,
		pidfd:    -1,
		done:     make(chan struct{}),
	}
	if s.name == "" {
		s.name = "supervise"
	}
	s.hosted = opt.InScanner
	if opt.Display != "" {
		s.dir = opt.Display
	}
	s.stdio = [3]uintptr{0, 1, 2}
	for i := 0; i < len(opt.Stdio) && i < 3; i++ {
		s.stdio[i] = uintptr(opt.Stdio[i])
	}
	if s.env == nil {
		s.env = defaultEnv()
	}
	if err := s.setup(); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *Supervisor) setup() error {
	fd, err := unix.Open(s.path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to chdir to " + s.dir, err}
	}
	s.dirfd = fd
	if procSelfFD() {
		s.childDir = "/proc/self/fd/" + strconv.Itoa(fd)
	} else {
		s.childDir = s.path
	}

	var st unix.Stat_t
	normallyUp := false
	if err := unix.Fstatat(fd, "down", &st, 0); err != nil {
		if err != unix.ENOENT {
			return &Error{"unable to stat " + s.dir + "/down", err}
		}
		normallyUp = true
	}
	s.m = newMachine(normallyUp)

	if err := s.makeSuperviseDir(); err != nil {
		return err
	}

	lock, err := unix.Openat(fd, "supervise/lock", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err == nil {
		s.lockfd = lock
		err = flock(lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		return &Error{"unable to acquire " + s.dir + "/supervise/lock", err}
	}

	unix.Mkfifoat(fd, "supervise/control", 0o600)
	ctl, err := unix.Openat(fd, "supervise/control", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to read " + s.dir + "/supervise/control", err}
	}
	// A non-blocking descriptor goes into the poller: Run's read parks
	// the goroutine, not a thread.
	s.control = os.NewFile(uintptr(ctl), "supervise/control")
	s.ctlfd = ctl
	w, err := unix.Openat(fd, "supervise/control", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to write " + s.dir + "/supervise/control", err}
	}
	s.controlW = w

	// A service that outlived its supervisor (killed outright) is
	// adopted rather than started a second time.
	if !s.adopt() {
		s.pidchange()
	}
	s.announce()

	unix.Mkfifoat(fd, "supervise/ok", 0o600)
	ok, err := unix.Openat(fd, "supervise/ok", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to read " + s.dir + "/supervise/ok", err}
	}
	s.okfd = ok
	return nil
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// makeSuperviseDir makes DIR/supervise (mode 0700, errors ignored as in
// the reference). Like Debian's supervise, when supervise is a dangling
// symbolic link it makes the link's target, one level only.
func (s *Supervisor) makeSuperviseDir() error {
	err := unix.Mkdirat(s.dirfd, "supervise", 0o700)
	if err != unix.EEXIST {
		return nil
	}
	var st unix.Stat_t
	if unix.Fstatat(s.dirfd, "supervise", &st, 0) != unix.ENOENT {
		return nil
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(s.dirfd, "supervise", buf)
	if err != nil {
		return &Error{"unable to readlink ./supervise", err}
	}
	unix.Mkdirat(s.dirfd, string(buf[:n]), 0o700)
	return nil
}

// Dir returns the directory as messages name it.
func (s *Supervisor) Dir() string { return s.dir }

// Done is closed when Run has returned and every descriptor is closed,
// so that svscan can start a new Supervisor on its next scan.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Run supervises until `svc -x` and the service is down (the reference
// then exits 0). It starts the service unless DIR/down existed when New
// ran, or New adopted a survivor. Call it once.
//
// A panic in Run is recovered: it is reported, and Run starts again on
// a new goroutine with the same service, child and descriptors, so that
// one service's crash touches no other (see crashed).
func (s *Supervisor) Run() {
	defer s.crashed()
	// New has written the status once; like the reference, the start
	// writes it again and nothing else does until something changes.
	if s.resumed {
		s.resume()
		s.announce()
	} else if s.m.pid == 0 && s.m.want && s.m.wantUp {
		s.trystart()
	}
	for !s.m.done() {
		exited, req := s.takeEvents()
		if req&reqDown != 0 {
			s.command('d')
		}
		if req&reqExit != 0 {
			s.command('x')
			if s.m.done() {
				break
			}
		}
		if exited {
			restart := s.m.reaped()
			s.pidchange()
			s.announce()
			if s.m.exit {
				break
			}
			if restart {
				s.trystart()
			}
			// The reference reads one control byte after every reap
			// without waiting: a service that dies during every pause
			// would otherwise starve the commands.
			if s.readNow() {
				s.command(s.buf[0])
			}
			continue
		}
		if s.retry {
			s.retry = false
			if s.m.pid == 0 && s.m.want && s.m.wantUp && !s.m.exit {
				s.trystart()
			}
			continue
		}
		n, err := s.control.Read(s.buf[:])
		switch {
		case n == 1:
			s.command(s.buf[0])
		case errors.Is(err, os.ErrDeadlineExceeded):
			// A wake-up: clear the deadline before looking at the
			// flags, so that a wake-up after the look is not lost.
			s.control.SetReadDeadline(time.Time{})
		case err == io.EOF:
			// Only possible when control is not a FIFO (a regular file
			// put there by hand); the reference spins here.
			time.Sleep(startPause)
		case err != nil:
			diag.Warn(s.name, "unable to read "+s.dir+"/supervise/control", err)
			time.Sleep(startPause)
		}
	}
}

// readNow reads one control byte if one is waiting. It reads the
// descriptor directly: the poller would refuse while a wake-up deadline
// is set, and Run's goroutine is the only reader.
func (s *Supervisor) readNow() bool {
	for {
		n, err := syscall.Read(s.ctlfd, s.buf[:])
		if err == syscall.EINTR {
			continue
		}
		return n == 1
	}
}

// crashed ends Run: normally it finishes the Supervisor; after a panic
// it reports it and runs Run again on a fresh goroutine (a fresh 2 KiB
// stack: a wrapper frame around the loop would enlarge every parked
// supervisor's). The child stays registered with the reaper, whose
// owner is the Supervisor, not the goroutine.
func (s *Supervisor) crashed() {
	r := recover()
	if r == nil {
		s.finish()
		return
	}
	diag.Write(s.host() + ": warning: supervisor of " + s.dir + " crashed, restarting it: " + panicText(r) + "\n")
	s.resumed = true
	go s.Run()
}

// host is the program that reports the Supervisor's own troubles.
func (s *Supervisor) host() string {
	if s.hosted {
		return "svscan"
	}
	return s.name
}

func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "panic"
}

// resume brings the machine back in line with what the crash may have
// cut short: a child started but not yet recorded, or reaped but not
// yet noticed (the exit flag is still set and the loop sees it).
func (s *Supervisor) resume() {
	s.resumed = false
	s.mu.Lock()
	live := s.live
	s.mu.Unlock()
	if live != 0 && s.m.pid != live {
		s.m.started(live)
		s.pidchange()
	}
	s.control.SetReadDeadline(time.Time{})
}

// guard calls fn, a Supervisor's callback on a goroutine shared by every
// service (the reaper, the adoption watcher), and reports a panic in it
// instead of letting it end the process.
func guard(s *Supervisor, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			diag.Write(s.host() + ": warning: supervisor of " + s.dir + " crashed: " + panicText(r) + "\n")
		}
	}()
	fn()
}

func (s *Supervisor) finish() {
	s.announce()
	s.release()
	close(s.done)
}

// release closes every descriptor: ok first, so that svok and svstat
// stop reporting a running supervise, the lock last.
func (s *Supervisor) release() {
	if s.closed {
		return
	}
	s.closed = true
	closeFD(&s.okfd)
	if s.control != nil {
		s.control.Close()
	}
	closeFD(&s.controlW)
	closeFD(&s.lockfd)
	closeFD(&s.dirfd)
	s.mu.Lock()
	if s.pidfd >= 0 {
		pidWatch.forget(int(s.pidfd))
		s.pidfd = -1
	}
	s.mu.Unlock()
}

func closeFD(fd *int) {
	if *fd >= 0 {
		unix.Close(*fd)
		*fd = -1
	}
}

// faultHook, set only by tests, is called with every control byte
// before it is handled, to inject crashes.
var faultHook func(s *Supervisor, c byte)

// command handles one control byte.
func (s *Supervisor) command(c byte) {
	if faultHook != nil {
		faultHook(s, c)
	}
	a := s.m.command(c)
	if a.sigFirst {
		s.signal(a.sigs)
	}
	if a.announce {
		s.announce()
	}
	if !a.sigFirst {
		s.signal(a.sigs)
	}
	if a.start {
		s.trystart()
	}
}

// signal sends sigs to the running child, if there is one. The reaper
// cannot reap it meanwhile, so the pid cannot have been recycled.
func (s *Supervisor) signal(sigs [2]syscall.Signal) {
	if sigs[0] == 0 {
		return
	}
	s.mu.Lock()
	if s.live != 0 {
		for _, sig := range sigs {
			if sig != 0 {
				s.sendSignal(sig)
			}
		}
	}
	s.mu.Unlock()
}

// Requests from the program hosting the Supervisor.
const (
	reqDown = 1 << iota
	reqExit
)

// Stop asks Run to leave as `svc -x` does, after bringing the service
// down as `svc -d` does when down is set. Nothing can undo it: once x
// is handled the service is never started again. svscan's shutdown
// stops each service with down set, and each logger without (it ends
// by itself at the end of its input).
func (s *Supervisor) Stop(down bool) {
	s.mu.Lock()
	s.req |= reqExit
	if down {
		s.req |= reqDown
	}
	s.mu.Unlock()
	s.wake()
}

// Kill sends SIGKILL to the running child, if any.
func (s *Supervisor) Kill() {
	s.signal([2]syscall.Signal{syscall.SIGKILL})
}

// Pid returns the pid of the running child, 0 when there is none.
func (s *Supervisor) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}

// childExited is called by the reaper while the child is a zombie.
func (s *Supervisor) childExited(pid int, reap func() (syscall.WaitStatus, bool)) {
	s.mu.Lock()
	if _, ok := reap(); ok && pid == s.live {
		s.live = 0
		s.exited = true
	}
	s.mu.Unlock()
	s.wake()
}

// wake makes Run's pending or next read return at once.
func (s *Supervisor) wake() { s.control.SetReadDeadline(longAgo) }

var longAgo = time.Unix(1, 0)

// takeEvents takes what the reaper, the watcher and the host have
// reported since the last look.
func (s *Supervisor) takeEvents() (exited bool, req byte) {
	s.mu.Lock()
	exited, req = s.exited, s.req
	s.exited, s.req = false, 0
	s.mu.Unlock()
	return
}

var runArgv = []string{"./run"}

// trystart starts ./run and then pauses, as the reference does after
// every start, so that a service dying at once is restarted about once
// a second and costs no CPU in between.
func (s *Supervisor) trystart() {
	var pause time.Duration
	var failed bool
	offload(func() { pause, failed = s.start() })
	time.Sleep(pause)
	if failed {
		s.mu.Lock()
		s.exited = true
		s.mu.Unlock()
	}
}

// start is trystart's work before the pause, run through offload. It
// returns how long to pause, and whether the start failed without a
// child, in which case the pause is followed by a restart as if a child
// had died.
func (s *Supervisor) start() (pause time.Duration, failed bool) {
	attr := syscall.ProcAttr{Dir: s.childDir, Env: s.env, Files: s.stdio[:]}
	var line string
	s.mu.Lock()
	pid, err := procReaper.forkExec(s, "./run", runArgv, &attr)
	if err != nil && err != syscall.EAGAIN {
		// The reference's child prints this and exits 111, and
		// supervise treats that as a run that died: it is announced up
		// with the child's pid, then reaped and restarted after the
		// pause. Go reports a failed exec without a child, so a child
		// that only prints the line stands in for it.
		line = s.name + ": fatal: unable to start " + s.dir + "/run: " + diag.Text(err) + "\n"
		if s.standIn {
			if p, err2 := startReporter(s, line, s.stdio); err2 == nil {
				pid, err, line = p, nil, ""
			}
		}
	}
	if err == nil {
		s.live = pid
		s.exited = false
	}
	s.mu.Unlock()
	if err == syscall.EAGAIN {
		diag.Warn(s.name, "unable to fork for "+s.dir+", sleeping 60 seconds", err)
		s.retry = true // Debian's supervise tries again; upstream waits for svc -u
		return forkPause, false
	}
	if err != nil {
		// No stand-in (not asked for, or no /proc): report from here
		// and behave as if a child had died at once, announced down.
		writeAll(int(s.stdio[2]), line)
		s.m.started(0)
		s.pidchange()
		s.writeStatus()
		return startPause, true
	}
	s.m.started(pid)
	s.pidchange()
	s.writeStatus()
	return startPause, false
}

// ReporterEnv names the variable that makes the supervise applet, run
// with no argument, print its value to stderr and exit 111: the stand-in
// for a child whose exec of ./run failed.
const ReporterEnv = "DAEMONTOOLS_SUPERVISE_REPORT"

var selfExe = "/proc/self/exe"

func startReporter(owner childOwner, line string, stdio [3]uintptr) (int, error) {
	attr := syscall.ProcAttr{Dir: "/", Env: []string{ReporterEnv + "=" + line}, Files: stdio[:]}
	return procReaper.forkExec(owner, selfExe, []string{"supervise"}, &attr)
}

// Report is the stand-in child's side: when the environment carries a
// report it returns it, and the applet prints it and exits 111.
func Report() (string, bool) {
	return syscall.Getenv(ReporterEnv)
}

func writeAll(fd int, s string) {
	b := []byte(s)
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		b = b[n:]
	}
}

func (s *Supervisor) pidchange() { s.stamp = timefmt.Now() }

// announce writes the status file: status.new, then rename, as the
// reference does; failures are warnings. The work runs off the
// supervisor's goroutine (see offload).
func (s *Supervisor) announce() { offload(s.writeStatus) }

// offload runs fn on the process's worker goroutine and waits for it.
// A goroutine's stack keeps the largest size it ever needed (the runtime
// halves it only while less than a quarter is in use, and a parked
// supervisor always uses more than a quarter of 2 KiB), so every deep
// call chain (system call wrappers, status writes, messages) made on a
// supervisor's own goroutine would leave it parked on 4 or 8 KiB for
// good. Offloaded, the supervisors stay at the 2 KiB a goroutine starts
// with; hundreds of them live in svscan. One long-lived worker, rather
// than a goroutine per call, leaves no dead goroutines' stacks behind.
// If the worker is stuck (a service directory on a hung file system),
// the call gets a goroutine of its own after a short wait, so that one
// service cannot hold up the others.
func offload(fn func()) {
	workerOnce.Do(func() {
		work = make(chan func())
		go func() {
			for f := range work {
				f()
			}
		}()
	})
	done := make(chan struct{})
	var crash any
	// A panic in fn is handed back to the caller, whose goroutine
	// recovers it: the worker serves every service and must live on.
	job := func() {
		defer func() {
			crash = recover()
			close(done)
		}()
		fn()
	}
	select {
	case work <- job:
	default:
		t := time.NewTimer(workerPatience)
		select {
		case work <- job:
			t.Stop()
		case <-t.C:
			go job()
		}
	}
	<-done
	if crash != nil {
		panic(crash)
	}
}

// workerPatience is how long offload waits for a busy worker.
const workerPatience = 200 * time.Millisecond

var (
	workerOnce sync.Once
	work       chan func()
)

func (s *Supervisor) writeStatus() {
	st := Status{Stamp: s.stamp}
	s.m.status(&st)
	b := st.Encode()
	fd, err := unix.Openat(s.dirfd, "supervise/status.new", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		diag.Warn(s.name, "unable to open "+s.dir+"/supervise/status.new", err)
		return
	}
	n, err := unix.Write(fd, b[:])
	unix.Close(fd)
	if err != nil {
		diag.Warn(s.name, "unable to write "+s.dir+"/supervise/status.new", err)
		return
	}
	if n < len(b) {
		diag.Warn(s.name, "unable to write "+s.dir+"/supervise/status.new", diag.ErrPartialWrite)
		return
	}
	if err := unix.Renameat(s.dirfd, "supervise/status.new", s.dirfd, "supervise/status"); err != nil {
		diag.Warn(s.name, "unable to rename "+s.dir+"/supervise/status.new to status", err)
	}
}
