package svscan_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// Every supervisor of our svscan shares its descriptors, where each
// supervise process of the reference's has a table of its own: these
// trees run under tight open-files limits, as a user's `ulimit -n 64`
// sets them, against Debian's.

// limitsTree makes n services under sd (and a log service for each of
// the first logged) whose run scripts write the limits they started
// with to lim and stay up.
func limitsTree(t *testing.T, sd string, n, logged int) []string {
	t.Helper()
	const record = "echo \"$(ulimit -n) $(ulimit -Hn)\" > lim.new && mv lim.new lim\n"
	var dirs []string
	for i := 1; i <= n; i++ {
		dir := filepath.Join(sd, fmt.Sprintf("s%d", i))
		svc(t, dir, record+"exec sleep 1000")
		dirs = append(dirs, dir)
		if i <= logged {
			svc(t, filepath.Join(dir, "log"), record+"exec cat >/dev/null")
			dirs = append(dirs, filepath.Join(dir, "log"))
		}
	}
	return dirs
}

// limited starts prog (a svscan) on sd under the open-files limit
// nofile ("SOFT:HARD"), with Debian's supervise for Debian's svscan.
func limited(t *testing.T, prog, sd, nofile string) *apptest.Proc {
	t.Helper()
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit is not installed (util-linux)")
	}
	cmd := exec.Command(prlimit, "--nofile="+nofile, prog, sd)
	if prog == ours(t) {
		cmd.Env = apptest.Env(apptest.BinDir(t))
	} else {
		cmd.Env = apptest.Env()
	}
	return apptest.Start(t, cmd)
}

// limitsOf reads what dir's run script wrote, "" until it has.
func limitsOf(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "lim"))
	return strings.TrimSuffix(string(b), "\n")
}

// everyLimit waits until every one of dirs has written its limits and
// checks that they are want.
func everyLimit(t *testing.T, who string, dirs []string, want string) {
	t.Helper()
	apptest.Poll(t, wait, who+": every service up", func() bool {
		for _, d := range dirs {
			if limitsOf(d) == "" {
				return false
			}
		}
		return true
	})
	for _, d := range dirs {
		if got := limitsOf(d); got != want {
			t.Errorf("%s: %s started with open-files limits %q, want %q", who, d, got, want)
		}
	}
}

// A soft limit of 64 under a hard limit of 4096: the reference's
// services start with 64 and 4096, and so do ours, though our svscan
// uses up to the hard limit for 50 supervisors and 10 log pipes.
func TestNofileSoftLimit(t *testing.T) {
	t.Parallel()
	for _, prog := range []string{apptest.Debian(t, "svscan"), ours(t)} {
		sd := t.TempDir()
		dirs := limitsTree(t, sd, 40, 10)
		p := limited(t, prog, sd, "64:4096")
		everyLimit(t, prog, dirs, "64 4096")
		if got := p.Stderr.String(); got != "" {
			t.Errorf("%s: %q", prog, got)
		}
		p.Kill()
	}
}

// mayRaiseHard reports whether this process may raise a hard limit
// (CAP_SYS_RESOURCE in the first user namespace).
func mayRaiseHard(t *testing.T) bool {
	return exec.Command("prlimit", "--nofile=64:64", "sh", "-c", "ulimit -Hn 65").Run() == nil
}

// 40 services under `ulimit -n 64` (soft and hard): Debian's svscan
// runs them all, each supervise with 64 descriptors of its own. Ours,
// allowed to raise its hard limit, runs them all too, and every service
// still starts with 64 and 64. Not allowed to, it runs as many as fit;
// every service left out is said once (not once a try: the tries are
// spaced further and further apart), and each starts as soon as
// descriptors are freed.
func TestNofileHardLimit(t *testing.T) {
	t.Parallel()
	sd := t.TempDir()
	dirs := limitsTree(t, sd, 40, 0)
	p := limited(t, apptest.Debian(t, "svscan"), sd, "64:64")
	everyLimit(t, "Debian's svscan", dirs, "64 64")
	p.Kill()

	sd = t.TempDir()
	dirs = limitsTree(t, sd, 40, 0)
	p = limited(t, ours(t), sd, "64:64")
	if mayRaiseHard(t) {
		everyLimit(t, "our svscan", dirs, "64 64")
		if got := p.Stderr.String(); got != "" {
			t.Errorf("our svscan: %q", got)
		}
		return
	}
	t.Log("no CAP_SYS_RESOURCE: our svscan keeps to a hard limit of 64")
	warned := regexp.MustCompile(`^svscan: warning: unable to start supervise (s[0-9]+): process cannot open more files$`)
	// Each service is up or said to be left out.
	upOrWarned := func() (up, out []string) {
		said := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSuffix(p.Stderr.String(), "\n"), "\n") {
			if m := warned.FindStringSubmatch(line); m != nil {
				said[m[1]] = true
			}
		}
		for _, d := range dirs {
			if limitsOf(d) != "" {
				up = append(up, d)
			} else if said[filepath.Base(d)] {
				out = append(out, d)
			}
		}
		return up, out
	}
	split := func(dirs []string) (up, out []string) {
		for _, d := range dirs {
			if limitsOf(d) != "" {
				up = append(up, d)
			} else {
				out = append(out, d)
			}
		}
		return up, out
	}
	var up, out []string
	apptest.Poll(t, wait, "every service up or said to be left out", func() bool {
		up, out = upOrWarned()
		return len(up)+len(out) == len(dirs)
	})
	if len(up) == 0 || len(out) == 0 {
		t.Fatalf("%d services up, %d left out under 64 descriptors", len(up), len(out))
	}
	for _, d := range up {
		if got := limitsOf(d); got != "64 64" {
			t.Errorf("%s started with open-files limits %q", d, got)
		}
	}
	// The tries after 1, 2 and 4 seconds fail and say nothing more; the
	// next is 8 seconds away.
	apptest.PollOK(8*time.Second, func() bool { return false })
	// A scan that reads a directory's name before the test moves it
	// away finds it gone when it looks at it, and says so, as the
	// reference's svscan does: that is allowed once per moved service.
	moving := map[string]bool{}
	for len(out) > 0 {
		// Those up go away, and their descriptors are freed: the
		// others start at once, not at their next try.
		gone := t.TempDir()
		for _, d := range up {
			moving[filepath.Base(d)] = true
			moved := filepath.Join(gone, filepath.Base(d))
			if err := os.Rename(d, moved); err != nil {
				t.Fatal(err)
			}
			run(t, "svc", "-dx", moved)
		}
		rest := out
		apptest.Poll(t, 5*time.Second, "services started as descriptors are freed", func() bool {
			up, out = split(rest)
			return len(up) > 0
		})
		// Let the burst of starts settle.
		apptest.PollOK(time.Second, func() bool { return false })
		up, out = split(rest)
	}
	// Nothing else said, and no service said twice within the minute.
	lines := strings.Split(strings.TrimSuffix(p.Stderr.String(), "\n"), "\n")
	seen := map[string]int{}
	vanished := regexp.MustCompile(`^svscan: warning: unable to stat (s[0-9]+): file does not exist$`)
	for _, line := range lines {
		if m := vanished.FindStringSubmatch(line); m != nil && moving[m[1]] {
			delete(moving, m[1])
			continue
		}
		m := warned.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("unexpected: %q", line)
			continue
		}
		if seen[m[1]]++; seen[m[1]] == 2 {
			t.Errorf("%s was said twice: %q", m[1], lines)
		}
	}
}

// While services wait for descriptors, a scan directory that can no
// longer be read is said once a scan, as the reference says it, not at
// every try of a waiting service.
func TestNofileUnreadableDirectory(t *testing.T) {
	t.Parallel()
	if mayRaiseHard(t) {
		t.Skip("with CAP_SYS_RESOURCE our svscan raises its limit: no service waits")
	}
	sd := t.TempDir()
	limitsTree(t, sd, 40, 0)
	p := limited(t, ours(t), sd, "64:64")
	apptest.Poll(t, wait, "services left out", func() bool {
		return strings.Contains(p.Stderr.String(), "process cannot open more files")
	})
	// The supervisors write their status files while it goes.
	apptest.Poll(t, wait, "the scan directory removed", func() bool { return os.RemoveAll(sd) == nil })
	apptest.PollOK(3*time.Second, func() bool { return false })
	if n := strings.Count(p.Stderr.String(), "svscan: warning: unable to read directory: file does not exist\n"); n > 2 {
		t.Errorf("the unreadable directory was said %d times in 3 seconds: %q", n, p.Stderr.String())
	}
}
