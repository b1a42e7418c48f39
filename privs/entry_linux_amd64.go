package privs

// entry is implemented in start_linux_amd64.s.
func entry()

// EntrySymbol is the linker's name for entry, for -ldflags=-E=.
const EntrySymbol = "github.com/daemontools-go/daemontools/privs.entry"
