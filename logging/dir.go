package logging

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The reference's buffering, which decides where a log file is cut: each
// directory has a 512-byte buffer, puts that do not fit flush it first
// and pass more than 512 bytes straight through (up to 8192 at a time),
// and every flush is one c_write, where the rotation rule lives.
const (
	dirBufSize = 512
	outSize    = 8192
	slack      = 2000 // a file ends at a newline once within this of the size
)

const (
	oAppend = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_APPEND | unix.O_CREAT | unix.O_CLOEXEC
	oTrunc  = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_TRUNC | unix.O_CREAT | unix.O_CLOEXEC
	oRead   = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
	oWrite  = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_CLOEXEC
)

// logDir is one automatically rotated log directory.
//
// Lines are appended to buf, which is written to current in large
// batches. The reference's 512-byte buffer is modelled over the same
// bytes rather than copied into: buf[:vstart] has been through cwrite
// (the reference's c_write, which decides rotation), buf[vstart:] is
// what the reference would still hold in its buffer, and buf[:written]
// is already in current. So the files are cut exactly where the
// reference would cut them for the same reads, at the cost of a few
// comparisons per line.
type logDir struct {
	l        *Logger
	cfg      DirConfig
	name     string // as written in the script, for messages
	fd       int    // the directory
	lock     int
	cur      int    // current
	bytes    uint64 // current's size as the reference counts it
	selected bool
	procDir  string // the processor's working directory

	buf     []byte
	written int
	vstart  int
	dirty   int // bytes written to current since writeback was last started
}

// writebackAt is how much a directory writes before it asks the kernel
// to start writing current back. It only starts the writeback early, so
// that the disk works while we read; the fsync before each rotation and
// at exit is what makes a file durable, exactly as in the reference.
const writebackAt = 1 << 20

// openDir prepares a log directory as the reference's restart does:
// create, lock, and either resume a cleanly finished current or salvage
// what an interrupted run left. Every failure here is fatal.
func (l *Logger) openDir(cfg DirConfig, start int) (*logDir, error) {
	d := &logDir{l: l, cfg: cfg, name: cfg.Path, fd: -1, lock: -1, cur: -1}
	fail := func(msg string, err error) (*logDir, error) {
		l.note(err)
		d.close()
		return nil, &Error{Msg: msg, Err: err}
	}
	l.note(unix.Mkdirat(start, cfg.Path, 0o700))
	fd, err := unix.Openat(start, cfg.Path, oRead, 0)
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

	if err := unix.Fstatat(fd, "current", &st, 0); err != nil {
		l.note(err)
		if err != unix.ENOENT {
			return fail("unable to stat "+d.name+"/current", err)
		}
	} else if st.Mode&0o100 != 0 {
		cur, err := unix.Openat(fd, "current", oAppend, 0o600)
		if err != nil {
			return fail("unable to append to "+d.name+"/current", err)
		}
		d.cur = cur
		if err := unix.Fchmod(cur, 0o644); err != nil {
			return fail("unable to set mode of "+d.name+"/current", err)
		}
		d.bytes = uint64(st.Size)
		return d, nil
	}

	l.note(unix.Unlinkat(fd, "state", 0))
	l.note(unix.Unlinkat(fd, "newstate", 0))
	processed := false
	if err := unix.Fstatat(fd, "processed", &st, 0); err != nil {
		l.note(err)
		if err != unix.ENOENT {
			return fail("unable to stat "+d.name+"/processed", err)
		}
	} else if st.Mode&0o100 != 0 {
		processed = true
	}
	if processed {
		l.note(unix.Unlinkat(fd, "previous", 0))
		d.finish("processed", 's')
	} else {
		l.note(unix.Unlinkat(fd, "processed", 0))
		d.finish("previous", 'u')
	}
	d.finish("current", 'u')

	state, err := unix.Openat(fd, "state", oTrunc, 0o644)
	if err != nil {
		return fail("unable to write to "+d.name+"/state", err)
	}
	unix.Close(state)
	cur, err := unix.Openat(fd, "current", oAppend, 0o600)
	if err != nil {
		return fail("unable to write to "+d.name+"/current", err)
	}
	d.cur = cur
	if err := unix.Fchmod(cur, 0o644); err != nil {
		return fail("unable to set mode of "+d.name+"/current", err)
	}
	return d, nil
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

func (d *logDir) pause(msg string, err error) { d.l.pause(msg+", pausing", err) }

// finish gives file its final name: @<now>.<code>, then keeps at most
// Num-1 such names.
func (d *logDir) finish(file string, code byte) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(d.fd, file, &st, 0)
		if err == nil {
			break
		}
		d.l.note(err)
		if err == unix.ENOENT {
			return
		}
		d.pause("unable to stat "+d.name+"/"+file, err)
	}
	if st.Nlink == 1 {
		for {
			label := timefmt.Now().Label()
			name := string(label[:]) + "." + string(code)
			err := unix.Linkat(d.fd, file, d.fd, name, 0)
			if err == nil {
				break
			}
			d.l.note(err)
			d.pause("unable to link to "+d.name+"/"+name, err)
		}
	}
	for {
		err := unix.Unlinkat(d.fd, file, 0)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to remove "+d.name+"/"+file, err)
	}
	for {
		fits, name, err := d.filesfit()
		if fits {
			return
		}
		if err != nil {
			d.l.note(err)
			if name != "" {
				d.pause("unable to remove "+d.name+"/"+name, err)
			} else {
				d.pause("unable to read "+d.name, err)
			}
		}
	}
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
	d.l.errno = 0 // the reference clears errno around readdir
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
	for {
		err := d.l.sync(d.cur)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to write "+d.name+"/current to disk", err)
	}
	unix.Close(d.cur)
	d.cur = -1
	for {
		err := unix.Renameat(d.fd, "current", d.fd, "previous")
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to rename current to previous in directory "+d.name, err)
	}
	for {
		fd, err := unix.Openat(d.fd, "current", oAppend, 0o600)
		if err == nil {
			d.cur = fd
			break
		}
		d.l.note(err)
		d.pause("unable to create "+d.name+"/current", err)
	}
	d.bytes = 0
	for {
		err := unix.Fchmod(d.cur, 0o644)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to set mode of "+d.name+"/current", err)
	}
	for {
		err := unix.Fchmodat(d.fd, "previous", 0o744, 0)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to set mode of "+d.name+"/previous", err)
	}
	if !d.cfg.HasProcessor {
		d.finish("previous", 's')
		return
	}
	d.process()
}

// process runs the processor until it succeeds: previous on fd 0,
// processed on fd 1, state on fd 4, newstate on fd 5, in the directory.
// A failure is retried after a pause, forever, as the reference does.
func (d *logDir) process() {
	for {
		pid, ok := d.startProcessor()
		if ok {
			ws, err := d.l.spawner.Wait(pid)
			switch {
			case err != nil:
				d.l.note(err)
				d.pause("wait failed for processor in "+d.name, err)
			case ws.Signaled():
				// The reference prints whatever errno was left over.
				d.pause("processor crashed in "+d.name, d.l.errno)
			case ws.ExitStatus() == 0:
				d.afterProcessor()
				return
			}
		}
		d.l.warn("processor failed in "+d.name+", pausing", nil)
		d.l.sleep()
	}
}

// startProcessor opens the processor's files and starts it. When the
// reference's child would have failed to set up or to exec, it prints
// the child's message and reports failure (the reference's child exits
// 111). A failed fork pauses and tries again.
func (d *logDir) startProcessor() (int, bool) {
	for {
		var fds []int
		closeAll := func() {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
		var err error
		for _, f := range []struct {
			name  string
			flags int
		}{{"previous", oRead}, {"processed", oTrunc}, {"state", oRead}, {"newstate", oTrunc}} {
			var fd int
			fd, err = unix.Openat(d.fd, f.name, f.flags, 0o644)
			if err != nil {
				break
			}
			fds = append(fds, fd)
		}
		if err != nil {
			closeAll()
			d.l.fatal("unable to run "+d.cfg.Processor, err)
			return 0, false
		}
		fd3 := ^uintptr(0) // closed in the child, unless we inherited an open fd 3
		if flags, err := unix.FcntlInt(3, unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			fd3 = 3
		}
		attr := &syscall.ProcAttr{
			Dir:   d.procDir,
			Env:   os.Environ(),
			Files: []uintptr{uintptr(fds[0]), uintptr(fds[1]), 2, fd3, uintptr(fds[2]), uintptr(fds[3])},
		}
		pid, err := d.l.spawner.Start("/bin/sh", []string{"sh", "-c", d.cfg.Processor}, attr)
		closeAll()
		if err == nil {
			return pid, true
		}
		d.l.note(err)
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			d.pause("unable to fork for processor in "+d.name, err)
			continue
		}
		d.l.fatal("unable to run "+d.cfg.Processor, err)
		return 0, false
	}
}

// afterProcessor makes the processor's output durable and finishes it.
func (d *logDir) afterProcessor() {
	d.syncFile("processed", true)
	d.syncFile("newstate", false)
	for {
		err := unix.Unlinkat(d.fd, "previous", 0)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to remove "+d.name+"/previous", err)
	}
	for {
		err := unix.Renameat(d.fd, "newstate", d.fd, "state")
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to rename newstate to state in directory "+d.name, err)
	}
	d.finish("processed", 's')
}

func (d *logDir) syncFile(name string, finished bool) {
	var fd int
	for {
		var err error
		fd, err = unix.Openat(d.fd, name, oAppend, 0o600)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to create "+d.name+"/"+name, err)
	}
	for {
		err := d.l.sync(fd)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to write "+d.name+"/"+name+" to disk", err)
	}
	for finished {
		err := unix.Fchmod(fd, 0o744)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to set mode of "+d.name+"/"+name, err)
	}
	unix.Close(fd)
}

// put is the reference's buffer_put of one buffered line (at most 1000
// bytes): the bytes go into buf, and the model decides which cwrites
// the reference would have made.
func (d *logDir) put(head, body []byte) {
	start := len(d.buf)
	d.buf = append(d.buf, head...)
	d.buf = append(d.buf, body...)
	n := len(d.buf) - start
	if n > dirBufSize-(start-d.vstart) {
		d.vflush(start)
		if n > dirBufSize {
			// A line is at most 1000 bytes, so one pass of at most
			// outSize bytes carries all of it.
			d.allwrite(start, n)
			d.vstart = start + n
		}
	}
}

// putLine is put followed by the newline the reference adds with PUTC.
func (d *logDir) putLine(head, body []byte) {
	d.put(head, body)
	d.putNewline()
}

func (d *logDir) putNewline() {
	if len(d.buf)-d.vstart == dirBufSize {
		d.vflush(len(d.buf))
	}
	d.buf = append(d.buf, '\n')
}

// putRun is PUTC for each byte of b: the rest of a line longer than the
// reference's line buffer.
func (d *logDir) putRun(b []byte) {
	pos := len(d.buf)
	d.buf = append(d.buf, b...)
	end := len(d.buf)
	for pos < end {
		if pos-d.vstart == dirBufSize {
			d.vflush(pos)
		}
		k := dirBufSize - (pos - d.vstart)
		if k > end-pos {
			k = end - pos
		}
		pos += k
	}
}

// vflush is the reference's buffer_flush: everything put before end
// goes through cwrite.
func (d *logDir) vflush(end int) {
	if end > d.vstart {
		d.allwrite(d.vstart, end-d.vstart)
		d.vstart = end
	}
}

func (d *logDir) allwrite(pos, n int) {
	for n > 0 {
		w := d.cwrite(pos, n)
		pos += w
		n -= w
	}
}

// cwrite is the reference's c_write for buf[pos:pos+n]: it never lets
// current exceed the size, ends a chunk at its last newline once the
// file is within slack of the size, and rotates after a chunk that ends
// in a newline there. It returns how much of the chunk it took.
func (d *logDir) cwrite(pos, n int) int {
	size := d.cfg.Size
	if d.bytes >= size {
		d.writeOut(pos)
		d.rotate()
	}
	if room := size - d.bytes; uint64(n) >= room {
		n = int(room)
	}
	if d.bytes+uint64(n) >= size-slack {
		if j := bytes.LastIndexByte(d.buf[pos:pos+n], '\n'); j >= 0 {
			n = j + 1
		}
	}
	d.bytes += uint64(n)
	if d.bytes >= size-slack && d.buf[pos+n-1] == '\n' {
		d.writeOut(pos + n)
		d.rotate()
	}
	return n
}

// writeOut writes buf up to end into current, pausing and retrying on
// any failure (a full disk, say) so that nothing is lost.
func (d *logDir) writeOut(end int) {
	for d.written < end {
		n, err := unix.Write(d.cur, d.buf[d.written:end])
		if n > 0 {
			d.written += n
			if d.dirty += n; d.dirty >= writebackAt {
				unix.SyncFileRange(d.cur, 0, 0, unix.SYNC_FILE_RANGE_WRITE)
				d.dirty = 0
			}
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = d.l.errno
		}
		d.l.note(err)
		d.pause("unable to write to "+d.name+"/current", err)
	}
}

// flush is what the reference does before every read: empty the
// buffer through cwrite, and (our part) write the batch.
func (d *logDir) flush() {
	d.vflush(len(d.buf))
	d.writeOut(len(d.buf))
	d.buf = d.buf[:0]
	d.written, d.vstart = 0, 0
}

// spill writes what has been through cwrite and keeps only the model's
// buffer, so that buf stays bounded within one large read.
func (d *logDir) spill() {
	d.writeOut(d.vstart)
	n := copy(d.buf, d.buf[d.vstart:])
	d.buf = d.buf[:n]
	d.written, d.vstart = 0, 0
}

// quit is the reference's end: flush, sync, and mark current as
// finished cleanly with mode 0744.
func (d *logDir) quit() {
	d.flush()
	for {
		err := d.l.sync(d.cur)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to write "+d.name+"/current to disk", err)
	}
	for {
		err := unix.Fchmod(d.cur, 0o744)
		if err == nil {
			break
		}
		d.l.note(err)
		d.pause("unable to set mode of "+d.name+"/current", err)
	}
}
