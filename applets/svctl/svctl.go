// Package svctl holds the clients of a running supervise: svc, svok and
// svstat. They work on daemontools' and runit's supervisors as well as
// ours.
package svctl

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/diag"
	"github.com/daemontools-go/daemontools/applets/getopt"
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
func Svc(argv []string) int {
	p := getopt.New(argv, "udopchaitkx")
	var cmds []byte
	for {
		c, ok := p.Next()
		if !ok {
			break
		}
		if c == getopt.Error {
			diag.Write(applets.UsageOf("svc") + "\n")
			return 100
		}
		if len(cmds) < maxCommands && bytes.IndexByte(cmds, c) < 0 {
			cmds = append(cmds, c)
		}
	}
	dirs := p.Rest()
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svc", 111, "unable to open current directory", err)
	}
	for _, dir := range dirs {
		if err := syscall.Chdir(dir); err != nil {
			diag.Warn("svc", "unable to chdir to "+dir, err)
		} else if err := supervision.Control(cmds); err != nil {
			var ce *supervision.ControlError
			errors.As(err, &ce)
			switch {
			case !ce.Open:
				diag.Warn("svc", "error writing commands to "+dir, ce.Err)
			case ce.Err == supervision.ErrNotRunning:
				diag.Warn("svc", "unable to control "+dir+": supervise not running", nil)
			default:
				diag.Warn("svc", "unable to control "+dir, ce.Err)
			}
		}
		if err := syscall.Fchdir(orig); err != nil {
			return diag.Fatal("svc", 111, "unable to set directory", err)
		}
	}
	return 0
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

// Svstat is `svstat dir...`: one line per directory on stdout, exit 0.
func Svstat(argv []string) int {
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svstat", 111, "unable to open current directory", err)
	}
	var out []byte
	var sr supervision.Stater
	for _, dir := range argv[1:] {
		out = append(out, dir...)
		out = append(out, ": "...)
		if err := syscall.Chdir(dir); err != nil {
			out = append(out, "unable to chdir: "...)
			out = append(out, diag.Text(err)...)
		} else {
			out = sr.AppendStat(out, time.Now())
		}
		out = append(out, '\n')
		if err := syscall.Fchdir(orig); err != nil {
			flush(out)
			return diag.Fatal("svstat", 111, "unable to set directory", err)
		}
		if len(out) >= 4096 {
			out = flush(out)
		}
	}
	flush(out)
	return 0
}

// flush writes out to stdout, ignoring errors as the reference does.
func flush(out []byte) []byte {
	for len(out) > 0 {
		n, err := os.Stdout.Write(out)
		if err != nil || n <= 0 {
			break
		}
		out = out[n:]
	}
	return out[:0]
}
