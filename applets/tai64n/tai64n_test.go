package tai64n

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// The applets' exit codes, through the real executable: 0 at the end
// of the input, 111 with no message after a read or a write error.
func TestExitCodes(t *testing.T) {
	bin := apptest.BinDir(t)
	dir := t.TempDir()
	for _, name := range []string{"tai64n", "tai64nlocal"} {
		for _, c := range []struct {
			what   string
			stdin  string // a path; a directory cannot be read
			stdout string
			code   int
		}{
			{"end of input", os.DevNull, os.DevNull, 0},
			{"read error", dir, os.DevNull, 111},
			{"write error", "/dev/zero", "/dev/full", 111},
		} {
			if _, err := os.Stat(c.stdout); err != nil {
				t.Logf("%s: skipped: %v", c.what, err)
				continue
			}
			in, err := os.Open(c.stdin)
			if err != nil {
				t.Fatal(err)
			}
			out, err := os.OpenFile(c.stdout, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd := exec.Command(filepath.Join(bin, name))
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, &stderr
			err = cmd.Run()
			in.Close()
			out.Close()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || stderr.Len() != 0 {
				t.Errorf("%s, %s: exit %d, stderr %q; want %d and nothing", name, c.what, code, stderr.String(), c.code)
			}
		}
	}
}
