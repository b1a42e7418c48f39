// Package multilog holds the multilog applet: it turns argv into a
// logging.Script, forwards TERM and ALRM to the engine, and reports
// startup failures. Everything else is in package logging.
package multilog

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/logging"
)

const prog = "multilog"

func init() {
	applets.Register("multilog", Main)
}

// Main runs `multilog script...`. There is no usage error: with no
// script it reads to EOF and exits 0. Startup failures exit 111 before
// any input is read; nothing after that is fatal.
func Main(argv []string) int {
	// The reference sets umask 022; it decides the modes of state and of
	// whatever a processor creates.
	syscall.Umask(0o22)
	l := logging.New(logging.ParseScript(argv[1:]), logging.Options{
		Stderr: os.Stderr, // a closed pipe on stderr kills us with SIGPIPE, as it kills the reference
		Warn:   func(msg string, err error) { diag.Warn(prog, msg, err) },
		Fatal:  func(msg string, err error) { diag.Fatal(prog, 111, msg, err) },
		// For JSON lines (j): a logger run by supervise as DIR/log/run
		// works in DIR/log, and DIR names the service.
		Service: serviceName(),
	})
	// Caught from the start, as the reference blocks and catches them
	// before anything else: a TERM during startup ends the run at the
	// first read. HUP and INT keep their default action, leaving current
	// to be salvaged as .u by the next run.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGALRM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGTERM {
					l.Terminate()
				} else {
					l.Rotate()
				}
			case <-done:
				return
			}
		}
	}()
	if err := l.Start(); err != nil {
		msg, cause := startMessage(err)
		return diag.Fatal(prog, 111, msg, cause)
	}
	l.Run(0)
	return 0
}

// startMessage splits a startup failure into the MSG and ERR of the
// reference's "multilog: fatal: MSG: ERR". Start returns a
// *logging.Error, which carries both; any other error becomes the
// message itself, in the same format.
func startMessage(err error) (msg string, cause error) {
	var e *logging.Error
	if errors.As(err, &e) {
		return e.Msg, e.Err
	}
	return diag.Text(err), nil
}

// serviceName returns the name of the service whose logger this is,
// when the working directory is a service's log directory: the base
// name of its parent. Otherwise it returns "".
func serviceName() string {
	wd, err := os.Getwd()
	if err != nil || filepath.Base(wd) != "log" {
		return ""
	}
	name := filepath.Base(filepath.Dir(wd))
	if name == "/" || name == "." {
		return ""
	}
	return name
}
