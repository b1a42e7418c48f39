package supervision

import (
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// watcher waits, in one goroutine for the whole process, on the
// descriptors that tell a Supervisor something outside its control
// FIFO and the reaper: the pidfds of adopted processes (their exits),
// the notification pipes of services with notification-fd, and the
// notification sockets of services with sd-notify. They sit in an epoll
// set whose own descriptor is in the runtime's poller, so no thread
// parks and a watched descriptor costs nothing else.
type fdWatcher struct {
	once sync.Once
	err  error
	mu   sync.Mutex
	ep   *os.File
	epfd int
	fds  map[int32]watched
}

type watched struct {
	s    *Supervisor
	kind uint8
}

// What a watched descriptor is.
const (
	watchPid    = iota // an adopted process's pidfd: readable when it has exited
	watchPipe          // a notification pipe: read until a newline or EOF
	watchSocket        // a notification socket: read its datagrams
)

var watcher fdWatcher

func (w *fdWatcher) start() error {
	w.once.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			w.err = err
			return
		}
		unix.SetNonblock(fd, true)
		w.epfd = fd
		w.ep = os.NewFile(uintptr(fd), "watched")
		w.fds = make(map[int32]watched)
		go w.loop()
	})
	return w.err
}

// add watches fd for s. The watcher owns it from then on: it is closed
// when it has said what it had to say, or by forget.
func (w *fdWatcher) add(fd int, s *Supervisor, kind uint8) error {
	if err := w.start(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fds[int32(fd)] = watched{s, kind}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(w.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		delete(w.fds, int32(fd))
		return err
	}
	return nil
}

func (w *fdWatcher) loop() {
	rc, err := w.ep.SyscallConn()
	if err != nil {
		return
	}
	events := make([]unix.EpollEvent, 16)
	for {
		// The poller watches the epoll descriptor edge-triggered: take
		// every ready descriptor before waiting again. Each is read
		// until it would block, or removed, so the set never stays
		// ready unseen.
		rc.Read(func(fd uintptr) bool {
			for {
				n, err := unix.EpollWait(int(fd), events, 0)
				if err == unix.EINTR {
					continue
				}
				if n <= 0 {
					return false
				}
				for _, ev := range events[:n] {
					w.ready(int(ev.Fd))
				}
			}
		})
	}
}

// ready handles a descriptor that has something to say. It holds the
// watcher's lock meanwhile, so that forget cannot close the descriptor
// under it; the handlers take the Supervisor's mu, never the other way
// round (whoever holds a Supervisor's mu does not call forget).
func (w *fdWatcher) ready(fd int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.fds[int32(fd)]
	if !ok {
		return
	}
	done := true
	guard(c.s, func() {
		switch c.kind {
		case watchPid:
			c.s.adoptedExited(fd)
		case watchPipe:
			done = c.s.readNotification(fd)
		case watchSocket:
			c.s.readNotices(fd)
			done = false
		}
	})
	if done {
		w.drop(fd)
	}
}

// forget stops watching fd and closes it, if it is still watched (who
// takes it out of the map closes it).
func (w *fdWatcher) forget(fd int) {
	w.mu.Lock()
	w.drop(fd)
	w.mu.Unlock()
}

func (w *fdWatcher) drop(fd int) {
	if _, ok := w.fds[int32(fd)]; ok {
		delete(w.fds, int32(fd))
		unix.EpollCtl(w.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		unix.Close(fd)
	}
}
