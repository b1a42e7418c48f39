package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"
)

func init() {
	register("upgrade", "live upgrade of svscan over 200 logged services: from USR2 to the new executable running, and to every supervisor answering svc", benchUpgrade)
}

// upgradeServices is how many services (each with a logger) the tree
// runs while it upgrades.
const upgradeServices = 200

func benchUpgrade(c *ctx) error {
	dir := filepath.Join(c.work, "upgrade-"+strconv.Itoa(os.Getpid()))
	os.RemoveAll(dir)
	defer os.RemoveAll(dir)
	sd := filepath.Join(dir, "service")
	var dirs []string
	for i := 0; i < upgradeServices; i++ {
		s := filepath.Join(sd, fmt.Sprintf("s%04d", i))
		if err := makeService(s, "#!/bin/sh\nexec "+serviceMarker+" 1000000\n"); err != nil {
			return err
		}
		if err := makeService(filepath.Join(s, "log"), "#!/bin/sh\nexec multilog t ./main\n"); err != nil {
			return err
		}
		dirs = append(dirs, s, filepath.Join(s, "log"))
	}
	// Two builds, a byte apart, renamed in turn over the path svscan
	// was started from, as a package manager installs a new version.
	src, err := os.ReadFile(c.bin)
	if err != nil {
		return err
	}
	exe := filepath.Join(dir, "daemontools")
	builds := [2][]byte{src, append(append([]byte(nil), src...), 0)}
	install := func(b []byte) error {
		if err := os.WriteFile(exe+".new", b, 0o755); err != nil {
			return err
		}
		return os.Rename(exe+".new", exe)
	}
	if err := install(builds[0]); err != nil {
		return err
	}
	t, err := startTree(sd, []string{exe, "svscan", sd})
	if err != nil {
		return err
	}
	defer t.stop()
	if _, err := t.waitServices(upgradeServices, 60*time.Second); err != nil {
		return err
	}
	time.Sleep(parked)
	pids := statusPids(dirs)
	svscan := t.cmd.Process.Pid
	var execs, answers []time.Duration
	for r := 0; r < c.runs; r++ {
		if err := install(builds[(r+1)%2]); err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Stat(exe, &st); err != nil {
			return err
		}
		start := time.Now()
		syscall.Kill(svscan, syscall.SIGUSR2)
		// The exec: /proc/PID/exe is the new file.
		for {
			var now syscall.Stat_t
			if syscall.Stat("/proc/"+strconv.Itoa(svscan)+"/exe", &now) == nil && now.Ino == st.Ino {
				break
			}
			if time.Since(start) > 30*time.Second {
				return fmt.Errorf("svscan did not exec the new executable within 30 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
		execs = append(execs, time.Since(start))
		// Every supervisor answers: svc -p to each, through its
		// control FIFO, shows in its status file.
		if err := controlAll(dirs, 'p', 1, 30*time.Second); err != nil {
			return err
		}
		answers = append(answers, time.Since(start))
		if err := controlAll(dirs, 'c', 0, 30*time.Second); err != nil {
			return err
		}
	}
	after := statusPids(dirs)
	restarted := 0
	for i := range pids {
		if pids[i] != after[i] || pids[i] == 0 {
			restarted++
		}
	}
	sort.Slice(execs, func(i, j int) bool { return execs[i] < execs[j] })
	sort.Slice(answers, func(i, j int) bool { return answers[i] < answers[j] })
	n := len(execs)
	fmt.Printf("   %d upgrades, %d services and %d loggers: USR2 to the new svscan running %s median (%s max);\n"+
		"   USR2 to all %d supervisors answering svc -p %s median (%s max); %d restarted\n",
		n, upgradeServices, upgradeServices, ms(execs[n/2]), ms(execs[n-1]), len(dirs), ms(answers[n/2]), ms(answers[n-1]), restarted)
	fmt.Printf("   target: well under a second; no peer upgrades in place (daemontools, runit, s6 must be stopped)\n")
	if restarted > 0 {
		return fmt.Errorf("%d services restarted across the upgrades", restarted)
	}
	return nil
}

// statusPids reads the pid of each directory's status file.
func statusPids(dirs []string) []uint32 {
	out := make([]uint32, len(dirs))
	for i, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "supervise", "status"))
		if err == nil && len(b) >= 16 {
			out[i] = uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24
		}
	}
	return out
}

// controlAll writes cmd to every directory's control FIFO, as svc
// does, and waits until each status file's paused byte is paused.
func controlAll(dirs []string, cmd byte, paused byte, limit time.Duration) error {
	for _, d := range dirs {
		fd, err := syscall.Open(filepath.Join(d, "supervise", "control"), syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("%s: %v", d, err)
		}
		syscall.Write(fd, []byte{cmd})
		syscall.Close(fd)
	}
	start := time.Now()
	for _, d := range dirs {
		for {
			b, _ := os.ReadFile(filepath.Join(d, "supervise", "status"))
			if len(b) >= 17 && b[16] == paused {
				break
			}
			if time.Since(start) > limit {
				return fmt.Errorf("%s did not answer %q within %v", d, cmd, limit)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return nil
}
