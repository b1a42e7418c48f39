package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func init() {
	register("descriptors", "descriptors the supervision tree holds per service and per logged service, against daemontools, runit and s6", benchDescriptors)
}

// fdServices is how many services each count is made with.
const fdServices = 100

// benchDescriptors counts the descriptors of every supervision process
// of a tree (the scanner and its supervisors; not the services nor
// their loggers, which run `sleep`) with no service, with fdServices
// plain services and with fdServices logged ones, and prints the
// growth per service.
func benchDescriptors(c *ctx) error {
	fifo := filepath.Join(c.work, "fds.fifo")
	type counts struct{ base, plain, logged int }
	var ours counts
	fmt.Printf("   descriptors of the supervision processes, %d services (services' and loggers' own not counted):\n", fdServices)
	for _, s := range scanners(c) {
		if err := missing(s.peers...); err != nil {
			fmt.Printf("   %-20s %v\n", s.name, err)
			continue
		}
		var n counts
		var err error
		if n.base, err = treeFDs(c, s, fifo, 0, false); err == nil {
			if n.plain, err = treeFDs(c, s, fifo, fdServices, false); err == nil {
				n.logged, err = treeFDs(c, s, fifo, fdServices, true)
			}
		}
		if err != nil {
			fmt.Printf("   %-20s failed: %v\n", s.name, err)
			continue
		}
		per := func(total int) float64 { return float64(total-n.base) / fdServices }
		line := fmt.Sprintf("   %-20s %4d with none; %5d plain: %5.2f per service; %5d logged: %5.2f per logged service",
			s.name, n.base, n.plain, per(n.plain), n.logged, per(n.logged))
		if s.name == "ours svscan" {
			ours = n
		} else if ours.plain != 0 {
			line += fmt.Sprintf("; ours %.2fx, %.2fx", float64(ours.plain-ours.base)/float64(n.plain-n.base), float64(ours.logged-ours.base)/float64(n.logged-n.base))
		}
		fmt.Println(line)
	}
	fmt.Printf("   expected (ours): 4 per service, 4+4+2 per logged service (two supervisors and the pipe)\n")
	return nil
}

// treeFDs starts s on n services (each with a logger when logged),
// waits until every run script runs and the tree has settled, and
// returns how many descriptors its supervision processes hold.
func treeFDs(c *ctx, s scanner, fifo string, n int, logged bool) (int, error) {
	dir := filepath.Join(c.work, "fds-"+strconv.Itoa(os.Getpid()))
	os.RemoveAll(dir)
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := makeServices(dir, fifo, 0, n); err != nil {
		return 0, err
	}
	want := n
	if logged {
		for i := 0; i < n; i++ {
			if err := makeService(filepath.Join(dir, fmt.Sprintf("s%04d", i), "log"), runScript(fifo)); err != nil {
				return 0, err
			}
		}
		want *= 2
	}
	ups, err := newUps(fifo)
	if err != nil {
		return 0, err
	}
	defer ups.close()
	t, err := s.start(dir)
	if err != nil {
		return 0, err
	}
	defer t.stop()
	if err := ups.wait(want, 60*time.Second); err != nil {
		return 0, err
	}
	// Every supervisor has started its service and written its status
	// by now; what a start holds for a moment is given back.
	time.Sleep(2 * time.Second)
	total := 0
	for _, p := range descendants(processes(), t.cmd.Process.Pid) {
		if p.comm == serviceMarker {
			continue
		}
		ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(p.pid), "fd"))
		if err != nil {
			return 0, err
		}
		total += len(ents)
	}
	return total, nil
}
