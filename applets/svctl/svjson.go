package svctl

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// svstat --json (ours): one JSON object per directory, on one line,
// written by hand (encoding/json and its reflection would cost every
// start of svstat; the schema is in the README). Every object of a
// supervised directory has the same keys in the same order, null where
// its status file cannot tell (daemontools' 18 bytes know nothing of
// runit's or of our extension).

// phaseNames are the states --json reports for our extension's phases.
var phaseNames = [...]string{
	supervision.PhaseDown:      "down",
	supervision.PhaseUp:        "up",
	supervision.PhaseStarting:  "starting",
	supervision.PhaseFinishing: "finishing",
	supervision.PhaseStopping:  "stopping",
	supervision.PhaseBackoff:   "backoff",
	supervision.PhaseFailed:    "failed",
}

// stateName is the service's state: our extension's phase, else what
// runit's state byte or the pid says.
func stateName(st *supervision.Status) string {
	if st.Ext.Present && int(st.Ext.Phase) < len(phaseNames) {
		return phaseNames[st.Ext.Phase]
	}
	switch {
	case st.Finishing():
		return "finishing"
	case st.Pid != 0:
		return "up"
	}
	return "down"
}

// formatName says which supervisor's layout a status file has.
func formatName(st *supervision.Status) string {
	switch {
	case st.Ext.Present:
		return "daemontools-go"
	case st.Runit:
		return "runit"
	}
	return "daemontools"
}

func appendJSON(b []byte, l *look) []byte {
	b = append(b, `{"dir":`...)
	b = appendJSONString(b, l.dir)
	switch {
	case l.unsupervised:
		b = append(b, `,"supervised":false,"normally":`...)
		b = appendJSONString(b, upDown(l.normallyUp))
		return append(b, '}')
	case l.fail != "" || l.readErr != nil:
		b = append(b, `,"error":`...)
		b = appendJSONString(b, failure(l))
		return append(b, '}')
	}
	st := &l.st
	x := &st.Ext
	b = append(b, `,"supervised":true,"format":`...)
	b = appendJSONString(b, formatName(st))
	b = append(b, `,"state":`...)
	b = appendJSONString(b, stateName(st))
	b = append(b, `,"pid":`...)
	b = appendUintOrNull(b, uint64(st.Pid), st.Pid != 0)
	b = append(b, `,"since":`...)
	b = appendTime(b, st.Stamp)
	b = append(b, `,"seconds":`...)
	b = strconv.AppendUint(b, secondsSince(st.Stamp, l.now), 10)
	b = append(b, `,"normally":`...)
	b = appendJSONString(b, upDown(l.normallyUp))
	b = append(b, `,"want":`...)
	switch st.Want {
	case 'u':
		b = append(b, `"up"`...)
	case 'd':
		b = append(b, `"down"`...)
	case 0:
		b = append(b, `"once"`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"paused":`...)
	b = strconv.AppendBool(b, st.Pid != 0 && st.Paused != 0)
	b = append(b, `,"term":`...)
	b = appendBoolOrNull(b, st.Term != 0, st.Runit)
	b = append(b, `,"readiness":`...)
	b = strconv.AppendBool(b, st.HasReadiness())
	b = append(b, `,"ready":`...)
	b = strconv.AppendBool(b, st.IsReady())
	b = append(b, `,"ready_since":`...)
	switch {
	case st.HasReadiness():
		b = appendTime(b, x.Ready)
	case st.IsReady():
		b = appendTime(b, st.Stamp)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"exit":`...)
	switch {
	case x.Present && x.Exit == supervision.ExitCode:
		b = strconv.AppendUint(append(b, `{"code":`...), uint64(x.ExitValue), 10)
		b = append(b, '}')
	case x.Present && x.Exit == supervision.ExitSignal:
		b = strconv.AppendUint(append(b, `{"signal":`...), uint64(x.ExitValue), 10)
		b = append(b, '}')
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"deaths":`...)
	b = appendUintOrNull(b, uint64(x.Deaths), x.Present)
	b = append(b, `,"window":`...)
	b = appendUintOrNull(b, uint64(x.Window), x.Present)
	b = append(b, `,"limit":`...)
	b = appendUintOrNull(b, uint64(x.Limit), x.Present)
	b = append(b, `,"restart_at":`...)
	if x.Present && x.Phase == supervision.PhaseBackoff {
		b = appendTime(b, x.Restart)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"failed":`...)
	b = strconv.AppendBool(b, st.GaveUp())
	b = append(b, `,"reason":`...)
	if r := reason(st); r != "" {
		b = appendJSONString(b, r)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"processes":`...)
	n, ok := processes(st)
	b = appendUintOrNull(b, uint64(n), ok)
	return append(b, '}')
}

// processes counts what runs in the service's cgroups, for a run
// started in one (the cgroup file).
func processes(st *supervision.Status) (int, bool) {
	if !st.Ext.Present || st.Ext.Flags&supervision.FlagCgroup == 0 || st.Pid == 0 {
		return 0, false
	}
	return supervision.CgroupProcesses(int(st.Pid))
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func appendUintOrNull(b []byte, v uint64, known bool) []byte {
	if !known {
		return append(b, "null"...)
	}
	return strconv.AppendUint(b, v, 10)
}

func appendBoolOrNull(b []byte, v, known bool) []byte {
	if !known {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, v)
}

// lastRFC3339 is the last second RFC 3339 can write (9999-12-31T23:59:59Z).
const lastRFC3339 = 253402300799

// appendTime writes a stamp as an RFC 3339 string in UTC with its
// nanoseconds, or null for the zero stamp or one RFC 3339 cannot write.
func appendTime(b []byte, t timefmt.TAI64N) []byte {
	if t.Sec < timefmt.Epoch || t.Sec-timefmt.Epoch > lastRFC3339 {
		return append(b, "null"...)
	}
	u := time.Unix(int64(t.Sec-timefmt.Epoch), 0).UTC()
	year, month, day := u.Date()
	hour, min, sec := u.Clock()
	b = append(b, '"')
	b = appendPadded(b, uint64(year), 4)
	b = append(b, '-')
	b = appendPadded(b, uint64(month), 2)
	b = append(b, '-')
	b = appendPadded(b, uint64(day), 2)
	b = append(b, 'T')
	b = appendPadded(b, uint64(hour), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(min), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(sec), 2)
	b = append(b, '.')
	b = appendPadded(b, uint64(min32(t.Nano, 999999999)), 9)
	return append(b, `Z"`...)
}

func min32(a, b uint32) uint32 {
	if a < b {
		return a
	}
	return b
}

func appendPadded(b []byte, v uint64, width int) []byte {
	var d [20]byte
	s := strconv.AppendUint(d[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string: quote, backslash and
// control characters escaped, bytes that are not UTF-8 replaced by
// U+FFFD (a directory name may hold any byte), and U+2028 and U+2029
// escaped so that the line is also valid JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028':
			b = append(b, `\u2028`...)
		case r == '\u2029':
			b = append(b, `\u2029`...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
