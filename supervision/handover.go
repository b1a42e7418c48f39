package supervision

import (
	"encoding/binary"
	"errors"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The handover: what a live upgrade passes from the old svscan to the
// new one, across the exec, beside the descriptors themselves (which
// stay open): the state the files do not hold. It is one sealed memfd:
//
//	"DTHO", version (2 bytes), the count and list of every descriptor
//	handed over (4 bytes each), then the version's body.
//
// The descriptor list comes first and keeps its layout in every
// version, so that a new svscan that cannot read the body can still
// close what it was given and fall back to adopting the services, as
// after kill -9. The body is fields in a fixed order: unsigned and
// signed varints, strings and byte runs behind their length. Times of
// the monotonic clock are handed over as offsets from now.

const (
	handoverMagic   = "DTHO"
	handoverVersion = 1
)

var errHandover = errors.New("malformed handover")

type encoder struct{ b []byte }

func (e *encoder) u(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) i(v int64)  { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.u(1)
	} else {
		e.u(0)
	}
}
func (e *encoder) str(s string)           { e.u(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) dur(d time.Duration)    { e.i(int64(d)) }
func (e *encoder) stamp(t timefmt.TAI64N) { e.u(t.Sec); e.u(uint64(t.Nano)) }
func (e *encoder) mono(at time.Duration)  { e.bool(at != 0); e.dur(at - now()) }
func (e *encoder) fd(fd int32)            { e.i(int64(fd)) }

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err, d.b = errHandover, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err, d.b = errHandover, nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bool() bool { return d.u() != 0 }

func (d *decoder) str() string {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.err, d.b = errHandover, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) dur() time.Duration { return time.Duration(d.i()) }

func (d *decoder) stamp() timefmt.TAI64N {
	return timefmt.TAI64N{Sec: d.u(), Nano: uint32(d.u())}
}

// mono reads a time of the old process's monotonic clock onto this
// one's.
func (d *decoder) mono() time.Duration {
	set := d.bool()
	off := d.dur()
	if !set {
		return 0
	}
	return max(now()+off, 1)
}

func (d *decoder) fd() int32 { return int32(d.i()) }

// encode writes what s is, for a Supervisor that is frozen (its Run
// parked at the top of its loop, its mu held).
func (s *Supervisor) encode(e *encoder) {
	e.str(s.dir)
	for _, fd := range [...]int32{s.dirfd, s.lockfd, s.okfd, s.ctlfd, s.controlW, s.stdio[0], s.stdio[1], s.stdio[2], s.pidfd} {
		e.fd(fd)
	}
	e.bool(s.standIn)
	m := &s.m
	e.i(int64(m.pid))
	e.u(uint64(m.state))
	for _, b := range [...]bool{m.want, m.wantUp, m.paused, m.exit, m.term, m.due} {
		e.bool(b)
	}
	e.u(uint64(m.exitHow))
	e.u(uint64(m.exitValue))
	e.stamp(s.stamp)
	e.i(int64(s.live))
	e.u(uint64(s.ws))
	e.u(uint64(s.pending))
	e.u(uint64(startTicks(s.live)))
	e.bool(m.x != nil)
	if m.x != nil {
		m.x.encode(e)
	}
}

// decode reads a Supervisor written by encode; its descriptors are
// this process's already.
func decodeSupervisor(d *decoder) *Supervisor {
	s := &Supervisor{dir: d.str(), done: make(chan struct{})}
	fds := [9]*int32{&s.dirfd, &s.lockfd, &s.okfd, &s.ctlfd, &s.controlW, &s.stdio[0], &s.stdio[1], &s.stdio[2], &s.pidfd}
	for _, p := range fds {
		*p = d.fd()
	}
	s.standIn = d.bool()
	m := &s.m
	m.pid = int32(d.i())
	m.state = state(d.u())
	for _, p := range [...]*bool{&m.want, &m.wantUp, &m.paused, &m.exit, &m.term, &m.due} {
		*p = d.bool()
	}
	m.exitHow = uint8(d.u())
	m.exitValue = uint8(d.u())
	s.stamp = d.stamp()
	s.live = int(d.i())
	s.ws = uint16(d.u())
	s.pending = uint8(d.u())
	ticks := int64(d.u())
	if d.bool() {
		m.x = decodeExtension(d)
	}
	if d.err == nil && m.state >= nStates {
		d.err = errHandover
	}
	if d.err == nil && s.live != 0 && !ourChild(s.live, ticks, s.pidfd >= 0) {
		// Not the process that was handed over: the status file and
		// adoption decide, as after kill -9.
		d.err = errNotOurs
	}
	return s
}

var errNotOurs = errors.New("not the process handed over")

func (x *extension) encode(e *encoder) {
	c := &x.cfg
	for _, b := range [...]bool{c.finish, c.check, c.sdNotify, c.cgroup, c.treeExit, c.treeExitAlways} {
		e.bool(b)
	}
	for _, d := range [...]time.Duration{c.timeoutFinish, c.timeoutKill, c.backoffMin, c.backoffMax, c.backoffReset, c.limitWindow, c.watchdog} {
		e.dur(d)
	}
	e.u(uint64(c.downSignal))
	e.u(uint64(c.limitDeaths))
	e.u(uint64(c.notifyFD))
	e.str(c.notifySocket)
	for _, w := range x.reader.warned {
		e.str(w)
	}
	for _, at := range [...]time.Duration{x.timer, x.startedAt, x.restartAt, x.readyAt} {
		e.mono(at)
	}
	e.dur(x.pause)
	e.dur(x.checkDelay)
	e.u(uint64(len(x.deaths)))
	for _, at := range x.deaths {
		e.mono(at)
	}
	e.i(int64(x.pgid))
	for _, b := range [...]bool{x.permanent, x.ending, x.ready, x.bitten, x.checkWarned} {
		e.bool(b)
	}
	e.stamp(x.readyWall)
	e.fd(x.io.pipe)
	e.fd(x.io.sock)
	e.str(x.io.addr)
	e.str(x.io.path)
	e.str(x.cg.dir)
	e.str(x.cg.run)
	e.i(int64(x.cg.runs))
	e.bool(x.cg.bad)
	mb := &x.mail
	for _, b := range [...]bool{mb.ready, mb.watchdog, mb.notice, mb.stopping, mb.checked} {
		e.bool(b)
	}
	e.str(mb.text)
	e.u(uint64(mb.checkWS))
	e.i(int64(mb.check))
	e.u(uint64(startTicks(int(mb.check))))
}

func decodeExtension(d *decoder) *extension {
	x := &extension{}
	c := &x.cfg
	for _, p := range [...]*bool{&c.finish, &c.check, &c.sdNotify, &c.cgroup, &c.treeExit, &c.treeExitAlways} {
		*p = d.bool()
	}
	for _, p := range [...]*time.Duration{&c.timeoutFinish, &c.timeoutKill, &c.backoffMin, &c.backoffMax, &c.backoffReset, &c.limitWindow, &c.watchdog} {
		*p = d.dur()
	}
	c.downSignal = syscall.Signal(d.u())
	c.limitDeaths = uint32(d.u())
	c.notifyFD = int(d.u())
	c.notifySocket = d.str()
	for i := range x.reader.warned {
		x.reader.warned[i] = d.str()
	}
	for _, p := range [...]*time.Duration{&x.timer, &x.startedAt, &x.restartAt, &x.readyAt} {
		*p = d.mono()
	}
	x.pause = d.dur()
	x.checkDelay = d.dur()
	n := d.u()
	if n > maxDeathTally+1 {
		d.err = errHandover
		return x
	}
	for range n {
		x.deaths = append(x.deaths, d.mono())
	}
	x.pgid = int32(d.i())
	for _, p := range [...]*bool{&x.permanent, &x.ending, &x.ready, &x.bitten, &x.checkWarned} {
		*p = d.bool()
	}
	x.readyWall = d.stamp()
	x.io.pipe = d.fd()
	x.io.sock = d.fd()
	x.io.addr = d.str()
	x.io.path = d.str()
	x.cg.dir = d.str()
	x.cg.run = d.str()
	x.cg.runs = int(d.i())
	x.cg.bad = d.bool()
	mb := &x.mail
	for _, p := range [...]*bool{&mb.ready, &mb.watchdog, &mb.notice, &mb.stopping, &mb.checked} {
		*p = d.bool()
	}
	mb.text = d.str()
	mb.checkWS = uint16(d.u())
	mb.check = int32(d.i())
	if ticks := int64(d.u()); mb.check != 0 && !ourChild(int(mb.check), ticks, false) {
		// A ./check that is gone or another process: forget it; the
		// next one is started when its timer comes.
		mb.check = 0
	}
	return x
}
