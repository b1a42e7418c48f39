// Package supervise holds the supervise applet.
package supervise

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "supervise", Summary: "start and watch a service", Main: applets.NotImplemented("supervise")})
}
