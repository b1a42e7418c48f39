package logging

import "bytes"

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
