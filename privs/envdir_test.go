package privs

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// envValueModel is the rule spelled out byte by byte, independently of
// EnvValue's slicing: copy until the first newline, turning NULs into
// newlines, then drop trailing spaces and tabs. Only bytes that came
// from spaces and tabs can be trimmed: a NUL-made newline is kept.
func envValueModel(content []byte) string {
	var out []byte
	var fromBlank []bool
	for _, c := range content {
		if c == '\n' {
			break
		}
		blank := c == ' ' || c == '\t'
		if c == 0 {
			c = '\n'
		}
		out = append(out, c)
		fromBlank = append(fromBlank, blank)
	}
	for len(out) > 0 && fromBlank[len(out)-1] {
		out = out[:len(out)-1]
		fromBlank = fromBlank[:len(fromBlank)-1]
	}
	return string(out)
}

func TestEnvValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"\n", ""},
		{"   \t\n", ""},
		{"value", "value"},
		{"value\n", "value"},
		{"first\nsecond\n", "first"},
		{"  lead  \t \n", "  lead"},
		{"\tlead", "\tlead"},
		{"a\x00b\x00\n", "a\nb\n"},
		{"a\x00 \n", "a\n"},
		{"a \x00 ", "a \n"},
		{"trail\r\n", "trail\r"},
		{"\nafter", ""},
		{"x\x00\x00", "x\n\n"},
	} {
		if got := EnvValue([]byte(tc.in)); got != tc.want {
			t.Errorf("EnvValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := envValueModel([]byte(tc.in)); got != tc.want {
			t.Errorf("model(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func writeEnv(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readEnvDirIn runs ReadEnvDir(dir) and checks that it leaves the working
// directory where it was.
func readEnvDirIn(t *testing.T, dir string) ([]string, error) {
	t.Helper()
	before, _ := os.Getwd()
	changes, err := ReadEnvDir(dir)
	if after, _ := os.Getwd(); err == nil && after != before {
		t.Errorf("working directory moved from %s to %s", before, after)
	}
	return changes, err
}

func TestReadEnvDir(t *testing.T) {
	dir := t.TempDir()
	writeEnv(t, dir, map[string]string{
		"A":       "val1\nsecond\n",
		"B":       "",
		"C":       "\n",
		"D":       "  lead  \t \n",
		"E":       "x\x00y\x00\n",
		"F":       "noeol",
		".hidden": "h\n",
		"E=Q":     "a=b\n",
		"LONG":    strings.Repeat("z", 10000) + "\n" + strings.Repeat("y", 10000),
	})
	if err := os.Symlink("/nonexistent/target", filepath.Join(dir, "DANGLING")); err != nil {
		t.Fatal(err)
	}
	changes, err := readEnvDirIn(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(changes)
	want := []string{"A=val1", "B", "C=", "D=  lead", "E=Q=a=b", "E=x\ny\n", "F=noeol", "LONG=" + strings.Repeat("z", 10000)}
	if strings.Join(changes, "|") != strings.Join(want, "|") {
		t.Errorf("changes:\n%q\nwant:\n%q", changes, want)
	}
}

func TestReadEnvDirOrderIsDirectoryOrder(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 50; i++ {
		writeEnv(t, dir, map[string]string{"V" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)): "1"})
	}
	changes, err := readEnvDirIn(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1) // directory order, unsorted
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(changes) {
		t.Fatalf("%d changes for %d files", len(changes), len(names))
	}
	for i, n := range names {
		if changes[i] != n+"=1" {
			t.Fatalf("change %d is %q, directory order has %q", i, changes[i], n)
		}
	}
}

func TestReadEnvDirErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := readEnvDirIn(t, dir)
	var e *Error
	if !errors.As(err, &e) || e.Op != OpReadFile || e.Path != dir+"/sub" || e.Err != syscall.EISDIR {
		t.Errorf("subdirectory: %v", err)
	}
	loop := filepath.Join(t.TempDir(), "loop")
	os.Symlink(loop, loop)
	for _, tc := range []struct {
		dir string
		err error
	}{
		{filepath.Join(dir, "missing"), syscall.ENOENT},
		{"/etc/passwd", syscall.ENOTDIR},
		{loop, syscall.ELOOP},
	} {
		_, err := readEnvDirIn(t, tc.dir)
		if !errors.As(err, &e) || e.Op != OpChdir || e.Path != tc.dir || e.Err != tc.err {
			t.Errorf("%s: %v", tc.dir, err)
		}
	}
	// The working directory is restored after a failure too.
	wd, _ := os.Getwd()
	if filepath.Base(wd) == "sub" || strings.HasPrefix(wd, dir) {
		t.Errorf("left in %s", wd)
	}
}

// FuzzEnvValue checks the envdir value rules against the model, and the
// whole reader (chunked reads, first line only, 0 bytes means remove)
// against the same model on a real file.
func FuzzEnvValue(f *testing.F) {
	for _, s := range []string{"", "\n", "a", " a \t\n", "a\x00b", "\x00\n", "x\n\n", "a\tb \x00 \t", strings.Repeat("q", 5000) + "\n"} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		want := envValueModel(content)
		if got := EnvValue(content); got != want {
			t.Fatalf("EnvValue(%q) = %q, want %q", content, got, want)
		}
		if err := os.WriteFile(filepath.Join(dir, "V"), content, 0o644); err != nil {
			t.Fatal(err)
		}
		changes, err := ReadEnvDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		wantChange := "V=" + want
		if len(content) == 0 {
			wantChange = "V"
		}
		if len(changes) != 1 || changes[0] != wantChange {
			t.Fatalf("ReadEnvDir for %q: %q, want %q", content, changes, wantChange)
		}
	})
}
