package main

import (
	"fmt"
	"time"
)

func init() {
	register("tai64n", "tai64n and tai64nlocal throughput on the log corpus, against daemontools and s6", benchTai64n)
}

func benchTai64n(c *ctx) error {
	if err := missing("/usr/bin/tai64n", "/usr/bin/s6-tai64n", "/usr/bin/tai64nlocal", "/usr/bin/s6-tai64nlocal"); err != nil {
		return err
	}
	corpus, err := c.corpus()
	if err != nil {
		return err
	}
	stamped := corpus + ".stamped"
	if err := runShell(c.work, c.links+"/tai64n <"+corpus+" >"+stamped); err != nil {
		return err
	}
	type row struct {
		name, line string
		d          time.Duration
	}
	measure := func(rows []row) error {
		for i := range rows {
			d, err := best(c.runs, func() (time.Duration, error) {
				d, _, err := timeShell(c.work, rows[i].line)
				return d, err
			})
			if err != nil {
				return err
			}
			rows[i].d = d
		}
		return nil
	}
	stamp := []row{
		{name: "ours tai64n", line: "cat " + corpus + " | " + c.links + "/tai64n >/dev/null"},
		{name: "daemontools tai64n", line: "cat " + corpus + " | /usr/bin/tai64n >/dev/null"},
		{name: "s6-tai64n", line: "cat " + corpus + " | /usr/bin/s6-tai64n >/dev/null"},
	}
	local := []row{
		{name: "ours tai64nlocal", line: "cat " + stamped + " | " + c.links + "/tai64nlocal >/dev/null"},
		{name: "daemontools tai64nlocal", line: "cat " + stamped + " | /usr/bin/tai64nlocal >/dev/null"},
		{name: "s6-tai64nlocal", line: "cat " + stamped + " | /usr/bin/s6-tai64nlocal >/dev/null"},
	}
	if err := measure(stamp); err != nil {
		return err
	}
	if err := measure(local); err != nil {
		return err
	}
	for _, set := range [][]row{stamp, local} {
		for _, r := range set {
			fmt.Printf("   %-24s %s\n", r.name, ms(r.d))
		}
		fmt.Printf("   ratio ours/daemontools %s, ours/s6 %s\n", ratio(set[0].d, set[1].d), ratio(set[0].d, set[2].d))
	}
	fmt.Printf("   target: tai64n at most 0.40x s6-tai64n\n")
	return nil
}

func runShell(dir, line string) error {
	_, _, err := timeShell(dir, line)
	return err
}
