package apptest

import (
	"os"
	"strings"
	"testing"
)

// OldLogs returns the names of the old files of the multilog directory
// dir, the entries whose names begin with "@", in name order (as
// os.ReadDir sorts them): for the files multilog names by their TAI64N
// stamp, the order they were finished in. It fails the test when dir
// cannot be read.
func OldLogs(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	return names
}
