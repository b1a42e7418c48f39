package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func init() {
	register("multilog-words", "multilog's selection and extension words (T, 1, j, z) on the corpus through a pipe, against our plain path, daemontools' multilog and s6-log", benchWords)
}

// loggerRun is one timed run of a logger.
type loggerRun struct {
	input time.Duration // until the logger had taken all the input
	wall  time.Duration // until it exited
	rss   int64         // its peak RSS, KiB
}

// timeLogger pipes the corpus into argv, run in dir, with standard
// output read and thrown away, as a container runtime reads it.
func timeLogger(argv []string, dir, corpus string) (loggerRun, error) {
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return loggerRun{}, err
	}
	in, err := os.Open(corpus)
	if err != nil {
		return loggerRun{}, err
	}
	defer in.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	cmd.Stdout = io.Discard
	w, err := cmd.StdinPipe()
	if err != nil {
		return loggerRun{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return loggerRun{}, err
	}
	done := make(chan struct{})
	peak := make(chan int64)
	go func() { peak <- watchHWM(cmd.Process.Pid, done) }()
	_, cerr := io.Copy(w, in)
	w.Close()
	input := time.Since(start)
	err = cmd.Wait()
	r := loggerRun{input: input, wall: time.Since(start)}
	close(done)
	r.rss = <-peak
	if cerr != nil {
		return loggerRun{}, cerr
	}
	if err != nil {
		return loggerRun{}, fmt.Errorf("%v: %v", argv, err)
	}
	return r, nil
}

// row is one logger in the table, with its best run so far.
type row struct {
	name   string
	argv   []string
	corpus string
	check  func(dir string) error
	best   loggerRun
}

// measure runs every row c.runs times, the rows in turn (A B C A B C
// ...) so that a machine whose speed drifts treats them alike, and
// keeps each row's fastest wall and input times and largest RSS.
func measure(c *ctx, rows []*row) error {
	dir := filepath.Join(c.work, "words")
	defer os.RemoveAll(dir)
	for i := 0; i < c.runs; i++ {
		for _, r := range rows {
			got, err := timeLogger(r.argv, dir, r.corpus)
			if err != nil {
				return err
			}
			if r.check != nil {
				if err := r.check(dir); err != nil {
					return fmt.Errorf("%s: %v", strings.Join(r.argv, " "), err)
				}
			}
			if i == 0 || got.wall < r.best.wall {
				r.best.wall = got.wall
			}
			if i == 0 || got.input < r.best.input {
				r.best.input = got.input
			}
			r.best.rss = max(r.best.rss, got.rss)
		}
	}
	return nil
}

func benchWords(c *ctx) error {
	if err := missing("/usr/bin/multilog", "/usr/bin/s6-log"); err != nil {
		return err
	}
	corpus, err := c.corpus()
	if err != nil {
		return err
	}
	ours := c.links + "/multilog"
	plainArgs := []string{"t", "s16777215", "n5", "./log"}
	selArgs := []string{"t", "-*", "+* GET *", "./get", "-*", "+* POST *", "./post", "+* error: *", "=status"}
	service, err := serviceCorpus(c)
	if err != nil {
		return err
	}
	rows := []*row{
		{name: "ours plain", argv: append([]string{ours}, plainArgs...)},
		{name: "daemontools plain", argv: append([]string{"/usr/bin/multilog"}, plainArgs...)},
		{name: "s6-log plain", argv: append([]string{"/usr/bin/s6-log"}, plainArgs...)},
		{name: "ours selection", argv: append([]string{ours}, selArgs...)},
		{name: "daemontools selection", argv: append([]string{"/usr/bin/multilog"}, selArgs...)},
		{name: "ours sel. service log", argv: append([]string{ours}, selArgs...), corpus: service},
		{name: "dt sel. service log", argv: append([]string{"/usr/bin/multilog"}, selArgs...), corpus: service},
		{name: "ours T ./log", argv: []string{ours, "T", "s16777215", "n5", "./log"}},
		{name: "s6-log T ./log", argv: []string{"/usr/bin/s6-log", "T", "s16777215", "n5", "./log"}},
		{name: "ours t 1 (stdout)", argv: []string{ours, "t", "1"}},
		{name: "s6-log t 1 (stdout)", argv: []string{"/usr/bin/s6-log", "t", "1"}},
		{name: "ours t j ./log (JSON)", argv: []string{ours, "t", "s16777215", "n5", "j", "./log"}},
		{name: "ours t z ./log (gzip)", argv: []string{ours, "t", "s16777215", "n5", "z", "./log"}, check: checkCompressed},
	}
	for _, r := range rows {
		if r.corpus == "" {
			r.corpus = corpus
		}
	}
	if err := measure(c, rows); err != nil {
		return err
	}
	res := map[string]loggerRun{}
	for _, r := range rows {
		res[r.name] = r.best
		fmt.Printf("   %-24s %s  input taken %s  peak RSS %6.1f MiB\n", r.name, ms(r.best.wall), ms(r.best.input), float64(r.best.rss)/1024)
	}
	plain := res["ours plain"].wall
	fmt.Printf("   plain: ours/daemontools %s (target at most 0.20x), ours/s6-log %s (target at most 0.40x)\n",
		ratio(plain, res["daemontools plain"].wall), ratio(plain, res["s6-log plain"].wall))
	fmt.Printf("   selection: ours/daemontools %s on the corpus, %s on a service's log where the patterns match (target at most 0.30x)\n",
		ratio(res["ours selection"].wall, res["daemontools selection"].wall), ratio(res["ours sel. service log"].wall, res["dt sel. service log"].wall))
	fmt.Printf("   T to a directory: %s of our plain path (target at most 1.30x); s6-log's T takes %s of it\n",
		ratio(res["ours T ./log"].wall, plain), ratio(res["s6-log T ./log"].wall, plain))
	fmt.Printf("   1 to stdout: %s of our plain path (target at most 1.30x); s6-log's t 1 takes %s of it\n",
		ratio(res["ours t 1 (stdout)"].wall, plain), ratio(res["s6-log t 1 (stdout)"].wall, plain))
	fmt.Printf("   JSON Lines: %s of our plain path (target at most 1.50x)\n", ratio(res["ours t j ./log (JSON)"].wall, plain))
	z := res["ours t z ./log (gzip)"]
	fmt.Printf("   gzip: input taken in %s of the time without it (target at most 1.20x); exit after compressing: %s\n",
		ratio(z.input, res["ours plain"].input), ratio(z.wall, plain))
	return compareGzip(c, ours, corpus)
}

// checkCompressed fails when a log directory kept anything but
// compressed archives and current.
func checkCompressed(dir string) error {
	ents, err := os.ReadDir(filepath.Join(dir, "log"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "@") && !strings.HasSuffix(n, ".s.gz") || n == "compressing.tmp" {
			return fmt.Errorf("%s left uncompressed", n)
		}
	}
	return nil
}

// compareGzip logs the corpus once with z, keeping every archive, and
// compares the archives' total size with gzip -6 of the same files.
func compareGzip(c *ctx, ours, corpus string) error {
	dir := filepath.Join(c.work, "gzip")
	defer os.RemoveAll(dir)
	if _, err := timeLogger([]string{ours, "t", "s16777215", "n1000", "z", "./log"}, dir, corpus); err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(dir, "log", "@*.s.gz"))
	if err != nil || len(names) == 0 {
		return fmt.Errorf("no compressed archives (%v)", err)
	}
	var mine, theirs, raw int64
	for _, n := range names {
		st, err := os.Stat(n)
		if err != nil {
			return err
		}
		mine += st.Size()
		plain := strings.TrimSuffix(n, ".gz")
		if err := runCmd(nil, "sh", "-c", "gzip -dc <'"+n+"' >'"+plain+"' && gzip -6 -c <'"+plain+"' >'"+plain+".ref'"); err != nil {
			return err
		}
		for _, f := range []struct {
			p string
			n *int64
		}{{plain, &raw}, {plain + ".ref", &theirs}} {
			st, err := os.Stat(f.p)
			if err != nil {
				return err
			}
			*f.n += st.Size()
		}
		os.Remove(plain)
		os.Remove(plain + ".ref")
	}
	fmt.Printf("   archive size: %d archives, %.1f MB of text; ours %.2f MB, gzip -6 %.2f MB (%.3fx)\n",
		len(names), float64(raw)/1e6, float64(mine)/1e6, float64(theirs)/1e6, float64(mine)/float64(theirs))
	return nil
}

// serviceCorpus returns a corpus of the size of the main one shaped
// like a web service's log, for the selection script: requests (GET
// and POST) and errors among other lines, so that the patterns match
// and the status file is written.
func serviceCorpus(c *ctx) (string, error) {
	path := filepath.Join(c.work, fmt.Sprintf("service-%dM", c.corpusM))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		const a = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = a[r.IntN(len(a))]
		}
		return string(b)
	}
	for total := 0; total < c.corpusM<<20; {
		var line string
		switch k := r.IntN(100); {
		case k < 45:
			line = fmt.Sprintf("GET /%s/%s HTTP/1.1 200 %d", word(8), word(12), r.IntN(99999))
		case k < 65:
			line = fmt.Sprintf("POST /api/%s HTTP/1.1 201 %d", word(10), r.IntN(9999))
		case k < 67:
			line = fmt.Sprintf("worker %d: error: %s", r.IntN(64), word(40))
		default:
			line = fmt.Sprintf("info %s %s", word(20), word(r.IntN(200)))
		}
		n, _ := fmt.Fprintln(w, line)
		total += n
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return path, f.Sync()
}
