package svscan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Live upgrade: SIGUSR2 makes svscan exec the executable at the path it
// was started from, in the same process, keeping every service, pipe
// and supervisor's state.

// twoBuilds returns two different executables: ours, and a copy with
// one byte of padding appended (a different file, the same program).
func twoBuilds(t *testing.T) (a, b string) {
	t.Helper()
	src, err := os.ReadFile(apptest.Exe(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, b = filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, append(src, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// install puts build at path as a package manager does: a new file
// renamed over the old.
func install(t *testing.T, build, path string) {
	t.Helper()
	b, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func inode(path string) uint64 {
	var st syscall.Stat_t
	if syscall.Stat(path, &st) != nil {
		return 0
	}
	return st.Ino
}

func statusBytes(t *testing.T, dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	return string(b[:min(len(b), 18)])
}

func TestUpgrade(t *testing.T) {
	n, rounds := 5, 6
	if apptest.Soak() {
		n, rounds = 50, 20
	}
	buildA, buildB := twoBuilds(t)
	exe := filepath.Join(t.TempDir(), "daemontools")
	install(t, buildA, exe)
	sd := t.TempDir()
	dirs := writers(t, sd, n)
	// A crash loop, a service in its restart-backoff pause, and one
	// whose ./finish is running go through the upgrades too.
	crash := filepath.Join(sd, "crash")
	svc(t, crash, "echo >> starts; exit 1")
	back := filepath.Join(sd, "back")
	svc(t, back, "echo >> starts; exit 1")
	writeFile(t, filepath.Join(back, "restart-backoff"), "4 4 60\n", 0o644)
	fin := filepath.Join(sd, "fin")
	svc(t, fin, "echo >> starts; exit 2")
	writeFile(t, filepath.Join(fin, "finish"), "#!/bin/sh\necho >> finishes\nwhile [ ! -e release ]; do sleep 0.05; done\n", 0o755)
	writeFile(t, filepath.Join(fin, "timeout-finish"), "0\n", 0o644)
	p, out := argvProc(t, []string{exe, "svscan", sd})
	var logs []string
	for _, d := range dirs {
		logs = append(logs, filepath.Join(d, "log"))
	}
	want := map[string]string{}
	for _, d := range append(dirs, logs...) {
		apptest.Poll(t, 60*time.Second, d+" up", func() bool { return apptest.Alive(pid(d)) })
		want[d] = statusBytes(t, d)
		apptest.KillAtCleanup(t, pid(d))
	}
	count := func(path string) int {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), "\n")
	}
	// The status names ./finish once it is written after the fork; the
	// file ./finish appends to can come first.
	apptest.Poll(t, wait, "./finish running", func() bool {
		return count(filepath.Join(fin, "finishes")) == 1 && apptest.Alive(pid(fin))
	})
	apptest.Poll(t, wait, "the backoff pause", func() bool { return count(filepath.Join(back, "starts")) == 1 })
	paused := time.Now()
	finishPid := pid(fin)
	apptest.KillAtCleanup(t, finishPid)
	svcProg := filepath.Join(apptest.BinDir(t), "svc")
	for r := 0; r < rounds; r++ {
		build := buildA
		if r%2 == 0 {
			build = buildB
		}
		install(t, build, exe)
		ino := inode(exe)
		if r%2 == 0 {
			if err := p.Signal(syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
		} else {
			// The client command, as a package's post-install script
			// runs it.
			up := exec.Command(apptest.Exe(t), "upgrade", sd)
			if b, err := up.CombinedOutput(); err != nil || !strings.Contains(string(b), "upgrading svscan "+strconv.Itoa(p.Pid())) {
				t.Fatalf("daemontools upgrade: %v %s", err, b)
			}
		}
		apptest.Poll(t, wait, "the new executable running", func() bool {
			var st syscall.Stat_t
			return syscall.Stat("/proc/"+strconv.Itoa(p.Pid())+"/exe", &st) == nil && st.Ino == ino
		})
		// The supervisors answer throughout: a command sent now is
		// handled by the new svscan.
		exec.Command(svcProg, "-p", dirs[0]).Run()
		apptest.Poll(t, wait, "p handled after the upgrade", func() bool {
			b, _ := os.ReadFile(filepath.Join(dirs[0], "supervise", "status"))
			return len(b) > 16 && b[16] == 1
		})
		exec.Command(svcProg, "-c", dirs[0]).Run()
		apptest.Poll(t, wait, "c handled", func() bool {
			b, _ := os.ReadFile(filepath.Join(dirs[0], "supervise", "status"))
			return len(b) > 16 && b[16] == 0
		})
		for _, d := range append(dirs, logs...) {
			if got := statusBytes(t, d); got[:16] != want[d][:16] {
				t.Fatalf("round %d: %s changed: pid or stamp moved across the upgrade", r, d)
			}
			if !supervised(d) {
				t.Fatalf("round %d: %s has no supervisor", r, d)
			}
		}
		if got := pid(fin); got != finishPid {
			t.Fatalf("round %d: the finishing service names %d, not its ./finish %d", r, got, finishPid)
		}
	}
	if n := count(filepath.Join(fin, "finishes")); n != 1 {
		t.Errorf("./finish ran %d times", n)
	}
	// One start every 4 seconds, however long the upgrades took (a
	// loaded machine), and no more: none of them starts it early.
	if n, most := count(filepath.Join(back, "starts")), 2+int(time.Since(paused)/(4*time.Second)); n > most {
		t.Errorf("the service in its pause started %d times in %v", n, time.Since(paused).Round(time.Second))
	}
	writeFile(t, filepath.Join(fin, "release"), "", 0o644)
	apptest.Poll(t, wait, "the restart after ./finish", func() bool { return count(filepath.Join(fin, "starts")) == 2 })
	if n := count(filepath.Join(crash, "starts")); n < 2 {
		t.Errorf("the crash loop stopped (%d starts)", n)
	}
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	total := 0
	for _, d := range dirs {
		// Lines lost or written twice: the count differs.
		if w, l := written(t, d), logged(t, d); w != l {
			t.Errorf("%s: wrote %d lines, logged %d", d, w, l)
		}
		total += written(t, d)
	}
	b, _ := os.ReadFile(out)
	if strings.Contains(string(b), "warning") || strings.Contains(string(b), "fatal") {
		t.Errorf("svscan said: %s", b)
	}
	t.Logf("%d upgrades over %d logged writers: %d lines, none lost, no service restarted", rounds, n, total)
}

// An executable that cannot be run leaves the old svscan as it was.
func TestUpgradeFailsSafely(t *testing.T) {
	buildA, _ := twoBuilds(t)
	exe := filepath.Join(t.TempDir(), "daemontools")
	install(t, buildA, exe)
	sd := t.TempDir()
	s := filepath.Join(sd, "s")
	svc(t, s, "exec sleep 1000")
	p, out := argvProc(t, []string{exe, "svscan", sd})
	apptest.Poll(t, wait, "up", func() bool { return apptest.Alive(pid(s)) })
	apptest.KillAtCleanup(t, pid(s))
	before := statusBytes(t, s)
	// Not executable: the exec fails.
	os.Chmod(exe, 0o644)
	p.Signal(syscall.SIGUSR2)
	apptest.Poll(t, wait, "the warning", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "svscan: warning: unable to upgrade to "+exe+": access denied")
	})
	exec.Command(filepath.Join(apptest.BinDir(t), "svc"), "-t", s).Run()
	apptest.Poll(t, wait, "a restart by the old svscan", func() bool { return statusBytes(t, s) != before && apptest.Alive(pid(s)) })
	apptest.KillAtCleanup(t, pid(s))
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
}

// As PID 1 of a pid namespace, the upgrade is the same: the init execs
// in place and its services stay.
func TestUpgradePID1(t *testing.T) {
	apptest.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	buildA, buildB := twoBuilds(t)
	exe := filepath.Join(t.TempDir(), "daemontools")
	install(t, buildA, exe)
	sd := t.TempDir()
	dirs := writers(t, sd, 2)
	cmd := exec.Command("unshare", "-fp", "--mount-proc", exe, "svscan", sd)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	p := apptest.Start(t, cmd)
	init := nsInit(t, p)
	want := map[string]string{}
	for _, d := range dirs {
		apptest.Poll(t, wait, d+" up", func() bool { return supervised(d) && pid(d) != 0 })
		want[d] = statusBytes(t, d)
	}
	for r, build := range []string{buildB, buildA} {
		install(t, build, exe)
		ino := inode(exe)
		syscall.Kill(init, syscall.SIGUSR2)
		apptest.Poll(t, wait, "the new executable running", func() bool {
			var st syscall.Stat_t
			return syscall.Stat("/proc/"+strconv.Itoa(init)+"/exe", &st) == nil && st.Ino == ino
		})
		for _, d := range dirs {
			apptest.Poll(t, wait, "a supervisor for "+d, func() bool { return supervised(d) })
			if got := statusBytes(t, d); got[:16] != want[d][:16] {
				t.Fatalf("round %d: %s changed across the upgrade", r, d)
			}
		}
		// The new svscan answers (and so has asked for its signals)
		// before the next signal is sent: one sent while the Go
		// runtime starts, before any handler, is the kernel's to drop.
		answers(t, dirs[0])
	}
	syscall.Kill(init, syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan as PID 1 after TERM: %v", err)
	}
	for _, d := range dirs {
		if w, l := written(t, d), logged(t, d); w != l {
			t.Errorf("%s: wrote %d lines, logged %d", d, w, l)
		}
	}
}

// answers pauses and continues the service in dir through its control
// FIFO, waiting for each to show in the status file.
func answers(t *testing.T, dir string) {
	t.Helper()
	for _, c := range []struct {
		opt    string
		paused byte
	}{{"-p", 1}, {"-c", 0}} {
		if out, err := exec.Command(filepath.Join(apptest.BinDir(t), "svc"), c.opt, dir).CombinedOutput(); err != nil {
			t.Fatalf("svc %s %s: %v %s", c.opt, dir, err, out)
		}
		apptest.Poll(t, wait, "svc "+c.opt+" answered", func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, "supervise", "status"))
			return len(b) >= 18 && b[16] == c.paused
		})
	}
}

// daemontools upgrade leaves another program's svscan alone: Debian's
// dies of USR2.
func TestUpgradeSparesDebianSvscan(t *testing.T) {
	debian := apptest.Debian(t, "svscan")
	sd := t.TempDir()
	p := scan(t, debian, sd)
	apptest.Poll(t, wait, "Debian's svscan in "+sd, func() bool {
		cwd, _ := os.Readlink("/proc/" + strconv.Itoa(p.Pid()) + "/cwd")
		return cwd == sd
	})
	out, err := exec.Command(apptest.Exe(t), "upgrade", sd).CombinedOutput()
	want := "daemontools: warning: svscan " + strconv.Itoa(p.Pid()) + " on " + sd + " is not daemontools-go's: USR2 would kill it, not sent\n" +
		"daemontools: fatal: no svscan runs on " + sd + "\n"
	if apptest.ExitCode(err) != 111 || string(out) != want {
		t.Errorf("daemontools upgrade: exit %d, %q; want 111, %q", apptest.ExitCode(err), out, want)
	}
	time.Sleep(100 * time.Millisecond)
	if p.Exited() {
		t.Error("Debian's svscan died")
	}
}

// The new program execs but fails while it starts (here it is not
// svscan at all, and exits): the services outlive it, as after kill -9
// of svscan, and the next svscan adopts every one, with no second copy
// started and no line lost.
func TestUpgradeToFailingProgram(t *testing.T) {
	buildA, _ := twoBuilds(t)
	exe := filepath.Join(t.TempDir(), "daemontools")
	install(t, buildA, exe)
	sd := t.TempDir()
	dirs := writers(t, sd, 3)
	// Output to a file: the services, which outlive the program, hold
	// it open, and a pipe would keep Wait waiting for them.
	p, out := argvProc(t, []string{exe, "svscan", sd})
	want := map[string]string{}
	var all []string
	for _, d := range dirs {
		all = append(all, d, filepath.Join(d, "log"))
	}
	for _, d := range all {
		apptest.Poll(t, wait, d+" up", func() bool { return apptest.Alive(pid(d)) })
		want[d] = statusBytes(t, d)
		apptest.KillAtCleanup(t, pid(d))
	}
	broken := filepath.Join(t.TempDir(), "broken")
	writeFile(t, broken, "#!/bin/sh\necho broken >&2\nexit 3\n", 0o755)
	install(t, broken, exe)
	p.Signal(syscall.SIGUSR2)
	if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != 3 {
		t.Fatalf("the failing program ended with %v, want exit 3", err)
	}
	for _, d := range all {
		if !apptest.Alive(pid(d)) {
			t.Fatalf("%s ended with the failed upgrade", d)
		}
	}
	// The next svscan (a working build) takes the tree over.
	install(t, buildA, exe)
	p, _ = argvProc(t, []string{exe, "svscan", sd})
	for _, d := range all {
		apptest.Poll(t, wait, d+" adopted", func() bool { return supervised(d) })
		if got := statusBytes(t, d); got[:16] != want[d][:16] {
			t.Errorf("%s was started again: status %x, was %x", d, got, want[d])
		}
	}
	answers(t, dirs[0])
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("svscan after TERM: %v", err)
	}
	for _, d := range dirs {
		if w, l := written(t, d), logged(t, d); w != l {
			t.Errorf("%s: wrote %d lines, logged %d", d, w, l)
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "broken\n" {
		t.Errorf("said %q", b)
	}
}
