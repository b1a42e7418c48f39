package supervision

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// pipeReporter writes each report as a line to a descriptor, blocking
// while nobody reads it, as svscan's reports to its stderr do.
type pipeReporter int

func (p pipeReporter) Warn(msg string, err error)  { p.line(msg, err) }
func (p pipeReporter) Fatal(msg string, err error) { p.line(msg, err) }

func (p pipeReporter) line(msg string, err error) {
	if err != nil {
		msg += ": " + err.Error()
	}
	syscall.Write(int(p), []byte(msg+"\n"))
}

// The calls offloaded beside a busy worker are bounded: services whose
// status writes are stuck (here: each write fails, and its report
// blocks on a pipe nobody reads; a hung file system does the same)
// hold the worker and its spares, not a thread each. Meanwhile New,
// which does its work on its caller's goroutine, still sets a new
// service up. Not parallel: it holds the process's worker.
func TestOffloadBounded(t *testing.T) {
	const n = 3 * spareWorkers
	r, w, closeW := apptest.FullPipe(t)
	dirs := make([]string, n)
	sups := make([]*Supervisor, n)
	for i := range dirs {
		dirs[i] = service(t, longRun, false)
		s, err := New(dirs[i], Options{Report: pipeReporter(w), Stdio: []int{devNull, devNull, devNull}})
		if err != nil {
			t.Fatal(err)
		}
		sups[i] = s
		// From now on every status write fails and is reported.
		if err := os.Mkdir(filepath.Join(dirs[i], "supervise/status.new"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var got *apptest.Drained
	defer func() {
		// Unstick everything and bring it down.
		for _, d := range dirs {
			os.Remove(filepath.Join(d, "supervise/status.new"))
		}
		if got == nil {
			got = apptest.Drain(r)
		}
		for i, s := range sups {
			send(t, dirs[i], "dx")
			select {
			case <-s.Done():
			case <-time.After(10 * time.Second):
				t.Errorf("supervisor of %s did not leave after dx", dirs[i])
			}
		}
		closeW()
		<-got.Done()
	}()
	for _, s := range sups {
		go s.Run()
	}
	self := os.Getpid()
	stuck := func() int { return apptest.ThreadsIn(self, syscall.SYS_WRITE, w) }
	apptest.Poll(t, 20*time.Second, "the worker and every spare stuck in a report", func() bool { return stuck() >= 1+spareWorkers })
	// Each further start has waited workerPatience, and more than
	// that, for a goroutine of its own: none may get one.
	if apptest.PollOK(4*workerPatience, func() bool { return stuck() > 1+spareWorkers }) {
		t.Errorf("%d threads stuck in reports, at most %d may be", stuck(), 1+spareWorkers)
	}
	// New's own status write does not wait for them.
	fresh := service(t, longRun, true)
	made := make(chan *Supervisor, 1)
	go func() {
		s, err := New(fresh, Options{Stdio: []int{devNull, devNull, devNull}})
		if err != nil {
			t.Error(err)
		}
		made <- s
	}()
	select {
	case s := <-made:
		if s != nil {
			s.release()
		}
	case <-time.After(10 * time.Second):
		t.Errorf("New of %s waited for the stuck worker", fresh)
		got = apptest.Drain(r)
		<-made
	}
}

// threadBudgetEnv makes this test binary, started by TestThreadBudget,
// check the thread budget in a process of its own instead of testing
// (see TestMain): threads are never given back, so only a fresh
// process shows which ones the warm-up made.
const threadBudgetEnv = "DAEMONTOOLS_TEST_THREAD_BUDGET"

// After warmThreads, every goroutine that may block at once blocked in
// the kernel and every P busy take no new thread: svscan at its
// process limit has all the threads it can need.
func TestThreadBudget(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ()[:len(os.Environ()):len(os.Environ())], threadBudgetEnv+"=1")
	_, err = procReaper.forkExec(nil, exe, []string{exe}, &syscall.ProcAttr{Env: env, Files: []uintptr{uintptr(devNull), uintptr(p[1]), uintptr(devNull)}})
	syscall.Close(p[1])
	if err != nil {
		syscall.Close(p[0])
		t.Fatal(err)
	}
	out := apptest.Drain(p[0])
	select {
	case <-out.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not finish")
	}
	syscall.Close(p[0])
	var before, after, budget int
	if _, err := fmt.Sscanf(out.String(), "%d %d %d", &before, &after, &budget); err != nil {
		t.Fatalf("the child said %q", out.String())
	}
	t.Logf("%d threads after the warm-up (budget %d), %d with everything blocked or busy", before, budget, after)
	if after > before {
		t.Errorf("%d threads after the warm-up, %d once every goroutine that may block did and every P was busy", before, after)
	}
}

// threadBudgetChild is the child's side: it warms up, then blocks
// blockingGoroutines goroutines in read(2) and keeps every P busy, and
// prints the threads it had before and has then, and the budget.
func threadBudgetChild() {
	warmThreads()
	self := os.Getpid()
	before := apptest.StatusField(self, "Threads")
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		panic(err)
	}
	for range blockingGoroutines {
		go func() {
			var b [1]byte
			syscall.Read(p[0], b[:])
		}()
	}
	stop := make(chan struct{})
	for range runtime.GOMAXPROCS(0) {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	apptest.PollOK(10*time.Second, func() bool { return apptest.ThreadsIn(self, syscall.SYS_READ, p[0]) == blockingGoroutines })
	time.Sleep(100 * time.Millisecond) // the scheduler's own reaction
	after := apptest.StatusField(self, "Threads")
	close(stop)
	fmt.Printf("%d %d %d\n", before, after, threadBudget())
}
