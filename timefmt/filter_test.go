package timefmt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reads is an input that arrives in the given pieces, one per Read, and
// then ends with end (io.EOF when nil). Before each Read after the
// first it records what the output held: the filters must have flushed
// everything made from the earlier reads by then.
type reads struct {
	pieces []string
	end    error
	out    *bytes.Buffer
	seen   []string // the output at each Read after the first
	n      int
}

func (r *reads) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.seen = append(r.seen, r.out.String())
	}
	if r.n == len(r.pieces) {
		r.n++
		if r.end == nil {
			return 0, io.EOF
		}
		return 0, r.end
	}
	s := r.pieces[r.n]
	if len(s) > len(p) {
		panic("piece larger than the read size")
	}
	r.n++
	return copy(p, s), nil
}

// fakeClock returns the label of second i at its i-th call, from 1.
func fakeClock() (now func() TAI64N, label func(i int) string) {
	calls := 0
	at := func(i int) TAI64N { return TAI64N{Sec: Epoch + 1_700_000_000 + uint64(i), Nano: 500} }
	now = func() TAI64N { calls++; return at(calls) }
	label = func(i int) string { return at(i).String() + " " }
	return now, label
}

func TestStamp(t *testing.T) {
	now, lab := fakeClock()
	var out bytes.Buffer
	in := &reads{pieces: []string{"one\n\npar", "tial\ntwo\nlast"}, out: &out}
	if err := stamp(&out, in, now); err != nil {
		t.Fatal(err)
	}
	// A line keeps the stamp of the read its first byte came in; the
	// partial last line gets no newline.
	first := lab(1) + "one\n" + lab(1) + "\n" + lab(1) + "par"
	want := first + "tial\n" + lab(2) + "two\n" + lab(2) + "last"
	if out.String() != want {
		t.Errorf("output:\n%q\nwant:\n%q", out.String(), want)
	}
	if len(in.seen) != 2 || in.seen[0] != first || in.seen[1] != want {
		t.Errorf("output before each read: %q; want everything from the reads before it", in.seen)
	}
}

func TestStampEmptyInput(t *testing.T) {
	var out bytes.Buffer
	if err := Stamp(&out, strings.NewReader("")); err != nil || out.Len() != 0 {
		t.Errorf("Stamp of nothing: %v, %q", err, out.String())
	}
	// A read of nothing without an error ends the input too.
	if err := Stamp(&out, &zeroReader{}); err != nil || out.Len() != 0 {
		t.Errorf("Stamp of a (0, nil) read: %v, %q", err, out.String())
	}
}

type zeroReader struct{}

func (*zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestStampRealClock(t *testing.T) {
	var out bytes.Buffer
	if err := Stamp(&out, strings.NewReader("x\n")); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if len(b) != LabelSize+3 || b[LabelSize] != ' ' || string(b[LabelSize+1:]) != "x\n" {
		t.Fatalf("output %q", b)
	}
	if tm, ok := ParseLabel(b[:LabelSize]); !ok || tm.Nano%1000 != 500 {
		t.Errorf("stamp %q", b[:LabelSize])
	}
}

// The output buffer stays bounded within one large read of short lines.
func TestStampFlushesWithinARead(t *testing.T) {
	now, lab := fakeClock()
	w := &countingWriter{}
	in := &reads{pieces: []string{strings.Repeat("\n", readSize)}, out: &bytes.Buffer{}}
	if err := stamp(w, in, now); err != nil {
		t.Fatal(err)
	}
	if w.total != readSize*(LabelSize+2) || w.writes < 2 || w.max >= flushAt+LabelSize+2 {
		t.Errorf("%d bytes in %d writes, the largest %d", w.total, w.writes, w.max)
	}
	if !bytes.Equal(w.last, []byte(lab(1)+"\n")) {
		t.Errorf("last line %q", w.last)
	}
}

type countingWriter struct {
	writes, total, max int
	last               []byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.total += len(p)
	w.max = max(w.max, len(p))
	w.last = append(w.last[:0], p[max(0, len(p)-LabelSize-2):]...)
	return len(p), nil
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// Read and write errors end the filters with the error (the applets'
// exit 111); what was read before a read error is written first.
func TestFilterErrors(t *testing.T) {
	now, lab := fakeClock()
	var out bytes.Buffer
	err := stamp(&out, &reads{pieces: []string{"a\nb"}, end: syscall.EIO, out: &out}, now)
	if !errors.Is(err, syscall.EIO) || out.String() != lab(1)+"a\n"+lab(1)+"b" {
		t.Errorf("stamp, read error: %v, %q", err, out.String())
	}
	if err := Stamp(failingWriter{syscall.EPIPE}, strings.NewReader("a\n")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Stamp, write error: %v", err)
	}

	out.Reset()
	err = Localize(&out, &reads{pieces: []string{"x\n@4000000037c219bf"}, end: syscall.EIO, out: &out}, time.UTC)
	if !errors.Is(err, syscall.EIO) || out.String() != "x\n@4000000037c219bf" {
		t.Errorf("Localize, read error in a label: %v, %q", err, out.String())
	}
	if err := Localize(failingWriter{syscall.EPIPE}, strings.NewReader("x\n"), time.UTC); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Localize, write error: %v", err)
	}
	// At the end of the input too, the last flush may fail.
	if err := Localize(failingWriter{syscall.ENOSPC}, strings.NewReader("@40"), time.UTC); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Localize, write error at the end: %v", err)
	}
}

func TestLocalize(t *testing.T) {
	const man = "1999-08-24 04:04:05.787492500" // the man page's label, in UTC
	for _, c := range []struct {
		name   string
		pieces []string
		want   string
	}{
		{"label", []string{"@4000000037c219bf2ef02e94 hello\n"}, man + " hello\n"},
		{"any byte ends it", []string{"@4000000037c219bf2ef02e94x\n"}, man + "x\n"},
		{"label across reads", []string{"@4000000037c2", "19bf2ef02e94", " a\nb\n"}, man + " a\nb\n"},
		{"lines without labels", []string{"plain\n", " @4000000037c219bf2ef02e94\n"}, "plain\n @4000000037c219bf2ef02e94\n"},
		{"partial last line", []string{"@4000000037c219bf2ef02e94 no newline"}, man + " no newline"},
		{"label cut by EOF", []string{"a\n@4000000037c219bf2ef0"}, "a\n@4000000037c219bf2ef0"},
		{"bare @ cut by EOF", []string{"@"}, "@"},
		// Where the reference's localtime fails (and it crashes), the
		// label passes through as it came.
		{"bad labels", []string{"@\n@zz\n@40000000\n@4000000037C219BF2EF02E94\n"}, "@\n@zz\n@40000000\n@4000000037C219BF2EF02E94\n"},
		{"nanoseconds unpadded past 9 digits", []string{"@4000000037c219bfffffffff\n"}, "1999-08-24 04:04:05.4294967295\n"},
	} {
		var out bytes.Buffer
		in := &reads{pieces: c.pieces, out: &out}
		if err := Localize(&out, in, time.UTC); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if out.String() != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, out.String(), c.want)
		}
	}
}

// Localize flushes everything it has made before it reads again; a
// label still being read is not yet output.
func TestLocalizeFlushesBeforeEachRead(t *testing.T) {
	var out bytes.Buffer
	in := &reads{pieces: []string{"a\n@4000000037c219bf", "2ef02e94 b\nc"}, out: &out}
	if err := Localize(&out, in, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := []string{"a\n", "a\n1999-08-24 04:04:05.787492500 b\nc"}
	if strings.Join(in.seen, "|") != strings.Join(want, "|") {
		t.Errorf("output before each read: %q, want %q", in.seen, want)
	}
}

// split cuts in into pieces whose sizes come from sizes, cycled.
func split(in []byte, sizes []byte) []string {
	var pieces []string
	for i := 0; len(in) > 0; i++ {
		n := min(len(in), readSize)
		if len(sizes) > 0 {
			n = min(n, 1+int(sizes[i%len(sizes)]))
		}
		pieces = append(pieces, string(in[:n]))
		in = in[n:]
	}
	return pieces
}

// FuzzFilters checks both filters on any input split into reads any
// way: Stamp adds exactly one label in front of each line and changes
// nothing else, and Localize's output does not depend on the split.
func FuzzFilters(f *testing.F) {
	f.Add([]byte("@4000000037c219bf2ef02e94 a\nb\n@\n@zz\nlast"), []byte{3, 0, 200})
	f.Add([]byte("\n\n@4000000037c219bfffffffff\n"), []byte{0})
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		pieces := split(in, sizes)
		now, _ := fakeClock()
		var out bytes.Buffer
		if err := stamp(&out, &reads{pieces: pieces, out: &out}, now); err != nil {
			t.Fatal(err)
		}
		var back []byte
		for rest := out.Bytes(); len(rest) > 0; {
			if len(rest) < LabelSize+1 || rest[0] != '@' || rest[LabelSize] != ' ' {
				t.Fatalf("no label at a line start: %q", rest)
			}
			if _, ok := ParseLabel(rest[:LabelSize]); !ok {
				t.Fatalf("bad label %q", rest[:LabelSize])
			}
			rest = rest[LabelSize+1:]
			i := bytes.IndexByte(rest, '\n') + 1
			if i == 0 {
				i = len(rest)
			}
			back = append(back, rest[:i]...)
			rest = rest[i:]
		}
		if !bytes.Equal(back, in) {
			t.Fatalf("labels removed, %q; the input was %q", back, in)
		}

		var whole, parts bytes.Buffer
		if err := Localize(&whole, bytes.NewReader(in), time.UTC); err != nil {
			t.Fatal(err)
		}
		if err := Localize(&parts, &reads{pieces: pieces, out: &parts}, time.UTC); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole.Bytes(), parts.Bytes()) {
			t.Fatalf("split into %q: %q; in one read: %q", pieces, parts.Bytes(), whole.Bytes())
		}
	})
}

func benchFilter(b *testing.B, filter func(w io.Writer, r io.Reader) error, line string) {
	in := []byte(strings.Repeat(line, (8<<20)/len(line)))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := filter(io.Discard, bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStamp(b *testing.B) {
	benchFilter(b, Stamp, strings.Repeat("log line text ", 10)+"\n")
}

func BenchmarkLocalize(b *testing.B) {
	benchFilter(b, func(w io.Writer, r io.Reader) error { return Localize(w, r, time.UTC) },
		"@4000000037c219bf2ef02e94 "+strings.Repeat("log line text ", 10)+"\n")
}

// A label longer than the output buffer, across reads, passes through
// whole; the output is flushed at the line end that follows it, inside
// the read, and the rest of the read after that.
func TestLocalizeLongLabel(t *testing.T) {
	label := "@" + strings.Repeat("f", 300<<10)
	in := label + "x\nnext\n"
	w := &recordingWriter{}
	if err := Localize(w, &reads{pieces: split([]byte(in), nil), out: &bytes.Buffer{}}, time.UTC); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 2 || w.writes[0] != label+"x\n" || w.writes[1] != "next\n" {
		t.Errorf("%d writes; want the label's line, then the rest", len(w.writes))
	}
}

type recordingWriter struct{ writes []string }

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}
