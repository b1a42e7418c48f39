package supervision

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The descriptors readiness needs, in the extension.
type notifyIO struct {
	pipe int32  // the read end of the current run's notification pipe; -1: none
	sock int32  // the sd-notify socket; -1: none
	addr string // its address, as NOTIFY_SOCKET says it
	path string // its file, for a path address: removed when it is closed
}

// readinessFiles adds what the service's readiness needs to its start:
// for notification-fd a pipe whose write end the child gets as that
// descriptor, for sd-notify the socket's address in its environment.
// It returns the pipe's read end (-1 without one), which the caller
// watches once the child runs, or closes.
func (s *Supervisor) readinessFiles(files []uintptr, env []string) ([]uintptr, []string, int, int) {
	x := s.m.x
	r, w := -1, -1
	if fd := x.cfg.notifyFD; fd != 0 {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			s.report.Warn("unable to create a notification pipe for "+s.dir, err)
		} else {
			r, w = p[0], p[1]
			for len(files) <= fd {
				files = append(files, ^uintptr(0)) // closed in the child
			}
			files[fd] = uintptr(w)
		}
	}
	if x.cfg.sdNotify && s.openNotifySocket() {
		env = append(env[:len(env):len(env)], "NOTIFY_SOCKET="+x.io.addr)
		if x.cfg.watchdog != 0 {
			env = append(env, "WATCHDOG_USEC="+strconv.FormatInt(x.cfg.watchdog.Microseconds(), 10))
		}
	}
	return files, env, r, w
}

// watchPipe starts listening on the read end of a notification pipe,
// once the child has its write end.
func (s *Supervisor) watchNotifyPipe(r int) {
	unix.SetNonblock(r, true)
	s.mu.Lock()
	s.m.x.io.pipe = int32(r)
	s.mu.Unlock()
	if err := watcher.add(r, s, watchPipe); err != nil {
		s.mu.Lock()
		s.m.x.io.pipe = -1
		s.mu.Unlock()
		unix.Close(r)
		s.report.Warn("unable to watch the notification pipe of "+s.dir, err)
	}
}

// readNotification is the watcher's read of a notification pipe: a
// newline means ready. It reports whether the pipe is done with: a
// newline came, or the write end was closed without one.
func (s *Supervisor) readNotification(fd int) bool {
	var buf [512]byte
	for {
		n, err := unix.Read(fd, buf[:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return false
		case n > 0 && bytes.IndexByte(buf[:n], '\n') < 0:
			continue
		}
		return s.notified(fd, n > 0)
	}
}

// notified ends the notification pipe fd: ready or not, it has nothing
// more to say. Whoever takes the pipe out of the extension closes it:
// if quiet has, it is not the watcher's to drop.
func (s *Supervisor) notified(fd int, ready bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.x == nil || s.m.x.io.pipe != int32(fd) {
		return false
	}
	s.m.x.io.pipe = -1
	if ready {
		s.m.x.mail.ready = true
		s.pending |= gotNews
		s.wake()
	}
	return true
}

// quiet stops listening for the current run's readiness: its pipe is
// closed and a ./check still running is killed.
func (s *Supervisor) quiet() {
	s.mu.Lock()
	x := s.m.x
	if x == nil {
		s.mu.Unlock()
		return
	}
	pipe := x.io.pipe
	x.io.pipe = -1
	if x.mail.check != 0 {
		syscall.Kill(int(x.mail.check), syscall.SIGKILL)
		x.mail.check = 0
	}
	s.mu.Unlock()
	if pipe >= 0 {
		watcher.forget(int(pipe))
	}
}

// startCheck starts ./check, as ./run is started; its end comes to
// childExited. One that cannot be executed counts as a failed check.
func (s *Supervisor) startCheck() (failed bool) {
	stdio := []uintptr{uintptr(s.stdio[0]), uintptr(s.stdio[1]), uintptr(s.stdio[2])}
	attr := syscall.ProcAttr{Dir: s.childDir, Env: s.env, Files: stdio}
	s.mu.Lock()
	pid, err := procReaper.forkExec(s, "./check", checkArgv, &attr)
	if err == nil {
		s.m.x.mail.check = int32(pid)
	}
	s.mu.Unlock()
	if err != nil {
		if !s.m.x.checkWarned {
			s.m.x.checkWarned = true
			s.report.Warn("unable to start "+s.dir+"/check", err)
		}
		return true
	}
	return false
}

var checkArgv = []string{"./check"}

// openNotifySocket makes the service's sd-notify socket, or keeps the
// one it has when the address has not changed.
func (s *Supervisor) openNotifySocket() bool {
	x := s.m.x
	addr := x.cfg.notifySocket
	if addr == "" {
		addr = "@daemontools/notify/" + strconv.Itoa(os.Getpid()) + "/" + strconv.Itoa(int(s.dirfd))
	}
	if x.io.sock >= 0 && x.io.addr == addr {
		return true
	}
	s.closeNotifySocket()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		s.report.Warn("unable to create the notification socket of "+s.dir, err)
		return false
	}
	path := ""
	if addr[0] == '/' {
		path = addr
		unix.Unlink(path) // one left by a supervisor that was killed
	}
	err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrUnix{Name: addr})
	}
	if err == nil && path != "" {
		// A service that runs as another user (setuidgid) must be able
		// to send; who may speak for it is decided by its credentials.
		err = unix.Chmod(path, 0o666)
	}
	if err == nil {
		err = watcher.add(fd, s, watchSocket)
	}
	if err != nil {
		unix.Close(fd)
		if path != "" {
			unix.Unlink(path)
		}
		s.report.Warn("unable to listen on "+addr+" for "+s.dir, err)
		return false
	}
	s.mu.Lock()
	x.io.sock, x.io.addr, x.io.path = int32(fd), addr, path
	s.mu.Unlock()
	return true
}

func (s *Supervisor) closeNotifySocket() {
	s.mu.Lock()
	x := s.m.x
	if x == nil || x.io.sock < 0 {
		s.mu.Unlock()
		return
	}
	fd, path := x.io.sock, x.io.path
	x.io.sock, x.io.addr, x.io.path = -1, "", ""
	s.mu.Unlock()
	watcher.forget(int(fd))
	if path != "" {
		unix.Unlink(path)
	}
}

// readNotices reads the datagrams waiting on an sd-notify socket. Only
// the service's own processes may speak for it: the sender's
// credentials (which the kernel fills in) must name the running ./run,
// one of its descendants, or a member of the process group it leads.
func (s *Supervisor) readNotices(fd int) {
	var buf [4096]byte
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	for {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf[:], oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		pid, ok := sender(oob[:oobn])
		if !ok || !s.speaksFor(pid) {
			continue
		}
		s.notice(buf[:n])
	}
}

// sender returns the pid in a datagram's credentials.
func sender(oob []byte) (int, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			return int(cred.Pid), true
		}
	}
	return 0, false
}

// speaksFor reports whether pid is the service or one of its own.
func (s *Supervisor) speaksFor(pid int) bool {
	s.mu.Lock()
	main, pgid := s.live, 0
	if s.m.x != nil {
		pgid = int(s.m.x.pgid)
	}
	s.mu.Unlock()
	if main == 0 || pid <= 1 {
		return false
	}
	for i := 0; i < 64 && pid > 1; i++ {
		if pid == main {
			return true
		}
		ppid, group, ok := parentOf(pid)
		if !ok {
			return false
		}
		if pgid > 1 && group == pgid {
			return true
		}
		pid = ppid
	}
	return false
}

// parentOf reads pid's parent and process group from /proc.
func parentOf(pid int) (ppid, pgid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	return ppid, pgid, err1 == nil && err2 == nil
}

// notice reads one message of systemd's protocol: assignments, one per
// line. What it knows goes to the mailbox; the rest is ignored, as
// systemd ignores what it does not know.
func (s *Supervisor) notice(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.m.x
	if x == nil {
		return
	}
	mb := &x.mail
	news := false
	for line := range bytes.Lines(msg) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		name, value, ok := bytes.Cut(line, []byte("="))
		if !ok {
			continue
		}
		switch string(name) {
		case "READY":
			if string(value) == "1" {
				mb.ready, news = true, true
			}
		case "STOPPING":
			if string(value) == "1" && !mb.stopping {
				mb.stopping, mb.notice, news = true, true, true
			}
		case "WATCHDOG":
			if string(value) == "1" {
				mb.watchdog, news = true, true
			}
		case "STATUS":
			if t := string(value[:min(len(value), 255)]); t != mb.text {
				mb.text, mb.notice, news = t, true, true
			}
		}
	}
	if news {
		s.pending |= gotNews
		s.wake()
	}
}
