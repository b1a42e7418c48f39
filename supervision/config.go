package supervision

import (
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The files of a service directory that go beyond daemontools
// (EXTENSIONS.md §2). Each is opt-in: a directory with none of them is
// supervised exactly as daemontools' supervise would, and its
// Supervisor carries no extension at all. They are read again before
// every start of ./run, so a change applies from the next start; a
// malformed file is reported once (until it changes) and ignored, as
// s6-supervise ignores it.

// config is what the files say.
type config struct {
	finish        bool           // ./finish exists
	timeoutFinish time.Duration  // ./finish is killed after this; 0: never
	downSignal    syscall.Signal // what d sends instead of TERM
	timeoutKill   time.Duration  // a service still up this long after d is killed; 0: never
	// restart-backoff: the pause after a start, from backoffMin
	// doubling up to backoffMax while the service keeps dying, back
	// to backoffMin once it stayed up backoffReset. backoffMin 0: no
	// backoff, daemontools' fixed pause.
	backoffMin, backoffMax, backoffReset time.Duration
	// restart-limit: more than limitDeaths deaths within limitWindow
	// is a permanent failure. limitWindow 0: no limit.
	limitDeaths uint32
	limitWindow time.Duration
	// Readiness: the descriptor of s6's notification-fd (0: none),
	// runit's ./check, systemd's protocol (sd-notify) with its
	// watchdog interval (0: none) and, when the file names one, the
	// socket (a path, or @name in the abstract namespace).
	notifyFD     int
	check        bool
	sdNotify     bool
	watchdog     time.Duration
	notifySocket string
	// cgroup: each run in a cgroup of its own (cgroup.go).
	cgroup bool
	// svscan-exit: the end of this service for good ends the tree;
	// with "always", any end of ./run does.
	treeExit, treeExitAlways bool
}

// s6's default for timeout-finish.
const defaultTimeoutFinish = 5 * time.Second

// The files, in the order their warnings are remembered.
const (
	fileTimeoutFinish = iota
	fileDownSignal
	fileTimeoutKill
	fileBackoff
	fileLimit
	fileNotifyFD
	fileSdNotify
	fileTreeExit
	nFiles
)

var configFiles = [nFiles]string{"timeout-finish", "down-signal", "timeout-kill", "restart-backoff", "restart-limit", "notification-fd", "sd-notify", "svscan-exit"}

// grouped reports whether the service runs as the leader of its own
// process group, so that the whole group can be signalled. Only
// timeout-kill asks for it, as in s6 and daemontools-encore: otherwise
// the service stays in the supervisor's group, which under svscan is
// the whole tree's, and no group is ever signalled.
func (c *config) grouped() bool { return c.timeoutKill != 0 }

// readiness reports whether the service says when it is ready.
func (c *config) readiness() bool { return c.notifyFD != 0 || c.check || c.sdNotify }

// configReader reads the files of one directory. warned remembers, for
// each file, the content last reported as malformed, so that a crash
// loop does not repeat the warning.
type configReader struct {
	warned [nFiles]string
}

// read reads the files of the directory dirfd, and reports whether
// any of them exists. A file that does not exist takes its default;
// one that cannot be read or parsed is reported through warn (once per
// content) and takes its default too.
func (r *configReader) read(dirfd int, dir string, warn func(msg string, err error)) (c config, files bool) {
	c = config{timeoutFinish: defaultTimeoutFinish, downSignal: syscall.SIGTERM}
	c.finish = exists(dirfd, cFinish) == nil
	c.check = exists(dirfd, cCheck) == nil
	c.cgroup = exists(dirfd, cCgroup) == nil
	files = c.finish || c.check || c.cgroup
	var buf [512]byte
	for i, name := range configFiles {
		text, ok := readSmall(dirfd, cConfigFile[i], buf[:])
		if !ok {
			r.warned[i] = ""
			continue
		}
		files = true
		if len(text) < len(buf) && c.parse(i, text) {
			r.warned[i] = ""
			continue
		}
		if r.warned[i] != text {
			r.warned[i] = text
			warn("ignoring "+dir+"/"+name+": "+configProblem[i], nil)
		}
	}
	return c, files
}

var configProblem = [nFiles]string{
	fileTimeoutFinish: "not a number of milliseconds",
	fileDownSignal:    "not a signal name or number",
	fileTimeoutKill:   "not a number of milliseconds",
	fileBackoff:       "not MIN MAX RESET in seconds, with 0 < MIN <= MAX",
	fileLimit:         "not N SECONDS",
	fileNotifyFD:      "not a descriptor number from 1 to 1023",
	fileSdNotify:      "not lines of WATCHDOG_USEC=N or NOTIFY_SOCKET=/path or @name",
	fileTreeExit:      "neither empty nor always",
}

// parse applies the text of file i, reporting whether it was valid.
func (c *config) parse(i int, text string) bool {
	switch i {
	case fileTimeoutFinish:
		ms, ok := parseUint32(firstLine(text))
		if ok {
			c.timeoutFinish = time.Duration(ms) * time.Millisecond
		}
		return ok
	case fileTimeoutKill:
		ms, ok := parseUint32(firstLine(text))
		if ok {
			c.timeoutKill = time.Duration(ms) * time.Millisecond
		}
		return ok
	case fileDownSignal:
		sig, ok := parseSignal(firstLine(text))
		if ok {
			c.downSignal = sig
		}
		return ok
	case fileBackoff:
		f := strings.Fields(text)
		if len(f) != 3 {
			return false
		}
		lo, ok1 := parseSeconds(f[0])
		hi, ok2 := parseSeconds(f[1])
		reset, ok3 := parseSeconds(f[2])
		if !ok1 || !ok2 || !ok3 || lo <= 0 || hi < lo {
			return false
		}
		c.backoffMin, c.backoffMax, c.backoffReset = lo, hi, reset
		return true
	case fileLimit:
		f := strings.Fields(text)
		if len(f) != 2 {
			return false
		}
		n, ok1 := parseUint32(f[0])
		window, ok2 := parseSeconds(f[1])
		if !ok1 || !ok2 || window <= 0 || n > maxDeathTally {
			return false
		}
		c.limitDeaths, c.limitWindow = n, window
		return true
	case fileNotifyFD:
		// s6 takes 1 or 2 as well: the service's stdout or stderr is
		// then the notification pipe.
		fd, ok := parseUint32(firstLine(text))
		if !ok || fd == 0 || fd > maxNotifyFD {
			return false
		}
		c.notifyFD = int(fd)
		return true
	case fileSdNotify:
		return c.parseSdNotify(text)
	case fileTreeExit:
		switch strings.TrimSpace(text) {
		case "":
			c.treeExit = true
		case "always":
			c.treeExit, c.treeExitAlways = true, true
		default:
			return false
		}
		return true
	}
	return false
}

// maxNotifyFD bounds notification-fd, below the usual descriptor limit.
const maxNotifyFD = 1023

// parseSdNotify reads the sd-notify file: empty, or lines of systemd's
// own names, WATCHDOG_USEC=N (the watchdog's interval) and
// NOTIFY_SOCKET=ADDRESS (where the service is told to send: a path, or
// @name in the abstract namespace; by default an abstract name of the
// supervisor's own).
func (c *config) parseSdNotify(text string) bool {
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\n")
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		switch {
		case !ok:
			return false
		case name == "WATCHDOG_USEC":
			us, err := strconv.ParseUint(value, 10, 63)
			if err != nil || us == 0 || us > uint64(math.MaxInt64/time.Microsecond) {
				return false
			}
			c.watchdog = time.Duration(us) * time.Microsecond
		case name == "NOTIFY_SOCKET":
			if len(value) < 2 || (value[0] != '/' && value[0] != '@') || len(value) > 107 {
				return false
			}
			c.notifySocket = value
		default:
			return false
		}
	}
	c.sdNotify = true
	return true
}

// maxDeathTally bounds restart-limit's N: the Supervisor remembers the
// time of the last N+1 deaths (s6 caps its death tally at 4096 too).
const maxDeathTally = 4096

// readSmall reads a small file of the directory, up to len(buf) bytes
// (a file that fills buf is too long to be one of these); false when it
// does not exist or cannot be read (a directory, say).
func readSmall(dirfd int, name cpath, buf []byte) (string, bool) {
	fd, err := openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", false
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		// read(2) itself: unix.Read tells the race detector of the
		// write to buf, which moves buf to the heap in a race build.
		r, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&buf[n])), uintptr(len(buf)-n))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return "", false
		}
		if r == 0 {
			break
		}
		n += int(r)
	}
	return string(buf[:n]), true
}

// firstLine is what s6-supervise reads of its one-value files: up to
// the first newline.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parseUint32 reads a whole string of decimal digits, as skalibs'
// uint0_scan does: nothing else, and nothing beyond 32 bits.
func parseUint32(s string) (uint32, bool) {
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + uint64(s[i]-'0')
		if v > math.MaxUint32 {
			return 0, false
		}
	}
	return uint32(v), true
}

// parseSeconds reads a non-negative decimal number of seconds, with an
// optional fraction (as SVSCAN_SHUTDOWN_TIMEOUT), up to 2^31 seconds.
func parseSeconds(s string) (time.Duration, bool) {
	whole, frac, ok := strings.Cut(s, ".")
	if whole == "" && (!ok || frac == "") {
		return 0, false
	}
	var d time.Duration
	for i := 0; i < len(whole); i++ {
		if whole[i] < '0' || whole[i] > '9' {
			return 0, false
		}
		d = d*10 + time.Duration(whole[i]-'0')
		if d > 1<<31 {
			return 0, false
		}
	}
	d *= time.Second
	scale := time.Second
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, false
		}
		if scale > 1 {
			scale /= 10
			d += time.Duration(frac[i]-'0') * scale
		}
	}
	return d, true
}

// parseSignal reads a signal as s6-supervise reads down-signal: a name
// (TERM or SIGTERM, in any case) or a number.
func parseSignal(s string) (syscall.Signal, bool) {
	name := strings.ToUpper(s)
	name = strings.TrimPrefix(name, "SIG")
	for _, n := range signalNames {
		if n.name == name {
			return n.sig, true
		}
	}
	if len(s) > 3 && strings.EqualFold(s[:3], "SIG") {
		s = s[3:]
	}
	n, ok := parseUint32(s)
	if !ok || n == 0 || n > 64 {
		return 0, false
	}
	return syscall.Signal(n), true
}

var signalNames = [...]struct {
	name string
	sig  syscall.Signal
}{
	{"ABRT", syscall.SIGABRT}, {"ALRM", syscall.SIGALRM}, {"BUS", syscall.SIGBUS},
	{"CHLD", syscall.SIGCHLD}, {"CONT", syscall.SIGCONT}, {"FPE", syscall.SIGFPE},
	{"HUP", syscall.SIGHUP}, {"ILL", syscall.SIGILL}, {"INT", syscall.SIGINT},
	{"IO", syscall.SIGIO}, {"KILL", syscall.SIGKILL}, {"PIPE", syscall.SIGPIPE},
	{"POLL", syscall.SIGPOLL}, {"PROF", syscall.SIGPROF}, {"PWR", syscall.SIGPWR},
	{"QUIT", syscall.SIGQUIT}, {"SEGV", syscall.SIGSEGV}, {"STKFLT", syscall.SIGSTKFLT},
	{"STOP", syscall.SIGSTOP}, {"SYS", syscall.SIGSYS}, {"TERM", syscall.SIGTERM},
	{"TRAP", syscall.SIGTRAP}, {"TSTP", syscall.SIGTSTP}, {"TTIN", syscall.SIGTTIN},
	{"TTOU", syscall.SIGTTOU}, {"URG", syscall.SIGURG}, {"USR1", syscall.SIGUSR1},
	{"USR2", syscall.SIGUSR2}, {"VTALRM", syscall.SIGVTALRM}, {"WINCH", syscall.SIGWINCH},
	{"XCPU", syscall.SIGXCPU}, {"XFSZ", syscall.SIGXFSZ},
}
