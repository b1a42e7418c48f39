package privs

import (
	"syscall"
)

// fghack gives its child this many extra copies of the pipe's write end,
// so that a daemon closing a few descriptors while it backgrounds itself
// still holds one.
const fghackCopies = 30

// Foreground runs argv (found on $PATH) as daemontools' fghack does and
// returns its exit status once it exited and every process holding the
// child's end of the pipe has closed it, so that a daemon that forks into
// the background still looks like a foreground process to supervise.
//
// The child gets the pipe's write end on the descriptor numbers the
// reference's child would: the lowest free one, then the next thirty
// free ones, counting the descriptors we inherited. When no candidate
// could be exec'd it returns the error to report (the reference's child
// reports it and exits 111, so the caller prints it and returns 111).
// A child killed by a signal is reported as crashed=true.
func Foreground(argv, env []string) (status int, crashed bool, err error) {
	cands := Candidates(argv[0])
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return 0, false, opErr(OpPipe, "", err)
	}
	r, w := p[0], p[1]
	files := fghackFiles(inherited(), uintptr(w))

	DefaultSignals()
	attr := &syscall.ProcAttr{Env: env, Files: files}
	if Deferred() != nil {
		// softlimit handed its limits down to us. They are for the
		// program, not for us: under them the Go heap may be unable to
		// grow, and ForkExec allocates. So the child is this executable
		// again, standing in for the program as the reference's forked
		// child does: it sets the limits with nothing left to allocate
		// and execs the program, or reports why it could not and exits
		// 111 (fghack's applet, under StandInVar).
		if syscall.Access(selfExe, 1 /* X_OK */) == nil {
			cands = []string{selfExe}
			argv = append([]string{"fghack"}, argv...)
			attr.Env = append(env[:len(env):len(env)], DeferVar+"="+deferred, StandInVar+"=1")
		} else if err := applyDeferred(); err != nil {
			syscall.Close(r)
			syscall.Close(w)
			return 0, false, err
		}
	}
	var pid int
	var saved error
	err = syscall.ENOENT
	for _, c := range cands {
		pid, err = syscall.ForkExec(c, argv, attr)
		if err == nil {
			break
		}
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if !searchGoesOn(err) {
			break
		}
	}
	syscall.Close(w)
	if err != nil {
		syscall.Close(r)
		if saved != nil {
			err = saved
		}
		if _, isErrno := err.(syscall.Errno); !isErrno {
			return 0, false, opErr(OpFork, "", err)
		}
		return 0, false, err
	}

	var buf [128]byte
	for {
		n, err := syscall.Read(r, buf[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
	}
	syscall.Close(r)

	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return 0, false, opErr(OpWait, "", err)
	}
	if ws.Signaled() {
		return 0, true, nil
	}
	return ws.ExitStatus(), false, nil
}

// selfExe is this executable, for fghack's stand-in child.
const selfExe = "/proc/self/exe"

// applyDeferred sets the limits handed down to us on this process: the
// fallback where /proc is missing and no stand-in can be run.
func applyDeferred() error {
	var l Limits
	for _, lim := range Deferred() {
		l.Add(lim.Resource, lim.Value, lim.ToHard)
	}
	return l.Apply()
}

// inherited returns which of the low descriptors are open without
// close-on-exec: those the reference would see as taken (Go opens
// everything of its own close-on-exec). It looks as far as the
// reference's pipe copies could reach.
func inherited() []bool {
	var open []bool
	taken, free := 0, 0
	for fd := 0; free < fghackCopies+3; fd++ {
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		inh := e == 0 && flags&syscall.FD_CLOEXEC == 0 && !closedAtStart(fd)
		open = append(open, inh)
		if inh {
			taken++
		} else {
			free++
		}
	}
	return open
}

// fghackFiles lays out the child's descriptors: the reference's pipe()
// takes the two lowest free numbers; its child closes the read end and
// dups the write end thirty times, each dup taking the lowest free
// number. Inherited descriptors stay where they are; every other slot in
// range is closed.
func fghackFiles(open []bool, w uintptr) []uintptr {
	busy := append([]bool(nil), open...)
	lowest := func() int {
		for fd, b := range busy {
			if !b {
				return fd
			}
		}
		busy = append(busy, false)
		return len(busy) - 1
	}
	rd := lowest()
	busy[rd] = true
	wr := lowest()
	busy[wr] = true
	busy[rd] = false
	pipeFds := []int{wr}
	for i := 0; i < fghackCopies; i++ {
		fd := lowest()
		busy[fd] = true
		pipeFds = append(pipeFds, fd)
	}
	top := 0
	for _, fd := range pipeFds {
		top = max(top, fd)
	}
	files := make([]uintptr, top+1)
	for fd := range files {
		switch {
		case fd < len(open) && open[fd]:
			files[fd] = uintptr(fd)
		default:
			files[fd] = ^uintptr(0) // closed in the child
		}
	}
	for _, fd := range pipeFds {
		files[fd] = w
	}
	return files
}
