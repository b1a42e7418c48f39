package timefmt

import (
	"bytes"
	"io"
	"time"
)

// The tai64n and tai64nlocal filters. Both work as the reference does:
// they flush their output before every read, so that a line is passed
// on as soon as it has arrived, and they return the error that ends
// them, which the applets turn into exit 111 with no message. A read
// that returns no bytes and no error ends the input, like the
// reference's read returning 0.
const (
	readSize = 128 << 10
	// flushAt bounds the output buffer: input of many short lines grows
	// by up to 26 bytes a line, so flush inside a read when needed.
	flushAt = 256 << 10
)

// Stamp copies r to w with a label and a space in front of every line,
// empty lines included. A partial last line is written without adding a
// newline. The clock is read once per read: lines that arrived together
// carry the same stamp, and a line keeps the stamp of the read its
// first byte came in. It returns nil at the end of r, or the first read
// or write error.
func Stamp(w io.Writer, r io.Reader) error { return stamp(w, r, Now) }

func stamp(w io.Writer, r io.Reader, now func() TAI64N) error {
	in := make([]byte, readSize)
	out := make([]byte, 0, flushAt+readSize+LabelSize+1)
	var label [LabelSize + 1]byte
	label[LabelSize] = ' '
	atStart := true
	for {
		n, err := r.Read(in)
		if n == 0 {
			if err == io.EOF || err == nil {
				return nil
			}
			return err
		}
		l := now().Label()
		copy(label[:], l[:])
		chunk := in[:n]
		for len(chunk) > 0 {
			if atStart {
				out = append(out, label[:]...)
			}
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				out = append(out, chunk...)
				atStart = false
				break
			}
			out = append(out, chunk[:i+1]...)
			chunk = chunk[i+1:]
			atStart = true
			if len(out) >= flushAt {
				if out, err = flush(w, out); err != nil {
					return err
				}
			}
		}
		if out, err = flush(w, out); err != nil {
			return err
		}
	}
}

// flush writes out, if it holds anything, and returns it emptied.
func flush(w io.Writer, out []byte) ([]byte, error) {
	if len(out) == 0 {
		return out, nil
	}
	_, err := w.Write(out)
	return out[:0], err
}

// Localize copies r to w, converting the label at the start of each
// line to local time in loc as tai64nlocal does. A label is '@' and
// lowercase hex digits up to the first other byte, read as the
// reference reads it (LooseLabel), and may span reads. Where the
// reference would crash (its localtime(3) fails for the decoded year),
// the label passes through unchanged instead; so does a label that the
// end of r cuts short. Lines that do not start with '@' are copied as
// they are. It returns nil at the end of r, or the first read or write
// error; what was read before a read error is written first.
func Localize(w io.Writer, r io.Reader, loc *time.Location) error {
	c := localizer{f: NewLocalFormatter(loc)}
	var rawBuf [32]byte
	raw := rawBuf[:0]
	in := make([]byte, readSize)
	out := make([]byte, 0, flushAt+readSize+64)
	for {
		n, err := r.Read(in)
		if n == 0 {
			if c.state == inLabel {
				out = append(out, raw...)
			}
			if _, werr := flush(w, out); werr != nil {
				return werr
			}
			if err == io.EOF || err == nil {
				return nil
			}
			return err
		}
		chunk := in[:n]
		for {
			if out, chunk, raw = c.convert(out, chunk, raw); len(chunk) == 0 {
				break
			}
			// convert stopped at a line end with flushAt bytes made.
			if out, err = flush(w, out); err != nil {
				return err
			}
		}
		if out, err = flush(w, out); err != nil {
			return err
		}
	}
}

// localizer is tai64nlocal's state from one read to the next, kept
// apart from the I/O so that its loops have the registers to
// themselves: with the reader and the writer live in the same loop,
// Localize ran about 7% slower than the applet's loop it replaces.
type localizer struct {
	f     *LocalFormatter
	lbl   LooseLabel
	state int
}

// Where a localizer is in a line.
const (
	lineStart = iota
	inLabel
	copying
)

// convert appends chunk, converted, to out, and returns out and what is
// left of chunk: it stops early after a line end once out holds flushAt
// bytes, so that the caller flushes. raw is the label being read, as
// read, for passing it through unchanged; the caller keeps it from one
// call to the next, so that a label that fits its 32-byte buffer costs
// no allocation.
func (c *localizer) convert(out, chunk, raw []byte) ([]byte, []byte, []byte) {
	state := c.state
	for len(chunk) > 0 {
		switch state {
		case lineStart:
			if chunk[0] != '@' {
				state = copying
				continue
			}
			c.lbl.Reset()
			raw = append(raw[:0], '@')
			chunk = chunk[1:]
			state = inLabel
		case inLabel:
			i := 0
			for i < len(chunk) && c.lbl.Feed(chunk[i]) {
				i++
			}
			raw = append(raw, chunk[:i]...)
			chunk = chunk[i:]
			if len(chunk) == 0 {
				break
			}
			sec, nano := c.lbl.Unix()
			var ok bool
			if out, ok = c.f.Append(out, sec, nano); !ok {
				out = append(out, raw...)
			}
			state = copying
		case copying:
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				out = append(out, chunk...)
				chunk = nil
				break
			}
			out = append(out, chunk[:i+1]...)
			chunk = chunk[i+1:]
			state = lineStart
			if len(out) >= flushAt {
				c.state = state
				return out, chunk, raw
			}
		}
	}
	c.state = state
	return out, chunk, raw
}
