package supervision

import (
	"errors"
	"syscall"

	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
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

// ReadStatusAt reads DIR/supervise/status through dirfd, a descriptor
// of DIR, in one read, and decodes it (ErrBadFormat when shorter than
// 18 bytes).
func ReadStatusAt(dirfd int) (Status, error) {
	fd, err := unix.Openat(dirfd, "supervise/status", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return Status{}, err
	}
	defer unix.Close(fd)
	var b [StatusSize + 1]byte
	for {
		n, err := unix.Read(fd, b[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return Status{}, err
		}
		return DecodeStatus(b[:n])
	}
}

// What a status file says about the service, whoever wrote it:
// daemontools' 18 bytes, runit's 20 or this engine's extension. svc -w
// waits on these and svstat reports them.

// Finishing reports whether ./finish runs: runit's state byte says so,
// or the extension's phase. The pid is then ./finish's.
func (st *Status) Finishing() bool {
	return st.Runit && st.State == StateFinish || st.Ext.Present && st.Ext.Phase == PhaseFinishing
}

// Running reports whether ./run runs.
func (st *Status) Running() bool { return st.Pid != 0 && !st.Finishing() }

// Settled reports whether nothing of the service runs, ./finish
// included: down, and ready to be started again.
func (st *Status) Settled() bool { return st.Pid == 0 && !st.Finishing() }

// HasReadiness reports whether the service has a readiness method
// (notification-fd, check, sd-notify). Only the extension can say so:
// daemontools' and runit's supervisors have none.
func (st *Status) HasReadiness() bool { return st.Ext.Present && st.Ext.Flags&FlagReadiness != 0 }

// IsReady reports whether the service is up and ready: one without a
// readiness method is ready as soon as it is up, one with a method
// once it has said so.
func (st *Status) IsReady() bool {
	if !st.Running() {
		return false
	}
	return !st.HasReadiness() || st.Ext.Phase != PhaseStarting && st.Ext.Ready != (timefmt.TAI64N{})
}

// GaveUp reports whether the service is down for good until it is
// asked up again: restart-limit gave up, or ./finish exited 125.
func (st *Status) GaveUp() bool {
	if !st.Ext.Present || st.Pid != 0 {
		return false
	}
	return st.Ext.Phase == PhaseFailed || st.Ext.Phase == PhaseDown && st.Ext.Flags&FlagPermanent != 0
}
