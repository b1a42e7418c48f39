package supervision

import (
	"os"
	"testing"

	"github.com/daemontools-go/daemontools/privs"
)

// A Supervisor with Options.StandIn whose ./run cannot be executed
// starts /proc/self/exe as a stand-in child that reports the failure; in
// a test binary that is the test binary, so it must act the part before
// running any test. Every test binary that runs such Supervisors needs
// this.
//
// Likewise, once svscan's open-files limit is raised its children start
// through this executable as the trampoline (privs.TrampolineName).
func TestMain(m *testing.M) {
	if len(os.Args) > 0 && os.Args[0] == privs.TrampolineName {
		os.Exit(privs.Trampoline(os.Args))
	}
	if os.Getenv(threadBudgetEnv) != "" {
		threadBudgetChild()
		os.Exit(0)
	}
	if msg, err, ok := StandInReport(); ok {
		os.Stderr.WriteString("supervise: fatal: " + msg + ": " + err.Error() + "\n")
		os.Exit(111)
	}
	os.Exit(m.Run())
}
