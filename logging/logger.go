package logging

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

const (
	// lineMax is the reference's line buffer: selection, alerts and
	// status files see only this much of a line, timestamp included.
	lineMax = 1000
	// vread is the reference's read size. Within one of our reads, the
	// reference would have read (and flushed its buffers) every vread
	// bytes; the model flushes at the same points.
	vread = 1024
	// alertMax is how much of a line `e` prints before "...".
	alertMax = 200
	// statusSize is what `=` writes: the line padded with newlines.
	statusSize = lineMax + 1
	stampSize  = timefmt.LabelSize + 1 // "@<24 hex> "

	// DefaultReadSize is how much one read(2) asks for; a multiple of
	// vread so that reads of a regular file split as the reference's do.
	DefaultReadSize = 64 * vread
	// spillAt bounds a directory's batch within one read.
	spillAt = 2 * DefaultReadSize
)

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
}

// Logger runs one multilog script. New, then Start (which does
// everything that may fail), then Run until the input ends or Terminate
// is called. Paths in the script are relative to the working directory
// at Start. Files are created with the modes the reference gives them
// under the umask of 022 it sets; a host with another umask should set
// 022 first, as the multilog applet does (processors inherit it, and
// the environment).
type Logger struct {
	script  *Script
	opts    Options
	spawner Spawner
	stderr  io.Writer
	dirs    []*logDir
	status  []int // `=` files, by index in Script.StatusFiles
	filters bool  // some action looks at line contents

	in    []byte
	label [stampSize]byte // this read's timestamp and a space

	// The line being read: a partial line carried over from earlier
	// reads (timestamp included), or the rest of a line longer than
	// lineMax, whose selection has been decided.
	line     [lineMax]byte
	have     int
	overflow bool

	readMu   sync.Mutex // held from the last look at requests through read(2)
	efdMu    sync.Mutex
	efd      int      // wakes Run's poll for Terminate and Rotate
	pipe     *os.File // or, for a pipe, interrupts its read
	term     atomic.Bool
	woke     atomic.Bool // a request arrived since the last read point
	alarm    atomic.Bool
	errno    syscall.Errno // the reference's errno, for its stale messages
	statusLn [statusSize]byte
	alertLn  [alertMax + 4]byte

	now  func() timefmt.TAI64N
	sync func(fd int) error
}

// New prepares a logger; it does no I/O.
func New(s *Script, opts Options) *Logger {
	l := &Logger{script: s, opts: opts, efd: -1, now: timefmt.Now, sync: unix.Fsync}
	l.spawner = opts.Spawner
	if l.spawner == nil {
		l.spawner = ForkExec{}
	}
	l.stderr = opts.Stderr
	if l.stderr == nil {
		l.stderr = os.Stderr
	}
	if l.opts.Pause <= 0 {
		l.opts.Pause = DefaultPause
	}
	size := opts.ReadSize / vread * vread
	if size <= 0 {
		size = DefaultReadSize
	}
	l.in = make([]byte, size)
	l.filters = s.filters()
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
	for _, p := range l.script.StatusFiles {
		fd, err := unix.Openat(start, p, oAppend, 0o600)
		if err != nil {
			l.Close()
			return &Error{Msg: "unable to create " + p, Err: err}
		}
		unix.Close(fd)
		if fd, err = unix.Openat(start, p, oWrite, 0); err != nil {
			l.Close()
			return &Error{Msg: "unable to write " + p, Err: err}
		}
		l.status = append(l.status, fd)
	}
	for _, cfg := range l.script.Dirs {
		d, err := l.openDir(cfg, start)
		if err != nil {
			l.Close()
			return err
		}
		d.selected = true
		d.buf = make([]byte, 0, spillAt+len(l.in)+2*lineMax)
		l.dirs = append(l.dirs, d)
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
		d.close()
	}
	l.dirs = nil
	for _, fd := range l.status {
		unix.Close(fd)
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

// Terminate is SIGTERM: finish the line being read, without reading
// past it, and end as at EOF. Safe from any goroutine.
func (l *Logger) Terminate() {
	// Under readMu, so that no read(2) that starts after Terminate
	// returns can take more than the rest of the line.
	l.readMu.Lock()
	l.term.Store(true)
	l.woke.Store(true)
	l.readMu.Unlock()
	l.wake()
}

// Rotate is SIGALRM: at the next read, rotate every directory whose
// current is not empty. Safe from any goroutine.
func (l *Logger) Rotate() {
	l.alarm.Store(true)
	l.wake()
}

func (l *Logger) wake() {
	l.woke.Store(true)
	l.efdMu.Lock()
	defer l.efdMu.Unlock()
	if l.pipe != nil {
		l.pipe.SetReadDeadline(time.Unix(1, 0))
	}
	if l.efd >= 0 {
		one := [8]byte{1}
		unix.Write(l.efd, one[:])
	}
}

// Run reads fd until EOF (a read error counts as EOF) or Terminate,
// logging every line, then flushes, syncs and marks each current as
// finished, and closes everything. Nothing after Start is fatal:
// failures pause and retry.
func (l *Logger) Run(fd int) {
	if f := reopenPipe(fd); f != nil {
		l.runPipe(f)
		return
	}
	l.run(func(p []byte) int {
		if !l.waitInput(fd) {
			return -1
		}
		// poll said fd is readable, so this read does not wait (unless
		// another reader of the same input took the data first).
		n, err := l.readNow(fd, p)
		switch {
		case n != 0:
			return n
		case err == unix.EINTR || err == unix.EAGAIN:
			return -1
		}
		return 0
	})
}

// readNow reads unless a request has come since the last read point
// (then it returns -1 so that the caller goes back there), and reads a
// single byte once Terminate has been called.
func (l *Logger) readNow(fd int, p []byte) (int, error) {
	l.readMu.Lock()
	defer l.readMu.Unlock()
	if l.woke.Load() {
		return -1, nil
	}
	if l.term.Load() {
		p = p[:1]
	}
	n, err := unix.Read(fd, p)
	if n < 0 {
		n = 0
	}
	return n, err
}

// reopenPipe opens a pipe or FIFO a second time, through /proc, as a
// non-blocking descriptor of our own: Go's poller can then wait on it
// without holding a thread, and the blocking mode of the descriptor we
// were given (which other processes share) is left alone. It returns
// nil for anything else, or when /proc is not there.
func reopenPipe(fd int) *os.File {
	var st, st2 unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return nil
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_ACCMODE == unix.O_WRONLY {
		return nil // reading it fails, and must keep failing
	}
	nfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if unix.Fstat(nfd, &st2) != nil || st2.Dev != st.Dev || st2.Ino != st.Ino {
		unix.Close(nfd)
		return nil
	}
	return os.NewFile(uintptr(nfd), "stdin")
}

// runPipe is run over a pipe read through Go's poller: the read waits
// without holding a thread, and Terminate and Rotate interrupt it with a
// deadline in the past.
func (l *Logger) runPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		l.run(func([]byte) int { return 0 })
		return
	}
	l.efdMu.Lock()
	l.pipe = f
	l.efdMu.Unlock()
	l.run(func(p []byte) int {
		f.SetReadDeadline(time.Time{})
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = l.readNow(int(fd), p)
			return rerr != unix.EAGAIN
		})
		switch {
		case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
			l.errno = unix.EINTR // where the reference's read is interrupted
			return -1
		case err != nil:
			return 0
		case n != 0:
			return n
		case rerr == unix.EINTR:
			return -1
		}
		return 0
	})
}

// run is the line loop over read, which returns the number of bytes
// read, 0 at the end of the input, or -1 to come back to the read point
// (woken by Terminate or Rotate).
func (l *Logger) run(read func(p []byte) int) {
	defer l.Close()
	for {
		// The reference's read point: flush every buffer, then rotate
		// if asked to.
		for _, d := range l.dirs {
			d.flush()
		}
		if l.alarm.Swap(false) {
			for _, d := range l.dirs {
				if d.bytes > 0 {
					d.rotate()
				}
			}
		}
		size := len(l.in)
		if l.woke.Swap(false) {
			l.drainWake()
		}
		if l.term.Load() {
			if l.have == 0 && !l.overflow {
				break
			}
			// Finish the line a byte at a time, so that input after it
			// stays unread, as the reference leaves it.
			size = 1
		}
		n := read(l.in[:size])
		if n < 0 {
			continue
		}
		if n == 0 {
			break
		}
		if l.script.Timestamp {
			// One clock read per read(2): every line that starts in
			// this read arrived at the same instant.
			lab := l.now().Label()
			copy(l.label[:], lab[:])
			l.label[timefmt.LabelSize] = ' '
		}
		l.process(l.in[:n])
	}
	l.endOfInput()
	for _, d := range l.dirs {
		d.quit()
	}
}

// waitInput blocks until fd is readable or Terminate/Rotate wakes it;
// it reports whether fd is ready. After a wake-up the caller goes back
// to its read point, where requests are handled and the read size
// chosen. A wake-up is what interrupts the reference's read with EINTR,
// and is recorded as its errno.
func (l *Logger) waitInput(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(l.efd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return true // let read report it
		}
		if fds[1].Revents != 0 {
			l.drainWake()
			l.errno = unix.EINTR
			return false
		}
		return true
	}
}

func (l *Logger) drainWake() {
	var b [8]byte
	unix.Read(l.efd, b[:])
}

// process handles the bytes of one read, line by line. Positions in
// chunk are input offsets: the model of the reference's reads flushes
// the directory buffers before the byte at each multiple of vread.
func (l *Logger) process(chunk []byte) {
	off := 0
	next := vread
	for off < len(chunk) {
		if l.overflow {
			rest := chunk[off:]
			end := len(chunk)
			i := bytes.IndexByte(rest, '\n')
			if i >= 0 {
				end = off + i
			}
			for off < end {
				if next <= off {
					l.flushModel()
					next = (off/vread + 1) * vread
				}
				seg := end
				if next < seg {
					seg = next
				}
				for _, d := range l.dirs {
					if d.selected {
						d.putRun(chunk[off:seg])
					}
				}
				off = seg
			}
			if i < 0 {
				l.spill()
				return
			}
			l.boundary(end, &next)
			for _, d := range l.dirs {
				if d.selected {
					d.putNewline()
				}
			}
			l.overflow = false
			off = end + 1
			continue
		}

		if l.have > 0 {
			// A line begun in an earlier read.
			room := lineMax - l.have
			rest := chunk[off:]
			lim := rest
			if len(lim) > room {
				lim = lim[:room]
			}
			if i := bytes.IndexByte(lim, '\n'); i >= 0 {
				l.have += copy(l.line[l.have:], rest[:i])
				l.boundary(off+i, &next)
				l.emit(l.line[:l.have], nil, false)
				l.have = 0
				off += i + 1
				continue
			}
			if len(rest) >= room {
				copy(l.line[l.have:], rest[:room])
				l.boundary(off+room-1, &next)
				l.have = 0
				l.emit(l.line[:], nil, true)
				l.overflow = true
				off += room
				continue
			}
			l.have += copy(l.line[l.have:], rest)
			return
		}

		head := l.label[:0]
		if l.script.Timestamp {
			head = l.label[:]
		}
		room := lineMax - len(head)
		rest := chunk[off:]
		lim := rest
		if len(lim) > room {
			lim = lim[:room]
		}
		if i := bytes.IndexByte(lim, '\n'); i >= 0 {
			l.boundary(off+i, &next)
			l.emit(head, rest[:i], false)
			off += i + 1
			continue
		}
		if len(rest) >= room {
			l.boundary(off+room-1, &next)
			l.emit(head, rest[:room], true)
			l.overflow = true
			off += room
			continue
		}
		l.have = copy(l.line[:], head)
		l.have += copy(l.line[l.have:], rest)
		return
	}
}

// boundary flushes the model's buffers if a read of the reference's
// would have happened before the byte at pos.
func (l *Logger) boundary(pos int, next *int) {
	if *next <= pos {
		l.flushModel()
		*next = (pos/vread + 1) * vread
	}
}

func (l *Logger) flushModel() {
	for _, d := range l.dirs {
		d.vflush(len(d.buf))
	}
}

func (l *Logger) spill() {
	for _, d := range l.dirs {
		if len(d.buf) >= spillAt {
			d.spill()
		}
	}
}

// emit runs the script on one buffered line (head and body together, at
// most lineMax bytes) and puts it into the selected directories. A full
// line is the first lineMax bytes of a longer one: its newline comes
// after the rest.
func (l *Logger) emit(head, body []byte, full bool) {
	if l.filters {
		l.decide(head, body)
	}
	for _, d := range l.dirs {
		if !d.selected {
			continue
		}
		if full {
			d.put(head, body)
		} else {
			d.putLine(head, body)
		}
		if len(d.buf) >= spillAt {
			d.spill()
		}
	}
}

// decide runs the actions in script order: patterns change the
// selection, `e` and `=` act at once, directories record it.
func (l *Logger) decide(head, body []byte) {
	sel := true
	for i := range l.script.Actions {
		a := &l.script.Actions[i]
		switch a.Kind {
		case Select:
			if !sel && match2(a.Pattern, head, body) {
				sel = true
			}
		case Deselect:
			if sel && match2(a.Pattern, head, body) {
				sel = false
			}
		case Alert:
			if sel {
				l.alert(head, body)
			}
		case Status:
			if sel {
				l.writeStatus(a.Index, head, body)
			}
		case Dir:
			l.dirs[a.Index].selected = sel
		}
	}
}

func (l *Logger) alert(head, body []byte) {
	b := l.alertLn[:0]
	if len(head)+len(body) <= alertMax {
		b = append(b, head...)
		b = append(b, body...)
		b = append(b, '\n')
	} else {
		if len(head) >= alertMax {
			b = append(b, head[:alertMax]...)
		} else {
			b = append(b, head...)
			b = append(b, body[:alertMax-len(head)]...)
		}
		b = append(b, "...\n"...)
	}
	l.stderr.Write(b)
}

// writeStatus overwrites the start of a status file with the line padded
// with newlines to 1001 bytes, as the reference does, retrying until it
// works.
func (l *Logger) writeStatus(i int, head, body []byte) {
	b := l.statusLn[:]
	n := copy(b, head)
	n += copy(b[n:], body)
	for j := n; j < statusSize; j++ {
		b[j] = '\n'
	}
	fd, name := l.status[i], l.script.StatusFiles[i]
	for {
		if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
			l.note(err)
			l.pause("unable to move to beginning of "+name+", pausing", err)
			continue
		}
		w, err := unix.Write(fd, b)
		if w == statusSize {
			return
		}
		if err == nil {
			err = l.errno
		}
		l.note(err)
		l.pause("unable to write "+name+", pausing", err)
	}
}

// endOfInput handles a partial last line as the reference does: it is
// logged with a newline added.
func (l *Logger) endOfInput() {
	if l.overflow {
		for _, d := range l.dirs {
			if d.selected {
				d.putNewline()
			}
		}
		l.overflow = false
	} else if l.have > 0 {
		l.emit(l.line[:l.have], nil, false)
		l.have = 0
	}
}

func (l *Logger) note(err error) {
	var e syscall.Errno
	if errors.As(err, &e) {
		l.errno = e
	}
}

func (l *Logger) warn(msg string, err error) {
	if l.opts.Warn != nil {
		l.opts.Warn(msg, err)
	}
}

func (l *Logger) fatal(msg string, err error) {
	if l.opts.Fatal != nil {
		l.opts.Fatal(msg, err)
	}
}

func (l *Logger) sleep() { time.Sleep(l.opts.Pause) }

func (l *Logger) pause(msg string, err error) {
	l.warn(msg, err)
	l.sleep()
}
