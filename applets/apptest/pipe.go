package apptest

import (
	"strings"
	"sync"
	"syscall"
	"testing"
)

// FullPipe returns the ends of a pipe that is already full: its write
// end is blocking, so that a write to it blocks the thread that makes
// it until someone reads, as a write to a stderr nobody reads does
// (a stopped logger, one stuck on a full disk). closeW closes the
// write end (once, however often it is called); both ends are closed
// at cleanup. Drain empties it.
func FullPipe(t testing.TB) (r, w int, closeW func()) {
	t.Helper()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w = p[0], p[1]
	var once sync.Once
	closeW = func() { once.Do(func() { syscall.Close(w) }) }
	t.Cleanup(func() {
		closeW()
		syscall.Close(r)
	})
	// One page, so that it fills at once (F_SETPIPE_SZ; an older kernel
	// keeps the default size, which only takes longer to fill).
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(w), 1031, 4096)
	if err := syscall.SetNonblock(w, true); err != nil {
		t.Fatal(err)
	}
	var page [4096]byte
	for i := range page {
		page[i] = '.'
	}
	for {
		if _, err := syscall.Write(w, page[:]); err == syscall.EAGAIN {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	// A short write fills the last bytes a page left free.
	for {
		if _, err := syscall.Write(w, page[:1]); err == syscall.EAGAIN {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.SetNonblock(w, false); err != nil {
		t.Fatal(err)
	}
	return r, w, closeW
}

// Drained is what Drain has read so far.
type Drained struct {
	buf  SyncBuffer
	done chan struct{}
}

// Drain reads the pipe r in the background, from now until every write
// end is closed.
func Drain(r int) *Drained {
	d := &Drained{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		buf := make([]byte, 65536)
		for {
			n, err := syscall.Read(r, buf)
			if err == syscall.EINTR {
				continue
			}
			if n <= 0 {
				return
			}
			d.buf.Write(buf[:n])
		}
	}()
	return d
}

// String is what has been read, without the dots FullPipe filled the
// pipe with.
func (d *Drained) String() string { return strings.TrimLeft(d.buf.String(), ".") }

// Done is closed once every write end is closed and all is read.
func (d *Drained) Done() <-chan struct{} { return d.done }
