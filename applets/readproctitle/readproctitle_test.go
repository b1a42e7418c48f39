package readproctitle

import (
	"bytes"
	"testing"
)

// model is the reference's loop: one byte at a time.
func model(d []byte, in []byte) {
	for _, ch := range in {
		if ch == 0 {
			continue
		}
		for i := 4; i < len(d); i++ {
			d[i-1] = d[i]
		}
		d[len(d)-1] = ch
	}
}

func TestScrollMatchesModel(t *testing.T) {
	inputs := [][]byte{
		[]byte("fatal error xyz\nwarning abc\n"),
		[]byte("a\x00b\x00\x00c"),
		[]byte(""),
		bytes.Repeat([]byte("0123456789"), 30),
	}
	for _, size := range []int{5, 6, 20, 400} {
		for _, in := range inputs {
			want := bytes.Repeat([]byte("."), size)
			got := bytes.Repeat([]byte("."), size)
			model(want, in)
			scroll(got, in)
			if !bytes.Equal(got, want) {
				t.Errorf("size %d input %q: got %q want %q", size, in, got, want)
			}
		}
	}
}

func FuzzScroll(f *testing.F) {
	f.Add([]byte("fatal error xyz\nwarning abc\n"), []byte("more\x00"), uint8(20))
	f.Fuzz(func(t *testing.T, a, b []byte, size uint8) {
		n := int(size)%64 + 5
		want := bytes.Repeat([]byte("."), n)
		got := bytes.Repeat([]byte("."), n)
		model(want, a)
		model(want, b)
		scroll(got, a)
		scroll(got, b)
		if !bytes.Equal(got, want) {
			t.Fatalf("got %q want %q", got, want)
		}
	})
}
