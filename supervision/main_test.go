package supervision

import (
	"os"
	"testing"
)

// A Supervisor with Options.StandIn whose ./run cannot be executed
// starts /proc/self/exe as a stand-in child that reports the failure; in
// a test binary that is the test binary, so it must act the part before
// running any test. Every test binary that runs such Supervisors needs
// this.
func TestMain(m *testing.M) {
	if msg, err, ok := StandInReport(); ok {
		os.Stderr.WriteString("supervise: fatal: " + msg + ": " + err.Error() + "\n")
		os.Exit(111)
	}
	os.Exit(m.Run())
}
