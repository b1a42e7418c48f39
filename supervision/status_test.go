package supervision

import (
	"bytes"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
)

func TestStatusRoundTrip(t *testing.T) {
	st := Status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000, Nano: 123456500}, Pid: 0x01020304, Paused: 1, Want: 'd', Term: 1, State: StateRun}
	b := st.Encode()
	want := []byte{0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0x07, 0x5b, 0xcb, 0xf4, 4, 3, 2, 1, 1, 'd', 1, 1}
	if !bytes.Equal(b[:], want) {
		t.Fatalf("Encode = % x\nwant     % x", b, want)
	}
	got, err := DecodeStatus(b[:])
	if err != nil {
		t.Fatal(err)
	}
	st.Runit = true
	if got != st {
		t.Fatalf("Decode = %+v, want %+v", got, st)
	}
	// Daemontools' 18 bytes decode without runit's two.
	got, err = DecodeStatus(b[:18])
	if err != nil || got.Runit || got.Pid != st.Pid || got.Want != 'd' || got.State != 0 {
		t.Fatalf("18 bytes: %+v %v", got, err)
	}
	if _, err := DecodeStatus(b[:17]); err != ErrBadFormat {
		t.Fatalf("17 bytes: %v, want bad format", err)
	}
}

func TestAppendState(t *testing.T) {
	now := time.Unix(1700000100, 0)
	stamp := timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000}
	cases := []struct {
		st         Status
		normallyUp bool
		want       string
	}{
		{Status{Stamp: stamp, Pid: 42, Want: 'u'}, true, "up (pid 42) 100 seconds"},
		{Status{Stamp: stamp, Pid: 42, Want: 'u', Paused: 1}, false, "up (pid 42) 100 seconds, normally down, paused"},
		{Status{Stamp: stamp, Pid: 42, Want: 'd', Paused: 7}, false, "up (pid 42) 100 seconds, normally down, paused, want down"},
		{Status{Stamp: stamp, Want: 'u', Paused: 1}, true, "down 100 seconds, normally up, want up"},
		{Status{Stamp: stamp, Want: 'd'}, true, "down 100 seconds, normally up"},
		{Status{Stamp: stamp, Want: 0}, false, "down 100 seconds"},
		{Status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000099}, Pid: 1}, true, "up (pid 1) 1 seconds"},
		// A stamp in the future counts as now.
		{Status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1800000000}, Pid: 4294967295}, true, "up (pid 4294967295) 0 seconds"},
		// A stamp of 0 goes through a double, as in the reference.
		{Status{}, false, "down 4611686020127387648 seconds"},
	}
	for _, c := range cases {
		if got := string(AppendState(nil, c.st, c.normallyUp, now)); got != c.want {
			t.Errorf("%+v normallyUp=%v: %q, want %q", c.st, c.normallyUp, got, c.want)
		}
	}
}

func FuzzDecodeStatus(f *testing.F) {
	st := Status{Stamp: timefmt.Now(), Pid: 1234, Want: 'u', State: StateRun}
	b := st.Encode()
	f.Add(b[:])
	f.Add(b[:18])
	f.Add(b[:5])
	f.Add([]byte{})
	f.Add(append(b[:], 9, 9, 9))
	now := time.Now()
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := DecodeStatus(in)
		if len(in) < DaemontoolsStatusSize {
			if err == nil {
				t.Fatalf("decoded %d bytes", len(in))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if st.Runit != (len(in) >= StatusSize) {
			t.Fatalf("Runit=%v for %d bytes", st.Runit, len(in))
		}
		// Re-encoding gives the input back.
		enc := st.Encode()
		n := DaemontoolsStatusSize
		if st.Runit {
			n = StatusSize
		}
		if !bytes.Equal(enc[:n], in[:n]) {
			t.Fatalf("re-encoded % x, input % x", enc[:n], in[:n])
		}
		line := string(AppendState(nil, st, true, now))
		if (st.Pid != 0) != bytes.HasPrefix([]byte(line), []byte("up (pid ")) {
			t.Fatalf("pid %d printed as %q", st.Pid, line)
		}
	})
}
