package logging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/timefmt"
)

// warnings collects what the engine reports, for tests to wait on.
type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) add(kind, msg string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := kind + ": " + msg
	if err != nil {
		s += ": " + err.Error()
	}
	w.lines = append(w.lines, s)
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func (w *warnings) has(s string) bool { return strings.Contains(w.String(), s) }

// started is a logger running on one end of a pipe.
type started struct {
	l    *Logger
	in   *os.File // the logger's input, the read end
	out  *os.File // the test writes here
	done chan struct{}
	warn *warnings
}

func startLogger(t *testing.T, words []string, opts Options) *started {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return startOn(t, words, opts, r, w)
}

func startOn(t *testing.T, words []string, opts Options, r, w *os.File) *started {
	t.Helper()
	s := &started{in: r, out: w, done: make(chan struct{}), warn: &warnings{}}
	opts.Warn = func(msg string, err error) { s.warn.add("warning", msg, err) }
	opts.Fatal = func(msg string, err error) { s.warn.add("fatal", msg, err) }
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	s.l = New(ParseScript(words), opts)
	if err := s.l.Start(); err != nil {
		t.Fatal(err)
	}
	fd := int(r.Fd())
	go func() {
		defer close(s.done)
		s.l.Run(fd)
	}()
	t.Cleanup(func() {
		w.Close()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("logger did not finish")
		}
		r.Close()
	})
	return s
}

func (s *started) write(t *testing.T, data string) {
	t.Helper()
	if _, err := s.out.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func (s *started) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("logger did not finish")
	}
}

func fileIs(path, want string) func() bool {
	return func() bool {
		b, err := os.ReadFile(path)
		return err == nil && string(b) == want
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func oldFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	return names
}

// remaining returns what is left in the pipe once the writer is closed.
func (s *started) remaining(t *testing.T) string {
	t.Helper()
	s.out.Close()
	b, err := io.ReadAll(s.in)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTerminateBetweenLines(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{d + "/log"}, Options{})
	s.write(t, "one\ntwo\n")
	apptest.Poll(t, 10*time.Second, "two lines logged", fileIs(d+"/log/current", "one\ntwo\n"))
	if m := mode(t, d+"/log/current"); m != 0o644 {
		t.Errorf("current is %o while running, want 644", m)
	}
	s.l.Terminate()
	s.write(t, "three\n")
	s.wait(t)
	if got := s.remaining(t); got != "three\n" {
		t.Errorf("left in the pipe: %q, want %q", got, "three\n")
	}
	if b, _ := os.ReadFile(d + "/log/current"); string(b) != "one\ntwo\n" {
		t.Errorf("current = %q", b)
	}
	if m := mode(t, d+"/log/current"); m != 0o744 {
		t.Errorf("current is %o after TERM, want 744", m)
	}
}

func TestTerminateMidLineFinishesTheLineOnly(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{d + "/log"}, Options{})
	s.write(t, "first\npart")
	apptest.Poll(t, 10*time.Second, "first line logged", fileIs(d+"/log/current", "first\n"))
	s.l.Terminate()
	s.write(t, "ial\nnext\nmore\n")
	s.wait(t)
	if b, _ := os.ReadFile(d + "/log/current"); string(b) != "first\npartial\n" {
		t.Errorf("current = %q, want the finished line only", b)
	}
	if got := s.remaining(t); got != "next\nmore\n" {
		t.Errorf("left in the pipe: %q", got)
	}
}

// The same through the path for input that is not a pipe (a socket
// here), where a blocked read is woken through an eventfd.
func TestTerminateOnASocket(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	d := t.TempDir()
	s := startOn(t, []string{d + "/log"}, Options{}, r, w)
	s.write(t, "first\npart")
	apptest.Poll(t, 10*time.Second, "first line logged", fileIs(d+"/log/current", "first\n"))
	s.l.Rotate()
	apptest.Poll(t, 10*time.Second, "rotation", func() bool { return len(oldFiles(t, d+"/log")) == 1 })
	s.l.Terminate()
	s.write(t, "ial\nnext\n")
	s.wait(t)
	if b, _ := os.ReadFile(d + "/log/current"); string(b) != "partial\n" {
		t.Errorf("current = %q", b)
	}
	w.Close()
	rest, _ := io.ReadAll(r)
	if string(rest) != "next\n" {
		t.Errorf("left unread: %q", rest)
	}
}

func TestRotateSkipsAnEmptyCurrent(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{d + "/log"}, Options{})
	s.l.Rotate()
	s.write(t, "x\n")
	apptest.Poll(t, 10*time.Second, "line logged", fileIs(d+"/log/current", "x\n"))
	if n := oldFiles(t, d+"/log"); len(n) != 0 {
		t.Fatalf("an empty current was rotated: %v", n)
	}
	s.l.Rotate()
	apptest.Poll(t, 10*time.Second, "rotation", func() bool { return len(oldFiles(t, d+"/log")) == 1 })
	names := oldFiles(t, d+"/log")
	if len(names) != 1 || !strings.HasSuffix(names[0], ".s") {
		t.Fatalf("old files %v", names)
	}
	if b, _ := os.ReadFile(filepath.Join(d, "log", names[0])); string(b) != "x\n" {
		t.Errorf("rotated file holds %q", b)
	}
	if m := mode(t, filepath.Join(d, "log", names[0])); m != 0o744 {
		t.Errorf("finished file mode %o", m)
	}
	if _, ok := timefmt.ParseLabel([]byte(names[0][:25])); !ok {
		t.Errorf("bad name %q", names[0])
	}
}

func TestSecondLoggerOnALockedDirectory(t *testing.T) {
	d := t.TempDir()
	first := New(ParseScript([]string{d + "/log"}), Options{})
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	err := New(ParseScript([]string{d + "/log"}), Options{}).Start()
	var e *Error
	if !errors.As(err, &e) || e.Msg != "unable to lock directory "+d+"/log" || !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("second Start: %v", err)
	}
	// Named twice in one script, it conflicts with itself.
	err = New(ParseScript([]string{d + "/other", d + "/other"}), Options{}).Start()
	if !errors.As(err, &e) || !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("same directory twice: %v", err)
	}
}

func TestStartupErrorsComeBeforeAnyDirectory(t *testing.T) {
	d := t.TempDir()
	err := New(ParseScript([]string{d + "/log", "=" + d + "/no/such/file"}), Options{}).Start()
	var e *Error
	if !errors.As(err, &e) || e.Msg != "unable to create "+d+"/no/such/file" {
		t.Fatalf("Start: %v", err)
	}
	if _, err := os.Stat(d + "/log"); !os.IsNotExist(err) {
		t.Errorf("the directory was made before the status file failed: %v", err)
	}
}

// A stamp is read once per read(2): lines that arrive together share it,
// and a line keeps the stamp of the read its first byte came in.
func TestOneStampPerRead(t *testing.T) {
	d := t.TempDir()
	l := New(ParseScript([]string{"t", d + "/log"}), Options{})
	calls := 0
	l.now = func() timefmt.TAI64N { calls++; return stampFor(calls) }
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	l.run(chunkSource([][]byte{[]byte("a\nb\nc"), []byte("d\ne\n")}))
	b, _ := os.ReadFile(d + "/log/current")
	s1, s2 := stampFor(1).Label(), stampFor(2).Label()
	want := string(s1[:]) + " a\n" + string(s1[:]) + " b\n" + string(s1[:]) + " cd\n" + string(s2[:]) + " e\n"
	if string(b) != want {
		t.Errorf("current:\n%s\nwant:\n%s", b, want)
	}
}

func TestRealStampsEndIn500(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{"t", d + "/log"}, Options{})
	s.write(t, "x\n")
	s.out.Close()
	s.wait(t)
	b, _ := os.ReadFile(d + "/log/current")
	if len(b) != 28 || b[0] != '@' || b[25] != ' ' || string(b[26:]) != "x\n" {
		t.Fatalf("current = %q", b)
	}
	tm, ok := timefmt.ParseLabel(b[:25])
	if !ok || tm.Nano%1000 != 500 {
		t.Errorf("stamp %q", b[:25])
	}
}

// recordingSpawner is the default spawner, counted: the engine must
// start and reap processors only through the Spawner it is given.
type recordingSpawner struct {
	mu     sync.Mutex
	starts int
	waits  int
	files  int
	dir    string
}

func (r *recordingSpawner) Start(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	r.mu.Lock()
	r.starts++
	r.files = len(attr.Files)
	r.dir = attr.Dir
	r.mu.Unlock()
	return ForkExec{}.Start(path, argv, attr)
}

func (r *recordingSpawner) Wait(pid int) (syscall.WaitStatus, error) {
	r.mu.Lock()
	r.waits++
	r.mu.Unlock()
	return ForkExec{}.Wait(pid)
}

func TestProcessor(t *testing.T) {
	d := t.TempDir()
	sp := &recordingSpawner{}
	// The processor upper-cases the log and counts its runs in state.
	proc := `!tr a-z A-Z; { cat <&4; echo run; } >&5`
	var stderr bytes.Buffer
	s := startLogger(t, []string{"s4096", proc, d + "/log"}, Options{Spawner: sp, Stderr: &stderr})
	var in strings.Builder
	for i := 0; i < 300; i++ {
		in.WriteString("line of text\n")
	}
	s.write(t, in.String())
	s.out.Close()
	s.wait(t)
	names := oldFiles(t, d+"/log")
	if len(names) == 0 || sp.starts != len(names) || sp.waits != len(names) {
		t.Fatalf("old files %v, processor started %d times, waited %d", names, sp.starts, sp.waits)
	}
	if sp.files != 6 {
		t.Errorf("processor got %d descriptors, want 0-5", sp.files)
	}
	var all strings.Builder
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(d, "log", n))
		all.Write(b)
		if m := mode(t, filepath.Join(d, "log", n)); m != 0o744 {
			t.Errorf("%s mode %o", n, m)
		}
	}
	cur, _ := os.ReadFile(d + "/log/current")
	all.WriteString(strings.ToUpper(string(cur)))
	if all.String() != strings.ToUpper(in.String()) {
		t.Errorf("processed files do not add up to the input")
	}
	state, _ := os.ReadFile(d + "/log/state")
	if string(state) != strings.Repeat("run\n", len(names)) {
		t.Errorf("state = %q after %d runs", state, len(names))
	}
	for _, f := range []string{"previous", "processed", "newstate"} {
		if _, err := os.Stat(filepath.Join(d, "log", f)); !os.IsNotExist(err) {
			t.Errorf("%s left behind", f)
		}
	}
	if w := s.warn.String(); w != "" {
		t.Errorf("warnings: %s", w)
	}
}

// A failing processor is retried after a pause, and input is not read
// meanwhile; once it succeeds everything goes on.
func TestProcessorFailureIsRetried(t *testing.T) {
	d := t.TempDir()
	flag := filepath.Join(d, "ok")
	proc := "!test -f " + flag + " || exit 7; cat"
	s := startLogger(t, []string{"s4096", proc, d + "/log"}, Options{Pause: 10 * time.Millisecond})
	line := strings.Repeat("z", 99) + "\n"
	s.write(t, strings.Repeat(line, 30))
	apptest.Poll(t, 10*time.Second, "a failure warning", func() bool { return s.warn.has("warning: processor failed in " + d + "/log, pausing") })
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.out.Close()
	s.wait(t)
	var total int
	for _, n := range append(oldFiles(t, d+"/log"), "current") {
		b, _ := os.ReadFile(filepath.Join(d, "log", n))
		total += len(b)
	}
	if total != 30*len(line) {
		t.Errorf("%d bytes logged, want %d", total, 30*len(line))
	}
}

func TestProcessorCrashReportsTheStaleErrno(t *testing.T) {
	d := t.TempDir()
	flag := filepath.Join(d, "ok")
	s := startLogger(t, []string{"s4096", "!test -f " + flag + " || kill -9 $$; cat", d + "/log"}, Options{Pause: time.Millisecond})
	s.write(t, strings.Repeat(strings.Repeat("c", 99)+"\n", 30))
	// The last failure before the crash was looking for current in the
	// new directory: that is the errno the reference prints.
	want := "warning: processor crashed in " + d + "/log, pausing: no such file or directory\nwarning: processor failed in " + d + "/log, pausing"
	apptest.Poll(t, 10*time.Second, "crash warnings", func() bool { return strings.HasPrefix(s.warn.String(), want) })
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// No os/exec wait paths in the engine: a supervisor with a process-wide
// reaper may host it.
func TestNoOSExecInTheEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "os/exec" {
			t.Fatal("package logging depends on os/exec")
		}
	}
}

// Durability as the reference has it: current is synced before it is
// renamed at each rotation, and once more at the end; nothing else is.
func TestSyncBeforeEveryRotationAndAtExit(t *testing.T) {
	d := t.TempDir()
	l := New(ParseScript([]string{"s4096", d + "/log"}), Options{})
	var events []string
	l.sync = func(fd int) error {
		var st unix.Stat_t
		unix.Fstat(fd, &st)
		events = append(events, fmt.Sprintf("sync %d", st.Size))
		return nil
	}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	var in []byte
	for i := 0; i < 200; i++ {
		in = append(in, fmt.Sprintf("%03d %s\n", i, strings.Repeat("s", 60))...)
	}
	l.run(chunkSource([][]byte{in[:4096], in[4096:8192], in[8192:]}))
	names := oldFiles(t, d+"/log")
	if len(events) != len(names)+1 {
		t.Fatalf("%d syncs for %d rotations: %v", len(events), len(names), events)
	}
	sort.Strings(names)
	for i, n := range names {
		st, err := os.Stat(filepath.Join(d, "log", n))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("sync %d", st.Size()); events[i] != want {
			t.Errorf("rotation %d: %s, want %s (the whole file synced before the rename)", i, events[i], want)
		}
	}
	cur, _ := os.Stat(filepath.Join(d, "log", "current"))
	if want := fmt.Sprintf("sync %d", cur.Size()); events[len(events)-1] != want {
		t.Errorf("at exit: %s, want %s", events[len(events)-1], want)
	}
}
