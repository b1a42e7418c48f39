package privs

import (
	"strings"
	"syscall"
)

// Candidates returns the paths daemontools' pathexec_run tries for file,
// in order. A name with a slash is used as it is. Otherwise each
// component of $PATH (of this process's own environment, even when the
// program is given another one) is tried; an empty component means the
// current directory, and an unset PATH means /bin:/usr/bin. There is no
// /bin/sh fallback.
func Candidates(file string) []string {
	if strings.IndexByte(file, '/') >= 0 {
		return []string{file}
	}
	path, ok := syscall.Getenv("PATH")
	if !ok {
		path = "/bin:/usr/bin"
	}
	out := make([]string, 0, strings.Count(path, ":")+1)
	for {
		dir, rest, more := strings.Cut(path, ":")
		if dir == "" {
			dir = "."
		}
		out = append(out, dir+"/"+file)
		if !more {
			return out
		}
		path = rest
	}
}

// ExecAny replaces the process with the first of cands that execve(2)
// accepts, with argv and env as given. It returns only when every
// candidate failed, with the error daemontools reports: the search goes
// on past "does not exist", "access denied", "permission denied" and "is
// a directory", stops at any other error, and reports the last error
// that was not "does not exist", if there was one.
func ExecAny(cands, argv, env []string) error {
	PrepareExec()
	var saved error
	var err error = syscall.ENOENT
	for _, c := range cands {
		err = syscall.Exec(c, argv, env)
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if !searchGoesOn(err) {
			return err
		}
	}
	if saved != nil {
		return saved
	}
	return err
}

func searchGoesOn(err error) bool {
	return err == syscall.EACCES || err == syscall.EPERM || err == syscall.EISDIR
}

// MergeEnv returns env with the changes applied the way daemontools'
// pathexec applies them, so that the order of the resulting environment
// is the reference's too. Each change is "NAME=VALUE" to set NAME or
// "NAME" to remove it. A change first removes the first entry of that
// name, moving the last entry into its place, then appends itself when
// it sets a value. The name ends at the first '=', so a change "A=B=C"
// sets A to "B=C".
func MergeEnv(env, changes []string) []string {
	out := make([]string, len(env), len(env)+len(changes))
	copy(out, env)
	for _, c := range changes {
		split := strings.IndexByte(c, '=')
		set := split >= 0
		if !set {
			split = len(c)
		}
		name := c[:split]
		for i, e := range out {
			if len(e) > split && e[split] == '=' && e[:split] == name {
				last := len(out) - 1
				out[i] = out[last]
				out = out[:last]
				break
			}
		}
		if set {
			out = append(out, c)
		}
	}
	return out
}
