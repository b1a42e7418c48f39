package svscan_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/applets/svscan"
)

// The pod of testdata/container/pod.yaml, with no container runtime
// and no cluster: the kernel gives the test what the kubelet and the
// runtime would give the container. This test binary, started again
// as PID 1 of new pid, mount, network, UTS and IPC namespaces
// (podInit), bind-mounts the image's root read-only, mounts /proc,
// a /dev and the emptyDir (a tmpfs, noexec), chroots into the image,
// drops every capability (bounding set included), becomes the pod's
// user and sets no_new_privs, then execs the image's entrypoint,
// svscan. `kubectl exec` is nsenter into those namespaces as the same
// user.

// podInitEnv holds the podSpec of a test binary started as podInit.
const podInitEnv = "DAEMONTOOLS_TEST_POD_INIT"

func TestMain(m *testing.M) {
	if spec := os.Getenv(podInitEnv); spec != "" {
		podInit(spec)
	}
	code := m.Run()
	if static.dir != "" {
		os.RemoveAll(static.dir)
	}
	os.Exit(code)
}

// podSpec is what podInit needs to know.
type podSpec struct {
	Root     string   // the image's root on the host
	EmptyDir string   // the emptyDir's mountPath
	Uid, Gid int      // runAsUser, runAsGroup
	Env      []string // the container's environment
	Argv     []string // the entrypoint
}

// podInit makes the container and execs its entrypoint; it never
// returns. Each step that fails ends it with exit 120 and the reason.
func podInit(js string) {
	var p podSpec
	must := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(os.Stderr, "pod init: %s: %v\n", what, err)
			os.Exit(120)
		}
	}
	must("spec", json.Unmarshal([]byte(js), &p))
	// Capabilities and no_new_privs are per thread: set them on the
	// thread that execs.
	runtime.LockOSThread()
	r := p.Root
	must("make / private", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
	must("bind the image", unix.Mount(r, r, "", unix.MS_BIND|unix.MS_REC, ""))
	must("make the image read-only", unix.Mount("", r, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""))
	must("mount /proc", unix.Mount("proc", r+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""))
	// The runtime's /dev: a small tmpfs with null and the fd links.
	must("mount /dev", unix.Mount("tmpfs", r+"/dev", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k"))
	must("make /dev/null", os.WriteFile(r+"/dev/null", nil, 0o666))
	must("bind /dev/null", unix.Mount("/dev/null", r+"/dev/null", "", unix.MS_BIND, ""))
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		must("link /dev/"+name, os.Symlink(target, r+"/dev/"+name))
	}
	// The emptyDir, as the kubelet makes one (mode 0777), noexec.
	must("mount the emptyDir", unix.Mount("tmpfs", r+p.EmptyDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0777,size=16m"))
	must("chroot", unix.Chroot(r))
	must("chdir", unix.Chdir("/"))
	// capabilities: drop: [ALL], the bounding set included.
	for c := 0; c < 64; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err == unix.EINVAL {
			break
		} else {
			must("drop capability "+strconv.Itoa(c), err)
		}
	}
	must("clear ambient capabilities", unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
	must("setgroups", syscall.Setgroups(nil))
	must("setresgid", syscall.Setresgid(p.Gid, p.Gid, p.Gid))
	must("setresuid", syscall.Setresuid(p.Uid, p.Uid, p.Uid))
	// setresuid emptied the permitted and effective sets; the
	// inheritable one goes too.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var none [2]unix.CapUserData
	must("capset", unix.Capset(&hdr, &none[0]))
	// allowPrivilegeEscalation: false.
	must("no_new_privs", unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
	must("exec "+p.Argv[0], syscall.Exec(p.Argv[0], p.Argv, p.Env))
}

// manifest is what the tests take from pod.yaml.
type manifest struct {
	uid, gid, grace int
	mountPath       string
	env             []string // the container's, NAME=value
	nonRoot         bool     // runAsNonRoot: true
	readOnly        bool     // readOnlyRootFilesystem: true
	noEscalation    bool     // allowPrivilegeEscalation: false
	dropAll         bool     // capabilities: drop: ["ALL"]
	emptyDir        bool     // a volume that is an emptyDir
}

// readManifest reads the few fields of pod.yaml the tests use, line by
// line (the file is ours, one key a line).
func readManifest(t *testing.T) manifest {
	t.Helper()
	f, err := os.Open("../../testdata/container/pod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := manifest{uid: -1, gid: -1}
	name := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "- ")
		key, val, _ := strings.Cut(line, ":")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch key {
		case "runAsUser":
			m.uid, _ = strconv.Atoi(val)
		case "runAsGroup":
			m.gid, _ = strconv.Atoi(val)
		case "terminationGracePeriodSeconds":
			m.grace, _ = strconv.Atoi(val)
		case "mountPath":
			m.mountPath = val
		case "runAsNonRoot":
			m.nonRoot = val == "true"
		case "readOnlyRootFilesystem":
			m.readOnly = val == "true"
		case "allowPrivilegeEscalation":
			m.noEscalation = val == "false"
		case "drop":
			m.dropAll = strings.Contains(val, `"ALL"`)
		case "emptyDir":
			m.emptyDir = true
		case "name":
			name = val
		case "value":
			if name != "" {
				m.env = append(m.env, name+"="+val)
			}
			name = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m manifest) getenv(name string) (string, bool) {
	for _, kv := range m.env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v, true
		}
	}
	return "", false
}

// stopMargin is the least time the manifest and the Dockerfile leave
// between svscan's deadline and the kill of the kubelet or docker:
// after its deadline svscan still kills and reaps what is left.
const stopMargin = 2 * time.Second

// TestPodFiles checks that pod.yaml, the Dockerfile and the service
// tree agree: the pod's securityContext is what the README promises,
// SVSCAN_SHUTDOWN_TIMEOUT ends before terminationGracePeriodSeconds
// (and the image's before docker's 10 s), the image's user is the
// pod's, and every supervise link of the tree points one level into
// the emptyDir (the supervisors make the target, not its parents).
func TestPodFiles(t *testing.T) {
	m := readManifest(t)
	if !m.nonRoot || !m.readOnly || !m.noEscalation || !m.dropAll || !m.emptyDir || m.uid <= 0 || m.gid < 0 {
		t.Errorf("pod.yaml: not the promised securityContext and emptyDir: %+v", m)
	}
	v, ok := m.getenv(svscan.TimeoutEnv)
	if d, good := parseSeconds(v); !ok || !good || d+stopMargin > time.Duration(m.grace)*time.Second {
		t.Errorf("pod.yaml: %s=%q (set: %v) does not end %v before terminationGracePeriodSeconds %d", svscan.TimeoutEnv, v, ok, stopMargin, m.grace)
	}
	b, err := os.ReadFile("../../testdata/container/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var user, timeout string
	for _, l := range strings.Split(string(b), "\n") {
		if u, ok := strings.CutPrefix(l, "USER "); ok {
			user = u
		}
		if v, ok := strings.CutPrefix(l, "ENV "+svscan.TimeoutEnv+"="); ok {
			timeout = v
		}
	}
	if want := fmt.Sprintf("%d:%d", m.uid, m.gid); user != want {
		t.Errorf("Dockerfile: USER %q, pod.yaml runs as %s", user, want)
	}
	if d, ok := parseSeconds(timeout); !ok || d+stopMargin > 10*time.Second {
		t.Errorf("Dockerfile: %s=%q does not end %v before docker stop's 10 s", svscan.TimeoutEnv, timeout, stopMargin)
	}
	tree := "../../testdata/container/service"
	services, _ := filepath.Glob(tree + "/*/run")
	if len(services) == 0 {
		t.Fatal("no services in " + tree)
	}
	for _, run := range services {
		dir := filepath.Dir(run)
		dirs := []string{dir}
		if _, err := os.Stat(filepath.Join(dir, "log/run")); err == nil {
			dirs = append(dirs, filepath.Join(dir, "log"))
		}
		for _, d := range dirs {
			target, err := os.Readlink(filepath.Join(d, "supervise"))
			if err != nil || filepath.Dir(target) != m.mountPath {
				t.Errorf("%s/supervise: %q, %v; want a link to a name in %s", d, target, err, m.mountPath)
			}
		}
	}
}

// parseSeconds reads a decimal number of seconds.
func parseSeconds(v string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(v, 64)
	return time.Duration(f * float64(time.Second)), err == nil && f >= 0
}

// The services the test adds to the example's tree, as a user's would
// be: each with supervise links into the emptyDir (@RUN@ here).
var podServices = map[string]string{
	// A writer that numbers its lines and, on TERM, records how many
	// it wrote (in the emptyDir: the tree is read-only).
	"w/run": `#!/bin/sh
trap 'echo $n > @RUN@/w.count; exit 0' TERM
n=0
while :; do
  n=$((n+1)); echo "line $n"
  [ $((n % 20)) -ne 0 ] || sleep 0.05
done
`,
	// The README's logger that keeps a disk copy too: every line to
	// svscan's standard output (fd 3 here) and through the pipe on fd
	// 4 to multilog, whose ./main is a dangling link into the emptyDir.
	"w/log/run": `#!/bin/sh
exec 3>&1
tee /proc/self/fd/4 4>&1 >&3 | multilog t ./main
`,
	// timeout-kill makes the service lead its own process group. Its
	// child records the TERM of the shutdown, which reaches it only if
	// the group is signalled; ./run waits for it to have done so. (The
	// child's shell says "Terminated" of its sleep: not on the pod's
	// standard error.)
	"g/timeout-kill": "60000\n",
	"g/run": `#!/bin/sh
sh -c 'trap "echo term > @RUN@/g.term; kill \$s 2>/dev/null; exit 0" TERM
  sleep 1000 & s=$!; : > @RUN@/g.ready; wait $s' 2>/dev/null &
kid=$!
trap 'wait $kid; exit 0' TERM
wait $kid
`,
	// The main service: its end ends the pod, with its exit code.
	"main/svscan-exit": "always\n",
	"main/run": `#!/bin/sh
trap 'kill $! 2>/dev/null; exit 3' TERM
sleep 1000 & wait $!
`,
}

// podImage lays out the image's root as the Dockerfile builds it, with
// the test's services beside the example's (their supervise links made
// by the Dockerfile's step, the log directory's by hand), and returns
// its path.
func podImage(t *testing.T, emptyDir string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	out, err := exec.Command("sh", "../../testdata/container/mkinitramfs.sh", staticExe(t), staticBusybox(t), root).CombinedOutput()
	if err != nil {
		t.Fatalf("mkinitramfs.sh: %v\n%s", err, out)
	}
	for name, content := range podServices {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "run") {
			mode = 0o755
		}
		writeFile(t, filepath.Join(root, "service", name), strings.ReplaceAll(content, "@RUN@", emptyDir), mode)
	}
	makeLinks(t, filepath.Join(root, "service"))
	if err := os.Symlink(emptyDir+"/w.log.main", filepath.Join(root, "service/w/log/main")); err != nil {
		t.Fatal(err)
	}
	return root
}

// makeLinks runs the Dockerfile's step that gives every service and log
// of the tree in dir (the image's /service) a supervise link, with
// busybox's sh as the image's build does.
func makeLinks(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile("../../testdata/container/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var step []string
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "RUN "); ok && strings.Contains(l, "supervise") {
			if err := json.Unmarshal([]byte(rest), &step); err != nil {
				t.Fatalf("Dockerfile: %q: %v", l, err)
			}
		}
	}
	const cd = "cd /service && "
	if len(step) != 3 || step[0] != "/bin/sh" || step[1] != "-c" || !strings.HasPrefix(step[2], cd) {
		t.Fatalf("Dockerfile: no step %q...: %q", cd, step)
	}
	sh := exec.Command(staticBusybox(t), "sh", "-c", "cd \"$1\" && "+strings.TrimPrefix(step[2], cd), "sh", dir)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's link step: %v\n%s", err, out)
	}
}

// superviseLinks maps every supervise link below dir to its target.
func superviseLinks(t *testing.T, dir string) map[string]string {
	t.Helper()
	links := map[string]string{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "supervise" && info.Mode()&os.ModeSymlink != 0 {
			rel, _ := filepath.Rel(dir, path)
			links[rel], err = os.Readlink(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return links
}

// TestDockerfileLinks: the Dockerfile's link step makes exactly the
// links the example's tree holds, and leaves them alone when they are
// there.
func TestDockerfileLinks(t *testing.T) {
	tree := "../../testdata/container/service"
	want := superviseLinks(t, tree)
	if len(want) == 0 {
		t.Fatal("no supervise links in " + tree)
	}
	dir := filepath.Join(t.TempDir(), "service")
	if out, err := exec.Command("cp", "-R", tree, dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	for l := range want {
		if err := os.Remove(filepath.Join(dir, l)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		makeLinks(t, dir)
		if got := superviseLinks(t, dir); !maps.Equal(got, want) {
			t.Errorf("the Dockerfile's step made %v, the tree has %v", got, want)
		}
	}
}

// podStatus is what /proc/PID/status says of the pod's init.
func podStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			st[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	return st
}

// mountOptions returns the per-mount options of the mount at point, as
// the process pid sees its mounts.
func mountOptions(t *testing.T, pid int, point string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var opts []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 5 && f[4] == point {
			opts = strings.Split(f[5], ",") // the last mount there wins
		}
	}
	return opts
}

// inPod runs argv as `kubectl exec` would: in the pod's namespaces and
// root, in its init's working directory, as its user.
func inPod(t *testing.T, init, uid, gid int, argv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	args := append([]string{"-t", strconv.Itoa(init), "-m", "-p", "-r", "-w", "-S", strconv.Itoa(uid), "-G", strconv.Itoa(gid), "--"}, argv...)
	out, err := exec.CommandContext(ctx, "nsenter", args...).CombinedOutput()
	return string(out), apptest.ExitCode(err)
}

// clockLine is a line of the example's clock. Its logger writes each
// in one write(2), so it is whole wherever it falls in svscan's
// output; the writer's tee may split its lines between two writes.
var clockLine = regexp.MustCompile(`the time is [^\n]*\n`)

// TestPod runs the example of testdata/container as the pod of
// pod.yaml runs it (see the top of this file), as pod.yaml's user and
// as a random uid with group 0 and no passwd entry, as OpenShift
// assigns: svscan is PID 1 with no capability and no_new_privs, the
// services start with their state in the emptyDir, the example's lines
// reach the container's output, svstat, svok and svc work from a
// second process in the pod, and the pod ends in order with no line
// lost (on the output and in the multilog copy), on TERM with exit 0,
// or, when the main service ends, with its exit code.
func TestPod(t *testing.T) {
	apptest.RequireRoot(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("nsenter (util-linux) is not installed")
	}
	probe := exec.Command("/bin/true")
	probe.SysProcAttr = &syscall.SysProcAttr{Cloneflags: podClone}
	if err := probe.Run(); err != nil {
		t.Skipf("no new pid, mount and network namespaces here: %v", err)
	}
	m := readManifest(t)
	for _, c := range []struct {
		name     string
		uid, gid int
		mainEnds bool
	}{
		{"runAsUser TERM", m.uid, m.gid, false},
		{"random uid main service", 1000000000 + rand.IntN(1000000000), 0, true},
	} {
		t.Run(c.name, func(t *testing.T) { runPod(t, m, c.uid, c.gid, c.mainEnds) })
	}
}

// podClone is the namespaces of a pod's container.
const podClone = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC

func runPod(t *testing.T, m manifest, uid, gid int, mainEnds bool) {
	root := podImage(t, m.mountPath)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(podSpec{
		Root: root, EmptyDir: m.mountPath, Uid: uid, Gid: gid,
		// The image's ENV PATH, what the runtime adds, pod.yaml's env.
		Env:  append([]string{"PATH=/bin", "HOME=/", "HOSTNAME=daemontools-example"}, m.env...),
		Argv: []string{"/bin/svscan", "/service"},
	})
	cmd := exec.Command(self)
	cmd.Env = []string{podInitEnv + "=" + string(spec)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: podClone}
	p := apptest.Start(t, cmd)
	init := p.Pid() // PID 1 inside
	// The entrypoint's argv, as ENTRYPOINT gives it.
	if !apptest.PollOK(wait, func() bool { return apptest.Cmdline(init) == "/bin/svscan\x00/service\x00" || p.Exited() }) {
		t.Fatalf("the pod's init runs %q", apptest.Cmdline(init))
	}
	if p.Exited() {
		t.Fatalf("the pod's init ended: %v; stderr %q", p.Wait(t, wait), p.Stderr.String())
	}

	// The conditions themselves.
	st := podStatus(t, init)
	ids := func(n int) string { s := strconv.Itoa(n); return s + " " + s + " " + s + " " + s }
	if st["Uid"] != ids(uid) || st["Gid"] != ids(gid) || st["Groups"] != "" || st["NoNewPrivs"] != "1" || !strings.HasSuffix(st["NSpid"], " 1") {
		t.Errorf("the pod's init is not PID 1 as the pod's user with no_new_privs: %q", st)
	}
	for _, c := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if st[c] != "0000000000000000" {
			t.Errorf("the pod's init has capabilities: %s %s", c, st[c])
		}
	}
	if o := mountOptions(t, init, "/"); !slices.Contains(o, "ro") {
		t.Errorf("the image is mounted %v, not read-only", o)
	}
	if o := mountOptions(t, init, m.mountPath); !slices.Contains(o, "rw") || !slices.Contains(o, "noexec") {
		t.Errorf("the emptyDir is mounted %v, not rw,noexec", o)
	}

	// Every supervisor made its dangling link's target in the emptyDir.
	state := "/proc/" + strconv.Itoa(init) + "/root" + m.mountPath
	names := []string{"clock", "clock.log", "web", "web.log", "w", "w.log", "g", "main"}
	for _, n := range names {
		apptest.Poll(t, wait, n+" up", func() bool { return statusPid(filepath.Join(state, n+".supervise")) != 0 })
	}
	// The emptyDir outlives the pod while this descriptor holds it.
	run, err := os.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	kept := "/proc/self/fd/" + strconv.Itoa(int(run.Fd()))
	apptest.Poll(t, wait, "the clock's line on the pod's output", func() bool { return clockLine.MatchString(p.Stdout.String()) })
	apptest.Poll(t, wait, "multilog's copy through the dangling log/main link", func() bool {
		b, _ := os.ReadFile(filepath.Join(kept, "w.log.main/current"))
		return strings.Contains(string(b), " line 1\n")
	})
	apptest.Poll(t, wait, "g's child", func() bool {
		_, err := os.Stat(filepath.Join(kept, "g.ready"))
		return err == nil
	})

	// kubectl exec: the clients, given the usual paths.
	var dirs []string
	for _, n := range names {
		dirs = append(dirs, "/service/"+strings.ReplaceAll(n, ".", "/"))
	}
	out, code := inPod(t, init, uid, gid, append([]string{"/bin/svstat"}, dirs...)...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != len(dirs) {
		t.Fatalf("svstat in the pod: exit %d, %q", code, out)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, dirs[i]+": up (pid ") {
			t.Errorf("svstat in the pod: %q", l)
		}
	}
	if out, code := inPod(t, init, uid, gid, append([]string{"/bin/svok"}, dirs[0])...); code != 0 {
		t.Errorf("svok in the pod: exit %d, %q", code, out)
	}

	want := 0
	if mainEnds {
		want = 3
		if out, code := inPod(t, init, uid, gid, "/bin/svc", "-t", "/service/main"); code != 0 {
			t.Fatalf("svc -t in the pod: exit %d, %q", code, out)
		}
	} else {
		syscall.Kill(init, syscall.SIGTERM) // the kubelet
	}
	if err := p.Wait(t, 60*time.Second); apptest.ExitCode(err) != want {
		t.Fatalf("the pod's init ended with %v (code %d), want %d; stderr %q", err, apptest.ExitCode(err), want, p.Stderr.String())
	}

	// An orderly end: every line the writer wrote is on the output and
	// in multilog's copy, which ended cleanly; the TERM reached g's
	// whole process group; nothing was reported.
	b, err := os.ReadFile(filepath.Join(kept, "w.count"))
	if err != nil {
		t.Fatalf("the writer did not record its count (killed?): %v", err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if got := loggedIn(t, filepath.Join(kept, "w.log.main")); got != n || n == 0 {
		t.Errorf("the writer wrote %d lines, multilog kept %d", n, got)
	}
	if info, err := os.Stat(filepath.Join(kept, "w.log.main/current")); err != nil || info.Mode().Perm() != 0o744 {
		t.Errorf("multilog did not end cleanly: %v", err)
	}
	var w strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&w, "line %d\n", i)
	}
	if got := clockLine.ReplaceAllString(p.Stdout.String(), ""); got != w.String() {
		t.Errorf("the pod's output, less the clock's lines, is not lines 1 to %d: %d bytes, ending %q", n, len(got), got[max(0, len(got)-80):])
	}
	if b, _ := os.ReadFile(filepath.Join(kept, "g.term")); string(b) != "term\n" {
		t.Errorf("g's child got no TERM (%q): its process group was not signalled", b)
	}
	if got := p.Stderr.String(); got != "" {
		t.Errorf("the pod's standard error: %q", got)
	}
}
