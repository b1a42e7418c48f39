package supervision

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Readiness with real services and real peers' programs: s6-log -d
// (notification-fd), systemd-notify (sd_notify), runit-style ./check.

func need(t *testing.T, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install -y s6 systemd python3)", prog)
	}
	return p
}

func ready(st Status) bool { return st.Ext.Phase == PhaseUp && st.Ext.Ready != (Status{}.Ext.Ready) }

func TestNotificationFDWithS6Log(t *testing.T) {
	t.Parallel()
	s6log := need(t, "s6-log")
	// Its input is a FIFO it holds open for writing too, so that it
	// never sees the end of it.
	dir := service(t, "#!/bin/sh\nmkfifo in\nexec "+s6log+" -d 3 ./log <>in\n", false)
	writeFiles(t, dir, map[string]string{"notification-fd": "3\n"})
	start(t, dir)
	st := waitStatus(t, dir, "ready", ready)
	if st.Ext.Flags&FlagReadiness == 0 || st.Pid == 0 {
		t.Errorf("status of a ready s6-log: %+v", st)
	}
}

func TestNotificationFDOrder(t *testing.T) {
	t.Parallel()
	// Not ready until the newline; a service that exits first never was.
	dir := service(t, "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.02; done\nprintf 'x' >&3\nsleep 0.2\necho >&3\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"notification-fd": "3\n"})
	start(t, dir)
	st := waitStatus(t, dir, "starting", func(st Status) bool { return st.Ext.Phase == PhaseStarting })
	if st.Ext.Flags&FlagReadiness == 0 || st.Pid == 0 {
		t.Errorf("status before the notification: %+v", st)
	}
	os.WriteFile(filepath.Join(dir, "go"), nil, 0o644)
	waitStatus(t, dir, "ready after the newline", ready)

	early := service(t, "#!/bin/sh\necho >> starts\nexit 1\n", false)
	writeFiles(t, early, map[string]string{"notification-fd": "3\n"})
	start(t, early)
	apptest.Poll(t, 10*time.Second, "two starts", func() bool { return starts(early) >= 2 })
	if st := status(t, early); st.Ext.Ready != (Status{}.Ext.Ready) {
		t.Errorf("a service that never wrote is ready: %+v", st)
	}
}

func TestNotificationFDInvalid(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	writeFiles(t, dir, map[string]string{"notification-fd": "0\n"})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	// The file is ignored: up, with no readiness.
	st := waitStatus(t, dir, "up", func(st Status) bool { return st.Pid != 0 })
	if st.Ext.Flags&FlagReadiness != 0 || st.Ext.Phase != PhaseUp {
		t.Errorf("status with a bad notification-fd: %+v", st)
	}
	if want := "warning: ignoring " + dir + "/notification-fd: not a descriptor number from 1 to 1023"; !rec.has(want) {
		t.Errorf("reports %q lack %q", rec, want)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := service(t, longRun, false)
	// Each ./check notes it runs and that no other does.
	os.WriteFile(filepath.Join(dir, "check"), []byte("#!/bin/sh\nmkdir running || { echo twice >> errors; exit 1; }\necho >> checks\nsleep 0.05\nrmdir running\n[ -e ok ]\n"), 0o755)
	start(t, dir)
	waitStatus(t, dir, "starting", func(st Status) bool { return st.Ext.Phase == PhaseStarting })
	apptest.Poll(t, 10*time.Second, "a few checks", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "checks"))
		return strings.Count(string(b), "\n") >= 3
	})
	os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644)
	waitStatus(t, dir, "ready once ./check exits 0", ready)
	if b, err := os.ReadFile(filepath.Join(dir, "errors")); err == nil {
		t.Errorf("two ./check ran at once: %q", b)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "checks"))
	n := strings.Count(string(b), "\n")
	time.Sleep(300 * time.Millisecond)
	if b, _ := os.ReadFile(filepath.Join(dir, "checks")); strings.Count(string(b), "\n") != n {
		t.Error("./check still runs once the service is ready")
	}
}

func TestSdNotify(t *testing.T) {
	t.Parallel()
	notify := need(t, "systemd-notify")
	dir := service(t, "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.02; done\n"+notify+" --ready --status='serving 3 clients'\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"sd-notify": ""})
	start(t, dir)
	st := waitStatus(t, dir, "starting", func(st Status) bool { return st.Ext.Phase == PhaseStarting })
	// The pid is announced as soon as the clone returns, as the
	// reference's after fork: until the child's exec, /proc/PID/environ
	// is this process's (the memory is shared), and for a moment within
	// the exec it is empty. So read it until it is ./run's.
	var b []byte
	if !apptest.PollOK(10*time.Second, func() bool {
		b, _ = os.ReadFile("/proc/" + itoa(int(st.Pid)) + "/environ")
		return strings.Contains(string(b), "NOTIFY_SOCKET=")
	}) {
		t.Fatalf("the service's environment lacks NOTIFY_SOCKET: %q", b)
	}
	if !strings.Contains(string(b), "NOTIFY_SOCKET=@daemontools/notify/") {
		t.Errorf("the service's NOTIFY_SOCKET is not ours: %q", b)
	}
	os.WriteFile(filepath.Join(dir, "go"), nil, 0o644)
	st = waitStatus(t, dir, "ready after READY=1", ready)
	apptest.Poll(t, 10*time.Second, "STATUS= in the status file", func() bool { return status(t, dir).Ext.Text == "serving 3 clients" })
}

// The path form, a sender running as another user (it may speak), and
// one that is not the service's (it may not), with several
// assignments in one datagram as sd_notify(3) sends them.
func TestSdNotifyCredentials(t *testing.T) {
	t.Parallel()
	apptest.RequireRoot(t)
	// A python nobody may run (not one under root's home).
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 is not installed (apt-get install -y python3)")
	}
	sock := filepath.Join(t.TempDir(), "notify.sock")
	send := `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = os.environ.get("NOTIFY_SOCKET") or sys.argv[2]
s.sendto(sys.argv[1].encode().replace(b"\\n", b"\n"), "\0" + a[1:] if a[0] == "@" else a)
`
	script := filepath.Join(t.TempDir(), "send.py")
	os.WriteFile(script, []byte(send), 0o644)
	// nobody must reach the script and the socket.
	for _, p := range []string{sock, script} {
		os.Chmod(filepath.Dir(p), 0o755)
		os.Chmod(filepath.Dir(filepath.Dir(p)), 0o755)
	}
	dir := service(t, "#!/bin/sh\nwhile [ ! -e go ]; do sleep 0.02; done\nsetpriv --reuid=65534 --regid=65534 --clear-groups "+py+" "+script+" 'STATUS=as nobody\\nREADY=1'\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"sd-notify": "NOTIFY_SOCKET=" + sock + "\n"})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec, StandIn: true})
	defer func() {
		if t.Failed() {
			t.Logf("reports: %s", rec)
		}
	}()
	waitStatus(t, dir, "starting", func(st Status) bool { return st.Ext.Phase == PhaseStarting })
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o666 {
		t.Fatalf("the socket: %v %v", fi, err)
	}
	// A stranger (this test, through python) is not heard.
	pid, err := procReaper.forkExec(nil, py, []string{"python3", script, "READY=1\\nSTATUS=stranger", sock}, &syscall.ProcAttr{Files: []uintptr{uintptr(devNull), uintptr(devNull), uintptr(devNull)}})
	if err != nil {
		t.Fatal(err)
	}
	apptest.Poll(t, 10*time.Second, "the stranger's send", func() bool { return apptest.Gone(pid) })
	time.Sleep(200 * time.Millisecond)
	if st := status(t, dir); st.Ext.Phase != PhaseStarting || st.Ext.Text != "" {
		t.Fatalf("a stranger was heard: %+v", st)
	}
	os.WriteFile(filepath.Join(dir, "go"), nil, 0o644)
	st := waitStatus(t, dir, "ready from the service running as nobody", ready)
	if st.Ext.Text != "as nobody" {
		t.Errorf("STATUS %q", st.Ext.Text)
	}
}

// A service that stops pinging the watchdog gets ABRT and is started
// again.
func TestSdNotifyWatchdog(t *testing.T) {
	t.Parallel()
	notify := need(t, "systemd-notify")
	dir := service(t, "#!/bin/sh\necho >> starts\necho \"$WATCHDOG_USEC\" > usec\n"+notify+" --ready\nfor i in 1 2 3 4 5; do sleep 0.1; "+notify+" WATCHDOG=1; done\nexec sleep 1000\n", false)
	writeFiles(t, dir, map[string]string{"sd-notify": "WATCHDOG_USEC=400000\n"})
	rec := &recorder{}
	startWith(t, dir, Options{Report: rec})
	apptest.Poll(t, 20*time.Second, "a restart after the pings stop", func() bool { return starts(dir) >= 2 })
	if b, _ := os.ReadFile(filepath.Join(dir, "usec")); string(b) != "400000\n" {
		t.Errorf("WATCHDOG_USEC=%q", b)
	}
	if want := "warning: sending ABRT to " + dir + "/run: no watchdog ping within WATCHDOG_USEC"; !rec.has(want) {
		t.Errorf("reports %q lack %q", rec, want)
	}
	if st := status(t, dir); st.Ext.Exit == ExitSignal && st.Ext.ExitValue != uint8(syscall.SIGABRT) {
		t.Errorf("the service ended by %d", st.Ext.ExitValue)
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
