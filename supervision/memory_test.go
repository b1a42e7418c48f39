package supervision

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Memory per supervised service is a product goal (at most 8 KiB for
// each further service inside svscan). These measure an in-process
// Supervisor of a normally-down service: everything but the child.

func downServices(tb testing.TB, n int) []string {
	root := tb.TempDir()
	dirs := make([]string, n)
	for i := range dirs {
		d := filepath.Join(root, strconv.Itoa(i))
		if err := os.Mkdir(d, 0o755); err != nil {
			tb.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "run"), []byte(longRun), 0o755)
		os.WriteFile(filepath.Join(d, "down"), nil, 0o644)
		dirs[i] = d
	}
	return dirs
}

func startAll(tb testing.TB, dirs []string) []*Supervisor {
	sups := make([]*Supervisor, len(dirs))
	for i, d := range dirs {
		s, err := New(d, Options{Stdio: []int{devNull, devNull, devNull}})
		if err != nil {
			tb.Fatal(err)
		}
		go s.Run()
		sups[i] = s
	}
	return sups
}

func stopAll(tb testing.TB, dirs []string, sups []*Supervisor) {
	for i, s := range sups {
		send(tb, dirs[i], "x")
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			tb.Fatalf("supervisor %d did not leave", i)
		}
	}
}

// BenchmarkSupervisor reports the heap and goroutine-stack bytes one
// parked Supervisor holds (go test -bench Supervisor -benchmem).
func BenchmarkSupervisor(b *testing.B) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if uint64(b.N)*6+100 > lim.Cur {
		b.Skipf("needs %d fds, soft limit is %d", b.N*6+100, lim.Cur)
	}
	dirs := downServices(b, b.N)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	sups := startAll(b, dirs)
	b.StopTimer()
	// Let every goroutine park in its read.
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := float64(b.N)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/svc")
	b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/svc")
	stopAll(b, dirs, sups)
}

// TestThousandSupervisors runs 1000 Supervisors in this process and
// checks what must not grow with them: OS threads (each parks in the
// poller, not in a thread) and goroutines (one each). It logs the RSS
// growth per service; -race inflates it, bench/ measures it without.
func TestThousandSupervisors(t *testing.T) {
	const n = 1000
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < n*6+100 {
		t.Skipf("needs %d fds, soft limit is %d", n*6+100, lim.Cur)
	}
	dirs := downServices(t, n)
	runtime.GC()
	rss0, g0 := apptest.StatusField(os.Getpid(), "VmRSS"), runtime.NumGoroutine()
	sups := startAll(t, dirs)
	// Until every goroutine parks in its read: start-up work that waits
	// for the busy worker runs on a goroutine of its own for a while
	// (see offload), which a loaded machine can stretch past any fixed
	// pause.
	apptest.PollOK(30*time.Second, func() bool { return runtime.NumGoroutine()-g0 <= n+3 })
	runtime.GC()
	rss1, g1, threads := apptest.StatusField(os.Getpid(), "VmRSS"), runtime.NumGoroutine(), apptest.StatusField(os.Getpid(), "Threads")
	t.Logf("%d supervisors: RSS +%d KiB (%.2f KiB each), %d goroutines, %d threads", n, rss1-rss0, float64(rss1-rss0)/n, g1-g0, threads)
	if g1-g0 > n+3 {
		t.Errorf("%d goroutines for %d supervisors", g1-g0, n)
	}
	if threads > 30 {
		t.Errorf("%d threads for %d supervisors", threads, n)
	}
	for _, d := range dirs[:10] {
		if st := status(t, d); st.Pid != 0 || st.Want != 'd' {
			t.Errorf("%s: %+v", d, st)
		}
	}
	stopAll(t, dirs, sups)
}
