package applets

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
)

// Multicall is the name under which the executable acts as a dispatcher
// rather than as one applet.
const Multicall = "daemontools"

// Main picks the applet from argv and runs it. It returns the exit
// status for os.Exit.
//
// The applet is basename(argv[0]) when that names an applet (a link in a
// symlink farm); otherwise the executable is the dispatcher and the
// applet is argv[1] (`daemontools svc -d /service/ftpd`).
func Main(argv []string) int {
	name := Multicall
	if len(argv) > 0 {
		name = filepath.Base(argv[0])
	}
	if a, ok := Lookup(name); ok {
		return a.Main(append([]string{name}, argv[1:]...))
	}
	if len(argv) < 2 {
		return listApplets(true)
	}
	switch cmd := argv[1]; cmd {
	case "-h", "--help", "help":
		return listApplets(true)
	case "--list", "list":
		return listApplets(false)
	case "install-links":
		return installLinks(argv[2:])
	default:
		if a, ok := Lookup(cmd); ok {
			return a.Main(append([]string{cmd}, argv[2:]...))
		}
		return diag.Fatal(Multicall, 100, "unknown applet: "+cmd, nil)
	}
}

func listApplets(usage bool) int {
	var b strings.Builder
	if usage {
		b.WriteString("daemontools: daemontools 0.76 in one executable\n" +
			"usage: daemontools APPLET [ARG...]\n" +
			"       APPLET [ARG...]             (through a link named APPLET)\n" +
			"       daemontools install-links [-f] DIR\n" +
			"       daemontools --list\n" +
			"applets:\n")
	}
	for _, a := range All() {
		b.WriteString("  ")
		b.WriteString(a.Name)
		for i := len(a.Name); i < 15; i++ {
			b.WriteByte(' ')
		}
		b.WriteString(a.Summary)
		b.WriteByte('\n')
	}
	if _, err := os.Stdout.WriteString(b.String()); err != nil {
		return diag.Fatal(Multicall, 111, "unable to write output", err)
	}
	return 0
}

const installUsage = "daemontools install-links [-f] DIR"

// installLinks creates DIR/NAME -> executable for every applet. Links
// that already point at the executable are left alone; anything else in
// the way is an error unless -f, and a directory is never replaced.
// Conflicts are found before anything is changed.
func installLinks(args []string) int {
	force := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		switch args[0] {
		case "-f", "--force":
			force = true
		case "--":
			args = args[1:]
			goto done
		default:
			return diag.Usage(Multicall, 100, installUsage)
		}
		args = args[1:]
	}
done:
	if len(args) != 1 {
		return diag.Usage(Multicall, 100, installUsage)
	}
	dir := args[0]
	exe, err := os.Executable()
	if err != nil {
		return diag.Fatal(Multicall, 111, "unable to find the running executable", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return diag.Fatal(Multicall, 111, "unable to find the running executable", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return diag.Fatal(Multicall, 111, "unable to create "+dir, err)
	}

	var todo []string
	for _, name := range Names() {
		path := filepath.Join(dir, name)
		if target, err := os.Readlink(path); err == nil && target == exe {
			continue
		}
		fi, err := os.Lstat(path)
		switch {
		case err == nil && fi.IsDir():
			return diag.Fatal(Multicall, 100, "unable to replace "+path+": is a directory", nil)
		case err == nil && !force:
			return diag.Fatal(Multicall, 100, "unable to create "+path+": file already exists (use -f to replace it)", nil)
		case err != nil && !os.IsNotExist(err):
			return diag.Fatal(Multicall, 111, "unable to stat "+path, err)
		}
		todo = append(todo, name)
	}
	for _, name := range todo {
		path := filepath.Join(dir, name)
		tmp := filepath.Join(dir, "."+name+".install-links")
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return diag.Fatal(Multicall, 111, "unable to create "+path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return diag.Fatal(Multicall, 111, "unable to create "+path, err)
		}
	}
	return 0
}
