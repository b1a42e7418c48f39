package applets

import (
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
