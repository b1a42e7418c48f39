package supervision

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// HandoverSignalsEnv names the variable in which an upgrading svscan
// passes on the signals it had caught and not yet acted on, as decimal
// numbers separated by commas.
const HandoverSignalsEnv = "DAEMONTOOLS_HANDOVER_SIGNALS"

var (
	catchOnce sync.Once
	caught    chan os.Signal
)

// CatchSignals asks for every signal svscan acts on, once, and returns
// the channel they come on; Run reads it. svscan calls it first thing,
// and after a live upgrade this package's init does, before main runs:
// a TERM that comes before it is asked for kills the process (or, to
// PID 1, is dropped), so the window is kept to the Go runtime's own
// start.
func CatchSignals() chan os.Signal {
	catchOnce.Do(func() {
		caught = make(chan os.Signal, 16)
		signal.Notify(caught, syscall.SIGHUP, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR2)
		if os.Getpid() == 1 {
			// A Go PID 1 dies (exit 2) of a signal it has no handler
			// for, or dumps core on QUIT; a C init is untouched by
			// them. USR1 is caught and dropped, as the kernel drops
			// it for an init without a handler; QUIT and PWR (what LXC
			// sends to stop a container) shut down like TERM.
			signal.Notify(caught, syscall.SIGQUIT, syscall.SIGPWR, syscall.SIGUSR1)
		}
	})
	return caught
}

func init() {
	if _, ok := syscall.Getenv(HandoverEnv); ok {
		CatchSignals()
	}
}

// pendingSignals takes what has been caught and not yet read, for the
// environment of the exec; putBack returns them when the exec fails.
func pendingSignals() (list string, sigs []os.Signal) {
	if caught == nil {
		return "", nil
	}
	for {
		select {
		case s := <-caught:
			sigs = append(sigs, s)
			if n, ok := s.(syscall.Signal); ok {
				if list != "" {
					list += ","
				}
				list += strconv.Itoa(int(n))
			}
		default:
			return list, sigs
		}
	}
}

func putBack(sigs []os.Signal) {
	for _, s := range sigs {
		select {
		case caught <- s:
		default:
		}
	}
}

// replaySignals is the new svscan's side: what the old one had caught
// is read from the environment and queued to Run as if just caught.
func replaySignals() {
	v, ok := syscall.Getenv(HandoverSignalsEnv)
	if !ok {
		return
	}
	os.Unsetenv(HandoverSignalsEnv)
	ch := CatchSignals()
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n >= 65 {
			continue
		}
		select {
		case ch <- syscall.Signal(n):
		default:
		}
	}
}
