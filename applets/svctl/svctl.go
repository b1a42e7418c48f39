// Package svctl holds the svc, svok, svstat applets.
package svctl

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "svc", Summary: "control supervised services", Main: applets.NotImplemented("svc")})
	applets.Register(applets.Applet{Name: "svok", Summary: "check whether supervise is running", Main: applets.NotImplemented("svok")})
	applets.Register(applets.Applet{Name: "svstat", Summary: "print the status of supervised services", Main: applets.NotImplemented("svstat")})
}
