package logging

import (
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The input loop: reading, the reference's read point (flush, then
// rotate on request), and the wake-ups that Terminate and Rotate send to
// a read that waits.

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
	if f := pollablePipe(fd); f != nil {
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

// pollablePipe opens the pipe or FIFO on fd a second time, through
// /proc, as a non-blocking descriptor of our own: Go's poller can then
// wait on it without holding a thread, and the blocking mode of the
// descriptor we were given (which other processes share) is left alone.
// It returns nil for anything else, or when /proc is not there.
func pollablePipe(fd int) *os.File {
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
		if l.deadline != 0 {
			f.SetReadDeadline(time.Now().Add(l.deadline - l.mono()))
		} else {
			f.SetReadDeadline(time.Time{})
		}
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, rerr = l.readNow(int(fd), p)
			return rerr != unix.EAGAIN
		})
		switch {
		case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
			if l.woke.Load() {
				l.errno = unix.EINTR // where the reference's read is interrupted
			}
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
		l.flushStatus()
		for _, d := range l.dirs {
			d.flush()
		}
		for _, s := range l.outs {
			s.flush()
		}
		if l.alarm.Swap(false) {
			for _, d := range l.dirs {
				if d.bytes > 0 {
					d.rotate()
				}
			}
		}
		if l.aged {
			l.rotateAged(l.mono())
			l.deadline = 0
			if next, ok := l.nextAged(); ok {
				l.deadline = max(next, 1)
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
		// One clock read per read(2): every line that starts in this
		// read arrived at the same instant.
		if l.clocked || l.script.Timestamp && l.now == nil {
			l.readSeq++
			l.readTime = l.wall()
		}
		if l.script.Timestamp {
			var lab [timefmt.LabelSize]byte
			if l.now != nil {
				lab = l.now().Label()
			} else {
				lab = timefmt.FromTime(l.readTime).Label()
			}
			copy(l.label[:], lab[:])
			l.label[timefmt.LabelSize] = ' '
		}
		if l.aged {
			l.readMono = l.mono()
			l.rotateAged(l.readMono)
		}
		l.cut(l.in[:n])
		if l.aged {
			l.noteFirst(l.readMono)
		}
	}
	l.endOfInput()
	l.flushStatus()
	for _, s := range l.outs {
		s.flush()
	}
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
		timeout := -1
		if l.deadline != 0 {
			// R's deadline: a timeout goes back to the read point.
			ms := (l.deadline - l.mono() + time.Millisecond - 1) / time.Millisecond
			timeout = int(max(ms, 0))
		}
		n, err := unix.Poll(fds, timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return true // let read report it
		}
		if n == 0 {
			return false
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
