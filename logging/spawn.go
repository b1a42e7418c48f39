package logging

import "syscall"

// Spawner starts a processor and waits for that one process. The
// default forks with syscall.ForkExec and waits with wait4 on the pid;
// a supervisor that owns a process-wide reaper (wait4(-1)) supplies its
// own, so that the two never race for the same child.
type Spawner interface {
	Start(path string, argv []string, attr *syscall.ProcAttr) (pid int, err error)
	Wait(pid int) (syscall.WaitStatus, error)
}

// ForkExec is the Spawner for a process that reaps only its own
// children by pid.
type ForkExec struct{}

// Start forks and executes path.
func (ForkExec) Start(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	return syscall.ForkExec(path, argv, attr)
}

// Wait waits for pid to exit, retrying after interruptions.
func (ForkExec) Wait(pid int) (syscall.WaitStatus, error) {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		return ws, err
	}
}
