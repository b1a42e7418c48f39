// Package all links every applet into the executable. main and the
// transcript tests import it; a build that wants fewer applets can
// import the packages it needs instead.
package all

import (
	_ "github.com/daemontools-go/daemontools/applets/chain"
	_ "github.com/daemontools-go/daemontools/applets/multilog"
	_ "github.com/daemontools-go/daemontools/applets/readproctitle"
	_ "github.com/daemontools-go/daemontools/applets/supervise"
	_ "github.com/daemontools-go/daemontools/applets/svctl"
	_ "github.com/daemontools-go/daemontools/applets/svscan"
	_ "github.com/daemontools-go/daemontools/applets/tai64n"
)
