package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

func init() {
	register("startup", "start-up of each short-lived applet against a Go program that only exits; the chain loaders against daemontools", benchStartup)
}

// bareGo builds a Go program that only exits, the floor any Go applet
// pays (runtime start-up), with the flags make build gives ours (less
// the entry hook, which is ours: see privs/start.go), or returns ""
// when no go command is at hand.
func bareGo(c *ctx) string {
	return buildBare(c, "bare", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n")
}

// bareExec builds a Go program that only execs its arguments, with
// bareGo's flags: the floor of any chain that starts in Go.
func bareExec(c *ctx) string {
	return buildBare(c, "bareexec", "package main\n\nimport (\n\t\"os\"\n\t\"syscall\"\n)\n\n"+
		"func main() {\n\tsyscall.Exec(os.Args[1], os.Args[1:], os.Environ())\n\tos.Exit(111)\n}\n")
}

// bareFork builds a Go program that starts its arguments as a child and
// waits for it, with bareGo's flags: the floor of fghack, which must.
func bareFork(c *ctx) string {
	return buildBare(c, "barefork", "package main\n\nimport (\n\t\"os\"\n\t\"syscall\"\n)\n\n"+
		"func main() {\n\tpid, err := syscall.ForkExec(os.Args[1], os.Args[1:], &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})\n"+
		"\tif err != nil {\n\t\tos.Exit(111)\n\t}\n\tvar ws syscall.WaitStatus\n\tsyscall.Wait4(pid, &ws, 0, nil)\n\tos.Exit(ws.ExitStatus())\n}\n")
}

// buildBare builds the program src in the work directory's name, or
// returns "" when no go command is at hand.
func buildBare(c *ctx, name, src string) string {
	dir := filepath.Join(c.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bare\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	exe := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if err := cmd.Run(); err != nil {
		return ""
	}
	return exe
}

// run is one command to time: argv with env, in dir (or ours), exiting
// with status want.
type run struct {
	argv []string
	env  []string
	dir  string
	want int
}

// rounds times every command n times, one run of each in turn, so that
// all of them see the same load on a shared machine, and returns the
// median wall time (fork to reaped exit) of each. Each round takes the
// commands in an order of its own (the same orders in every run of the
// benchmark): in one fixed order, a command always follows the same
// other one, and pays for whatever that one leaves the kernel to do.
func rounds(n int, runs []run) ([]time.Duration, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	ds := make([][]time.Duration, len(runs))
	order := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		for _, j := range order.Perm(len(runs)) {
			r := runs[j]
			attr := &syscall.ProcAttr{Env: r.env, Dir: r.dir, Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}}
			start := time.Now()
			pid, err := syscall.ForkExec(r.argv[0], r.argv, attr)
			if err != nil {
				return nil, fmt.Errorf("%v: %v", r.argv, err)
			}
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
				return nil, err
			}
			ds[j] = append(ds[j], time.Since(start))
			if ws.ExitStatus() != r.want {
				return nil, fmt.Errorf("%v exited %d (%v), want %d", r.argv, ws.ExitStatus(), ws, r.want)
			}
		}
	}
	out := make([]time.Duration, len(runs))
	for j := range ds {
		out[j] = mid(ds[j])
	}
	return out, nil
}

func benchStartup(c *ctx) error {
	if err := missing("/usr/bin/envdir", "/usr/bin/setuidgid", "/usr/bin/envuidgid", "/usr/bin/softlimit", "/usr/bin/setlock", "/usr/bin/pgrphack", "/usr/bin/fghack"); err != nil {
		return err
	}
	envd := filepath.Join(c.work, "env")
	if err := os.MkdirAll(envd, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(envd, "FOO"), []byte("bar\n"), 0o644); err != nil {
		return err
	}
	svdir := filepath.Join(c.work, "unsupervised")
	if err := os.MkdirAll(svdir, 0o755); err != nil {
		return err
	}
	lock := filepath.Join(c.work, "lock")
	// setuidgid's child must reach our links as nobody.
	if err := os.Chmod(c.work, 0o755); err != nil {
		return err
	}
	n := 40 * c.runs
	env := []string{"PATH=/usr/bin:/bin"}
	ours := func(args ...string) []string { return append([]string{c.links + "/" + args[0]}, args[1:]...) }
	theirs := func(args ...string) []string { return append([]string{"/usr/bin/" + args[0]}, args[1:]...) }

	bare := bareGo(c)
	if bare == "" {
		fmt.Println("   (no go command: the Go floor is left out)")
	} else {
		// Applets that do their small job and exit, against the
		// floor, in one round-robin.
		apps := []struct {
			name string
			args []string
			want int
		}{
			{"svok DIR (not running)", []string{"svok", svdir}, 100},
			{"svstat DIR", []string{"svstat", svdir}, 0},
			{"svc -u DIR (not running)", []string{"svc", "-u", svdir}, 0},
			{"tai64n </dev/null", []string{"tai64n"}, 0},
			{"tai64nlocal </dev/null", []string{"tai64nlocal"}, 0},
		}
		runs := []run{{argv: []string{bare}, env: env}, {argv: []string{"/bin/true"}, env: env}}
		for _, a := range apps {
			runs = append(runs, run{argv: ours(a.args...), env: env, want: a.want})
		}
		// The chain loaders exec /bin/true: their own cost is what
		// they take beyond it.
		loaders := []struct {
			name string
			args []string
		}{
			{"envdir d true", []string{"envdir", envd}},
			{"envuidgid nobody true", []string{"envuidgid", "nobody"}},
			{"softlimit -m 1e9 -o 64 true", []string{"softlimit", "-m", "1000000000", "-o", "64"}},
			{"setlock -n lock true", []string{"setlock", "-n", lock}},
			{"pgrphack true", []string{"pgrphack"}},
			{"fghack true (and its fork)", []string{"fghack"}},
		}
		if os.Geteuid() == 0 {
			loaders = append(loaders, struct {
				name string
				args []string
			}{"setuidgid nobody true", []string{"setuidgid", "nobody"}})
		}
		for _, l := range loaders {
			runs = append(runs, run{argv: append(ours(l.args...), "/bin/true"), env: env})
		}
		forkFloor := bareFork(c)
		if forkFloor != "" {
			runs = append(runs, run{argv: []string{forkFloor, "/bin/true"}, env: env})
		}
		ds, err := rounds(n, runs)
		if err != nil {
			return err
		}
		floor, truth := ds[0], ds[1]
		fmt.Printf("   %-34s %s (for scale)\n", "C /bin/true", ms(truth))
		fmt.Printf("   %-34s %s (a Go program that only exits, built as ours: the floor)\n", "bare Go", ms(floor))
		for i, a := range apps {
			d := ds[2+i]
			fmt.Printf("   %-34s %s  ratio to the floor %s (target at most 1.1x)\n", a.name, ms(d), ratio(d, floor))
		}
		for i, l := range loaders {
			d := ds[2+len(apps)+i] - truth
			fmt.Printf("   %-34s %s  ratio to the floor %s (target at most 1.1x; less the /bin/true it runs)\n",
				l.name, ms(d), ratio(d, floor))
			if l.args[0] == "fghack" && forkFloor != "" {
				f := ds[len(ds)-1] - truth
				fmt.Printf("   %-34s %s  fghack's ratio to it %s\n", "  a Go program that forks it, waits", ms(f), ratio(d, f))
			}
		}
	}

	// The loaders against daemontools', each running /bin/true.
	type pair struct {
		name string
		args []string
	}
	cases := []pair{
		{"envdir d true", []string{"envdir", envd, "/bin/true"}},
		{"setuidgid nobody true", []string{"setuidgid", "nobody", "/bin/true"}},
		{"envuidgid nobody true", []string{"envuidgid", "nobody", "/bin/true"}},
		{"softlimit -m 1e9 -o 64 true", []string{"softlimit", "-m", "1000000000", "-o", "64", "/bin/true"}},
		{"setlock -n lock true", []string{"setlock", "-n", lock, "/bin/true"}},
		{"pgrphack true", []string{"pgrphack", "/bin/true"}},
		{"fghack true", []string{"fghack", "/bin/true"}},
	}
	base, err := median(n, []string{"/bin/true"}, env)
	if err != nil {
		return err
	}
	for _, k := range cases {
		o, t, err := interleaved(n, ours(k.args...), theirs(k.args...), env)
		if err != nil {
			fmt.Printf("   %-34s failed: %v\n", k.name, err)
			continue
		}
		fmt.Printf("   %-34s ours %s  daemontools %s  ratio %s  own cost %s vs %s\n",
			k.name, ms(o), ms(t), ratio(o, t), ms(o-base), ms(t-base))
	}
	return nil
}

// interleaved times a and b alternately, one run each in turn, so that
// both see the same load on a shared machine, and returns their medians.
func interleaved(n int, a, b, env []string) (time.Duration, time.Duration, error) {
	ds, err := rounds(n, []run{{argv: a, env: env}, {argv: b, env: env}})
	if err != nil {
		return 0, 0, err
	}
	return ds[0], ds[1], nil
}

func mid(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
