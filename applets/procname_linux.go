package applets

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/daemontools-go/daemontools/privs"
)

// What ps, pgrep, pidof and the like call a process comes from two
// places: the main thread's name (/proc/PID/comm and the second field of
// /proc/PID/stat, what `ps -C NAME` and `ps -o comm` match), which the
// kernel takes from the file name given to execve and prctl(PR_SET_NAME)
// changes; and the argument area the kernel laid out at exec
// (/proc/PID/cmdline, what `ps -o args` shows and pidof matches
// argv[0] of). Started as `daemontools svscan /service`, both say
// daemontools; become makes both say what `svscan /service` started
// through a link says, without a re-exec, which would lose the signal
// state the entry hook recorded (privs/start.go).

// become names the process after the applet name it runs as from argv
// (`daemontools NAME ARG...`, argv[1] == name) and returns the argv for
// its Main: NAME ARG....
func become(name string, argv []string) []string {
	nameThread(name)
	args, ok := shiftArgs(argv)
	if !ok {
		return append([]string{name}, argv[2:]...)
	}
	os.Args = append([]string(nil), args...)
	return args
}

// nameThread sets the name of the process's main thread, the one ps
// shows, to name (cut to the kernel's 15 bytes). prctl(PR_SET_NAME)
// names only the calling thread: main.main normally runs on the main
// thread (the runtime runs it there after the init functions), and
// where it does not, the name is written to /proc/self/task/PID/comm,
// which names any thread of the process. Keeping main locked to the
// main thread from init instead would cost a thread, and 4 page faults,
// at every start.
//
// So would the lock here (the runtime starts a thread of its own at the
// first LockOSThread), and most starts do not need it: through a link,
// the kernel has already named the process after the link. Until the
// first rename every thread carries that name, so whichever thread asks
// (PR_GET_NAME) learns the main thread's name.
func nameThread(name string) {
	if m := privs.MainThreadName(); m != "" {
		// A loader of this process ran us in its place and named
		// the main thread (privs.runInProcess); the other threads
		// may still carry the loader's name.
		if m == name[:min(len(name), 15)] {
			return
		}
	} else if !renamed {
		var cur [16]byte
		syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_NAME, uintptr(unsafe.Pointer(&cur[0])), 0)
		if n := min(len(name), 15); string(cur[:n]) == name[:n] && cur[n] == 0 {
			return
		}
	}
	renamed = true
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var buf [16]byte
	copy(buf[:15], name)
	pid := syscall.Getpid()
	if syscall.Gettid() == pid {
		syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&buf[0])), 0)
		return
	}
	setComm(pid, name)
}

// renamed records that nameThread has named the main thread: from then
// on, other threads may still carry the name the process started with.
var renamed bool

// setComm names thread tid of this process through /proc.
func setComm(tid int, name string) error {
	fd, err := syscall.Open("/proc/self/task/"+decimal(tid)+"/comm", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	_, err = syscall.Write(fd, []byte(name))
	return err
}

// decimal formats a non-negative n.
func decimal(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// shiftArgs moves argv[1:] to the start of the process's argument area,
// in place, NUL-padded to the area's length, and returns strings that
// lie in the area at their new places. The Go runtime makes os.Args from
// that area without copying (which is also how readproctitle writes its
// title), so the applet's arguments stay there, exactly as they are
// when it is started through a link; argv's own strings are not used
// again. The kernel shows the whole area, so /proc/PID/cmdline ends in
// as many extra NULs as `daemontools ` had bytes: ps, pgrep and pidof
// read up to the last argument and ignore them.
//
// It does nothing, and returns false, unless argv is os.Args as the
// runtime made it: every string where the one before it ends, past one
// NUL.
func shiftArgs(argv []string) ([]string, bool) {
	if len(argv) < 2 || len(os.Args) != len(argv) {
		return nil, false
	}
	base := unsafe.StringData(argv[0])
	if base == nil {
		return nil, false
	}
	size := 0
	for i, s := range argv {
		o := os.Args[i]
		if len(o) != len(s) || unsafe.StringData(o) != unsafe.StringData(s) ||
			unsafe.StringData(s) != (*byte)(unsafe.Add(unsafe.Pointer(base), size)) {
			return nil, false
		}
		size += len(s) + 1
	}
	area := unsafe.Slice(base, size)
	off := 0
	for _, s := range argv {
		off += len(s)
		if area[off] != 0 {
			return nil, false
		}
		off++
	}
	moved := make([]byte, 0, size)
	for _, s := range argv[1:] {
		moved = append(moved, s...)
		moved = append(moved, 0)
	}
	copy(area, moved)
	clear(area[len(moved):])
	args := make([]string, len(argv)-1)
	off = 0
	for i, s := range argv[1:] {
		args[i] = unsafe.String(&area[off], len(s))
		off += len(s) + 1
	}
	return args, true
}
