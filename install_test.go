package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemontools-go/daemontools/applets"
)

// The manual sections: 8 for what the system runs, 1 for the rest.
var section8 = []string{"daemontools", "multilog", "readproctitle", "supervise", "svscan", "svscanboot"}

// make install DESTDIR=... PREFIX=/usr stages the executable, its links
// and the manual pages; the staged tree works wherever it is moved.
func TestMakeInstall(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	tmp := t.TempDir()
	stage := filepath.Join(tmp, "stage")
	// BIN and MANBUILD keep the build out of the source tree.
	cmd := exec.Command("make", "-s", "install", "DESTDIR="+stage, "PREFIX=/usr",
		"BIN="+filepath.Join(tmp, "build/daemontools"), "MANBUILD="+filepath.Join(tmp, "build/man"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	bin := filepath.Join(stage, "usr/bin")
	if fi, err := os.Stat(filepath.Join(bin, "daemontools")); err != nil || fi.Mode().Perm() != 0o755 || !fi.Mode().IsRegular() {
		t.Fatalf("usr/bin/daemontools: %v %v", fi, err)
	}
	for _, name := range reference {
		if target, err := os.Readlink(filepath.Join(bin, name)); err != nil || target != "daemontools" {
			t.Errorf("usr/bin/%s -> %q (%v), want a link to daemontools beside it", name, target, err)
		}
	}

	// Moved elsewhere (as a package unpacks it), the links still work.
	moved := filepath.Join(tmp, "moved")
	if out, err := exec.Command("cp", "-a", stage, moved).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	out, err := exec.Command(filepath.Join(moved, "usr/bin/svok")).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 100 || string(out) != "svok: usage: svok dir\n" {
		t.Errorf("moved usr/bin/svok: %v %q", err, out)
	}
	out, err = exec.Command(filepath.Join(moved, "usr/bin/daemontools"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "daemontools ") {
		t.Errorf("daemontools --version: %q %v", out, err)
	}

	var want, got []string
	for _, a := range append(applets.Table(), &applets.Dispatcher) {
		sec := "1"
		if slices.Contains(section8, a.Name) {
			sec = "8"
		}
		want = append(want, "man"+sec+"/"+a.Name+"."+sec)
	}
	man := filepath.Join(stage, "usr/share/man")
	pages, _ := filepath.Glob(filepath.Join(man, "man*/*"))
	for _, p := range pages {
		rel, _ := filepath.Rel(man, p)
		got = append(got, rel)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages:\n%v\nwant:\n%v", got, want)
	}
	if _, err := exec.LookPath("groff"); err != nil {
		t.Log("groff is not installed: the pages are not rendered")
		return
	}
	for _, p := range pages {
		// -ww: every warning; -z: no output, only the diagnostics.
		out, err := exec.Command("groff", "-ww", "-man", "-z", p).CombinedOutput()
		if err != nil || len(out) != 0 {
			t.Errorf("groff -ww -man %s: %v\n%s", p, err, out)
		}
		if _, err := exec.LookPath("man"); err == nil {
			// As a reader sees it, where lines that cannot be
			// filled are reported too.
			cmd := exec.Command("man", "--warnings", "-l", p)
			cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil || stderr.Len() != 0 {
				t.Errorf("man --warnings -l %s: %v\n%s", p, err, stderr.String())
			}
		}
		text, err := exec.Command("groff", "-man", "-Tascii", "-P-bcou", p).Output()
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if err != nil || !strings.Contains(string(text), "NAME\n       "+name+" - ") {
			t.Errorf("%s does not render its NAME: %v\n%s", p, err, text)
		}
	}
}
