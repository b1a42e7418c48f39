package readproctitle

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// title starts prog as `readproctitle io errors: <20 dots>`, feeds it
// input, and returns its /proc cmdline once the input has been shown.
func title(t *testing.T, prog string, input string) string {
	t.Helper()
	cmd := exec.Command(prog, "io", "errors:", "....................")
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := apptest.Start(t, cmd)
	if _, err := w.Write([]byte(input)); err != nil {
		t.Fatal(err)
	}
	var got string
	apptest.Poll(t, 10*time.Second, "the title to show the input", func() bool {
		got = apptest.Cmdline(p.Pid())
		return strings.HasSuffix(got, "abc\n\x00")
	})
	w.Close()
	if err := p.Wait(t, 10*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	// Drop argv[0], which differs between the two programs.
	return got[strings.IndexByte(got, 0):]
}

func TestTitleShowsInput(t *testing.T) {
	const input = "fatal error xyz\n\x00warning abc\n"
	ours := title(t, filepath.Join(apptest.BinDir(t), "readproctitle"), input)
	const want = "\x00io\x00errors:\x00... xyz\nwarning abc\n\x00"
	if ours != want {
		t.Fatalf("cmdline %q, want %q", ours, want)
	}
	if apptest.HaveDebian("readproctitle") {
		if theirs := title(t, apptest.Debian(t, "readproctitle"), input); theirs != ours {
			t.Fatalf("Debian's cmdline %q, ours %q", theirs, ours)
		}
	}
}
