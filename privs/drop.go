package privs

import (
	"runtime"
	"syscall"
	"unsafe"
)

// Drop switches the whole process to uid and gid the way daemontools'
// setuidgid does, in its order: the supplementary groups become exactly
// {gid}, then the gid, then the uid. Go's syscall wrappers apply each
// change to every thread of the process, so no thread keeps root.
func Drop(uid, gid int) error {
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return opErr(OpSetgid, "", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return opErr(OpSetgid, "", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return opErr(OpSetuid, "", err)
	}
	return nil
}

// ExecAs is setuidgid's drop followed at once by the exec ExecChain
// does: it returns only on failure, and the caller must then exit.
//
// Unlike Drop it changes the credentials of the calling thread only, and
// execs from that same thread. That is enough: execve(2) runs the new
// program with the calling thread's credentials and ends every other
// thread, and until then the others run nothing but the Go runtime's own
// housekeeping (there is no other goroutine). Changing every thread
// means stopping the world and signalling each thread three times, which
// costs about as much as the rest of setuidgid's start-up on a machine
// where context switches are dear (measured: 52 against 23 context
// switches per run).
//
// When the program is one of our own applets, which may then run in
// this process (see runInProcess), every thread must change before a
// program that starts goroutines of its own runs here: it drops with
// Drop instead, and execChain decides again under the new ids, which may
// also end in the exec. Unless nothing in the rest of the chain names
// such a program, or a loader that may wait long (endsElsewhere), and
// this is the main thread: `setuidgid nobody softlimit -o 100 true`
// then keeps the change to this thread, runs the loaders that follow
// on it, and execs the last program from it; should the chain reach a
// program of ours after all, runInProcess execs it instead
// (threadCreds).
func ExecAs(uid, gid int, cands, argv, env []string) error {
	if inProcessAllowed() && findTarget(cands, argv).applet {
		// The loaders that follow on this thread alone: only on the
		// main thread, whose ids are the ones /proc/PID/status shows
		// and kill(2) checks.
		if endsElsewhere(argv) {
			runtime.LockOSThread()
			if syscall.Gettid() == syscall.Getpid() {
				lockedMain = true
				if err := dropLocked(uid, gid); err != nil {
					return err
				}
				return execChain(cands, argv, env, nil)
			}
			runtime.UnlockOSThread()
		}
		if err := Drop(uid, gid); err != nil {
			return err
		}
		credsChanged = true
		return execChain(cands, argv, env, nil)
	}
	if err := dropThread(uid, gid); err != nil {
		return err
	}
	return execChain(cands, argv, env, nil)
}

// dropThread is Drop for the calling thread alone, which it locks the
// goroutine to for good.
func dropThread(uid, gid int) error {
	runtime.LockOSThread()
	return dropLocked(uid, gid)
}

// dropLocked is dropThread once the goroutine is locked.
func dropLocked(uid, gid int) error {
	groups := [1]uint32{uint32(gid)}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETGROUPS, 1, uintptr(unsafe.Pointer(&groups[0])), 0); e != 0 {
		return opErr(OpSetgid, "", e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETGID, uintptr(gid), 0, 0); e != 0 {
		return opErr(OpSetgid, "", e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETUID, uintptr(uid), 0, 0); e != 0 {
		return opErr(OpSetuid, "", e)
	}
	threadCreds, credsChanged = true, true
	return nil
}

// threadCreds records that only the locked thread has the credentials
// setuidgid gave (dropThread): the chain loaders, which run on it alone,
// may still run here, and nothing else.
var threadCreds bool

// endsElsewhere reports whether no word of argv names one of our
// applets other than a chain loader (as argv[0] of the exec would name
// it): then the chain argv starts, however its loaders parse their
// arguments, cannot end in a program of ours. Nor may it name setlock
// or fghack, which can wait for as long as a daemon runs: so mixed a
// state must not last (another user could not signal the process, as
// it could the reference's).
// It may be wrong both ways (an argument that only looks like one, a
// link of another name); runInProcess keeps that safe.
func endsElsewhere(argv []string) bool {
	if selfResolve == nil {
		return false
	}
	for _, w := range argv {
		if name, ok := selfResolve([]string{w}); ok && !passesOn(name) {
			return false
		}
	}
	return true
}

// isLoader reports whether name is one of chainLoaders.
func isLoader(name string) bool {
	for _, l := range chainLoaders {
		if name == l {
			return true
		}
	}
	return false
}
