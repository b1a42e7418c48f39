// Package svctl holds the clients of a running supervise: svc, svok and
// svstat. They work on daemontools' and runit's supervisors as well as
// ours.
package svctl

import (
	"bytes"
	"errors"
	"syscall"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/getopt"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
)

func init() {
	applets.Register("svc", Svc)
	applets.Register("svok", Svok)
	applets.Register("svstat", Svstat)
}

// svc keeps at most this many distinct letters, as the reference does
// (there are only 11 anyway).
const maxCommands = 20

// Svc is `svc [-udopchaitkx] dir...`: the letters become control bytes
// in first-appearance order without repeats, written in one write to
// each directory in turn. Failures are warnings; svc always exits 0.
// With -w (ours, with s6-svc's letters; the reference rejects it) svc
// then waits for a state: see svcwait.go.
func Svc(argv []string) int {
	p := getopt.New(argv, "udopchaitkxw:T:")
	var cmds []byte
	var w waitArgs
	for {
		c, ok := p.Next()
		if !ok {
			break
		}
		switch c {
		case getopt.Error:
			diag.Write(applets.UsageOf("svc") + "\n")
			return 100
		case 'w', 'T':
			if !w.parse(c, p.Arg) {
				return diag.Usage("svc", 100, waitUsage)
			}
			continue
		}
		if len(cmds) < maxCommands && bytes.IndexByte(cmds, c) < 0 {
			cmds = append(cmds, c)
		}
	}
	dirs := p.Rest()
	if w.goal != 0 {
		return svcWait(dirs, cmds, w)
	}
	if w.timeout {
		return diag.Usage("svc", 100, waitUsage)
	}
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svc", 111, "unable to open current directory", err)
	}
	for _, dir := range dirs {
		if err := syscall.Chdir(dir); err != nil {
			diag.Warn("svc", "unable to chdir to "+dir, err)
		} else if err := supervision.Control(".", cmds); err != nil {
			controlFailed(dir, err)
		}
		if err := syscall.Fchdir(orig); err != nil {
			return diag.Fatal("svc", 111, "unable to set directory", err)
		}
	}
	return 0
}

// controlFailed reports a failed supervision.Control as the reference
// words it.
func controlFailed(dir string, err error) {
	var ce *supervision.ControlError
	switch {
	case !errors.As(err, &ce):
		diag.Warn("svc", "unable to control "+dir, err)
	case !ce.Open:
		diag.Warn("svc", "error writing commands to "+dir, ce.Err)
	case ce.Err == supervision.ErrNotRunning:
		diag.Warn("svc", "unable to control "+dir+": supervise not running", nil)
	default:
		diag.Warn("svc", "unable to control "+dir, ce.Err)
	}
}

// openCwd opens "." the way the reference's open_read does, so that
// fchdir can come back after each directory.
func openCwd() (int, error) {
	return syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}

// Svok is `svok dir`: 0 when a supervise runs there, 100 when not, 111
// on errors. Only the first argument counts.
func Svok(argv []string) int {
	if len(argv) < 2 {
		return diag.Usage("svok", 100, applets.UsageOf("svok"))
	}
	dir := argv[1]
	if err := syscall.Chdir(dir); err != nil {
		return diag.Fatal("svok", 111, "unable to chdir to "+dir, err)
	}
	switch err := supervision.Ok(); {
	case err == nil:
		return 0
	case err == supervision.ErrNotRunning:
		return 100
	default:
		return diag.Fatal("svok", 111, "unable to open "+dir+"/supervise/ok", err)
	}
}
