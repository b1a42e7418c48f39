// Package privs is the engine behind daemontools' chain loaders
// (setuidgid, envuidgid, envdir, softlimit, setlock, fghack, pgrphack):
// accounts from /etc/passwd and /etc/group, the privilege drop, resource
// limits, lock files, environment directories, and running the next
// program found on $PATH the way daemontools' pathexec does.
//
// Everything here is pure Go and reads the account files directly: the
// executable is static, so there is no NSS (no LDAP, no systemd-userdb,
// no nscd); an account must be in /etc/passwd.
//
// The chain loaders replace themselves with the next program (same pid),
// so nothing here may leave state behind that the exec'd program would
// inherit and that daemontools' C programs would not have given it. Three
// things need care because the Go runtime changes them before main runs:
// the open-files limit (restored by syscall.Exec, see RestoreNofile), the
// signal dispositions, mask and closed standard fds (recorded at the ELF
// entry point and restored by PrepareExec, see start.go), and memory
// limits, under which a Go program cannot start at all (softlimit hands
// them down to the last of our loaders, see deferred.go).
package privs

import "syscall"

// Op names the step that failed, so that applets can word the message
// the way the reference does.
type Op int

const (
	OpOpenCwd   Op = iota + 1 // open the current directory to return to it
	OpChdir                   // change into a directory
	OpReadDir                 // read a directory
	OpReadFile                // read a file
	OpReturnCwd               // return to the starting directory
	OpSetgid                  // setgroups or setgid
	OpSetuid                  // setuid
	OpOpen                    // open a lock file
	OpLock                    // lock it
	OpGetrlimit               // read a resource limit
	OpSetrlimit               // change a resource limit
	OpPipe                    // create a pipe
	OpFork                    // start a child
	OpWait                    // wait for it
)

// Error is a failed system call with the step and the file it was about.
type Error struct {
	Op   Op
	Path string // the file or directory, or "" when the step has none
	Err  error  // the errno
}

var opNames = [...]string{
	OpOpenCwd: "open current directory", OpChdir: "chdir", OpReadDir: "read directory",
	OpReadFile: "read", OpReturnCwd: "return to starting directory", OpSetgid: "setgid",
	OpSetuid: "setuid", OpOpen: "open", OpLock: "lock", OpGetrlimit: "getrlimit",
	OpSetrlimit: "setrlimit", OpPipe: "pipe", OpFork: "fork", OpWait: "wait",
}

func (op Op) String() string {
	if op > 0 && int(op) < len(opNames) {
		return opNames[op]
	}
	return "unknown step"
}

func (e *Error) Error() string {
	s := e.Op.String()
	if e.Path != "" {
		s += " " + e.Path
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func opErr(op Op, path string, err error) error {
	return &Error{Op: op, Path: path, Err: err}
}

// retry repeats a system call that a signal handler interrupted: the Go
// runtime installs handlers (for preemption, among others) that a C
// program does not have.
func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
