// Package timefmt encodes and decodes the TAI64 and TAI64N time labels
// that daemontools writes into status files, log lines and log file
// names, and formats them as local time the way tai64nlocal does.
//
// A TAI64N label is 8 bytes of big-endian seconds, where the Unix epoch
// is 2^62+10 (daemontools assumes TAI = UTC + 10 s and knows no leap
// seconds), followed by 4 bytes of big-endian nanoseconds. Its text form
// is '@' and 24 lowercase hex digits.
package timefmt

import (
	"encoding/binary"
	"time"
)

// Epoch is the TAI64 second that daemontools assigns to the Unix epoch.
const Epoch = 1<<62 + 10

// PackedSize is the size of a binary TAI64N label.
const PackedSize = 12

// LabelSize is the size of a text label: '@' and 24 hex digits.
const LabelSize = 25

// TAI64N is one instant as daemontools records it.
type TAI64N struct {
	Sec  uint64 // TAI64 seconds (Epoch + Unix seconds)
	Nano uint32 // 0..999999999, or anything for a decoded foreign label
}

// Now returns the current time with the reference's resolution: it
// reads the clock in microseconds (gettimeofday) and stores
// microseconds*1000 + 500 nanoseconds, so every stamp ends in 500.
func Now() TAI64N { return FromTime(time.Now()) }

// FromTime converts t exactly as Now does.
func FromTime(t time.Time) TAI64N {
	return TAI64N{
		Sec:  uint64(t.Unix()) + Epoch,
		Nano: uint32(t.Nanosecond()/1000)*1000 + 500,
	}
}

// Unix returns the Unix seconds of t.
func (t TAI64N) Unix() int64 { return int64(t.Sec - Epoch) }

// Time returns the label as a time.Time; the zero label gives the zero
// Time.
func (t TAI64N) Time() time.Time {
	if t == (TAI64N{}) {
		return time.Time{}
	}
	return time.Unix(t.Unix(), int64(t.Nano))
}

// Pack writes the 12-byte binary label into b.
func (t TAI64N) Pack(b []byte) {
	_ = b[11]
	binary.BigEndian.PutUint64(b[0:8], t.Sec)
	binary.BigEndian.PutUint32(b[8:12], t.Nano)
}

// Unpack reads a 12-byte binary label.
func Unpack(b []byte) TAI64N {
	_ = b[11]
	return TAI64N{Sec: binary.BigEndian.Uint64(b[0:8]), Nano: binary.BigEndian.Uint32(b[8:12])}
}

const hexDigits = "0123456789abcdef"

// Label returns the text label: '@' followed by 24 lowercase hex digits.
func (t TAI64N) Label() [LabelSize]byte {
	var l [LabelSize]byte
	l[0] = '@'
	s := t.Sec
	for i := 16; i >= 1; i-- {
		l[i] = hexDigits[s&15]
		s >>= 4
	}
	n := t.Nano
	for i := 24; i >= 17; i-- {
		l[i] = hexDigits[n&15]
		n >>= 4
	}
	return l
}

// AppendLabel appends the text label to dst without allocating when dst
// has room.
func (t TAI64N) AppendLabel(dst []byte) []byte {
	l := t.Label()
	return append(dst, l[:]...)
}

// String returns the text label.
func (t TAI64N) String() string {
	l := t.Label()
	return string(l[:])
}

// ParseLabel decodes a strict text label: '@' and exactly 24 lowercase
// hex digits. It is the inverse of Label, for file names and tests.
func ParseLabel(b []byte) (TAI64N, bool) {
	if len(b) != LabelSize || b[0] != '@' {
		return TAI64N{}, false
	}
	var sec uint64
	var nano uint32
	for i := 1; i < LabelSize; i++ {
		v := hexValue(b[i])
		if v < 0 {
			return TAI64N{}, false
		}
		if i <= 16 {
			sec = sec<<4 | uint64(v)
		} else {
			nano = nano<<4 | uint32(v)
		}
	}
	return TAI64N{Sec: sec, Nano: nano}, true
}

// hexValue returns the value of a lowercase hex digit, or -1. Uppercase
// digits are not digits to daemontools.
func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}
