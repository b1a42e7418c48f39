package privs

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// A Go program cannot start under the small memory limits C programs
// live with: the runtime reserves hundreds of megabytes of address space
// and maps tens of megabytes before main (measured: `softlimit -m
// 100000000 envdir ...` dies with "failed to reserve page summary
// memory"). So when softlimit's child is one of our own chain loaders
// (`softlimit -m 2000000 setlock -n /var/lock/x prog`), it does not set
// the limits itself: it hands them down in the environment variable
// DeferVar, each loader passes them on while its child is another of our
// loaders, and the first one whose child is anything else applies them,
// in the original order and with softlimit's rules, just before its
// exec. The variable never reaches that program, so it sees exactly the
// environment and the limits it would have seen under daemontools.
const DeferVar = "DAEMONTOOLS_DEFERRED_SOFTLIMIT"

// chainLoaders are the applets that can carry deferred limits: all of
// them apply the limits to the program they run. (fghack applies them to
// itself just before it forks, since nothing of ours runs in the child
// between fork and exec; by then it allocates little.)
var chainLoaders = [...]string{"envdir", "envuidgid", "fghack", "pgrphack", "setlock", "setuidgid", "softlimit"}

// multicallName is the executable's own name, under which the applet is
// its first argument.
const multicallName = "daemontools"

// StandInVar marks fghack's child when it is this executable standing in
// for the program to run: see Foreground.
const StandInVar = "DAEMONTOOLS_FGHACK_STAND_IN"

var (
	deferred    string // DeferVar's value in our environment, if any
	standIn     bool   // StandInVar was set
	envSplit    bool
	cleanEnviro []string
)

// Environ returns the process environment without DeferVar, which is
// exactly what daemontools' C programs would have, and remembers the
// limits it carried for the exec. Chain loaders build their child's
// environment from it.
func Environ() []string {
	if !envSplit {
		envSplit = true
		env := syscall.Environ()
		cleanEnviro = env[:0:0]
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, DeferVar+"="); ok && deferred == "" {
				deferred = v
				continue
			}
			if strings.HasPrefix(kv, StandInVar+"=") {
				standIn = true
				continue
			}
			cleanEnviro = append(cleanEnviro, kv)
		}
	}
	return append([]string(nil), cleanEnviro...)
}

// StandIn reports whether this process is fghack's stand-in child: it
// must apply the limits handed down and exec the program, or report
// why it could not and exit 111, as the reference's fghack child does.
func StandIn() bool {
	Environ()
	return standIn
}

// Deferred returns the limits handed down to us, in order.
func Deferred() []Limit {
	Environ()
	return decodeLimits(deferred)
}

func encodeLimits(ls []Limit) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l.Resource))
		b.WriteByte(':')
		if l.ToHard {
			b.WriteByte('=')
		} else {
			b.WriteString(strconv.FormatUint(l.Value, 10))
		}
	}
	return b.String()
}

// decodeLimits reads encodeLimits' output, skipping anything malformed
// (the variable is ours, but the environment is anyone's).
func decodeLimits(s string) []Limit {
	var out []Limit
	for item := range strings.SplitSeq(s, ",") {
		res, val, ok := strings.Cut(item, ":")
		if !ok {
			continue
		}
		r, err := strconv.Atoi(res)
		if err != nil || r < 0 || r > 15 {
			continue
		}
		if val == "=" {
			out = append(out, Limit{Resource: r, ToHard: true})
			continue
		}
		v, err := strconv.ParseUint(val, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Limit{Resource: r, Value: v})
	}
	return out
}

// target is what the exec of a search would run: the first candidate
// execve(2) would accept, and whether that is this executable.
type target struct {
	path   string // "" when the search fails or stops before running anything
	self   bool   // path is this executable (the inode of /proc/self/exe)
	applet bool   // ... and would run one of its applets (see SetSelf)
	loader bool   // ... one of the chain loaders
}

// selfInode is /proc/self/exe's device and inode, looked up once.
var selfInode struct {
	dev, ino uint64
	state    int8 // 0 not yet looked up, 1 known, -1 no /proc
}

// findTarget predicts, without running anything, which of cands the
// exec of argv would run, trying each in turn as ExecAny does: a
// candidate that does not exist, that the search path denies, that is
// not a regular file or that the process may not execute is passed
// over, any other error ends the search (so nothing runs), and the
// first regular file the process may execute is the one. Permission is
// asked of the kernel with the process's real ids, which the in-process
// path requires to be its effective ones (see inProcessCreds).
func findTarget(cands, argv []string) target {
	if selfInode.state == 0 {
		var me syscall.Stat_t
		selfInode.state = -1
		if syscall.Stat("/proc/self/exe", &me) == nil {
			selfInode.dev, selfInode.ino, selfInode.state = me.Dev, me.Ino, 1
		}
	}
	for _, c := range cands {
		var st syscall.Stat_t
		err := syscall.Stat(c, &st)
		if err == nil && st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			err = syscall.EACCES
		}
		if err == nil {
			err = syscall.Access(c, 1 /* X_OK */)
		}
		switch {
		case err == syscall.ENOENT || (err != nil && searchGoesOn(err)):
			continue
		case err != nil:
			return target{}
		}
		t := target{path: c}
		if selfInode.state != 1 || st.Dev != selfInode.dev || st.Ino != selfInode.ino {
			return t
		}
		t.self = true
		name, ok := appletOf(c, argv)
		t.applet = ok && selfMain != nil
		t.loader = ok && isLoader(name)
		return t
	}
	return target{}
}

// appletOf names the applet this executable, run as path with argv,
// would run: as applets.Main picks it when the applets have said how
// (SetSelf); otherwise by the name of the file, or argv[1] under our
// own name.
func appletOf(path string, argv []string) (string, bool) {
	if selfResolve != nil {
		return selfResolve(argv)
	}
	name := filepath.Base(path)
	if name == multicallName {
		if len(argv) < 2 {
			return "", false
		}
		name = argv[1]
	}
	return name, true
}

func selfLoader(cands, argv []string) bool {
	return findTarget(cands, argv).loader
}

// goSafe drops the limits under which no Go program can start or run
// (address space, data, stack, processes), for a child that is one of
// our own programs but not a loader that could hand them on (multilog,
// supervise, ...): better it runs without them than not at all.
func goSafe(ls []Limit) []Limit {
	out := ls[:0:0]
	for _, l := range ls {
		if !runtimeNeeds(l.Resource) && l.Resource != RlimitStack {
			out = append(out, l)
		}
	}
	return out
}

// execChain runs argv with env as every chain loader does, carrying or
// applying the limits handed down to it (plus extra, softlimit's own,
// which come after them). When the program is one of our own applets it
// runs in this process instead (see runInProcess), unless that cannot
// be made to look exactly like the exec.
func execChain(cands, argv, env []string, extra []Limit) error {
	Environ()
	limited := deferred != "" || len(extra) > 0
	inproc := inProcessAllowed()
	if !limited && !inproc {
		return ExecAny(cands, argv, env)
	}
	var all []Limit
	if limited {
		all = append(decodeLimits(deferred), extra...)
	}
	t := findTarget(cands, argv)
	switch {
	case limited && t.loader:
		env = append(env, DeferVar+"="+encodeLimits(all))
		limited, all = false, nil
	case limited && t.self:
		all = goSafe(all)
	}
	if inproc && t.applet {
		if err := runInProcess(t.path, argv, env, all); err != errFallBack {
			return err
		}
	}
	if !limited {
		return ExecAny(cands, argv, env)
	}
	var l Limits
	for _, lim := range all {
		l.Add(lim.Resource, lim.Value, lim.ToHard)
	}
	p, err := Prepare(cands, argv, env)
	if err != nil {
		return err
	}
	PrepareExec()
	RestoreNofile()
	if err := l.Apply(); err != nil {
		l.RestoreRuntime()
		return err
	}
	errno := p.Exec()
	l.RestoreRuntime()
	return errno
}

// ExecChain replaces the process with argv[0] found on $PATH, given the
// environment env (built from Environ), applying or passing on the
// limits softlimit handed down, and then extra. It returns only on
// failure: a *Error for a limit that could not be set, else the exec's
// error.
func ExecChain(argv, env []string, extra []Limit) error {
	return execChain(Candidates(argv[0]), argv, env, extra)
}
