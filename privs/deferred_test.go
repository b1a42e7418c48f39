package privs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDeferredLimitsRoundTrip(t *testing.T) {
	ls := []Limit{
		{Resource: RlimitData, Value: 2000000},
		{Resource: RlimitAS, ToHard: true},
		{Resource: RlimitNofile, Value: 0},
		{Resource: RlimitCPU, Value: ^uint64(0)},
	}
	enc := encodeLimits(ls)
	if got := decodeLimits(enc); !reflect.DeepEqual(got, ls) {
		t.Errorf("%q decodes to %+v, want %+v", enc, got, ls)
	}
	if got := decodeLimits(""); got != nil {
		t.Errorf("empty: %+v", got)
	}
	// Garbage in the variable is skipped, not fatal.
	got := decodeLimits("x,9:1,99:1,2:-1,3:=,7:12k,:5,4")
	want := []Limit{{Resource: 9, Value: 1}, {Resource: 3, ToHard: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("garbage: %+v, want %+v", got, want)
	}
}

func TestEnvironHidesDeferVar(t *testing.T) {
	t.Setenv("A", "1")
	t.Setenv(DeferVar, "2:5")
	t.Setenv("B", "2")
	envSplit, deferred, cleanEnviro = false, "", nil
	defer func() { envSplit, deferred, cleanEnviro = false, "", nil }()
	env := Environ()
	for _, kv := range env {
		if len(kv) >= len(DeferVar) && kv[:len(DeferVar)] == DeferVar {
			t.Fatalf("Environ kept %s", kv)
		}
	}
	if got := Deferred(); !reflect.DeepEqual(got, []Limit{{Resource: 2, Value: 5}}) {
		t.Errorf("Deferred() = %+v", got)
	}
	// Callers may change what Environ returns.
	env[0] = "changed"
	if Environ()[0] == "changed" {
		t.Error("Environ shares its slice")
	}
}

func TestSelfLoader(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	link := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(self, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	setlock, multilog, multi := link("setlock"), link("multilog"), link("daemontools")
	other := filepath.Join(dir, "envdir")
	os.WriteFile(other, []byte("#!/bin/sh\n"), 0o755)
	for _, tc := range []struct {
		cands, argv []string
		want        bool
	}{
		{[]string{setlock}, []string{"setlock"}, true},
		{[]string{"/nonexistent/setlock", setlock}, []string{"setlock"}, true},
		{[]string{multilog}, []string{"multilog"}, false},
		{[]string{multi}, []string{"daemontools", "envdir"}, true},
		{[]string{multi}, []string{"daemontools", "svscan"}, false},
		{[]string{multi}, []string{"daemontools"}, false},
		// Another file named like a loader is not us.
		{[]string{other, setlock}, []string{"envdir"}, false},
		{[]string{"/nonexistent/x"}, []string{"x"}, false},
	} {
		if got := selfLoader(tc.cands, tc.argv); got != tc.want {
			t.Errorf("selfLoader(%q, %q) = %v, want %v", tc.cands, tc.argv, got, tc.want)
		}
	}
}

func TestGoSafe(t *testing.T) {
	in := []Limit{{Resource: RlimitAS, Value: 1}, {Resource: RlimitNofile, Value: 20}, {Resource: RlimitData, Value: 1},
		{Resource: RlimitStack, Value: 1}, {Resource: RlimitNproc, Value: 1}, {Resource: RlimitCore, Value: 0}}
	want := []Limit{{Resource: RlimitNofile, Value: 20}, {Resource: RlimitCore, Value: 0}}
	if got := goSafe(in); !reflect.DeepEqual(got, want) {
		t.Errorf("goSafe = %+v, want %+v", got, want)
	}
}
