// Package tai64n holds the tai64n and tai64nlocal applets.
package tai64n

import (
	"bytes"
	"io"
	"os"
	"time"

	"github.com/daemontools-go/daemontools/applets"
	"github.com/daemontools-go/daemontools/privs"
	"github.com/daemontools-go/daemontools/timefmt"
)

func init() {
	applets.Register("tai64n", stampMain)
	applets.Register("tai64nlocal", localMain)
}

const (
	readSize = 128 << 10
	// flushAt bounds the output buffer: input of many short lines grows
	// by up to 26 bytes a line, so flush inside a read when needed.
	flushAt = 256 << 10
)

// stampMain copies stdin to stdout with a label in front of every line.
// Like the reference it flushes its output before every read, writes a
// partial last line without adding a newline, and exits 111 without a
// message on an I/O error (a closed pipe on stdout kills it with
// SIGPIPE first, as it kills the reference). The clock is read once per
// read(2): lines that arrived together carry the same stamp.
func stampMain(argv []string) int {
	privs.RecloseStdio()
	in := make([]byte, readSize)
	out := make([]byte, 0, flushAt+readSize+timefmt.LabelSize+1)
	var label [timefmt.LabelSize + 1]byte
	label[timefmt.LabelSize] = ' '
	atStart := true
	for {
		n, err := os.Stdin.Read(in)
		if n == 0 {
			if err == io.EOF || err == nil {
				return 0
			}
			return 111
		}
		l := timefmt.Now().Label()
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
				if !flush(&out) {
					return 111
				}
			}
		}
		if !flush(&out) {
			return 111
		}
	}
}

func flush(out *[]byte) bool {
	if len(*out) == 0 {
		return true
	}
	_, err := os.Stdout.Write(*out)
	*out = (*out)[:0]
	return err == nil
}

// localMain converts the label at the start of each line to local time.
// A label is '@' and lowercase hex digits up to the first other byte,
// read as the reference reads it. Where the reference would crash (its
// localtime(3) fails for the decoded year), the line passes through
// unchanged instead; so does a label that EOF cuts short.
func localMain(argv []string) int {
	privs.RecloseStdio()
	const (
		lineStart = iota
		inLabel
		copying
	)
	in := make([]byte, readSize)
	out := make([]byte, 0, flushAt+readSize+64)
	var raw []byte // the label's bytes as read, for passing it through
	var lbl timefmt.LooseLabel
	f := timefmt.NewLocalFormatter(time.Local)
	state := lineStart
	for {
		n, err := os.Stdin.Read(in)
		if n == 0 {
			if state == inLabel {
				out = append(out, raw...)
			}
			if !flush(&out) {
				return 111
			}
			if err == io.EOF || err == nil {
				return 0
			}
			return 111
		}
		chunk := in[:n]
		for len(chunk) > 0 {
			switch state {
			case lineStart:
				if chunk[0] != '@' {
					state = copying
					continue
				}
				lbl.Reset()
				raw = append(raw[:0], '@')
				chunk = chunk[1:]
				state = inLabel
			case inLabel:
				i := 0
				for i < len(chunk) && lbl.Feed(chunk[i]) {
					i++
				}
				raw = append(raw, chunk[:i]...)
				chunk = chunk[i:]
				if len(chunk) == 0 {
					break
				}
				sec, nano := lbl.Unix()
				var ok bool
				if out, ok = f.Append(out, sec, nano); !ok {
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
					if !flush(&out) {
						return 111
					}
				}
			}
		}
		if !flush(&out) {
			return 111
		}
	}
}
