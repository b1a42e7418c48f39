package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/daemontools-go/daemontools/privs"
)

func init() {
	register("chain", "chains of chain loaders, ours in one process and exec'ing, against daemontools", benchChain)
}

// benchChain times a run script's chain of loaders. Ours runs every
// loader and a final applet of ours in the one process the first
// loader started (see privs.runInProcess); with privs.NoInProcessVar
// set, each one execs the next, one Go start-up each. The programs are
// found through PATH, as in a run script: our links first for ours,
// Debian's alone for daemontools.
func benchChain(c *ctx) error {
	if err := missing("/usr/bin/envdir", "/usr/bin/setuidgid", "/usr/bin/softlimit", "/usr/bin/multilog"); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("skipped: setuidgid nobody needs root")
	}
	// nobody must reach our links, and write the log directory: one
	// working directory for each way of running the chain.
	if err := os.Chmod(c.work, 0o755); err != nil {
		return err
	}
	var dirs [3]string
	for i := range dirs {
		dirs[i] = filepath.Join(c.work, fmt.Sprintf("chain%d", i))
		if err := os.MkdirAll(filepath.Join(dirs[i], "e"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dirs[i], "e", "FOO"), []byte("bar\n"), 0o644); err != nil {
			return err
		}
		if err := os.Chmod(dirs[i], 0o777); err != nil {
			return err
		}
	}
	oursEnv := []string{"PATH=" + c.links + ":/usr/bin:/bin"}
	execEnv := append(oursEnv[:1:1], privs.NoInProcessVar+"=1")
	theirEnv := []string{"PATH=/usr/bin:/bin"}
	n := 20 * c.runs
	floor := bareExec(c)
	for _, k := range []struct {
		name  string
		chain []string
		last  string // the program at the end, for the floor
	}{
		{"softlimit -o 100 true", strings.Fields("envdir e setuidgid nobody softlimit -o 100 true"), "/bin/true"},
		{"softlimit -d 3000000 multilog t ./main", strings.Fields("envdir e setuidgid nobody softlimit -d 3000000 multilog t ./main"), ""},
	} {
		first := func(dir string) []string { return append([]string{dir + "/" + k.chain[0]}, k.chain[1:]...) }
		runs := []run{
			{argv: first(c.links), env: oursEnv, dir: dirs[0]},
			{argv: first(c.links), env: execEnv, dir: dirs[1]},
			{argv: first("/usr/bin"), env: theirEnv, dir: dirs[2]},
		}
		// The floor of any chain of ours: one Go start-up that execs
		// the last program at once.
		if floor != "" && k.last != "" {
			runs = append(runs, run{argv: []string{floor, k.last}, env: theirEnv, dir: dirs[2]})
		}
		ds, err := rounds(n, runs)
		if err != nil {
			return err
		}
		inproc, execd, theirs := ds[0], ds[1], ds[2]
		fmt.Printf("   envdir e setuidgid nobody %s\n", k.name)
		fmt.Printf("   %-34s ours %s  exec'ing %s  daemontools %s\n", "", ms(inproc), ms(execd), ms(theirs))
		fmt.Printf("   %-34s ours/daemontools %s (target at most 1.1x)  exec'ing/daemontools %s  ours/exec'ing %s\n",
			"", ratio(inproc, theirs), ratio(execd, theirs), ratio(inproc, execd))
		if len(ds) > 3 {
			fmt.Printf("   %-34s floor (a Go program that only execs %s) %s: floor/daemontools %s, ours/floor %s\n",
				"", k.last, ms(ds[3]), ratio(ds[3], theirs), ratio(inproc, ds[3]))
		}
	}
	return nil
}
