package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// startNamed starts `daemontools ARGS...` and waits until the process
// has taken the applet's name.
func startNamed(t *testing.T, stdin *os.File, args ...string) (*apptest.Proc, string) {
	t.Helper()
	exe := apptest.Exe(t)
	cmd := exec.Command(exe, args...)
	cmd.Env = apptest.Env(apptest.BinDir(t))
	if stdin != nil {
		cmd.Stdin = stdin
	}
	p := apptest.Start(t, cmd)
	proc := "/proc/" + strconv.Itoa(p.Pid())
	apptest.Poll(t, 10*time.Second, args[0]+" to take its name", func() bool {
		b, _ := os.ReadFile(proc + "/comm")
		return string(b) == args[0]+"\n"
	})
	return p, proc
}

// Started as `daemontools APPLET ARG...`, the process looks to ps and
// pidof as `APPLET ARG...` started through a link does: its name, and
// its arguments without the dispatcher's, the area padded with as many
// NULs as `EXE ` took.
func TestMulticallNamesTheProcess(t *testing.T) {
	exe := apptest.Exe(t)
	pad := strings.Repeat("\x00", len(exe)+1)
	dir := t.TempDir()
	p, proc := startNamed(t, nil, "svscan", dir)

	stat, err := os.ReadFile(proc + "/stat")
	if err != nil || !strings.HasPrefix(string(stat), strconv.Itoa(p.Pid())+" (svscan) ") {
		t.Errorf("/proc/PID/stat %q: %v", stat, err)
	}
	cmdline, _ := os.ReadFile(proc + "/cmdline")
	if want := "svscan\x00" + dir + "\x00" + pad; string(cmdline) != want {
		t.Errorf("/proc/PID/cmdline %q, want %q", cmdline, want)
	}
	out, err := exec.Command("ps", "-o", "args=", "-p", strconv.Itoa(p.Pid())).Output()
	if err != nil || string(out) != "svscan "+dir+"\n" {
		t.Errorf("ps -o args: %q %v", out, err)
	}
	out, err = exec.Command("ps", "-C", "svscan", "-o", "pid=").Output()
	if err != nil || !hasPid(string(out), p.Pid()) {
		t.Errorf("ps -C svscan: %q %v, want pid %d among them", out, err, p.Pid())
	}
	if _, err := exec.LookPath("pidof"); err == nil {
		out, err = exec.Command("pidof", "svscan").Output()
		if err != nil || !hasPid(string(out), p.Pid()) {
			t.Errorf("pidof svscan: %q %v, want pid %d among them", out, err, p.Pid())
		}
	}
}

// readproctitle shows its input in its arguments, where they lie after
// the move, and a filter keeps its place in a pipeline.
func TestMulticallReadproctitleShowsItsInput(t *testing.T) {
	pad := strings.Repeat("\x00", len(apptest.Exe(t))+1)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(apptest.Exe(t), "readproctitle", "io", "errors:", "....................")
	cmd.Stdin = r
	p := apptest.Start(t, cmd)
	r.Close()
	w.WriteString("fatal error xyz\n\x00warning abc\n")
	want := "readproctitle\x00io\x00errors:\x00... xyz\nwarning abc\n\x00" + pad
	proc := "/proc/" + strconv.Itoa(p.Pid())
	var got []byte
	apptest.Poll(t, 10*time.Second, "the title to show the input", func() bool {
		got, _ = os.ReadFile(proc + "/cmdline")
		return string(got) == want
	})
	if comm, _ := os.ReadFile(proc + "/comm"); string(comm) != "readproctitle\n" {
		t.Errorf("comm %q", comm)
	}
	w.Close()
	if err := p.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("readproctitle: %v", err)
	}
}

// A filter, too: tai64n in a pipeline.
func TestMulticallNamesAFilter(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	_, proc := startNamed(t, r, "tai64n")
	cmdline, _ := os.ReadFile(proc + "/cmdline")
	if want := "tai64n\x00" + strings.Repeat("\x00", len(apptest.Exe(t))+1); string(cmdline) != want {
		t.Errorf("/proc/PID/cmdline %q, want %q", cmdline, want)
	}
}

func hasPid(out string, pid int) bool {
	for _, f := range strings.Fields(out) {
		if f == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}

// svtools' svdir finds the scan directory as `readlink /proc/$(pidof
// svscan)/cwd`, so it needs pidof to name exactly one svscan. It runs in
// a pid namespace of its own where it can (root), so that other svscans
// on the machine do not count.
func TestSvdirFindsMulticallSvscan(t *testing.T) {
	if _, err := exec.LookPath("svdir"); err != nil {
		t.Skip("svdir is not installed (apt-get install svtools)")
	}
	if _, err := exec.LookPath("pidof"); err != nil {
		t.Skip("pidof is not installed")
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exe := apptest.Exe(t)
	if _, err := exec.LookPath("unshare"); err == nil && os.Geteuid() == 0 {
		const script = `"$0" svscan "$1" & s=$!
n=0
until [ "$(pidof svscan)" = "$s" ]; do
	n=$((n+1))
	if [ $n -gt 1000 ]; then echo "pidof svscan: $(pidof svscan), want $s"; exit 1; fi
	sleep 0.01
done
svdir
kill $s
wait $s`
		cmd := exec.Command("unshare", "--fork", "--pid", "--mount-proc", "sh", "-c", script, exe, dir)
		cmd.Env = apptest.Env()
		p := apptest.Start(t, cmd)
		if err := p.Wait(t, time.Minute); err != nil || p.Stdout.String() != dir+"\n" {
			t.Fatalf("svdir in a pid namespace: %v\nstdout %q\nstderr %q", err, p.Stdout, p.Stderr)
		}
		return
	}
	p, _ := startNamed(t, nil, "svscan", dir)
	out, _ := exec.Command("pidof", "svscan").Output()
	if strings.TrimSpace(string(out)) != strconv.Itoa(p.Pid()) {
		t.Skipf("pidof svscan says %q: other svscans run here, and svdir needs just one (run as root for a pid namespace)", out)
	}
	out, err = exec.Command("svdir").Output()
	if err != nil || string(out) != dir+"\n" {
		t.Errorf("svdir: %q %v, want %s", out, err, dir)
	}
}
