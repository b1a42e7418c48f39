// Package logging is the multilog engine: it parses a multilog script,
// selects lines with daemontools' patterns, and writes them to
// automatically rotated log directories, to stderr (`e`) and to status
// files (`=`), exactly as daemontools 0.76's multilog does.
//
// The engine is a library: the multilog applet only turns argv into a
// Script and calls it, so that a supervisor can host a logger in its own
// process. It changes no process-wide state (no chdir, no umask, no
// signal handlers): directories are used through their descriptors, and
// the caller forwards TERM and ALRM with Terminate and Rotate.
package logging

import (
	"strings"
	"time"
)

// Default settings, as multilog starts with them.
const (
	DefaultSize = 99999
	DefaultNum  = 10
	MinSize     = 4096
	MaxSize     = 16777215
	MinNum      = 2
)

// ActionKind says what one word of a script does to each line.
type ActionKind uint8

// The actions that act on lines. Settings (s, n, !) and ignored words
// never appear in Script.Actions.
const (
	Select   ActionKind = iota + 1 // +pattern
	Deselect                       // -pattern
	Alert                          // e...: copy the line to stderr
	Status                         // =file
	Dir                            // ./dir or /dir
	Stdout                         // 1: copy the line to standard output (s6-log)
)

// Format is how an action writes a line: the reference's bytes, or one
// of the formats the extension words T and j ask for.
type Format uint8

// The formats. Plain is the zero value: without T or j every action
// writes exactly what the reference writes.
const (
	Plain Format = iota
	ISO          // T: s6-log's local ISO 8601 time and two spaces first
	JSON         // j: one JSON object per line
)

// Action is one line-processing step, in script order.
type Action struct {
	Kind    ActionKind
	Pattern string // Select, Deselect
	Index   int    // Status: index in StatusFiles; Dir: index in Dirs; Stdout: index in Stdouts
	Format  Format // Alert, Status, Dir, Stdout: set by a T or j just before
}

// DirConfig is one automatically rotated log directory with the
// settings in force where it appears in the script.
type DirConfig struct {
	Path         string
	Size         uint64 // rotate when current reaches about this size
	Num          uint64 // keep at most Num-1 old files beside current
	Processor    string // run with /bin/sh -c at each rotation
	HasProcessor bool   // a bare "!" sets an empty processor

	// The extension words in force where the directory appears
	// (words.go); all zero without them.
	Format    Format        // T or j just before the directory
	MaxTotal  uint64        // S: cap on the archives' total size; 0 = none
	RotateAge time.Duration // R: rotate once current's first line is this old
	ExpireAge time.Duration // X: remove archives older than this
	Compress  int           // z: gzip level for archives; 0 = off
}

// Retains reports whether the directory has work for its janitor
// (janitor.go): compression or one of the limits the reference lacks.
func (c *DirConfig) Retains() bool {
	return c.MaxTotal > 0 || c.ExpireAge > 0 || c.Compress > 0
}

// Script is a parsed multilog script.
type Script struct {
	Timestamp   bool // 't' as the first word
	Actions     []Action
	StatusFiles []string
	Dirs        []DirConfig
	Stdouts     []Format // one per `1` action, in order
	// Warnings name the extension words that were malformed and are
	// ignored; Start reports each once.
	Warnings []string
}

// ParseScript reads multilog's script, one action per word. Like the
// reference it has no syntax errors: words are classified by their
// first byte and anything unknown is ignored.
func ParseScript(words []string) *Script {
	s := &Script{}
	size, num := uint64(DefaultSize), uint64(DefaultNum)
	processor, hasProcessor := "", false
	var ext extWords
	for i, w := range words {
		// The reference works on C strings: a word ends at its first NUL.
		if j := strings.IndexByte(w, 0); j >= 0 {
			w = w[:j]
		}
		if w == "" {
			continue
		}
		switch w[0] {
		case 't':
			if i == 0 {
				s.Timestamp = true
			}
		case '+':
			s.Actions = append(s.Actions, Action{Kind: Select, Pattern: w[1:]})
		case '-':
			s.Actions = append(s.Actions, Action{Kind: Deselect, Pattern: w[1:]})
		case 'e':
			s.Actions = append(s.Actions, Action{Kind: Alert, Format: ext.take(false)})
		case '=':
			s.Actions = append(s.Actions, Action{Kind: Status, Index: len(s.StatusFiles), Format: ext.take(false)})
			s.StatusFiles = append(s.StatusFiles, w[1:])
		case 's':
			size = scanUlong(w[1:])
			if size < MinSize {
				size = MinSize
			}
			if size > MaxSize {
				size = MaxSize
			}
		case 'n':
			num = scanUlong(w[1:])
			if num < MinNum {
				num = MinNum
			}
		case '!':
			processor, hasProcessor = w[1:], true
		case '.', '/':
			f := ext.take(true)
			s.Actions = append(s.Actions, Action{Kind: Dir, Index: len(s.Dirs), Format: f})
			s.Dirs = append(s.Dirs, DirConfig{Path: w, Size: size, Num: num, Processor: processor, HasProcessor: hasProcessor,
				Format: f, MaxTotal: ext.maxTotal, RotateAge: ext.rotateAge, ExpireAge: ext.expireAge, Compress: ext.compress})
		default:
			if ext.parse(w) {
				if w == "1" {
					f := ext.take(true)
					s.Actions = append(s.Actions, Action{Kind: Stdout, Index: len(s.Stdouts), Format: f})
					s.Stdouts = append(s.Stdouts, f)
				}
			} else if ext.malformed != "" {
				s.Warnings = append(s.Warnings, ext.malformed)
				ext.malformed = ""
			}
		}
	}
	return s
}

// scanUlong reads leading decimal digits as the reference's scan_ulong
// does: no digits read as 0, and overflow wraps around in 64 bits.
func scanUlong(s string) uint64 {
	var v uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v
}

// filters reports whether any action looks at the line's contents; when
// none does, every line goes to every directory.
func (s *Script) filters() bool {
	for _, a := range s.Actions {
		if a.Kind != Dir && a.Kind != Stdout {
			return true
		}
	}
	return false
}

// clocked reports whether some word needs the wall time of each read:
// T, j or R (t has its own clock in tests).
func (s *Script) clocked() bool {
	for _, a := range s.Actions {
		if a.Format != Plain {
			return true
		}
	}
	for _, c := range s.Dirs {
		if c.RotateAge > 0 {
			return true
		}
	}
	return false
}
