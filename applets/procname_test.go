package applets

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Arguments that are not the process's own argument area are never
// written through: become falls back to a plain slice. (The real
// rewrite is tested on the executable, in the root package.)
func TestBecomeLeavesOtherArgumentsAlone(t *testing.T) {
	args := os.Args
	// A name no one looks for: become may rename the thread it runs on.
	argv := []string{"daemontools", "apptest-become", "/service"}
	got := become("apptest-become", argv)
	if !slices.Equal(got, []string{"apptest-become", "/service"}) {
		t.Errorf("become = %q", got)
	}
	if !slices.Equal(argv, []string{"daemontools", "apptest-become", "/service"}) || !slices.Equal(os.Args, args) {
		t.Errorf("become changed its argv (%q) or os.Args (%q)", argv, os.Args)
	}
	if _, ok := shiftArgs(argv); ok {
		t.Error("shiftArgs rewrote strings that are not os.Args")
	}
	if _, ok := shiftArgs(os.Args[:1]); ok {
		t.Error("shiftArgs rewrote a single argument")
	}
}

// The fallback for a main that does not run on the main thread names a
// thread through /proc.
func TestSetComm(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	file := "/proc/self/task/" + strconv.Itoa(tid) + "/comm"
	old, err := os.ReadFile(file)
	if err != nil {
		t.Skip(err)
	}
	defer setComm(tid, strings.TrimSuffix(string(old), "\n"))
	if err := setComm(tid, "apptest-comm"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != "apptest-comm\n" {
		t.Errorf("comm %q after setComm", got)
	}
	for n, want := range map[int]string{0: "0", 7: "7", 1234567: "1234567"} {
		if got := decimal(n); got != want {
			t.Errorf("decimal(%d) = %q", n, got)
		}
	}
}
