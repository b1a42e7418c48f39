package privs

import (
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The pieces of execve(2) that runInProcess does by hand, and the checks
// that tell it when it cannot.

const (
	prSetMM           = 35 // PR_SET_MM
	prSetMMMap        = 14 // PR_SET_MM_MAP
	prCapBSetRead     = 23 // PR_CAPBSET_READ
	prGetSecurebits   = 27 // PR_GET_SECUREBITS
	secbitNoroot      = 1 << 0
	secbitKeepCaps    = 1 << 4
	secbitKeepCapsLck = 1 << 5
	pfNprocExceeded   = 0x1000 // PF_NPROC_EXCEEDED, in /proc/PID/stat's flags
)

// inProcessCreds reports whether the exec of path would leave the
// credentials, the capabilities and the dumpable flag where the
// in-process path can put them:
//
//   - every user id (real, effective, saved, file system) the same, and
//     every group id: otherwise the exec would reset the saved and file
//     system ids and flag a secure exec, which the next runtime reads;
//   - path readable, or the exec would make the process non-dumpable;
//   - the capability sets those the exec computes (commoncap.c) for a
//     file with no capabilities of its own: none for other users (and
//     none effective, so that access(2), which ignores them, answers as
//     execve would); for root the bounding and inheritable sets, all
//     effective;
//   - after setuidgid in this process, not over the process limit: the
//     kernel flags that at setuid and fails the next exec ("resource
//     temporarily unavailable");
//   - the keep-capabilities flag, which the exec clears, not locked.
func inProcessCreds(path string) bool {
	var id [3]uint32
	for _, call := range [2][2]uintptr{{syscall.SYS_GETRESUID, syscall.SYS_SETFSUID}, {syscall.SYS_GETRESGID, syscall.SYS_SETFSGID}} {
		syscall.RawSyscall(call[0], uintptr(unsafe.Pointer(&id[0])), uintptr(unsafe.Pointer(&id[1])), uintptr(unsafe.Pointer(&id[2])))
		// An invalid id changes nothing and returns the current one.
		fs, _, _ := syscall.RawSyscall(call[1], ^uintptr(0), 0, 0)
		if id[0] != id[1] || id[1] != id[2] || uint32(fs) != id[0] {
			return false
		}
	}
	if syscall.Access(path, 4 /* R_OK */) != nil {
		return false
	}
	sec, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prGetSecurebits, 0, 0)
	if e != 0 || sec&secbitNoroot != 0 || (sec&secbitKeepCaps != 0 && sec&secbitKeepCapsLck != 0) {
		return false
	}
	hdr := struct {
		version uint32
		pid     int32
	}{0x20080522, 0} // _LINUX_CAPABILITY_VERSION_3
	var d [2]struct{ effective, permitted, inheritable uint32 }
	if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&d[0])), 0); e != 0 {
		return false
	}
	eff := uint64(d[0].effective) | uint64(d[1].effective)<<32
	prm := uint64(d[0].permitted) | uint64(d[1].permitted)<<32
	inh := uint64(d[0].inheritable) | uint64(d[1].inheritable)<<32
	if syscall.Getuid() != 0 {
		if eff != 0 || prm != 0 {
			return false
		}
	} else if prm != boundingSet()|inh || eff != prm {
		return false
	}
	if credsChanged {
		var buf [1024]byte
		f := procFields("/proc/thread-self/stat", buf[:])
		if len(f) < 7 {
			return false
		}
		if flags, err := strconv.ParseUint(f[6], 10, 64); err != nil || flags&pfNprocExceeded != 0 {
			return false
		}
	}
	return true
}

var bset struct {
	caps uint64
	read bool
}

// boundingSet returns the capability bounding set, read once: only
// PR_CAPBSET_DROP changes it, which nothing here calls.
func boundingSet() uint64 {
	if !bset.read {
		bset.read = true
		for c := uintptr(0); c < 64; c++ {
			r, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prCapBSetRead, c, 0)
			if e != 0 {
				break
			}
			if r == 1 {
				bset.caps |= 1 << c
			}
		}
	}
	return bset.caps
}

// execCreds does what the exec does to a process whose credentials
// inProcessCreds accepted: it can be dumped and traced again (setuid
// had made it non-dumpable), and the keep-capabilities flag is off.
func execCreds() {
	if d, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_DUMPABLE, 0, 0); d != 1 {
		syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 1, 0)
	}
	if k, _, _ := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_GET_KEEPCAPS, 0, 0); k == 1 {
		syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_KEEPCAPS, 0, 0)
	}
}

var lsmState int8 // 0 not yet looked at, 1 unconfined, -1 confined

// sysLSMGetSelfAttr is lsm_get_self_attr(2) (Linux 6.8), and
// lsmAttrCurrent its LSM_ATTR_CURRENT.
const (
	sysLSMGetSelfAttr = 459
	lsmAttrCurrent    = 100
)

// unconfined reports whether no security module can make the exec
// change the process's domain: /proc/self/attr/current is missing or
// unsupported (no such module), or AppArmor says unconfined. A label
// (SELinux, Smack, an AppArmor profile) may change at exec, which only
// the exec can do. Since Linux 6.8 one system call tells that no module
// keeps a label (EOPNOTSUPP), for a sixth of what opening /proc costs;
// any other answer is left to /proc.
func unconfined() bool {
	if lsmState == 0 {
		lsmState = -1
		var size uint32
		if _, _, e := syscall.RawSyscall6(sysLSMGetSelfAttr, lsmAttrCurrent, 0, uintptr(unsafe.Pointer(&size)), 0, 0, 0); e == syscall.EOPNOTSUPP {
			lsmState = 1
			return true
		}
		fd, err := syscall.Open("/proc/self/attr/current", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.ENOENT {
			lsmState = 1
		} else if err == nil {
			var b [64]byte
			n, err := syscall.Read(fd, b[:])
			syscall.Close(fd)
			if s := string(b[:max(n, 0)]); err == syscall.EINVAL || s == "unconfined" || s == "unconfined\n" {
				lsmState = 1
			}
		}
	}
	return lsmState == 1
}

// procFields reads a /proc stat file into buf and returns its fields
// from the third on (the state), past the command name in parentheses,
// which may hold spaces: f[0] is field 3, f[n] field n+3.
func procFields(path string, buf []byte) []string {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return nil
	}
	s := string(buf[:n])
	i := len(s) - 1
	for i >= 0 && s[i] != ')' {
		i--
	}
	f := make([]string, 0, 52) // /proc/PID/stat has 52 fields
	for start, j := -1, i+1; j <= len(s); j++ {
		if j == len(s) || s[j] == ' ' || s[j] == '\n' {
			if start >= 0 {
				f = append(f, s[start:j])
				start = -1
			}
		} else if start < 0 {
			start = j
		}
	}
	return f
}

// listDir returns the numbers a /proc directory lists (fd, task).
func listDir(dir string) ([]int, bool) {
	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(dfd)
	var out []int
	var buf [2048]byte
	for {
		n, err := syscall.Getdents(dfd, buf[:])
		if err != nil {
			return nil, false
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			// struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name
			reclen := int(*(*uint16)(unsafe.Pointer(&buf[off+16])))
			name := buf[off+19 : off+reclen]
			v, ok := 0, len(name) > 0 && name[0] != 0
			for _, c := range name {
				if c == 0 {
					break
				}
				if c < '0' || c > '9' {
					ok = false
					break
				}
				v = v*10 + int(c-'0')
			}
			if ok && v != dfd {
				out = append(out, v)
			}
			off += reclen
		}
	}
	return out, true
}

// planFds returns the close-on-exec descriptors to close for the exec:
// all but the runtime's own (see NoteStart). It reports false when the
// runtime's are no longer where a fresh start would open them (the
// lowest numbers that no descriptor the exec keeps holds), or when one
// that may be the runtime's poller appeared since (an anonymous inode
// opened after start-up): the next program would then not find the
// descriptors a fresh start gives it.
func planFds() ([]int, bool) {
	fds, ok := listDir("/proc/self/fd")
	if !ok {
		return nil, false
	}
	var closing []int
	kept := map[int]bool{}
	for _, fd := range fds {
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		switch {
		case e != 0:
		case flags&syscall.FD_CLOEXEC == 0:
			kept[fd] = true
		case isRuntimeFd(fd):
		default:
			var b [16]byte
			n, _ := syscall.Readlink("/proc/self/fd/"+strconv.Itoa(fd), b[:])
			if n >= 11 && string(b[:11]) == "anon_inode:" {
				return nil, false
			}
			closing = append(closing, fd)
		}
	}
	want := 0
	for _, fd := range runtimeFds {
		for kept[want] {
			want++
		}
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if fd != want || e != 0 || flags&syscall.FD_CLOEXEC == 0 {
			return nil, false
		}
		want++
	}
	return closing, true
}

func isRuntimeFd(fd int) bool {
	for _, r := range runtimeFds {
		if r == fd {
			return true
		}
	}
	return false
}

// layout holds the process's code, stack, data and heap start, which
// newImage gives back to the kernel as they are: they do not change.
var layout struct {
	v    [6]uint64
	read bool
}

// newImage gives the process the argument and environment areas the
// exec would lay out: argv's strings one after the other, each ending in
// a NUL, then env's, in memory of their own, which the kernel is told
// about with prctl(PR_SET_MM_MAP) (allowed without privilege; it needs
// a kernel built with CONFIG_CHECKPOINT_RESTORE). /proc/PID/cmdline and
// environ, and so ps, then show exactly argv and env. The other fields
// of the map are given back as they are (/proc/self/stat, brk(0)). It
// returns argv as strings that lie in the new area, for os.Args: the
// dispatcher and readproctitle write into it.
func newImage(argv, env []string) ([]string, error) {
	if !layout.read {
		var buf [1024]byte
		f := procFields("/proc/self/stat", buf[:])
		if len(f) < 49 {
			return nil, syscall.EINVAL
		}
		for i, field := range [6]int{26, 27, 28, 45, 46, 47} {
			n, err := strconv.ParseUint(f[field-3], 10, 64)
			if err != nil {
				return nil, err
			}
			layout.v[i] = n
		}
		layout.read = true
	}
	v := layout.v
	size := 0
	for _, list := range [2][]string{argv, env} {
		for _, s := range list {
			size += len(s) + 1
		}
	}
	page := syscall.Getpagesize()
	// The area is never unmapped once in use, so it needs none of the
	// bookkeeping syscall.Mmap keeps for Munmap (a map, made on first
	// use: a tenth of this function's time).
	length := (size + page - 1) / page * page
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(length), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	area := unsafe.Slice((*byte)(p), length)
	args := make([]string, len(argv))
	off := 0
	for i, s := range argv {
		copy(area[off:], s)
		args[i] = unsafe.String(&area[off], len(s))
		off += len(s) + 1
	}
	argEnd := off
	for _, s := range env {
		copy(area[off:], s)
		off += len(s) + 1
	}
	base := uint64(uintptr(unsafe.Pointer(&area[0])))
	brk, _, _ := syscall.RawSyscall(syscall.SYS_BRK, 0, 0, 0)
	m := struct {
		startCode, endCode, startData, endData, startBrk, brk, startStack uint64
		argStart, argEnd, envStart, envEnd, auxv                          uint64
		auxvSize, exeFd                                                   uint32
	}{
		startCode: v[0], endCode: v[1], startStack: v[2], startData: v[3], endData: v[4], startBrk: v[5], brk: uint64(brk),
		argStart: base, argEnd: base + uint64(argEnd), envStart: base + uint64(argEnd), envEnd: base + uint64(off),
		exeFd: ^uint32(0), // keep /proc/PID/exe
	}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prSetMM, prSetMMMap, uintptr(unsafe.Pointer(&m)), unsafe.Sizeof(m), 0, 0); e != 0 {
		unix.MunmapPtr(p, uintptr(length))
		return nil, e
	}
	return args, nil
}

// mainName is the name runInProcess last gave the main thread, the one
// ps and pgrep see; see MainThreadName.
var mainName string

// MainThreadName returns the name the in-process chain last gave the
// process's main thread, "" when it gave none. After nameMain the other
// threads may still carry an older name, so asking the calling thread
// would not tell.
func MainThreadName() string { return mainName }

// lockedMain records that the goroutine is locked to the main thread
// (setuidgid's change of this thread only, in ExecAs): prctl names it.
var lockedMain bool

// nameMain names the main thread as the exec names the process (the
// file's base name, cut to 15 bytes), and no other: for a loader that
// passes the process on at once, the only name seen from outside while
// it runs. The program that stays in the process names them all
// (nameThreads). Unless the goroutine is locked to the main thread, it
// may be on another one, even between a check and the prctl: the name
// is then written through /proc, which names any thread.
func nameMain(name string) {
	var comm [16]byte
	n := copy(comm[:15], name)
	if lockedMain {
		syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0)
	} else {
		writeComm(syscall.Getpid(), comm[:n])
	}
	mainName = string(comm[:n])
}

// writeComm gives thread tid of this process the name comm, through
// /proc.
func writeComm(tid int, comm []byte) {
	if fd, err := syscall.Open("/proc/self/task/"+strconv.Itoa(tid)+"/comm", syscall.O_WRONLY|syscall.O_CLOEXEC, 0); err == nil {
		syscall.Write(fd, comm)
		syscall.Close(fd)
	}
}

// nameThreads names every thread of the process as the exec names the
// one it leaves (the file's base name, cut to 15 bytes): threads the
// runtime starts later take the name of the thread that starts them.
// A thread started while the names are written may keep the old one,
// so the list is read again until it brings no new thread.
func nameThreads(name string) {
	var comm [15]byte
	n := copy(comm[:], name)
	mainName = string(comm[:n])
	done := map[int]bool{}
	for round := 0; round < 4; round++ {
		tids, ok := listDir("/proc/self/task")
		if !ok {
			return
		}
		fresh := false
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			done[tid], fresh = true, true
			writeComm(tid, comm[:n])
		}
		if !fresh {
			return
		}
	}
}
