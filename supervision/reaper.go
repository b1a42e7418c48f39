package supervision

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/daemontools-go/daemontools/privs"
	"golang.org/x/sys/unix"
)

// One reaper serves the whole process. It alone calls wait4: a second
// waiter (os/exec's Wait, a goroutine per child) would steal statuses or
// pin an OS thread per child. Children are forked and registered under
// one lock, so the reaper never mistakes a managed child for an orphan,
// and it peeks with WNOWAIT before reaping, so that a pid stays a zombie
// (and cannot be reused) until its owner's lock is held: an owner that
// signals its child under that lock never signals a stranger.

// childOwner is whoever started a child: it is told of the exit while
// the pid is still a zombie and reaps it with the function it is given,
// under its own lock. reap reports false when the pid was not reaped
// after all (ForkExec reaps a child whose exec failed itself, and the
// pid may have been reused since the peek): the owner must then ignore
// the call.
type childOwner interface {
	childExited(pid int, reap func() (syscall.WaitStatus, bool))
}

type reaper struct {
	once   sync.Once
	mu     sync.Mutex // held across fork+register and across lookup
	owners map[int]childOwner
	sigs   chan os.Signal
	spawns chan *spawn
	// orphan, when set, hears of every child nobody owns (svscan as
	// PID 1 or subreaper). Unknown children are reaped either way.
	orphan func(pid int, ws syscall.WaitStatus)
}

var procReaper reaper

// siginfoChild mirrors the kernel's siginfo_t for SIGCHLD far enough to
// read the pid; x/sys' Siginfo hides it.
type siginfoChild struct {
	Signo  int32
	Errno  int32
	Code   int32
	_      int32
	Pid    int32
	Uid    uint32
	Status int32
	_      [100]byte
}

func (r *reaper) start() {
	r.once.Do(func() {
		r.mu.Lock()
		if r.owners == nil {
			r.owners = make(map[int]childOwner)
		}
		r.mu.Unlock()
		r.sigs = make(chan os.Signal, 1)
		signal.Notify(r.sigs, syscall.SIGCHLD)
		r.spawns = make(chan *spawn)
		go r.loop()
		go r.spawner()
	})
}

func (r *reaper) loop() {
	// Children may have ended before the reaper started (the exec of a
	// live upgrade, which may have swallowed their SIGCHLD).
	r.reapAll()
	for range r.sigs {
		r.reapAll()
	}
}

// own registers owner for pid, a child this process already has (one
// handed over by a live upgrade), before the reaper starts.
func (r *reaper) own(pid int, owner childOwner) {
	r.mu.Lock()
	if r.owners == nil {
		r.owners = make(map[int]childOwner)
	}
	r.owners[pid] = owner
	r.mu.Unlock()
}

// reapAll reaps every child that has exited, one at a time.
func (r *reaper) reapAll() {
	for {
		var si siginfoChild
		err := unix.Waitid(unix.P_ALL, 0, (*unix.Siginfo)(unsafe.Pointer(&si)),
			unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || si.Pid == 0 {
			return
		}
		pid := int(si.Pid)
		r.mu.Lock()
		owner := r.owners[pid]
		delete(r.owners, pid)
		r.mu.Unlock()
		if owner != nil {
			reaped := false
			owner.childExited(pid, func() (syscall.WaitStatus, bool) {
				ws, ok := waitOK(pid)
				reaped = ok
				return ws, ok
			})
			if !reaped {
				r.mu.Lock()
				if r.owners[pid] == nil {
					r.owners[pid] = owner
				}
				r.mu.Unlock()
			}
			continue
		}
		// Unowned: an orphan we inherited as PID 1 or subreaper, or a
		// child whose failed exec ForkExec has already reaped.
		if ws, ok := waitOK(pid); ok && r.orphan != nil {
			r.orphan(pid, ws)
		}
	}
}

func waitOK(pid int) (syscall.WaitStatus, bool) {
	var ws syscall.WaitStatus
	for {
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if err != syscall.EINTR {
			return ws, err == nil && got == pid
		}
	}
}

// spawn is one request to the spawner. The requests are used again
// (freeSpawns): the caller's attr is copied into one, so that neither
// it nor what it points to escapes, and a start makes no garbage.
type spawn struct {
	owner childOwner
	path  string
	argv  []string
	attr  syscall.ProcAttr
	files []uintptr           // attr.Files
	sys   syscall.SysProcAttr // *attr.Sys, when there is one
	// standIn, when not empty, is the message of a stand-in for a
	// child whose exec fails (startStandIn): such a child may be
	// forked without waiting for its exec (quickfork.go).
	standIn string
	pid     int
	err     error
	done    chan struct{} // buffered: the spawner never waits on it
}

// freeSpawns keeps requests for use again: the worker and its spares
// make most of them, so a few are in flight at once.
var freeSpawns = make(chan *spawn, 4)

// forkExec starts a child and registers owner for it before the reaper
// can look it up.
//
// The fork runs on one process-wide goroutine: syscall.ForkExec's frames
// are deep, and a goroutine's stack keeps the size it once needed, so
// forking on each supervisor's goroutine would leave hundreds of them
// parked on 8 KiB stacks instead of 2 KiB (forks are serialised by
// syscall.ForkLock anyway).
func (r *reaper) forkExec(owner childOwner, path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	return r.forkRun(owner, path, argv, attr, "")
}

// forkRun is forkExec for a child that, when its exec fails, turns into
// the stand-in that reports standIn: the pid is known as soon as the
// fork returns, as the reference's supervise knows it.
func (r *reaper) forkRun(owner childOwner, path string, argv []string, attr *syscall.ProcAttr, standIn string) (int, error) {
	r.start()
	var req *spawn
	select {
	case req = <-freeSpawns:
	default:
		req = &spawn{done: make(chan struct{}, 1)}
	}
	req.owner, req.path, req.argv, req.standIn = owner, path, argv, standIn
	req.files = append(req.files[:0], attr.Files...)
	req.attr = syscall.ProcAttr{Dir: attr.Dir, Env: attr.Env, Files: req.files}
	if attr.Sys != nil {
		req.sys = *attr.Sys
		req.attr.Sys = &req.sys
	}
	r.spawns <- req
	<-req.done
	pid, err := req.pid, req.err
	clear(req.files)
	*req = spawn{files: req.files[:0], done: req.done}
	if cap(req.files) <= 16 { // not one made for a high notification-fd
		select {
		case freeSpawns <- req:
		default:
		}
	}
	return pid, err
}

func (r *reaper) spawner() {
	cleanSpawnMask()
	var pool quickPool
	// A burst of starts leaves the pool as large as the most children
	// that were between clone and exec at once; once the starts have
	// stopped for a while, all but one go, before svscan's tidy-up
	// hands the free memory back (tidyDelay).
	idle := time.NewTimer(poolIdle)
	for {
		var req *spawn
		select {
		case <-idle.C:
			pool.trim()
			continue
		case q, ok := <-r.spawns:
			if !ok {
				return
			}
			req = q
		}
		idle.Reset(poolIdle)
		quick := pool.get()
		usable := quick.prepare(req.path, req.argv, &req.attr, req.standIn)
		r.mu.Lock()
		nofile.mu.Lock()
		if usable {
			quick.nofile, quick.setNofile, usable = childNofile()
		}
		if usable {
			// What a failed clone says (EAGAIN, or clone3's refusal
			// of the cgroup, which the caller tries again without) is
			// the start's, as ForkExec's.
			req.pid, req.err = quick.start()
			nofile.mu.Unlock()
		} else if lim, ok := nofile.trampoline(); ok {
			req.pid, req.err = forkTrampoline(lim, req.path, req.argv, &req.attr)
		} else {
			req.pid, req.err = syscall.ForkExec(req.path, req.argv, &req.attr)
			nofile.mu.Unlock()
		}
		pool.put(quick, usable && req.err == nil)
		if req.err == nil {
			r.owners[req.pid] = req.owner
		}
		r.mu.Unlock()
		req.done <- struct{}{}
	}
}

// poolIdle is how long the spawner waits after its last start before it
// trims its pool.
const poolIdle = time.Second

// forkTrampoline starts path through the open-files trampoline (see
// nofile.go), under lim: it forks this executable as the trampoline,
// which sets the limit and execs path, and reports as ForkExec does,
// with the error of that exec when it fails (the trampoline then writes
// it to a pipe and exits, and is reaped here, as ForkExec reaps a child
// whose exec failed). It is called with nofile.mu held and releases it
// once the child is forked: the child has its limits by then.
func forkTrampoline(lim syscall.Rlimit, path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		nofile.mu.Unlock()
		return 0, err
	}
	a := *attr
	a.Files = append(attr.Files[:len(attr.Files):len(attr.Files)], uintptr(p[1]))
	pid, err := syscall.ForkExec(selfExe, privs.TrampolineArgv(lim, len(a.Files)-1, path, argv), &a)
	nofile.mu.Unlock()
	unix.Close(p[1])
	if err == nil {
		var b [4]byte
		n := 0
		for n < len(b) {
			got, e := unix.Read(p[0], b[n:])
			if e == unix.EINTR {
				continue
			}
			if e != nil || got <= 0 {
				break
			}
			n += got
		}
		if n > 0 {
			// The exec of path failed: the trampoline has exited.
			err = privs.TrampolineErrno(b[:n])
			var ws syscall.WaitStatus
			for {
				if _, e := syscall.Wait4(pid, &ws, 0, nil); e != syscall.EINTR {
					break
				}
			}
			pid = 0
		}
	}
	unix.Close(p[0])
	return pid, err
}
