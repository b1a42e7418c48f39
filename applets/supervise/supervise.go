// Package supervise holds the supervise applet: it runs one
// supervision.Supervisor on the directory it is given.
package supervise

import (
	"errors"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
	"golang.org/x/sys/unix"
)

func init() {
	applets.Register("supervise", Main)
}

// Main is `supervise dir`.
func Main(argv []string) int {
	if len(argv) == 1 {
		if msg, err, ok := supervision.StandInReport(); ok {
			// A stand-in for a ./run that could not be executed.
			return diag.Fatal("supervise", 111, msg, err)
		}
	}
	if len(argv) != 2 {
		return diag.Usage("supervise", 100, applets.UsageOf("supervise"))
	}
	// Whatever we inherited without close-on-exec must not reach ./run:
	// the reference's children see only fds 0-2.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	supervision.TuneGC()
	s, err := supervision.New(argv[1], supervision.Options{Report: diag.Voice("supervise"), StandIn: true})
	if err != nil {
		var e *supervision.Error
		if errors.As(err, &e) {
			return diag.Fatal("supervise", 111, e.Msg, e.Err)
		}
		return diag.Fatal("supervise", 111, "unable to supervise "+argv[1], err)
	}
	s.Run()
	return 0
}
