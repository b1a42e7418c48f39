package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func init() {
	register("multilog", "multilog t s16777215 n5 ./log on the corpus through a pipe, against daemontools' multilog and s6-log (output verified lossless)", benchMultilog)
}

// logger is one implementation under test: argv without the directory.
type logger struct {
	name string
	argv []string
	// capped: no file ever exceeds the size (daemontools' rule; s6-log
	// lets the last line of a file cross it).
	capped bool
}

func benchMultilog(c *ctx) error {
	if err := missing("/usr/bin/multilog", "/usr/bin/s6-log"); err != nil {
		return err
	}
	corpus, err := c.corpus()
	if err != nil {
		return err
	}
	loggers := []logger{
		{"ours multilog", []string{c.links + "/multilog", "t", "s16777215"}, true},
		{"daemontools multilog", []string{"/usr/bin/multilog", "t", "s16777215"}, true},
		{"s6-log", []string{"/usr/bin/s6-log", "t", "s16777215"}, false},
	}
	const size = 16777215
	// First a run that keeps every file: the concatenation, labels
	// stripped, must be the corpus itself.
	for _, lg := range loggers {
		dir := filepath.Join(c.work, "full")
		os.RemoveAll(dir)
		if _, _, err := runLogger(lg, "n1000", dir, corpus); err != nil {
			return err
		}
		if err := verifyLog(filepath.Join(dir, "log"), corpus, size, lg.capped, true); err != nil {
			return fmt.Errorf("%s lost or changed data: %v", lg.name, err)
		}
		os.RemoveAll(dir)
	}
	fmt.Printf("   lossless: every implementation's files, labels stripped, equal the corpus\n")

	type result struct {
		d   time.Duration
		rss int64
	}
	res := make([]result, len(loggers))
	for i, lg := range loggers {
		var best result
		for r := 0; r < c.runs; r++ {
			dir := filepath.Join(c.work, "run")
			os.RemoveAll(dir)
			d, rss, err := runLogger(lg, "n5", dir, corpus)
			if err != nil {
				return err
			}
			// n5 keeps only the newest files: they must be exactly the
			// end of the corpus.
			if err := verifyLog(filepath.Join(dir, "log"), corpus, size, lg.capped, false); err != nil {
				return fmt.Errorf("%s: %v", lg.name, err)
			}
			os.RemoveAll(dir)
			if r == 0 || d < best.d {
				best.d = d
			}
			if rss > best.rss {
				best.rss = rss
			}
		}
		res[i] = best
	}
	base, err := best(c.runs, func() (time.Duration, error) {
		d, _, err := timeShell(c.work, "cat "+corpus+" >plain; rm plain")
		return d, err
	})
	if err != nil {
		return err
	}
	fmt.Printf("   %-22s %s  (no labels, no rotation, no fsync: for scale)\n", "cat >file", ms(base))
	for i, lg := range loggers {
		fmt.Printf("   %-22s %s  peak RSS %6.1f MiB\n", lg.name, ms(res[i].d), float64(res[i].rss)/1024)
	}
	fmt.Printf("   ratio ours/daemontools %s (target at most 0.20x), ours/s6-log %s (target at most 0.40x)\n",
		ratio(res[0].d, res[1].d), ratio(res[0].d, res[2].d))
	return nil
}

// runLogger pipes the corpus into one logger, as a service would, and
// returns its wall time and its own peak RSS in KiB.
func runLogger(lg logger, num, dir, corpus string) (time.Duration, int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	in, err := os.Open(corpus)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	argv := append(append([]string(nil), lg.argv...), num, "./log")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	w, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() { peak <- watchHWM(cmd.Process.Pid, done) }()
	_, cerr := io.Copy(w, in)
	w.Close()
	err = cmd.Wait()
	d := time.Since(start)
	close(done)
	rss := <-peak
	if cerr != nil {
		return 0, 0, cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %v", argv, err)
	}
	return d, rss, nil
}

// watchHWM samples the process's VmHWM (its peak RSS, in KiB) until done
// and returns the last value seen. rusage's maxrss cannot be used for a
// child of this process: the kernel carries the parent's peak (the
// corpus it has read) across the child's exec.
func watchHWM(pid int, done <-chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var hwm int64
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				var v int64
				if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &v); err == nil && v > hwm {
					hwm = v
				}
			}
		}
		select {
		case <-done:
			return hwm
		case <-t.C:
		}
	}
}

// verifyLog checks a log directory against the corpus: every finished
// file is at most size bytes and ends in a newline, every line carries
// a 26-byte label, and the files in order, labels stripped, are the
// whole corpus (all) or its end.
func verifyLog(dir, corpus string, size int64, capped, all bool) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append(names, "current")
	var got bytes.Buffer
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		if n != "current" {
			if capped && int64(len(b)) > size {
				return fmt.Errorf("%s is %d bytes, more than %d", n, len(b), size)
			}
			if len(b) == 0 || b[len(b)-1] != '\n' {
				return fmt.Errorf("%s does not end in a newline", n)
			}
		}
		if err := stripLabels(&got, b); err != nil {
			return fmt.Errorf("%s: %v", n, err)
		}
	}
	want, err := os.ReadFile(corpus)
	if err != nil {
		return err
	}
	if all && !bytes.Equal(got.Bytes(), want) {
		return fmt.Errorf("files hold %d bytes of text, the corpus %d, and they differ", got.Len(), len(want))
	}
	if !all && !bytes.HasSuffix(want, got.Bytes()) {
		return fmt.Errorf("the kept files (%d bytes of text) are not the end of the corpus", got.Len())
	}
	return nil
}

func stripLabels(out *bytes.Buffer, b []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 26 || line[0] != '@' || line[25] != ' ' {
			return fmt.Errorf("line without a label: %.40q", line)
		}
		out.Write(line[26:])
		out.WriteByte('\n')
	}
	return sc.Err()
}
