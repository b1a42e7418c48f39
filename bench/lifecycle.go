package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	register("lifecycle", "status file writes per minute of a crash-looping service: daemontools' supervise, ours, ours with restart-backoff", benchLifecycle)
}

// crashWindow is how long each supervisor's crash loop is watched.
const crashWindow = 20 * time.Second

func benchLifecycle(c *ctx) error {
	if err := missing("/usr/bin/supervise"); err != nil {
		return err
	}
	ours := filepath.Join(c.links, "supervise")
	runs := []struct {
		name  string
		prog  string
		files map[string]string
	}{
		{"daemontools", "/usr/bin/supervise", nil},
		{"ours", ours, nil},
		{"ours, restart-backoff 1 30 300", ours, map[string]string{"restart-backoff": "1 30 300\n"}},
	}
	for _, r := range runs {
		writes, starts, err := crashLoop(c, r.prog, r.files)
		if err != nil {
			return err
		}
		per := func(n int) float64 { return float64(n) * float64(time.Minute) / float64(crashWindow) }
		fmt.Printf("   %-34s %5.0f status writes a minute, %4.0f starts a minute (over the first %v)\n", r.name, per(writes), per(starts), crashWindow)
	}
	fmt.Printf("   %-34s two writes a start (up, then down): at MAX 30 s, 4 writes a minute\n", "restart-backoff, once at MAX")
	return nil
}

// crashLoop supervises a service that exits at once, for crashWindow,
// and counts the renames of status.new to status and the starts.
func crashLoop(c *ctx, prog string, files map[string]string) (writes, starts int, err error) {
	dir, err := os.MkdirTemp(c.work, "crash-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\necho >> starts\nexit 1\n"), 0o755); err != nil {
		return 0, 0, err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return 0, 0, err
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "supervise"), 0o700); err != nil {
		return 0, 0, err
	}
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(in)
	if _, err := unix.InotifyAddWatch(in, filepath.Join(dir, "supervise"), unix.IN_MOVED_TO); err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(prog, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan int)
	go func() {
		n := 0
		buf := make([]byte, 4096)
		end := time.Now().Add(crashWindow)
		for time.Now().Before(end) {
			fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN}}
			if k, _ := unix.Poll(fds, int(time.Until(end)/time.Millisecond)+1); k <= 0 {
				continue
			}
			m, err := unix.Read(in, buf)
			if err != nil {
				break
			}
			for off := 0; off+unix.SizeofInotifyEvent <= m; {
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				if string(trimNUL(name)) == "status" {
					n++
				}
				off += unix.SizeofInotifyEvent + int(ev.Len)
			}
		}
		done <- n
	}()
	writes = <-done
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	b, _ := os.ReadFile(filepath.Join(dir, "starts"))
	for _, ch := range b {
		if ch == '\n' {
			starts++
		}
	}
	return writes, starts, nil
}

func trimNUL(b []byte) []byte {
	for i, ch := range b {
		if ch == 0 {
			return b[:i]
		}
	}
	return b
}
