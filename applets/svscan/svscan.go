// Package svscan holds the svscan and svscanboot applets.
package svscan

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
	"golang.org/x/sys/unix"
)

func init() {
	applets.Register("svscan", Main)
	applets.Register("svscanboot", bootMain)
}

// Main is `svscan [dir]`: it supervises every service directory in dir
// (default: the current directory) from this one process.
func Main(argv []string) int {
	supervision.CatchSignals()
	dir := "."
	if len(argv) > 1 {
		if err := os.Chdir(argv[1]); err != nil {
			return diag.Fatal("svscan", 111, "unable to chdir to "+argv[1], err)
		}
		dir = argv[1]
	}
	// The directory as a live upgrade's exec names it: the new svscan
	// starts here, where a relative name would mean something else.
	if !strings.HasPrefix(dir, "/") {
		if wd, err := os.Getwd(); err == nil {
			dir = wd
		}
	}
	// Descriptors we inherited without close-on-exec must not reach the
	// services: the reference's see only 0-2 (and the log pipe).
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	report, supervise := diag.Voice("svscan"), diag.Voice("supervise")
	// After a live upgrade, the old svscan's tree goes on here.
	sc, upgraded := supervision.ResumeScanner(report, supervise)
	if !upgraded {
		sc = supervision.NewScanner()
		sc.Report, sc.Supervise = report, supervise
	}
	// USR2 execs the executable found now (a file installed over it
	// later takes over), with these arguments.
	if exe, err := os.Executable(); err == nil {
		sc.Exe = exe
	}
	sc.Argv = []string{"svscan", dir}
	if v, ok := syscall.Getenv(TimeoutEnv); ok {
		if d, ok := parseTimeout(v); ok {
			sc.Timeout = d
		} else {
			diag.Write("svscan: warning: ignoring " + TimeoutEnv + "=" + v + ": not a number of seconds\n")
		}
	}
	supervision.ReapOrphans()
	return sc.Run()
}

// TimeoutEnv names the variable that sets how many seconds the shutdown
// on SIGTERM or SIGINT gives services and loggers before SIGKILL
// (default 10; decimals allowed).
const TimeoutEnv = "SVSCAN_SHUTDOWN_TIMEOUT"

// parseTimeout reads a non-negative decimal number of seconds: digits,
// optionally a point and more digits.
func parseTimeout(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var whole, frac, scale int64 = 0, 0, 1
	point := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if point {
				if scale < 1e9 {
					frac = frac*10 + int64(c-'0')
					scale *= 10
				}
			} else {
				whole = whole*10 + int64(c-'0')
				if whole > 1e8 {
					return 0, false
				}
			}
		default:
			return 0, false
		}
	}
	if v == "." {
		return 0, false
	}
	return time.Duration(whole)*time.Second + time.Duration(frac*(1e9/scale)), true
}

// bootPath is the PATH the reference's svscanboot sets.
const bootPath = "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin"

// bootDir is where Debian's svscanboot looks for services (upstream
// used /service).
const bootDir = "/etc/service"

// bootMain is svscanboot: with stdio on /dev/null, it stops and
// dismisses any supervise left from before (`svc -dx` on every service
// and log), then runs `svscan /etc/service 2>&1 | readproctitle service
// errors: ...` with an environment of PATH alone. svscan takes over this
// process; readproctitle is its child.
func bootMain(argv []string) int {
	dir := bootDir
	if len(argv) > 1 {
		dir = argv[1] // an extension: the reference takes no argument
	}
	os.Setenv("PATH", bootPath)
	null, err := unix.Open("/dev/null", unix.O_RDWR, 0)
	if err == nil {
		for fd := 0; fd < 3; fd++ {
			unix.Dup2(null, fd)
		}
		if null > 2 {
			unix.Close(null)
		}
	}
	for _, pattern := range []string{dir + "/*", dir + "/*/log"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			// As its svc -dx does; failures go to /dev/null.
			supervision.Control(m, []byte("dx"))
		}
	}
	env := []string{"PATH=" + bootPath}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 111
	}
	title := []string{"readproctitle", "service", "errors:", strings.Repeat(".", 400)}
	if _, err := syscall.ForkExec(program("readproctitle"), title, &syscall.ProcAttr{Env: env, Files: []uintptr{uintptr(p[0]), 1, 2}}); err != nil {
		return 111
	}
	unix.Dup2(p[1], 1)
	unix.Dup2(p[1], 2)
	unix.Close(p[0])
	unix.Close(p[1])
	syscall.Exec(program("svscan"), []string{"svscan", dir}, env)
	return 111
}

// program finds name in the boot PATH, as the reference's script does;
// when it is not there it runs this executable under that name.
func program(name string) string {
	for _, d := range filepath.SplitList(bootPath) {
		p := filepath.Join(d, name)
		if unix.Access(p, unix.X_OK) == nil {
			return p
		}
	}
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return "/proc/self/exe"
}
