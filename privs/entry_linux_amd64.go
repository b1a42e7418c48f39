package privs

import (
	_ "unsafe" // for go:linkname

	// Populates the heap window the entry point sets (heapWindow).
	_ "github.com/daemontools-go/daemontools/privs/prefault"
)

// entry is implemented in start_linux_amd64.s.
func entry()

// EntrySymbol is the linker's name for entry, for -ldflags=-E=.
const EntrySymbol = "github.com/daemontools-go/daemontools/privs.entry"

// heapWindow is how much heap the prefault package maps in once the
// runtime has started, set by entry from the applet's class
// (populate.go).
//
//go:linkname heapWindow
var heapWindow uintptr

// classOf is the entry point's lookup in populateClasses
// (start_linux_amd64.s), with its arguments in registers: not callable
// from Go.
func classOf()
