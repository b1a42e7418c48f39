package supervision

import (
	"errors"
	"syscall"
)

// The client side: what svc and svok do in a service directory that is
// the current directory (the applets chdir into each DIR and back, as
// the reference does, so that relative names and error texts match).
// svstat reads the status file itself (DecodeStatus), since its
// wording is its own. Nothing here starts goroutines or allocates much:
// the clients must start fast.

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

func (e *ControlError) Error() string { return e.Err.Error() }
func (e *ControlError) Unwrap() error { return e.Err }

// Control writes cmds to DIR/supervise/control in one write, as svc
// does (svc chdirs into each directory and passes "."). Opening fails
// with ErrNotRunning when no supervise reads the FIFO. An empty cmds
// still opens it, so that a dead supervise is reported.
func Control(dir string, cmds []byte) error {
	fd, err := openWriteNonblock(dir + "/supervise/control")
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

// Probe opens supervise/ok for writing, as svok and svstat do, and
// closes it again: nil when a supervise holds it open for reading, the
// system error otherwise (ENXIO when nothing reads it).
func Probe() error {
	fd, err := openWriteNonblock("supervise/ok")
	if err != nil {
		return err
	}
	syscall.Close(fd)
	return nil
}

// Ok reports whether a supervise runs here: nil if one does,
// ErrNotRunning if supervise/ok has no reader or does not exist, and
// the system error otherwise (svok's exit codes 0, 100, 111).
func Ok() error {
	err := Probe()
	if err == syscall.ENXIO || err == syscall.ENOENT {
		return ErrNotRunning
	}
	return err
}
