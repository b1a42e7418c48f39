package logging

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// The write-buffer model, which decides where a log file is cut.
//
// In the reference each directory has a 512-byte buffer: puts that do
// not fit flush it first and pass more than 512 bytes straight through
// (up to 8192 at a time), and every flush is one c_write, where the
// rotation rule lives.
//
// Here lines are appended to d.buf, which is written to current in large
// batches. The reference's buffer is modelled over the same bytes rather
// than copied into: buf[:vstart] has been through cwrite (the reference's
// c_write, which decides rotation), buf[vstart:] is what the reference
// would still hold in its buffer, and buf[:written] is already in
// current. So the files are cut exactly where the reference would cut
// them for the same reads, at the cost of a few comparisons per line.
const (
	dirBufSize = 512
	outSize    = 8192
	slack      = 2000 // a file ends at a newline once within this of the size
)

// writebackAt is how much a directory writes before it asks the kernel
// to start writing current back. It only starts the writeback early, so
// that the disk works while we read; the fsync before each rotation and
// at exit is what makes a file durable, exactly as in the reference.
const writebackAt = 1 << 20

// put is the reference's buffer_put of one buffered line (at most 1000
// bytes): the bytes go into buf, and the model decides which cwrites
// the reference would have made.
func (d *logDir) put(head, body []byte) {
	start := len(d.buf)
	d.buf = append(d.buf, head...)
	d.buf = append(d.buf, body...)
	d.placed(start)
}

// placed is put for bytes already appended to buf from start on (a
// line an extension word formatted in place).
func (d *logDir) placed(start int) {
	n := len(d.buf) - start
	if n > dirBufSize-(start-d.vstart) {
		d.vflush(start)
		if n > dirBufSize {
			// A line is at most 1000 bytes, so one pass of at most
			// outSize bytes carries all of it.
			d.allwrite(start, n)
			d.vstart = start + n
		}
	}
}

// putLine is put followed by the newline the reference adds with PUTC.
func (d *logDir) putLine(head, body []byte) {
	d.put(head, body)
	d.putNewline()
}

func (d *logDir) putNewline() {
	if len(d.buf)-d.vstart == dirBufSize {
		d.vflush(len(d.buf))
	}
	d.buf = append(d.buf, '\n')
}

// putRun is PUTC for each byte of b: the rest of a line longer than the
// reference's line buffer.
func (d *logDir) putRun(b []byte) {
	pos := len(d.buf)
	d.buf = append(d.buf, b...)
	end := len(d.buf)
	for pos < end {
		if pos-d.vstart == dirBufSize {
			d.vflush(pos)
		}
		k := dirBufSize - (pos - d.vstart)
		if k > end-pos {
			k = end - pos
		}
		pos += k
	}
}

// vflush is the reference's buffer_flush: everything put before end
// goes through cwrite.
func (d *logDir) vflush(end int) {
	if end > d.vstart {
		d.allwrite(d.vstart, end-d.vstart)
		d.vstart = end
	}
}

func (d *logDir) allwrite(pos, n int) {
	for n > 0 {
		w := d.cwrite(pos, n)
		pos += w
		n -= w
	}
}

// cwrite is the reference's c_write for buf[pos:pos+n]: it never lets
// current exceed the size, ends a chunk at its last newline once the
// file is within slack of the size, and rotates after a chunk that ends
// in a newline there. It returns how much of the chunk it took.
func (d *logDir) cwrite(pos, n int) int {
	size := d.cfg.Size
	if d.bytes >= size {
		d.writeOut(pos)
		d.rotate()
	}
	if room := size - d.bytes; uint64(n) >= room {
		n = int(room)
	}
	if d.bytes+uint64(n) >= size-slack {
		if j := bytes.LastIndexByte(d.buf[pos:pos+n], '\n'); j >= 0 {
			n = j + 1
		}
	}
	d.bytes += uint64(n)
	if d.bytes >= size-slack && d.buf[pos+n-1] == '\n' {
		d.writeOut(pos + n)
		d.rotate()
	}
	return n
}

// writeOut writes buf up to end into current, pausing and retrying on
// any failure (a full disk, say) so that nothing is lost.
func (d *logDir) writeOut(end int) {
	d.h.retry(func() string { return "unable to write to " + d.name + "/current" }, func() error {
		for d.written < end {
			n, err := unix.Write(d.cur, d.buf[d.written:end])
			if n > 0 {
				d.written += n
				if d.dirty += n; d.dirty >= writebackAt {
					unix.SyncFileRange(d.cur, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
					d.dirty = 0
				}
				continue
			}
			if err == unix.EINTR {
				continue
			}
			if err == nil {
				err = d.h.errno
			}
			return err
		}
		return nil
	})
}

// flush is what the reference does before every read: empty the
// buffer through cwrite, and (our part) write the batch.
func (d *logDir) flush() {
	d.vflush(len(d.buf))
	d.writeOut(len(d.buf))
	d.buf = d.buf[:0]
	d.written, d.vstart = 0, 0
}

// spill writes what has been through cwrite and keeps only the model's
// buffer, so that buf stays bounded within one large read.
func (d *logDir) spill() {
	d.writeOut(d.vstart)
	n := copy(d.buf, d.buf[d.vstart:])
	d.buf = d.buf[:n]
	d.written, d.vstart = 0, 0
}
