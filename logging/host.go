package logging

import (
	"errors"
	"syscall"
	"time"
)

// host is what the parts of a logger share: how a failure is reported
// and waited out, how a file is made durable, how a processor is run,
// and the reference's errno. A Logger holds one and lends it to each of
// its directories, which need nothing else from the Logger, so that a
// directory can be used (and tested) on its own.
type host struct {
	onWarn  func(msg string, err error) // Options.Warn, or nil
	onFatal func(msg string, err error) // Options.Fatal, or nil
	delay   time.Duration               // the pause before a retry
	sync    func(fd int) error          // fsync, or a test's stand-in
	spawner Spawner
	// The clocks of the extension words: wall for T, j and X (and the
	// age of a current found at start-up), mono for R, which a step of
	// the wall clock must not disturb.
	wall func() time.Time
	mono func() time.Duration
	// errno is the reference's errno: the last failure any step saw.
	// Some of the reference's messages print it long after, stale.
	errno syscall.Errno
}

// note records err's errno, as the failing call would have left it in
// the reference's errno.
func (h *host) note(err error) {
	var e syscall.Errno
	if errors.As(err, &e) {
		h.errno = e
	}
}

// monoStart anchors the default monotonic clock.
var monoStart = time.Now()

func monoNow() time.Duration { return time.Since(monoStart) }

func (h *host) warn(msg string, err error) {
	if h.onWarn != nil {
		h.onWarn(msg, err)
	}
}

func (h *host) fatal(msg string, err error) {
	if h.onFatal != nil {
		h.onFatal(msg, err)
	}
}

// pause warns "MSG, pausing[: ERR]" and waits before the caller tries
// again.
func (h *host) pause(msg string, err error) {
	h.warn(msg+", pausing", err)
	time.Sleep(h.delay)
}

// retry is the reference's answer to a failure after startup: it calls
// op until op succeeds, and after each failure records the errno, warns
// "MSG, pausing: ERR" and pauses. Input waits meanwhile, which pushes
// back on the writer, and nothing is lost. msg is called only when op
// has failed, so that success builds no message.
func (h *host) retry(msg func() string, op func() error) {
	for {
		err := op()
		if err == nil {
			return
		}
		h.note(err)
		h.pause(msg(), err)
	}
}
