// Package multilog holds the multilog applet.
package multilog

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "multilog", Summary: "read a log and save selected lines in rotated directories", Main: applets.NotImplemented("multilog")})
}
