package svctl

import (
	"strconv"
	"unicode/utf8"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
	"github.com/daemontools-go/daemontools/timefmt"
)

// svstat --metrics (ours): what --json says, as Prometheus text
// exposition for node_exporter's textfile collector: one family per
// metric, each with HELP and TYPE once and a sample per service
// labelled service="DIR". A sample is left out where the status file
// cannot tell (the last exit of a service under Debian's supervise); a
// directory that cannot be looked at gets a warning on stderr and no
// samples.

// metric is one family: value reports a sample's value and whether
// the directory has one.
type metric struct {
	name, help string
	value      func(l *look) (float64, bool)
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// supervised reports whether l is a status that was read.
func supervised(l *look) bool { return !l.unsupervised && l.fail == "" && l.readErr == nil }

var metrics = [...]metric{
	{"daemontools_service_supervised", "Whether a supervisor runs in the service directory.",
		func(l *look) (float64, bool) { return b2f(supervised(l)), l.unsupervised || supervised(l) }},
	{"daemontools_service_normally_up", "Whether the service directory has no down file.",
		func(l *look) (float64, bool) { return b2f(l.normallyUp), l.unsupervised || supervised(l) }},
	{"daemontools_service_up", "Whether ./run runs.",
		func(l *look) (float64, bool) { return b2f(l.st.Running()), supervised(l) }},
	{"daemontools_service_state", "The state the service is in (1) and those it is not in (0).", nil},
	{"daemontools_service_state_seconds", "Seconds since the service's pid last changed, as svstat counts them.",
		func(l *look) (float64, bool) { return float64(secondsSince(l.st.Stamp, l.now)), supervised(l) }},
	{"daemontools_service_state_change_timestamp_seconds", "When the service's pid last changed, in seconds since the Unix epoch.",
		func(l *look) (float64, bool) {
			t := l.st.Stamp.Time()
			return float64(t.UnixNano()) / 1e9, supervised(l) && l.st.Stamp.Sec >= timefmt.Epoch
		}},
	{"daemontools_service_ready", "Whether ./run runs and is ready (at once for a service without a readiness method).",
		func(l *look) (float64, bool) { return b2f(l.st.IsReady()), supervised(l) }},
	{"daemontools_service_want_up", "Whether the supervisor is asked to keep the service up.",
		func(l *look) (float64, bool) { return b2f(l.st.Want == 'u'), supervised(l) }},
	{"daemontools_service_paused", "Whether the service is up and stopped by svc -p.",
		func(l *look) (float64, bool) { return b2f(l.st.Pid != 0 && l.st.Paused != 0), supervised(l) }},
	{"daemontools_service_deaths", "Deaths within restart-limit's window.",
		func(l *look) (float64, bool) { return float64(l.st.Ext.Deaths), supervised(l) && l.st.Ext.Present }},
	{"daemontools_service_last_exit_code", "The exit code of ./run's last exit, when it exited.",
		func(l *look) (float64, bool) {
			return float64(l.st.Ext.ExitValue), supervised(l) && l.st.Ext.Present && l.st.Ext.Exit == supervision.ExitCode
		}},
	{"daemontools_service_last_exit_signal", "The signal that ended ./run last, when one did.",
		func(l *look) (float64, bool) {
			return float64(l.st.Ext.ExitValue), supervised(l) && l.st.Ext.Present && l.st.Ext.Exit == supervision.ExitSignal
		}},
	{"daemontools_service_restart_seconds", "Seconds until restart-backoff's pause ends and the service is started again.",
		func(l *look) (float64, bool) {
			d := l.st.Ext.Restart.Time().Sub(l.now).Seconds()
			return max(d, 0), supervised(l) && l.st.Ext.Present && l.st.Ext.Phase == supervision.PhaseBackoff
		}},
	{"daemontools_service_failed", "Whether the service is down for good: restart-limit gave up, or ./finish exited 125.",
		func(l *look) (float64, bool) { return b2f(l.st.GaveUp()), supervised(l) }},
	{"daemontools_service_processes", "Processes in the service's cgroups, for a service with the cgroup file.",
		func(l *look) (float64, bool) {
			if !supervised(l) {
				return 0, false
			}
			n, ok := processes(&l.st)
			return float64(n), ok
		}},
}

// warnUnseen reports a directory --metrics has no samples for.
func warnUnseen(l *look) {
	if l.unsupervised || supervised(l) {
		return
	}
	diag.Warn("svstat", l.dir+": "+failure(l), nil)
}

func appendMetrics(b []byte, all []look) []byte {
	for _, m := range metrics {
		header := false
		for i := range all {
			l := &all[i]
			if m.value == nil {
				if !supervised(l) {
					continue
				}
				b, header = appendHeader(b, &m, header)
				state := stateName(&l.st)
				for _, s := range phaseNames {
					b = appendSample(b, m.name, l.dir, s, b2f(s == state))
				}
				continue
			}
			v, ok := m.value(l)
			if !ok {
				continue
			}
			b, header = appendHeader(b, &m, header)
			b = appendSample(b, m.name, l.dir, "", v)
		}
	}
	return b
}

func appendHeader(b []byte, m *metric, done bool) ([]byte, bool) {
	if done {
		return b, true
	}
	b = append(b, "# HELP "...)
	b = append(b, m.name...)
	b = append(b, ' ')
	b = append(b, m.help...)
	b = append(b, "\n# TYPE "...)
	b = append(b, m.name...)
	return append(b, " gauge\n"...), true
}

func appendSample(b []byte, name, service, state string, v float64) []byte {
	b = append(b, name...)
	b = append(b, `{service="`...)
	b = appendLabelValue(b, service)
	if state != "" {
		b = append(b, `",state="`...)
		b = appendLabelValue(b, state)
	}
	b = append(b, `"} `...)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	return append(b, '\n')
}

// appendLabelValue escapes a label value as the exposition format asks
// (backslash, double quote, newline) and replaces bytes that are not
// UTF-8, which it forbids, by U+FFFD.
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
