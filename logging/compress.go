package logging

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Compressing one archive, so that the directory never holds a
// half-written archive under its final name and a crash at any point
// leaves a state that the next start finishes:
//
//  1. @X.s is read and gzipped into compressing.tmp, which is synced.
//     A crash here leaves compressing.tmp, which the next start removes
//     before compressing @X.s again.
//  2. Under the directory's lock, and only if @X.s is still there (the
//     n rule may have removed it meanwhile), compressing.tmp is renamed
//     @X.s.gz and @X.s removed. A crash between the two leaves both,
//     and the next start removes @X.s, since @X.s.gz is complete.
//  3. The directory is synced.
//
// The work runs on a thread of its own in SCHED_IDLE, so that on a busy
// machine it takes only the CPU time that nothing else wants.

// compressor holds what compressing needs, made once per directory.
type compressor struct {
	level int
	gz    *gzip.Writer
	out   *bufio.Writer
	in    []byte
}

// compressors pools compressors by level, for every directory.
var compressors [10]sync.Pool

func getCompressor(level int) *compressor {
	if c, ok := compressors[level].Get().(*compressor); ok {
		return c
	}
	return newCompressor(level)
}

func putCompressor(c *compressor) { compressors[c.level].Put(c) }

func newCompressor(level int) *compressor {
	gz, err := gzip.NewWriterLevel(io.Discard, level)
	if err != nil {
		gz = gzip.NewWriter(io.Discard)
	}
	return &compressor{level: level, gz: gz, out: bufio.NewWriterSize(io.Discard, 64<<10), in: make([]byte, 64<<10)}
}

// fdWriter writes to a descriptor, for bufio.
type fdWriter int

func (w fdWriter) Write(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Write(int(w), b[n:])
		if m > 0 {
			n += m
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = unix.EIO
		}
		return n, err
	}
	return n, nil
}

// fdReader reads from a descriptor.
type fdReader int

func (r fdReader) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), b)
		if err == unix.EINTR {
			continue
		}
		if n == 0 && err == nil {
			return 0, io.EOF
		}
		if n < 0 {
			n = 0
		}
		return n, err
	}
}

// compress compresses archive a, retrying after a failure (a full disk,
// say) until it works, or until the archive is gone. Once the logger
// is quitting, a failure gives up instead, and compress reports false:
// the archive stays as it is, for the next start.
func (c *compressor) compress(d *logDir, a archive, quitting func() bool) bool {
	for {
		err := c.once(d, a)
		if err == nil {
			return true
		}
		unix.Unlinkat(d.fd, tmpName, 0)
		if quitting() {
			d.h.warn("unable to compress "+d.name+"/"+a.name+", leaving it for the next start", err)
			return false
		}
		d.h.pause("unable to compress "+d.name+"/"+a.name, err)
	}
}

// errGone says the archive disappeared while it was being compressed.
var errGone = errors.New("gone")

func (c *compressor) once(d *logDir, a archive) error {
	done := make(chan error, 1)
	go func() {
		// The thread ends with this goroutine (it stays locked), so the
		// priority given to it goes with it.
		runtime.LockOSThread()
		lowPriority()
		done <- c.write(d, a)
	}()
	err := <-done
	if err == errGone {
		return nil
	}
	if err != nil {
		return err
	}
	return c.commit(d, a)
}

// write is step 1: compressing.tmp holds the whole archive, compressed
// and synced.
func (c *compressor) write(d *logDir, a archive) error {
	src, err := unix.Openat(d.fd, a.name, oRead, 0)
	if err == unix.ENOENT {
		return errGone
	}
	if err != nil {
		return err
	}
	defer unix.Close(src)
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return err
	}
	tmp, err := unix.Openat(d.fd, tmpName, oTrunc, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(tmp)
	c.out.Reset(fdWriter(tmp))
	c.gz.Reset(c.out)
	c.gz.Name = a.name
	c.gz.ModTime = time.Unix(st.Mtim.Unix())
	if _, err := io.CopyBuffer(c.gz, fdReader(src), c.in); err != nil {
		return err
	}
	if err := c.gz.Close(); err != nil {
		return err
	}
	if err := c.out.Flush(); err != nil {
		return err
	}
	if err := unix.Fchmod(tmp, uint32(fileMode(src))); err != nil {
		return err
	}
	return d.h.sync(tmp)
}

// commit is steps 2 and 3.
func (c *compressor) commit(d *logDir, a archive) error {
	d.mu.Lock()
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, a.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		d.mu.Unlock()
		unix.Unlinkat(d.fd, tmpName, 0)
		if err == unix.ENOENT {
			return nil
		}
		return err
	}
	if err := unix.Renameat(d.fd, tmpName, d.fd, a.name+".gz"); err != nil {
		d.mu.Unlock()
		return err
	}
	err := unix.Unlinkat(d.fd, a.name, 0)
	d.mu.Unlock()
	if err != nil && err != unix.ENOENT {
		return err
	}
	return d.h.sync(d.fd)
}

// lowPriority puts the calling thread in SCHED_IDLE, which runs only
// when nothing else wants the CPU, or, where that is refused, at nice
// 19.
func lowPriority() {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	if unix.SchedSetAttr(0, &attr, 0) != nil {
		unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), 19)
	}
}
