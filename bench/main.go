// Command bench measures this suite against its Debian peers
// (daemontools, runit, s6) in one run and prints the ratios.
//
//	go run ./bench [-n RUNS] [NAME...]     (make bench runs them all)
//
// Each benchmark is registered with a name; the peers it needs must be
// installed (apt-get install daemontools runit s6), otherwise it says
// what is missing and goes on with the next. Timings are printed, never
// asserted.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type benchmark struct {
	name string
	desc string
	run  func(c *ctx) error
}

var benchmarks []benchmark

func register(name, desc string, run func(c *ctx) error) {
	benchmarks = append(benchmarks, benchmark{name, desc, run})
}

// ctx carries what every benchmark needs.
type ctx struct {
	bin     string // our executable
	links   string // directory of applet links to it
	work    string // scratch directory, removed at the end
	runs    int    // repetitions for timing
	corpusM int    // corpus size in MB
}

func main() {
	runs := flag.Int("n", 5, "repetitions of each timed run (start-up benchmarks use 40x this)")
	bin := flag.String("bin", "bin/daemontools", "our executable")
	corpus := flag.Int("corpus", 250, "size of the generated log corpus in MB")
	list := flag.Bool("list", false, "list the benchmarks")
	flag.Parse()
	sort.Slice(benchmarks, func(i, j int) bool { return benchmarks[i].name < benchmarks[j].name })
	if *list {
		for _, b := range benchmarks {
			fmt.Printf("%-16s %s\n", b.name, b.desc)
		}
		return
	}
	exe, err := filepath.Abs(*bin)
	if err != nil {
		fatal(err)
	}
	if _, err := os.Stat(exe); err != nil {
		fatal(fmt.Errorf("%v (run make build first)", err))
	}
	work, err := os.MkdirTemp("", "daemontools-bench-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)
	c := &ctx{bin: exe, links: filepath.Join(work, "bin"), work: work, runs: *runs, corpusM: *corpus}
	if err := runCmd(nil, exe, "install-links", c.links); err != nil {
		fatal(err)
	}
	want := map[string]bool{}
	for _, a := range flag.Args() {
		want[a] = true
	}
	failed := false
	for _, b := range benchmarks {
		if len(want) > 0 && !want[b.name] {
			continue
		}
		fmt.Printf("== %s: %s\n", b.name, b.desc)
		if err := b.run(c); err != nil {
			fmt.Printf("   %s: %v\n", b.name, err)
			failed = true
		}
	}
	if failed {
		os.RemoveAll(work) // os.Exit skips the deferred removal
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// missing returns an error naming the peers that are not installed.
func missing(paths ...string) error {
	var m []string
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			m = append(m, p)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return fmt.Errorf("skipped: not installed: %s (apt-get install daemontools runit s6)", strings.Join(m, " "))
}
