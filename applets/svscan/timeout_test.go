package svscan

import (
	"strconv"
	"testing"
	"time"
)

func TestParseTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"10": 10 * time.Second, "0": 0, "2.5": 2500 * time.Millisecond, "0.001": time.Millisecond,
		"7.": 7 * time.Second, ".25": 250 * time.Millisecond, "1.0000000009": time.Second,
	} {
		if got, ok := parseTimeout(in); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ".", "-1", "1e3", "10s", " 1", "1.2.3", "999999999999"} {
		if got, ok := parseTimeout(in); ok {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}

// Whatever it accepts is what strconv reads, to the nanosecond.
func FuzzParseTimeout(f *testing.F) {
	for _, s := range []string{"10", "2.5", ".5", "7.", "0", "x", "1.2.3", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseTimeout(s)
		if !ok {
			return
		}
		if d < 0 {
			t.Fatalf("%q: negative %v", s, d)
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q accepted as %v, not a number: %v", s, d, err)
		}
		if diff := time.Duration(v*1e9) - d; diff > time.Microsecond || diff < -time.Microsecond {
			t.Fatalf("%q: %v, want about %v", s, d, time.Duration(v*1e9))
		}
	})
}
