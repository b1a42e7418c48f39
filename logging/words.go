package logging

import (
	"strconv"
	"time"
)

// The extension words: words that daemontools' multilog ignores, each
// of which switches on one thing it does not do. s6-log's where s6-log
// has the word (T, 1, S, with its meaning), ours otherwise, in letters
// that neither program uses (R, X, z, j). A word counts only in its
// exact form; any other word keeps the reference's meaning, which is
// none, so that a script without these words runs exactly as under
// daemontools. A word that starts with one of our letters and a digit
// but does not parse (S10M, R1y) is ignored with a warning at start-up.
//
//	T        the next action's line gets s6-log's local ISO 8601 time
//	1        copy selected lines to standard output (an action)
//	Sbytes   the next directories keep at most this many bytes of archives
//	Rage     the next directories rotate once current's first line is age old
//	Xage     the next directories remove archives older than age
//	z, zN    the next directories gzip their archives (level N, 6 by default;
//	         z0 turns it off again)
//	j        the next directory or 1 writes JSON Lines
//
// An age is a number of seconds, or a number with the unit s, m, h or
// d; 0 turns the setting off for the directories that follow.

// extWords holds the extension settings while a script is parsed.
type extWords struct {
	iso, json bool // pending T and j, for the next action
	maxTotal  uint64
	rotateAge time.Duration
	expireAge time.Duration
	compress  int
	malformed string // the warning for the last word, if it was malformed
}

// take returns the format for an action and clears what it consumed: T
// applies to the next action of any kind, as in s6-log; j only to a
// directory or 1 (out), so an e or = between keeps it pending.
func (x *extWords) take(out bool) Format {
	f := Plain
	if x.iso {
		f = ISO
	}
	x.iso = false
	if out && x.json {
		f = JSON
		x.json = false
	}
	return f
}

// parse applies w if it is an extension word and reports whether it
// was. A malformed word of ours sets x.malformed.
func (x *extWords) parse(w string) bool {
	switch {
	case w == "T":
		x.iso = true
		return true
	case w == "j":
		x.json = true
		return true
	case w == "1":
		return true
	case w == "z":
		x.compress = 6
		return true
	}
	if len(w) < 2 || w[1] < '0' || w[1] > '9' {
		return false
	}
	arg := w[1:]
	switch w[0] {
	case 'S':
		v, ok := digits(arg)
		if !ok {
			x.malformed = "ignoring " + w + ": S takes a number of bytes"
			return false
		}
		x.maxTotal = v
	case 'R', 'X':
		age, ok := parseAge(arg)
		if !ok {
			x.malformed = "ignoring " + w + ": " + w[:1] + " takes an age: seconds, or a number and s, m, h or d"
			return false
		}
		if w[0] == 'R' {
			x.rotateAge = age
		} else {
			x.expireAge = age
		}
	case 'z':
		if len(arg) != 1 {
			x.malformed = "ignoring " + w + ": z takes a level from 0 to 9"
			return false
		}
		x.compress = int(arg[0] - '0')
	default:
		return false
	}
	return true
}

// digits reads a whole string of decimal digits, refusing overflow.
func digits(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// parseAge reads an age: digits and an optional unit.
func parseAge(s string) (time.Duration, bool) {
	unit := time.Second
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 's':
			s = s[:n-1]
		case 'm':
			unit, s = time.Minute, s[:n-1]
		case 'h':
			unit, s = time.Hour, s[:n-1]
		case 'd':
			unit, s = 24*time.Hour, s[:n-1]
		}
	}
	v, ok := digits(s)
	if !ok || v > uint64(1<<63-1)/uint64(unit) {
		return 0, false
	}
	return time.Duration(v) * unit, true
}
