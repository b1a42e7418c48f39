package svctl

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

func TestAppendState(t *testing.T) {
	now := time.Unix(1700000100, 0)
	stamp := timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000}
	type status = supervision.Status
	cases := []struct {
		st         status
		normallyUp bool
		want       string
	}{
		{status{Stamp: stamp, Pid: 42, Want: 'u'}, true, "up (pid 42) 100 seconds"},
		{status{Stamp: stamp, Pid: 42, Want: 'u', Paused: 1}, false, "up (pid 42) 100 seconds, normally down, paused"},
		{status{Stamp: stamp, Pid: 42, Want: 'd', Paused: 7}, false, "up (pid 42) 100 seconds, normally down, paused, want down"},
		{status{Stamp: stamp, Want: 'u', Paused: 1}, true, "down 100 seconds, normally up, want up"},
		{status{Stamp: stamp, Want: 'd'}, true, "down 100 seconds, normally up"},
		{status{Stamp: stamp, Want: 0}, false, "down 100 seconds"},
		{status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000099}, Pid: 1}, true, "up (pid 1) 1 seconds"},
		// A stamp in the future counts as now.
		{status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1800000000}, Pid: 4294967295}, true, "up (pid 4294967295) 0 seconds"},
		// A stamp of 0 goes through a double, as in the reference.
		{status{}, false, "down 4611686020127387648 seconds"},
	}
	for _, c := range cases {
		if got := string(appendState(nil, c.st, c.normallyUp, now)); got != c.want {
			t.Errorf("%+v normallyUp=%v: %q, want %q", c.st, c.normallyUp, got, c.want)
		}
	}
}

// Whatever a status file holds, svstat's line says up exactly when the
// pid is not 0, and ends with the reference's suffixes only.
func FuzzAppendState(f *testing.F) {
	st := supervision.Status{Stamp: timefmt.Now(), Pid: 1234, Want: 'u', State: supervision.StateRun}
	b := st.Encode()
	f.Add(b[:], true)
	f.Add(b[:18], false)
	now := time.Now()
	f.Fuzz(func(t *testing.T, in []byte, normallyUp bool) {
		st, err := supervision.DecodeStatus(in)
		if err != nil {
			return
		}
		line := appendState(nil, st, normallyUp, now)
		if (st.Pid != 0) != bytes.HasPrefix(line, []byte("up (pid ")) {
			t.Fatalf("pid %d printed as %q", st.Pid, line)
		}
		rest := line[bytes.Index(line, []byte(" seconds"))+len(" seconds"):]
		for _, suffix := range []string{", normally down", ", normally up", ", paused", ", want up", ", want down"} {
			rest = bytes.TrimPrefix(rest, []byte(suffix))
		}
		if len(rest) != 0 {
			t.Fatalf("%q: unexpected %q", line, rest)
		}
	})
}

func TestAppendExtension(t *testing.T) {
	now := time.Unix(1700000100, 250e6)
	at := func(unix int64, nano uint32) timefmt.TAI64N {
		return timefmt.TAI64N{Sec: timefmt.Epoch + uint64(unix), Nano: nano}
	}
	ext := func(phase, flags byte) supervision.Ext {
		return supervision.Ext{Present: true, Phase: phase, Flags: flags}
	}
	type status = supervision.Status
	ready := ext(supervision.PhaseUp, supervision.FlagReadiness)
	ready.Ready = at(1700000082, 0)
	noStamp := ext(supervision.PhaseUp, supervision.FlagReadiness)
	foreign := ext(supervision.PhaseUp, 0)
	foreign.Ready = at(1700000082, 0) // a stamp without the flag says nothing
	failed := ext(supervision.PhaseFailed, 0)
	failed.Deaths, failed.Window, failed.Limit = 4, 60, 3
	backoff := ext(supervision.PhaseBackoff, 0)
	backoff.Restart = at(1700000104, 500e6) // 4.25 s from now: "in 5 seconds"
	past := ext(supervision.PhaseBackoff, 0)
	past.Restart = at(1700000090, 0)
	cases := []struct {
		st   status
		want string
	}{
		{status{Pid: 1}, ""},
		{status{Pid: 1, Ext: ext(supervision.PhaseUp, 0)}, ""},
		{status{Ext: ext(supervision.PhaseDown, supervision.FlagPermanent)}, ""},
		{status{Pid: 1, Ext: ext(supervision.PhaseStopping, 0)}, ""},
		{status{Pid: 1, Ext: ready}, ", ready 18 seconds"},
		{status{Pid: 1, Ext: noStamp}, ""},
		{status{Pid: 1, Ext: foreign}, ""},
		{status{Pid: 1, Ext: ext(supervision.PhaseStarting, supervision.FlagReadiness)}, ", not ready"},
		{status{Pid: 1, Ext: ext(supervision.PhaseFinishing, 0)}, ", finishing"},
		{status{Ext: failed}, ", failed: 4 deaths in 60 seconds"},
		{status{Ext: backoff}, ", restarting in 5 seconds"},
		{status{Ext: past}, ", restarting in 0 seconds"},
	}
	for _, c := range cases {
		if got := string(appendExtension(nil, &c.st, now)); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st.Ext, got, c.want)
		}
	}
}

// The line of any status is the reference's line, then at most the
// suffixes only the extension can have, in their order.
func FuzzAppendLine(f *testing.F) {
	st := supervision.Status{Stamp: timefmt.Now(), Pid: 1234, Want: 'u', State: supervision.StateRun}
	st.Ext = supervision.Ext{Present: true, Phase: supervision.PhaseStarting, Flags: supervision.FlagReadiness}
	b := st.Encode()
	f.Add(b[:], true)
	st.Ext.Phase, st.Ext.Ready = supervision.PhaseUp, timefmt.Now()
	b = st.Encode()
	f.Add(b[:], false)
	st.Pid, st.Ext.Phase = 0, supervision.PhaseFailed
	b = st.Encode()
	f.Add(b[:], false)
	f.Add(b[:20], false)
	now := time.Now()
	suffix := regexp.MustCompile(`^(, ready [0-9]+ seconds)?(, not ready|, finishing|, failed: [0-9]+ deaths in [0-9]+ seconds|, restarting in [0-9]+ seconds)?$`)
	f.Fuzz(func(t *testing.T, in []byte, normallyUp bool) {
		st, err := supervision.DecodeStatus(in)
		if err != nil {
			return
		}
		l := look{st: st, normallyUp: normallyUp, now: now}
		line := string(appendLine(nil, &l))
		ref := string(appendState(nil, st, normallyUp, now))
		rest, ok := strings.CutPrefix(line, ref)
		if !ok {
			t.Fatalf("%q does not start with the reference's %q", line, ref)
		}
		if rest != "" && !st.Ext.Present {
			t.Fatalf("%q: a suffix %q without the extension", line, rest)
		}
		if !suffix.MatchString(rest) {
			t.Fatalf("%q: unexpected suffix %q", line, rest)
		}
	})
}
