package svctl

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// sample is one parsed line of the exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseExposition checks text against the Prometheus text format
// (version 0.0.4) strictly: HELP and TYPE at most once per family and
// before its samples, a family's samples together, names and label
// names well formed, label values escaped with \\ \" \n only, values
// that parse, no sample twice. It returns the samples and each
// family's type.
func parseExposition(text string) ([]sample, map[string]string, error) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, nil, errors.New("no final newline")
	}
	var samples []sample
	types := map[string]string{}
	helps := map[string]bool{}
	done := map[string]bool{} // families whose samples are over
	seen := map[string]bool{}
	current := ""
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(msg string) error { return fmt.Errorf("line %d %q: %s", n+1, line, msg) }
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a comment
			}
			name := f[2]
			if !metricName.MatchString(name) {
				return nil, nil, fail("bad metric name")
			}
			if done[name] || seen[name+"{}samples"] {
				return nil, nil, fail("HELP or TYPE after the family's samples")
			}
			if f[1] == "HELP" {
				if helps[name] {
					return nil, nil, fail("a second HELP")
				}
				helps[name] = true
				if len(f) == 4 && strings.ContainsAny(strings.ReplaceAll(strings.ReplaceAll(f[3], `\\`, ""), `\n`, ""), `\`) {
					return nil, nil, fail("a bad escape in HELP")
				}
			} else {
				if _, ok := types[name]; ok {
					return nil, nil, fail("a second TYPE")
				}
				if len(f) != 4 || !map[string]bool{"counter": true, "gauge": true, "histogram": true, "summary": true, "untyped": true}[f[3]] {
					return nil, nil, fail("bad type")
				}
				types[name] = f[3]
			}
			continue
		}
		s, key, err := parseSample(line)
		if err != nil {
			return nil, nil, fail(err.Error())
		}
		if s.name != current {
			if done[s.name] {
				return nil, nil, fail("the family's samples are not together")
			}
			if current != "" {
				done[current] = true
			}
			current = s.name
		}
		if seen[key] {
			return nil, nil, fail("the same sample twice")
		}
		seen[key], seen[s.name+"{}samples"] = true, true
		samples = append(samples, s)
	}
	return samples, types, nil
}

func parseSample(line string) (sample, string, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, "", errors.New("no value")
	}
	s.name = line[:i]
	if !metricName.MatchString(s.name) {
		return s, "", errors.New("bad metric name")
	}
	rest := line[i:]
	key := s.name + "{"
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 || !labelName.MatchString(rest[:eq]) {
				return s, "", errors.New("bad label name")
			}
			name := rest[:eq]
			rest = rest[eq+2:]
			var v strings.Builder
			for {
				if rest == "" {
					return s, "", errors.New("unterminated label value")
				}
				c := rest[0]
				rest = rest[1:]
				if c == '"' {
					break
				}
				if c == '\n' {
					return s, "", errors.New("newline in a label value")
				}
				if c == '\\' {
					if rest == "" || !strings.ContainsRune(`\"n`, rune(rest[0])) {
						return s, "", errors.New("bad escape in a label value")
					}
					c = map[byte]byte{'\\': '\\', '"': '"', 'n': '\n'}[rest[0]]
					rest = rest[1:]
				}
				v.WriteByte(c)
			}
			if _, dup := s.labels[name]; dup {
				return s, "", errors.New("a label twice")
			}
			s.labels[name] = v.String()
			key += name + "=" + strconv.Quote(v.String()) + ","
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			}
		}
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 || !strings.HasPrefix(rest, " ") {
		return s, "", errors.New("bad value")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil && f[0] != "+Inf" && f[0] != "-Inf" && f[0] != "NaN" {
		return s, "", errors.New("bad value")
	}
	s.value = v
	return s, key + "}", nil
}

func TestParseExpositionRejects(t *testing.T) {
	bad := []string{
		"a 1\nb 2\na 3\n",
		"# TYPE a gauge\n# TYPE a gauge\na 1\n",
		"a 1\n# HELP a late\n",
		`a{x="\t"} 1` + "\n",
		`a{x="1",x="2"} 1` + "\n",
		"a{x=\"1\"} 1\na{x=\"1\"} 2\n",
		"a one\n",
		"1a 1\n",
		"a 1",
	}
	for _, text := range bad {
		if _, _, err := parseExposition(text); err == nil {
			t.Errorf("accepted %q", text)
		}
	}
	if _, _, err := parseExposition("# HELP a x\n# TYPE a gauge\na{s=\"q\\\"\\\\\\n\"} 1\nb 2.5\n"); err != nil {
		t.Error(err)
	}
}

func metricLooks(now time.Time) []look {
	stamp := timefmt.TAI64N{Sec: timefmt.Epoch + uint64(now.Unix()) - 100, Nano: 500}
	restart := timefmt.FromTime(now.Add(10 * time.Second))
	return []look{
		{dir: "dt", st: supervision.Status{Stamp: stamp, Pid: 42, Want: 'u'}, normallyUp: true},
		{dir: "rn", st: supervision.Status{Stamp: stamp, Pid: 7, Want: 'u', Runit: true, State: supervision.StateFinish}},
		{dir: `we"ird\` + "\n\xff", st: supervision.Status{Stamp: stamp, Want: 'u', Runit: true,
			Ext: supervision.Ext{Present: true, Phase: supervision.PhaseBackoff, Exit: supervision.ExitCode, ExitValue: 3, Restart: restart, Deaths: 2}}},
		{dir: "failed", st: supervision.Status{Stamp: stamp, Want: 'u', Runit: true,
			Ext: supervision.Ext{Present: true, Phase: supervision.PhaseFailed, Exit: supervision.ExitSignal, ExitValue: 9, Deaths: 4}}},
		{dir: "nosup", unsupervised: true},
		{dir: "missing", fail: "unable to chdir: file does not exist"},
		// A run in a cgroup: this test's process stands in for it.
		{dir: "cg", st: supervision.Status{Stamp: stamp, Pid: uint32(os.Getpid()), Want: 'u',
			Ext: supervision.Ext{Present: true, Phase: supervision.PhaseUp, Flags: supervision.FlagCgroup}}},
	}
}

func TestMetrics(t *testing.T) {
	now := time.Now()
	looks := metricLooks(now)
	for i := range looks {
		looks[i].now = now
	}
	text := string(appendMetrics(nil, looks))
	samples, types, err := parseExposition(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	_, inCgroup := supervision.CgroupProcesses(os.Getpid())
	for _, m := range metrics {
		if m.name == "daemontools_service_processes" && !inCgroup {
			continue // no cgroup v2 here: no sample, and no family
		}
		if types[m.name] != "gauge" {
			t.Errorf("%s: type %q", m.name, types[m.name])
		}
	}
	get := func(name, service string, labels ...string) (float64, bool) {
		for _, s := range samples {
			if s.name != name || s.labels["service"] != service {
				continue
			}
			if len(labels) == 2 && s.labels[labels[0]] != labels[1] {
				continue
			}
			return s.value, true
		}
		return 0, false
	}
	weird := `we"ird\` + "\n\uFFFD"
	want := []struct {
		name, service string
		value         float64
		labels        []string
	}{
		{"daemontools_service_supervised", "dt", 1, nil},
		{"daemontools_service_supervised", "nosup", 0, nil},
		{"daemontools_service_normally_up", "dt", 1, nil},
		{"daemontools_service_normally_up", "rn", 0, nil},
		{"daemontools_service_up", "dt", 1, nil},
		{"daemontools_service_up", "rn", 0, nil},
		{"daemontools_service_state", "rn", 1, []string{"state", "finishing"}},
		{"daemontools_service_state", "rn", 0, []string{"state", "up"}},
		{"daemontools_service_state", weird, 1, []string{"state", "backoff"}},
		{"daemontools_service_state", "failed", 1, []string{"state", "failed"}},
		{"daemontools_service_state_seconds", "dt", 100, nil},
		{"daemontools_service_ready", "dt", 1, nil},
		{"daemontools_service_want_up", "dt", 1, nil},
		{"daemontools_service_deaths", weird, 2, nil},
		{"daemontools_service_last_exit_code", weird, 3, nil},
		{"daemontools_service_last_exit_signal", "failed", 9, nil},
		{"daemontools_service_failed", "failed", 1, nil},
		{"daemontools_service_failed", "dt", 0, nil},
	}
	for _, w := range want {
		if v, ok := get(w.name, w.service, w.labels...); !ok || v != w.value {
			t.Errorf("%s{service=%q %v} = %v (found %v), want %v", w.name, w.service, w.labels, v, ok, w.value)
		}
	}
	if v, ok := get("daemontools_service_restart_seconds", weird); !ok || v <= 9 || v > 10.001 {
		t.Errorf("restart_seconds = %v, %v", v, ok)
	}
	if v, _ := get("daemontools_service_state_change_timestamp_seconds", "dt"); v-float64(now.Unix()-100) > 1e-3 || v < float64(now.Unix()-100) {
		t.Errorf("state_change_timestamp_seconds = %v, want %v", v, now.Unix()-100)
	}
	// What cannot be known is left out.
	for _, absent := range []struct{ name, service string }{
		{"daemontools_service_last_exit_code", "dt"}, {"daemontools_service_deaths", "dt"},
		{"daemontools_service_up", "nosup"}, {"daemontools_service_supervised", "missing"},
		{"daemontools_service_restart_seconds", "failed"}, {"daemontools_service_last_exit_code", "failed"},
	} {
		if _, ok := get(absent.name, absent.service); ok {
			t.Errorf("%s{service=%q} should be absent", absent.name, absent.service)
		}
	}
	if n := strings.Count(text, "\n# TYPE daemontools_service_state gauge\n"); n != 1 {
		t.Errorf("state's TYPE %d times", n)
	}
	checkWithPrometheusClient(t, text)
	if got := appendMetrics(nil, nil); len(got) != 0 {
		t.Errorf("no directories: %q", got)
	}
}

// checkWithPrometheusClient parses text with the Prometheus project's
// Python client, where Debian's python3-prometheus-client is installed.
func checkWithPrometheusClient(t *testing.T, text string) {
	t.Helper()
	const py = "/usr/bin/python3"
	if exec.Command(py, "-c", "import prometheus_client.parser").Run() != nil {
		t.Log("python3-prometheus-client is not installed: the strict parser above only")
		return
	}
	cmd := exec.Command(py, "-c", `import sys
from prometheus_client.parser import text_string_to_metric_families
n = 0
for fam in text_string_to_metric_families(sys.stdin.read()):
    assert fam.type == "gauge", fam
    n += len(fam.samples)
print(n)`)
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("prometheus_client rejects the output: %v\n%s\n%s", err, out, text)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(strings.Count(text, "\n")-2*strings.Count(text, "# TYPE ")) {
		t.Errorf("prometheus_client read %s samples", got)
	}
}
