package applets

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/privs"
)

// Multicall is the name under which the executable acts as a dispatcher
// rather than as one applet.
const Multicall = "daemontools"

// Main picks the applet from argv and runs it. It returns the exit
// status for os.Exit.
//
// The applet is basename(argv[0]) when that names an applet (a link in a
// symlink farm); otherwise the executable is the dispatcher and the
// applet is argv[1] (`daemontools svc -d /service/ftpd`). In that form
// the process takes the applet's name, as ps and pidof see it, before
// the applet runs (see become).
func Main(argv []string) int {
	if len(argv) > 0 && argv[0] == privs.TrampolineName {
		// svscan's way of starting a child with the open-files limit
		// it inherited; the entry point handles it when linked in.
		return privs.Trampoline(argv)
	}
	name := Multicall
	if len(argv) > 0 {
		name = filepath.Base(argv[0])
	}
	if a, ok := Lookup(name); ok {
		nameThread(a.Name)
		return a.Main(append([]string{name}, argv[1:]...))
	}
	if len(argv) < 2 {
		return listApplets(true)
	}
	switch cmd := argv[1]; cmd {
	case "-h", "--help":
		return listApplets(true)
	case "help":
		return help(argv[2:])
	case "--list", "list":
		return listApplets(false)
	case "--version", "version":
		return write("daemontools " + Version() + "\n")
	case "install-links":
		return installLinks(argv[2:])
	case "upgrade":
		return upgrade(argv[2:])
	default:
		if a, ok := Lookup(cmd); ok {
			return a.Main(become(a.Name, argv))
		}
		return diag.Fatal(Multicall, 100, "unknown applet: "+cmd, nil)
	}
}

// Resolve returns the name of the applet Main would run for argv, and
// false when Main would do something else (list the applets, print a
// manual, install links, report an unknown name). The chain loaders ask
// it before they run a program of this executable in their own process
// instead of exec'ing it (privs.SetSelf).
func Resolve(argv []string) (string, bool) {
	if len(argv) == 0 {
		return "", false
	}
	if a, ok := Lookup(filepath.Base(argv[0])); ok {
		return a.Name, true
	}
	if len(argv) > 1 {
		// No applet is named like the dispatcher's own commands.
		if a, ok := Lookup(argv[1]); ok {
			return a.Name, true
		}
	}
	return "", false
}

// write prints s on stdout: the dispatcher's own output.
func write(s string) int {
	if _, err := os.Stdout.WriteString(s); err != nil {
		return diag.Fatal(Multicall, 111, "unable to write output", err)
	}
	return 0
}

func listApplets(usage bool) int {
	var b strings.Builder
	if usage {
		b.WriteString("daemontools: daemontools 0.76 in one executable\n" +
			"usage: daemontools APPLET [ARG...]\n" +
			"       APPLET [ARG...]             (through a link named APPLET)\n" +
			"       daemontools help [APPLET]   (the manual of APPLET)\n" +
			"       daemontools install-links [-f] [-r] DIR\n" +
			"       daemontools upgrade [DIR]   (svscan on DIR execs the new executable)\n" +
			"       daemontools --list\n" +
			"       daemontools --version\n" +
			"applets:\n")
	}
	for _, a := range All() {
		b.WriteString("  ")
		b.WriteString(a.Name)
		for i := len(a.Name); i < 15; i++ {
			b.WriteByte(' ')
		}
		b.WriteString(a.Short)
		b.WriteByte('\n')
	}
	return write(b.String())
}

const helpUsage = "daemontools help [APPLET]"

// help prints the manual of one applet (or of the dispatcher), or the
// list of applets when none is named.
func help(args []string) int {
	switch {
	case len(args) == 0:
		return listApplets(true)
	case len(args) > 1:
		return diag.Usage(Multicall, 100, helpUsage)
	case args[0] == Multicall:
		return write(Help(&Dispatcher))
	}
	if a, ok := Lookup(args[0]); ok {
		return write(Help(a))
	}
	return diag.Fatal(Multicall, 100, "unknown applet: "+args[0], nil)
}
