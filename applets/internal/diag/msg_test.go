package diag

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Lines for a stderr nobody reads wait their turn as goroutines: one
// thread is blocked in write(2), not one per writer (svscan's
// supervisors all write to one stderr, and a thread blocked per
// supervisor would be a thousand threads).
func TestWriteOneAtATime(t *testing.T) {
	r, w, closeW := apptest.FullPipe(t)
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(saved)
	if err := syscall.Dup2(w, 2); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			syscall.Dup2(saved, 2)
			restored = true
		}
	}
	defer restore()
	const writers = 8
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Warn("test", "line "+strconv.Itoa(i), nil)
		}()
	}
	self := os.Getpid()
	apptest.Poll(t, 10*time.Second, "a writer blocked", func() bool { return apptest.ThreadsIn(self, syscall.SYS_WRITE, 2) >= 1 })
	// Every writer has had time to reach write(2) if it could.
	many := apptest.PollOK(time.Second, func() bool { return apptest.ThreadsIn(self, syscall.SYS_WRITE, 2) > 1 })
	n := apptest.ThreadsIn(self, syscall.SYS_WRITE, 2)
	got := apptest.Drain(r)
	wg.Wait()
	restore()
	closeW()
	if many {
		t.Errorf("%d threads blocked writing to stderr at once, want 1", n)
	}
	<-got.Done()
	lines := strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n")
	sort.Strings(lines)
	var want []string
	for i := range writers {
		want = append(want, "test: warning: line "+strconv.Itoa(i))
	}
	sort.Strings(want)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr got %q, want %q", lines, want)
	}
}
