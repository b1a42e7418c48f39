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
func Svstat(argv []string) int {
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svstat", 111, "unable to open current directory", err)
	}
	var out []byte
	var sr stater
	for _, dir := range argv[1:] {
		out = append(out, dir...)
		out = append(out, ": "...)
		if err := syscall.Chdir(dir); err != nil {
			out = append(out, "unable to chdir: "...)
			out = append(out, diag.Text(err)...)
		} else {
			out = sr.appendStat(out, time.Now())
		}
		out = append(out, '\n')
		if err := syscall.Fchdir(orig); err != nil {
			flush(out)
			return diag.Fatal("svstat", 111, "unable to set directory", err)
		}
		if len(out) >= 4096 {
			out = flush(out)
		}
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

// stater formats svstat's lines. It keeps the reference's status
// buffer from one directory to the next: daemontools' svstat compares a
// failed read's -1 with an unsigned size, so a status it cannot read
// (a directory, say) is reported with whatever the previous directory's
// status left in the buffer (zeros at first), and a short read
// overwrites only the front of it.
type stater struct {
	buf [supervision.DaemontoolsStatusSize]byte
}

// appendStat appends what svstat prints after "DIR: " for the service
// directory that is the current directory, at time now.
func (sr *stater) appendStat(b []byte, now time.Time) []byte {
	normallyUp := false
	var st syscall.Stat_t
	if err := syscall.Stat("down", &st); err != nil {
		if err != syscall.ENOENT {
			return appendErr(b, "unable to stat down", err)
		}
		normallyUp = true
	}
	if err := supervision.Probe(); err != nil {
		if err == syscall.ENXIO {
			return append(b, "supervise not running"...)
		}
		return appendErr(b, "unable to open supervise/ok", err)
	}
	fd, err := syscall.Open("supervise/status", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return appendErr(b, "unable to open supervise/status", err)
	}
	var n int
	for {
		n, err = syscall.Read(fd, sr.buf[:])
		if err != syscall.EINTR {
			break
		}
	}
	syscall.Close(fd)
	if err == nil && n < len(sr.buf) {
		return appendErr(b, "unable to read supervise/status", supervision.ErrBadFormat)
	}
	status, _ := supervision.DecodeStatus(sr.buf[:])
	return appendState(b, status, normallyUp, now)
}

func appendErr(b []byte, msg string, err error) []byte {
	b = append(b, msg...)
	b = append(b, ": "...)
	return append(b, diag.Text(err)...)
}

// appendState formats a decoded status as svstat does: "up (pid P) S
// seconds" or "down S seconds", then the suffixes in the reference's
// fixed order. Seconds count whole TAI seconds and never go below 0.
func appendState(b []byte, st supervision.Status, normallyUp bool, now time.Time) []byte {
	nowSec := uint64(now.Unix()) + timefmt.Epoch
	var secs uint64
	if nowSec > st.Stamp.Sec {
		secs = nowSec - st.Stamp.Sec
	}
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

// appendSeconds prints the count as the reference does: through a
// double (tai_approx), which rounds counts beyond 2^53, as a hand-made
// status file with a stamp near 0 shows.
func appendSeconds(b []byte, secs uint64) []byte {
	return strconv.AppendUint(b, uint64(float64(secs)), 10)
}
