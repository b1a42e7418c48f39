package applets

import (
	"os"
	"runtime/debug"
	"testing"
)

// moduleVersion reads what runtime/debug.ReadBuildInfo reads, from the
// executable's file instead of its memory.
func TestModuleVersionIsReadBuildInfos(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information in the test binary")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := moduleVersion(exe); got != bi.Main.Version {
		t.Errorf("moduleVersion = %q, ReadBuildInfo says %q", got, bi.Main.Version)
	}
}

func TestModuleVersionOfOtherFiles(t *testing.T) {
	for _, f := range []string{"/nonexistent", "/etc/passwd", t.TempDir()} {
		if v := moduleVersion(f); v != "" {
			t.Errorf("moduleVersion(%s) = %q", f, v)
		}
	}
}

func TestMainVersion(t *testing.T) {
	const sentinel = "0123456789abcdef"
	mod := sentinel + "path\texample.com/x\nmod\texample.com/x\tv1.2.3\th1:abc=\ndep\tgolang.org/x/sys\tv0.1.0\n" + sentinel
	blob := []byte("\xff Go buildinf:\x08\x02")
	blob = append(blob, make([]byte, 16)...)
	blob = append(blob, 6)
	blob = append(blob, "go1.26"...)
	blob = append(blob, byte(len(mod)&0x7f|0x80), byte(len(mod)>>7))
	blob = append(blob, mod...)
	if v := mainVersion(blob); v != "v1.2.3" {
		t.Errorf("mainVersion = %q, want v1.2.3", v)
	}
	for _, bad := range [][]byte{blob[:40], blob[:31], append([]byte("\xff Go buildinf:\x08\x00"), blob[16:]...)} {
		if v := mainVersion(bad); v != "" {
			t.Errorf("mainVersion of a broken blob = %q", v)
		}
	}
}

func TestVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v9.9.9-1-gabcdef0-dirty"
	if v := Version(); v != version {
		t.Errorf("Version() = %q with the link-time version set", v)
	}
	version = ""
	if v := Version(); v == "" || v == "(devel)" {
		t.Errorf("Version() = %q without it", v)
	}
}
