package logging

import (
	"time"

	"golang.org/x/sys/unix"
)

// R: rotation by age. A directory remembers, on the monotonic clock,
// when the first line of its current arrived (the time of the read it
// came in). At every read point, and at a deadline that interrupts a
// read that waits, a directory whose first line is R old is rotated as
// ALRM would rotate it. A step of the wall clock changes nothing here.

// startAge sets the age of a current found non-empty at start-up: it
// counts from when the file was made (its birth time where the file
// system keeps one, else its last change), so that a file never covers
// more than R, whatever the restarts.
func (d *logDir) startAge() {
	if d.cfg.RotateAge <= 0 || d.bytes == 0 {
		return
	}
	var stx unix.Statx_t
	born := time.Time{}
	if unix.Statx(d.fd, "current", unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BTIME|unix.STATX_MTIME, &stx) == nil {
		ts := stx.Mtime
		if stx.Mask&unix.STATX_BTIME != 0 {
			ts = stx.Btime
		}
		born = time.Unix(ts.Sec, int64(ts.Nsec))
	}
	now := d.h.mono()
	age := d.h.wall().Sub(born)
	if born.IsZero() || age < 0 {
		age = 0
	}
	d.first, d.hasFirst = now-age, true
}

// rotateAged rotates every directory whose current's first line is at
// least its R old. Buffers are empty here: it runs at a read point.
func (l *Logger) rotateAged(now time.Duration) {
	for _, d := range l.dirs {
		if age := d.cfg.RotateAge; age > 0 && d.hasFirst && d.bytes > 0 && now-d.first >= age {
			d.rotate()
		}
	}
}

// noteFirst records that lines of the read at now went into a current
// that had none.
func (l *Logger) noteFirst(now time.Duration) {
	for _, d := range l.dirs {
		if d.cfg.RotateAge > 0 && !d.hasFirst && (d.bytes > 0 || len(d.buf) > 0) {
			d.first, d.hasFirst = now, true
		}
	}
}

// nextAged returns when the next directory is due, if one will be.
func (l *Logger) nextAged() (next time.Duration, ok bool) {
	for _, d := range l.dirs {
		if d.cfg.RotateAge > 0 && d.hasFirst && d.bytes > 0 {
			if due := d.first + d.cfg.RotateAge; !ok || due < next {
				next, ok = due, true
			}
		}
	}
	return next, ok
}
