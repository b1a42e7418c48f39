package supervision

import (
	"os"
	"path/filepath"
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
