package logging

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

// DefaultReadSize is how much one read(2) asks for; a multiple of
// vread so that reads of a regular file split as the reference's do.
const DefaultReadSize = 64 * vread

// DefaultPause is how long multilog waits before retrying after an error.
const DefaultPause = 5 * time.Second

// Error is a startup failure. multilog reports it as
// "multilog: fatal: MSG: ERR" and exits 111 before reading any input.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Options connect the engine to its host. Every field is optional.
type Options struct {
	// Stderr receives `e` output, one write per line (default os.Stderr).
	Stderr io.Writer
	// Warn reports a failure that multilog pauses on and retries, as
	// "multilog: warning: MSG[: ERR]" (err may be nil).
	Warn func(msg string, err error)
	// Fatal reports that a processor could not be run, as
	// "multilog: fatal: MSG: ERR"; the reference's forked child prints
	// it before exiting 111, and multilog itself goes on.
	Fatal func(msg string, err error)
	// Spawner starts and reaps processors (default ForkExec).
	Spawner Spawner
	// Pause is the wait before retrying after a failure (default 5 s).
	Pause time.Duration
	// ReadSize is the size of each read(2), rounded down to a multiple
	// of 1024 (default 64 KiB).
	ReadSize int
	// Stdout is the descriptor that `1` writes to (default 1).
	Stdout int
	// Service names the service in JSON lines (j); empty leaves it out.
	Service string
	// Location is the time zone of T (default time.Local).
	Location *time.Location
}

// Logger runs one multilog script. New, then Start (which does
// everything that may fail), then Run until the input ends or Terminate
// is called. Paths in the script are relative to the working directory
// at Start. Files are created with the modes the reference gives them
// under the umask of 022 it sets; a host with another umask should set
// 022 first, as the multilog applet does (processors inherit it, and
// the environment).
type Logger struct {
	// All that the directories (dir.go, dirbuf.go, processor.go)
	// share with the Logger (host.go).
	host
	script   *Script
	stderr   io.Writer
	dirs     []*logDir
	status   []*statusFile // `=` files, by index in Script.StatusFiles (actions.go)
	filters  bool          // some action looks at line contents
	matchers []matcher     // by action index, for + and - (match.go)
	// now gives the t labels when set (a test's clock); otherwise they
	// come from the wall clock's reading for the read.
	now func() timefmt.TAI64N
	// The extension words' outputs and formats (output.go, format.go).
	outs    []*stdoutSink
	stdout  stdout
	fmt     formats
	clocked bool // some word needs the time of each read
	aged    bool // some directory rotates by age (age.go)

	// The input loop (input.go).
	in     []byte
	readMu sync.Mutex // held from the last look at requests through read(2)
	efdMu  sync.Mutex
	efd    int      // wakes Run's poll for Terminate and Rotate
	pipe   *os.File // or, for a pipe, interrupts its read
	term   atomic.Bool
	woke   atomic.Bool // a request arrived since the last read point
	alarm  atomic.Bool

	// The line rules (lines.go): this read's timestamp and a space,
	// and the line being read: a partial line carried over from
	// earlier reads (timestamp included), or the rest of a line longer
	// than lineMax, whose selection has been decided.
	label    [stampSize]byte
	line     [lineMax]byte
	have     int
	overflow bool
	// The times of the read, of the line being emitted and of the
	// carried line, for T and j; seq numbers the reads.
	readSeq, lineSeq, carrySeq    uint64
	readTime, lineTime, carryTime time.Time
	readMono                      time.Duration
	deadline                      time.Duration // when R next rotates; 0 = never

	// The actions' buffers (actions.go).
	alertLn    [alertMax + 4]byte
	alertISOLn []byte
}

// New prepares a logger; it does no I/O.
func New(s *Script, opts Options) *Logger {
	l := &Logger{script: s, efd: -1}
	l.host = host{onWarn: opts.Warn, onFatal: opts.Fatal, delay: opts.Pause, sync: unix.Fsync, spawner: opts.Spawner,
		wall: time.Now, mono: monoNow}
	if l.spawner == nil {
		l.spawner = ForkExec{}
	}
	if l.delay <= 0 {
		l.delay = DefaultPause
	}
	l.stderr = opts.Stderr
	if l.stderr == nil {
		l.stderr = os.Stderr
	}
	size := opts.ReadSize / vread * vread
	if size <= 0 {
		size = DefaultReadSize
	}
	l.in = make([]byte, size)
	l.filters = s.filters()
	l.matchers = make([]matcher, len(s.Actions))
	for i, a := range s.Actions {
		if a.Kind == Select || a.Kind == Deselect {
			l.matchers[i] = newMatcher(a.Pattern, s.Timestamp)
		}
	}
	l.matchers = make([]matcher, len(s.Actions))
	for i, a := range s.Actions {
		if a.Kind == Select || a.Kind == Deselect {
			l.matchers[i] = newMatcher(a.Pattern, s.Timestamp)
		}
	}
	l.stdout.fd = opts.Stdout
	if l.stdout.fd <= 0 {
		l.stdout.fd = 1
	}
	l.fmt.service = opts.Service
	l.fmt.times.iso = make([]byte, 0, isoSize)
	l.fmt.times.rfc = make([]byte, 0, rfcSize)
	l.fmt.loc = opts.Location
	if l.fmt.loc == nil {
		l.fmt.loc = time.Local
	}
	l.clocked = s.clocked()
	for _, c := range s.Dirs {
		l.aged = l.aged || c.RotateAge > 0
	}
	return l
}

// Start does everything the reference does before reading input, in its
// order: create and open every `=` file, then prepare every directory.
// Any failure is fatal and returned as an *Error; what was opened is
// closed again.
func (l *Logger) Start() error {
	start, err := unix.Open(".", oRead, 0)
	if err != nil {
		return &Error{Msg: "unable to switch to current directory", Err: err}
	}
	defer unix.Close(start)
	if err := l.openStatusFiles(start); err != nil {
		l.Close()
		return err
	}
	for _, cfg := range l.script.Dirs {
		d, err := openDir(&l.host, cfg, start)
		if err != nil {
			l.Close()
			return err
		}
		d.selected = true
		d.buf = make([]byte, 0, spillAt+len(l.in)+2*lineMax)
		l.dirs = append(l.dirs, d)
	}
	for _, f := range l.script.Stdouts {
		l.outs = append(l.outs, &stdoutSink{out: &l.stdout, h: &l.host, format: f, selected: true})
	}
	for _, w := range l.script.Warnings {
		l.warn(w, nil)
	}
	for _, d := range l.dirs {
		d.startAge()
		d.startJanitor(l.wall)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		l.Close()
		return &Error{Msg: "unable to create eventfd", Err: err}
	}
	l.efdMu.Lock()
	l.efd = efd
	l.efdMu.Unlock()
	return nil
}

// Close releases every descriptor (and with them the directory locks).
// Run calls it when it finishes.
func (l *Logger) Close() {
	for _, d := range l.dirs {
		if d.jan != nil {
			d.jan.stop()
			d.jan = nil
		}
		d.close()
	}
	l.dirs = nil
	for _, f := range l.status {
		unix.Close(f.fd)
	}
	l.status = nil
	l.efdMu.Lock()
	if l.efd >= 0 {
		unix.Close(l.efd)
		l.efd = -1
	}
	if l.pipe != nil {
		l.pipe.Close()
		l.pipe = nil
	}
	l.efdMu.Unlock()
}
