package supervision

import (
	"bytes"
	"testing"

	"github.com/daemontools-go/daemontools/timefmt"
)

func TestStatusRoundTrip(t *testing.T) {
	st := Status{Stamp: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000000, Nano: 123456500}, Pid: 0x01020304, Paused: 1, Want: 'd', Term: 1, State: StateRun}
	st.Ext = Ext{Phase: PhaseBackoff, Flags: FlagReadiness, Exit: ExitSignal, ExitValue: 9,
		Ready:   timefmt.TAI64N{Sec: timefmt.Epoch + 1700000001, Nano: 7},
		Restart: timefmt.TAI64N{Sec: timefmt.Epoch + 1700000002, Nano: 8},
		Deaths:  3, Window: 60, Limit: 5}
	b := st.Encode()
	want := []byte{0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0a, 0x07, 0x5b, 0xcb, 0xf4, 4, 3, 2, 1, 1, 'd', 1, 1}
	if !bytes.Equal(b[:RunitStatusSize], want) {
		t.Fatalf("Encode = % x\nwant     % x", b[:RunitStatusSize], want)
	}
	wantExt := []byte{ExtVersion, PhaseBackoff, FlagReadiness, ExitSignal, 9, 0, 0, 0,
		0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0b, 0, 0, 0, 7,
		0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0x0c, 0, 0, 0, 8,
		3, 0, 0, 0, 60, 0, 0, 0, 5, 0, 0, 0}
	if !bytes.Equal(b[RunitStatusSize:], wantExt) {
		t.Fatalf("extension % x\nwant      % x", b[RunitStatusSize:], wantExt)
	}
	got, err := DecodeStatus(b[:])
	if err != nil {
		t.Fatal(err)
	}
	st.Runit, st.Ext.Present = true, true
	if got != st {
		t.Fatalf("Decode = %+v, want %+v", got, st)
	}
	// The text follows the extension.
	st.Ext.Text = "serving 3 clients"
	all := st.Append(nil)
	if len(all) != StatusSize+len(st.Ext.Text) || all[RunitStatusSize+5] != byte(len(st.Ext.Text)) {
		t.Fatalf("Append: %d bytes % x", len(all), all)
	}
	if got, err := DecodeStatus(all); err != nil || got.Ext.Text != st.Ext.Text {
		t.Fatalf("text: %+v %v", got, err)
	}
	if got, _ := DecodeStatus(all[:len(all)-1]); got.Ext.Text != "" || !got.Ext.Present {
		t.Fatalf("text cut short: %+v", got)
	}
	st.Ext.Text = ""
	// runit's 20 bytes decode without the extension; so does one of
	// another version.
	if got, _ := DecodeStatus(b[:RunitStatusSize]); got.Ext.Present || !got.Runit {
		t.Fatalf("20 bytes: %+v", got)
	}
	b[RunitStatusSize] = ExtVersion + 1
	if got, _ := DecodeStatus(b[:]); got.Ext.Present {
		t.Fatalf("version %d decoded: %+v", ExtVersion+1, got)
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
		if st.Runit != (len(in) >= RunitStatusSize) {
			t.Fatalf("Runit=%v for %d bytes", st.Runit, len(in))
		}
		// Re-encoding gives the input back.
		enc := st.Encode()
		n := DaemontoolsStatusSize
		if st.Runit {
			n = RunitStatusSize
		}
		if st.Ext.Present {
			n = StatusSize
			// The reserved bytes are written as 0; the text's length
			// only counts when the text is all there.
			in = append([]byte(nil), in[:n]...)
			clear(in[RunitStatusSize+6 : RunitStatusSize+8])
			if st.Ext.Text == "" {
				in[RunitStatusSize+5] = 0
			}
		}
		if !bytes.Equal(enc[:n], in[:n]) {
			t.Fatalf("re-encoded % x, input % x", enc[:n], in[:n])
		}
	})
}
