package svscan_test

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// static is the executable staticExe built, once for the package's
// tests; TestMain removes its directory.
var static struct {
	once     sync.Once
	dir, exe string
	err      error
}

// staticExe builds the executable as `make build` does (static, no
// race detector: the tree it goes into has no C library).
func staticExe(t *testing.T) string {
	t.Helper()
	static.once.Do(func() {
		if static.dir, static.err = os.MkdirTemp("", "daemontools-static-"); static.err != nil {
			return
		}
		static.exe = filepath.Join(static.dir, "daemontools")
		cmd := exec.Command("go", "build", "-trimpath", "-o", static.exe, ".")
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			static.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if static.err != nil {
		t.Fatal(static.err)
	}
	return static.exe
}

// TestContainerExample runs the example of testdata/container as its
// initramfs recipe lays it out (the tree the Dockerfile builds too): its
// /init as PID 1 of a new pid, mount and network namespace chrooted
// there. Both services and loggers run, with their state in the /run
// that init mounts, where the supervise links point; the services'
// lines reach svscan's standard output, and SIGTERM to PID 1 ends
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
	// The links are absolute: follow them inside init's root.
	state := "/proc/" + strconv.Itoa(init) + "/root/run"
	for _, d := range []string{"clock", "clock.log", "web", "web.log"} {
		apptest.Poll(t, wait, d+" up", func() bool { return statusPid(filepath.Join(state, d+".supervise")) != 0 })
	}
	apptest.Poll(t, wait, "the clock's first line", func() bool { return strings.Contains(p.Stdout.String(), "the time is ") })
	syscall.Kill(init, syscall.SIGTERM)
	if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != 0 {
		t.Fatalf("init after TERM: %v; stderr %q", err, p.Stderr.String())
	}
	if got := p.Stderr.String(); got != "" {
		t.Errorf("standard error %q", got)
	}
	for _, l := range strings.SplitAfter(p.Stdout.String(), "\n") {
		if l != "" && (!strings.HasPrefix(l, "the time is ") || !strings.HasSuffix(l, "\n")) {
			t.Errorf("standard output has %q", l)
		}
	}
}
