package supervision

import (
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/daemontools-go/daemontools/privs"
	"golang.org/x/sys/unix"
)

// The reference's supervise forks and writes the new pid to status as
// soon as fork returns, while the child is still on its way to exec
// ./run. syscall.ForkExec cannot: it clones with CLONE_VFORK, so the
// calling thread sleeps until the child has exec'd or failed, which on
// a machine with an idle CPU costs two wake-ups of that CPU (the child
// placed there, then the parent woken back) before the status can be
// written. A plain fork does not wait, but in a process with several
// threads every page the parent writes afterwards is copied, each copy
// flushing the other CPUs' TLBs: measured, that doubled the time from t
// to the new pid in status.
//
// So a start of ./run is cloned here with CLONE_VM and without
// CLONE_VFORK (quickclone_linux_amd64.s): the child shares the memory,
// runs on a stack of its own, does what ForkExec's child would have
// done and execs, while the parent carries on at once. CLONE_CHILD_-
// CLEARTID has the kernel clear quickChild.live when the child lets go
// of the memory (at its exec, or its end), and only then is its
// quickChild (and stack) used again. An exec that fails cannot be
// reported to a parent that did not wait for it, so the child turns
// itself into the stand-in (startStandIn), which reports the failure
// and exits 111: the same pid, announced up and then reaped, as the
// reference's child.
//
// The child runs without the Go runtime: only nosplit code and raw
// system calls (no allocation, no locks, no stack growth), as the child
// half of ForkExec, and it writes nothing but its own stack and its
// quickChild. Signals stay blocked until their handlers (the runtime's,
// the child has a copy of the table) are gone.

// quickChild is everything the child needs, made before the clone.
type quickChild struct {
	live      int32   // 1 until the child has let go of the memory
	path, dir *byte   // dir nil: stay where the parent is
	argv      []*byte // NULL-terminated
	envv      []*byte // NULL-terminated
	fds       []int   // the child's descriptor i is fds[i]
	setpgid   bool
	cgroup    int            // >= 0: clone3 into this cgroup
	nofile    syscall.Rlimit // the open-files limit, if setNofile
	setNofile bool           // false: the parent's limit stays
	mask      uint64         // the signal mask ./run starts with
	ignored   uint64         // bit sig-1: ignored when svscan started
	stack     []byte

	// Where the strings and the lists above are kept: made for the
	// first start, and used again by the next ones.
	strs []byte
	ptrs []*byte

	// The stand-in: execs standPath with standArgv and standEnvv
	// after writing the errno into errnoDigits (in standEnvv[0]).
	standPath   *byte
	standArgv   []*byte
	standEnvv   []*byte
	errnoDigits []byte
}

// quickStack is the child's stack: a few nosplit frames.
const quickStack = 8 << 10

// cloneArgs is struct clone_args, up to cgroup (CLONE_ARGS_SIZE_VER2).
type cloneArgs struct {
	flags, pidfd, childTID, parentTID, exitSignal, stack, stackSize, tls, setTID, setTIDSize, cgroup uint64
}

// quickPool holds the quickChild values the spawner made, for reuse once
// their child has let go of them. Only the spawner uses it.
type quickPool struct {
	busy []*quickChild // children that may still be using theirs
	free []*quickChild
}

// reclaim moves the busy ones whose child has let go to the free ones.
func (p *quickPool) reclaim() {
	kept := p.busy[:0]
	for _, c := range p.busy {
		if atomic.LoadInt32(&c.live) == 0 {
			p.free = append(p.free, c)
		} else {
			kept = append(kept, c)
		}
	}
	clear(p.busy[len(kept):])
	p.busy = kept
}

// get returns a quickChild no child uses.
func (p *quickPool) get() *quickChild {
	p.reclaim()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		*c = quickChild{stack: c.stack, strs: c.strs[:0], ptrs: c.ptrs[:0], fds: c.fds[:0]}
		return c
	}
	return &quickChild{stack: make([]byte, quickStack)}
}

// trim keeps one free quickChild and lets the rest go, with their
// stacks; those a child may still use stay.
func (p *quickPool) trim() {
	p.reclaim()
	if len(p.free) > 1 {
		p.free = []*quickChild{p.free[0]}
	}
	if len(p.busy) == 0 {
		p.busy = nil
	}
}

// put gives c back: to the free ones if no child got it, else to the
// busy ones until the child lets go.
func (p *quickPool) put(c *quickChild, cloned bool) {
	if cloned {
		p.busy = append(p.busy, c)
	} else {
		p.free = append(p.free, c)
	}
}

// prepare fills c in for a start of path, or reports false when this
// start needs ForkExec: something is asked that the child here does not
// do, or there is no stand-in to report a failed exec (none was asked
// for, or /proc/self/exe is missing). standIn is the stand-in's message.
// The open-files limit is the spawner's to fill in (childNofile), under
// nofile.mu.
func (c *quickChild) prepare(path string, argv []string, attr *syscall.ProcAttr, standIn string) bool {
	if !quickClone || standIn == "" {
		return false
	}
	c.cgroup = -1
	if sys := attr.Sys; sys != nil {
		if !onlyPgidCgroup(sys) {
			return false
		}
		c.setpgid = sys.Setpgid
		if sys.UseCgroupFD {
			c.cgroup = sys.CgroupFD
		}
	}
	exe := selfExePath()
	fdcwd := unix.AT_FDCWD // a variable: as a constant, -100 is no uintptr
	if _, _, e := unix.Syscall(unix.SYS_FACCESSAT, uintptr(fdcwd), uintptr(unsafe.Pointer(exe.p)), unix.X_OK); e != 0 {
		return false
	}
	// Every string the child takes, NUL-terminated, in c.strs: sized
	// first, so that no append moves what a pointer was taken to.
	const standArg = "supervise"
	size := len(path) + len(attr.Dir) + len(standArg) + len(standInHead) + len(standIn) + 4
	for _, a := range argv {
		size += len(a) + 1
	}
	if cap(c.strs) < size {
		c.strs = make([]byte, 0, size)
	}
	var ok bool
	if c.path, ok = c.cstring(path); !ok {
		return false
	}
	if attr.Dir != "" {
		if c.dir, ok = c.cstring(attr.Dir); !ok {
			return false
		}
	}
	// argv, the stand-in's argv and its environment, each ending in
	// nil, share c.ptrs.
	if need := len(argv) + 5; cap(c.ptrs) < need {
		c.ptrs = make([]*byte, 0, need)
	}
	for _, a := range argv {
		p, ok := c.cstring(a)
		if !ok {
			return false
		}
		c.ptrs = append(c.ptrs, p)
	}
	c.ptrs = append(c.ptrs, nil)
	c.argv = c.ptrs[:len(c.ptrs):len(c.ptrs)]
	var err error
	if c.envv, err = envPtrs(attr.Env); err != nil {
		return false
	}
	for _, fd := range attr.Files {
		c.fds = append(c.fds, int(fd))
	}
	// A signal ignored when this process started stays ignored in
	// ./run, as through the reference's svscan and supervise, which
	// leave every disposition alone but SIGCHLD's.
	c.ignored = privs.IgnoredAtStart() &^ (1 << (syscall.SIGCHLD - 1))
	// The stand-in's report, with the errno's digits to fill in.
	if strings.IndexByte(standIn, 0) >= 0 {
		return false
	}
	at := len(c.strs)
	c.strs = append(appendStandInVar(c.strs, standIn), 0)
	env := &c.strs[at]
	c.errnoDigits = standInDigits(c.strs[at:])
	c.standPath = exe.p
	arg0, _ := c.cstring(standArg)
	c.ptrs = append(c.ptrs, arg0, nil, env, nil)
	n := len(c.ptrs)
	c.standArgv, c.standEnvv = c.ptrs[n-4:n-2], c.ptrs[n-2:n]
	return true
}

// cstring appends s and a NUL to c.strs, which has room for them, and
// returns where it starts there; false if s has a NUL in it, which
// execve could not take.
func (c *quickChild) cstring(s string) (*byte, bool) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, false
	}
	at := len(c.strs)
	c.strs = append(append(c.strs, s...), 0)
	return &c.strs[at], true
}

// selfExeName is selfExe as the kernel takes it, made again only when
// selfExe changes (a test's).
type selfExeName struct {
	s string
	c cpath
}

var selfExeC atomic.Pointer[selfExeName]

func selfExePath() cpath {
	if n := selfExeC.Load(); n != nil && n.s == selfExe {
		return n.c
	}
	n := &selfExeName{selfExe, mkcpath(selfExe)}
	selfExeC.Store(n)
	return n.c
}

// sharedEnvv is the process's own environment (defaultEnv), which
// most starts pass, as execve takes it. Only the spawner uses it.
var sharedEnvv []*byte

// envPtrs returns env as execve takes it. The environment that every
// supervisor shares is converted once and kept: converting it at each
// start made one allocation per variable per start, garbage that left
// the heap's spans sparse after a mass start. The kept copy is only
// read, by any number of children at once.
func envPtrs(env []string) ([]*byte, error) {
	if pe := defaultEnv(); len(env) == 0 || len(pe) != len(env) || &pe[0] != &env[0] {
		return syscall.SlicePtrFromStrings(env)
	}
	if sharedEnvv == nil {
		v, err := syscall.SlicePtrFromStrings(env)
		if err != nil {
			return nil, err
		}
		sharedEnvv = v
	}
	return sharedEnvv, nil
}

// onlyPgidCgroup reports whether sys asks for nothing but Setpgid (to
// the child's own group) and a cgroup.
func onlyPgidCgroup(sys *syscall.SysProcAttr) bool {
	return sys.Chroot == "" && sys.Credential == nil && !sys.Ptrace && !sys.Setsid &&
		sys.Pgid == 0 && !sys.Setctty && !sys.Noctty && !sys.Foreground && sys.Pdeathsig == 0 &&
		sys.Cloneflags == 0 && sys.Unshareflags == 0 && sys.UidMappings == nil && sys.GidMappings == nil &&
		len(sys.AmbientCaps) == 0 && sys.PidFD == nil
}

// childNofile is the open-files limit a child must be given: set false
// when it is the parent's. The Go runtime raised the soft limit at
// start-up (to one short of the hard one) and gives children of
// ForkExec back the one it found; here the entry hook's record of it
// stands in for the runtime's. Without that record, a limit one short
// of the hard one may be the runtime's, and what it replaced is
// unknown: ok false. The caller holds nofile.mu.
func childNofile() (lim syscall.Rlimit, set, ok bool) {
	if lim, raised := nofile.trampoline(); raised {
		return lim, true, true
	}
	if lim, ok := privs.StartNofile(); ok {
		return lim, true, true
	}
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur == lim.Max-1 {
		return lim, false, false
	}
	return lim, false, true
}

// start clones the child and returns its pid. The clone happens under
// syscall.ForkLock (so that no descriptor made meanwhile without
// close-on-exec leaks into it, as with ForkExec) with every signal
// blocked on this thread: the child inherits the mask, and keeps it
// until its handlers are the defaults.
func (c *quickChild) start() (int, error) {
	c.live = 1
	top := uintptr(unsafe.Pointer(&c.stack[len(c.stack)-1])) &^ 15
	flags := uintptr(unix.CLONE_VM | unix.CLONE_CHILD_CLEARTID)
	var ca *cloneArgs
	if c.cgroup >= 0 {
		base := uintptr(unsafe.Pointer(&c.stack[0]))
		ca = &cloneArgs{flags: uint64(flags) | unix.CLONE_INTO_CGROUP, childTID: uint64(uintptr(unsafe.Pointer(&c.live))),
			exitSignal: uint64(syscall.SIGCHLD), stack: uint64(base), stackSize: uint64(top - base), cgroup: uint64(c.cgroup)}
	}
	syscall.ForkLock.Lock()
	runtime.LockOSThread()
	all, old := ^uint64(0), uint64(0)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	c.mask = old
	var pid, errno uintptr
	if ca != nil {
		pid, errno = cloneRun(unix.SYS_CLONE3, uintptr(unsafe.Pointer(ca)), unsafe.Sizeof(*ca), 0, 0, 0, c)
	} else {
		pid, errno = cloneRun(syscall.SYS_CLONE, flags|uintptr(syscall.SIGCHLD), top, 0, uintptr(unsafe.Pointer(&c.live)), 0, c)
	}
	if errno == 0 && c.setpgid {
		// The group exists before the pid is announced, as after
		// ForkExec: a signal to it (timeout-kill's) cannot come too
		// early. Once the child has exec'd, this fails (EACCES) and
		// the child has done it.
		syscall.Setpgid(int(pid), int(pid))
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	runtime.UnlockOSThread()
	syscall.ForkLock.Unlock()
	runtime.KeepAlive(ca)
	if errno != 0 {
		return 0, syscall.Errno(errno)
	}
	return int(pid), nil
}

// quickChildMain is the child, on its own stack (cloneRun calls it). It
// sets itself up as c says and execs c.path, or the stand-in with the
// errno of what failed; it never returns.
//
//go:nosplit
//go:norace
func quickChildMain(c *quickChild) {
	var (
		sig           uintptr
		err           syscall.Errno
		i, fd, nextfd int
		dfl, ign, old [4]uint64
	)
	// The runtime's handlers go first (a signal ignored now stays
	// ignored, as across exec), then the mask.
	ign[0] = 1 // SIG_IGN
	for sig = 1; sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		if _, _, err = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, 0, uintptr(unsafe.Pointer(&old)), 8, 0, 0); err == 0 && old[0] > 1 {
			if c.ignored&(1<<(sig-1)) != 0 {
				syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&ign)), 0, 8, 0, 0)
			} else {
				syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0)
			}
		}
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&c.mask)), 0, 8, 0, 0)
	if c.setpgid {
		if _, _, err = syscall.RawSyscall(syscall.SYS_SETPGID, 0, 0, 0); err != 0 {
			goto failed
		}
	}
	if c.dir != nil {
		if _, _, err = syscall.RawSyscall(syscall.SYS_CHDIR, uintptr(unsafe.Pointer(c.dir)), 0, 0); err != 0 {
			goto failed
		}
	}
	// As ForkExec: first every descriptor that a lower one would
	// overwrite moves out of the way, then each is put in its place
	// (without close-on-exec).
	nextfd = len(c.fds)
	for i = 0; i < len(c.fds); i++ {
		if c.fds[i] > nextfd {
			nextfd = c.fds[i]
		}
	}
	nextfd++
	for i = 0; i < len(c.fds); i++ {
		if fd = c.fds[i]; fd >= 0 && fd < i {
			if _, _, err = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(fd), uintptr(nextfd), syscall.O_CLOEXEC); err != 0 {
				goto failed
			}
			c.fds[i] = nextfd
			nextfd++
		}
	}
	for i = 0; i < len(c.fds); i++ {
		fd = c.fds[i]
		switch {
		case fd < 0:
			syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
		case fd == i:
			if _, _, err = syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFD, 0); err != 0 {
				goto failed
			}
		default:
			if _, _, err = syscall.RawSyscall(syscall.SYS_DUP3, uintptr(fd), uintptr(i), 0); err != 0 {
				goto failed
			}
		}
	}
	for i = len(c.fds); i < 3; i++ {
		syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
	}
	if c.setNofile {
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&c.nofile)), 0, 0, 0)
	}
	_, _, err = syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(c.path)), uintptr(unsafe.Pointer(&c.argv[0])), uintptr(unsafe.Pointer(&c.envv[0])))

failed:
	// The stand-in reports err, on the descriptors it finds (those of
	// ./run, if they were set up), none of them beyond 2.
	putErrno(c.errnoDigits, uint32(err))
	for i = 3; i < len(c.fds); i++ {
		syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(i), 0, 0)
	}
	syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(c.standPath)), uintptr(unsafe.Pointer(&c.standArgv[0])), uintptr(unsafe.Pointer(&c.standEnvv[0])))
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 111, 0, 0)
	}
}
