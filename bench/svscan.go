package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	register("svscan", "memory (PSS) of the supervision tree, start-up of 1000 services, pickup of a new one; against daemontools, runit and s6", benchSvscan)
}

// A scanner is one supervision suite's scanner program.
type scanner struct {
	name string
	argv func(dir string) []string
	// service is the command name of the processes that are services.
	peers []string // what must be installed
}

// parked is how long after the last service started the tree's memory
// is measured.
const parked = 5 * time.Second

// serviceMarker is the program every benchmark service runs; it is how
// the services are told apart from the supervision tree.
const serviceMarker = "sleep"

func scanners(c *ctx) []scanner {
	return []scanner{
		{"ours svscan", func(d string) []string { return []string{c.links + "/svscan", d} }, nil},
		{"daemontools svscan", func(d string) []string { return []string{"/usr/bin/svscan", d} }, []string{"/usr/bin/svscan"}},
		{"runit runsvdir", func(d string) []string { return []string{"/usr/bin/runsvdir", "-P", d} }, []string{"/usr/bin/runsvdir"}},
		{"s6-svscan", func(d string) []string { return []string{"/usr/bin/s6-svscan", "-c", "2000", "-t", "5000", d} }, []string{"/usr/bin/s6-svscan"}},
	}
}

// makeServices creates n services under dir, each running `sleep`.
func makeServices(dir string, from, n int) error {
	for i := from; i < from+n; i++ {
		if err := makeService(filepath.Join(dir, fmt.Sprintf("s%04d", i)), "#!/bin/sh\nexec "+serviceMarker+" 1000000\n"); err != nil {
			return err
		}
	}
	return nil
}

func makeService(path, run string) error {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(path, "run"), []byte(run), 0o755)
}

// tree is a running scanner.
type tree struct {
	cmd *exec.Cmd
	dir string
}

func startTree(dir string, argv []string) (*tree, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=" + filepath.Dir(argv[0]) + ":/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &tree{cmd: cmd, dir: dir}, nil
}

// stop kills the whole process group and every remaining descendant,
// then anything still working inside the service directories (a peer's
// supervisors may live in sessions of their own and outlive the kill of
// their scanner, restarting services meanwhile), by pid, until nothing
// is left.
func (t *tree) stop() {
	pid := t.cmd.Process.Pid
	desc := descendants(processes(), pid)
	syscall.Kill(-pid, syscall.SIGKILL)
	for _, p := range desc {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	t.cmd.Wait()
	for i := 0; i < 100; i++ {
		left := inside(t.dir)
		if len(left) == 0 {
			return
		}
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inside lists the processes whose working directory is under dir.
func inside(dir string) []int {
	var out []int
	for pid := range processes() {
		cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			out = append(out, pid)
		}
	}
	return out
}

// count returns how many services are running, and with pss the PSS
// of everything else in the tree.
func (t *tree) count(pss bool) (services int, treeKB int64) {
	for _, p := range descendants(processes(), t.cmd.Process.Pid) {
		if p.comm == serviceMarker {
			services++
		} else if pss {
			treeKB += pssKB(p.pid)
		}
	}
	return
}

func (t *tree) waitServices(n int, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		if got, _ := t.count(false); got >= n {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			got, _ := t.count(false)
			return 0, fmt.Errorf("only %d of %d services running after %v", got, n, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func benchSvscan(c *ctx) error {
	for _, s := range scanners(c) {
		if err := missing(s.peers...); err != nil {
			fmt.Printf("   %-20s %v\n", s.name, err)
			continue
		}
		if err := benchOneScanner(c, s); err != nil {
			fmt.Printf("   %-20s failed: %v\n", s.name, err)
		}
	}
	fmt.Printf("   targets (ours): at most 4096 KiB for 200 services, at most 8 KiB per further service,\n" +
		"   1000 services running within 1 s, a new service running within 100 ms\n")
	return nil
}

func benchOneScanner(c *ctx, s scanner) error {
	dir := filepath.Join(c.work, "svscan-"+strconv.Itoa(os.Getpid())+"-"+filepath.Base(s.argv("")[0]))
	os.RemoveAll(dir)
	if err := makeServices(dir, 0, 200); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t, err := startTree(dir, s.argv(dir))
	if err != nil {
		return err
	}
	defer t.stop()
	if _, err := t.waitServices(200, 30*time.Second); err != nil {
		return err
	}
	// Measured once the tree is parked: every scanner has settled by
	// then (ours tidies up 3 s after its last start).
	time.Sleep(parked)
	_, kb200 := t.count(true)

	// Pickup of one new service: its run script writes to a FIFO.
	fifo := filepath.Join(c.work, "pickup.fifo")
	os.Remove(fifo)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	tmp := filepath.Join(dir, ".new")
	if err := makeService(tmp, "#!/bin/sh\necho up > "+fifo+"\nexec "+serviceMarker+" 1000000\n"); err != nil {
		return err
	}
	start := time.Now()
	if err := os.Rename(tmp, filepath.Join(dir, "new")); err != nil {
		return err
	}
	f.SetReadDeadline(time.Now().Add(15 * time.Second))
	buf := make([]byte, 16)
	pickup := "more than 15 s"
	if _, err := f.Read(buf); err == nil {
		pickup = time.Since(start).Round(100 * time.Microsecond).String()
	}

	// 799 more services, 1000 in all (daemontools and runit stop at
	// 1000); the scanner finds them on its own.
	if err := makeServices(dir, 200, 799); err != nil {
		return err
	}
	if _, err := t.waitServices(1000, 60*time.Second); err != nil {
		fmt.Printf("   %-20s 200 services: %6d KiB; pickup %s; %v\n", s.name, kb200, pickup, err)
		return nil
	}
	time.Sleep(parked)
	_, kb1000 := t.count(true)
	t.stop()

	// Cold start of 1000 services.
	t2, err := startTree(dir, s.argv(dir))
	if err != nil {
		return err
	}
	defer t2.stop()
	cold, err := t2.waitServices(1000, 60*time.Second)
	coldS := "—"
	if err == nil {
		coldS = cold.Round(time.Millisecond).String()
	} else {
		coldS = err.Error()
	}
	fmt.Printf("   %-20s 200 services: %6d KiB; per further service: %5.1f KiB; 1000 cold start: %s; pickup: %s\n",
		s.name, kb200, float64(kb1000-kb200)/800, coldS, pickup)
	return nil
}
