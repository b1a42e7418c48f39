package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func init() {
	register("startup", "start-up of chain loaders (median fork+exec+wait), against daemontools", benchStartup)
}

func benchStartup(c *ctx) error {
	if err := missing("/usr/bin/envdir", "/usr/bin/setuidgid"); err != nil {
		return err
	}
	envd := filepath.Join(c.work, "env")
	if err := os.MkdirAll(envd, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(envd, "FOO"), []byte("bar\n"), 0o644); err != nil {
		return err
	}
	n := 40 * c.runs
	env := []string{"PATH=/usr/bin:/bin"}
	cases := []struct {
		name        string
		ours, their []string
	}{
		{"envdir d true", []string{c.links + "/envdir", envd, "/bin/true"}, []string{"/usr/bin/envdir", envd, "/bin/true"}},
		{"setuidgid nobody true", []string{c.links + "/setuidgid", "nobody", "/bin/true"}, []string{"/usr/bin/setuidgid", "nobody", "/bin/true"}},
	}
	base, err := median(n, []string{"/bin/true"}, env)
	if err != nil {
		return err
	}
	fmt.Printf("   %-28s %s (C /bin/true, for scale)\n", "true", ms(base))
	for _, k := range cases {
		ours, err := median(n, k.ours, env)
		if err != nil {
			fmt.Printf("   %-28s ours failed: %v\n", k.name, err)
			continue
		}
		theirs, err := median(n, k.their, env)
		if err != nil {
			return err
		}
		fmt.Printf("   %-28s ours %s  daemontools %s  ratio %s (target at most 2x)\n", k.name, ms(ours), ms(theirs), ratio(ours, theirs))
	}
	return nil
}
