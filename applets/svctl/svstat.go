package svctl

import (
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// Svstat is `svstat dir...`: one line per directory on stdout, exit 0.
// `svstat --json dir...` and `svstat --metrics dir...` (ours; the
// reference takes the word for a directory) print the same as JSON
// lines (svjson.go) or as Prometheus text (svmetrics.go).
func Svstat(argv []string) int {
	dirs := argv[1:]
	format := byte(0)
	if len(dirs) > 0 && (dirs[0] == "--json" || dirs[0] == "--metrics") {
		format = dirs[0][2]
		dirs = dirs[1:]
	}
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svstat", 111, "unable to open current directory", err)
	}
	var out []byte
	var sr stater
	var all []look // --metrics prints metric by metric
	for _, dir := range dirs {
		var l look
		if err := syscall.Chdir(dir); err != nil {
			l.fail = appendErr(nil, "unable to chdir", err)
		} else {
			l = sr.look(time.Now())
		}
		l.dir = dir
		switch format {
		case 'j':
			out = append(appendJSON(out, &l), '\n')
		case 'm':
			warnUnseen(&l)
			all = append(all, l)
		default:
			out = append(out, dir...)
			out = append(out, ": "...)
			out = append(appendLine(out, &l), '\n')
		}
		if err := syscall.Fchdir(orig); err != nil {
			flush(out)
			return diag.Fatal("svstat", 111, "unable to set directory", err)
		}
		if len(out) >= 4096 {
			out = flush(out)
		}
	}
	if format == 'm' {
		out = appendMetrics(out, all)
	}
	flush(out)
	return 0
}

// flush writes out to stdout, ignoring errors as the reference does.
func flush(out []byte) []byte {
	for len(out) > 0 {
		n, err := os.Stdout.Write(out)
		if err != nil || n <= 0 {
			break
		}
		out = out[n:]
	}
	return out[:0]
}

// look is what svstat found in one service directory.
type look struct {
	dir string
	// fail is what the line says instead of a state ("supervise not
	// running", "unable to open supervise/ok: ERR", ...), or "".
	fail string
	// unsupervised: no supervisor runs (supervise/ok has no reader, or
	// does not exist, as svok decides).
	unsupervised bool
	normallyUp   bool
	now          time.Time
	st           supervision.Status
	// readErr: reading the status failed, and st is what the
	// reference's buffer held (see stater).
	readErr error
}

// stater looks at service directories. It keeps the reference's status
// buffer from one directory to the next: daemontools' svstat compares a
// failed read's -1 with an unsigned size, so a status it cannot read
// (a directory, say) is reported with whatever the previous directory's
// status left in the buffer (zeros at first), and a short read
// overwrites only the front of it.
type stater struct {
	buf [supervision.DaemontoolsStatusSize]byte
	// whole holds the file, extension included, which the reference
	// does not read.
	whole [256]byte
}

// look examines the service directory that is the current directory,
// at time now, in the reference's order.
func (sr *stater) look(now time.Time) look {
	l := look{now: now}
	var st syscall.Stat_t
	if err := syscall.Stat("down", &st); err != nil {
		if err != syscall.ENOENT {
			l.fail = appendErr(nil, "unable to stat down", err)
			return l
		}
		l.normallyUp = true
	}
	if err := supervision.Probe(); err != nil {
		if err == syscall.ENXIO {
			l.fail, l.unsupervised = "supervise not running", true
			return l
		}
		l.fail, l.unsupervised = appendErr(nil, "unable to open supervise/ok", err), err == syscall.ENOENT
		return l
	}
	fd, err := syscall.Open("supervise/status", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		l.fail = appendErr(nil, "unable to open supervise/status", err)
		return l
	}
	var n int
	for {
		n, err = syscall.Read(fd, sr.whole[:])
		if err != syscall.EINTR {
			break
		}
	}
	syscall.Close(fd)
	if err != nil {
		l.readErr = err
		l.st, _ = supervision.DecodeStatus(sr.buf[:])
		return l
	}
	copy(sr.buf[:], sr.whole[:n])
	if n < len(sr.buf) {
		l.fail = appendErr(nil, "unable to read supervise/status", supervision.ErrBadFormat)
		return l
	}
	l.st, _ = supervision.DecodeStatus(sr.whole[:n])
	return l
}

// failure is what --json and --metrics report for a directory whose
// status they cannot tell: the line's text, or the read that the line
// hides.
func failure(l *look) string {
	if l.fail != "" {
		return l.fail
	}
	return appendErr(nil, "unable to read supervise/status", l.readErr)
}

func appendErr(b []byte, msg string, err error) string {
	b = append(b, msg...)
	b = append(b, ": "...)
	return string(append(b, diag.Text(err)...))
}

// appendLine formats what svstat prints after "DIR: ".
func appendLine(b []byte, l *look) []byte {
	if l.fail != "" {
		return append(b, l.fail...)
	}
	b = appendState(b, l.st, l.normallyUp, l.now)
	return appendExtension(b, &l.st, l.now)
}

// appendState formats a decoded status as svstat does: "up (pid P) S
// seconds" or "down S seconds", then the suffixes in the reference's
// fixed order. Seconds count whole TAI seconds and never go below 0.
func appendState(b []byte, st supervision.Status, normallyUp bool, now time.Time) []byte {
	secs := secondsSince(st.Stamp, now)
	up := st.Pid != 0
	if up {
		b = append(b, "up (pid "...)
		b = strconv.AppendUint(b, uint64(st.Pid), 10)
		b = append(b, ") "...)
	} else {
		b = append(b, "down "...)
	}
	b = appendSeconds(b, secs)
	b = append(b, " seconds"...)
	if up && !normallyUp {
		b = append(b, ", normally down"...)
	}
	if !up && normallyUp {
		b = append(b, ", normally up"...)
	}
	if up && st.Paused != 0 {
		b = append(b, ", paused"...)
	}
	if !up && st.Want == 'u' {
		b = append(b, ", want up"...)
	}
	if up && st.Want == 'd' {
		b = append(b, ", want down"...)
	}
	return b
}

// appendExtension adds what only a service that opts in can show
// (EXTENSIONS.md §3), after the reference's line: its readiness, a
// ./finish running, a restart-limit that gave up, a restart-backoff
// pause. A status without the extension, or one of ours that uses none
// of those files, gets nothing.
func appendExtension(b []byte, st *supervision.Status, now time.Time) []byte {
	x := &st.Ext
	if !x.Present {
		return b
	}
	if st.HasReadiness() && x.Ready != (timefmt.TAI64N{}) {
		b = append(b, ", ready "...)
		b = appendSeconds(b, secondsSince(x.Ready, now))
		b = append(b, " seconds"...)
	}
	switch x.Phase {
	case supervision.PhaseStarting:
		b = append(b, ", not ready"...)
	case supervision.PhaseFinishing:
		b = append(b, ", finishing"...)
	case supervision.PhaseFailed:
		b = append(b, ", failed: "...)
		b = appendDeaths(b, x)
	case supervision.PhaseBackoff:
		b = append(b, ", restarting in "...)
		b = strconv.AppendUint(b, secondsUntil(x.Restart, now), 10)
		b = append(b, " seconds"...)
	}
	return b
}

// appendDeaths: "N deaths in S seconds", restart-limit's count.
func appendDeaths(b []byte, x *supervision.Ext) []byte {
	b = strconv.AppendUint(b, uint64(x.Deaths), 10)
	b = append(b, " deaths in "...)
	b = strconv.AppendUint(b, uint64(x.Window), 10)
	return append(b, " seconds"...)
}

// secondsSince counts whole TAI seconds from t to now, never below 0.
func secondsSince(t timefmt.TAI64N, now time.Time) uint64 {
	nowSec := uint64(now.Unix()) + timefmt.Epoch
	if nowSec > t.Sec {
		return nowSec - t.Sec
	}
	return 0
}

// secondsUntil counts the seconds from now to t, rounded up, never
// below 0.
func secondsUntil(t timefmt.TAI64N, now time.Time) uint64 {
	d := t.Time().Sub(now)
	if t.Sec < timefmt.Epoch || d <= 0 {
		return 0
	}
	return uint64((d + time.Second - 1) / time.Second)
}

// appendSeconds prints the count as the reference does: through a
// double (tai_approx), which rounds counts beyond 2^53, as a hand-made
// status file with a stamp near 0 shows.
func appendSeconds(b []byte, secs uint64) []byte {
	return strconv.AppendUint(b, uint64(float64(secs)), 10)
}

// reason says why a service that opts in is not running, for --json
// and svc -w's warnings: "" when there is nothing to say.
func reason(st *supervision.Status) string {
	x := &st.Ext
	var b []byte
	switch {
	case !x.Present || st.Pid != 0:
		return ""
	case x.Phase == supervision.PhaseFailed:
		b = appendDeaths(append(b, "restart-limit: "...), x)
	case st.GaveUp():
		b = append(b, "finish exited 125"...)
	case x.Phase == supervision.PhaseBackoff && x.Exit == supervision.ExitCode:
		b = strconv.AppendUint(append(b, "restart-backoff: run exited "...), uint64(x.ExitValue), 10)
	case x.Phase == supervision.PhaseBackoff && x.Exit == supervision.ExitSignal:
		b = strconv.AppendUint(append(b, "restart-backoff: run killed by signal "...), uint64(x.ExitValue), 10)
	}
	return string(b)
}
