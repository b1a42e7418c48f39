package privs

import (
	"math/big"
	"syscall"
	"testing"
)

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		in     string
		value  uint64
		toHard bool
		ok     bool
	}{
		{"=", 0, true, true},
		{"0", 0, false, true},
		{"", 0, false, true}, // the reference's scan_ulong reads nothing and accepts it
		{"20", 20, false, true},
		{"007", 7, false, true},
		{"18446744073709551615", 18446744073709551615, false, true},
		{"18446744073709551616", 0, false, true}, // wraps, as the reference does
		{"18446744073709551617", 1, false, true},
		{"unlimited", 0, false, false},
		{"12k", 0, false, false},
		{"+5", 0, false, false},
		{"-1", 0, false, false},
		{" 5", 0, false, false},
		{"5 ", 0, false, false},
		{"==", 0, false, false},
		{"=5", 0, false, false},
	} {
		v, h, ok := ParseLimit(tc.in)
		if v != tc.value || h != tc.toHard || ok != tc.ok {
			t.Errorf("ParseLimit(%q) = %d %v %v, want %d %v %v", tc.in, v, h, ok, tc.value, tc.toHard, tc.ok)
		}
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"", "=", "0", "123", "99999999999999999999999", "1x", "x1", "-0"} {
		f.Add(s)
	}
	mod := new(big.Int).Lsh(big.NewInt(1), 64)
	f.Fuzz(func(t *testing.T, s string) {
		v, h, ok := ParseLimit(s)
		if s == "=" {
			if !h || !ok {
				t.Fatalf("%q: not the hard limit", s)
			}
			return
		}
		digits := true
		for _, c := range []byte(s) {
			digits = digits && c >= '0' && c <= '9'
		}
		if ok != digits || h {
			t.Fatalf("ParseLimit(%q) ok=%v toHard=%v", s, ok, h)
		}
		if !ok {
			return
		}
		want := new(big.Int)
		if s != "" {
			want.SetString(s, 10)
		}
		want.Mod(want, mod)
		if want.Uint64() != v {
			t.Fatalf("ParseLimit(%q) = %d, want %d", s, v, want.Uint64())
		}
	})
}

// Apply changes only soft limits, clamps to the hard limit, and "="
// means the hard limit. RLIMIT_CORE is safe to play with in a test.
func TestLimitsApplyCore(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(RlimitCore, &orig); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(RlimitCore, &orig)
	check := func(wantCur uint64) {
		t.Helper()
		var r syscall.Rlimit
		syscall.Getrlimit(RlimitCore, &r)
		if r.Cur != wantCur || r.Max != orig.Max {
			t.Errorf("core limit %d/%d, want %d/%d", r.Cur, r.Max, wantCur, orig.Max)
		}
	}
	var l Limits
	l.Add(RlimitCore, 4096, false)
	if err := l.Apply(); err != nil {
		t.Fatal(err)
	}
	check(min(4096, orig.Max))
	l = Limits{}
	l.Add(RlimitCore, orig.Max/2+1, false)
	l.Apply()
	check(orig.Max/2 + 1)
	if orig.Max < ^uint64(0) {
		l = Limits{}
		l.Add(RlimitCore, orig.Max+1, false)
		l.Apply()
		check(orig.Max) // clamped
	}
	l = Limits{}
	l.Add(RlimitCore, 0, false)
	l.Add(RlimitCore, 0, true)
	l.Apply()
	check(orig.Max)
	if allocs := testing.AllocsPerRun(10, func() { l.Apply() }); allocs != 0 {
		t.Errorf("Apply allocates %v times", allocs)
	}
}
