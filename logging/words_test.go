package logging

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestExtensionWords(t *testing.T) {
	s := ParseScript([]string{
		"t", "T", "e", "T", "j", "=st", "1", "j", "T", "./a",
		"S1000", "R1h", "X2d", "z", "./b",
		"S0", "R0", "X90", "z0", "j", "e", "./c",
	})
	want := []Action{
		{Kind: Alert, Format: ISO},
		{Kind: Status, Index: 0, Format: ISO},
		{Kind: Stdout, Index: 0, Format: JSON}, // j waits through =
		{Kind: Dir, Index: 0, Format: JSON},    // j wins over T
		{Kind: Dir, Index: 1},
		{Kind: Alert},
		{Kind: Dir, Index: 2, Format: JSON},
	}
	if !reflect.DeepEqual(s.Actions, want) {
		t.Errorf("actions:\n%+v\nwant:\n%+v", s.Actions, want)
	}
	if !reflect.DeepEqual(s.Stdouts, []Format{JSON}) {
		t.Errorf("stdouts %v", s.Stdouts)
	}
	b := s.Dirs[1]
	if b.MaxTotal != 1000 || b.RotateAge != time.Hour || b.ExpireAge != 48*time.Hour || b.Compress != 6 || !b.Retains() {
		t.Errorf("./b: %+v", b)
	}
	c := s.Dirs[2]
	if c.MaxTotal != 0 || c.RotateAge != 0 || c.ExpireAge != 90*time.Second || c.Compress != 0 {
		t.Errorf("./c: %+v", c)
	}
	if s.Dirs[0].Retains() {
		t.Error("./a has nothing for a janitor")
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %q", s.Warnings)
	}
}

// Words the reference ignores stay ignored unless they have the exact
// form of an extension word; our letters followed by a digit that do
// not parse are reported.
func TestExtensionWordsExactForms(t *testing.T) {
	for _, w := range []string{"Tfoo", "TT", "10", "1x", "jq", "json", "zz", "S", "Sabc", "R", "Rx", "X", "Xyz", "xyz", "2", "f", "E100", "p", "?cat"} {
		s := ParseScript([]string{w, "./d"})
		if len(s.Actions) != 1 || s.Actions[0] != (Action{Kind: Dir}) || len(s.Stdouts) != 0 || s.Dirs[0].Retains() || s.clocked() {
			t.Errorf("%q is not ignored: %+v %+v", w, s.Actions, s.Dirs)
		}
		if len(s.Warnings) != 0 {
			t.Errorf("%q: warned %q", w, s.Warnings)
		}
	}
	for _, w := range []string{"S10M", "S1.5", "R1y", "R10x", "X3w", "z12", "R99999999999999999999d"} {
		s := ParseScript([]string{w, "./d"})
		if s.Dirs[0].Retains() || s.Dirs[0].RotateAge != 0 {
			t.Errorf("%q took effect: %+v", w, s.Dirs[0])
		}
		if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], w) {
			t.Errorf("%q: warnings %q", w, s.Warnings)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "90": 90 * time.Second, "90s": 90 * time.Second, "5m": 5 * time.Minute,
		"2h": 2 * time.Hour, "7d": 7 * 24 * time.Hour,
	} {
		if got, ok := parseAge(in); !ok || got != want {
			t.Errorf("parseAge(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "s", "1.5h", "-1", "1hh", "h1"} {
		if _, ok := parseAge(in); ok {
			t.Errorf("parseAge(%q) accepted", in)
		}
	}
}

func TestISOAndRFC3339(t *testing.T) {
	loc := time.FixedZone("X", -5*3600)
	tm := time.Date(2024, 2, 29, 23, 5, 9, 7, time.UTC)
	if got := string(appendISO(nil, tm, loc)); got != "2024-02-29 18:05:09.000000007  " {
		t.Errorf("ISO %q", got)
	}
	if got := string(appendRFC3339(nil, tm.In(loc))); got != "2024-02-29T23:05:09.000000007Z" {
		t.Errorf("RFC 3339 %q", got)
	}
	if len(appendISO(nil, tm, loc)) != isoSize || len(appendRFC3339(nil, tm)) != rfcSize {
		t.Error("sizes")
	}
}

// Every input, valid UTF-8 or not, escapes to a JSON string that
// decodes to the input's valid runes and, for each invalid byte, the
// rune of its value.
func TestEscapeJSON(t *testing.T) {
	for _, in := range []string{
		"", "plain ascii text of some length", "quote\" back\\slash", "\x00\x01\x1f\x7f\t\r\n",
		"é ü 日本 🎉", "\xff\xfe", "a\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		strings.Repeat("abcdefg\"", 9), "12345678\x8012345678",
	} {
		got, n := appendEscaped(nil, []byte(in), true)
		if n != len(in) {
			t.Errorf("%q: took %d", in, n)
		}
		var back string
		if err := json.Unmarshal([]byte(`"`+string(got)+`"`), &back); err != nil {
			t.Errorf("%q -> %s: %v", in, got, err)
			continue
		}
		if want := expectDecoded(in); back != want {
			t.Errorf("%q -> %s decodes to %q, want %q", in, got, back, want)
		}
	}
}

func expectDecoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(rune(s[i]))
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// An incomplete sequence at the end of a part is held back until the
// rest of the line decides it.
func TestEscapeJSONHoldsBackACutRune(t *testing.T) {
	got, n := appendEscaped(nil, []byte("ab\xe6\x97"), false)
	if string(got) != "ab" || n != 2 {
		t.Errorf("got %q took %d", got, n)
	}
	got, n = appendEscaped(nil, []byte("ab\xff"), false)
	if string(got) != `ab\u00ff` || n != 3 {
		t.Errorf("got %q took %d", got, n)
	}
}

func FuzzEscapeJSON(f *testing.F) {
	f.Add([]byte("hello \"world\"\n\xff\xc3\xa9"))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, _ := appendEscaped(nil, in, true)
		var back string
		if err := json.Unmarshal([]byte(`"`+string(got)+`"`), &back); err != nil {
			t.Fatalf("%q -> %s: %v", in, got, err)
		}
		if want := expectDecoded(string(in)); back != want {
			t.Fatalf("%q decodes to %q, want %q", in, back, want)
		}
		// Cut anywhere, held-back bytes passed again: the same text.
		for cut := 0; cut <= len(in); cut++ {
			a, n := appendEscaped(nil, in[:cut], false)
			b, _ := appendEscaped(a, in[n:], true)
			if string(b) != string(got) {
				t.Fatalf("%q cut at %d: %s, whole %s", in, cut, b, got)
			}
		}
	})
}
