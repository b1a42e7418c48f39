package timefmt

import (
	"math"
	"time"
)

// LooseLabel accumulates the hex digits of a label the way tai64nlocal
// reads them: any number of lowercase hex digits, the last 8 being the
// nanoseconds and everything before them the seconds, with the
// reference's 64-bit wraparound for overlong labels. It is fed one digit
// at a time so that a label may span reads.
type LooseLabel struct {
	sec    int64
	nano   uint64
	Digits int // number of digits fed so far
}

// Feed adds one byte and reports whether it was a hex digit; the first
// byte that is not ends the label.
func (l *LooseLabel) Feed(c byte) bool {
	v := hexValue(c)
	if v < 0 {
		return false
	}
	l.sec = l.sec<<4 + int64(l.nano>>28)
	l.nano = (l.nano&0xfffffff)<<4 + uint64(v)
	l.Digits++
	return true
}

// Reset prepares l for a new label.
func (l *LooseLabel) Reset() { *l = LooseLabel{} }

// Unix returns the Unix seconds and nanoseconds the digits denote.
func (l *LooseLabel) Unix() (int64, uint32) {
	return l.sec - Epoch, uint32(l.nano)
}

// LocalFormatter formats Unix seconds as tai64nlocal does, caching the
// last second so a run of lines from the same second costs one copy.
type LocalFormatter struct {
	loc     *time.Location
	lastSec int64
	last    [40]byte
	lastLen int
}

// NewLocalFormatter formats in loc (time.Local for tai64nlocal).
func NewLocalFormatter(loc *time.Location) *LocalFormatter {
	return &LocalFormatter{loc: loc, lastSec: math.MinInt64}
}

// maxAbsSec bounds the seconds that can possibly give a year that fits a
// C int (about 6.8e16 s); beyond it the reference's localtime fails.
const maxAbsSec = 1 << 57

// Append appends "YYYY-MM-DD HH:MM:SS.NNNNNNNNN" for the given instant,
// or reports false when the reference's localtime(3) would fail (the
// year does not fit in a C int), the case where tai64nlocal crashes.
func (f *LocalFormatter) Append(dst []byte, sec int64, nano uint32) ([]byte, bool) {
	if sec != f.lastSec {
		if sec > maxAbsSec || sec < -maxAbsSec {
			return dst, false
		}
		t := time.Unix(sec, 0).In(f.loc)
		year, month, day := t.Date()
		tmYear := int64(year) - 1900
		if tmYear > math.MaxInt32 || tmYear < math.MinInt32 {
			return dst, false
		}
		hour, min, s := t.Clock()
		b := f.last[:0]
		// The reference prints 1900+tm_year as an int converted to
		// unsigned long: negative years come out as huge numbers.
		b = appendUint(b, uint64(int64(int32(1900+int32(tmYear)))), 0)
		b = append(b, '-')
		b = appendUint(b, uint64(month), 2)
		b = append(b, '-')
		b = appendUint(b, uint64(day), 2)
		b = append(b, ' ')
		b = appendUint(b, uint64(hour), 2)
		b = append(b, ':')
		b = appendUint(b, uint64(min), 2)
		b = append(b, ':')
		b = appendUint(b, uint64(s), 2)
		b = append(b, '.')
		f.lastLen = len(b)
		f.lastSec = sec
	}
	dst = append(dst, f.last[:f.lastLen]...)
	return appendUint(dst, uint64(nano), 9), true
}

// appendUint appends v in decimal, zero-padded to at least width digits.
func appendUint(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	for len(buf)-i < width {
		i--
		buf[i] = '0'
	}
	return append(dst, buf[i:]...)
}
