package all

import (
	"testing"

	"github.com/daemontools-go/daemontools/applets"
)

// Every applet of the table has registered its Main: the executable
// runs and lists every one.
func TestEveryAppletIsRegistered(t *testing.T) {
	for _, a := range applets.Table() {
		if got, ok := applets.Lookup(a.Name); !ok || got.Main == nil {
			t.Errorf("%s is in the table but not registered", a.Name)
		}
	}
	if len(applets.All()) != len(applets.Table()) {
		t.Errorf("%d registered, %d in the table", len(applets.All()), len(applets.Table()))
	}
}
