package logging

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// refMatch is the pattern rule written the plain way, one byte at a
// time: the model the engine's matcher is checked against.
func refMatch(pattern string, line []byte) bool {
	p, i := 0, 0
	for {
		if p == len(pattern) || pattern[p] == 0 {
			return i == len(line)
		}
		c := pattern[p]
		p++
		if c == '*' {
			if p == len(pattern) || pattern[p] == 0 {
				return true
			}
			for {
				if i == len(line) {
					return false
				}
				if line[i] == pattern[p] {
					break
				}
				i++
			}
			continue
		}
		if i == len(line) || line[i] != c {
			return false
		}
		i++
	}
}

// regexOracle states the man page's rule as a regular expression: a
// star before c matches any string without c, a final star anything,
// the rest itself. It is exact for patterns without "**" (there the
// second star is a wildcard whose "next character" must still appear).
func regexOracle(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' && i+1 == len(pattern):
			b.WriteString(`(?s:.*)`)
		case c == '*':
			b.WriteString(`[^` + regexp.QuoteMeta(string(pattern[i+1])) + `]*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func TestMatchExamples(t *testing.T) {
	cases := []struct {
		pat, line string
		want      bool
	}{
		{"a*c", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abcbc", false}, // no backtracking
		{"*c", "cbc", false},
		{"x*y*z", "xyyz", true},
		{"a**b", "a*b", true},
		{"a**b", "axb", false},
		{"hello", "hello world", false},
		{"hello", "hello", true},
		{"named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs", true},
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "x", false},
		{"* fatal: *", "@400000003b4a39c23294b13c fatal: out of memory", true},
		{"fatal: *", "@400000003b4a39c23294b13c fatal: out of memory", false},
		{`a\*`, `a\bc`, true}, // no escapes: '\' is literal
		{"ab*", "ab", true},
		{"ab*", "a", false},
		{"*b*", "b", true},
		{"*b*", "a", false},
	}
	for _, c := range cases {
		if got := Match(c.pat, []byte(c.line)); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pat, c.line, got, c.want)
		}
		if got := refMatch(c.pat, []byte(c.line)); got != c.want {
			t.Errorf("refMatch(%q, %q) = %v, want %v", c.pat, c.line, got, c.want)
		}
	}
}

// TestMatchProperties compares the matcher, over every split of the line
// into timestamp and body, with the byte-at-a-time model and, where it
// applies, with the regular-expression statement of the rule.
func TestMatchProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alpha = "ab*c"
	gen := func(n int, set string) string {
		b := make([]byte, r.IntN(n+1))
		for i := range b {
			b[i] = set[r.IntN(len(set))]
		}
		return string(b)
	}
	for i := 0; i < 20000; i++ {
		pat := gen(6, alpha)
		line := []byte(gen(8, "abc*"))
		want := refMatch(pat, line)
		for k := 0; k <= len(line); k++ {
			if got := match2(pat, line[:k], line[k:]); got != want {
				t.Fatalf("match2(%q, %q|%q) = %v, model %v", pat, line[:k], line[k:], got, want)
			}
		}
		if !strings.Contains(pat, "**") {
			if got := regexOracle(pat).Match(line); got != want {
				t.Fatalf("pattern %q line %q: regex says %v, model %v", pat, line, got, want)
			}
		}
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*c", []byte("abc"), uint8(1))
	f.Add("named[*]: Cleaned cache *", []byte("named[135]: Cleaned cache of 3121 RRs"), uint8(5))
	f.Add("a**b", []byte("a*b"), uint8(0))
	f.Add("*", []byte(""), uint8(0))
	f.Add("x\x00y", []byte("x"), uint8(0))
	f.Fuzz(func(t *testing.T, pat string, line []byte, split uint8) {
		k := int(split)
		if k > len(line) {
			k = len(line)
		}
		want := refMatch(pat, line)
		if got := match2(pat, line[:k], line[k:]); got != want {
			t.Fatalf("match2(%q, %q|%q) = %v, model %v", pat, line[:k], line[k:], got, want)
		}
		if got := Match(pat, line); got != want {
			t.Fatalf("Match(%q, %q) = %v, model %v", pat, line, got, want)
		}
	})
}
