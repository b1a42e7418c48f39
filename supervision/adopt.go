package supervision

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"github.com/daemontools-go/daemontools/timefmt"
	"golang.org/x/sys/unix"
)

// Adoption. When svscan (or supervise) is killed outright its services
// live on as orphans, and supervise/status still names them. The
// reference's next supervise starts ./run again beside the survivor;
// ours adopts the survivor instead, when it can prove that the pid in
// the status file still belongs to the process that was started then.
//
// The proof is the status file's stamp, which supervise takes within
// milliseconds of the fork (the reference just after fork, ours just
// after the exec returns), against the start time the kernel recorded
// for the process now holding that pid. A recycled pid belongs to a
// process started later, by at least the time the kernel took to hand
// out every other pid in between. Nothing is added to supervise/: the
// stamp is already there, and daemontools' and runit's clients read
// the file exactly as before.

// adoptBefore and adoptAfter bound the stamp's distance from the
// kernel's start time. The kernel's start time is in clock ticks (10
// ms) since boot, turned into wall time through the current offset
// between the two clocks; the stamp follows the fork by the time exec
// takes (milliseconds, more on a machine under heavy load). A pid
// handed out again within these three seconds would have to follow
// every other free pid doing so first.
const (
	adoptBefore = 1e9 // ns the stamp may precede the start time (rounding, clock slew)
	adoptAfter  = 2e9 // ns the stamp may follow it (fork+exec under load)
)

// pidMaxLimit is the kernel's PID_MAX_LIMIT on 64-bit systems: no pid
// is larger, so a status file naming one was not written by a
// supervisor.
const pidMaxLimit = 1 << 22

// clockTicks is USER_HZ, the unit of /proc/PID/stat's start time; it
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// startedAt reports the wall-clock start time of pid in nanoseconds
// since the Unix epoch, and false when pid is not a live process.
func startedAt(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ... starttime is the 22nd field; comm may
	// hold anything, so count from its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || f[0][0] == 'Z' || f[0][0] == 'X' {
		return 0, false
	}
	ticks, err := strconv.ParseInt(string(f[19]), 10, 64)
	if err != nil {
		return 0, false
	}
	var real, boot unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME, &real) != nil || unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot) != nil {
		return 0, false
	}
	bootedAt := real.Nano() - boot.Nano()
	return bootedAt + ticks*(1e9/clockTicks), true
}

// sameProcess reports whether pid is alive and is the process whose
// start was stamped stamp.
func sameProcess(pid int, stamp timefmt.TAI64N) bool {
	if pid <= 1 || pid == os.Getpid() {
		return false
	}
	start, ok := startedAt(pid)
	if !ok {
		return false
	}
	at := stamp.Unix()*1e9 + int64(stamp.Nano%1e9)
	d := at - start
	return d >= -adoptBefore && d <= adoptAfter
}

// survivor reads DIR/supervise/status (dirfd and name relative to it)
// and returns the status and pid of the service it names when that
// process is still the one that was started.
func survivor(dirfd int, name cpath) (Status, int, bool) {
	fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return Status{}, 0, false
	}
	var b [StatusSize]byte
	n, _ := unix.Read(fd, b[:])
	unix.Close(fd)
	if n < 0 {
		n = 0
	}
	st, err := DecodeStatus(b[:n])
	if err != nil || st.Pid == 0 || st.Pid > pidMaxLimit {
		return st, 0, false
	}
	pid := int(st.Pid)
	if !sameProcess(pid, st.Stamp) {
		return st, 0, false
	}
	return st, pid, true
}

// adopt takes over the service the status file names, if it survived
// the supervisor that started it, and returns its status and pid for
// the machine (eAdopted). It opens a pidfd first and checks the
// identity after, so that a pid recycled in between fails the check
// instead of being watched. The survivor's stamp is kept.
func (s *Supervisor) adopt() (Status, int, bool) {
	st, pid, ok := survivor(int(s.dirfd), cStatus)
	if !ok {
		return st, 0, false
	}
	pidfd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return st, 0, false
	}
	if !sameProcess(pid, st.Stamp) {
		unix.Close(pidfd)
		return st, 0, false
	}
	s.mu.Lock()
	s.live = pid
	s.pidfd = int32(pidfd)
	s.mu.Unlock()
	if err := watcher.add(pidfd, s, watchPid); err != nil {
		// Without a watch we would never notice the exit: give the
		// survivor up (the reference would start a second copy).
		s.mu.Lock()
		s.live, s.pidfd = 0, -1
		s.mu.Unlock()
		unix.Close(pidfd)
		return st, 0, false
	}
	s.stamp = st.Stamp
	return st, pid, true
}

// adoptedExited is the watcher's report that the adopted process has
// exited. Its status is not ours to collect (it is not our child), and
// the reference ignores it anyway.
func (s *Supervisor) adoptedExited(pidfd int) {
	s.mu.Lock()
	if int(s.pidfd) == pidfd {
		s.pidfd = -1
		s.live = 0
		s.pending |= gotExit
		s.ws = wsUnknown
	}
	s.mu.Unlock()
	s.wake()
}

// survivingPipe returns new descriptors for the pipe between a service
// and its logger when either survived the svscan that made it: the
// logger's stdin, or else the service's stdout, reopened through
// /proc/PID/fd. Lines the survivor writes or reads then keep flowing
// through the pipe the new svscan hands to restarts. Both ends are
// blocking and close-on-exec.
func survivingPipe(name string) (p [2]int, ok bool) {
	dirfd, err := unix.Open(name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return p, false
	}
	defer unix.Close(dirfd)
	for _, c := range []struct {
		status cpath
		fd     int
	}{{cLogStatus, 0}, {cStatus, 1}} {
		_, pid, alive := survivor(dirfd, c.status)
		if !alive {
			continue
		}
		if p, ok = reopenSharedPipe(pid, c.fd); ok {
			return p, true
		}
	}
	return p, false
}

// reopenSharedPipe opens both ends of the pipe that is descriptor fd of pid.
func reopenSharedPipe(pid, fd int) (p [2]int, ok bool) {
	path := "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd)
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return p, false
	}
	// The read end first: opening a pipe's write end without a reader
	// fails with ENXIO. Non-blocking opens, switched back afterwards
	// (these are our own open file descriptions, not the survivor's).
	r, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return p, false
	}
	wfd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(r)
		return p, false
	}
	var st2 unix.Stat_t
	if unix.Fstat(r, &st2) != nil || st2.Ino != st.Ino || st2.Dev != st.Dev {
		unix.Close(r)
		unix.Close(wfd)
		return p, false
	}
	unix.SetNonblock(r, false)
	unix.SetNonblock(wfd, false)
	return [2]int{r, wfd}, true
}

// sendSignal signals the running child: through its pidfd when it was
// adopted (it is not our child, so nothing keeps its pid from being
// recycled once it exits), else by pid, which the reaper keeps from
// being recycled while s.mu is held. Call with s.mu held.
func (s *Supervisor) sendSignal(sig syscall.Signal) {
	if s.pidfd >= 0 {
		unix.PidfdSendSignal(int(s.pidfd), sig, nil, 0)
		return
	}
	syscall.Kill(s.live, sig)
}
