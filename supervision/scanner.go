package supervision

import (
	"bytes"
	"errors"
	"os"
	"runtime/debug"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ScanInterval is how often svscan rescans when nothing wakes it
// earlier; the reference sleeps 5 seconds between scans.
const ScanInterval = 5 * time.Second

// watchSettle is how long a scan waits after a directory event for
// further events: a service published with `cp -r` or `mv` then appears
// whole, and a burst of links costs one scan.
const watchSettle = 20 * time.Millisecond

// tidyDelay is how long after starting supervisors the scanner hands the
// memory their start-up used back to the kernel: by then every one has
// finished its first start and pause, and what remains is what a parked
// supervisor costs.
const tidyDelay = 3 * time.Second

// logNameMax is the longest entry name for which the reference looks
// for NAME/log: a longer entry never has a logger.
const logNameMax = 255

// devIno identifies a service directory, as the reference's svscan does:
// by what stat(2) says, so two names for one directory are one service.
type devIno struct{ dev, ino uint64 }

// entry is one service directory found by the scanner.
type entry struct {
	name   string
	active bool
	hasLog bool
	// pipe connects the service's stdout to its logger's stdin. The
	// scanner holds both ends for the entry's whole life, so neither a
	// restart of the service nor one of the logger loses a line.
	pipe [2]int
	main *Supervisor
	log  *Supervisor
}

// Scanner is svscan: it runs a Supervisor for every subdirectory of the
// directory it scans, and one for SUB/log when that exists, all in this
// process. It must be used from the directory it scans (svscan chdirs
// there first), because every name it prints and passes on is relative
// to it, as the reference's are.
type Scanner struct {
	entries map[devIno]*entry
	// stdio is what services and loggers inherit besides the log pipe.
	stdio [3]int

	dirbuf  []byte   // Scan's directory buffer
	watch   *os.File // inotify descriptor, nil without inotify
	rescan  chan struct{}
	watched chan struct{}
	ended   chan int // the exit code of the first svscan-exit service to end

	// Timeout is how long the shutdown on SIGTERM or SIGINT waits for
	// services and loggers to end before it kills what is left.
	Timeout time.Duration
	// Report hears svscan's own failures (a directory it cannot read,
	// an entry it cannot stat); Supervise hears those of the
	// supervisors it runs, which the reference's supervise processes
	// would print. A crash of one of those supervisors is svscan's to
	// report. Nil is silent.
	Report, Supervise Reporter
	// Exe and Argv are what SIGUSR2 execs for a live upgrade (see
	// Upgrade): the executable as it was found when svscan started,
	// so that a file installed over it takes over, and svscan's
	// arguments. Without Exe, USR2 does nothing.
	Exe  string
	Argv []string
}

// DefaultTimeout is the shutdown's default Timeout.
const DefaultTimeout = 10 * time.Second

// NewScanner prepares a scanner of the current directory.
func NewScanner() *Scanner {
	return &Scanner{
		entries: make(map[devIno]*entry),
		stdio:   [3]int{0, 1, 2},
		rescan:  make(chan struct{}, 1),
		watched: make(chan struct{}, 1),
		ended:   make(chan int, 1),
		Timeout: DefaultTimeout,
	}
}

// Rescan asks Run to scan at once.
func (sc *Scanner) Rescan() {
	select {
	case sc.rescan <- struct{}{}:
	default:
	}
}

// Run scans now and then: every ScanInterval, on SIGHUP or SIGALRM (the
// reference dies of either; rescanning is what a user who sends them
// means), and shortly after a new entry appears in the directory when
// inotify is available. On SIGTERM or SIGINT (and, as PID 1, SIGQUIT
// and SIGPWR) it shuts the tree down in order and returns 0; see
// shutdown. When a service with svscan-exit ends for good, it shuts
// the tree down the same way and returns that service's exit code.
//
// Every signal it handles is caught with signal.Notify, never ignored:
// an ignored signal would stay ignored in every service.
func (sc *Scanner) Run() int {
	sigs := CatchSignals()
	sc.startWatch()
	timer := time.NewTimer(0)
	var settle, tidy <-chan time.Time
	fromWatch := false
	for {
		select {
		case <-timer.C:
			fromWatch = false
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPWR:
				sc.shutdown(sigs)
				return 0
			case syscall.SIGUSR1:
				continue
			case syscall.SIGUSR2:
				if sc.Exe != "" {
					if err := sc.Upgrade(sc.Exe, sc.Argv); err != nil {
						sc.report().Warn("unable to upgrade to "+sc.Exe, err)
					}
				}
				continue
			}
			fromWatch = false
		case <-sc.rescan:
			fromWatch = false
		case code := <-sc.ended:
			sc.shutdown(sigs)
			return code
		case <-sc.watched:
			if settle == nil {
				settle = time.After(watchSettle)
			}
			continue
		case <-settle:
			fromWatch = true
		case <-tidy:
			tidy = nil
			debug.FreeOSMemory()
			TuneGC()
			dropText()
			continue
		}
		settle = nil
		if sc.Scan(fromWatch) > 0 {
			tidy = time.After(tidyDelay)
		}
		timer.Reset(ScanInterval)
	}
}

// Scan is one pass of the reference's svscan. fromWatch marks a scan
// prompted by a directory event: it picks up only new services that
// already have a run file, so that a directory still being filled in
// (its log/ not made yet, which is looked for only once) is left for the
// periodic scan, exactly as the reference would find it.
func (sc *Scanner) Scan(fromWatch bool) (launched int) {
	for _, e := range sc.entries {
		e.reap()
		e.active = false
	}
	// The directory is read into one buffer kept for svscan's life and
	// the names are passed to stat(2) where they lie, so that a scan of
	// services already running allocates nothing: a parked tree makes
	// no garbage, and its memory stays where it settled.
	fd, err := openDot()
	if err != nil {
		sc.report().Warn("unable to read directory", err)
		return 0
	}
	defer unix.Close(fd)
	if sc.dirbuf == nil {
		sc.dirbuf = make([]byte, dirbufSize)
	}
	for {
		n, err := unix.Getdents(fd, sc.dirbuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// As the reference: the entries read so far are started,
			// and nothing is forgotten on a partial read.
			sc.report().Warn("unable to read directory", err)
			return launched
		}
		if n <= 0 {
			break
		}
		for b := sc.dirbuf[:n]; len(b) >= direntName; {
			reclen := int(*(*uint16)(unsafe.Pointer(&b[direntReclen])))
			if reclen < direntName || reclen > len(b) {
				break
			}
			name := b[direntName:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				launched += sc.start(name[:i+1], fromWatch)
			}
			b = b[reclen:]
		}
	}
	for k, e := range sc.entries {
		if !e.active && e.main == nil && e.log == nil {
			e.closePipe()
			delete(sc.entries, k)
		}
	}
	return launched
}

// Offsets in a struct linux_dirent64: d_ino (8 bytes), d_off (8),
// d_reclen (2), d_type (1), then the name and its NUL.
const (
	direntReclen = 16
	direntName   = 19
	dirbufSize   = 8192
)

// reap forgets supervisors that have finished (after `svc -x`), so that
// the scan starts new ones, as the reference restarts a supervise that
// exited.
func (e *entry) reap() {
	if e.main != nil && isDone(e.main) {
		e.main = nil
	}
	if e.log != nil && isDone(e.log) {
		e.log = nil
	}
}

func isDone(s *Supervisor) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func (e *entry) closePipe() {
	if e.hasLog {
		unix.Close(e.pipe[0])
		if e.pipe[1] >= 0 {
			unix.Close(e.pipe[1])
		}
		e.hasLog = false
	}
}

// start handles one name from the directory; cname ends with its NUL.
func (sc *Scanner) start(cname []byte, fromWatch bool) (launched int) {
	if len(cname) < 2 || cname[0] == '.' {
		return 0
	}
	var st unix.Stat_t
	if err := statz(cname, &st); err != nil {
		sc.report().Warn("unable to stat "+string(cname[:len(cname)-1]), err)
		return 0
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0
	}
	key := devIno{uint64(st.Dev), st.Ino}
	e := sc.entries[key]
	if e != nil && e.main != nil && (!e.hasLog || e.log != nil) {
		e.active = true // the usual case, and allocation-free
		return 0
	}
	// Supervisors start under the name found now, as the reference's
	// do, even for a directory known by another name before.
	name := string(cname[:len(cname)-1])
	if e == nil {
		if fromWatch {
			if err := unix.Access(name+"/run", unix.F_OK); err != nil {
				return 0
			}
		}
		e = &entry{name: name}
		if len(name) <= logNameMax {
			err := unix.Stat(name+"/log", &st)
			if err == nil {
				e.hasLog = true
			} else if err != unix.ENOENT {
				sc.report().Warn("unable to stat "+name+"/log", err)
				return 0
			}
		}
		if e.hasLog {
			// After svscan was killed outright, the service or its
			// logger may live on: keep them on the pipe they share.
			if p, ok := survivingPipe(name); ok {
				e.pipe = p
			} else if err := unix.Pipe2(e.pipe[:], unix.O_CLOEXEC); err != nil {
				sc.report().Warn("unable to create pipe for "+name, err)
				return 0
			}
		}
		sc.entries[key] = e
	}
	e.active = true
	if e.main == nil {
		stdio := sc.stdio
		if e.hasLog {
			stdio[1] = e.pipe[1]
		}
		e.main = sc.launch(name, Options{Stdio: stdio[:], StandIn: true, Ended: sc.endTree})
		launched++
	}
	if e.hasLog && e.log == nil {
		stdio := sc.stdio
		stdio[0] = e.pipe[0]
		e.log = sc.launch(name+"/log", Options{Stdio: stdio[:], Display: "log", StandIn: true})
		launched++
	}
	return launched
}

// launch starts a Supervisor as the reference's svscan starts a
// supervise process. A supervise that cannot start prints its fatal
// message and exits; the next scan tries again. So does ours.
func (sc *Scanner) launch(dir string, opt Options) *Supervisor {
	opt.Report, opt.Host = sc.Supervise, sc.report()
	s, err := New(dir, opt)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			orQuiet(sc.Supervise).Fatal(e.Msg, e.Err)
		} else {
			orQuiet(sc.Supervise).Fatal("unable to supervise "+dir, err)
		}
		return nil
	}
	go s.Run()
	return s
}

func (sc *Scanner) report() Reporter { return orQuiet(sc.Report) }

// endTree hears that a service with svscan-exit has ended for good; the
// first one decides the tree's exit code.
func (sc *Scanner) endTree(code int) {
	select {
	case sc.ended <- code:
	default:
	}
}

// startWatch asks inotify for the directory's new entries. Where
// inotify is missing or refuses (some network and FUSE file systems),
// the periodic scan is all there is, as with the reference.
func (sc *Scanner) startWatch() {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return
	}
	if _, err := unix.InotifyAddWatch(fd, ".", unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return
	}
	sc.watch = os.NewFile(uintptr(fd), "inotify")
	go sc.readWatch()
}

// readWatch turns directory events into scan requests. An event for a
// name beginning with '.' (a service being prepared, or disabled) asks
// for nothing. When the watch goes away (the directory was removed or
// its file system unmounted) the periodic scan carries on alone.
func (sc *Scanner) readWatch() {
	buf := make([]byte, 4096)
	for {
		n, err := sc.watch.Read(buf)
		if err != nil {
			sc.watch.Close()
			return
		}
		want := false
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			switch {
			case ev.Mask&unix.IN_IGNORED != 0:
				sc.watch.Close()
				return
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				want = true
			case len(name) > 0 && name[0] != '.':
				want = true
			}
		}
		if want {
			select {
			case sc.watched <- struct{}{}:
			default:
			}
		}
	}
}
