package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// runCmd runs argv with stdin from in (or /dev/null) and output discarded
// unless it fails.
func runCmd(in io.Reader, argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = in
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %v\n%s", argv, err, out)
	}
	return nil
}

// timeShell runs a shell command line once and returns its wall time and
// the peak RSS of its largest process.
func timeShell(dir, line string) (time.Duration, int64, error) {
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var rss int64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss
		}
	}
	if err != nil {
		return d, rss, fmt.Errorf("%s: %v", line, err)
	}
	return d, rss, nil
}

// best runs f n times and returns the fastest result: the least
// disturbed by other work on a shared machine.
func best(n int, f func() (time.Duration, error)) (time.Duration, error) {
	var min time.Duration
	for i := 0; i < n; i++ {
		d, err := f()
		if err != nil {
			return 0, err
		}
		if i == 0 || d < min {
			min = d
		}
	}
	return min, nil
}

// median runs argv n times (stdio to /dev/null) and returns the median
// wall time of fork+exec+wait.
func median(n int, argv []string, env []string) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}}
	for i := 0; i < n; i++ {
		start := time.Now()
		pid, err := syscall.ForkExec(argv[0], argv, attr)
		if err != nil {
			return 0, err
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
		if ws.ExitStatus() != 0 {
			return 0, fmt.Errorf("%v exited %d", argv, ws.ExitStatus())
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], nil
}

// corpus returns the path of a deterministic log corpus of about mb
// megabytes: lines of 0 to 300 printable bytes. It is generated once per
// run.
func (c *ctx) corpus() (string, error) {
	path := filepath.Join(c.work, fmt.Sprintf("corpus-%dM", c.corpusM))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_=/[]()"
	line := make([]byte, 0, 302)
	for total := 0; total < c.corpusM<<20; {
		n := r.IntN(301)
		line = line[:0]
		for i := 0; i < n; i++ {
			line = append(line, alphabet[r.IntN(len(alphabet))])
		}
		line = append(line, '\n')
		w.Write(line)
		total += len(line)
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return path, f.Sync()
}

func ms(d time.Duration) string { return fmt.Sprintf("%8.1f ms", float64(d)/1e6) }

func ratio(a, b time.Duration) string { return fmt.Sprintf("%.2fx", float64(a)/float64(b)) }
