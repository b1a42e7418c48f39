package prefault

import (
	"syscall"
	"testing"
	"unsafe"
)

// resident counts the pages of [start, start+n) in memory, shrinking n
// to what is mapped; ok is false when not even one page is.
func resident(start, n uintptr) (in, pages uintptr, ok bool) {
	vec := make([]byte, n/4096)
	for n >= 4096 {
		_, _, e := syscall.Syscall(syscall.SYS_MINCORE, start, n, uintptr(unsafe.Pointer(&vec[0])))
		if e == 0 {
			for _, b := range vec[:n/4096] {
				in += uintptr(b & 1)
			}
			return in, n / 4096, true
		}
		if e != syscall.ENOMEM {
			return 0, 0, false
		}
		n /= 2
	}
	return 0, 0, false
}

// The pages above a fresh span are mapped in once populate is done, and
// the linked window is 0 in a binary without the entry point (the test
// binary), so that the initializer did nothing.
func TestPopulateMapsTheWindowAboveTheHeap(t *testing.T) {
	if window != 0 {
		t.Fatalf("window is %d in a test binary, want 0", window)
	}
	if populate(0) != 0 {
		t.Fatal("populate(0) did something")
	}
	const n = 256 << 10
	// Where populate will start: a fresh span of the same class.
	probe := new([2688]byte)
	before, pages, ok := resident(uintptr(unsafe.Pointer(probe))&^4095, n)
	if !ok || pages < 8 {
		t.Skipf("no room above the heap's newest span (%d pages mapped)", pages)
	}
	if before == pages {
		t.Skipf("all %d pages above the heap's newest span are already in memory", pages)
	}
	start := populate(n)
	if start == 0 {
		t.Fatal("populate returned no start")
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, start, 4096, madvPopulateWrite); e != 0 {
		t.Skipf("this kernel has no MADV_POPULATE_WRITE (%v): before 5.14", e)
	}
	after, pages, ok := resident(start, n)
	if !ok || after != pages {
		t.Errorf("after populate: %d of %d pages above %#x in memory (before: %d), want all", after, pages, start, before)
	}
}
