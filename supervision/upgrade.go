package supervision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Live upgrade: svscan execs a new executable in its own process, so
// that every service stays its child and every pipe stays open, and
// hands the new one what its supervisors know (handover.go).
//
//  1. Every supervisor is frozen at the top of its loop, between two
//     events: it finishes what it is doing (a pause after a start
//     included), says so, and waits.
//  2. The reaper and the watcher are held off (each Supervisor's mu and
//     the watcher's lock are taken), so that an exit or a readiness
//     notice that comes now stays in the kernel for the new process.
//  3. The state goes into a sealed memfd, every descriptor to keep loses
//     close-on-exec, and the executable is exec'd.
//  4. If the exec fails, everything is put back and svscan goes on as
//     it was, having reported why.
//
// The new svscan (ResumeScanner) checks each handed-over child against
// the kernel (still its child, started when it was) and takes anything
// that does not check out the way a svscan started after kill -9 would:
// from the status file, by adoption.

// HandoverEnv names the variable that gives the new svscan the memfd.
const HandoverEnv = "DAEMONTOOLS_HANDOVER"

// freezePatience bounds the wait for every supervisor to freeze (one in
// the pause after a start needs up to a second).
const freezePatience = 5 * time.Second

// freezer is the upgrade in progress: supervisors that see gotFreeze
// check in and wait for thaw, which only a failed exec closes.
type freezer struct {
	mu     sync.Mutex
	frozen sync.WaitGroup
	thaw   chan struct{}
}

var freeze freezer

// freezeHere is called by Run when it sees gotFreeze.
func (s *Supervisor) freezeHere() {
	freeze.mu.Lock()
	thaw := freeze.thaw
	freeze.mu.Unlock()
	freeze.frozen.Done()
	<-thaw
}

// supervisors lists every Supervisor the scanner runs.
func (sc *Scanner) supervisors() []*Supervisor {
	var all []*Supervisor
	for _, e := range sc.entries {
		e.reap()
		for _, s := range []*Supervisor{e.main, e.log} {
			if s != nil {
				all = append(all, s)
			}
		}
	}
	return all
}

// Upgrade replaces this process's executable with the one at path (or,
// when that is gone, this one again, through /proc/self/exe), argv
// being the new svscan's arguments. It returns only if the exec could
// not be done, having left everything as it was.
func (sc *Scanner) Upgrade(path string, argv []string) error {
	all := sc.supervisors()
	freeze.mu.Lock()
	freeze.thaw = make(chan struct{})
	freeze.frozen.Add(len(all))
	freeze.mu.Unlock()
	for _, s := range all {
		s.mu.Lock()
		s.pending |= gotFreeze
		s.mu.Unlock()
		s.wake()
	}
	waited := make(chan struct{})
	go func() { freeze.frozen.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(freezePatience):
		// Some supervisor is stuck (a hung file system, say): give up.
		// Those that froze are let go; the rest never freeze now.
		for _, s := range all {
			s.mu.Lock()
			s.pending &^= gotFreeze
			s.mu.Unlock()
		}
		close(freeze.thaw)
		<-waited
		return errors.New("not every supervisor could be stopped for the exec")
	}
	watcher.mu.Lock()
	for _, s := range all {
		s.mu.Lock()
	}
	err := sc.execWith(path, argv)
	for _, s := range all {
		s.mu.Unlock()
	}
	watcher.mu.Unlock()
	close(freeze.thaw)
	return err
}

// execWith writes the handover and execs; it returns only on failure.
func (sc *Scanner) execWith(path string, argv []string) error {
	var e encoder
	var fds []int32
	keep := func(fd int32) {
		if fd >= 0 {
			fds = append(fds, fd)
		}
	}
	e.dur(sc.Timeout)
	e.u(uint64(len(sc.entries)))
	for k, ent := range sc.entries {
		e.u(k.dev)
		e.u(k.ino)
		e.str(ent.name)
		e.bool(ent.hasLog)
		e.fd(int32(ent.pipe[0]))
		e.fd(int32(ent.pipe[1]))
		if ent.hasLog {
			keep(int32(ent.pipe[0]))
			keep(int32(ent.pipe[1]))
		}
		for _, s := range []*Supervisor{ent.main, ent.log} {
			e.bool(s != nil)
			if s == nil {
				continue
			}
			s.encode(&e)
			for _, fd := range [...]int32{s.dirfd, s.lockfd, s.okfd, s.ctlfd, s.controlW, s.pidfd} {
				keep(fd)
			}
			if x := s.m.x; x != nil {
				keep(x.io.pipe)
				keep(x.io.sock)
			}
		}
	}
	head := []byte(handoverMagic)
	head = binary.LittleEndian.AppendUint16(head, handoverVersion)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(fds)))
	for _, fd := range fds {
		head = binary.LittleEndian.AppendUint32(head, uint32(fd))
	}
	mfd, err := sealed(append(head, e.b...))
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	for _, fd := range fds {
		cloexec(int(fd), false)
	}
	env := append(withoutHandover(syscall.Environ()), HandoverEnv+"="+strconv.Itoa(mfd))
	if v, ok := nofileHandover(); ok {
		env = append(env, HandoverNofileEnv+"="+v)
	}
	list, pending := pendingSignals()
	if list != "" {
		env = append(env, HandoverSignalsEnv+"="+list)
	}
	err = execBlocked(path, argv, env)
	if err == syscall.ENOENT || err == syscall.ENOTDIR {
		err = execBlocked("/proc/self/exe", argv, env)
	}
	putBack(pending)
	for _, fd := range fds {
		cloexec(int(fd), true)
	}
	return err
}

// upgradeSignals are the signals svscan acts on. A signal that comes
// while the new program starts, before it has asked for them, would be
// lost (to PID 1 the kernel does not deliver what has no handler) or
// kill it; blocked across the exec, it stays pending until the new
// svscan catches it.
var upgradeSignals = [...]syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGPWR, syscall.SIGCHLD}

// execBlocked execs with upgradeSignals blocked on the exec'ing thread
// (the mask survives the exec); on failure it puts the mask back.
func execBlocked(path string, argv, env []string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	for _, sig := range upgradeSignals {
		sigaddset(&set, sig)
	}
	unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old)
	err := syscall.Exec(path, argv, env)
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	return err
}

func sigaddset(set *unix.Sigset_t, sig syscall.Signal) {
	n := uint(sig) - 1
	set.Val[n/64] |= 1 << (n % 64)
}

// cleanSpawnMask runs on the goroutine that forks every child: when
// this process started with signals blocked (after a live upgrade),
// the children would inherit them, since a child starts with its
// forking thread's mask; so that thread is kept for the forks and
// blocks nothing.
func cleanSpawnMask() {
	var cur unix.Sigset_t
	if unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur) != nil || cur == (unix.Sigset_t{}) {
		return
	}
	runtime.LockOSThread()
	var none unix.Sigset_t
	unix.PthreadSigmask(unix.SIG_SETMASK, &none, nil)
}

// sealed makes a memfd holding b, sealed against any change, without
// close-on-exec: the new process reads it.
func sealed(b []byte) (int, error) {
	fd, err := unix.MemfdCreate("daemontools-handover", unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, err
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
		b = b[n:]
	}
	unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE)
	// The new process reads it from the start, through this same open
	// file (and offset).
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func cloexec(fd int, on bool) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		return
	}
	if on {
		flags |= unix.FD_CLOEXEC
	} else {
		flags &^= unix.FD_CLOEXEC
	}
	unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags)
}

func withoutHandover(env []string) []string {
	out := env[:0:0]
	for _, v := range env {
		if !strings.HasPrefix(v, HandoverEnv+"=") && !strings.HasPrefix(v, HandoverSignalsEnv+"=") && !strings.HasPrefix(v, HandoverNofileEnv+"=") {
			out = append(out, v)
		}
	}
	return out
}

// startTicks is the kernel's start time of pid (clock ticks since
// boot), 0 when there is no such process.
func startTicks(pid int) uint64 {
	if pid <= 0 {
		return 0
	}
	f, ok := statFields(pid)
	if !ok {
		return 0
	}
	t, _ := strconv.ParseUint(string(f[19]), 10, 64)
	return t
}

// ourChild reports whether pid is still the process handed over: alive,
// started at ticks, and (unless it was adopted, and is nobody's child
// of ours) a child of this process.
func ourChild(pid int, ticks int64, adopted bool) bool {
	f, ok := statFields(pid)
	if !ok || f[0][0] == 'X' {
		return false
	}
	if t, _ := strconv.ParseInt(string(f[19]), 10, 64); t != ticks {
		return false
	}
	if adopted {
		return true
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	return ppid == os.Getpid()
}

// statFields returns the fields of /proc/PID/stat after the command
// name: state, ppid, ...
func statFields(pid int) ([][]byte, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return nil, false
	}
	return f, true
}
