package supervision

import (
	"errors"
	"strconv"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets/diag"
	"github.com/daemontools-go/daemontools/timefmt"
)

// The client side: what svc, svok and svstat do in a service directory
// that is the current directory (the applets chdir into each DIR and
// back, as the reference does, so that relative names and error texts
// match). Nothing here starts goroutines or allocates much: the clients
// must start fast.

// ErrNotRunning means no supervise holds the FIFO open for reading.
var ErrNotRunning = errors.New("supervise not running")

func openWriteNonblock(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// ControlError says which step of Control failed.
type ControlError struct {
	Open bool // opening supervise/control failed; else writing to it
	Err  error
}

func (e *ControlError) Error() string { return diag.Text(e.Err) }
func (e *ControlError) Unwrap() error { return e.Err }

// Control writes cmds to supervise/control in one write, as svc does.
// Opening fails with ErrNotRunning when no supervise reads the FIFO. An
// empty cmds still opens it, so that a dead supervise is reported.
func Control(cmds []byte) error {
	fd, err := openWriteNonblock("supervise/control")
	if err != nil {
		if err == syscall.ENXIO {
			err = ErrNotRunning
		}
		return &ControlError{Open: true, Err: err}
	}
	defer syscall.Close(fd)
	// Blocking from here on: a full FIFO waits for supervise to read
	// rather than failing.
	syscall.SetNonblock(fd, false)
	for len(cmds) > 0 {
		n, err := syscall.Write(fd, cmds)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &ControlError{Err: err}
		}
		cmds = cmds[n:]
	}
	return nil
}

// Ok reports whether a supervise runs here: nil if one does,
// ErrNotRunning if supervise/ok has no reader or does not exist, and
// the system error otherwise (svok's exit codes 0, 100, 111).
func Ok() error {
	fd, err := openWriteNonblock("supervise/ok")
	if err != nil {
		if err == syscall.ENXIO || err == syscall.ENOENT {
			return ErrNotRunning
		}
		return err
	}
	syscall.Close(fd)
	return nil
}

// ReadStatus reads supervise/status (18 or 20 bytes) in the current
// directory. A short file gives ErrBadFormat.
func ReadStatus() (Status, error) {
	fd, err := syscall.Open("supervise/status", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return Status{}, &Error{"unable to open supervise/status", err}
	}
	defer syscall.Close(fd)
	var b [StatusSize]byte
	n := 0
	for n < len(b) {
		r, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return Status{}, &Error{"unable to read supervise/status", err}
		}
		if r == 0 {
			break
		}
		n += r
	}
	st, err := DecodeStatus(b[:n])
	if err != nil {
		return Status{}, &Error{"unable to read supervise/status", err}
	}
	return st, nil
}

// Stater formats svstat's lines. It keeps the reference's status
// buffer from one directory to the next: daemontools' svstat compares a
// failed read's -1 with an unsigned size, so a status it cannot read
// (a directory, say) is reported with whatever the previous directory's
// status left in the buffer (zeros at first), and a short read
// overwrites only the front of it.
type Stater struct {
	buf [DaemontoolsStatusSize]byte
}

// AppendStat appends what svstat prints after "DIR: " for the service
// directory that is the current directory, at time now.
func (sr *Stater) AppendStat(b []byte, now time.Time) []byte {
	normallyUp := false
	var st syscall.Stat_t
	if err := syscall.Stat("down", &st); err != nil {
		if err != syscall.ENOENT {
			return appendErr(b, "unable to stat down", err)
		}
		normallyUp = true
	}
	fd, err := openWriteNonblock("supervise/ok")
	if err != nil {
		if err == syscall.ENXIO {
			return append(b, "supervise not running"...)
		}
		return appendErr(b, "unable to open supervise/ok", err)
	}
	syscall.Close(fd)
	fd, err = syscall.Open("supervise/status", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return appendErr(b, "unable to open supervise/status", err)
	}
	var n int
	for {
		n, err = syscall.Read(fd, sr.buf[:])
		if err != syscall.EINTR {
			break
		}
	}
	syscall.Close(fd)
	if err == nil && n < len(sr.buf) {
		return appendErr(b, "unable to read supervise/status", ErrBadFormat)
	}
	status, _ := DecodeStatus(sr.buf[:])
	return AppendState(b, status, normallyUp, now)
}

func appendErr(b []byte, msg string, err error) []byte {
	b = append(b, msg...)
	b = append(b, ": "...)
	return append(b, diag.Text(err)...)
}

// AppendState formats a decoded status as svstat does: "up (pid P) S
// seconds" or "down S seconds", then the suffixes in the reference's
// fixed order. Seconds count whole TAI seconds and never go below 0.
func AppendState(b []byte, st Status, normallyUp bool, now time.Time) []byte {
	nowSec := uint64(now.Unix()) + timefmt.Epoch
	var secs uint64
	if nowSec > st.Stamp.Sec {
		secs = nowSec - st.Stamp.Sec
	}
	up := st.Pid != 0
	if up {
		b = append(b, "up (pid "...)
		b = strconv.AppendUint(b, uint64(st.Pid), 10)
		b = append(b, ") "...)
	} else {
		b = append(b, "down "...)
	}
	b = appendSeconds(b, secs)
	b = append(b, " seconds"...)
	if up && !normallyUp {
		b = append(b, ", normally down"...)
	}
	if !up && normallyUp {
		b = append(b, ", normally up"...)
	}
	if up && st.Paused != 0 {
		b = append(b, ", paused"...)
	}
	if !up && st.Want == 'u' {
		b = append(b, ", want up"...)
	}
	if up && st.Want == 'd' {
		b = append(b, ", want down"...)
	}
	return b
}

// appendSeconds prints the count as the reference does: through a
// double (tai_approx), which rounds counts beyond 2^53, as a hand-made
// status file with a stamp near 0 shows.
func appendSeconds(b []byte, secs uint64) []byte {
	return strconv.AppendUint(b, uint64(float64(secs)), 10)
}
