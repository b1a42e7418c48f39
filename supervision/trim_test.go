package supervision

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// exeResident sums the resident kilobytes of the executable's read-only
// mappings, and of its writable ones.
func exeResident(t *testing.T) (ro, rw int) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		t.Skip("no /proc/self/exe:", err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps:", err)
	}
	defer f.Close()
	ino := []byte(strconv.FormatUint(st.Ino, 10))
	var cur *int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		switch {
		case len(f) >= 6 && bytes.IndexByte(f[0], '-') > 0 && len(f[1]) == 4:
			cur = nil
			if bytes.Equal(f[4], ino) {
				if f[1][1] == 'w' {
					cur = &rw
				} else {
					cur = &ro
				}
			}
		case cur != nil && len(f) >= 2 && string(f[0]) == "Rss:":
			n, _ := strconv.Atoi(string(f[1]))
			*cur += n
		}
	}
	return ro, rw
}

func TestDropText(t *testing.T) {
	ro0, rw0 := exeResident(t)
	dropText()
	ro1, rw1 := exeResident(t)
	t.Logf("read-only pages of the executable: %d kB before, %d kB after; writable %d kB, %d kB", ro0, ro1, rw0, rw1)
	if ro0 == 0 || ro1 >= ro0 {
		t.Errorf("read-only pages resident: %d kB before, %d kB after", ro0, ro1)
	}
	if rw1 < rw0 {
		t.Errorf("writable pages dropped: %d kB before, %d kB after", rw0, rw1)
	}
}
