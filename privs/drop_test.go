package privs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The drop tests run in a copy of the test binary, since they change the
// credentials of the process for good.
func TestMain(m *testing.M) {
	switch os.Getenv("PRIVS_TEST_HELPER") {
	case "drop":
		if err := Drop(65534, 65534); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		// Every thread, not just this one.
		tasks, _ := filepath.Glob("/proc/self/task/*/status")
		for _, t := range tasks {
			b, _ := os.ReadFile(t)
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "Uid:") || strings.HasPrefix(line, "Gid:") || strings.HasPrefix(line, "Groups:") {
					os.Stdout.WriteString(strings.Join(strings.Fields(line), " ") + "\n")
				}
			}
		}
		os.Exit(0)
	case "execas":
		err := ExecAs(65534, 65534, Candidates("sh"), []string{"sh", "-c", "id -u; id -g; id -G"}, nil)
		os.Stderr.WriteString("exec failed: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, name string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PRIVS_TEST_HELPER="+name)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v %s", name, err, out)
	}
	return string(out)
}

func TestDropChangesEveryThread(t *testing.T) {
	out := helper(t, "drop")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || len(lines)%3 != 0 {
		t.Fatalf("unexpected status lines:\n%s", out)
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "Uid:"), strings.HasPrefix(l, "Gid:"):
			if strings.TrimSpace(l[4:]) != "65534 65534 65534 65534" {
				t.Errorf("thread still has %s", l)
			}
		case l != "Groups: 65534":
			t.Errorf("thread has %s", l)
		}
	}
	t.Logf("%d threads checked", len(lines)/3)
}

// ExecAs changes the exec'ing thread's ids before the search, so the
// program runs with supplementary groups exactly {gid}.
func TestExecAs(t *testing.T) {
	PATH := os.Getenv("PATH")
	t.Setenv("PATH", "/usr/bin:/bin:"+PATH)
	out := helper(t, "execas")
	if out != "65534\n65534\n65534\n" {
		t.Errorf("id printed %q", out)
	}
}
