package prefault

import "unsafe"

// window is how many bytes to populate, written by the entry point
// before the runtime starts (privs.heapWindow; 0 when the executable
// was linked without the entry point).
//
//go:linkname window github.com/daemontools-go/daemontools/privs.heapWindow
var window uintptr

// anchor is the fresh span's object. 2688 bytes is a size class of its
// own that no initializer or runtime start-up allocates, so the object
// starts a span taken from the top of the heap.
var anchor *[2688]byte

// madvise is madvise(2), implemented in prefault_linux_amd64.s (the
// syscall package would make this package initialize after its own
// dependencies, which allocate).
func madvise(addr, n, advice uintptr) uintptr

const madvPopulateWrite = 23 // MADV_POPULATE_WRITE, Linux 5.14

func init() { populate(window) }

// populate maps in n bytes of heap from the page of a fresh span, and
// returns where it started (0 when n is 0).
func populate(n uintptr) uintptr {
	if n == 0 {
		return 0
	}
	anchor = new([2688]byte)
	start := uintptr(unsafe.Pointer(anchor)) &^ 4095
	anchor = nil
	// Errors (an older kernel, the end of the heap's mapping) leave
	// the rest to be faulted in as before.
	madvise(start, n, madvPopulateWrite)
	return start
}
