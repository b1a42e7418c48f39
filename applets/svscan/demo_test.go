package svscan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// demoLog is what multilog t wrote to DIR/log/main/current.
func demoLog(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "log", "main", "current"))
	return string(b)
}

// stampOf is the TAI64N label of the first line of log holding text.
func stampOf(t *testing.T, log, text string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(@[0-9a-f]{24}) ` + regexp.QuoteMeta(text) + `$`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no line %q in:\n%s", text, log)
	}
	return m[1]
}

// TestDemoDependency runs the tree of `make run` (testdata/demo): web
// waits for db with `svc -wU -T 30000 ../db || exit 1`, db says it is
// ready through notification-fd two seconds after it starts, and web's
// ./finish and restart-backoff show each failed start. With db down, a
// web that cannot wait any longer says so in its log, and its attempts
// are paced by the pause, never a busy loop; once db is up and ready,
// web starts serving, after db's ready line. The example's 30 seconds
// are made 1 here, so that the failures come within the test.
func TestDemoDependency(t *testing.T) {
	tree := t.TempDir()
	if out, err := exec.Command("cp", "-R", "../../testdata/demo/service", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	sd := filepath.Join(tree, "service")
	web, db := filepath.Join(sd, "web"), filepath.Join(sd, "db")
	b, err := os.ReadFile(filepath.Join(web, "run"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "svc -wU -T 30000 ../db;") {
		t.Fatalf("web/run no longer waits with svc -wU -T 30000 ../db:\n%s", b)
	}
	writeFile(t, filepath.Join(web, "run"), strings.Replace(string(b), "-T 30000", "-T 1000", 1), 0o755)
	writeFile(t, filepath.Join(db, "down"), "", 0o644)
	p := scan(t, ours(t), sd)
	for _, d := range []string{web, db, filepath.Join(sd, "clock")} {
		apptest.Poll(t, wait, d+" supervised", func() bool { return supervised(d) && supervised(filepath.Join(d, "log")) })
	}
	t.Cleanup(func() {
		for _, d := range []string{web, db, filepath.Join(sd, "clock")} {
			if n := pid(d); n > 0 {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})

	// db never gets ready: each start of web waits its second, says
	// why it ends, ./finish reports the exit, and the backoff paces the
	// next start.
	const notReady = "web: db is not ready, not starting"
	const finished = "web: finish: run ended with code 1, signal 0"
	apptest.Poll(t, 30*time.Second, "web giving up twice", func() bool { return strings.Count(demoLog(web), finished) >= 2 })
	start := time.Now()
	before := strings.Count(demoLog(web), notReady)
	time.Sleep(3 * time.Second)
	if n := strings.Count(demoLog(web), notReady) - before; n > 3 {
		t.Errorf("web started %d times in %v with db down: a busy loop", n, time.Since(start).Round(time.Millisecond))
	}
	if out := run(t, filepath.Join(apptest.BinDir(t), "svstat"), web); !regexp.MustCompile(`: (down \d+ seconds, normally up, want up, restarting in \d+ seconds|up \(pid \d+\) \d+ seconds)\n$`).MatchString(out) {
		t.Errorf("svstat web: %q", out)
	}
	stampOf(t, demoLog(web), "svc: warning: timed out waiting for ../db")
	if strings.Contains(demoLog(web), "serving") {
		t.Fatalf("web served without db:\n%s", demoLog(web))
	}

	// db comes up: ready two seconds later, and web, at its next
	// start, serves.
	run(t, filepath.Join(apptest.BinDir(t), "svc"), "-u", db)
	if out := run(t, filepath.Join(apptest.BinDir(t), "svc"), "-wU", "-T", "30000", db); out != "" {
		t.Fatalf("svc -wU db: %q", out)
	}
	if out := run(t, filepath.Join(apptest.BinDir(t), "svstat"), db); !regexp.MustCompile(`^.*: up \(pid \d+\) \d+ seconds, normally down, ready \d+ seconds\n$`).MatchString(out) {
		t.Errorf("svstat db: %q", out)
	}
	apptest.Poll(t, 60*time.Second, "web serving", func() bool { return strings.Contains(demoLog(web), "web: db is ready, serving") })
	ready, serving := stampOf(t, demoLog(db), "db: accepting connections"), stampOf(t, demoLog(web), "web: db is ready, serving")
	if serving < ready {
		t.Errorf("web served at %s, before db was ready at %s", serving, ready)
	}

	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	for _, want := range []struct{ dir, line string }{
		{web, "web: stopping"}, {web, "web: finish: run ended with code 0, signal 0"}, {db, "db: stopping"},
	} {
		stampOf(t, demoLog(want.dir), want.line)
	}
}
