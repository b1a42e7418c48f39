package supervision

import (
	"bytes"
	"testing"

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

func FuzzDecodeStatus(f *testing.F) {
	st := Status{Stamp: timefmt.Now(), Pid: 1234, Want: 'u', State: StateRun}
	b := st.Encode()
	f.Add(b[:])
	f.Add(b[:18])
	f.Add(b[:5])
	f.Add([]byte{})
	f.Add(append(b[:], 9, 9, 9))
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
	})
}
