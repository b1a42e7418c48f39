package multilog

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/logging"
)

func multilog(t *testing.T, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(apptest.BinDir(t), "multilog"), args...)
	cmd.Dir = dir
	return cmd
}

// TestDiskFull runs the real executable on a 16 KiB tmpfs: it must print
// the reference's warning every 5 seconds, read nothing more meanwhile,
// and log every line once there is room again.
func TestDiskFull(t *testing.T) {
	apptest.RequireRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16k"); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	cmd := multilog(t, dir, "s4096", "n1000", "./full")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := apptest.Start(t, cmd)
	var input strings.Builder
	for i := 0; input.Len() < 200<<10; i++ {
		fmt.Fprintf(&input, "%07d %s\n", i, strings.Repeat("d", i%90))
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := in.Write([]byte(input.String()))
		in.Close()
		wrote <- err
	}()
	const warning = "multilog: warning: unable to write to ./full/current, pausing: out of disk space\n"
	apptest.Poll(t, 20*time.Second, "the disk-full warning", func() bool { return strings.Contains(p.Stderr.String(), warning) })
	select {
	case err := <-wrote:
		t.Fatalf("all input was taken while the disk was full (%v)", err)
	default:
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT, "size=4m"); err != nil {
		t.Fatalf("resizing the tmpfs: %v", err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(t, 30*time.Second); err != nil {
		t.Fatalf("multilog: %v\n%s", err, p.Stderr)
	}
	for _, line := range strings.SplitAfter(p.Stderr.String(), "\n") {
		if line != "" && line != warning {
			t.Errorf("unexpected message %q", line)
		}
	}
	if got := readLog(t, filepath.Join(dir, "full")); got != input.String() {
		t.Errorf("the log holds %d bytes, the input was %d", len(got), input.Len())
	}
}

func readLog(t *testing.T, dir string) string {
	t.Helper()
	var all strings.Builder
	for _, n := range append(apptest.OldLogs(t, dir), "current") {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}

// HUP keeps its default action: multilog dies, current stays 0644, and
// the next run salvages it as a .u file.
func TestHangupLeavesCurrentForSalvage(t *testing.T) {
	dir := t.TempDir()
	cmd := multilog(t, dir, "./h")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := apptest.Start(t, cmd)
	if _, err := in.Write([]byte("y\n")); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "h", "current")
	apptest.Poll(t, 10*time.Second, "the line logged", func() bool {
		b, _ := os.ReadFile(cur)
		return string(b) == "y\n"
	})
	p.Signal(syscall.SIGHUP)
	err = p.Wait(t, 10*time.Second)
	if apptest.ExitCode(err) != 128+int(syscall.SIGHUP) {
		t.Fatalf("after HUP: %v", err)
	}
	if st, err := os.Stat(cur); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("current after HUP: %v %v", st.Mode(), err)
	}
	again := multilog(t, dir, "./h")
	again.Stdin = strings.NewReader("z\n")
	if out, err := again.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("second run: %v %q", err, out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "h", "@*.u"))
	if len(names) != 1 {
		t.Fatalf("salvaged files: %v", names)
	}
	if b, _ := os.ReadFile(names[0]); string(b) != "y\n" {
		t.Errorf("salvaged %q", b)
	}
}

// TERM between lines ends the run at once with exit 0 and current 0744.
func TestTermExitsCleanly(t *testing.T) {
	dir := t.TempDir()
	cmd := multilog(t, dir, "t", "./d")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := apptest.Start(t, cmd)
	in.Write([]byte("one\n"))
	cur := filepath.Join(dir, "d", "current")
	apptest.Poll(t, 10*time.Second, "the line logged", func() bool {
		st, err := os.Stat(cur)
		return err == nil && st.Size() == 30
	})
	p.Signal(syscall.SIGTERM)
	if err := p.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("after TERM: %v\n%s", err, p.Stderr)
	}
	if st, err := os.Stat(cur); err != nil || st.Mode().Perm() != 0o744 {
		t.Fatalf("current after TERM: %v %v", st.Mode(), err)
	}
}

func TestStartMessage(t *testing.T) {
	lock := &logging.Error{Msg: "unable to lock directory ./log", Err: syscall.EAGAIN}
	for _, c := range []struct {
		err   error
		msg   string
		cause error
	}{
		{lock, "unable to lock directory ./log", syscall.EAGAIN},
		{fmt.Errorf("starting: %w", lock), "unable to lock directory ./log", syscall.EAGAIN},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, "file does not exist", nil},
		{errors.New("no logger"), "no logger", nil},
	} {
		msg, cause := startMessage(c.err)
		if msg != c.msg || cause != c.cause {
			t.Errorf("startMessage(%v) = %q, %v; want %q, %v", c.err, msg, cause, c.msg, c.cause)
		}
	}
}
