package supervision

import (
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

var runArgv = []string{"./run"}

// fork starts ./run and returns what came of it, as the event the
// machine handles next.
func (s *Supervisor) fork() event {
	stdio := []uintptr{uintptr(s.stdio[0]), uintptr(s.stdio[1]), uintptr(s.stdio[2])}
	attr := syscall.ProcAttr{Dir: s.childDir, Env: s.env, Files: stdio}
	notifyR, notifyW, cgfd := -1, -1, -1
	if x := s.m.x; x != nil {
		attr.Sys = &syscall.SysProcAttr{Setpgid: x.cfg.grouped()}
		if x.cfg.readiness() {
			attr.Files, attr.Env, notifyR, notifyW = s.readinessFiles(attr.Files, attr.Env)
			x.checkWarned = false
		}
		if x.cfg.cgroup {
			if cgfd = s.openRunCgroup(); cgfd >= 0 {
				attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, cgfd
			}
		}
	}
	// The reference's child prints this and exits 111 when it cannot
	// exec ./run, and supervise treats that as a run that died: it is
	// announced up with the child's pid, then reaped and restarted
	// after the pause. The stand-in (a child that reports the failure)
	// does the same here: the child itself turns into it, or, when
	// ForkExec had to start ./run and reported the failure without a
	// child, a new one.
	msg, standIn := "unable to start "+s.dir+"/run", ""
	if s.standIn {
		standIn = msg
	}
	s.mu.Lock()
	pid, err := procReaper.forkRun(s, "./run", runArgv, &attr, standIn)
	if isNoFiles(err) && growNofile(softLimit()+1) {
		pid, err = procReaper.forkRun(s, "./run", runArgv, &attr, standIn)
	}
	if err != nil && err != syscall.EAGAIN && !isNoFiles(err) && cgfd >= 0 {
		// clone3 into a cgroup may be what failed (a kernel without
		// it): once more without, and if that works, no cgroups.
		attr.Sys.UseCgroupFD = false
		if pid, err = procReaper.forkRun(s, "./run", runArgv, &attr, standIn); err == nil {
			s.m.x.cg.bad = true
			s.report.Warn("unable to start "+s.dir+"/run in a cgroup, running it without one", nil)
		}
	}
	if cgfd >= 0 {
		unix.Close(cgfd)
	}
	if err != nil && err != syscall.EAGAIN && !isNoFiles(err) {
		if s.standIn {
			if p, err2 := startStandIn(s, msg, err, stdio); err2 == nil {
				pid, err = p, nil
			}
		}
	}
	if err == nil {
		s.live = pid
		s.pending &^= gotExit
		if s.m.x != nil {
			s.m.x.mail = mailbox{}
		}
	}
	s.mu.Unlock()
	if notifyW >= 0 {
		unix.Close(notifyW)
		if err == nil && pid != 0 {
			s.watchNotifyPipe(notifyR)
		} else {
			unix.Close(notifyR)
		}
	}
	switch {
	case err == nil:
		s.starve = 0
		return event{kind: eStarted, pid: int32(pid)}
	case err == syscall.EAGAIN:
		s.report.Warn("unable to fork for "+s.dir+", sleeping 60 seconds", err)
		return event{kind: eForkFailed}
	case isNoFiles(err):
		// svscan's descriptors, shared by every service, ran out (a
		// supervise process of the reference's has its own): said
		// once a minute, tried again after a growing pause or as soon
		// as descriptors are freed.
		if s.starve < 255 {
			s.starve++
		}
		s.noFilesWarn(true, "unable to start "+s.dir+"/run", err)
		return event{kind: eExecFailed, noFiles: true}
	default:
		// No stand-in (not asked for, or no /proc): the report comes
		// from here.
		s.report.Fatal(msg, err)
		return event{kind: eExecFailed}
	}
}

// StandInEnv names the variable that makes the supervise applet, run
// with no argument, report a failure and exit 111: the stand-in for a
// child whose exec of ./run failed. Its value is the errno in five
// decimal digits, a space, and the message.
const StandInEnv = "DAEMONTOOLS_SUPERVISE_REPORT"

// standInVar is the stand-in's variable reporting errno and msg.
func standInVar(errno syscall.Errno, msg string) []byte {
	b := appendStandInVar(nil, msg)
	putErrno(standInDigits(b), uint32(errno))
	return b
}

// appendStandInVar appends the stand-in's variable for msg to b, with
// the errno's digits zero: a cloned child whose exec fails writes its
// own there (quickfork.go), through standInDigits.
func appendStandInVar(b []byte, msg string) []byte {
	return append(append(b, standInHead...), msg...)
}

// standInHead is what comes before the message.
const standInHead = StandInEnv + "=00000 "

// standInDigits is where the errno's digits are in v, a variable that
// appendStandInVar began.
func standInDigits(v []byte) []byte { return v[len(StandInEnv)+1 : len(StandInEnv)+6] }

// putErrno writes e into b in decimal, with leading zeros. The cloned
// child calls it, so it is nosplit and not instrumented.
//
//go:nosplit
//go:norace
func putErrno(b []byte, e uint32) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + e%10)
		e /= 10
	}
}

var selfExe = "/proc/self/exe"

func startStandIn(owner childOwner, msg string, err error, stdio []uintptr) (int, error) {
	errno, _ := err.(syscall.Errno)
	value := string(standInVar(errno, msg))
	attr := syscall.ProcAttr{Dir: "/", Env: []string{value}, Files: stdio}
	return procReaper.forkExec(owner, selfExe, []string{"supervise"}, &attr)
}

// StandInReport is the stand-in child's side: when the environment
// carries a report it returns it, and the applet reports it as fatal
// and exits 111.
func StandInReport() (msg string, err error, ok bool) {
	v, ok := syscall.Getenv(StandInEnv)
	if !ok {
		return "", nil, false
	}
	num, msg, _ := strings.Cut(v, " ")
	n, _ := strconv.Atoi(num)
	return msg, syscall.Errno(n), true
}

// loadConfig reads the service directory's extension files before a
// start (and at set-up) and gives the machine what they say.
func (s *Supervisor) loadConfig() {
	r := &configReader{}
	if s.m.x != nil {
		r = &s.m.x.reader
	}
	c, files := r.read(int(s.dirfd), s.dir, s.report.Warn)
	s.m.setConfig(c, files, r)
}

var finishPath = "./finish"

// forkFinish starts ./finish with runit's arguments: the exit code of
// ./run, or -1 if a signal ended it, and the signal's number, or 0.
// It runs as ./run does (directory, environment, descriptors, process
// group).
func (s *Supervisor) forkFinish() event {
	code, sig := "-1", "0"
	switch s.m.exitHow {
	case ExitCode:
		code = strconv.Itoa(int(s.m.exitValue))
	case ExitSignal:
		sig = strconv.Itoa(int(s.m.exitValue))
	}
	stdio := []uintptr{uintptr(s.stdio[0]), uintptr(s.stdio[1]), uintptr(s.stdio[2])}
	attr := syscall.ProcAttr{Dir: s.childDir, Env: s.env, Files: stdio}
	if s.m.x.cfg.grouped() {
		attr.Sys = &syscall.SysProcAttr{Setpgid: true}
	}
	s.mu.Lock()
	pid, err := procReaper.forkExec(s, finishPath, []string{finishPath, code, sig}, &attr)
	if err == nil {
		s.live = pid
		s.pending &^= gotExit
	}
	s.mu.Unlock()
	if err != nil {
		if isNoFiles(err) {
			s.noFilesWarn(false, "unable to start "+s.dir+"/finish", err)
		} else {
			s.report.Warn("unable to start "+s.dir+"/finish", err)
		}
		return event{kind: eFinishFailed}
	}
	return event{kind: eFinishStarted, pid: int32(pid)}
}

// signalGroup signals the process group the last ./run led, if it led
// one; KILL also ends its cgroup. A group that no longer exists is
// fine (ESRCH).
func (s *Supervisor) signalGroup(sig syscall.Signal) {
	x := s.m.x
	if x == nil {
		return
	}
	if x.pgid > 1 {
		syscall.Kill(-int(x.pgid), sig)
	}
	if sig == syscall.SIGKILL && x.cfg.cgroup {
		s.killCgroup()
	}
}

// warnings are the texts of the machine's doWarn, around the directory.
var warnings = [...]struct{ before, after string }{
	warnFinishKilled: {"killing ", "/finish: it ran longer than timeout-finish"},
	warnWatchdog:     {"sending ABRT to ", "/run: no watchdog ping within WATCHDOG_USEC"},
}
