package supervision

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/privs"
	"golang.org/x/sys/unix"
)

// Descriptors are the one resource every supervisor in svscan shares
// where the reference's supervise processes each had a table of their
// own: a supervisor holds four (its directory, its lock, the control
// FIFO, the ok FIFO), a logged service two more for its pipe, and each
// status write, start and scan needs one or two for a moment. So svscan
// keeps count (admit), raises its own open-files limit when it may and
// must (growNofile), and when descriptors still run out it says so once
// a minute per service and tries again with a growing delay, or at once
// when descriptors are freed (starved, fdsFreed).
//
// Raising the limit must not change the services': each still starts
// with exactly the limit svscan inherited. While svscan's limit is the
// one the Go runtime set at start-up, the runtime's own bookkeeping
// gives every child the inherited soft limit back. Once svscan has
// raised its hard limit nothing in ForkExec can lower a child's, so from
// then on every child ForkExec starts goes through the trampoline
// (privs), which sets the inherited limit and execs the program before
// any of it runs. The child that execs ./run (quickfork.go) sets the
// limit itself.

type nofileState struct {
	// mu is held by growNofile, and by the spawner from its look at
	// raised to the end of the fork, so that no child is forked with
	// a raised limit and without the inherited one to set.
	mu        sync.Mutex
	inherited syscall.Rlimit // what every child must start with
	known     bool           // inherited has been learnt
	raised    bool           // children go through the trampoline
	cannot    bool           // raising failed: not tried again
}

var nofile nofileState

// nrOpenPath is the kernel's ceiling on any process's open-files limit.
const nrOpenPath = "/proc/sys/fs/nr_open"

// nrOpen reads the kernel's ceiling; 1048576 (the kernel's default)
// when it cannot be read.
func nrOpen() uint64 {
	b, err := os.ReadFile(nrOpenPath)
	if err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return n
		}
	}
	return 1 << 20
}

// capSysResource is CAP_SYS_RESOURCE's bit in CapEff: what raising a
// hard limit takes.
const capSysResource = 24

// mayRaise reports whether this process may raise its hard limits.
func mayRaise() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<capSysResource) != 0
		}
	}
	return false
}

// softLimit is the open-files limit svscan's own opens are held to.
func softLimit() uint64 {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	return lim.Cur
}

// growNofile raises svscan's open-files limit to at least need if it
// can: to twice what it was or to need, whichever is more. A process
// with CAP_SYS_RESOURCE (root, as a rule) raises the hard limit with
// the soft one, up to the kernel's nr_open; any other can only take the
// soft limit up to the hard one (the Go runtime stopped one short of
// it). It reports whether the limit is now at least need. The
// trampoline that then starts every child needs /proc/self/exe, so
// without /proc the limit stays as it is.
func growNofile(need uint64) bool {
	nofile.mu.Lock()
	defer nofile.mu.Unlock()
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil {
		return false
	}
	if need <= lim.Cur {
		return true
	}
	if nofile.cannot {
		return false
	}
	ceiling := lim.Max
	if mayRaise() {
		ceiling = max(nrOpen(), lim.Max)
	}
	if lim.Cur >= ceiling || !procSelfFD() {
		nofile.cannot = true
		return false
	}
	target := min(max(need, 2*lim.Cur), ceiling)
	if !nofile.known {
		_, captured := privs.StartNofile()
		nofile.inherited = privs.InheritedNofile()
		nofile.known = true
		if !captured {
			// Asking the runtime spent its own restoring in children
			// (and put its soft limit back): from now on they need
			// the trampoline whatever happens below.
			nofile.raised = true
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
	}
	// Set before the limit changes: a child forked from here on is
	// started through the trampoline (the spawner holds mu).
	nofile.raised = true
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: target, Max: max(target, lim.Max)}); err != nil {
		// No privilege after all (root in a user namespace).
		nofile.cannot = true
		return false
	}
	return target >= need
}

// HandoverNofileEnv names the variable in which a live upgrade's exec
// tells the new svscan the open-files limit the old one inherited
// ("CUR MAX"), when the old one had raised its own. The raised limit
// stays across the exec, since the tree's descriptors do, and the new
// svscan starts its children with the inherited one, as the old did.
const HandoverNofileEnv = "DAEMONTOOLS_HANDOVER_NOFILE"

// nofileHandover is the variable's value, and false when the limit was
// never raised (the runtime's own restoring then gives the new svscan
// the inherited limit, as any exec).
func nofileHandover() (string, bool) {
	nofile.mu.Lock()
	defer nofile.mu.Unlock()
	if !nofile.raised || !nofile.known {
		return "", false
	}
	return strconv.FormatUint(nofile.inherited.Cur, 10) + " " + strconv.FormatUint(nofile.inherited.Max, 10), true
}

// resumeNofile is the new svscan's side.
func resumeNofile() {
	v, ok := syscall.Getenv(HandoverNofileEnv)
	if !ok {
		return
	}
	os.Unsetenv(HandoverNofileEnv)
	c, m, _ := strings.Cut(v, " ")
	cur, err1 := strconv.ParseUint(c, 10, 64)
	max, err2 := strconv.ParseUint(m, 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	nofile.mu.Lock()
	nofile.inherited = syscall.Rlimit{Cur: cur, Max: max}
	nofile.known = true
	nofile.raised = lim != nofile.inherited
	nofile.mu.Unlock()
}

// trampoline returns how the spawner must start path with argv: as is
// (false), or through the trampoline, under the inherited limit. The
// caller holds nofile.mu.
func (n *nofileState) trampoline() (syscall.Rlimit, bool) {
	return n.inherited, n.raised
}

// openFDs counts this process's open descriptors: the size the kernel
// gives /proc/self/fd (since Linux 6.2), or its entries; -1 when
// neither can be read (no /proc).
func openFDs() int {
	var st unix.Stat_t
	if unix.Stat("/proc/self/fd", &st) != nil {
		return -1
	}
	if st.Size > 0 {
		return int(st.Size)
	}
	fd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	defer unix.Close(fd)
	buf := make([]byte, 8192)
	n := 0
	for {
		got, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || got <= 0 {
			break
		}
		for b := buf[:got]; ; {
			name, rest, ok := nextDirent(b)
			if !ok {
				break
			}
			if len(name) > 0 && name[0] != '.' {
				n++
			}
			b = rest
		}
	}
	return n + 1 // the one just opened to count them is closed again
}

// fdReserve is how many descriptors svscan keeps free, under a soft
// limit of lim, for what the running supervisors need for a moment (a
// status write, a start's pipes, a scan of the directory, a service's
// readiness pipe): a new supervisor is started only when it leaves
// this many.
func fdReserve(lim uint64) int { return 8 + int(lim/64) }

// Costs in descriptors: a supervisor holds four, a log pipe two.
const (
	supervisorFDs = 4
	pipeFDs       = 2
)

// isNoFiles says whether err is a lack of descriptors: the process's
// (EMFILE) or the system's (ENFILE).
func isNoFiles(err error) bool {
	return err == syscall.EMFILE || err == syscall.ENFILE
}

// fdsFreed is the news that descriptors have been given back (a
// supervisor ended, a log pipe was closed, the limit was raised): what
// waits for descriptors tries again at once. freedNews returns a
// channel that is closed at the next such news.
var freed struct {
	mu sync.Mutex
	ch chan struct{}
}

func freedNews() <-chan struct{} {
	freed.mu.Lock()
	defer freed.mu.Unlock()
	if freed.ch == nil {
		freed.ch = make(chan struct{})
	}
	return freed.ch
}

func fdsFreed() {
	freed.mu.Lock()
	if freed.ch != nil {
		close(freed.ch)
		freed.ch = nil
	}
	freed.mu.Unlock()
	stale.mu.Lock()
	n := len(stale.set)
	stale.mu.Unlock()
	if n > 0 {
		retryStale()
	}
}

// Starved is the growing delay between tries of something that found
// no descriptors: 1 second, doubling up to a minute.
const (
	starvedMin = time.Second
	starvedMax = time.Minute
)

// starvedDelay is the delay after the tries-th failure in a row (1 for
// the first).
func starvedDelay(tries int) time.Duration {
	d := starvedMin
	for i := 1; i < tries && d < starvedMax; i++ {
		d *= 2
	}
	return min(d, starvedMax)
}

// starvedWarnEvery is the least time between two warnings about the
// same service lacking descriptors.
const starvedWarnEvery = time.Minute

// noFilesWarn reports msg and err, a lack of descriptors, unless this
// Supervisor said so less than starvedWarnEvery ago: a tree short of
// descriptors says so once a minute per service, not at every try.
func (s *Supervisor) noFilesWarn(fatal bool, msg string, err error) {
	sec := uint16(now()/time.Second) + 1
	if s.noFilesW != 0 && time.Duration(sec-s.noFilesW)*time.Second < starvedWarnEvery {
		return
	}
	s.noFilesW = sec
	if sec == 0 {
		s.noFilesW = 1
	}
	if fatal {
		s.report.Fatal(msg, err)
	} else {
		s.report.Warn(msg, err)
	}
}

// starvedPause is the pause after a start that found no descriptors:
// it grows with each such start in a row (starvedDelay), and ends at
// once when descriptors are freed. It waits on a goroutine of its own,
// so that the Supervisor's stays shallow.
//
//go:noinline
func (s *Supervisor) starvedPause() {
	d := starvedDelay(int(s.starve))
	done := make(chan struct{})
	go func() {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-freedNews():
			t.Stop()
		}
		close(done)
	}()
	<-done
}

// The Supervisors whose last status write failed for want of
// descriptors: woken to write it again when descriptors are freed, and
// at every scan of svscan's.
var stale struct {
	mu  sync.Mutex
	set map[*Supervisor]struct{}
}

func markStale(s *Supervisor) {
	s.stale = true
	stale.mu.Lock()
	if stale.set == nil {
		stale.set = make(map[*Supervisor]struct{})
	}
	stale.set[s] = struct{}{}
	stale.mu.Unlock()
}

func forgetStale(s *Supervisor) {
	if !s.stale {
		return
	}
	s.stale = false
	stale.mu.Lock()
	delete(stale.set, s)
	stale.mu.Unlock()
}

// retryStale asks every Supervisor with a status not written to write
// it again.
func retryStale() {
	stale.mu.Lock()
	var list []*Supervisor
	for s := range stale.set {
		list = append(list, s)
	}
	stale.mu.Unlock()
	for _, s := range list {
		s.mu.Lock()
		s.pending |= gotRetry
		s.mu.Unlock()
		s.wake()
	}
}
