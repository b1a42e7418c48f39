package applets

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
)

const installUsage = "daemontools install-links [-f] [-r] DIR"

// installLinks creates DIR/NAME -> executable for every applet: to its
// absolute path, or with -r to its path relative to DIR, so that links
// made in a staging tree (make install DESTDIR=...) still work once the
// tree is moved into place. Links that are already right are left
// alone; anything else in the way is an error unless -f, and a directory
// is never replaced. Conflicts are found before anything is changed.
func installLinks(args []string) int {
	force, relative := false, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		switch args[0] {
		case "-f", "--force":
			force = true
		case "-r", "--relative":
			relative = true
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
	target := exe
	if relative {
		// The executable's path is free of links (the kernel's
		// /proc/self/exe), so DIR's must be too for Rel to be right.
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err == nil {
			target, err = filepath.Rel(real, exe)
		}
		if err != nil {
			return diag.Fatal(Multicall, 111, "unable to find "+exe+" relative to "+dir, err)
		}
	}

	var todo []string
	for _, name := range Names() {
		path := filepath.Join(dir, name)
		if t, err := os.Readlink(path); err == nil && t == target {
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
		if err := os.Symlink(target, tmp); err != nil {
			return diag.Fatal(Multicall, 111, "unable to create "+path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return diag.Fatal(Multicall, 111, "unable to create "+path, err)
		}
	}
	return 0
}
