package svctl

import (
	"bytes"
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
