// Package svscan holds the svscan, svscanboot applets.
package svscan

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "svscan", Summary: "start and watch a collection of services", Main: applets.NotImplemented("svscan")})
	applets.Register(applets.Applet{Name: "svscanboot", Summary: "start svscan with its output shown by readproctitle", Main: applets.NotImplemented("svscanboot")})
}
