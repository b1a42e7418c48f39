package svctl

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// The keys of a supervised directory's object, in their order.
var jsonKeys = []string{"dir", "supervised", "format", "state", "pid", "since", "seconds", "normally",
	"want", "paused", "term", "readiness", "ready", "ready_since", "exit", "deaths", "window", "limit",
	"restart_at", "failed", "reason", "processes"}

// decodeJSON parses one object and returns its keys in order and its
// values.
func decodeJSON(t testing.TB, line []byte) ([]string, map[string]any) {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("not JSON: %s", line)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	var keys []string
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object", line)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	return keys, m
}

func TestJSON(t *testing.T) {
	now := time.Unix(1700000100, 0)
	stamp := timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000, Nano: 123456500}
	ext := supervision.Ext{Present: true, Phase: supervision.PhaseBackoff, Exit: supervision.ExitSignal, ExitValue: 9,
		Restart: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000110}, Deaths: 2, Window: 60, Limit: 5}
	cases := []struct {
		l    look
		want map[string]any // the values that matter here
	}{
		{look{dir: "dt", st: supervision.Status{Stamp: stamp, Pid: 42, Want: 'd', Paused: 1}, normallyUp: true},
			map[string]any{"format": "daemontools", "state": "up", "pid": 42.0, "since": "2023-11-14T22:13:20.123456500Z",
				"seconds": 100.0, "normally": "up", "want": "down", "paused": true, "term": nil, "ready": true,
				"ready_since": "2023-11-14T22:13:20.123456500Z", "exit": nil, "deaths": nil, "failed": false, "reason": nil}},
		{look{dir: "rn", st: supervision.Status{Stamp: stamp, Pid: 7, Want: 'u', Runit: true, Term: 1, State: supervision.StateFinish}},
			map[string]any{"format": "runit", "state": "finishing", "pid": 7.0, "normally": "down", "term": true, "ready": false,
				"ready_since": nil}},
		{look{dir: "once", st: supervision.Status{Stamp: stamp, Runit: true}},
			map[string]any{"state": "down", "pid": nil, "want": "once", "paused": false, "ready": false}},
		{look{dir: "ours", st: supervision.Status{Stamp: stamp, Want: 'u', Runit: true, Ext: ext}},
			map[string]any{"format": "daemontools-go", "state": "backoff", "exit": map[string]any{"signal": 9.0},
				"deaths": 2.0, "window": 60.0, "limit": 5.0, "restart_at": "2023-11-14T22:15:10.000000000Z",
				"failed": false, "reason": "restart-backoff: run killed by signal 9"}},
	}
	for _, c := range cases {
		c.l.now = now
		keys, m := decodeJSON(t, appendJSON(nil, &c.l))
		if strings.Join(keys, " ") != strings.Join(jsonKeys, " ") {
			t.Errorf("%s: keys %v", c.l.dir, keys)
		}
		if m["dir"] != c.l.dir || m["supervised"] != true {
			t.Errorf("%s: dir %v supervised %v", c.l.dir, m["dir"], m["supervised"])
		}
		for k, v := range c.want {
			if got, _ := json.Marshal(m[k]); string(got) != mustMarshal(v) {
				t.Errorf("%s: %s = %s, want %s", c.l.dir, k, got, mustMarshal(v))
			}
		}
	}
	if got := string(appendJSON(nil, &look{dir: "x", unsupervised: true, normallyUp: true})); got != `{"dir":"x","supervised":false,"normally":"up"}` {
		t.Errorf("unsupervised: %s", got)
	}
	if got := string(appendJSON(nil, &look{dir: "x", fail: "unable to chdir: file does not exist"})); got != `{"dir":"x","error":"unable to chdir: file does not exist"}` {
		t.Errorf("error: %s", got)
	}
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestJSONString(t *testing.T) {
	cases := map[string]string{
		"plain":          `"plain"`,
		"a\"b\\c":        `"a\"b\\c"`,
		"\n\r\t\x00\x1f": `"\n\r\t\u0000\u001f"`,
		"\x7f":           "\"\x7f\"",
		"é/日本":           `"é/日本"`,
		"\xff\xfe":       `"\ufffd\ufffd"`,
		"\u2028\u2029":   `"\u2028\u2029"`,
	}
	for in, want := range cases {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

// Any status file and any directory name give one valid JSON object,
// on one line, with the fixed keys, and the name back when it is UTF-8.
func FuzzJSON(f *testing.F) {
	st := supervision.Status{Stamp: timefmt.Now(), Pid: 1234, Want: 'u', State: supervision.StateRun}
	st.Ext = supervision.Ext{Present: true, Phase: supervision.PhaseUp, Flags: supervision.FlagReadiness, Ready: timefmt.Now()}
	b := st.Encode()
	f.Add(b[:], "svc/a")
	f.Add(b[:18], "a\"\\\n\xff")
	f.Add(b[:20], "\u2028")
	now := time.Now()
	f.Fuzz(func(t *testing.T, in []byte, dir string) {
		st, err := supervision.DecodeStatus(in)
		if err != nil {
			return
		}
		line := appendJSON(nil, &look{dir: dir, st: st, now: now})
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Fatalf("a newline in %q", line)
		}
		keys, m := decodeJSON(t, line)
		if strings.Join(keys, " ") != strings.Join(jsonKeys, " ") {
			t.Fatalf("keys %v", keys)
		}
		if utf8.ValidString(dir) && m["dir"] != dir {
			t.Fatalf("dir %q came back as %q", dir, m["dir"])
		}
		for _, k := range []string{"since", "ready_since", "restart_at"} {
			if s, ok := m[k].(string); ok {
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
			}
		}
	})
}
