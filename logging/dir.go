package logging

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

const (
	oAppend = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_APPEND | unix.O_CREAT | unix.O_CLOEXEC
	oTrunc  = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_TRUNC | unix.O_CREAT | unix.O_CLOEXEC
	oRead   = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	oWrite  = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
)

// logDir is one automatically rotated log directory: its files here,
// the model of the reference's buffer in dirbuf.go, its processor in
// processor.go. It shares only the host with its Logger.
type logDir struct {
	h        *host
	cfg      DirConfig
	name     string // as written in the script, for messages
	fd       int    // the directory
	lock     int
	cur      int    // current
	bytes    uint64 // current's size as the reference counts it
	selected bool
	procDir  string // the processor's working directory

	// The batch and the model over it (dirbuf.go).
	buf     []byte
	written int
	vstart  int
	dirty   int // bytes written to current since writeback was last started

	// The extension words. mu is held while the names of old files
	// change, by finish and by the janitor (janitor.go), which is nil
	// without z, S or X. first is when current's first line came, for
	// R (age.go).
	mu       sync.Mutex
	jan      *janitor
	names    []string // readdir's result, reused
	first    time.Duration
	hasFirst bool
}

// openDir prepares a log directory as the reference's restart does:
// create, lock, and either resume a cleanly finished current or salvage
// what an interrupted run left. Every failure here is fatal. The
// script's paths are relative to start.
func openDir(h *host, cfg DirConfig, start int) (*logDir, error) {
	d := &logDir{h: h, cfg: cfg, name: cfg.Path, fd: -1, lock: -1, cur: -1}
	fail := func(msg string, err error) (*logDir, error) {
		h.note(err)
		d.close()
		return nil, &Error{Msg: msg, Err: err}
	}
	h.note(unix.Mkdirat(start, cfg.Path, 0o700))
	fd, err := unix.Openat(start, cfg.Path, oRead, 0)
	if err == unix.ENOENT && mkdirLinkTarget(start, cfg.Path) {
		fd, err = unix.Openat(start, cfg.Path, oRead, 0)
	}
	if err != nil {
		return fail("unable to open directory "+d.name, err)
	}
	d.fd = fd
	// The reference fchdirs into the directory: that fails for anything
	// that is not a searchable directory.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fail("unable to open directory "+d.name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fail("unable to open directory "+d.name, unix.ENOTDIR)
	}
	if err := unix.Faccessat(fd, ".", unix.X_OK, unix.AT_EACCESS); err != nil {
		return fail("unable to open directory "+d.name, err)
	}
	d.procDir = processorDir(fd, start, cfg.Path)

	lock, err := unix.Openat(fd, "lock", oAppend, 0o600)
	if err != nil {
		return fail("unable to lock directory "+d.name, err)
	}
	d.lock = lock
	if err := flock(lock); err != nil {
		return fail("unable to lock directory "+d.name, err)
	}
	// openCurrent opens current for appending, with mode 0644. verb is
	// how the reference's message names the open: "append to" when it
	// resumes a current, "write to" for a new one.
	openCurrent := func(verb string) (*logDir, error) {
		cur, err := unix.Openat(fd, "current", oAppend, 0o600)
		if err != nil {
			return fail("unable to "+verb+" "+d.name+"/current", err)
		}
		d.cur = cur
		if err := unix.Fchmod(cur, 0o644); err != nil {
			return fail("unable to set mode of "+d.name+"/current", err)
		}
		return d, nil
	}

	if err := unix.Fstatat(fd, "current", &st, 0); err != nil {
		h.note(err)
		if err != unix.ENOENT {
			return fail("unable to stat "+d.name+"/current", err)
		}
	} else if st.Mode&0o100 != 0 {
		d.bytes = uint64(st.Size)
		return openCurrent("append to")
	}

	h.note(unix.Unlinkat(fd, "state", 0))
	h.note(unix.Unlinkat(fd, "newstate", 0))
	processed := false
	if err := unix.Fstatat(fd, "processed", &st, 0); err != nil {
		h.note(err)
		if err != unix.ENOENT {
			return fail("unable to stat "+d.name+"/processed", err)
		}
	} else if st.Mode&0o100 != 0 {
		processed = true
	}
	if processed {
		h.note(unix.Unlinkat(fd, "previous", 0))
		d.finish("processed", 's')
	} else {
		h.note(unix.Unlinkat(fd, "processed", 0))
		d.finish("previous", 'u')
	}
	d.finish("current", 'u')

	state, err := unix.Openat(fd, "state", oTrunc, 0o644)
	if err != nil {
		return fail("unable to write to "+d.name+"/state", err)
	}
	unix.Close(state)
	return openCurrent("write to")
}

// mkdirLinkTarget makes the directory a dangling symbolic link at path
// points to, one level only, and reports whether it did: a log
// directory named from a read-only service directory can then live in
// a writable one (a tmpfs, a pod's emptyDir) that starts empty, as
// Debian's supervise makes the target of a dangling supervise link.
// The reference's multilog fails on such a link.
func mkdirLinkTarget(start int, path string) bool {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(start, path, buf)
	if err != nil || n == 0 {
		return false
	}
	target := string(buf[:n])
	if target[0] != '/' {
		// Relative to the directory that holds the link.
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			target = path[:i+1] + target
		}
	}
	return unix.Mkdirat(start, target, 0o700) == nil
}

func flock(fd int) error {
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			return err
		}
	}
}

// processorDir names the directory for the processor's chdir, which
// happens in the child: through /proc when it is mounted, so that it is
// the directory we hold open, else by absolute path.
func processorDir(fd, start int, path string) string {
	if _, err := os.Stat("/proc/self/fd"); err == nil {
		return "/proc/self/fd/" + strconv.Itoa(fd)
	}
	if strings.HasPrefix(path, "/") {
		return path
	}
	if wd, err := os.Getwd(); err == nil {
		return wd + "/" + path
	}
	return path
}

func (d *logDir) close() {
	for _, p := range []*int{&d.cur, &d.lock, &d.fd} {
		if *p >= 0 {
			unix.Close(*p)
			*p = -1
		}
	}
}

// finish gives file its final name: @<now>.<code>, then keeps at most
// Num-1 such names.
func (d *logDir) finish(file string, code byte) {
	if d.jan != nil {
		d.mu.Lock()
		defer d.jan.poke()
		defer d.mu.Unlock()
	}
	var st unix.Stat_t
	missing := false
	d.h.retry(func() string { return "unable to stat " + d.name + "/" + file }, func() error {
		err := unix.Fstatat(d.fd, file, &st, 0)
		if err == unix.ENOENT {
			d.h.note(err)
			missing = true
			return nil
		}
		return err
	})
	if missing {
		return
	}
	if st.Nlink == 1 {
		// The name is made anew for each try, in an array: the message
		// names the try that failed, and building it allocates nothing.
		var name [timefmt.LabelSize + 2]byte
		d.h.retry(func() string { return "unable to link to " + d.name + "/" + string(name[:]) }, func() error {
			label := timefmt.Now().Label()
			copy(name[:], label[:])
			name[timefmt.LabelSize] = '.'
			name[timefmt.LabelSize+1] = code
			return unix.Linkat(d.fd, file, d.fd, string(name[:]), 0)
		})
	}
	d.h.retry(func() string { return "unable to remove " + d.name + "/" + file }, func() error {
		return unix.Unlinkat(d.fd, file, 0)
	})
	failed := ""
	known := -1 // old files counted by the last look, while still valid
	d.h.retry(func() string {
		if failed != "" {
			return "unable to remove " + d.name + "/" + failed
		}
		return "unable to read " + d.name
	}, func() error {
		for {
			fits, name, err := d.filesfit(&known)
			if fits {
				return nil
			}
			if err != nil {
				failed = name
				return err
			}
		}
	})
}

// filesfit removes the oldest old file when there are Num or more. Old
// files are the names that start with '@' and are at least 25 bytes
// long; the oldest is the one whose first 25 bytes sort lowest, and the
// first name in directory order with that prefix goes. It reports
// whether the files fit; a failed removal names the file.
//
// The reference reads the directory once to count and once more to
// find the name to remove, and reads it again after each removal; one
// pass finds both, and after a removal the count it leaves (*known)
// says whether another is needed, so a rotation reads the directory
// once.
func (d *logDir) filesfit(known *int) (fits bool, failed string, err error) {
	if *known >= 0 && uint64(*known) < d.cfg.Num {
		return true, "", nil
	}
	names, err := d.readdir()
	if err != nil {
		*known = -1
		return false, "", err
	}
	oldest, victim, firstZ := "@z", "", ""
	count := uint64(0)
	for _, n := range names {
		if len(n) >= 25 && n[0] == '@' {
			count++
			if n < oldest {
				oldest, victim = n[:25], n
			} else if firstZ == "" && strings.HasPrefix(n, "@z") {
				firstZ = n
			}
		}
	}
	if victim == "" {
		victim = firstZ // no name sorts below "@z": the first of those goes
	}
	d.h.errno = 0 // the reference clears errno around readdir
	if count < d.cfg.Num {
		return true, "", nil
	}
	*known = -1
	if victim == "" {
		return false, "", nil
	}
	// The reference ignores a failed unlink here and spins; we report
	// it and pause like every other failure.
	if err := unix.Unlinkat(d.fd, victim, 0); err != nil {
		return false, victim, err
	}
	*known = int(count - 1)
	return false, "", nil
}

// direntBufs are readdir's buffers, shared by every directory: a
// directory is read only at a rotation.
var direntBufs = sync.Pool{New: func() any { return new([8 << 10]byte) }}

// readdir lists the directory through its descriptor (the reference
// reads it afresh each time: so does this, from the start). Callers
// that may run beside the janitor hold mu, which keeps the offset ours.
func (d *logDir) readdir() ([]string, error) {
	if _, err := unix.Seek(d.fd, 0, io.SeekStart); err != nil {
		return nil, err
	}
	dents := direntBufs.Get().(*[8 << 10]byte)
	defer direntBufs.Put(dents)
	names := d.names[:0]
	for {
		n, err := unix.Getdents(d.fd, dents[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(dents[:n], -1, names)
	}
	d.names = names
	return names, nil
}

// rotate is the reference's fullcurrent: current, synced to disk, becomes
// previous, a new current is created, and previous is finished directly
// or through the processor. Every step retries until it works.
func (d *logDir) rotate() {
	d.hasFirst = false
	d.syncCurrent()
	unix.Close(d.cur)
	d.cur = -1
	d.h.retry(func() string { return "unable to rename current to previous in directory " + d.name }, func() error {
		return unix.Renameat(d.fd, "current", d.fd, "previous")
	})
	d.h.retry(func() string { return "unable to create " + d.name + "/current" }, func() error {
		fd, err := unix.Openat(d.fd, "current", oAppend, 0o600)
		if err == nil {
			d.cur = fd
		}
		return err
	})
	d.bytes = 0
	d.chmodCurrent(0o644)
	d.h.retry(func() string { return "unable to set mode of " + d.name + "/previous" }, func() error {
		return unix.Fchmodat(d.fd, "previous", 0o744, 0)
	})
	if !d.cfg.HasProcessor {
		d.finish("previous", 's')
		return
	}
	d.runProcessor()
}

// quit is the reference's end: flush, sync, and mark current as
// finished cleanly with mode 0744.
func (d *logDir) quit() {
	d.flush()
	d.syncCurrent()
	d.chmodCurrent(0o744)
}

func (d *logDir) syncCurrent() {
	d.h.retry(func() string { return "unable to write " + d.name + "/current to disk" }, func() error {
		return d.h.sync(d.cur)
	})
}

func (d *logDir) chmodCurrent(mode uint32) {
	d.h.retry(func() string { return "unable to set mode of " + d.name + "/current" }, func() error {
		return unix.Fchmod(d.cur, mode)
	})
}
