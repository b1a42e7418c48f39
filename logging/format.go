package logging

import (
	"encoding/binary"
	"time"
	"unicode/utf8"
)

// The formats of the extension words T and j: how a line's time is
// written, and how a line becomes a JSON object. The times are those of
// the read the line's first byte came in, as for t.

const (
	isoSize  = len("2006-01-02 15:04:05.000000000  ")
	rfcSize  = len("2006-01-02T15:04:05.000000000Z")
	jsonPart = `","msg":"`
)

// appendISO appends s6-log's T stamp for t in loc: the local date, a
// space, the time with nanoseconds, and two spaces.
func appendISO(dst []byte, t time.Time, loc *time.Location) []byte {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendNum(dst, y, 4)
	dst = append(dst, '-')
	dst = appendNum(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendNum(dst, d, 2)
	dst = append(dst, ' ')
	dst = appendClock(dst, h, mi, s, t.Nanosecond())
	return append(dst, ' ', ' ')
}

// appendRFC3339 appends t in UTC as RFC 3339 with all nine digits of
// nanoseconds, which sorts as text.
func appendRFC3339(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendNum(dst, y, 4)
	dst = append(dst, '-')
	dst = appendNum(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendNum(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendClock(dst, h, mi, s, t.Nanosecond())
	return append(dst, 'Z')
}

func appendClock(dst []byte, h, mi, s, ns int) []byte {
	dst = appendNum(dst, h, 2)
	dst = append(dst, ':')
	dst = appendNum(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendNum(dst, s, 2)
	dst = append(dst, '.')
	return appendNum(dst, ns, 9)
}

// appendNum appends v in decimal, zero-padded to at least width digits.
func appendNum(dst []byte, v, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 || len(b)-i < width {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[i:]...)
}

// jsonSafe marks the bytes that go into a JSON string as they are.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// needsEscape reports whether some byte of the 8 in w is a control
// byte, '"', '\\' or not ASCII.
func needsEscape(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ctl := (w - lo*0x20) &^ w
	quote := w ^ (lo * '"')
	quote = (quote - lo) &^ quote
	bs := w ^ (lo * '\\')
	bs = (bs - lo) &^ bs
	return (ctl|quote|bs|w)&hi != 0
}

// appendEscaped appends b as the inside of a JSON string. Valid UTF-8
// is copied; '"', '\\' and control bytes are escaped; a byte that is
// not part of valid UTF-8 is written as \u00XX, its value, so that no
// byte is lost and every JSON parser accepts the line. When more of
// the same line follows (final false), an incomplete UTF-8 sequence at
// the end is not written: escapeJSON returns how many bytes it took,
// and the caller passes the rest again with what follows.
func appendEscaped(dst, b []byte, final bool) ([]byte, int) {
	i, start := 0, 0
	for i < len(b) {
		if i+8 <= len(b) && !needsEscape(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			continue
		}
		c := b[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError || n > 1 {
				i += n
				continue
			}
			if !final && !utf8.FullRune(b[i:]) {
				dst = append(dst, b[start:i]...)
				return dst, i
			}
		}
		dst = append(dst, b[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		i++
		start = i
	}
	return append(dst, b[start:]...), len(b)
}

// appendJSONString appends s quoted, for names such as the service's.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst, _ = appendEscaped(dst, []byte(s), true)
	return append(dst, '"')
}
