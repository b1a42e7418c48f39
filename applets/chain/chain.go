// Package chain holds the envdir, envuidgid, fghack, pgrphack, setlock, setuidgid, softlimit applets.
//
// Each parses its command line as the reference does, calls the privs
// engine and replaces itself with the next program (same pid), so its
// exit status is that program's. Only failures print anything. When the
// next program is another applet of this executable, it runs in the
// same process without a new start-up, as the exec would have run it.
package chain

import (
	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/privs"
)

func init() {
	applets.Register("envdir", loader(envdir))
	applets.Register("envuidgid", loader(envuidgid))
	applets.Register("fghack", loader(fghack))
	applets.Register("pgrphack", loader(pgrphack))
	applets.Register("setlock", loader(setlock))
	applets.Register("setuidgid", loader(setuidgid))
	applets.Register("softlimit", loader(softlimit))
	// When the next program is this executable, a loader runs it in
	// its own process, as main.main would (see privs.SetSelf).
	privs.SetSelf(applets.Resolve, applets.Main)
}

// loader has privs note what the Go runtime holds before main runs
// (privs.NoteStart), before the loader opens anything itself.
func loader(main func(argv []string) int) func(argv []string) int {
	return func(argv []string) int {
		privs.NoteStart()
		return main(argv)
	}
}

// cannotRun reports that no candidate for child could be exec'd: always
// 111, whatever the error.
func cannotRun(prog, child string, err error) int {
	return diag.Fatal(prog, 111, "unable to run "+child, err)
}

// run replaces the process with child[0] found on $PATH, with env, and
// reports the failure when there is one.
func run(prog string, child, env []string) int {
	return execFailed(prog, child[0], privs.ExecChain(child, env, nil))
}

// execFailed reports why ExecChain returned: a limit handed down by
// softlimit that could not be set, or the exec itself.
func execFailed(prog, child string, err error) int {
	if e, ok := err.(*privs.Error); ok {
		switch e.Op {
		case privs.OpGetrlimit:
			return diag.Fatal(prog, 111, "getrlimit failed", e.Err)
		case privs.OpSetrlimit:
			return diag.Fatal(prog, 111, "setrlimit failed", e.Err)
		}
	}
	return cannotRun(prog, child, err)
}

// errnoOf returns the system error inside a privs error.
func errnoOf(err error) error {
	if e, ok := err.(*privs.Error); ok {
		return e.Err
	}
	return err
}

func setuidgid(argv []string) int {
	const prog = "setuidgid"
	if len(argv) < 3 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	u, err := privs.LookupUser(argv[1])
	if err != nil {
		return diag.Fatal(prog, 111, "unknown account "+argv[1], nil)
	}
	child := argv[2:]
	err = privs.ExecAs(u.UID, u.GID, privs.Candidates(child[0]), child, privs.Environ())
	if e, ok := err.(*privs.Error); ok {
		switch e.Op {
		case privs.OpSetuid:
			return diag.Fatal(prog, 111, "unable to setuid", e.Err)
		case privs.OpSetgid:
			return diag.Fatal(prog, 111, "unable to setgid", e.Err)
		}
	}
	return execFailed(prog, child[0], err)
}

func envuidgid(argv []string) int {
	const prog = "envuidgid"
	if len(argv) < 3 {
		return diag.Usage(prog, 100, applets.UsageOf(prog))
	}
	u, err := privs.LookupUser(argv[1])
	if err != nil {
		return diag.Fatal(prog, 111, "unknown account "+argv[1], nil)
	}
	env := privs.MergeEnv(privs.Environ(), []string{"GID=" + decimal(u.GID), "UID=" + decimal(u.UID)})
	return run(prog, argv[2:], env)
}

func decimal(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for u := uint64(n); u > 0; u /= 10 {
		i--
		b[i] = byte('0' + u%10)
	}
	return string(b[i:])
}

func envdir(argv []string) int {
	const prog = "envdir"
	if len(argv) < 3 {
		return diag.Usage(prog, 111, applets.UsageOf(prog))
	}
	dir := argv[1]
	changes, err := privs.ReadEnvDir(dir)
	if err != nil {
		e, _ := err.(*privs.Error)
		if e == nil {
			return diag.Fatal(prog, 111, "unable to read directory "+dir, err)
		}
		switch e.Op {
		case privs.OpOpenCwd:
			return diag.Fatal(prog, 111, "unable to switch to current directory", e.Err)
		case privs.OpChdir:
			return diag.Fatal(prog, 111, "unable to switch to directory "+dir, e.Err)
		case privs.OpReadFile:
			return diag.Fatal(prog, 111, "unable to read "+e.Path, e.Err)
		case privs.OpReturnCwd:
			return diag.Fatal(prog, 111, "unable to switch to starting directory", e.Err)
		default:
			return diag.Fatal(prog, 111, "unable to read directory "+dir, e.Err)
		}
	}
	return run(prog, argv[2:], privs.MergeEnv(privs.Environ(), changes))
}
