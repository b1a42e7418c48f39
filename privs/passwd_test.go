package privs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func withFiles(t *testing.T, passwd, group string) {
	t.Helper()
	dir := t.TempDir()
	p, g := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	if err := os.WriteFile(p, []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g, []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
	oldP, oldG := PasswdFile, GroupFile
	PasswdFile, GroupFile = p, g
	t.Cleanup(func() { PasswdFile, GroupFile = oldP, oldG })
}

const testPasswd = `root:x:0:0:root:/root:/bin/bash
# qmaill:x:1:1:commented out:/:/bin/sh
   
+nis:x:7:7::/:/bin/sh
-nis2:x:8:8::/:/bin/sh
bad:x:notanumber:5:::
bad:x:5:-1:::
  qmaill:x:1011:2108:qmail log:/var/qmail:/bin/false
short:x:42:43
dup:x:100:100::/a:/bin/a
dup:x:200:200::/b:/bin/b
bad:x:12:13:second bad is fine:/home/bad:/bin/sh
big:x:4294967296:1::/:
last:x:3:4::/last:/bin/sh`

func TestLookupUser(t *testing.T) {
	withFiles(t, testPasswd, "")
	for _, tc := range []struct {
		name string
		want User
	}{
		{"root", User{"root", 0, 0, "/root", "/bin/bash"}},
		{"qmaill", User{"qmaill", 1011, 2108, "/var/qmail", "/bin/false"}},
		{"short", User{"short", 42, 43, "", ""}},
		{"dup", User{"dup", 100, 100, "/a", "/bin/a"}},
		{"bad", User{"bad", 12, 13, "/home/bad", "/bin/sh"}},
		{"last", User{"last", 3, 4, "/last", "/bin/sh"}},
	} {
		got, err := LookupUser(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("LookupUser(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, name := range []string{"nobody", "", "nis", "+nis", "-nis2", "big", "ROOT", "roo", "x", "0"} {
		if u, err := LookupUser(name); !errors.Is(err, ErrUnknown) {
			t.Errorf("LookupUser(%q) = %+v, %v; want ErrUnknown", name, u, err)
		}
	}
}

func TestLookupUserUnreadable(t *testing.T) {
	old := PasswdFile
	PasswdFile = filepath.Join(t.TempDir(), "missing")
	defer func() { PasswdFile = old }()
	if _, err := LookupUser("root"); err == nil || errors.Is(err, ErrUnknown) {
		t.Fatalf("got %v, want the read error", err)
	}
}

func TestLookupGroup(t *testing.T) {
	withFiles(t, "", "root:x:0:\nwheel:x:10:alice,bob,,carol\n#x:x:1:\nnogroup:x:65534:\nbad:x:zz:\n")
	g, err := LookupGroup("wheel")
	if err != nil || g.GID != 10 || !reflect.DeepEqual(g.Members, []string{"alice", "bob", "carol"}) {
		t.Errorf("wheel: %+v %v", g, err)
	}
	if g, err := LookupGroup("nogroup"); err != nil || g.GID != 65534 || g.Members != nil {
		t.Errorf("nogroup: %+v %v", g, err)
	}
	for _, name := range []string{"x", "bad", "missing"} {
		if _, err := LookupGroup(name); !errors.Is(err, ErrUnknown) {
			t.Errorf("LookupGroup(%q): %v", name, err)
		}
	}
}

// The real account files agree with what the system's id(1) says.
func TestLookupSystemRoot(t *testing.T) {
	u, err := LookupUser("root")
	if err != nil {
		t.Skipf("no root in /etc/passwd: %v", err)
	}
	if u.UID != 0 {
		t.Errorf("root has uid %d", u.UID)
	}
}
