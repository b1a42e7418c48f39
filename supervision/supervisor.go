package supervision

import (
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
)

// Options configures one Supervisor.
type Options struct {
	// Report hears the Supervisor's failures, which the reference's
	// supervise would print ("unable to fork for DIR, ...", a status
	// file it cannot write, a ./run it cannot execute). Nil is silent.
	Report Reporter
	// Host hears of a crash of the Supervisor itself, which it survives
	// (see Run); svscan reports those as its own. Nil means Report.
	Host Reporter
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
	// Ended, when set, is called (from the Supervisor's goroutine) when
	// a service with svscan-exit has ended for good, with its exit
	// code (128+signal for a signal). svscan then stops the tree.
	Ended func(code int)
	// StandIn says that this executable, run as /proc/self/exe with
	// argv ["supervise"] and StandInReport() set, reports the failure
	// and exits 111 (the supervise applet does; svscan's binary is the
	// same). A ./run that cannot be executed is then stood in for by
	// such a child, so that it looks exactly like the reference's
	// failed child. Without it the failure goes to Report.
	StandIn bool
}

// Error is a start-up failure: Msg is the reference's text
// ("unable to acquire DIR/supervise/lock"), Err the system error.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Supervisor watches one service directory, as daemontools' supervise
// does: it owns DIR/supervise/{lock,control,ok,status}, runs DIR/run,
// restarts it when it exits, and obeys the control FIFO. What it
// decides is decided by its machine (machine.go); the Supervisor
// gathers the events and carries out the effects (run.go).
//
// A Supervisor never changes the process's working directory (svscan
// hosts hundreds in one process): it reaches the service directory
// through a directory descriptor, so it keeps working when the
// directory is renamed (the `mv S .S; svc -dx .S` idiom), and its
// children chdir through that descriptor.
//
// It costs one goroutine, parked in a read of the control FIFO through
// the runtime's poller; the reaper wakes it by moving the read deadline
// into the past. It holds four descriptors (the directory, the lock,
// control opened for reading and writing, so that its reader never
// sees EOF, and the ok reader), in its fields: a dropped *os.File would
// be closed by the garbage collector.
type Supervisor struct {
	dir      string // as messages name it
	childDir string // where ./run is started
	env      []string
	report   Reporter
	host     Reporter
	ended    func(code int)

	control *os.File
	// Descriptors as int32, like pidfd below: a Supervisor's size is
	// paid once per service.
	dirfd, lockfd, okfd int32
	ctlfd               int32 // control's descriptor (read and write), for readNow
	// controlW is a second descriptor of control, for writing, held
	// only where control could not be opened for both (see
	// openControl) or was handed over so by an older svscan; else -1.
	controlW int32
	stdio    [3]int32 // what ./run gets as 0, 1, 2

	// Owned by the goroutine in Run.
	m      machine
	agenda [2]effects // what the machine asked for and is not yet done; see push
	depth  uint8      // lists open on the agenda
	// Descriptors ran out (nofile.go): starts that failed for it in a
	// row, and when (seconds since boot, plus one; 0: never) it was
	// last said.
	starve   uint8
	noFilesW uint16
	stamp    timefmt.TAI64N
	buf      [1]byte
	left     bool // the machine said doLeave
	closed   bool
	resumed  bool // Run is being restarted after a crash
	handed   bool // the Supervisor comes from a live upgrade's handover: Run goes on where the old one was
	standIn  bool
	stale    bool // the last status write found no descriptor: written again when some are freed
	// settingUp: New is running, on its caller's goroutine; what the
	// machine asks for meanwhile is done there (see offload).
	settingUp bool

	// mu guards what the reaper and signal senders share with Run. The
	// reaper holds it while it reaps, so that a signal sent under it
	// never reaches a recycled pid.
	mu      sync.Mutex
	live    int    // pid of the running child, 0 once reaped
	pidfd   int32  // the adopted child's pidfd, -1 when it is our own child
	ws      uint16 // the wait status of the child reaped (pending has gotExit)
	pending uint8  // what has been reported and Run has not yet handled (got...)

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
		env:      opt.Env,
		report:   orQuiet(opt.Report),
		host:     opt.Host,
		ended:    opt.Ended,
		standIn:  opt.StandIn,
		dirfd:    -1,
		lockfd:   -1,
		controlW: -1,
		okfd:     -1,
		pidfd:    -1,
		done:     make(chan struct{}),
	}
	if s.host == nil {
		s.host = s.report
	}
	if opt.Display != "" {
		s.dir = opt.Display
	}
	s.stdio = [3]int32{0, 1, 2}
	for i := 0; i < len(opt.Stdio) && i < 3; i++ {
		s.stdio[i] = int32(opt.Stdio[i])
	}
	if s.env == nil {
		s.env = defaultEnv()
	}
	s.settingUp = true
	err := s.setup(dir)
	s.settingUp = false
	if err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *Supervisor) setup(path string) error {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to chdir to " + s.dir, err}
	}
	s.dirfd = int32(fd)
	if procSelfFD() {
		s.childDir = "/proc/self/fd/" + strconv.Itoa(fd)
	} else {
		s.childDir = path
	}

	normallyUp := false
	if err := exists(fd, cDown); err != nil {
		if err != unix.ENOENT {
			return &Error{"unable to stat " + s.dir + "/down", err}
		}
		normallyUp = true
	}
	s.m = newMachine(normallyUp)

	if err := s.makeSuperviseDir(); err != nil {
		return err
	}

	lock, err := openat(fd, cLock, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err == nil {
		s.lockfd = int32(lock)
		err = flock(lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err == nil {
		// s6's tools (s6-svok, s6-notifyoncheck) look for a POSIX lock
		// on the same file, and s6-supervise takes one: hold both.
		err = posixLock(lock)
	}
	if err != nil {
		return &Error{"unable to acquire " + s.dir + "/supervise/lock", err}
	}

	mkfifoat(fd, cControl, 0o600)
	ctl, w, err := openControl(fd)
	if err != nil {
		ce := err.(*controlError)
		return &Error{"unable to " + ce.op + " " + s.dir + "/supervise/control", ce.err}
	}
	// A non-blocking descriptor goes into the poller: Run's read parks
	// the goroutine, not a thread.
	s.control = os.NewFile(uintptr(ctl), "supervise/control")
	s.ctlfd = int32(ctl)
	s.controlW = int32(w)

	// A service that outlived its supervisor (killed outright) is
	// adopted rather than started a second time, with what its
	// directory says.
	s.loadConfig()
	if st, pid, ok := s.adopt(); ok {
		s.handle(event{kind: eAdopted, pid: int32(pid), want: st.Want, paused: st.Paused != 0, term: st.Term != 0, phase: st.Ext.Phase})
	} else {
		s.handle(event{kind: eNew})
	}

	mkfifoat(fd, cOk, 0o600)
	ok, err := openat(fd, cOk, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &Error{"unable to read " + s.dir + "/supervise/ok", err}
	}
	s.okfd = int32(ok)
	return nil
}

// openControl opens the control FIFO for reading and writing: one
// descriptor where the reference holds two, since a FIFO whose reader
// is also a writer never reads as ended, so no dummy writer is needed,
// and a client's open for writing finds a reader as before. Where that
// open fails, the reference's two opens (read, then write) are made, so
// that the failure is reported as the reference reports it; should both
// work after all (the file was replaced meanwhile), the two are used,
// as the reference uses them.
func openControl(dirfd int) (r, w int, err error) {
	r, err = openat(dirfd, cControl, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		return r, -1, nil
	}
	r, err = openat(dirfd, cControl, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, -1, &controlError{"read", err}
	}
	w, err = openat(dirfd, cControl, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(r)
		return -1, -1, &controlError{"write", err}
	}
	return r, w, nil
}

// controlError is a failed open of the control FIFO: the reference's
// verb for it, and the error.
type controlError struct {
	op  string
	err error
}

func (e *controlError) Error() string { return e.op + ": " + e.err.Error() }

// posixLock takes a POSIX write lock on the whole of fd's file, as
// s6-supervise does; EAGAIN when another process holds one.
func posixLock(fd int) error {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	for {
		err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk)
		if err == unix.EACCES {
			err = unix.EAGAIN
		}
		if err != unix.EINTR {
			return err
		}
	}
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
	err := mkdirat(int(s.dirfd), cSupervise, 0o700)
	if err != unix.EEXIST {
		return nil
	}
	if exists(int(s.dirfd), cSupervise) != unix.ENOENT {
		return nil
	}
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(s.dirfd), "supervise", buf)
	if err != nil {
		return &Error{"unable to readlink ./supervise", err}
	}
	unix.Mkdirat(int(s.dirfd), string(buf[:n]), 0o700)
	return nil
}

// Dir returns the directory as messages name it.
func (s *Supervisor) Dir() string { return s.dir }

// Done is closed when Run has returned and every descriptor is closed,
// so that svscan can start a new Supervisor on its next scan.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

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
	pidfd := s.pidfd
	s.pidfd = -1
	s.mu.Unlock()
	if pidfd >= 0 {
		watcher.forget(int(pidfd))
	}
	s.quiet()
	s.closeNotifySocket()
	s.closeCgroups()
	forgetStale(s)
	fdsFreed()
}

func closeFD(fd *int32) {
	if *fd >= 0 {
		unix.Close(int(*fd))
		*fd = -1
	}
}

// What the reaper, the watchers and the host report to Run, as bits of
// pending: the host's request to leave (gotExit with gotDown to bring
// the service down first), the child's end, and news of its readiness
// (kept in the extension's mailbox).
const (
	gotDown = 1 << iota
	gotLeave
	gotExit
	gotNews
	gotFreeze // a live upgrade: stop between two events (upgrade.go)
	gotRetry  // descriptors may be free again: write the status that could not be written
)

// Stop asks Run to leave as `svc -x` does, after bringing the service
// down as `svc -d` does when down is set. Nothing can undo it: once x
// is handled the service is never started again. svscan's shutdown
// stops each service with down set, and each logger without (it ends
// by itself at the end of its input).
func (s *Supervisor) Stop(down bool) {
	s.mu.Lock()
	s.pending |= gotLeave
	if down {
		s.pending |= gotDown
	}
	s.mu.Unlock()
	s.wake()
}

// Kill sends SIGKILL to the running child, if any. It is the host's
// last resort and changes no state: the exit it causes is an event
// like any other.
func (s *Supervisor) Kill() { s.signal(syscall.SIGKILL) }

// Pid returns the pid of the running child, 0 when there is none.
func (s *Supervisor) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live
}
