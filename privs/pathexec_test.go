package privs

import (
	"os"
	"reflect"
	"testing"
)

func TestCandidates(t *testing.T) {
	for _, tc := range []struct {
		path string
		set  bool
		file string
		want []string
	}{
		{"/a:/b", true, "prog", []string{"/a/prog", "/b/prog"}},
		{"", true, "prog", []string{"./prog"}},
		{":/a:", true, "prog", []string{"./prog", "/a/prog", "./prog"}},
		{"/a::/b", true, "prog", []string{"/a/prog", "./prog", "/b/prog"}},
		{"", false, "prog", []string{"/bin/prog", "/usr/bin/prog"}},
		{"/a", true, "", []string{"/a/"}},
		{"/a:/b", true, "./x", []string{"./x"}},
		{"/a:/b", true, "sub/x", []string{"sub/x"}},
		{"/a/", true, "x", []string{"/a//x"}},
	} {
		if tc.set {
			t.Setenv("PATH", tc.path)
		} else {
			t.Setenv("PATH", "")
			os.Unsetenv("PATH")
		}
		if got := Candidates(tc.file); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PATH=%q (set %v) %q: %q, want %q", tc.path, tc.set, tc.file, got, tc.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	for _, tc := range []struct {
		env, changes, want []string
	}{
		{nil, nil, []string{}},
		{[]string{"A=1", "B=2", "C=3"}, []string{"D=4"}, []string{"A=1", "B=2", "C=3", "D=4"}},
		// Replacing moves the last entry into the hole, then appends.
		{[]string{"A=1", "B=2", "C=3"}, []string{"A=9"}, []string{"C=3", "B=2", "A=9"}},
		{[]string{"A=1", "B=2", "C=3"}, []string{"B"}, []string{"A=1", "C=3"}},
		{[]string{"A=1", "B=2", "C=3"}, []string{"C", "A="}, []string{"B=2", "A="}},
		// Removing a variable that is not there changes nothing.
		{[]string{"A=1"}, []string{"Z"}, []string{"A=1"}},
		// Only the first copy of a duplicated name goes.
		{[]string{"A=1", "X=0", "A=2"}, []string{"A=3"}, []string{"A=2", "X=0", "A=3"}},
		// Prefixes of names are not names.
		{[]string{"AB=1", "A"}, []string{"A=2"}, []string{"AB=1", "A", "A=2"}},
		// The name ends at the first '=': a file "E=Q" holding "a=b".
		{[]string{"E=old", "F=1"}, []string{"E=Q=a=b"}, []string{"F=1", "E=Q=a=b"}},
		// ... and an empty file "E=Q" sets E to "Q".
		{[]string{"E=old"}, []string{"E=Q"}, []string{"E=Q"}},
		{[]string{"GID=5", "UID=6", "X=1"}, []string{"GID=0", "UID=0"}, []string{"X=1", "GID=0", "UID=0"}},
	} {
		env := append([]string(nil), tc.env...)
		got := MergeEnv(env, tc.changes)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MergeEnv(%q, %q) = %q, want %q", tc.env, tc.changes, got, tc.want)
		}
		if !reflect.DeepEqual(env, tc.env) && tc.env != nil {
			t.Errorf("MergeEnv changed its input: %q", env)
		}
	}
}
