package supervision

import (
	"encoding/binary"
	"io"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ResumeScanner is the new svscan's side of a live upgrade: it reads
// the handover whose memfd the variable HandoverEnv names, and returns
// the scanner with every supervisor the old svscan ran, going on where
// each was; then Run. A supervisor whose child does not check out (not
// this process's child any more, or another process under that pid) is
// left for the first scan, which starts it as a svscan started after
// kill -9 would: adopting the service from its status file. A handover
// that cannot be read at all (another version, say) is closed, and the
// scanner starts from nothing the same way. The second result says
// whether there was a handover at all.
func ResumeScanner(report, supervise Reporter) (*Scanner, bool) {
	v, ok := syscall.Getenv(HandoverEnv)
	if !ok {
		return nil, false
	}
	os.Unsetenv(HandoverEnv)
	resumeNofile()
	replaySignals()
	sc := NewScanner()
	sc.Report, sc.Supervise = report, supervise
	mfd, err := strconv.Atoi(v)
	if err != nil || mfd < 3 {
		sc.report().Warn("ignoring "+HandoverEnv+"="+v, nil)
		return sc, true
	}
	b, err := io.ReadAll(os.NewFile(uintptr(mfd), "handover"))
	if err != nil {
		sc.report().Warn("unable to read the handover of the upgrade", err)
		return sc, true
	}
	fds, body, version, ok := handoverHead(b)
	if !ok {
		sc.report().Warn("unable to read the handover of the upgrade", errHandover)
		return sc, true
	}
	if version != handoverVersion || !sc.resume(body) {
		// Take nothing over: what was handed is closed, and the scan
		// adopts the services, as after kill -9.
		for _, fd := range fds {
			unix.Close(int(fd))
		}
		if version != handoverVersion {
			sc.report().Warn("taking the services over one by one: the handover of the upgrade is of version "+strconv.Itoa(int(version))+", not "+strconv.Itoa(handoverVersion), nil)
		} else {
			sc.report().Warn("taking the services over one by one: unable to read the handover of the upgrade", errHandover)
		}
		sc.entries = make(map[devIno]*entry)
	}
	return sc, true
}

// handoverHead reads the part of the handover that every version lays
// out the same way.
func handoverHead(b []byte) (fds []int32, body []byte, version uint16, ok bool) {
	if len(b) < 10 || string(b[:4]) != handoverMagic {
		return nil, nil, 0, false
	}
	version = binary.LittleEndian.Uint16(b[4:6])
	n := int(binary.LittleEndian.Uint32(b[6:10]))
	b = b[10:]
	if n > len(b)/4 {
		return nil, nil, 0, false
	}
	for i := 0; i < n; i++ {
		fds = append(fds, int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return fds, b[4*n:], version, true
}

// resume rebuilds the entries and their supervisors from body; false
// when it cannot be read, leaving whatever it built to be thrown away
// (nothing has started yet).
func (sc *Scanner) resume(body []byte) bool {
	d := &decoder{b: body}
	sc.Timeout = d.dur()
	n := d.u()
	type handed struct {
		s    *Supervisor
		path string
		opt  Options
	}
	var sups []handed
	for i := uint64(0); i < n && d.err == nil; i++ {
		key := devIno{d.u(), d.u()}
		e := &entry{name: d.str(), hasLog: d.bool()}
		e.pipe = [2]int{int(d.fd()), int(d.fd())}
		if !e.hasLog {
			e.pipe = [2]int{}
		}
		for j, slot := range []**Supervisor{&e.main, &e.log} {
			if !d.bool() {
				continue
			}
			s := decodeSupervisor(d)
			if d.err == errNotOurs {
				d.err = nil
				s.closeHanded()
				continue
			}
			path, opt := e.name, Options{Report: sc.Supervise, Host: sc.report(), StandIn: s.standIn}
			if j == 0 {
				opt.Ended = sc.endTree
			} else {
				path = e.name + "/log"
			}
			*slot = s
			sups = append(sups, handed{s, path, opt})
		}
		sc.entries[key] = e
	}
	if d.err != nil {
		return false // the caller closes every descriptor handed over
	}
	for _, h := range sups {
		h.s.takeOver(h.path, h.opt)
	}
	for _, h := range sups {
		go h.s.Run()
	}
	return true
}

// takeOver makes a decoded Supervisor this process's: its descriptors
// back in Go's hands, its children registered with the reaper, its
// watched descriptors with the watcher.
func (s *Supervisor) takeOver(path string, opt Options) {
	s.report, s.host, s.ended = orQuiet(opt.Report), opt.Host, opt.Ended
	if s.host == nil {
		s.host = s.report
	}
	s.env = defaultEnv()
	if procSelfFD() {
		s.childDir = "/proc/self/fd/" + strconv.Itoa(int(s.dirfd))
	} else {
		s.childDir = path
	}
	s.control = os.NewFile(uintptr(s.ctlfd), "supervise/control")
	s.handed = true
	if s.pidfd >= 0 {
		if watcher.add(int(s.pidfd), s, watchPid) != nil {
			unix.Close(int(s.pidfd))
			s.pidfd, s.live = -1, 0
			s.pending |= gotExit
			s.ws = wsUnknown
		}
	} else if s.live != 0 {
		procReaper.own(s.live, s)
	}
	if x := s.m.x; x != nil {
		if x.mail.check != 0 {
			procReaper.own(int(x.mail.check), s)
		}
		if x.io.pipe >= 0 && watcher.add(int(x.io.pipe), s, watchPipe) != nil {
			unix.Close(int(x.io.pipe))
			x.io.pipe = -1
		}
		if x.io.sock >= 0 && watcher.add(int(x.io.sock), s, watchSocket) != nil {
			unix.Close(int(x.io.sock))
			x.io.sock = -1
		}
	}
}

// closeHanded closes the descriptors a Supervisor was handed, when it is
// not taken over: its directory's (lock included, so that the scan can
// start a new one) and its watched ones, not the log pipe's.
func (s *Supervisor) closeHanded() {
	for _, fd := range [...]int32{s.okfd, s.ctlfd, s.controlW, s.lockfd, s.dirfd, s.pidfd} {
		if fd >= 0 {
			unix.Close(int(fd))
		}
	}
	if x := s.m.x; x != nil {
		for _, fd := range [...]int32{x.io.pipe, x.io.sock} {
			if fd >= 0 {
				unix.Close(int(fd))
			}
		}
	}
}
