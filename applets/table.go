// Package applets is the table of the programs this executable can be,
// with their documentation, and the dispatcher that picks one of them.
//
// The table below is the one list of applets: `daemontools --list`,
// `daemontools help NAME`, the man pages (make man) and the applets' own
// usage errors all read it. Each applet package registers its Main for
// a name in the table from its init; applets/all links every one.
package applets

// An Applet is one program of the suite, as cmd/go's base.Command is one
// go command: its name, its documentation and, once its package has
// registered it, its Main.
type Applet struct {
	// Name is the canonical program name, e.g. "svc". Diagnostics always
	// use it, whatever name the executable was invoked under.
	Name string
	// Section is the manual section of its page: 8 for the programs the
	// system runs as daemons or at boot, 1 for the commands people and
	// run scripts type (see the README).
	Section int
	// Short is one line for `daemontools --list` and the page's NAME.
	Short string
	// UsageLine is the synopsis that help and the man page show, one
	// form a line.
	UsageLine string
	// Usage is the text the applet prints on a usage error after
	// "NAME: usage: ", byte for byte the reference's; svc prints its
	// line alone, as the reference does. Empty for an applet that has
	// no usage error.
	Usage string
	// Long is the rest of the manual page, in the markup ParseDoc reads.
	Long string
	// SeeAlso lists related pages, separated by spaces: applet names,
	// which get their own section, or "name(N)" for other pages.
	SeeAlso string
	// Main runs the applet. argv[0] is the name it was invoked as (the
	// basename of the link, or Name in the `daemontools NAME ...` form);
	// getopt-style messages use it, as the reference's do. Main returns
	// the exit status; only main.go calls os.Exit. Applets that end in
	// execve never return on success. Register sets it.
	Main func(argv []string) int
}

// table lists every applet in help order: the supervision tree, its
// clients, the boot-time pair, the logging tools, the chain loaders.
// Everything in it is a constant, so that it costs nothing at start-up:
// the long texts are never touched unless help or the man pages read
// them.
var table = [...]Applet{
	{Name: "svscan", Section: 8, Short: "start and watch a collection of services",
		UsageLine: "svscan [dir]",
		Long:      svscanDoc, SeeAlso: "supervise svc svstat svscanboot multilog sv(8)"},
	{Name: "supervise", Section: 8, Short: "start and watch a service",
		UsageLine: "supervise dir", Usage: "supervise dir",
		Long: superviseDoc, SeeAlso: "svscan svc svok svstat sv(8)"},
	{Name: "svc", Section: 1, Short: "control supervised services",
		UsageLine: "svc [-udopchaitkx] dir...\nsvc -w u|U|d|D|r|R [-T ms] [-udopchaitkx] dir...",
		Usage:     "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill",
		Long:      svcDoc, SeeAlso: "supervise svok svstat svscan sv(8)"},
	{Name: "svok", Section: 1, Short: "check whether supervise is running",
		UsageLine: "svok dir", Usage: "svok dir",
		Long: svokDoc, SeeAlso: "supervise svc svstat"},
	{Name: "svstat", Section: 1, Short: "print the status of supervised services",
		UsageLine: "svstat dir...\nsvstat --json dir...\nsvstat --metrics dir...",
		Long:      svstatDoc, SeeAlso: "supervise svc svok sv(8)"},
	{Name: "svscanboot", Section: 8, Short: "start svscan with its output shown by readproctitle",
		UsageLine: "svscanboot [dir]",
		Long:      svscanbootDoc, SeeAlso: "svscan readproctitle svc ps(1)"},
	{Name: "readproctitle", Section: 8, Short: "show error messages in the process title",
		UsageLine: "readproctitle word... dots",
		Long:      readproctitleDoc, SeeAlso: "svscanboot svscan ps(1)"},
	{Name: "multilog", Section: 8, Short: "read a log and save selected lines in rotated directories",
		UsageLine: "multilog script...",
		Long:      multilogDoc, SeeAlso: "tai64n tai64nlocal supervise svscan"},
	{Name: "tai64n", Section: 1, Short: "put a precise timestamp on each line",
		UsageLine: "tai64n",
		Long:      tai64nDoc, SeeAlso: "tai64nlocal multilog"},
	{Name: "tai64nlocal", Section: 1, Short: "convert TAI64N labels at line starts to local time",
		UsageLine: "tai64nlocal",
		Long:      tai64nlocalDoc, SeeAlso: "tai64n multilog"},
	{Name: "setuidgid", Section: 1, Short: "run a program under an account's uid and gid",
		UsageLine: "setuidgid account child...", Usage: "setuidgid account child",
		Long: setuidgidDoc, SeeAlso: "envuidgid envdir softlimit setlock"},
	{Name: "envuidgid", Section: 1, Short: "run a program with UID and GID set to an account's ids",
		UsageLine: "envuidgid account child...", Usage: "envuidgid account child",
		Long: envuidgidDoc, SeeAlso: "setuidgid envdir"},
	{Name: "envdir", Section: 1, Short: "run a program with environment variables set from a directory",
		UsageLine: "envdir dir child...", Usage: "envdir dir child",
		Long: envdirDoc, SeeAlso: "envuidgid setuidgid softlimit"},
	{Name: "softlimit", Section: 1, Short: "run a program with soft resource limits",
		UsageLine: "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child...",
		Usage:     "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child",
		Long:      softlimitDoc, SeeAlso: "setuidgid envdir setlock setrlimit(2)"},
	{Name: "setlock", Section: 1, Short: "run a program holding a lock file",
		UsageLine: "setlock [-nNxX] file child...", Usage: "setlock [ -nNxX ] file program [ arg ... ]",
		Long: setlockDoc, SeeAlso: "setuidgid softlimit flock(2)"},
	{Name: "fghack", Section: 1, Short: "keep a self-backgrounding daemon in the foreground",
		UsageLine: "fghack child...", Usage: "fghack child",
		Long: fghackDoc, SeeAlso: "supervise pgrphack"},
	{Name: "pgrphack", Section: 1, Short: "run a program in a new session and process group",
		UsageLine: "pgrphack child...", Usage: "pgrphack child",
		Long: pgrphackDoc, SeeAlso: "supervise fghack setsid(2)"},
}

// Dispatcher documents the executable itself, the `daemontools ...`
// form: `daemontools help daemontools` and the daemontools(8) page.
var Dispatcher = Applet{Name: Multicall, Section: 8, Short: "daemontools 0.76 in one executable",
	UsageLine: "daemontools applet [arg...]\napplet [arg...]\ndaemontools help [applet]\ndaemontools --list\ndaemontools --version\ndaemontools install-links [-f] [-r] dir",
	Long:      dispatcherDoc, SeeAlso: "svscan supervise svc svstat multilog"}

// find returns the table entry called name, registered or not.
func find(name string) *Applet {
	for i := range table {
		if table[i].Name == name {
			return &table[i]
		}
	}
	return nil
}

// Register sets the Main of the applet called name. It panics when name
// is not in the table, when main is nil and when the name is registered
// twice: all three are programming errors found at start-up. It is
// called only from init functions, which run one at a time.
func Register(name string, main func(argv []string) int) {
	a := find(name)
	switch {
	case a == nil:
		panic("applets: Register of " + name + ", which is not in the table")
	case main == nil:
		panic("applets: Register of " + name + " without a Main")
	case a.Main != nil:
		panic("applets: Register called twice for " + name)
	}
	a.Main = main
}

// Lookup returns the registered applet called name.
func Lookup(name string) (*Applet, bool) {
	a := find(name)
	if a == nil || a.Main == nil {
		return nil, false
	}
	return a, true
}

// All returns every registered applet, in help order.
func All() []*Applet {
	out := make([]*Applet, 0, len(table))
	for i := range table {
		if table[i].Main != nil {
			out = append(out, &table[i])
		}
	}
	return out
}

// Table returns every applet of the table, registered or not, in help
// order: what the man pages are made from.
func Table() []*Applet {
	out := make([]*Applet, len(table))
	for i := range table {
		out[i] = &table[i]
	}
	return out
}

// Names returns the names of the registered applets, in help order.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = a.Name
	}
	return names
}

// UsageOf returns the usage text of the applet called name, for its
// usage error: `diag.Usage(prog, 100, applets.UsageOf(prog))`. It panics
// on a name that is not in the table.
func UsageOf(name string) string {
	a := find(name)
	if a == nil {
		panic("applets: UsageOf " + name + ", which is not in the table")
	}
	return a.Usage
}
