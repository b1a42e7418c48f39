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
// supervisor costs. The scan that creates them ends before their
// starts do (a thousand services take seconds to fork), so past
// tidyDelay the tidy waits for a tidyQuiet without any work for the
// worker (offload), at most tidyWaits times: a tree where some service
// crash-loops never goes quiet (and a thousand starts took half a
// minute on a loaded machine).
const (
	tidyDelay = 3 * time.Second
	tidyQuiet = time.Second
	tidyWaits = 60
)

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

	dirbuf []byte   // Scan's directory buffer
	watch  *os.File // inotify descriptor, nil without inotify
	// starved holds the services whose supervisors could not be
	// started for want of descriptors (see nofile.go), until they are.
	starved map[devIno]*starvation
	// fds is the descriptor count of the scan under way: open
	// (counted at its first start, -1 until then, -2 when it cannot
	// be counted) and the soft limit.
	fds struct {
		open  int
		limit uint64
	}
	// starvedOnly makes a scan try only the starved services: one
	// made because descriptors were freed or a retry is due restarts
	// no supervisor that has exited (after svc -x the reference's
	// svscan restarts it at its next scan, up to 5 seconds later, and
	// so does ours).
	starvedOnly bool
	// unreadable says the last scan could not read the directory:
	// until one can, the services waiting for descriptors are tried
	// with the periodic scans, so that it is said once a scan, as the
	// reference says it, not at every try of a waiting service.
	unreadable bool
	rescan     chan struct{}
	watched    chan struct{}
	ended      chan int // the exit code of the first svscan-exit service to end

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
		starved: make(map[devIno]*starvation),
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
	// Every thread the tree will need, made while processes are to
	// be had (threads.go).
	warmThreads()
	sc.startWatch()
	timer := time.NewTimer(0)
	var settle, tidy, retry <-chan time.Time
	var tidyMark uint64 // offloads when the tidy was last put off
	waits := 0
	var freedC <-chan struct{}
	fromWatch := false
	for {
		sc.starvedOnly = false
		select {
		case <-timer.C:
			fromWatch = false
		case <-retry:
			// A service that found no descriptors is due again.
			fromWatch, sc.starvedOnly = false, true
		case <-freedC:
			// Descriptors were freed: every service waiting for some
			// is tried again now.
			for _, w := range sc.starved {
				w.until = time.Time{}
			}
			fromWatch, sc.starvedOnly = false, true
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
			if n := offloads.Load(); n != tidyMark && waits < tidyWaits {
				// Starts still going on.
				tidyMark, waits = n, waits+1
				tidy = time.After(tidyQuiet)
				continue
			}
			tidy = nil
			debug.FreeOSMemory()
			TuneGC()
			dropText()
			continue
		}
		settle = nil
		if sc.Scan(fromWatch) > 0 {
			tidy, tidyMark, waits = time.After(tidyDelay), offloads.Load(), 0
		}
		if !sc.starvedOnly {
			timer.Reset(ScanInterval)
		}
		retry, freedC = nil, nil
		if len(sc.starved) > 0 && !sc.unreadable {
			retry, freedC = time.After(sc.nextTry()), freedNews()
		}
		// Statuses a supervisor could not write for want of
		// descriptors are tried again at each scan, at the latest.
		retryStale()
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
	for _, w := range sc.starved {
		w.seen = false
	}
	sc.fds.open = -1
	sc.unreadable = false
	// The directory is read into one buffer kept for svscan's life and
	// the names are passed to stat(2) where they lie, so that a scan of
	// services already running allocates nothing: a parked tree makes
	// no garbage, and its memory stays where it settled.
	fd, err := openDot()
	if err != nil {
		sc.report().Warn("unable to read directory", err)
		sc.unreadable = true
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
			sc.unreadable = true
			return launched
		}
		if n <= 0 {
			break
		}
		for b := sc.dirbuf[:n]; ; {
			name, rest, ok := nextDirent(b)
			if !ok {
				break
			}
			if name != nil {
				launched += sc.start(name, fromWatch)
			}
			b = rest
		}
	}
	for k, e := range sc.entries {
		if !e.active && e.main == nil && e.log == nil {
			e.closePipe()
			delete(sc.entries, k)
		}
	}
	for k, w := range sc.starved {
		if !w.seen {
			delete(sc.starved, k) // gone from the directory
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

// nextDirent splits the first struct linux_dirent64 off b: its name
// with the NUL that ends it (nil when it has none), and the rest. ok is
// false at the end of b or at a record that does not fit in it.
func nextDirent(b []byte) (name, rest []byte, ok bool) {
	if len(b) < direntName {
		return nil, nil, false
	}
	reclen := int(*(*uint16)(unsafe.Pointer(&b[direntReclen])))
	if reclen < direntName || reclen > len(b) {
		return nil, nil, false
	}
	name = b[direntName:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i+1]
	} else {
		name = nil
	}
	return name, b[reclen:], true
}

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
		fdsFreed()
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
	if e != nil {
		e.active = true
	}
	w := sc.starved[key]
	if sc.starvedOnly && w == nil {
		return 0
	}
	if w != nil {
		w.seen = true
		if time.Now().Before(w.until) {
			return 0 // waiting for descriptors
		}
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
		need := supervisorFDs
		if e.hasLog {
			need += pipeFDs + supervisorFDs
		}
		if !sc.admit(need) {
			sc.starve(key, name, syscall.EMFILE)
			return 0
		}
		if e.hasLog {
			// After svscan was killed outright, the service or its
			// logger may live on: keep them on the pipe they share.
			if p, ok := survivingPipe(name); ok {
				e.pipe = p
			} else if err := unix.Pipe2(e.pipe[:], unix.O_CLOEXEC); err != nil {
				if isNoFiles(err) {
					sc.starve(key, name, err)
				} else {
					sc.report().Warn("unable to create pipe for "+name, err)
				}
				return 0
			}
		}
		sc.entries[key] = e
	} else {
		need := 0
		if e.main == nil {
			need += supervisorFDs
		}
		if e.hasLog && e.log == nil {
			need += supervisorFDs
		}
		if !sc.admit(need) {
			if e.main == nil {
				sc.starve(key, name, syscall.EMFILE)
			} else {
				sc.starve(key, name+"/log", syscall.EMFILE)
			}
			return 0
		}
	}
	e.active = true
	starved := false
	if e.main == nil {
		stdio := sc.stdio
		if e.hasLog {
			stdio[1] = e.pipe[1]
		}
		var err error
		e.main, err = sc.launch(name, Options{Stdio: stdio[:], StandIn: true, Ended: sc.endTree})
		if e.main != nil {
			launched++
		} else if isNoFiles(err) {
			sc.starve(key, name, err)
			starved = true
		}
	}
	if e.hasLog && e.log == nil && !starved {
		stdio := sc.stdio
		stdio[0] = e.pipe[0]
		var err error
		e.log, err = sc.launch(name+"/log", Options{Stdio: stdio[:], Display: "log", StandIn: true})
		if e.log != nil {
			launched++
		} else if isNoFiles(err) {
			sc.starve(key, name+"/log", err)
			starved = true
		}
	}
	if !starved && w != nil && e.main != nil && (!e.hasLog || e.log != nil) {
		delete(sc.starved, key)
	}
	return launched
}

// launch starts a Supervisor as the reference's svscan starts a
// supervise process. A supervise that cannot start prints its fatal
// message and exits; the next scan tries again. So does ours, except
// when what it lacked was descriptors: then the caller says so, once a
// minute, and tries again as descriptors come free (see starve).
func (sc *Scanner) launch(dir string, opt Options) (*Supervisor, error) {
	opt.Report, opt.Host = sc.Supervise, sc.report()
	s, err := New(dir, opt)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			if isNoFiles(e.Err) {
				return nil, e.Err
			}
			orQuiet(sc.Supervise).Fatal(e.Msg, e.Err)
		} else {
			orQuiet(sc.Supervise).Fatal("unable to supervise "+dir, err)
		}
		return nil, err
	}
	go s.Run()
	return s, nil
}

// starvation is a service whose supervisors could not be started for
// want of descriptors: how many tries in a row failed, when it is tried
// again (sooner when descriptors are freed), when it was last warned
// about, and whether this scan saw its directory.
type starvation struct {
	tries  int
	until  time.Time
	warned time.Time
	seen   bool
}

// admit says whether need more descriptors fit beside the reserve
// (fdReserve), raising the limit if it must and can. The descriptors
// are counted once per scan, then the starts of the scan are added up.
func (sc *Scanner) admit(need int) bool {
	if sc.fds.open == -1 {
		sc.fds.open, sc.fds.limit = openFDs(), softLimit()
		if sc.fds.open < 0 {
			sc.fds.open = -2
		}
	}
	if sc.fds.open < 0 || need == 0 {
		return true // no /proc to count with: the opens will tell
	}
	want := uint64(sc.fds.open + need + fdReserve(sc.fds.limit))
	if want > sc.fds.limit {
		if !growNofile(want) {
			return false
		}
		sc.fds.limit = softLimit()
	}
	sc.fds.open += need
	return true
}

// starve records that the service (or its log, as name says) could not
// start for want of descriptors: it is tried again after a growing
// delay (starvedDelay), or as soon as descriptors are freed, and the
// reference's warning is given at most once a minute.
func (sc *Scanner) starve(key devIno, name string, err error) {
	w := sc.starved[key]
	if w == nil {
		w = &starvation{}
		sc.starved[key] = w
	}
	w.seen = true
	w.tries++
	now := time.Now()
	w.until = now.Add(starvedDelay(w.tries))
	if w.warned.IsZero() || now.Sub(w.warned) >= starvedWarnEvery {
		w.warned = now
		sc.report().Warn("unable to start supervise "+name, err)
	}
}

// nextTry is how long until the first starved service is due.
func (sc *Scanner) nextTry() time.Duration {
	var first time.Time
	for _, w := range sc.starved {
		if first.IsZero() || w.until.Before(first) {
			first = w.until
		}
	}
	return max(time.Until(first), 0)
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
