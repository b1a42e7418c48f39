package diag

import (
	"sync"
	"syscall"
)

// The daemontools convention: every diagnostic is one line on stderr,
// written with a single write(2) so that lines from concurrent writers
// (several supervisors inside one svscan) never interleave.

// stderr is held by the one writer at a time. stderr is a blocking
// descriptor (svscan's is a pipe to readproctitle or a logger, shared
// with every service, so it cannot be made non-blocking), and a write
// blocked on it holds an OS thread: when nobody reads it (the logger
// stopped, or stuck on a full disk) every supervisor with something to
// say would otherwise hold one, and a thousand of them would be a
// thousand threads. Queued here they wait as goroutines, each until its
// line is written, as the reference's supervise processes each wait in
// their own write.
var stderr sync.Mutex

// Write sends one finished line to stderr, ignoring errors as the
// reference does.
func Write(line string) {
	stderr.Lock()
	defer stderr.Unlock()
	b := []byte(line)
	for len(b) > 0 {
		n, err := syscall.Write(2, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		b = b[n:]
	}
}

func line(prog, kind, msg string, err error) string {
	s := prog + kind + msg
	if err != nil {
		s += ": " + Text(err)
	}
	return s + "\n"
}

// Fatal prints "PROG: fatal: MSG[: ERR]" and returns code, so that an
// applet can write `return diag.Fatal("svc", 111, "unable to ...", err)`.
func Fatal(prog string, code int, msg string, err error) int {
	Write(line(prog, ": fatal: ", msg, err))
	return code
}

// Warn prints "PROG: warning: MSG[: ERR]".
func Warn(prog, msg string, err error) {
	Write(line(prog, ": warning: ", msg, err))
}

// Usage prints "PROG: usage: TEXT" and returns code (100 for every
// program except envdir, whose usage error is 111).
func Usage(prog string, code int, text string) int {
	Write(prog + ": usage: " + text + "\n")
	return code
}

// Voice speaks as one program: it is the Reporter the applets hand to
// the engines (supervision.Reporter; logging.Options takes its
// methods), so that what an engine reports is printed exactly as the
// program it stands for prints it.
type Voice string

// Warn prints "PROG: warning: MSG[: ERR]".
func (v Voice) Warn(msg string, err error) { Warn(string(v), msg, err) }

// Fatal prints "PROG: fatal: MSG[: ERR]"; the caller decides what ends.
func (v Voice) Fatal(msg string, err error) { Write(line(string(v), ": fatal: ", msg, err)) }
