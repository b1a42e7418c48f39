package applets

import (
	"os"
	"path/filepath"
	"testing"
)

// upgrade signals only builds of this program: daemontools' svscan
// dies of USR2. The module path is found wherever it lies, across the
// reads' boundaries too.
func TestOurProgram(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !ourProgram(exe) {
		t.Errorf("%s is not recognised as ours", exe)
	}
	for _, p := range []string{"/usr/bin/svscan", "/bin/sh"} {
		if _, err := os.Stat(p); err == nil && ourProgram(p) {
			t.Errorf("%s is taken for ours", p)
		}
	}
	dir := t.TempDir()
	for _, at := range []int{0, 1<<16 - 5, 1 << 16, 1<<16 + 3, 3<<16 - 1} {
		b := make([]byte, 4<<16)
		copy(b[at:], modulePath)
		f := filepath.Join(dir, "f")
		os.WriteFile(f, b, 0o644)
		if !ourProgram(f) {
			t.Errorf("the path at offset %d is not found", at)
		}
		os.WriteFile(f, b[:at+len(modulePath)-1], 0o644)
		if ourProgram(f) {
			t.Errorf("a path cut short at offset %d is found", at)
		}
	}
}
