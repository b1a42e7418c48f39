package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

func init() {
	register("startup", "start-up of chain loaders (median fork+exec+wait), against daemontools", benchStartup)
}

// bareGo builds a Go program that only exits, the floor any Go applet
// pays (runtime start-up), or returns "" when no go command is at hand.
func bareGo(c *ctx) string {
	dir := filepath.Join(c.work, "bare")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module bare\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n"), 0o644)
	exe := filepath.Join(dir, "bare")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if err := cmd.Run(); err != nil {
		return ""
	}
	return exe
}

func benchStartup(c *ctx) error {
	if err := missing("/usr/bin/envdir", "/usr/bin/setuidgid", "/usr/bin/envuidgid", "/usr/bin/softlimit", "/usr/bin/setlock", "/usr/bin/pgrphack"); err != nil {
		return err
	}
	envd := filepath.Join(c.work, "env")
	if err := os.MkdirAll(envd, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(envd, "FOO"), []byte("bar\n"), 0o644); err != nil {
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
	}

	base, err := median(n, []string{"/bin/true"}, env)
	if err != nil {
		return err
	}
	fmt.Printf("   %-30s %s (C /bin/true, for scale)\n", "true", ms(base))
	if bare := bareGo(c); bare != "" {
		if d, err := median(n, []string{bare}, env); err == nil {
			fmt.Printf("   %-30s %s (a Go program that only exits: the runtime's floor)\n", "bare Go", ms(d))
		}
	}
	for _, k := range cases {
		o, t, err := interleaved(n, ours(k.args...), theirs(k.args...), env)
		if err != nil {
			fmt.Printf("   %-30s failed: %v\n", k.name, err)
			continue
		}
		fmt.Printf("   %-30s ours %s  daemontools %s  ratio %s  own cost %s vs %s (target at most 2x)\n",
			k.name, ms(o), ms(t), ratio(o, t), ms(o-base), ms(t-base))
	}
	// A typical run script's chain: each stage is one more process image.
	chain := func(pre func(...string) []string) []string {
		var argv []string
		argv = append(argv, pre("envdir", envd)...)
		argv = append(argv, pre("setuidgid", "nobody")...)
		argv = append(argv, pre("softlimit", "-m", "1000000000")...)
		return append(argv, "/bin/true")
	}
	o, t, err := interleaved(n, chain(ours), chain(theirs), env)
	if err != nil {
		return fmt.Errorf("chain: %v", err)
	}
	fmt.Printf("   %-30s ours %s  daemontools %s  ratio %s\n", "envdir+setuidgid+softlimit", ms(o), ms(t), ratio(o, t))
	return nil
}

// interleaved times a and b alternately, one run each in turn, so that
// both see the same load on a shared machine, and returns their medians.
func interleaved(n int, a, b, env []string) (time.Duration, time.Duration, error) {
	var da, db []time.Duration
	for i := 0; i < n; i++ {
		d, err := median(1, a, env)
		if err != nil {
			return 0, 0, err
		}
		da = append(da, d)
		if d, err = median(1, b, env); err != nil {
			return 0, 0, err
		}
		db = append(db, d)
	}
	return mid(da), mid(db), nil
}

func mid(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
