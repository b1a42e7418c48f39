package logging

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseScript(t *testing.T) {
	s := ParseScript([]string{
		"t", "+a*", "-b", "e", "errors", "=st", "./one",
		"s5000", "n3", "!cat", "/two",
		"sabc", "n1", "!", ".three",
		"s99999999", "xyz", "", "t", "s18446744073709551617", "./four",
	})
	if !s.Timestamp {
		t.Error("t as the first word must turn on timestamps")
	}
	wantActions := []Action{
		{Kind: Select, Pattern: "a*"}, {Kind: Deselect, Pattern: "b"},
		{Kind: Alert}, {Kind: Alert}, {Kind: Status, Index: 0}, {Kind: Dir, Index: 0},
		{Kind: Dir, Index: 1}, {Kind: Dir, Index: 2}, {Kind: Dir, Index: 3},
	}
	if !reflect.DeepEqual(s.Actions, wantActions) {
		t.Errorf("actions:\n%+v\nwant:\n%+v", s.Actions, wantActions)
	}
	if !reflect.DeepEqual(s.StatusFiles, []string{"st"}) {
		t.Errorf("status files %q", s.StatusFiles)
	}
	wantDirs := []DirConfig{
		{Path: "./one", Size: 99999, Num: 10},
		{Path: "/two", Size: 5000, Num: 3, Processor: "cat", HasProcessor: true},
		{Path: ".three", Size: 4096, Num: 2, Processor: "", HasProcessor: true},
		// 18446744073709551617 wraps around to 1, as scan_ulong does.
		{Path: "./four", Size: 4096, Num: 2, Processor: "", HasProcessor: true},
	}
	if !reflect.DeepEqual(s.Dirs, wantDirs) {
		t.Errorf("dirs:\n%+v\nwant:\n%+v", s.Dirs, wantDirs)
	}
}

func TestParseScriptEdges(t *testing.T) {
	for _, c := range []struct {
		words []string
		size  uint64
		num   uint64
		stamp bool
	}{
		{[]string{"./d"}, 99999, 10, false},
		{[]string{"tfoo", "./d"}, 99999, 10, true},
		{[]string{"./d", "t"}, 99999, 10, false},
		{[]string{"s4095", "./d"}, 4096, 10, false},
		{[]string{"s16777216", "./d"}, 16777215, 10, false},
		{[]string{"s12abc", "./d"}, 4096, 10, false},
		{[]string{"s20000x5", "n0", "./d"}, 20000, 2, false},
		{[]string{"n1000000", "./d"}, 99999, 1000000, false},
	} {
		s := ParseScript(c.words)
		if len(s.Dirs) != 1 || s.Dirs[0].Size != c.size || s.Dirs[0].Num != c.num || s.Timestamp != c.stamp {
			t.Errorf("%q: %+v timestamp %v", c.words, s.Dirs, s.Timestamp)
		}
	}
	// A word ends at a NUL, as a C string would.
	s := ParseScript([]string{"+ab\x00cd", "./d\x00x"})
	if s.Actions[0].Pattern != "ab" || s.Dirs[0].Path != "./d" {
		t.Errorf("NUL: %+v %+v", s.Actions, s.Dirs)
	}
	if ParseScript(nil).filters() || ParseScript([]string{"./a", "t"}).filters() || !ParseScript([]string{"./a", "-x"}).filters() {
		t.Error("filters() wrong")
	}
}

func FuzzParseScript(f *testing.F) {
	f.Add("t s4096 n5 +a* -b e =st ./d !cat /x")
	f.Add("s sabc n n0 ! . / = + -")
	f.Add("tfoo\x00bar ./d s99999999999999999999999")
	f.Fuzz(func(t *testing.T, script string) {
		words := strings.Split(script, " ")
		s := ParseScript(words)
		dirs, files := 0, 0
		for _, w := range words {
			if i := strings.IndexByte(w, 0); i >= 0 {
				w = w[:i]
			}
			if w == "" {
				continue
			}
			switch w[0] {
			case '.', '/':
				dirs++
			case '=':
				files++
			}
		}
		if len(s.Dirs) != dirs || len(s.StatusFiles) != files {
			t.Fatalf("%q: %d dirs, %d status files", script, len(s.Dirs), len(s.StatusFiles))
		}
		first := words[0]
		if i := strings.IndexByte(first, 0); i >= 0 {
			first = first[:i]
		}
		if s.Timestamp != strings.HasPrefix(first, "t") {
			t.Fatalf("%q: timestamp %v", script, s.Timestamp)
		}
		for _, d := range s.Dirs {
			if d.Size < MinSize || d.Size > MaxSize || d.Num < MinNum || (d.Path[0] != '.' && d.Path[0] != '/') {
				t.Fatalf("%q: %+v", script, d)
			}
		}
		for _, a := range s.Actions {
			if a.Kind == Dir && a.Index >= len(s.Dirs) || a.Kind == Status && a.Index >= len(s.StatusFiles) {
				t.Fatalf("%q: action %+v out of range", script, a)
			}
			if a.Kind == Select || a.Kind == Deselect {
				Match(a.Pattern, []byte(script)) // must not panic
			}
		}
	})
}
