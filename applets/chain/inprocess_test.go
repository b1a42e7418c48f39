package chain_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/privs"
)

// A chain of our loaders ending in a program of ours runs in the one
// process the first loader started, and must look from outside exactly
// as the same chain exec'ing each program does (privs.NoInProcessVar
// set). What the kernel recorded at the process's last execve tells the
// two apart: AT_EXECFN, the file name given to it, which the auxiliary
// vector points at. It names the first loader when the rest ran in its
// process, the last program when each one was exec'd.

// workDir makes a directory that the account nobody can search and
// write, holding an envdir directory e, and lets nobody reach the
// executable and its links (the harness makes them root's alone).
func workDir(t *testing.T) string {
	t.Helper()
	bin := apptest.BinDir(t)
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "inprocess-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "e", "V"), []byte("from envdir\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// running is one run of a chain, stopped at cleanup.
type running struct {
	p     *apptest.Proc
	pid   int // the program to look at: the chain's process, or fghack's child
	stdin *os.File
}

// ready tells, from its facts, that a program of ours has set itself up
// and will not change until something happens: its runtime has
// installed its signal handlers, and multilog has opened its log,
// svscan its inotify descriptor.
var ready = map[string]string{"multilog": "main/current", "svscan": "anon_inode:inotify", "tai64n": ""}

// startChain runs `sh -c SCRIPT` in dir with our links first in PATH and
// env added; SCRIPT execs the chain, whose input is a pipe held open
// here. It waits until the process called final is ready and has not
// changed for a fifth of a second.
func startChain(t *testing.T, dir, script, final string, env ...string) running {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(apptest.Env(apptest.BinDir(t)), env...)
	cmd.Stdin = r
	p := apptest.Start(t, cmd)
	r.Close()
	t.Cleanup(func() { w.Close() })
	run := running{p: p, pid: p.Pid(), stdin: w}
	var last string
	var since time.Time
	apptest.Poll(t, 20*time.Second, final+" to settle", func() bool {
		if p.Exited() {
			t.Fatalf("%s exited: %s", script, p.Stderr)
		}
		if final == "multilog" && filepath.Base(readComm(p.Pid())) == "fghack" {
			kids := apptest.Children(p.Pid())
			if len(kids) != 1 {
				return false
			}
			run.pid = kids[0]
		}
		if readComm(run.pid) != final {
			return false
		}
		f := facts(t, dir, run.pid) + facts(t, dir, p.Pid())
		if !strings.Contains(f, ready[final]) || strings.Contains(f, "SigCgt:\t0000000000000000") {
			return false
		}
		if f != last {
			last, since = f, time.Now()
		}
		return time.Since(since) > 200*time.Millisecond
	})
	return run
}

func readComm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSuffix(string(b), "\n")
}

// facts is what can be seen of process pid from outside that does not
// depend on when it runs: its arguments, environment (less
// NoInProcessVar), the names of its threads, credentials,
// capabilities, signal dispositions, limits, descriptors, whether it
// leads its process group and session, working directory and the owner
// of its /proc files (root's when it is not dumpable). Pipe numbers
// and dir are written as words.
func facts(t *testing.T, dir string, pid int) string {
	t.Helper()
	proc := "/proc/" + strconv.Itoa(pid)
	var b strings.Builder
	read := func(name string) string {
		data, _ := os.ReadFile(proc + "/" + name)
		return string(data)
	}
	b.WriteString("cmdline " + strconv.Quote(read("cmdline")) + "\n")
	for _, kv := range strings.Split(read("environ"), "\x00") {
		if !strings.HasPrefix(kv, privs.NoInProcessVar+"=") {
			b.WriteString("env " + strconv.Quote(kv) + "\n")
		}
	}
	names := map[string]bool{}
	if tasks, err := os.ReadDir(proc + "/task"); err == nil {
		for _, task := range tasks {
			data, _ := os.ReadFile(proc + "/task/" + task.Name() + "/comm")
			names[strings.TrimSpace(string(data))] = true
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	b.WriteString("threads " + strings.Join(list, " ") + "\n")
	// (Not SigBlk: it is the mask of whichever thread the runtime made
	// the group leader's at that moment, as in any Go program.)
	for _, l := range strings.Split(read("status"), "\n") {
		for _, f := range []string{"Name", "Umask", "Uid", "Gid", "Groups", "SigIgn", "SigCgt", "SigPnd", "ShdPnd", "Cap", "NoNewPrivs", "Seccomp"} {
			if strings.HasPrefix(l, f) {
				b.WriteString(l + "\n")
			}
		}
	}
	b.WriteString(read("limits"))
	if stat := read("stat"); strings.LastIndexByte(stat, ')') > 0 {
		if f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:]); len(f) > 5 {
			b.WriteString("leads its group " + strconv.FormatBool(f[2] == strconv.Itoa(pid)) +
				", its session " + strconv.FormatBool(f[3] == strconv.Itoa(pid)) + "\n")
		}
	}
	if ents, err := os.ReadDir(proc + "/fd"); err == nil {
		var fds []int
		for _, e := range ents {
			n, _ := strconv.Atoi(e.Name())
			fds = append(fds, n)
		}
		sort.Ints(fds)
		for _, fd := range fds {
			target, _ := os.Readlink(proc + "/fd/" + strconv.Itoa(fd))
			if strings.HasPrefix(target, "pipe:") {
				target = "pipe"
			}
			b.WriteString("fd " + strconv.Itoa(fd) + " " + target + "\n")
		}
	}
	cwd, _ := os.Readlink(proc + "/cwd")
	b.WriteString("cwd " + cwd + "\n")
	var st syscall.Stat_t
	if syscall.Stat(proc+"/environ", &st) == nil {
		b.WriteString("owner " + strconv.Itoa(int(st.Uid)) + "\n")
	}
	return strings.ReplaceAll(b.String(), dir, "$DIR")
}

// execFilename returns the file name the last execve of pid was given,
// read where its AT_EXECFN entry points (which needs ptrace access:
// root, or a child of ours under our uid).
func execFilename(t *testing.T, pid int) string {
	t.Helper()
	proc := "/proc/" + strconv.Itoa(pid)
	auxv, err := os.ReadFile(proc + "/auxv")
	if err != nil {
		t.Fatal(err)
	}
	const atExecfn = 31
	for i := 0; i+16 <= len(auxv); i += 16 {
		if binary.NativeEndian.Uint64(auxv[i:]) != atExecfn {
			continue
		}
		mem, err := os.Open(proc + "/mem")
		if err != nil {
			t.Skipf("cannot read the process's memory: %v", err)
		}
		defer mem.Close()
		buf := make([]byte, 4096)
		n, _ := mem.ReadAt(buf, int64(binary.NativeEndian.Uint64(auxv[i+8:])))
		if j := bytes.IndexByte(buf[:n], 0); j >= 0 {
			return string(buf[:j])
		}
		t.Fatalf("AT_EXECFN of %d unreadable", pid)
	}
	t.Fatalf("no AT_EXECFN in %s/auxv", proc)
	return ""
}

// facts are those of the chain's process and, when it is fghack, of
// its child.
func (r running) facts(t *testing.T, dir string) string {
	f := facts(t, dir, r.p.Pid())
	if r.pid != r.p.Pid() {
		f += "child:\n" + facts(t, dir, r.pid)
	}
	return f
}

// stop ends the chain's input and checks that it exits 0.
func (r running) stop(t *testing.T) {
	t.Helper()
	r.stdin.Close()
	if err := r.p.Wait(t, 20*time.Second); err != nil {
		t.Errorf("%v: %v\n%s", r.p.Cmd.Args, err, r.p.Stderr)
	}
}

// compare runs script both ways in a fresh directory and checks that
// the program final looked the same, and that it ran in the first
// loader's process (first: the name of its link) or was exec'd (as
// file: the name of its link, when it is not final).
func compare(t *testing.T, script, final, file, first string, inProcess bool, env ...string) (ours, execd string) {
	t.Helper()
	if file == "" {
		file = final
	}
	dir := workDir(t)
	r := startChain(t, dir, script, final, env...)
	ours = r.facts(t, dir)
	got := filepath.Base(execFilename(t, r.pid))
	want := file
	if inProcess {
		want = first
	}
	if final == "multilog" && r.pid != r.p.Pid() {
		want = "multilog" // fghack's child is a fork and an exec of its own
		if inProcess && filepath.Base(execFilename(t, r.p.Pid())) != first {
			t.Errorf("fghack was exec'd: the last exec of its process ran %s, not %s", execFilename(t, r.p.Pid()), first)
		}
	}
	if got != want {
		t.Errorf("%s: the last exec of %s's process ran %s, want %s", script, final, got, want)
	}
	r.p.Kill()
	os.RemoveAll(filepath.Join(dir, "main"))
	r = startChain(t, dir, script, final, append(env, privs.NoInProcessVar+"=1")...)
	execd = r.facts(t, dir)
	if got := filepath.Base(execFilename(t, r.pid)); got != file {
		t.Errorf("%s with %s: the last exec ran %s, want %s", script, privs.NoInProcessVar, got, file)
	}
	r.p.Kill()
	if ours != execd {
		t.Errorf("%s: in one process and exec'ing differ:\n%s", script, lineDiff(ours, execd))
	}
	return ours, execd
}

func TestChainRunsInOneProcess(t *testing.T) {
	drop := ""
	if os.Geteuid() == 0 {
		drop = "setuidgid nobody "
	}
	for _, tc := range []struct{ script, final, file, first string }{
		{"exec envdir e " + drop + "softlimit -d 3000000 -c 0 -f 100000000 -t 1000 multilog t ./main", "multilog", "", "envdir"},
		{"exec envdir e envuidgid daemon pgrphack " + drop + "multilog t ./main", "multilog", "", "envdir"},
		{"exec daemontools envdir e daemontools multilog t ./main", "multilog", "daemontools", "daemontools"},
		{"exec envdir e fghack multilog t ./main", "multilog", "", "envdir"},
		{"exec softlimit -c 0 envdir e " + drop + "tai64n", "tai64n", "", "softlimit"},
	} {
		ours, _ := compare(t, tc.script, tc.final, tc.file, tc.first, true)
		if !strings.Contains(ours, `env "V=from envdir"`) {
			t.Errorf("%s: envdir's variable is not in the environment:\n%s", tc.script, ours)
		}
	}
}

// What the exec gives that the process cannot be given in place: a
// limit on open files (which a fresh runtime raises for itself, keeping
// the lower one for its children), a new value for one of the
// variables the runtime reads once (GOGC, GODEBUG, ...), a lock put
// where the runtime had opened /dev/null on a closed stdin, or where
// the runtime keeps a descriptor of its own (its cgroup CPU-limit
// files, where the machine has them: then the test process has them
// too). Each makes the loader exec, and the program looks the same as
// when every loader execs.
func TestChainExecsWhenItMust(t *testing.T) {
	for _, tc := range []struct{ name, script, final string }{
		{"open files", "exec envdir e softlimit -o 50 multilog t ./main", "multilog"},
		{"GOGC", "echo 50 >e/GOGC; exec envdir e multilog t ./main", "multilog"},
		{"closed stdin", "mkdir sv; exec 0<&-; exec envdir e setlock lk svscan sv", "svscan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			compare(t, tc.script, tc.final, "", "", false)
		})
	}
	t.Run("runtime descriptor", func(t *testing.T) {
		compare(t, "exec envdir e setlock lk multilog t ./main", "multilog", "", "envdir", !runtimeHoldsFds(t))
	})
}

// runtimeHoldsFds reports whether this test's own Go runtime holds a
// close-on-exec descriptor of its own: a cgroup file.
func runtimeHoldsFds(t *testing.T) bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(target, "/sys/fs/cgroup/") {
			return true
		}
	}
	return false
}

// setlock waits for its lock with the signals that kill the reference
// at their default action, and the ones ignored at start-up ignored
// again; a program of ours run next in its process gets the runtime's
// handlers back, as a fresh start installs them: multilog handles ALRM
// (a new log file) instead of dying of it. The runtime must hold no
// descriptor of its own where the lock goes, or setlock execs:
// containermaxprocs=0 makes it close its cgroup files.
func TestChainRestoresSignalsAfterSetlock(t *testing.T) {
	script := "trap '' QUIT USR2 PIPE; exec envdir e setlock lk multilog t ./main"
	compare(t, script, "multilog", "", "envdir", true, "GODEBUG=containermaxprocs=0")
	dir := workDir(t)
	r := startChain(t, dir, script, "multilog", "GODEBUG=containermaxprocs=0")
	r.stdin.Write([]byte("one\n"))
	apptest.Poll(t, 10*time.Second, "the line in current", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "main", "current"))
		return bytes.Contains(b, []byte("one"))
	})
	if err := syscall.Kill(r.pid, syscall.SIGALRM); err != nil {
		t.Fatal(err)
	}
	apptest.Poll(t, 10*time.Second, "ALRM to rotate the log", func() bool { return len(apptest.OldLogs(t, filepath.Join(dir, "main"))) == 1 })
	r.stop(t)
}

// An argument list the exec would refuse is refused: the loader reports
// it and exits 111, as when it execs.
func TestChainArgumentListTooLong(t *testing.T) {
	dir := workDir(t)
	os.WriteFile(filepath.Join(dir, "e", "BIG"), bytes.Repeat([]byte("x"), 200000), 0o644)
	var outs [2]string
	for i, env := range [][]string{nil, {privs.NoInProcessVar + "=1"}} {
		cmd := exec.Command(filepath.Join(apptest.BinDir(t), "envdir"), "e", "multilog", "t", "./main")
		cmd.Dir = dir
		cmd.Env = append(apptest.Env(apptest.BinDir(t)), env...)
		out, err := cmd.CombinedOutput()
		outs[i] = string(out) + "rc=" + strconv.Itoa(apptest.ExitCode(err))
	}
	if want := "envdir: fatal: unable to run multilog: argument list too long\nrc=111"; outs[0] != want || outs[1] != want {
		t.Errorf("in one process %q, exec'ing %q, want %q", outs[0], outs[1], want)
	}
}

// lineDiff lists the lines of a and b that differ, position by
// position.
func lineDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return out.String()
}

// supervise run in the loader's process gives its service the loader's
// new environment, as when it is exec'd (supervision takes the
// environment when it first starts a service).
func TestChainEnvironmentReachesTheService(t *testing.T) {
	dir := workDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "sv"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := "#!/bin/sh\nenv | grep -v '^" + privs.NoInProcessVar + "=' >../env.new && mv ../env.new ../env\nexec sleep 1000\n"
	if err := os.WriteFile(filepath.Join(dir, "sv", "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	var got [2]string
	for i, env := range [][]string{nil, {privs.NoInProcessVar + "=1"}} {
		os.Remove(filepath.Join(dir, "env"))
		cmd := exec.Command("/bin/sh", "-c", "exec envdir e supervise sv")
		cmd.Dir = dir
		cmd.Env = append(apptest.Env(apptest.BinDir(t)), env...)
		p := apptest.Start(t, cmd)
		apptest.Poll(t, 20*time.Second, "the service to write its environment", func() bool {
			b, err := os.ReadFile(filepath.Join(dir, "env"))
			got[i] = string(b)
			return err == nil
		})
		if want := "supervise"; readComm(p.Pid()) != want {
			t.Errorf("the process is %q, want %q", readComm(p.Pid()), want)
		}
		p.Kill()
	}
	if !strings.Contains(got[0], "V=from envdir\n") {
		t.Errorf("the service's environment lacks envdir's variable:\n%s", got[0])
	}
	if got[0] != got[1] {
		t.Errorf("the service's environment, in one process and exec'ing:\n%s", lineDiff(got[0], got[1]))
	}
}
