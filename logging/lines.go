package logging

import (
	"bytes"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The line rules: how the bytes of one read become lines of at most
// lineMax bytes for the actions, and where, within one of our large
// reads, the reference's small reads would have flushed the directory
// buffers.

const (
	// lineMax is the reference's line buffer: selection, alerts and
	// status files see only this much of a line, timestamp included.
	lineMax = 1000
	// vread is the reference's read size. Within one of our reads, the
	// reference would have read (and flushed its buffers) every vread
	// bytes; the model flushes at the same points.
	vread     = 1024
	stampSize = timefmt.LabelSize + 1 // "@<24 hex> "
	// spillAt bounds a directory's batch within one read.
	spillAt = 2 * DefaultReadSize
)

// cut handles the bytes of one read, line by line. Positions in chunk
// are input offsets: the model of the reference's reads flushes the
// directory buffers before the byte at each multiple of vread.
func (l *Logger) cut(chunk []byte) {
	off := 0
	next := vread
	for off < len(chunk) {
		if l.overflow {
			rest := chunk[off:]
			end := len(chunk)
			i := bytes.IndexByte(rest, '\n')
			if i >= 0 {
				end = off + i
			}
			for off < end {
				if next <= off {
					l.flushModel()
					next = (off/vread + 1) * vread
				}
				seg := end
				if next < seg {
					seg = next
				}
				l.putRest(chunk[off:seg])
				off = seg
			}
			if i < 0 {
				l.spill()
				return
			}
			l.boundary(end, &next)
			l.endRest()
			l.overflow = false
			off = end + 1
			continue
		}

		if l.have > 0 {
			// A line begun in an earlier read.
			room := lineMax - l.have
			rest := chunk[off:]
			lim := rest
			if len(lim) > room {
				lim = lim[:room]
			}
			l.lineSeq, l.lineTime = l.carrySeq, l.carryTime
			if i := bytes.IndexByte(lim, '\n'); i >= 0 {
				l.have += copy(l.line[l.have:], rest[:i])
				l.boundary(off+i, &next)
				l.emit(l.line[:l.have], nil, false)
				l.have = 0
				off += i + 1
				continue
			}
			if len(rest) >= room {
				copy(l.line[l.have:], rest[:room])
				l.boundary(off+room-1, &next)
				l.have = 0
				l.emit(l.line[:], nil, true)
				l.overflow = true
				off += room
				continue
			}
			l.have += copy(l.line[l.have:], rest)
			return
		}

		head := l.label[:0]
		if l.script.Timestamp {
			head = l.label[:]
		}
		l.lineSeq, l.lineTime = l.readSeq, l.readTime
		room := lineMax - len(head)
		rest := chunk[off:]
		lim := rest
		if len(lim) > room {
			lim = lim[:room]
		}
		if i := bytes.IndexByte(lim, '\n'); i >= 0 {
			l.boundary(off+i, &next)
			l.emit(head, rest[:i], false)
			off += i + 1
			continue
		}
		if len(rest) >= room {
			l.boundary(off+room-1, &next)
			l.emit(head, rest[:room], true)
			l.overflow = true
			off += room
			continue
		}
		l.have = copy(l.line[:], head)
		l.have += copy(l.line[l.have:], rest)
		l.carrySeq, l.carryTime = l.readSeq, l.readTime
		return
	}
}

// boundary flushes the model's buffers if a read of the reference's
// would have happened before the byte at pos.
func (l *Logger) boundary(pos int, next *int) {
	if *next <= pos {
		l.flushModel()
		*next = (pos/vread + 1) * vread
	}
}

// flushModel is the reference's flush before each of its reads: every
// directory's 512-byte buffer goes through cwrite.
func (l *Logger) flushModel() {
	for _, d := range l.dirs {
		d.vflush(len(d.buf))
	}
}

func (l *Logger) spill() {
	for _, d := range l.dirs {
		if len(d.buf) >= spillAt {
			d.spill()
		}
	}
}

// emit runs the script on one buffered line (head and body together, at
// most lineMax bytes) and puts it into the selected directories. A full
// line is the first lineMax bytes of a longer one: its newline comes
// after the rest.
func (l *Logger) emit(head, body []byte, full bool) {
	if l.filters {
		l.decide(head, body)
	}
	for _, d := range l.dirs {
		if !d.selected {
			continue
		}
		switch {
		case d.cfg.Format != Plain:
			l.putFormatted(d, d.cfg.Format, head, body, full)
		case full:
			d.put(head, body)
		default:
			d.putLine(head, body)
		}
		if len(d.buf) >= spillAt {
			d.spill()
		}
	}
	for _, s := range l.outs {
		if !s.selected {
			continue
		}
		if s.format != Plain {
			l.putFormatted(s, s.format, head, body, full)
		} else {
			s.put(head, body)
			if !full {
				s.putNewline()
			}
		}
		if len(s.buf) >= spillAt {
			s.flush()
		}
	}
}

// endOfInput handles a partial last line as the reference does: it is
// logged with a newline added.
func (l *Logger) endOfInput() {
	if l.overflow {
		l.endRest()
		l.overflow = false
	} else if l.have > 0 {
		l.lineSeq, l.lineTime = l.carrySeq, l.carryTime
		l.emit(l.line[:l.have], nil, false)
		l.have = 0
	}
}
