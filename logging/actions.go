package logging

import (
	"io"

	"golang.org/x/sys/unix"
)

// The actions: selection by pattern, `e` alerts on stderr and `=`
// status files, run in script order on each line's first lineMax bytes.

const (
	// alertMax is how much of a line `e` prints before "...".
	alertMax = 200
	// statusSize is what `=` writes: the line padded with newlines.
	statusSize = lineMax + 1
)

// openStatusFiles creates and opens every `=` file, relative to the
// start directory, as the reference's first pass over the script does.
func (l *Logger) openStatusFiles(start int) error {
	for _, p := range l.script.StatusFiles {
		fd, err := unix.Openat(start, p, oAppend, 0o600)
		if err != nil {
			return &Error{Msg: "unable to create " + p, Err: err}
		}
		unix.Close(fd)
		if fd, err = unix.Openat(start, p, oWrite, 0); err != nil {
			return &Error{Msg: "unable to write " + p, Err: err}
		}
		l.status = append(l.status, &statusFile{fd: fd})
	}
	return nil
}

// decide runs the actions in script order: patterns change the
// selection, `e` and `=` act at once, directories record it.
func (l *Logger) decide(head, body []byte) {
	sel := true
	for i := range l.script.Actions {
		a := &l.script.Actions[i]
		switch a.Kind {
		case Select:
			if !sel && l.matchers[i].match(head, body) {
				sel = true
			}
		case Deselect:
			if sel && l.matchers[i].match(head, body) {
				sel = false
			}
		case Alert:
			if sel {
				if a.Format == ISO {
					l.alertISO(head, body)
				} else {
					l.alert(head, body)
				}
			}
		case Status:
			if sel {
				if a.Format == ISO {
					l.statusISO(a.Index, head, body)
				} else {
					l.writeStatus(a.Index, head, body)
				}
			}
		case Dir:
			l.dirs[a.Index].selected = sel
		case Stdout:
			l.outs[a.Index].selected = sel
		}
	}
}

func (l *Logger) alert(head, body []byte) {
	b := l.alertLn[:0]
	if len(head)+len(body) <= alertMax {
		b = append(b, head...)
		b = append(b, body...)
		b = append(b, '\n')
	} else {
		if len(head) >= alertMax {
			b = append(b, head[:alertMax]...)
		} else {
			b = append(b, head...)
			b = append(b, body[:alertMax-len(head)]...)
		}
		b = append(b, "...\n"...)
	}
	l.stderr.Write(b)
}

// statusFile is one `=` file and the line it is to hold. The line is
// written out at the next read point (flushStatus), so that a burst of
// selected lines costs one write, not one per line: at every read
// point, and at the end, the file holds what the reference's would.
type statusFile struct {
	fd    int
	line  [statusSize]byte
	n     int
	dirty bool
}

// writeStatus makes the line the status file's next contents.
func (l *Logger) writeStatus(i int, head, body []byte) {
	f := l.status[i]
	f.n = copy(f.line[:], head)
	f.n += copy(f.line[f.n:], body)
	f.dirty = true
}

// flushStatus overwrites the start of every status file that has a new
// line with that line padded with newlines to 1001 bytes, as the
// reference does, retrying until it works.
func (l *Logger) flushStatus() {
	for i, f := range l.status {
		if f.dirty {
			l.putStatus(i, f)
		}
	}
}

func (l *Logger) putStatus(i int, f *statusFile) {
	f.dirty = false
	b := f.line[:]
	for j := f.n; j < statusSize; j++ {
		b[j] = '\n'
	}
	fd, name := f.fd, l.script.StatusFiles[i]
	failed := ""
	l.retry(func() string { return failed + name }, func() error {
		if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
			failed = "unable to move to beginning of "
			return err
		}
		w, err := unix.Write(fd, b)
		if w == statusSize {
			return nil
		}
		if err == nil {
			err = l.errno
		}
		failed = "unable to write "
		return err
	})
}

// alertISO is `e` after T: the line with s6-log's stamp after the t
// label, the line (label and text) cut at 200 bytes as without T.
func (l *Logger) alertISO(head, body []byte) {
	label, text := l.lineParts(head, body)
	b := append(l.alertISOLn[:0], label...)
	b = append(b, l.when().iso...)
	if len(label)+len(text) <= alertMax {
		b = append(b, text...)
		b = append(b, '\n')
	} else {
		b = append(b, text[:alertMax-len(label)]...)
		b = append(b, "...\n"...)
	}
	l.alertISOLn = b
	l.stderr.Write(b)
}

// statusISO is `=` after T: the stamp goes after the t label, and the
// whole is cut or padded to 1001 bytes, as s6-log does.
func (l *Logger) statusISO(i int, head, body []byte) {
	label, text := l.lineParts(head, body)
	f := l.status[i]
	f.n = copy(f.line[:], label)
	f.n += copy(f.line[f.n:], l.when().iso)
	f.n += copy(f.line[f.n:], text)
	f.dirty = true
}
