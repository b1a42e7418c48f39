package chain

import (
	"syscall"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/privs"
)

func fghack(argv []string) int {
	const prog = "fghack"
	if len(argv) < 2 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	if privs.StandIn() {
		// The child of an fghack that had limits to pass on: run the
		// program under them, as the reference's child runs it.
		return run(prog, argv[1:], privs.Environ())
	}
	status, crashed, err := privs.Foreground(argv[1:], privs.Environ())
	if err != nil {
		if e, ok := err.(*privs.Error); ok {
			switch e.Op {
			case privs.OpPipe:
				return diag.Fatal(prog, 111, "unable to create pipe", e.Err)
			case privs.OpWait:
				return diag.Fatal(prog, 111, "wait failed", e.Err)
			case privs.OpGetrlimit, privs.OpSetrlimit:
				return execFailed(prog, argv[1], err)
			default:
				return diag.Fatal(prog, 111, "unable to fork", e.Err)
			}
		}
		return cannotRun(prog, argv[1], err)
	}
	if crashed {
		return diag.Fatal(prog, 111, "child crashed", nil)
	}
	return status
}

func pgrphack(argv []string) int {
	const prog = "pgrphack"
	if len(argv) < 2 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	// The reference ignores a failure (we are already a session leader).
	syscall.Setsid()
	return run(prog, argv[1:], privs.Environ())
}
