// Package readproctitle holds the readproctitle applet: it shows the
// latest bytes of its input in its own argument list, so that `ps`
// displays the most recent errors of the boot-time svscan.
package readproctitle

import (
	"bytes"
	"io"
	"os"
	"unsafe"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/privs"
)

func init() {
	applets.Register("readproctitle", Main)
}

// Main implements `readproctitle L... D`. D, the last argument, is the
// display: its bytes are overwritten in place in the process's original
// argument area (which is what /proc/PID/cmdline and ps read). The first
// three bytes stay dots; input bytes other than NUL scroll in from the
// right. Like the reference, it exits 100 without a message when there
// are fewer than two arguments or D is shorter than five bytes, 0 at
// EOF and 111 on a read error.
func Main(argv []string) int {
	privs.RecloseStdio()
	if len(argv) < 2 {
		return 100
	}
	d := display(argv[len(argv)-1])
	for i := range d {
		d[i] = '.'
	}
	if len(d) < 5 {
		return 100
	}
	in := make([]byte, 4096)
	for {
		n, err := os.Stdin.Read(in)
		if n > 0 {
			scroll(d, in[:n])
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return 111
		}
	}
}

// display returns the bytes of s as a writable slice. The Go runtime
// builds os.Args as strings that point straight into the argument area
// the kernel set up (runtime.goargs does not copy), so writing through
// this slice changes what ps shows, exactly as the reference's writes to
// argv[argc-1] do. Strings made later by the program must never be
// passed here.
func display(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// scroll appends the non-NUL bytes of in to the window d[3:], dropping
// the oldest bytes off its left end.
func scroll(d, in []byte) {
	w := d[3:]
	for len(in) > 0 {
		// Take the next run of bytes without a NUL.
		run := in
		if i := bytes.IndexByte(in, 0); i >= 0 {
			run = in[:i]
			in = in[i+1:]
		} else {
			in = nil
		}
		if len(run) >= len(w) {
			copy(w, run[len(run)-len(w):])
			continue
		}
		copy(w, w[len(run):])
		copy(w[len(w)-len(run):], run)
	}
}
