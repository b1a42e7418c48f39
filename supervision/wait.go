package supervision

import (
	"errors"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Waiting for a service to reach a state, without polling
// (EXTENSIONS.md §1.5), against any supervisor: ours, Debian's
// supervise and runit's runsv all write supervise/status.new and rename
// it over supervise/status on every change, so an inotify watch on
// DIR/supervise sees each change as IN_MOVED_TO "status" (IN_CLOSE_WRITE
// covers a status written in place). A supervisor that goes away is
// seen through supervise/ok: every one of them holds that FIFO open for
// reading for its whole life, so a write end held open here gets
// POLLERR once the last reader has closed it. One epoll set waits for
// both, with the caller's deadline as its only timeout. Nothing here
// starts a goroutine.

// Goals svc -w waits for, with s6-svc's letters.
const (
	GoalUp        = 'u' // ./run runs
	GoalReady     = 'U' // ./run runs and is ready
	GoalDown      = 'd' // ./run does not run (./finish may)
	GoalSettled   = 'D' // neither ./run nor ./finish runs
	GoalRestarted = 'r' // ./run runs, another run than before
	GoalRestReady = 'R' // as r, and ready
)

// IsGoal reports whether c is one of the goals.
func IsGoal(c byte) bool {
	switch c {
	case GoalUp, GoalReady, GoalDown, GoalSettled, GoalRestarted, GoalRestReady:
		return true
	}
	return false
}

// Reached reports whether st is what goal asks for; before is the
// status read before any command was sent, against which r and R tell
// a new run by its pid and its stamp.
func Reached(goal byte, before, st *Status) bool {
	switch goal {
	case GoalUp:
		return st.Running()
	case GoalReady:
		return st.IsReady()
	case GoalDown:
		return !st.Running()
	case GoalSettled:
		return st.Settled()
	case GoalRestarted, GoalRestReady:
		if !st.Running() || st.Pid == before.Pid && st.Stamp == before.Stamp {
			return false
		}
		return goal == GoalRestarted || st.IsReady()
	}
	return false
}

// Watch watches the supervise directories of some services.
type Watch struct {
	ino, ep int
	dirs    []watchedDir
	changed []int
	buf     [4096]byte
}

type watchedDir struct {
	dirfd, okfd int
	wd          int32
	gone        bool // no supervisor holds supervise/ok open any more
	lost        bool // the watch has gone: supervise/ was removed or replaced
}

// WatchError says which step of watching a directory failed: Op on
// Path, a name inside the service directory ("" for the directory
// itself, or for a step that concerns no directory).
type WatchError struct {
	Op, Path string
	Err      error
}

func (e *WatchError) Error() string { return e.Op + " " + e.Path + ": " + e.Err.Error() }
func (e *WatchError) Unwrap() error { return e.Err }

// ErrWatchLost means the directory being watchedDir was removed or
// replaced.
var ErrWatchLost = errors.New("supervise directory removed")

// NewWatch returns an empty Watch.
func NewWatch() (*Watch, error) {
	ino, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, &WatchError{"inotify_init", "", err}
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Close(ino)
		return nil, &WatchError{"epoll_create", "", err}
	}
	w := &Watch{ino: ino, ep: ep}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, ino, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}); err != nil {
		w.Close()
		return nil, &WatchError{"epoll_ctl", "", err}
	}
	return w, nil
}

// Close releases every descriptor of w.
func (w *Watch) Close() {
	for _, d := range w.dirs {
		unix.Close(d.dirfd)
		if d.okfd >= 0 {
			unix.Close(d.okfd)
		}
	}
	unix.Close(w.ep)
	unix.Close(w.ino)
}

// Add starts watching the service directory dir (svc, which chdirs
// into each, passes ".") and returns its number. It fails with
// ErrNotRunning (in a WatchError) when no supervisor runs there.
func (w *Watch) Add(dir string) (int, error) {
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &WatchError{"open", "", err}
	}
	d := watchedDir{dirfd: dirfd, okfd: -1}
	// The watch first: a change after it cannot be missed.
	wd, err := unix.InotifyAddWatch(w.ino, dir+"/supervise", unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_ONLYDIR)
	if err != nil {
		unix.Close(dirfd)
		return -1, &WatchError{"watch", "supervise", err}
	}
	d.wd = int32(wd)
	i := len(w.dirs)
	w.dirs = append(w.dirs, d)
	if err := w.hold(i); err != nil {
		return -1, &WatchError{"open", "supervise/ok", err}
	}
	if w.dirs[i].gone {
		return -1, &WatchError{"open", "supervise/ok", ErrNotRunning}
	}
	return i, nil
}

// hold opens dir i's supervise/ok for writing and adds it to the epoll
// set; a FIFO without a reader marks the supervisor gone.
func (w *Watch) hold(i int) error {
	d := &w.dirs[i]
	if d.okfd >= 0 {
		unix.EpollCtl(w.ep, unix.EPOLL_CTL_DEL, d.okfd, nil)
		unix.Close(d.okfd)
		d.okfd = -1
	}
	fd, err := openatWriteNonblock(d.dirfd, "supervise/ok")
	switch {
	case err == unix.ENXIO || err == unix.ENOENT:
		d.gone = true
		return nil
	case err != nil:
		return err
	}
	// No event asked for: EPOLLERR is always reported, and POLLOUT,
	// which an empty FIFO always has, would wake us at once.
	if err := unix.EpollCtl(w.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: 0, Fd: int32(i)}); err != nil {
		unix.Close(fd)
		return err
	}
	d.okfd, d.gone = fd, false
	return nil
}

func openatWriteNonblock(dirfd int, path string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// Status reads dir i's status file.
func (w *Watch) Status(i int) (Status, error) {
	if w.dirs[i].lost {
		return Status{}, ErrWatchLost
	}
	return ReadStatusAt(w.dirs[i].dirfd)
}

// Gone reports whether dir i's supervisor has gone away: its last
// status has been written.
func (w *Watch) Gone(i int) bool { return w.dirs[i].gone }

// Wait blocks until the status of some directories may have changed,
// or a supervisor has gone away, or deadline passes (the zero time:
// never), and returns the numbers of those directories (a directory
// whose supervisor has gone is among them: Gone tells), or nil once
// the deadline has passed. The list is valid until the next Wait.
func (w *Watch) Wait(deadline time.Time) ([]int, error) {
	w.changed = w.changed[:0]
	var evs [8]unix.EpollEvent
	for len(w.changed) == 0 {
		timeout := -1
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return nil, nil
			}
			timeout = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(w.ep, evs[:], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &WatchError{"epoll_wait", "", err}
		}
		for _, ev := range evs[:n] {
			if ev.Fd < 0 {
				if err := w.readEvents(); err != nil {
					return nil, err
				}
				continue
			}
			// POLLERR on the write end of supervise/ok: its reader
			// has gone. A new supervisor may already hold it.
			i := int(ev.Fd)
			if err := w.hold(i); err != nil {
				return nil, &WatchError{"open", "supervise/ok", err}
			}
			w.mark(i)
		}
	}
	return w.changed, nil
}

// readEvents drains the inotify descriptor and marks the directories
// whose status was replaced or written.
func (w *Watch) readEvents() error {
	for {
		n, err := unix.Read(w.ino, w.buf[:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return nil
		}
		if err != nil {
			return &WatchError{"read", "inotify", err}
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&w.buf[off]))
			name := w.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				for i := range w.dirs {
					w.mark(i)
				}
				continue
			}
			for i := range w.dirs {
				if w.dirs[i].wd != ev.Wd {
					continue
				}
				if ev.Mask&unix.IN_IGNORED != 0 {
					w.dirs[i].lost = true
					w.mark(i)
				} else if isStatus(name) {
					w.mark(i)
				}
			}
		}
	}
}

// isStatus reports whether an inotify name (NUL-padded) is "status".
func isStatus(name []byte) bool {
	const s = "status"
	if len(name) < len(s) || string(name[:len(s)]) != s {
		return false
	}
	return len(name) == len(s) || name[len(s)] == 0
}

func (w *Watch) mark(i int) {
	for _, j := range w.changed {
		if j == i {
			return
		}
	}
	w.changed = append(w.changed, i)
}
