// Package applets is the registry of the programs this executable can
// be. Each applet package registers itself from init; main dispatches on
// the name the executable was invoked under.
package applets

import (
	"sort"
	"sync"
)

// Applet is one program of the suite.
type Applet struct {
	// Name is the canonical program name, e.g. "svc". Diagnostics always
	// use it, whatever name the executable was invoked under.
	Name string
	// Summary is one line for `daemontools --list`.
	Summary string
	// Main runs the applet. argv[0] is the name it was invoked as (the
	// basename of the link, or Name in the `daemontools NAME ...` form);
	// getopt-style messages use it, as the reference's do. Main returns
	// the exit status; only main.go calls os.Exit. Applets that end in
	// execve never return on success.
	Main func(argv []string) int
}

var (
	mu       sync.Mutex
	registry = map[string]*Applet{}
)

// Register adds a to the registry. It panics on a duplicate or
// incomplete entry: both are programming errors found at start-up.
func Register(a Applet) {
	if a.Name == "" || a.Main == nil {
		panic("applets: Register of an incomplete applet")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[a.Name]; dup {
		panic("applets: Register called twice for " + a.Name)
	}
	registry[a.Name] = &a
}

// Lookup returns the applet called name.
func Lookup(name string) (*Applet, bool) {
	mu.Lock()
	defer mu.Unlock()
	a, ok := registry[name]
	return a, ok
}

// All returns every registered applet, sorted by name.
func All() []*Applet {
	mu.Lock()
	defer mu.Unlock()
	out := make([]*Applet, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the sorted applet names.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = a.Name
	}
	return names
}
