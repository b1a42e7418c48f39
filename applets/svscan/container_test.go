package svscan_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// staticBusybox returns a statically linked busybox, or skips.
func staticBusybox(t *testing.T) string {
	t.Helper()
	const bb = "/bin/busybox"
	f, err := elf.Open(bb)
	if err != nil {
		t.Skipf("no %s (apt-get install busybox-static): %v", bb, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Skipf("%s is dynamically linked (apt-get install busybox-static)", bb)
		}
	}
	return bb
}

// staticExe builds the executable as `make build` does (static, no
// race detector: the tree it goes into has no C library).
func staticExe(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "daemontools")
	cmd := exec.Command("go", "build", "-trimpath", "-o", exe, ".")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// TestContainerExample runs the example of testdata/container as its
// initramfs recipe lays it out (the tree the Dockerfile builds too): its
// /init as PID 1 of a new pid, mount and network namespace chrooted
// there. Both services and loggers run, and SIGTERM to PID 1 ends
// everything cleanly with exit 0.
func TestContainerExample(t *testing.T) {
	apptest.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	bb := staticBusybox(t)
	root := filepath.Join(t.TempDir(), "root")
	out, err := exec.Command("sh", "../../testdata/container/mkinitramfs.sh", staticExe(t), bb, root).CombinedOutput()
	if err != nil {
		t.Fatalf("mkinitramfs.sh: %v\n%s", err, out)
	}
	cmd := exec.Command("unshare", "-fpm", "--net", "--root="+root, "/init")
	p := apptest.Start(t, cmd)
	var init int
	apptest.Poll(t, wait, "svscan as PID 1", func() bool {
		for _, c := range apptest.Children(p.Pid()) {
			if apptest.Cmdline(c) == "svscan\x00/service\x00" {
				init = c
				return true
			}
		}
		return false
	})
	sd := filepath.Join(root, "service")
	for _, d := range []string{"clock", "clock/log", "web", "web/log"} {
		apptest.Poll(t, wait, d+" up", func() bool { return pid(filepath.Join(sd, d)) != 0 })
	}
	apptest.Poll(t, wait, "the clock's first line logged", func() bool {
		b, _ := os.ReadFile(filepath.Join(sd, "clock/log/main/current"))
		return strings.Contains(string(b), " the time is ")
	})
	syscall.Kill(init, syscall.SIGTERM)
	if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("init after TERM: %v; stderr %q", err, p.Stderr.String())
	}
	for _, d := range []string{"clock", "web"} {
		info, err := os.Stat(filepath.Join(sd, d, "log/main/current"))
		if err != nil || info.Mode().Perm() != 0o744 {
			t.Errorf("%s's log did not end cleanly: %v %v", d, info.Mode(), err)
		}
	}
	if got := p.Stderr.String() + p.Stdout.String(); got != "" {
		t.Errorf("output %q", got)
	}
}
