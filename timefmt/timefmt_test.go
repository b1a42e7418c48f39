package timefmt

import (
	"math/big"
	"testing"
	"time"
)

func TestLabelKnown(t *testing.T) {
	// The example from the tai64nlocal man page.
	tm := TAI64N{Sec: 0x4000000037c219bf, Nano: 0x2ef02e94}
	if got := tm.String(); got != "@4000000037c219bf2ef02e94" {
		t.Fatalf("label %s", got)
	}
	if tm.Unix() != 0x37c219bf-10 {
		t.Fatalf("unix %d", tm.Unix())
	}
	back, ok := ParseLabel([]byte(tm.String()))
	if !ok || back != tm {
		t.Fatalf("parse %v %v", back, ok)
	}
}

func TestFromTimeResolution(t *testing.T) {
	tm := FromTime(time.Unix(1000, 123456789))
	if tm.Sec != Epoch+1000 || tm.Nano != 123456500 {
		t.Fatalf("got %+v", tm)
	}
}

func TestPackUnpack(t *testing.T) {
	tm := TAI64N{Sec: 0x4000000012345678, Nano: 999999500}
	var b [PackedSize]byte
	tm.Pack(b[:])
	want := []byte{0x40, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x3b, 0x9a, 0xc8, 0x0c}
	if string(b[:]) != string(want) {
		t.Fatalf("pack % x", b)
	}
	if Unpack(b[:]) != tm {
		t.Fatal("unpack")
	}
}

func TestParseLabelRejects(t *testing.T) {
	for _, s := range []string{"", "@", "4000000037c219bf2ef02e94x", "@4000000037C219BF2EF02E94", "@4000000037c219bf2ef02e9", "@4000000037c219bf2ef02e944", "@4000000037c219bf2ef02e9g"} {
		if _, ok := ParseLabel([]byte(s)); ok {
			t.Errorf("accepted %q", s)
		}
	}
}

func TestLocalFormatter(t *testing.T) {
	f := NewLocalFormatter(time.UTC)
	cases := []struct {
		sec  int64
		nano uint32
		want string
	}{
		{0x37c219bf - 10, 0x2ef02e94, "1999-08-24 04:04:05.787492500"},
		{0, 0, "1970-01-01 00:00:00.000000000"},
		{0, 0xffffffff, "1970-01-01 00:00:00.4294967295"},
		{-1, 5, "1969-12-31 23:59:59.000000005"},
		{253402300800, 0, "10000-01-01 00:00:00.000000000"},
	}
	for _, c := range cases {
		b, ok := f.Append(nil, c.sec, c.nano)
		if !ok || string(b) != c.want {
			t.Errorf("Append(%d, %d) = %q %v, want %q", c.sec, c.nano, b, ok, c.want)
		}
		// The cached second gives the same answer.
		b, _ = f.Append(nil, c.sec, c.nano)
		if string(b) != c.want {
			t.Errorf("cached Append(%d) = %q", c.sec, b)
		}
	}
	for _, sec := range []int64{1 << 60, -(1 << 60), 1<<62 + 10, -(1<<62 + 10)} {
		if _, ok := f.Append(nil, sec, 0); ok {
			t.Errorf("Append(%d) accepted an out-of-range time", sec)
		}
	}
}

// looseModel computes what tai64nlocal's loop computes, with big
// integers: the seconds are everything but the last 32 bits, modulo 2^64.
func looseModel(digits string) (int64, uint32) {
	v := new(big.Int)
	if digits != "" {
		v.SetString(digits, 16)
	}
	nano := new(big.Int).And(v, big.NewInt(0xffffffff)).Uint64()
	sec := new(big.Int).Rsh(v, 32)
	sec.And(sec, new(big.Int).SetUint64(^uint64(0)))
	return int64(sec.Uint64() - Epoch), uint32(nano)
}

func FuzzLooseLabel(f *testing.F) {
	f.Add([]byte("4000000037c219bf2ef02e94 x"))
	f.Add([]byte("04000000037c219bf2ef02e94"))
	f.Add([]byte(""))
	f.Add([]byte("ffffffffffffffffffffffffffffffffffff"))
	f.Add([]byte("40000000ABC"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var l LooseLabel
		n := 0
		for n < len(in) && l.Feed(in[n]) {
			n++
		}
		if l.Digits != n {
			t.Fatalf("digits %d, fed %d", l.Digits, n)
		}
		sec, nano := l.Unix()
		wsec, wnano := looseModel(string(in[:n]))
		if sec != wsec || nano != wnano {
			t.Fatalf("%q: got %d.%d, model %d.%d", in[:n], sec, nano, wsec, wnano)
		}
		// A strict label round-trips through both parsers.
		if n == 24 {
			strict, ok := ParseLabel(append([]byte{'@'}, in[:24]...))
			if !ok || strict.Unix() != sec || strict.Nano != nano || strict.String()[1:] != string(in[:24]) {
				t.Fatalf("%q: strict %+v %v", in[:24], strict, ok)
			}
		}
		// Formatting never panics and agrees with the time package.
		b, ok := NewLocalFormatter(time.UTC).Append(nil, sec, nano)
		if ok && sec > -62135596800 && sec < 253402300800 {
			want := time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05.")
			if string(b[:len(want)]) != want {
				t.Fatalf("format %q, want prefix %q", b, want)
			}
		}
	})
}

func BenchmarkAppendLabel(b *testing.B) {
	tm := Now()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = tm.AppendLabel(buf[:0])
	}
}
