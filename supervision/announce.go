package supervision

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"

	"golang.org/x/sys/unix"
)

// announce writes the status file: status.new, then rename, as the
// reference does; failures are warnings. The work runs off the
// supervisor's goroutine (see offload).
func (s *Supervisor) announce() { s.offload(writeStatus) }

func writeStatus(s *Supervisor) event {
	s.writeStatus()
	return event{}
}

// offload runs op(s) as the package's offload does, and returns its
// event, except while New sets the Supervisor up: New runs on its
// caller's goroutine (svscan's scanner), whose stack does not matter,
// and a busy worker would hold every new service up by workerPatience
// and then by a spare. Measured with 1000 services whose run exits
// every second, the scanner got about one new service a second past
// the first 200 that way. The ops are plain functions, not closures
// over the Supervisor: an offloaded call makes no garbage.
func (s *Supervisor) offload(op func(*Supervisor) event) event {
	if s.settingUp {
		return op(s)
	}
	c := getCall()
	c.op, c.s = op, s
	return c.submit()
}

// offload runs fn on the process's worker goroutine and waits for it.
// A goroutine's stack keeps the largest size it ever needed (the runtime
// halves it only while less than a quarter is in use, and a parked
// supervisor always uses more than a quarter of 2 KiB), so every deep
// call chain (system call wrappers, status writes, messages) made on a
// supervisor's own goroutine would leave it parked on 4 or 8 KiB for
// good. Offloaded, the supervisors stay at the 2 KiB a goroutine starts
// with; hundreds of them live in svscan. One long-lived worker, rather
// than a goroutine per call, leaves no dead goroutines' stacks behind.
// If the worker is stuck (a service directory on a hung file system, a
// report to a stderr nobody reads), the call gets a goroutine of its
// own after a short wait, so that one service cannot hold up the
// others; at most spareWorkers such goroutines at a time (see
// waitForWorker).
func offload(fn func()) {
	c := getCall()
	c.fn = fn
	c.submit()
}

// offloadCall is one call handed to the worker: fn, or op on s. The
// calls are used again (freeCalls), with their channel and timer: a
// mass start offloads two or three calls per service, and each call
// made a channel, a closure and, with the worker busy, a timer, which
// were garbage at once and left the heap's spans sparse.
type offloadCall struct {
	fn    func()
	op    func(*Supervisor) event
	s     *Supervisor
	ev    event
	crash any
	done  chan struct{} // buffered: the worker never waits on it
	t     *time.Timer   // waitForWorker's, made at its first use
}

// freeCalls keeps calls for use again: as many as are likely in
// flight at once, the rest go.
var freeCalls = make(chan *offloadCall, 32)

func getCall() *offloadCall {
	select {
	case c := <-freeCalls:
		return c
	default:
		return &offloadCall{done: make(chan struct{}, 1)}
	}
}

// submit hands c to the worker, waits for it, gives c back and returns
// op's event. A panic in the call is handed back to the caller, whose
// goroutine recovers it: the worker serves every service and must
// live on.
func (c *offloadCall) submit() event {
	offloads.Add(1)
	workerOnce.Do(func() {
		work = make(chan *offloadCall)
		go func() {
			for c := range work {
				c.run()
			}
		}()
	})
	select {
	case work <- c:
	default:
		waitForWorker(c)
	}
	<-c.done
	ev, crash := c.ev, c.crash
	*c = offloadCall{done: c.done, t: c.t}
	select {
	case freeCalls <- c:
	default:
	}
	if crash != nil {
		panic(crash)
	}
	return ev
}

// run makes the call, on the worker or a spare.
func (c *offloadCall) run() {
	defer func() {
		c.crash = recover()
		c.done <- struct{}{}
	}()
	if c.op != nil {
		c.ev = c.op(c.s)
	} else {
		c.fn()
	}
}

// waitForWorker hands c to the busy worker, or to a goroutine of its
// own once workerPatience has passed. It is offload's slow path, in a
// frame of its own: the timer's call chain is deep, and offload's
// usual path is on the deepest chain of every Supervisor's goroutine.
//
// What the worker does (status writes, the service's files, reports)
// are blocking system calls, each of which holds an OS thread while it
// blocks. A goroutine per waiting call would let the threads grow with
// the services: a thousand services restarted at once took svscan from
// 9 threads to 48, and a thousand whose status writes hang would take a
// thousand, where the Go runtime kills the whole process when it cannot
// make one more (pids.max, RLIMIT_NPROC, its own limit of 10000). So
// at most spareWorkers calls run beside the worker; any further call
// waits for the worker or for one of them.
//
//go:noinline
func waitForWorker(c *offloadCall) {
	if c.t == nil {
		c.t = time.NewTimer(workerPatience)
	} else {
		c.t.Reset(workerPatience)
	}
	// A spare is asked for (slot not nil) only once the patience has
	// run out; the worker may still come first.
	var slot chan struct{}
	for {
		select {
		case work <- c:
			c.t.Stop()
			return
		case <-c.t.C:
			slot = spare
		case slot <- struct{}{}:
			go spareJob(c)
			return
		}
	}
}

// spareJob runs c on a spare's goroutine and gives the spare back.
func spareJob(c *offloadCall) {
	defer func() { <-spare }()
	c.run()
}

// workerPatience is how long offload waits for a busy worker.
const workerPatience = 200 * time.Millisecond

// spareWorkers bounds the calls that run beside a busy worker. A hung
// service directory holds one until it answers: svscan's own scan
// stops at the first such directory anyway (it stats every entry), as
// the reference's does.
const spareWorkers = 8

var (
	workerOnce sync.Once
	work       chan *offloadCall
	spare      = make(chan struct{}, spareWorkers)
	// offloads counts the calls: svscan's tidy waits for a quiet
	// while (Scanner.Run).
	offloads atomic.Uint64
)

// errPartialWrite is what daemontools reports when write(2) succeeded
// but wrote fewer bytes than asked.
var errPartialWrite = errors.New("partial write")

func (s *Supervisor) writeStatus() {
	st := Status{Stamp: s.stamp}
	s.m.status(&st)
	if x := s.m.x; x != nil {
		if at, ok := s.m.timer(); ok && st.Ext.Phase == PhaseBackoff {
			st.Ext.Restart = timefmt.FromTime(time.Now().Add(at - now()))
		}
		// The readiness stamp is taken at the first write after it.
		if x.ready && x.readyWall == (timefmt.TAI64N{}) {
			x.readyWall = timefmt.Now()
		}
		if x.ready {
			st.Ext.Ready = x.readyWall
		}
		s.mu.Lock()
		st.Ext.Text = x.mail.text
		if x.mail.stopping {
			st.Ext.Flags |= FlagStopping
		}
		s.mu.Unlock()
	}
	var buf [MaxStatusSize]byte
	b := st.Append(buf[:0])
	fd, err := s.openStatusNew()
	if err != nil {
		if isNoFiles(err) {
			// Written again when descriptors are freed; said once a
			// minute.
			markStale(s)
			s.noFilesWarn(false, "unable to open "+s.dir+"/supervise/status.new", err)
			return
		}
		s.report.Warn("unable to open "+s.dir+"/supervise/status.new", err)
		return
	}
	forgetStale(s)
	n, err := unix.Write(fd, b[:])
	unix.Close(fd)
	if err != nil {
		s.report.Warn("unable to write "+s.dir+"/supervise/status.new", err)
		return
	}
	if n < len(b) {
		s.report.Warn("unable to write "+s.dir+"/supervise/status.new", errPartialWrite)
		return
	}
	if err := renameat(int(s.dirfd), cStatusNew, cStatus); err != nil {
		s.report.Warn("unable to rename "+s.dir+"/supervise/status.new to status", err)
	}
}

// openStatusNew opens status.new for writing; out of descriptors, it
// raises the limit if it can and tries once more.
func (s *Supervisor) openStatusNew() (int, error) {
	for try := 0; ; try++ {
		fd, err := openat(int(s.dirfd), cStatusNew, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
		if err == nil || try > 0 || !isNoFiles(err) || !growNofile(softLimit()+1) {
			return fd, err
		}
	}
}
