// Package apptest is the test harness shared by every package: it builds
// the real executable with its symlink farm, finds Debian's reference
// binaries, starts processes in their own process group and kills
// exactly that group at cleanup, and polls for conditions with a
// deadline. It is imported only by tests.
package apptest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// moduleRoot finds the directory holding go.mod, starting from the
// package under test.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// BinDir returns a directory holding the real executable, built from
// this module (with -race when the tests are), and one link per applet,
// as `daemontools install-links` makes them. $DAEMONTOOLS_BIN names a
// prebuilt executable to use instead. The directory lives until the test
// process exits.
func BinDir(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { buildDir, buildErr = build() })
	if buildErr != nil {
		t.Fatalf("building the executable: %v", buildErr)
	}
	return buildDir
}

// PlainBinDir is BinDir built without the race detector (the same
// directory when the tests are not race-built). For scripts that put
// memory limits on our own programs: the race detector's runtime maps
// memory as it goes, and fails under RLIMIT_DATA or RLIMIT_AS where
// the program itself would not.
func PlainBinDir(t testing.TB) string {
	t.Helper()
	if !raceEnabled || os.Getenv("DAEMONTOOLS_BIN") != "" {
		return BinDir(t)
	}
	plainOnce.Do(func() { plainDir, plainErr = buildWith(false) })
	if plainErr != nil {
		t.Fatalf("building the executable: %v", plainErr)
	}
	return plainDir
}

var (
	plainOnce sync.Once
	plainDir  string
	plainErr  error
)

// Exe returns the path of the executable in BinDir.
func Exe(t testing.TB) string { return filepath.Join(BinDir(t), "daemontools") }

func build() (string, error) { return buildWith(raceEnabled) }

func buildWith(race bool) (string, error) {
	dir, err := os.MkdirTemp("", "daemontools-bin-")
	if err != nil {
		return "", err
	}
	exe := filepath.Join(dir, "daemontools")
	if pre := os.Getenv("DAEMONTOOLS_BIN"); pre != "" {
		if err := os.Symlink(mustAbs(pre), exe); err != nil {
			return "", err
		}
	} else {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		args := []string{"build", "-o", exe}
		if race {
			args = append(args, "-race")
		}
		if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
			// As the Makefile links it: see privs/start.go.
			args = append(args, "-ldflags=-E=github.com/daemontools-go/daemontools/privs.entry")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo(race))
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	if out, err := exec.Command(exe, "install-links", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("install-links: %v\n%s", err, out)
	}
	return dir, nil
}

func cgo(race bool) string {
	if race {
		return "1" // the race detector needs cgo
	}
	return "0"
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// DebianDir is where Debian's daemontools package installs its programs.
const DebianDir = "/usr/bin"

// Debian returns the path of Debian's program NAME, or skips the test
// with a clear message when the reference is not installed.
func Debian(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(DebianDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Debian's %s is not installed (apt-get install daemontools runit s6): %v", name, err)
	}
	return p
}

// HaveDebian reports whether Debian's program NAME is installed.
func HaveDebian(name string) bool {
	_, err := os.Stat(filepath.Join(DebianDir, name))
	return err == nil
}

// RequireRoot skips the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
}

// Strace returns the path of strace, or skips the test, saying how to
// install it, when there is none.
func Strace(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (apt-get install -y strace)")
	}
	return path
}

// SoakEnv is the environment variable that turns on the soak sizes.
const SoakEnv = "DAEMONTOOLS_SOAK"

// Soak reports whether $DAEMONTOOLS_SOAK is set. The long robustness
// tests run at a size that catches their failures in seconds in `make
// test`, and at full size (minutes) only when it is:
//
//	DAEMONTOOLS_SOAK=1 go test -v -timeout 40m -run 'Shutdown|Adopt|Soak' ./applets/svscan
//	DAEMONTOOLS_SOAK=1 go test -v -run CrashLoop ./applets/supervise
func Soak() bool { return os.Getenv(SoakEnv) != "" }

// Poll calls cond every few milliseconds until it returns true or the
// deadline passes, then fails the test with msg. Tests wait with Poll,
// never with fixed sleeps.
func Poll(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	if !PollOK(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, msg)
	}
}

// PollOK is Poll without the failure: it reports whether cond became true.
func PollOK(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

// Proc is a process started in its own process group.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout *SyncBuffer
	Stderr *SyncBuffer
	done   chan struct{}
	err    error
}

// Start starts cmd in a new process group and registers a cleanup that
// SIGKILLs exactly that group (never anything by name) and reaps the
// leader. Unless the caller set them, stdout and stderr are captured.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, done: make(chan struct{})}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if cmd.SysProcAttr.Cloneflags&syscall.CLONE_NEWPID == 0 && !cmd.SysProcAttr.Setsid {
		cmd.SysProcAttr.Setpgid = true
	}
	if cmd.Stdout == nil {
		p.Stdout = &SyncBuffer{}
		cmd.Stdout = p.Stdout
	}
	if cmd.Stderr == nil {
		p.Stderr = &SyncBuffer{}
		cmd.Stderr = p.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Kill() })
	return p
}

// Pid returns the leader's pid (the process group id).
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Signal sends sig to the leader only.
func (p *Proc) Signal(sig syscall.Signal) error { return syscall.Kill(p.Pid(), sig) }

// Kill SIGKILLs the whole process group and waits for the leader.
func (p *Proc) Kill() {
	syscall.Kill(-p.Pid(), syscall.SIGKILL)
	syscall.Kill(p.Pid(), syscall.SIGKILL)
	<-p.done
}

// Wait waits up to timeout for the leader to exit and returns its error
// (an *exec.ExitError for a non-zero status), or fails the test.
func (p *Proc) Wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%v did not exit within %v", p.Cmd.Args, timeout)
		return nil
	}
}

// Exited reports whether the leader has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// SyncBuffer is a bytes.Buffer safe for a writer goroutine and a polling
// reader.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Env returns os.Environ with PATH replaced by dirs followed by the
// system directories, and GORACE set so that race-built executables
// exit at once.
func Env(dirs ...string) []string {
	path := strings.Join(append(dirs, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"), ":")
	// Race-built executables sleep a second at exit unless told not to.
	env := []string{"PATH=" + path, "GORACE=atexit_sleep_ms=0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "GORACE=") {
			env = append(env, kv)
		}
	}
	return env
}
