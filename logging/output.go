package logging

import (
	"time"

	"golang.org/x/sys/unix"
)

// The outputs of the extension words: `1` (standard output) and the
// lines of actions that T or j format. A directory in the reference's
// format never comes here; its lines go straight into its batch.

// sink is where a line goes piece by piece: a directory's batch and
// its model (dirbuf.go) or a standard output buffer.
type sink interface {
	put(head, body []byte)
	putRun(b []byte)
	putNewline()
	// buffer and placed let a line be formatted straight into the
	// batch: bytes appended to *buffer() from start on, then
	// placed(start).
	buffer() *[]byte
	placed(start int)
}

func (d *logDir) buffer() *[]byte { return &d.buf }

// stdout is standard output, shared by every `1` action. A write that
// fails (the reader went away) turns it off for the rest of the run,
// with one warning, as s6-log does.
type stdout struct {
	fd   int
	dead bool
}

// stdoutSink is one `1` action: its format, its selection, and its
// batch, written out at every read point and when it grows large.
type stdoutSink struct {
	out      *stdout
	h        *host
	format   Format
	selected bool
	buf      []byte
}

func (s *stdoutSink) put(head, body []byte) {
	s.buf = append(s.buf, head...)
	s.buf = append(s.buf, body...)
}

func (s *stdoutSink) putRun(b []byte) { s.buf = append(s.buf, b...) }

func (s *stdoutSink) putNewline() { s.buf = append(s.buf, '\n') }

func (s *stdoutSink) buffer() *[]byte { return &s.buf }

func (s *stdoutSink) placed(int) {}

// flush writes the batch. Standard output is waited on when it is full
// (as `e` waits on standard error); any error ends it.
func (s *stdoutSink) flush() {
	b := s.buf
	s.buf = s.buf[:0]
	for len(b) > 0 && !s.out.dead {
		n, err := unix.Write(s.out.fd, b)
		if n > 0 {
			b = b[n:]
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			fds := []unix.PollFd{{Fd: int32(s.out.fd), Events: unix.POLLOUT}}
			unix.Poll(fds, -1)
			continue
		case nil:
			err = unix.EIO
		}
		s.out.dead = true
		s.h.warn("unable to write to stdout, closing it", err)
	}
}

// lineTimes are the formatted times of the line being emitted, made
// once per read (or once for a line carried over from an earlier read).
type lineTimes struct {
	seq uint64 // the read they were made for; 0 = none
	iso []byte
	rfc []byte
}

// formats holds what the formats share: the time zone, the service's
// name, the times of the line, and the part of a UTF-8 sequence that a
// long line's cut left for the rest of its JSON string.
type formats struct {
	loc     *time.Location
	service string
	times   lineTimes
	carry   []byte
	rest    []byte
	flat    [lineMax]byte
}

// when returns the times of the line, formatting them for its read.
func (l *Logger) when() *lineTimes {
	f := &l.fmt
	if f.times.seq != l.lineSeq {
		f.times.seq = l.lineSeq
		f.times.iso = appendISO(f.times.iso[:0], l.lineTime, f.loc)
		f.times.rfc = appendRFC3339(f.times.rfc[:0], l.lineTime)
	}
	return &f.times
}

// flatLine returns the buffered line in one piece.
func (l *Logger) flatLine(head, body []byte) []byte {
	switch {
	case len(body) == 0:
		return head
	case len(head) == 0:
		return body
	}
	n := copy(l.fmt.flat[:], head)
	n += copy(l.fmt.flat[n:], body)
	return l.fmt.flat[:n]
}

// lineParts splits the buffered line (head and body together) into the
// t label with its space, if the script stamps lines, and the text,
// copying only when the text is in two pieces.
func (l *Logger) lineParts(head, body []byte) (label, text []byte) {
	if l.script.Timestamp && len(head) >= stampSize {
		label, head = head[:stampSize], head[stampSize:]
	}
	switch {
	case len(head) == 0:
		text = body
	case len(body) == 0:
		text = head
	default:
		text = l.flatLine(head, body)
		if label == nil && l.script.Timestamp && len(text) >= stampSize {
			label, text = text[:stampSize], text[stampSize:]
		}
	}
	return label, text
}

// putFormatted writes the buffered line (head and body, the first
// lineMax bytes of a longer one when full) to s in format f, formatted
// straight into its batch.
func (l *Logger) putFormatted(s sink, f Format, head, body []byte, full bool) {
	label, text := l.lineParts(head, body)
	t := l.when()
	buf := s.buffer()
	start := len(*buf)
	b := *buf
	if f == ISO {
		b = append(b, label...)
		b = append(b, t.iso...)
		b = append(b, text...)
	} else {
		b = append(b, `{"time":"`...)
		b = append(b, t.rfc...)
		if label != nil {
			b = append(b, `","stamp":"`...)
			b = append(b, label[:stampSize-1]...)
		}
		if l.fmt.service != "" {
			b = append(b, `","service":`...)
			b = appendJSONString(b, l.fmt.service)
			b = append(b, `,"msg":"`...)
		} else {
			b = append(b, jsonPart...)
		}
		var n int
		b, n = appendEscaped(b, text, !full)
		l.fmt.carry = append(l.fmt.carry[:0], text[n:]...)
		if !full {
			b = append(b, '"', '}')
		}
	}
	*buf = b
	s.placed(start)
	if !full {
		s.putNewline()
	}
}

// jsonRest escapes the next part of a long line's rest, once for every
// JSON output; final ends the string and the object.
func (l *Logger) jsonRest(seg []byte, final bool) []byte {
	in := seg
	if len(l.fmt.carry) > 0 {
		l.fmt.carry = append(l.fmt.carry, seg...)
		in = l.fmt.carry
	}
	b, n := appendEscaped(l.fmt.rest[:0], in, final)
	l.fmt.carry = append(l.fmt.carry[:0], in[n:]...)
	if final {
		b = append(b, '"', '}')
	}
	l.fmt.rest = b
	return b
}

// putRest gives the next part of a long line's rest to every selected
// output: as it is, or escaped for JSON (once for all of them).
func (l *Logger) putRest(seg []byte) {
	var js []byte
	escaped := false
	part := func(f Format) []byte {
		if f != JSON {
			return seg
		}
		if !escaped {
			js, escaped = l.jsonRest(seg, false), true
		}
		return js
	}
	for _, d := range l.dirs {
		if d.selected {
			d.putRun(part(d.cfg.Format))
		}
	}
	for _, s := range l.outs {
		if s.selected {
			s.putRun(part(s.format))
		}
	}
}

// endRest ends a long line in every output that took its rest.
func (l *Logger) endRest() {
	var js []byte
	escaped := false
	end := func(s sink, f Format) {
		if f == JSON {
			if !escaped {
				js, escaped = l.jsonRest(nil, true), true
			}
			s.putRun(js)
		}
		s.putNewline()
	}
	for _, d := range l.dirs {
		if d.selected {
			end(d, d.cfg.Format)
		}
	}
	for _, s := range l.outs {
		if s.selected {
			end(s, s.format)
		}
	}
	l.fmt.carry = l.fmt.carry[:0]
}
