// Package tai64n holds the tai64n and tai64nlocal applets. The filters
// themselves are timefmt.Stamp and timefmt.Localize.
package tai64n

import (
	"os"
	"time"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/privs"
	"github.com/daemontools-go/daemontools/timefmt"
)

func init() {
	applets.Register("tai64n", stampMain)
	applets.Register("tai64nlocal", localMain)
}

// stampMain copies stdin to stdout with a label in front of every line.
// A closed pipe on stdout kills it with SIGPIPE, as it kills the
// reference.
func stampMain(argv []string) int {
	privs.RecloseStdio()
	return exitCode(timefmt.Stamp(os.Stdout, os.Stdin))
}

// localMain converts the label at the start of each line to local time.
// Where the reference would crash on a label, the line passes through
// unchanged instead.
func localMain(argv []string) int {
	privs.RecloseStdio()
	return exitCode(timefmt.Localize(os.Stdout, os.Stdin, time.Local))
}

// exitCode is the reference's: 0 at the end of the input, 111 with no
// message after a read or write error.
func exitCode(err error) int {
	if err != nil {
		return 111
	}
	return 0
}
