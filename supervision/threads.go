package supervision

import (
	"runtime"
	"sync"
)

// OS threads are the one resource of svscan's whose exhaustion the Go
// runtime does not report but dies of: when it needs a thread and
// clone(2) fails (the tree's cgroup at pids.max, the user at
// RLIMIT_NPROC, or the runtime's own limit of 10000), it prints
// "runtime: failed to create new OS thread" and ends the process, with
// it every supervisor. The reference's supervise processes each fail
// alone, and only at fork.
//
// So the number of threads svscan needs is bounded, and svscan makes
// them all before it starts anything. A goroutine holds a thread of its
// own only while it is in a blocking system call; the supervisors park
// in the poller and take none, and the calls that block are made by a
// known few goroutines: the scanner, the worker and its spares
// (offload, bounded by spareWorkers), the spawner, and the one writer
// of stderr at a time (applets/internal/diag). Besides those the
// runtime wants one thread per P to run goroutines, its monitor, and
// the thread that waits for signals. The runtime never gives an idle
// thread back, so threads made at start-up, when the tree has not yet
// used up its process limit, are there when they are needed: a mass
// restart, a stuck stderr and a fork that fails for want of processes
// then take no new one.

// blockingGoroutines is how many goroutines may be in blocking system
// calls at once: the worker and its spares, the scanner, the spawner,
// the writer of stderr, and one for the reaper's and the watcher's
// calls, which do not block but may be caught in the kernel.
const blockingGoroutines = 1 + spareWorkers + 4

// threadBudget is how many threads warmThreads makes: one per P and one
// per goroutine that may block.
func threadBudget() int { return runtime.GOMAXPROCS(0) + blockingGoroutines }

var warmOnce sync.Once

// warmThreads makes the runtime start threadBudget threads, if it has
// not that many already, and leaves them idle for later: each of that
// many goroutines locks itself to a thread, so that all of them hold
// one at the same moment, then unlocks and ends, and the thread goes
// back to the runtime's idle list.
func warmThreads() {
	warmOnce.Do(func() {
		n := threadBudget()
		var locked sync.WaitGroup
		locked.Add(n)
		release := make(chan struct{})
		var done sync.WaitGroup
		done.Add(n)
		for range n {
			go func() {
				defer done.Done()
				runtime.LockOSThread()
				locked.Done()
				<-release
				runtime.UnlockOSThread()
			}()
		}
		locked.Wait()
		close(release)
		done.Wait()
	})
}
