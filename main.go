// Command daemontools is daemontools 0.76 as one executable: svscan,
// supervise, svc, svok, svstat, svscanboot, readproctitle, multilog,
// tai64n, tai64nlocal, setuidgid, envuidgid, envdir, softlimit, setlock,
// fghack and pgrphack. The applet is chosen by the name it is invoked
// under (a link in a symlink farm) or by its first argument.
package main

import (
	"os"

	"github.com/daemontools-go/daemontools/applets"
	_ "github.com/daemontools-go/daemontools/applets/all"
)

func main() {
	os.Exit(applets.Main(os.Args))
}
