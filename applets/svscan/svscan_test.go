package svscan_test

import (
	"encoding/binary"
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

const wait = 15 * time.Second

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// svc makes a service directory with the given run script.
func svc(t *testing.T, dir, run string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "run"), "#!/bin/sh\n"+run+"\n", 0o755)
}

// pid reads the pid from dir/supervise/status, 0 when down or absent.
func pid(dir string) int { return statusPid(filepath.Join(dir, "supervise")) }

// statusPid reads the pid from the status file of the supervise
// directory sup, 0 when down or absent.
func statusPid(sup string) int {
	b, err := os.ReadFile(filepath.Join(sup, "status"))
	if err != nil || len(b) < 18 {
		return 0
	}
	return int(binary.LittleEndian.Uint32(b[12:16]))
}

// scan starts svscan (ours or the program given) on dir.
func scan(t *testing.T, prog, dir string) *apptest.Proc {
	t.Helper()
	cmd := exec.Command(prog, dir)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	return apptest.Start(t, cmd)
}

func ours(t *testing.T) string { return filepath.Join(apptest.BinDir(t), "svscan") }

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func TestScanFindsServices(t *testing.T) {
	root := t.TempDir()
	sd := filepath.Join(root, "service")
	svc(t, filepath.Join(sd, "plain"), "exec sleep 1000")
	svc(t, filepath.Join(sd, ".disabled"), "exec sleep 1000")
	svc(t, filepath.Join(root, "elsewhere"), "exec sleep 1000")
	if err := os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(sd, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "missing"), filepath.Join(sd, "dangling")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sd, "afile"), "not a service", 0o644)

	p := scan(t, ours(t), sd)
	for _, name := range []string{"plain", "linked"} {
		dir := filepath.Join(sd, name)
		apptest.Poll(t, wait, name+" up", func() bool { return apptest.Alive(pid(dir)) })
	}
	// Dot directories and plain files are left alone.
	if _, err := os.Stat(filepath.Join(sd, ".disabled", "supervise")); err == nil {
		t.Error("a dot directory was supervised")
	}
	// The dangling link is warned about on every scan.
	apptest.Poll(t, wait, "the dangling link warning", func() bool {
		return strings.Contains(p.Stderr.String(), "svscan: warning: unable to stat dangling: file does not exist\n")
	})
	p.Signal(syscall.SIGALRM)
	apptest.Poll(t, wait, "the warning again after SIGALRM", func() bool {
		return strings.Count(p.Stderr.String(), "unable to stat dangling") >= 2
	})
	if got := p.Stderr.String(); strings.Contains(got, "afile") || strings.Contains(got, "disabled") {
		t.Errorf("unexpected messages: %q", got)
	}
	// SIGHUP rescans too, and does not kill svscan.
	p.Signal(syscall.SIGHUP)
	apptest.Poll(t, wait, "the warning after SIGHUP", func() bool {
		return strings.Count(p.Stderr.String(), "unable to stat dangling") >= 3
	})
	if p.Exited() {
		t.Fatal("svscan died")
	}
	// Every client sees a running supervise.
	out := run(t, "svstat", filepath.Join(sd, "plain"), filepath.Join(sd, "linked"))
	if strings.Count(out, ": up (pid ") != 2 {
		t.Errorf("svstat: %q", out)
	}
}

func TestLogPipe(t *testing.T) {
	sd := t.TempDir()
	dir := filepath.Join(sd, "talker")
	// The service writes numbered lines and exits; it is restarted and
	// goes on from where it stopped. The logger is restarted too.
	svc(t, dir, `n=$(cat count 2>/dev/null || echo 0)
i=0
while [ $i -lt 50 ]; do n=$((n+1)); echo "line $n"; i=$((i+1)); done
echo $n > count
exec sleep 0.2`)
	svc(t, filepath.Join(dir, "log"), "exec cat >> out")
	scan(t, ours(t), sd)
	logdir := filepath.Join(dir, "log")
	apptest.Poll(t, wait, "the logger", func() bool { return apptest.Alive(pid(logdir)) })
	apptest.Poll(t, wait, "150 lines through the pipe", func() bool {
		b, _ := os.ReadFile(filepath.Join(logdir, "out"))
		return strings.Count(string(b), "\n") >= 150
	})
	// Kill the logger: the lines written meanwhile wait in the pipe.
	run(t, "svc", "-k", logdir)
	apptest.Poll(t, wait, "300 lines after the logger's restart", func() bool {
		b, _ := os.ReadFile(filepath.Join(logdir, "out"))
		return strings.Count(string(b), "\n") >= 300
	})
	b, _ := os.ReadFile(filepath.Join(logdir, "out"))
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, l := range lines {
		if l != "line "+strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q: a line was lost or reordered", i+1, l)
		}
	}
}

func TestExitedSupervisorRestartsOnNextScan(t *testing.T) {
	sd := t.TempDir()
	dir := filepath.Join(sd, "s")
	svc(t, dir, "exec sleep 1000")
	p := scan(t, ours(t), sd)
	apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(dir)) })
	first := pid(dir)
	run(t, "svc", "-dx", dir)
	apptest.Poll(t, wait, "the supervisor to leave", func() bool {
		return exec.Command(filepath.Join(apptest.BinDir(t), "svok"), dir).Run() != nil
	})
	p.Signal(syscall.SIGALRM)
	apptest.Poll(t, wait, "a new supervisor and service", func() bool {
		n := pid(dir)
		return apptest.Alive(n) && n != first
	})
}

// dangling puts a dangling link in the tree sd, which every scan warns
// about: rescan counts the warnings.
func dangling(t *testing.T, sd string) {
	t.Helper()
	if err := os.Symlink(filepath.Join(sd, "missing"), filepath.Join(sd, "dangling")); err != nil {
		t.Fatal(err)
	}
}

// rescan sends svscan p SIGALRM and returns once a scan that began after
// the call has run to its end. Its tree holds a dangling link (see
// dangling): a scan is over when the next one has warned, and one scan
// may be under way when the call begins, so three warnings more than
// before make sure. It waits for the first scan before any signal:
// until then the signal would kill svscan.
func rescan(t *testing.T, p *apptest.Proc) {
	t.Helper()
	warnings := func() int { return strings.Count(p.Stderr.String(), "unable to stat dangling") }
	apptest.Poll(t, wait, "the first scan", func() bool { return warnings() > 0 })
	n := warnings()
	for i := 1; i <= 3; i++ {
		p.Signal(syscall.SIGALRM)
		apptest.Poll(t, wait, "a scan after SIGALRM", func() bool { return warnings() >= n+i })
	}
}

func TestRemovedService(t *testing.T) {
	sd := t.TempDir()
	dir := filepath.Join(sd, "s")
	svc(t, dir, "exec sleep 1000")
	svc(t, filepath.Join(dir, "log"), "exec cat >/dev/null")
	dangling(t, sd)
	p := scan(t, ours(t), sd)
	apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(dir)) && apptest.Alive(pid(filepath.Join(dir, "log"))) })
	// The usual way to remove a service.
	hidden := filepath.Join(sd, ".s")
	if err := os.Rename(dir, hidden); err != nil {
		t.Fatal(err)
	}
	rescan(t, p)
	// The supervisors go on under the new name until told to leave.
	if out := run(t, "svstat", hidden); !strings.Contains(out, ": up (pid ") {
		t.Fatalf("svstat after the rename: %q", out)
	}
	run(t, "svc", "-dx", hidden, filepath.Join(hidden, "log"))
	apptest.Poll(t, wait, "both supervisors to leave", func() bool {
		return strings.Count(run(t, "svstat", hidden, filepath.Join(hidden, "log")), "supervise not running") == 2
	})
	// A scan starts its supervisors before it ends: none was started.
	rescan(t, p)
	if out := run(t, "svstat", hidden); !strings.Contains(out, "supervise not running") {
		t.Fatalf("a removed service was restarted: %q", out)
	}
}

func TestInstantPickup(t *testing.T) {
	root := t.TempDir()
	sd := filepath.Join(root, "service")
	os.Mkdir(sd, 0o755)
	dangling(t, sd)
	p := scan(t, ours(t), sd)
	// Past the first scan, and the periodic one 5 s away: the watch is
	// the only way to foo.
	rescan(t, p)
	svc(t, filepath.Join(root, "foo"), "exec sleep 1000")
	if err := os.Symlink(filepath.Join(root, "foo"), filepath.Join(sd, "foo")); err != nil {
		t.Fatal(err)
	}
	// Well within the 5 s scan interval: the watch found it. (The target
	// is 100 ms; timings are measured by the benchmark, not asserted.)
	apptest.Poll(t, 3*time.Second, "foo picked up before the periodic scan", func() bool {
		return apptest.Alive(pid(filepath.Join(sd, "foo")))
	})
}

func TestLockConflicts(t *testing.T) {
	sd := t.TempDir()
	dir := filepath.Join(sd, "s")
	svc(t, dir, "exec sleep 1000")
	p := scan(t, ours(t), sd)
	apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(dir)) })
	// A supervise started by hand fails on the lock, as with the reference.
	cmd := exec.Command(filepath.Join(apptest.BinDir(t), "supervise"), dir)
	out, err := cmd.CombinedOutput()
	if apptest.ExitCode(err) != 111 {
		t.Fatalf("second supervise: %v", err)
	}
	if want := "supervise: fatal: unable to acquire " + dir + "/supervise/lock: temporary failure\n"; string(out) != want {
		t.Fatalf("second supervise said %q, want %q", out, want)
	}
	p.Kill()

	// And the other way round: svscan finds the lock taken and says so
	// on every scan, as the reference's supervise children do.
	sd2 := t.TempDir()
	dir2 := filepath.Join(sd2, "t")
	svc(t, dir2, "exec sleep 1000")
	hand := exec.Command(filepath.Join(apptest.BinDir(t), "supervise"), dir2)
	apptest.Start(t, hand)
	apptest.Poll(t, wait, "t up", func() bool { return apptest.Alive(pid(dir2)) })
	p2 := scan(t, ours(t), sd2)
	apptest.Poll(t, wait, "the lock message", func() bool {
		return strings.Contains(p2.Stderr.String(), "supervise: fatal: unable to acquire t/supervise/lock: temporary failure\n")
	})
}

// Debian's clients drive services under our svscan, and ours drive
// services under Debian's svscan.
func TestClientsInterop(t *testing.T) {
	debSvc := apptest.Debian(t, "svc")
	debSvstat := apptest.Debian(t, "svstat")
	debScan := apptest.Debian(t, "svscan")
	for _, c := range []struct {
		name             string
		scanner          string
		svcProg, statPrg string
	}{
		{"debian clients, our svscan", ours(t), debSvc, debSvstat},
		{"our clients, debian svscan", debScan, filepath.Join(apptest.BinDir(t), "svc"), filepath.Join(apptest.BinDir(t), "svstat")},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd := t.TempDir()
			dir := filepath.Join(sd, "s")
			svc(t, dir, "exec sleep 1000")
			svc(t, filepath.Join(dir, "log"), "exec cat >/dev/null")
			cmd := exec.Command(c.scanner, sd)
			// Debian's svscan must find Debian's supervise.
			if c.scanner == debScan {
				cmd.Env = apptest.Env()
			} else {
				cmd.Env = apptest.Env(apptest.BinDir(t))
			}
			apptest.Start(t, cmd)
			apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(dir)) && apptest.Alive(pid(filepath.Join(dir, "log"))) })
			first := pid(dir)
			run(t, c.svcProg, "-t", dir)
			apptest.Poll(t, wait, "a new pid after svc -t", func() bool { n := pid(dir); return apptest.Alive(n) && n != first })
			run(t, c.svcProg, "-d", dir)
			apptest.Poll(t, wait, "down", func() bool {
				return strings.Contains(run(t, c.statPrg, dir), ": down ")
			})
			out := run(t, c.statPrg, dir, filepath.Join(dir, "log"))
			if !strings.Contains(out, dir+": down ") || !strings.Contains(out, ", normally up\n") || !strings.Contains(out, dir+"/log: up (pid ") {
				t.Fatalf("svstat: %q", out)
			}
			run(t, c.svcProg, "-u", dir)
			apptest.Poll(t, wait, "up again", func() bool { return apptest.Alive(pid(dir)) })
		})
	}
}

// svscanboot runs svscan with its errors shown in readproctitle's
// title. It looks both programs up in the reference's fixed PATH, so the
// test puts our links in /usr/local/bin inside a private mount
// namespace.
func TestSvscanboot(t *testing.T) {
	apptest.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	sd := t.TempDir()
	svc(t, filepath.Join(sd, "s"), "exec sleep 1000")
	if err := os.Symlink("/nonexistent", filepath.Join(sd, "dangling")); err != nil {
		t.Fatal(err)
	}
	exe := apptest.Exe(t)
	cmd := exec.Command("unshare", "-m", "sh", "-c",
		`mount -t tmpfs tmpfs /usr/local/bin && "$0" install-links /usr/local/bin && exec "$0" svscanboot "$1"`, exe, sd)
	p := apptest.Start(t, cmd)
	apptest.Poll(t, wait, "s up", func() bool { return apptest.Alive(pid(filepath.Join(sd, "s"))) })

	// svscan took over the process (unshare runs sh as its child).
	var title string
	apptest.Poll(t, wait, "readproctitle showing the warning", func() bool {
		for _, child := range apptest.Children(p.Pid()) {
			for _, grandchild := range append(apptest.Children(child), child) {
				if b := apptest.Cmdline(grandchild); strings.HasPrefix(b, "readproctitle\x00service\x00errors:\x00") {
					title = b
					return strings.Contains(title, "svscan: warning: unable to stat dangling: file does not exist\n")
				}
			}
		}
		return false
	})
	if n := len(title) - len("readproctitle\x00service\x00errors:\x00") - 1; n != 400 {
		t.Errorf("the display is %d bytes, want 400", n)
	}

	// svscanboot's tree upgrades in place as any svscan's does.
	s := filepath.Join(sd, "s")
	before := statusBytes(t, s)
	out, err := exec.Command(exe, "upgrade", sd).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "daemontools: upgrading svscan ") {
		t.Fatalf("daemontools upgrade %s: %v %s", sd, err, out)
	}
	// The new image's environment (as exec gave it) names the handover.
	pid, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(string(out), "daemontools: upgrading svscan "))[0])
	apptest.Poll(t, wait, "the exec", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		return strings.Contains(string(b), "\x00DAEMONTOOLS_HANDOVER=") || strings.HasPrefix(string(b), "DAEMONTOOLS_HANDOVER=")
	})
	answers(t, s)
	if after := statusBytes(t, s); after[:16] != before[:16] {
		t.Errorf("s changed across the upgrade: %x then %x", before, after)
	}
}
