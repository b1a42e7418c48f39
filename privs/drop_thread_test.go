package privs

import (
	"path/filepath"
	"testing"
)

// fakeSelf makes the applets the names of applets (as applets.Resolve
// does for a link or for `daemontools NAME`), for the length of a test.
func fakeSelf(t *testing.T) {
	t.Helper()
	applets := map[string]bool{"multilog": true, "svscan": true, "tai64n": true}
	for _, l := range chainLoaders {
		applets[l] = true
	}
	oldResolve, oldMain := selfResolve, selfMain
	selfResolve = func(argv []string) (string, bool) {
		if name := filepath.Base(argv[0]); applets[name] {
			return name, true
		}
		if len(argv) > 1 && applets[argv[1]] {
			return argv[1], true
		}
		return "", false
	}
	selfMain = func([]string) int { panic("not to be run") }
	t.Cleanup(func() { selfResolve, selfMain = oldResolve, oldMain })
}

// setuidgid keeps the new credentials to its thread only when no word
// of the chain names an applet of ours that is not a loader, or setlock
// or fghack.
func TestEndsElsewhere(t *testing.T) {
	fakeSelf(t)
	for _, c := range []struct {
		argv []string
		want bool
	}{
		{[]string{"softlimit", "-o", "100", "true"}, true},
		{[]string{"softlimit", "-o", "100", "envdir", "e", "pgrphack", "/bin/sh", "-c", "exec foo"}, true},
		{[]string{"softlimit", "-d", "3000000", "multilog", "t", "./main"}, false},
		{[]string{"envdir", "e", "/usr/local/bin/multilog", "t", "./main"}, false},
		{[]string{"multilog", "t", "./main"}, false},
		{[]string{"softlimit", "-c", "0", "daemontools", "svscan", "/service"}, false},
		// An argument that only looks like one is taken for one: the
		// whole process drops, which is always right.
		{[]string{"envdir", "tai64n", "prog"}, false},
		// Loaders that may wait as long as a daemon runs.
		{[]string{"softlimit", "-o", "100", "setlock", "lk", "true"}, false},
		{[]string{"fghack", "daemon"}, false},
	} {
		if got := endsElsewhere(c.argv); got != c.want {
			t.Errorf("endsElsewhere(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
	selfResolve = nil
	if endsElsewhere([]string{"softlimit", "true"}) {
		t.Error("without SetSelf: true, want false")
	}
}

// Once setuidgid has changed the locked thread alone, only a loader may
// run in the process; any other applet of ours is exec'd.
func TestCredsAllow(t *testing.T) {
	fakeSelf(t)
	defer func(old bool) { threadCreds = old }(threadCreds)
	for _, threads := range []bool{false, true} {
		threadCreds = threads
		for _, c := range []struct {
			argv []string
			want bool // under threadCreds
		}{
			{[]string{"softlimit", "-o", "5", "true"}, true},
			{[]string{"envdir", "e", "true"}, true},
			{[]string{"multilog", "t", "./main"}, false},
			{[]string{"daemontools", "tai64n"}, false},
		} {
			want := c.want || !threads
			if got := credsAllow(appletOf("/proc/self/exe", c.argv)); got != want {
				t.Errorf("threadCreds %v: credsAllow(%q) = %v, want %v", threads, c.argv, got, want)
			}
		}
	}
}
