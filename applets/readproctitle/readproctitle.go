// Package readproctitle holds the readproctitle applet.
package readproctitle

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "readproctitle", Summary: "show error messages in the process title", Main: applets.NotImplemented("readproctitle")})
}
