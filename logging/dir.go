package logging

import (
	"os"
	"strconv"
	"strings"

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
	d.h.retry(func() string {
		if failed != "" {
			return "unable to remove " + d.name + "/" + failed
		}
		return "unable to read " + d.name
	}, func() error {
		for {
			fits, name, err := d.filesfit()
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
func (d *logDir) filesfit() (fits bool, failed string, err error) {
	names, err := d.readdir()
	if err != nil {
		return false, "", err
	}
	oldest := "@z"
	count := uint64(0)
	for _, n := range names {
		if len(n) >= 25 && n[0] == '@' {
			count++
			if n < oldest {
				oldest = n[:25]
			}
		}
	}
	d.h.errno = 0 // the reference clears errno around readdir
	if count < d.cfg.Num {
		return true, "", nil
	}
	names, err = d.readdir()
	if err != nil {
		return false, "", err
	}
	for _, n := range names {
		if len(n) >= 25 && strings.HasPrefix(n, oldest) {
			// The reference ignores a failed unlink here and spins; we
			// report it and pause like every other failure.
			if err := unix.Unlinkat(d.fd, n, 0); err != nil {
				return false, n, err
			}
			break
		}
	}
	return false, "", nil
}

func (d *logDir) readdir() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), d.name)
	defer f.Close()
	return f.Readdirnames(-1)
}

// rotate is the reference's fullcurrent: current, synced to disk, becomes
// previous, a new current is created, and previous is finished directly
// or through the processor. Every step retries until it works.
func (d *logDir) rotate() {
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
