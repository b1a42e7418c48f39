package logging

import (
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The janitor: one goroutine per directory that asks for z, S or X. It
// compresses archives after they are finished (compress.go) and keeps
// the limits the reference lacks, beside the line loop and never in
// it: the loop only wakes it after each rotation. It shares the
// directory with the loop's rotations under logDir.mu, which both hold
// only while they change names, never while they compress.

// tmpName is where an archive is compressed before it gets its name.
// It does not start with '@', so that the reference's count of old
// files (and a reader's glob of them) never sees it.
const tmpName = "compressing.tmp"

type janitor struct {
	d     *logDir
	wake  chan struct{}
	quit  chan struct{}
	done  chan struct{}
	wall  func() time.Time
	level int // z's gzip level; 0 = no compression
	names []archive
}

// archive is one finished file: @ and a TAI64N label, .s or .u, and
// .gz when it is compressed.
type archive struct {
	name string
	at   time.Time // when it was finished, from its name
	gz   bool
	size int64
}

// parseArchive recognises the names the janitor works on. Other names
// starting with '@' still count towards n, as in the reference, but
// are never compressed, counted towards S or expired.
func parseArchive(name string) (archive, bool) {
	base, gz := strings.CutSuffix(name, ".gz")
	if len(base) != timefmt.LabelSize+2 || base[timefmt.LabelSize] != '.' {
		return archive{}, false
	}
	if c := base[timefmt.LabelSize+1]; c != 's' && c != 'u' {
		return archive{}, false
	}
	t, ok := timefmt.ParseLabel([]byte(base[:timefmt.LabelSize]))
	if !ok {
		return archive{}, false
	}
	return archive{name: name, at: t.Time(), gz: gz}, true
}

func (d *logDir) startJanitor(wall func() time.Time) {
	if !d.cfg.Retains() {
		return
	}
	j := &janitor{d: d, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}), wall: wall}
	j.level = d.cfg.Compress
	d.jan = j
	go j.run()
}

// poke tells the janitor that an archive was finished.
func (j *janitor) poke() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// stop asks the janitor to finish what is pending (compressing every
// archive that waits) and waits for it.
func (j *janitor) stop() {
	close(j.quit)
	<-j.done
}

// quitting reports whether stop has been called.
func (j *janitor) quitting() bool {
	select {
	case <-j.quit:
		return true
	default:
		return false
	}
}

func (j *janitor) run() {
	defer close(j.done)
	quitting := false
	for {
		next := j.pass()
		if quitting {
			return
		}
		var expire <-chan time.Time
		var t *time.Timer
		if !next.IsZero() {
			t = time.NewTimer(next.Sub(j.wall()))
			expire = t.C
		}
		select {
		case <-j.wake:
		case <-expire:
		case <-j.quit:
			quitting = true
		}
		if t != nil {
			t.Stop()
		}
	}
}

// pass brings the directory into order: a compression cut short by a
// crash is cleared away, every archive that waits is compressed, oldest
// first, and the limits are applied after each. It returns when the
// next archive expires (zero for never).
func (j *janitor) pass() time.Time {
	d := j.d
	if j.level > 0 {
		unix.Unlinkat(d.fd, tmpName, 0)
		// A compressor's tables are large: it is taken from a pool for
		// the pass and given back, not kept by every directory.
		var z *compressor
		for {
			a, ok := j.waiting()
			if !ok {
				break
			}
			if z == nil {
				z = getCompressor(j.level)
				defer putCompressor(z)
			}
			if !z.compress(d, a, j.quitting) {
				break // failing at exit: the next start does it
			}
			j.limit()
		}
	}
	return j.limit()
}

// waiting returns the oldest archive that is not compressed yet. An
// archive found both compressed and not is left by a crash between the
// rename and the removal: the compressed copy is complete (it was
// synced before its rename), so the other goes.
func (j *janitor) waiting() (archive, bool) {
	d := j.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if !j.scan() {
		return archive{}, false
	}
	gz := map[string]bool{}
	for _, a := range j.names {
		if a.gz {
			gz[strings.TrimSuffix(a.name, ".gz")] = true
		}
	}
	for _, a := range j.names {
		if a.gz {
			continue
		}
		if gz[a.name] {
			unix.Unlinkat(d.fd, a.name, 0)
			continue
		}
		return a, true
	}
	return archive{}, false
}

// scan lists the archives, oldest first, with their sizes.
func (j *janitor) scan() bool {
	d := j.d
	names, err := d.readdir()
	if err != nil {
		d.h.warn("unable to read "+d.name, err)
		return false
	}
	j.names = j.names[:0]
	for _, n := range names {
		a, ok := parseArchive(n)
		if !ok {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(d.fd, n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		a.size = st.Size
		j.names = append(j.names, a)
	}
	sort.Slice(j.names, func(a, b int) bool { return j.names[a].name < j.names[b].name })
	return true
}

// limit applies S and X and returns when the oldest remaining archive
// expires. With compression, S counts the compressed archives only:
// one that waits is counted once it is compressed, at its final size.
func (j *janitor) limit() time.Time {
	d := j.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if !j.scan() {
		return time.Time{}
	}
	keep := j.names[:0]
	if age := d.cfg.ExpireAge; age > 0 {
		now := j.wall()
		for _, a := range j.names {
			if !a.at.Add(age).After(now) {
				j.remove(a.name)
				continue
			}
			keep = append(keep, a)
		}
		j.names = keep
	}
	if max := d.cfg.MaxTotal; max > 0 {
		var total uint64
		for _, a := range j.names {
			if a.gz || j.level == 0 {
				total += uint64(a.size)
			}
		}
		keep = j.names[:0]
		for _, a := range j.names {
			counted := a.gz || j.level == 0
			if total > max && counted {
				j.remove(a.name)
				total -= uint64(a.size)
				continue
			}
			keep = append(keep, a)
		}
		j.names = keep
	}
	if d.cfg.ExpireAge > 0 && len(j.names) > 0 {
		oldest := j.names[0].at
		for _, a := range j.names {
			if a.at.Before(oldest) {
				oldest = a.at
			}
		}
		return oldest.Add(d.cfg.ExpireAge)
	}
	return time.Time{}
}

func (j *janitor) remove(name string) {
	if err := unix.Unlinkat(j.d.fd, name, 0); err != nil && err != unix.ENOENT {
		j.d.h.warn("unable to remove "+j.d.name+"/"+name, err)
	}
}

// fileMode returns the permission bits of an open file.
func fileMode(fd int) os.FileMode {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return 0o644
	}
	return os.FileMode(st.Mode & 0o7777)
}
