package privs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unsafe"
)

// A chain of our own loaders (`envdir ./env setuidgid log softlimit -d
// 3000000 multilog t ./main`) would pay one Go start-up per program.
// When the program a loader is about to exec is this same executable
// (the file the search would run has the inode of /proc/self/exe) and
// it would run one of its applets, the loader runs that applet in this
// process instead, after doing by hand what execve(2) would have done:
// the new argument and environment areas (/proc/PID/cmdline and
// environ), the new name of every thread (/proc/PID/comm), the new
// environment for Getenv and Environ, the close-on-exec descriptors
// closed, caught signals back to what the runtime set up at start-up,
// the limits set, the dumpable flag and the keep-capabilities flag as
// execve leaves them. Whatever cannot be made exactly so sends the
// loader to the real exec instead (see inProcessCreds and friends):
// the result must be what the exec gives, only sooner.

// NoInProcessVar, when set to anything, makes every loader exec for
// real: tests run the same chain both ways and compare.
const NoInProcessVar = "DAEMONTOOLS_NO_INPROCESS"

var (
	// selfResolve names the applet applets.Main would run for argv,
	// and selfMain is applets.Main; see SetSelf.
	selfResolve func(argv []string) (string, bool)
	selfMain    func(argv []string) int

	// runtimeFds are the close-on-exec descriptors open when the
	// first of our loaders in this process began (NoteStart): the Go
	// runtime's own (the cgroup files it rereads its CPU limit from,
	// its poller when a standard descriptor was non-blocking). A fresh
	// start would open them again; they stay, and the rest go.
	runtimeFds []int
	noted      bool

	// Set by the steps that leave the process in a state no fresh
	// start can have: setlock's lock put where a descriptor of the
	// runtime was, or on a standard descriptor the runtime had opened
	// /dev/null on (a fresh runtime would make a different
	// os.Stdin of it); the credentials changed in this process.
	fdDisplaced  bool
	credsChanged bool

	// runtimeEnv holds the variables the runtime read at start-up, as
	// they were; see sameRuntimeEnv.
	runtimeEnv    [len(runtimeVars)]string
	runtimeEnvSet [len(runtimeVars)]bool
)

// runtimeVars are read by the Go runtime once, when it starts: a new
// value could only take effect through a real exec.
var runtimeVars = [...]string{"GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK", "GORACE", "GOROOT"}

var errFallBack = errors.New("exec for real")

// SetSelf tells the chain loaders how this executable picks its applet
// (resolve: the applet's name for argv, if it would run one, as
// applets.Main picks it) and how it runs it (main, as main.main calls
// it). Without it every loader execs.
func SetSelf(resolve func(argv []string) (string, bool), main func(argv []string) int) {
	selfResolve, selfMain = resolve, main
}

// NoteStart records the descriptors the Go runtime holds and the
// variables it read at start-up. Chain loaders
// call it first thing, before they open anything; later calls in the
// same process (after a loader ran the next one in-process) do nothing.
//
// The runtime opens its descriptors at the lowest free numbers before
// main, so they lie among the first few numbers no inherited descriptor
// holds: the scan stops after eight free numbers in a row.
func NoteStart() {
	if noted {
		return
	}
	noted = true
	for i, name := range runtimeVars {
		runtimeEnv[i], runtimeEnvSet[i] = syscall.Getenv(name)
	}
	for fd, free := 0, 0; free < 8; fd++ {
		flags, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		switch {
		case e != 0:
			free++
		case flags&syscall.FD_CLOEXEC != 0:
			runtimeFds = append(runtimeFds, fd)
			free = 0
		default:
			free = 0
		}
	}
}

func inProcessAllowed() bool {
	if selfMain == nil || !noted {
		return false
	}
	_, off := syscall.Getenv(NoInProcessVar)
	return !off
}

// runInProcess runs argv, which path (this executable) would run, in
// this process with env and the soft limits ls, exactly as the exec
// would. It returns errFallBack, having changed nothing the exec would
// not change too, when that cannot be done exactly; a limit that cannot
// be set is returned as the exec path returns it. Otherwise it does not
// return.
func runInProcess(path string, argv, env []string, ls []Limit) error {
	name, named := appletOf(path, argv)
	if !credsAllow(name, named) {
		return errFallBack
	}
	for _, l := range ls {
		// A fresh runtime would raise the open-files limit again
		// and keep this one for its children, which only the
		// runtime's own bookkeeping can record.
		if l.Resource == RlimitNofile {
			return errFallBack
		}
	}
	if fdDisplaced || !execFits(path, argv, env) || !validEnv(env) || !sameRuntimeEnv(env) ||
		!inProcessCreds(path) || !unconfined() {
		return errFallBack
	}
	closing, ok := planFds()
	if !ok {
		return errFallBack
	}
	if len(ls) > 0 {
		var l Limits
		for _, lim := range ls {
			l.Add(lim.Resource, lim.Value, lim.ToHard)
		}
		if err := l.Apply(); err != nil {
			l.RestoreRuntime()
			return err
		}
	}
	args, err := newImage(argv, env)
	if err != nil {
		// The limits just set are set again by the exec path.
		return errFallBack
	}
	// Nothing below can fail.
	for _, fd := range closing {
		syscall.Close(fd)
	}
	restoreRuntimeSignals()
	execCreds()
	setEnviron(env)
	envSplit, deferred, standIn, cleanEnviro = false, "", false, nil
	os.Args = args
	if named && passesOn(name) {
		// Only the main thread's name is seen (ps, pgrep) while it
		// runs; the program that stays gets every thread named.
		nameMain(filepath.Base(path))
	} else {
		nameThreads(filepath.Base(path))
	}
	os.Exit(selfMain(os.Args))
	panic("unreachable")
}

// appended reports whether env is cur (the environment now) followed by
// variables whose names are neither in cur nor repeated.
func appended(cur, env []string) bool {
	if len(env) <= len(cur) || !slices.Equal(env[:len(cur)], cur) {
		return false
	}
	added := env[len(cur):]
	for j, kv := range added {
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			return false
		}
		if _, ok := syscall.Getenv(kv[:i]); ok {
			return false
		}
		for _, prev := range added[:j] {
			if strings.HasPrefix(prev, kv[:i+1]) {
				return false
			}
		}
	}
	return true
}

// credsAllow reports whether the credentials let the applet called
// name (named: whether argv names one at all) run in this process:
// always, unless setuidgid changed them on the locked thread only
// (dropThread). The other threads then still have the old ones, and a
// program that runs goroutines could run them there: only a loader,
// which runs on this thread alone, may run.
func credsAllow(name string, named bool) bool {
	return !threadCreds || named && isLoader(name)
}

// passesOn reports whether the applet called name is a loader that
// only passes the process on: it reads its arguments, changes something
// of the process and execs the next program at once (or fails). setlock
// and fghack may wait for as long as a daemon runs, and are not.
func passesOn(name string) bool {
	return isLoader(name) && name != "setlock" && name != "fghack"
}

// execFits reports whether execve(2) would take path, argv and env, by
// the kernel's own sums (fs/exec.c): each string, NUL included, at most
// 32 pages, and all of them together (the file name too) with a pointer
// for each within a quarter of the stack limit, capped at three
// quarters of 8 MiB but never below 32 pages. Otherwise the exec fails
// with "argument list too long", and so must we.
func execFits(path string, argv, env []string) bool {
	page := uint64(syscall.Getpagesize())
	var stack syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_STACK, &stack) != nil {
		return false
	}
	limit := uint64(8<<20) / 4 * 3
	limit = min(limit, stack.Cur/4)
	limit = max(limit, 32*page)
	ptrs := uint64(max(len(argv), 1)+len(env)) * uint64(unsafe.Sizeof(uintptr(0)))
	if limit <= ptrs {
		return false
	}
	total := uint64(len(path) + 1)
	for _, list := range [2][]string{argv, env} {
		for _, s := range list {
			n := uint64(len(s) + 1)
			if n > 32*page {
				return false
			}
			total += n
		}
	}
	return total <= limit-ptrs
}

// validEnv reports whether every entry of env is NAME=VALUE with a name,
// which is all that Setenv can rebuild: a fresh runtime would keep an
// entry without "=" for Environ, and an empty name for Getenv("").
func validEnv(env []string) bool {
	for _, kv := range env {
		i := 0
		for i < len(kv) && kv[i] != '=' {
			i++
		}
		if i == 0 || i == len(kv) {
			return false
		}
	}
	return true
}

// sameRuntimeEnv reports whether env gives the runtime's start-up
// variables (GOGC, GODEBUG, ...) the values this process's runtime
// started with.
func sameRuntimeEnv(env []string) bool {
	for i, name := range runtimeVars {
		v, set := lookupEnv(env, name)
		if set != runtimeEnvSet[i] || v != runtimeEnv[i] {
			return false
		}
	}
	return true
}

// lookupEnv finds name in env as a fresh runtime's Getenv would: the
// first entry of that name.
func lookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// setEnviron makes env the process environment, as a fresh runtime
// reads it from the exec: the first entry of a name counts and later
// ones are dropped, in order. Most loaders pass the environment on as
// it is, which then needs nothing done.
func setEnviron(env []string) {
	cur := syscall.Environ()
	if slices.Equal(env, cur) {
		return
	}
	if appended(cur, env) {
		// What envdir and envuidgid mostly do: new variables at the
		// end, which Setenv appends in that order.
		for _, kv := range env[len(cur):] {
			i := strings.IndexByte(kv, '=')
			syscall.Setenv(kv[:i], kv[i+1:])
		}
		return
	}
	syscall.Clearenv()
	seen := make(map[string]bool, len(env))
	for _, kv := range env {
		i := 0
		for kv[i] != '=' {
			i++
		}
		if name := kv[:i]; !seen[name] {
			seen[name] = true
			syscall.Setenv(name, kv[i+1:])
		}
	}
}
