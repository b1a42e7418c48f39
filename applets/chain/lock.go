package chain

import (
	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/getopt"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/privs"
)

func setlock(argv []string) int {
	const prog = "setlock"
	nowait, quiet := false, false
	p := getopt.New(argv, "nNxX")
	for {
		opt, ok := p.Next()
		if !ok {
			break
		}
		switch opt {
		case 'n':
			nowait = true
		case 'N':
			nowait = false
		case 'x':
			quiet = true
		case 'X':
			quiet = false
		default:
			return diag.Usage(prog, 100, applets.UsageOf(prog))
		}
	}
	rest := p.Rest()
	if len(rest) < 2 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	file, child := rest[0], rest[1:]
	if _, err := privs.Lock(file, nowait); err != nil {
		if quiet {
			return 0
		}
		if e, ok := err.(*privs.Error); ok && e.Op == privs.OpLock {
			return diag.Fatal(prog, 111, "unable to lock "+file, e.Err)
		}
		return diag.Fatal(prog, 111, "unable to open "+file, errnoOf(err))
	}
	// An exec failure is reported even with -x.
	return run(prog, child, privs.Environ())
}
