package applets

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
)

const upgradeUsage = "daemontools upgrade [dir]"

// upgrade asks the svscan running on dir (default /etc/service, as
// svscanboot's) to exec a new executable in place: it finds every
// process named svscan whose working directory is dir, the way svscan
// runs, and sends it USR2. It reports each one it asked.
func upgrade(args []string) int {
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		return diag.Usage(Multicall, 100, upgradeUsage)
	}
	dir := "/etc/service"
	if len(args) == 1 {
		dir = args[0]
	}
	want, err := filepath.EvalSymlinks(dir)
	if err == nil {
		want, err = filepath.Abs(want)
	}
	if err != nil {
		return diag.Fatal(Multicall, 111, "unable to find "+dir, err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return diag.Fatal(Multicall, 111, "unable to read /proc", err)
	}
	found := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		proc := "/proc/" + e.Name()
		comm, _ := os.ReadFile(proc + "/comm")
		if strings.TrimSpace(string(comm)) != "svscan" {
			continue
		}
		if cwd, err := os.Readlink(proc + "/cwd"); err != nil || cwd != want {
			continue
		}
		// Daemontools' svscan (or another's) dies of USR2: only ours is
		// asked.
		if !ourProgram(proc + "/exe") {
			diag.Warn(Multicall, "svscan "+e.Name()+" on "+dir+" is not daemontools-go's: USR2 would kill it, not sent", nil)
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
			diag.Warn(Multicall, "unable to signal svscan "+e.Name(), err)
			continue
		}
		found++
		write("daemontools: upgrading svscan " + e.Name() + " on " + dir + "\n")
	}
	if found == 0 {
		return diag.Fatal(Multicall, 111, "no svscan runs on "+dir, nil)
	}
	return 0
}

// modulePath is in every build of this program (its build information
// and the names of its functions), and in no other supervisor's.
const modulePath = "github.com/daemontools-go/daemontools"

// ourProgram says whether the executable at path is a build of this
// program: it holds modulePath.
func ourProgram(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 1<<16+len(modulePath))
	keep := 0
	for {
		n, err := f.Read(buf[keep:])
		if bytes.Contains(buf[:keep+n], []byte(modulePath)) {
			return true
		}
		if err == io.EOF || err != nil && n == 0 {
			return false
		}
		end := keep + n
		keep = min(end, len(modulePath)-1)
		copy(buf, buf[end-keep:end])
	}
}
