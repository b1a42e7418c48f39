package logging

import (
	"bytes"
	"strings"
)

// Match reports whether pattern matches the whole of line by
// daemontools' rules: '*' followed by a byte c skips to the first c in
// the line (and fails when there is none), a trailing '*' matches the
// rest of the line, and every other byte matches itself. There is no
// backtracking and no escape. A NUL ends the pattern, as it ends the
// reference's C string.
func Match(pattern string, line []byte) bool { return match2(pattern, nil, line) }

// match2 matches pattern against the concatenation of a and b without
// building it: a is a line's timestamp, b the bytes read after it.
func match2(pattern string, a, b []byte) bool {
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == 0 {
			break
		}
		if c == '*' {
			if i+1 == len(pattern) || pattern[i+1] == 0 {
				return true
			}
			next := pattern[i+1]
			if len(a) > 0 {
				if j := bytes.IndexByte(a, next); j >= 0 {
					a = a[j:]
					continue
				}
				a = nil
			}
			j := bytes.IndexByte(b, next)
			if j < 0 {
				return false
			}
			b = b[j:]
			continue
		}
		if len(a) > 0 {
			if a[0] != c {
				return false
			}
			a = a[1:]
			continue
		}
		if len(b) == 0 || b[0] != c {
			return false
		}
		b = b[1:]
	}
	return len(a) == 0 && len(b) == 0
}

// matcher is a pattern prepared once for a script, with tests that
// decide most lines without the full match: a pattern without a star
// matches only a line of its own length, a line shorter than the
// pattern's literal bytes cannot match, a leading literal must be the
// line's first byte, and a lone star matches everything. With t, a
// pattern that starts with a star skips the label without scanning it
// when the byte after the star cannot occur in a label.
type matcher struct {
	pattern string // up to its first NUL
	always  bool
	exact   bool
	minLen  int
	first   int  // the byte the line must start with, or -1
	skip    bool // with t: the star skips the label as a whole
	toSpace bool // with t: "* ..." continues at the label's space
}

func newMatcher(pattern string, stamped bool) matcher {
	if i := strings.IndexByte(pattern, 0); i >= 0 {
		pattern = pattern[:i]
	}
	m := matcher{pattern: pattern, first: -1, exact: strings.IndexByte(pattern, '*') < 0}
	m.always = len(pattern) > 0 && pattern[0] == '*' && len(pattern) == 1
	m.minLen = len(pattern) - strings.Count(pattern, "*")
	if len(pattern) > 0 && pattern[0] != '*' {
		m.first = int(pattern[0])
	}
	if stamped && len(pattern) >= 2 && pattern[0] == '*' {
		switch c := pattern[1]; {
		case c == ' ':
			m.toSpace = true
		case c != '@' && c != '*' && hexValue(c) < 0:
			m.skip = true
		}
	}
	return m
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// match is match2 after the cheap tests. head and body are the line as
// the engine holds it: with t, head starts with the label and its space.
func (m *matcher) match(head, body []byte) bool {
	n := len(head) + len(body)
	switch {
	case m.always:
		return true
	case n < m.minLen, m.exact && n != len(m.pattern):
		return false
	case m.first >= 0:
		c := byte(0)
		if len(head) > 0 {
			c = head[0]
		} else if len(body) > 0 {
			c = body[0]
		}
		if n == 0 || int(c) != m.first {
			return false
		}
	}
	if len(head) >= stampSize {
		if m.toSpace {
			// The first space of a stamped line ends its label.
			return match2(m.pattern[1:], head[stampSize-1:], body)
		}
		if m.skip {
			return match2(m.pattern, head[stampSize:], body)
		}
	}
	return match2(m.pattern, head, body)
}
