// Package chain holds the envdir, envuidgid, fghack, pgrphack, setlock, setuidgid, softlimit applets.
package chain

import "github.com/daemontools-go/daemontools/applets"

func init() {
	applets.Register(applets.Applet{Name: "envdir", Summary: "run a program with environment variables set from a directory", Main: applets.NotImplemented("envdir")})
	applets.Register(applets.Applet{Name: "envuidgid", Summary: "run a program with UID and GID set to an account's ids", Main: applets.NotImplemented("envuidgid")})
	applets.Register(applets.Applet{Name: "fghack", Summary: "keep a self-backgrounding daemon in the foreground", Main: applets.NotImplemented("fghack")})
	applets.Register(applets.Applet{Name: "pgrphack", Summary: "run a program in a new session and process group", Main: applets.NotImplemented("pgrphack")})
	applets.Register(applets.Applet{Name: "setlock", Summary: "run a program holding a lock file", Main: applets.NotImplemented("setlock")})
	applets.Register(applets.Applet{Name: "setuidgid", Summary: "run a program under an account's uid and gid", Main: applets.NotImplemented("setuidgid")})
	applets.Register(applets.Applet{Name: "softlimit", Summary: "run a program with soft resource limits", Main: applets.NotImplemented("softlimit")})
}
