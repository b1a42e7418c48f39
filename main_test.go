package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the transcripts in testdata/script against the real
// executable, invoked through the links install-links makes. Conditions:
// [debian] Debian's daemontools is installed, [runit] and [s6] likewise,
// [root] the tests run as root.
func TestScripts(t *testing.T) {
	bin := apptest.BinDir(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("BIN", bin)
			env.Setenv("PLAINBIN", apptest.PlainBinDir(t))
			env.Setenv("LC_ALL", "C")
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "debian":
				return apptest.HaveDebian("svscan"), nil
			case "runit":
				return apptest.HaveDebian("sv"), nil
			case "s6":
				return apptest.HaveDebian("s6-svscan"), nil
			case "root":
				return os.Geteuid() == 0, nil
			}
			return false, nil
		},
	})
}

// The 17 programs of daemontools 0.76: every one must be an applet.
var reference = []string{
	"envdir", "envuidgid", "fghack", "multilog", "pgrphack", "readproctitle",
	"setlock", "setuidgid", "softlimit", "supervise", "svc", "svok", "svscan",
	"svscanboot", "svstat", "tai64n", "tai64nlocal",
}

func TestInstallLinksMakesEveryProgram(t *testing.T) {
	exe := apptest.Exe(t)
	dir := t.TempDir()
	if out, err := exec.Command(exe, "install-links", dir).CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("install-links: %v %q", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Errorf("%s is not a link: %v", e.Name(), err)
			continue
		}
		if real, _ := filepath.EvalSymlinks(exe); target != real && target != exe {
			t.Errorf("%s -> %s, want the executable %s", e.Name(), target, real)
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != strings.Join(reference, " ") {
		t.Errorf("links:\n%v\nwant:\n%v", names, reference)
	}
}

var shellError = regexp.MustCompile(`(?m)^/bin/sh: [0-9]+: .*$`)

// TestInterop runs every script in testdata/interop under our applets
// and under Debian's daemontools and compares what they print. The
// functions they share are in testdata/interop/prelude.sh, which each
// sources from $PRELUDE (see there).
func TestInterop(t *testing.T) {
	const prelude = "testdata/interop/prelude.sh"
	abs, err := filepath.Abs(prelude)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/interop/*.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == prelude {
			continue
		}
		script, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".sh"), func(t *testing.T) {
			t.Parallel()
			bin := apptest.BinDir(t)
			if strings.Contains(string(script), "\n# interop: without the race detector\n") {
				bin = apptest.PlainBinDir(t)
			}
			r := apptest.DifferentialIn(t, bin, string(script), "PRELUDE="+abs)
			// A prelude or a function gone missing fails the same way
			// under both: no script makes the shell complain.
			if m := shellError.FindString(r.Stdout + r.Stderr); m != "" {
				t.Errorf("the shell said %q", m)
			}
		})
	}
}
