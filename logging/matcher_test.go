package logging

import (
	"math/rand/v2"
	"testing"
)

// The prepared matcher decides every line as the plain rule does, with
// and without t labels, however the line is split into head and body.
func TestMatcherAgreesWithTheRule(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const alphabet = "ab @f0* \x00"
	gen := func(max int) string {
		b := make([]byte, r.IntN(max))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	label := []byte("@400000006b0ef5f816952fea ")
	for i := 0; i < 200000; i++ {
		pattern := gen(8)
		text := []byte(gen(12))
		stamped := r.IntN(2) == 0
		line := text
		if stamped {
			line = append(append([]byte(nil), label...), text...)
			if r.IntN(4) == 0 {
				a := r.IntN(len(label))
				pattern = "*" + string(label[a:a+r.IntN(len(label)-a+1)]) + pattern
			}
		}
		cut := 0
		if stamped {
			cut = stampSize + r.IntN(len(text)+1)
		} else if r.IntN(2) == 0 {
			cut = r.IntN(len(line) + 1)
		}
		m := newMatcher(pattern, stamped)
		if got, want := m.match(line[:cut], line[cut:]), refMatch(pattern, line); got != want {
			t.Fatalf("pattern %q line %q (cut %d, t %v): %v, want %v", pattern, line, cut, stamped, got, want)
		}
	}
}
