package svscan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// svscan-exit: when the marked service ends for good, the tree is
// stopped in order (its logger drains) and svscan exits with the
// service's exit code.
func TestSvscanExit(t *testing.T) {
	for _, c := range []struct {
		name, file, run string
		extra           map[string]string
		code            int
	}{
		{"always", "always\n", "echo main >> out; sleep 0.3; exit 7", nil, 7},
		{"signal", "always\n", "echo main >> out; kill -TERM $$; sleep 1", nil, 128 + 15},
		{"finish 125", "", "echo main >> out; exit 3", map[string]string{"finish": "#!/bin/sh\nexit 125\n"}, 3},
		{"restart-limit", "", "echo main >> out; exit 4", map[string]string{"restart-limit": "1 60\n", "restart-backoff": "0.05 0.05 10\n"}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			sd := t.TempDir()
			main := filepath.Join(sd, "main")
			svc(t, main, c.run)
			writeFile(t, filepath.Join(main, "svscan-exit"), c.file, 0o644)
			for name, content := range c.extra {
				mode := os.FileMode(0o644)
				if name == "finish" {
					mode = 0o755
				}
				writeFile(t, filepath.Join(main, name), content, mode)
			}
			other := filepath.Join(sd, "other")
			svc(t, other, "echo line; exec sleep 1000")
			svc(t, filepath.Join(other, "log"), "exec cat > ../logged")
			p := scan(t, ours(t), sd)
			if err := p.Wait(t, 30*time.Second); apptest.ExitCode(err) != c.code {
				t.Fatalf("svscan ended with %v (code %d), want %d", err, apptest.ExitCode(err), c.code)
			}
			if b, _ := os.ReadFile(filepath.Join(other, "logged")); string(b) != "line\n" {
				t.Errorf("the other service's logger got %q", b)
			}
			if pid(other) != 0 || pid(filepath.Join(other, "log")) != 0 {
				t.Error("the other service or its logger still runs")
			}
			if b, _ := os.ReadFile(filepath.Join(main, "out")); !strings.HasPrefix(string(b), "main\n") {
				t.Errorf("the main service wrote %q", b)
			}
		})
	}
}
