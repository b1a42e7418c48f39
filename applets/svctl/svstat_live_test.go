package svctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/supervision"
)

// svstat, --json and --metrics on real services: every field against
// the state the service is really in.

// sameLine runs our svstat and Debian's on dir until they print the
// same line (a second may tick between the two) and returns ours.
func sameLine(t *testing.T, dir string) string {
	t.Helper()
	theirs := apptest.Debian(t, "svstat")
	var ours, ref string
	for i := 0; i < 5; i++ {
		ours, ref = client(t, "svstat", dir).stdout, client(t, theirs, dir).stdout
		if ours == ref {
			return ours
		}
	}
	t.Errorf("svstat %s: ours %q, Debian's %q", dir, ours, ref)
	return ours
}

// extendedLine runs our svstat and Debian's on dir until our line is
// Debian's followed by a suffix that matches the regular expression
// suffix, fails the test if it never is, and returns our line.
func extendedLine(t *testing.T, dir, suffix string) string {
	t.Helper()
	theirs := apptest.Debian(t, "svstat")
	re := regexp.MustCompile("^" + suffix + "\n$")
	var ours, ref string
	for i := 0; i < 5; i++ {
		ours, ref = client(t, "svstat", dir).stdout, client(t, theirs, dir).stdout
		if rest, ok := strings.CutPrefix(ours, strings.TrimSuffix(ref, "\n")); ok && re.MatchString(rest) {
			return ours
		}
	}
	t.Errorf("svstat %s: ours %q, want Debian's %q followed by %q", dir, ours, ref, suffix)
	return ours
}

func jsonOf(t *testing.T, dirs ...string) []map[string]any {
	t.Helper()
	r := client(t, "svstat", append([]string{"--json"}, dirs...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("svstat --json: exit %d, %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(dirs) {
		t.Fatalf("svstat --json: %d lines for %d dirs:\n%s", len(lines), len(dirs), r.stdout)
	}
	var out []map[string]any
	for i, line := range lines {
		_, m := decodeJSON(t, []byte(line))
		if m["dir"] != dirs[i] {
			t.Errorf("line %d is for %v, not %s", i, m["dir"], dirs[i])
		}
		out = append(out, m)
	}
	return out
}

// checkJSON compares the fields of an object with want (JSON texts).
func checkJSON(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := mustMarshal(m[k]); got != v {
			t.Errorf("%s: %s = %s, want %s", what, k, got, v)
		}
	}
}

func pidJSON(st supervision.Status) string { return strconv.Itoa(int(st.Pid)) }

// A service that uses none of the files reads the same under our
// svstat as under Debian's, whichever supervisor runs it, and --json
// says what the status file says.
func TestSvstatPlainAsDebian(t *testing.T) {
	t.Parallel()
	for _, sup := range []struct {
		prog, format string
		exitKnown    bool
	}{
		{superviseOurs(t), "daemontools-go", true},
		{superviseDebian(t), "daemontools", false},
		{superviseRunit(t), "runit", false},
	} {
		dir := newService(t, longRun, map[string]string{})
		startSupervisor(t, sup.prog, dir)
		st := waitStatus(t, dir, "up", func(st supervision.Status) bool { return st.Running() })
		if line := sameLine(t, dir); !strings.HasPrefix(line, dir+": up (pid "+pidJSON(st)+") ") {
			t.Errorf("%s: %q", sup.prog, line)
		}
		term := "false"
		if sup.format == "daemontools" {
			term = "null"
		}
		m := jsonOf(t, dir)[0]
		checkJSON(t, sup.prog+" up", m, map[string]string{"supervised": "true", "format": `"` + sup.format + `"`,
			"state": `"up"`, "pid": pidJSON(st), "normally": `"up"`, "want": `"up"`, "paused": "false", "term": term,
			"readiness": "false", "ready": "true", "exit": "null", "failed": "false", "reason": "null", "restart_at": "null"})
		if since, err := time.Parse(time.RFC3339Nano, m["since"].(string)); err != nil || !since.Equal(st.Stamp.Time()) {
			t.Errorf("%s: since %v, stamp %v (%v)", sup.prog, m["since"], st.Stamp.Time(), err)
		}
		if m["ready_since"] != m["since"] {
			t.Errorf("%s: ready_since %v, since %v", sup.prog, m["ready_since"], m["since"])
		}

		client(t, "svc", "-p", dir)
		waitStatus(t, dir, "paused", func(st supervision.Status) bool { return st.Paused != 0 })
		if line := sameLine(t, dir); !strings.HasSuffix(line, ", paused\n") {
			t.Errorf("%s: %q", sup.prog, line)
		}
		checkJSON(t, sup.prog+" paused", jsonOf(t, dir)[0], map[string]string{"paused": "true", "state": `"up"`})

		client(t, "svc", "-wd", "-T", "20000", "-cd", dir).expect(t, sup.prog+": -wd -cd", 0, "")
		if line := sameLine(t, dir); !strings.HasPrefix(line, dir+": down ") || !strings.HasSuffix(line, " seconds, normally up\n") {
			t.Errorf("%s: %q", sup.prog, line)
		}
		exit := "null"
		if sup.exitKnown {
			exit = `{"signal":15}`
		}
		checkJSON(t, sup.prog+" down", jsonOf(t, dir)[0], map[string]string{"state": `"down"`, "pid": "null",
			"want": `"down"`, "paused": "false", "ready": "false", "ready_since": "null", "exit": exit})
	}
}

// Each lifecycle file's state, with our supervise: the suffix after
// the reference's line (which Debian's svstat prints alike), and the
// fields of --json and --metrics.
func TestSvstatLifecycle(t *testing.T) {
	t.Parallel()
	ours := superviseOurs(t)

	// ./finish runs: its pid is in the status file, as runit does it.
	fin := newService(t, "#!/bin/sh\nexit 3\n", map[string]string{"finish": "#!/bin/sh\necho $$ > finish.pid\n" + heldFinish[len("#!/bin/sh\n"):],
		"timeout-finish": "0\n"})
	startSupervisor(t, ours, fin)
	fst := waitStatus(t, fin, "finishing", func(st supervision.Status) bool { return st.Finishing() })
	extendedLine(t, fin, ", finishing")
	checkJSON(t, "finishing", jsonOf(t, fin)[0], map[string]string{"state": `"finishing"`, "pid": pidJSON(fst),
		"exit": `{"code":3}`, "ready": "false", "failed": "false", "term": "false"})
	apptest.Poll(t, 20*time.Second, "finish.pid", func() bool { return readPid(filepath.Join(fin, "finish.pid")) == int(fst.Pid) })

	// restart-backoff: down, restarted in about a minute.
	bo := newService(t, "#!/bin/sh\nexit 2\n", map[string]string{"restart-backoff": "60 60 600\n"})
	startSupervisor(t, ours, bo)
	bst := waitStatus(t, bo, "backoff", func(st supervision.Status) bool { return st.Ext.Phase == supervision.PhaseBackoff })
	line := extendedLine(t, bo, ", restarting in ([0-9]+) seconds")
	if n := lastNumber(line); n < 1 || n > 60 {
		t.Errorf("backoff: %q, want a restart within a minute", line)
	}
	m := jsonOf(t, bo)[0]
	checkJSON(t, "backoff", m, map[string]string{"state": `"backoff"`, "pid": "null", "want": `"up"`, "exit": `{"code":2}`,
		"reason": `"restart-backoff: run exited 2"`, "failed": "false"})
	if at, err := time.Parse(time.RFC3339Nano, m["restart_at"].(string)); err != nil || !at.Equal(bst.Ext.Restart.Time()) {
		t.Errorf("restart_at %v, want %v (%v)", m["restart_at"], bst.Ext.Restart.Time(), err)
	}

	// restart-limit: more than 1 death in 60 s, and it gives up.
	lim := newService(t, "#!/bin/sh\nexit 1\n", map[string]string{"restart-limit": "1 60\n", "restart-backoff": "0.05 0.1 10\n"})
	startSupervisor(t, ours, lim)
	waitStatus(t, lim, "failed", func(st supervision.Status) bool { return st.Ext.Phase == supervision.PhaseFailed })
	extendedLine(t, lim, ", failed: 2 deaths in 60 seconds")
	checkJSON(t, "failed", jsonOf(t, lim)[0], map[string]string{"state": `"failed"`, "failed": "true", "deaths": "2",
		"window": "60", "limit": "1", "exit": `{"code":1}`, "reason": `"restart-limit: 2 deaths in 60 seconds"`})
	client(t, "svc", "-wu", "-T", "20000", lim).expect(t, "-wu on the failed service", exitTrouble,
		"svc: warning: "+lim+" failed: restart-limit: 2 deaths in 60 seconds\n")

	// ./finish exits 125: down for good, and the want byte says once.
	perm := newService(t, "#!/bin/sh\nexit 0\n", map[string]string{"finish": "#!/bin/sh\nexit 125\n"})
	startSupervisor(t, ours, perm)
	waitStatus(t, perm, "given up", func(st supervision.Status) bool { return st.GaveUp() })
	sameLine(t, perm)
	checkJSON(t, "permanent", jsonOf(t, perm)[0], map[string]string{"state": `"down"`, "want": `"once"`, "failed": "true",
		"reason": `"finish exited 125"`, "exit": `{"code":0}`})

	// timeout-kill: stopping a service that ignores TERM.
	stub := newService(t, "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n", map[string]string{"timeout-kill": "60000\n"})
	startSupervisor(t, ours, stub)
	up := waitStatus(t, stub, "up", func(st supervision.Status) bool { return st.Running() })
	client(t, "svc", "-d", stub)
	waitStatus(t, stub, "stopping", func(st supervision.Status) bool { return st.Ext.Phase == supervision.PhaseStopping })
	if line := sameLine(t, stub); !strings.HasSuffix(line, ", want down\n") {
		t.Errorf("stopping: %q", line)
	}
	checkJSON(t, "stopping", jsonOf(t, stub)[0], map[string]string{"state": `"stopping"`, "pid": pidJSON(up), "term": "true", "want": `"down"`})
	client(t, "svc", "-wD", "-T", "20000", "-k", stub).expect(t, "-wD -k", 0, "")
	checkJSON(t, "killed", jsonOf(t, stub)[0], map[string]string{"state": `"down"`, "exit": `{"signal":9}`})

	// All of them at once, and the directories that cannot be looked
	// at, through the metrics parsers.
	nosup := newService(t, longRun, map[string]string{"down": ""})
	missing := filepath.Join(t.TempDir(), "missing")
	r := client(t, "svstat", "--metrics", fin, bo, lim, perm, stub, nosup, missing)
	if r.code != 0 || r.stderr != "svstat: warning: "+missing+": unable to chdir: file does not exist\n" {
		t.Errorf("svstat --metrics: exit %d, %q", r.code, r.stderr)
	}
	samples, _, err := parseExposition(r.stdout)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	checkWithPrometheusClient(t, r.stdout)
	value := func(name, service, state string) string {
		for _, s := range samples {
			if s.name == name && s.labels["service"] == service && s.labels["state"] == state {
				return strconv.FormatFloat(s.value, 'f', -1, 64)
			}
		}
		return "absent"
	}
	for _, w := range []struct{ name, service, state, want string }{
		{"daemontools_service_state", fin, "finishing", "1"},
		{"daemontools_service_up", fin, "", "0"},
		{"daemontools_service_last_exit_code", fin, "", "3"},
		{"daemontools_service_state", bo, "backoff", "1"},
		{"daemontools_service_want_up", bo, "", "1"},
		{"daemontools_service_state", lim, "failed", "1"},
		{"daemontools_service_failed", lim, "", "1"},
		{"daemontools_service_deaths", lim, "", "2"},
		{"daemontools_service_failed", perm, "", "1"},
		{"daemontools_service_last_exit_signal", stub, "", "9"},
		{"daemontools_service_supervised", nosup, "", "0"},
		{"daemontools_service_normally_up", nosup, "", "0"},
		{"daemontools_service_up", nosup, "", "absent"},
		{"daemontools_service_supervised", missing, "", "absent"},
	} {
		if got := value(w.name, w.service, w.state); got != w.want {
			t.Errorf("%s{service=%q,state=%q} = %s, want %s", w.name, w.service, w.state, got, w.want)
		}
	}
	if v := value("daemontools_service_restart_seconds", bo, ""); v == "absent" {
		t.Error("no restart_seconds for the service in backoff")
	} else if f, _ := strconv.ParseFloat(v, 64); f <= 0 || f > 60 {
		t.Errorf("restart_seconds %s", v)
	}
}

// lastNumber returns the last number in line, -1 if none.
func lastNumber(line string) int {
	m := regexp.MustCompile(`([0-9]+)[^0-9]*$`).FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func readPid(path string) int {
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// Readiness, which our supervise does not record yet, on a status file
// written as it will be: the suffixes follow the reference's line.
func TestSvstatReadiness(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	starting := extStatus(100, supervision.PhaseStarting, supervision.FlagReadiness)
	f.announce(starting)
	extendedLine(t, f.dir, ", not ready")
	checkJSON(t, "starting", jsonOf(t, f.dir)[0], map[string]string{"state": `"starting"`, "readiness": "true",
		"ready": "false", "ready_since": "null"})
	ready := starting
	ready.Ext.Phase, ready.Ext.Ready = supervision.PhaseUp, starting.Stamp
	ready.Ext.Ready.Sec -= 5
	f.announce(ready)
	// Ready 5 seconds before the stamp of the start.
	line := extendedLine(t, f.dir, ", ready [0-9]+ seconds")
	if up := regexp.MustCompile(`\) ([0-9]+) seconds`).FindStringSubmatch(line); len(up) < 2 || strconv.Itoa(lastNumber(line)-5) != up[1] {
		t.Errorf("ready: %q", line)
	}
	m := jsonOf(t, f.dir)[0]
	checkJSON(t, "ready", m, map[string]string{"state": `"up"`, "readiness": "true", "ready": "true"})
	if at, err := time.Parse(time.RFC3339Nano, m["ready_since"].(string)); err != nil || !at.Equal(ready.Ext.Ready.Time()) {
		t.Errorf("ready_since %v, want %v", m["ready_since"], ready.Ext.Ready.Time())
	}
}

// Directories without a supervisor, and the errors, in --json.
func TestSvstatJSONErrors(t *testing.T) {
	t.Parallel()
	nosup := newService(t, longRun, map[string]string{})
	f := newFake(t)
	f.announce(extStatus(1, supervision.PhaseUp, 0))
	statusDir := newFake(t)
	if err := os.Mkdir(filepath.Join(statusDir.dir, "supervise", "status"), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	r := client(t, "svstat", "--json", nosup, missing, statusDir.dir, f.dir)
	want := `{"dir":` + mustMarshal(nosup) + `,"supervised":false,"normally":"up"}` + "\n" +
		`{"dir":` + mustMarshal(missing) + `,"error":"unable to chdir: file does not exist"}` + "\n" +
		`{"dir":` + mustMarshal(statusDir.dir) + `,"error":"unable to read supervise/status: is a directory"}` + "\n"
	if !strings.HasPrefix(r.stdout, want) || r.code != 0 || r.stderr != "" {
		t.Errorf("svstat --json:\n%s\nwant it to start with\n%s", r.stdout, want)
	}
	var last map[string]any
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["state"] != "up" {
		t.Errorf("the directory after the errors: %v %v", last, err)
	}
	// Without the option the same directories read as the reference
	// reads them: the status that cannot be read shows what the
	// previous directory left in the buffer (zeros here).
	r = client(t, "svstat", nosup, statusDir.dir)
	if want := nosup + ": unable to open supervise/ok: file does not exist\n" + statusDir.dir + ": down "; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("svstat: %q", r.stdout)
	}
}
