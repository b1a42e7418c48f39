package supervision

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// dropText takes the executable's read-only pages (code, read-only data,
// the tables the runtime reads for stack maps) out of this process's
// page tables. They stay in the page cache: what the process still runs
// is faulted back in at once, and the rest, start-up code and every
// applet that is not svscan or supervise, stops counting towards its
// memory. A parked tree runs a small part of a binary that holds the
// whole suite, so this takes svscan's resident size down by about a
// megabyte (measured with 200 services). Writable mappings are never
// touched: their pages may be private copies.
func dropText() {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	ino := strconv.FormatUint(st.Ino, 10)
	for line := range bytes.Lines(maps) {
		// start-end perms offset dev inode path
		f := bytes.Fields(line)
		if len(f) < 6 || string(f[4]) != ino || len(f[1]) < 2 || f[1][1] != '-' {
			continue
		}
		r := bytes.IndexByte(f[0], '-')
		if r < 0 {
			continue
		}
		start, err1 := strconv.ParseUint(string(f[0][:r]), 16, 64)
		end, err2 := strconv.ParseUint(string(f[0][r+1:]), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
