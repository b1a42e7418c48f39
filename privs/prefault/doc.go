// Package prefault maps in, with one system call, the heap pages a
// short-lived applet is about to fault in one at a time.
//
// Under this project's hypervisors a first touch of an anonymous page
// costs 11 to 13 µs, and MADV_POPULATE_WRITE 0.5 to 0.9 µs a page
// (measured: 256 pages touched one by one, against one madvise over
// them). A Go program starting up touches its heap a page at a time:
// the package initializers (hash/crc32's table, compress/flate's fixed
// codes, ...), main's first allocations and its goroutines' stacks,
// about 50 to 100 pages for svok, svstat or a chain of loaders. The Go
// runtime takes pages from its heap lowest address first, and nothing is
// freed before the first collection, so those pages lie just above the
// newest span when the first package initializer runs.
//
// This package imports nothing, so it is the first package initialized
// after the runtime. Its initializer takes a fresh span (an object of a
// size class nothing has used yet) and populates the window above it,
// whose size the entry point chose by applet (privs/populate.go): none
// for a long-lived one, whose every populated page would cost memory
// for its life. Populating a page leaves its contents as they are (an
// untouched page reads as zeros either way), and a range past the end
// of the heap's mapping stops the call there, so the worst it can do is
// map pages the process then does not use.
//
// Only the linux/amd64 entry point sets the window; elsewhere, and in a
// test binary linked without the entry point, this package does
// nothing.
package prefault
