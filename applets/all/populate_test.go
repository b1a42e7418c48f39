package all

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// segment is one mapping of the executable, as /proc/PID/smaps shows it.
type segment struct {
	perms           string
	size, rss, anon int // KiB
}

// segments returns pid's text, file-backed data and bss mappings of
// the executable exe: the r-xp and rw-p mappings of the file, and the
// anonymous mapping that starts where the data ends.
func segments(t *testing.T, pid int, exe string) (text, data, bss segment) {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cur *segment
	var dataEnd string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			cur = nil
			span := strings.SplitN(fields[0], "-", 2)
			path := ""
			if len(fields) >= 6 {
				path = fields[5]
			}
			switch {
			case path == exe && fields[1] == "r-xp":
				text.perms, cur = fields[1], &text
			case path == exe && fields[1] == "rw-p":
				data.perms, cur, dataEnd = fields[1], &data, span[1]
			case path == "" && span[0] == dataEnd && bss.perms == "":
				bss.perms, cur = fields[1], &bss
			}
			continue
		}
		if cur == nil || len(fields) < 2 {
			continue
		}
		n, _ := strconv.Atoi(fields[1])
		switch fields[0] {
		case "Size:":
			cur.size = n
		case "Rss:":
			cur.rss = n
		case "Anonymous:":
			cur.anon = n
		}
	}
	if text.perms == "" || data.perms == "" || bss.perms == "" {
		t.Fatalf("pid %d: no text, data or bss mapping of %s in its smaps (text %v, data %v, bss %v)", pid, exe, text, data, bss)
	}
	return text, data, bss
}

// The entry point maps in the executable's text for every applet, and
// its data and bss by what the applet is (privs/populate.go): all of
// them for a short-lived one and a chain of loaders that ends in one
// (here envdir, running tai64n in its own process), the file-backed
// data and not the bss for a chain that names a program that may stay
// (multilog) and for setlock, and neither for a long-lived one.
func TestStartPopulates(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the entry point is linux/amd64 only")
	}
	var page [1]byte
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&page[0]))&^4095, 4096, 22 /* MADV_POPULATE_READ */); e != 0 {
		t.Skipf("this kernel has no MADV_POPULATE_READ (%v): before 5.14", e)
	}
	bin := apptest.PlainBinDir(t)
	exe, err := filepath.EvalSymlinks(filepath.Join(bin, "daemontools"))
	if err != nil {
		t.Fatal(err)
	}
	logs, env := t.TempDir(), t.TempDir()
	for _, c := range []struct {
		name      string
		argv      []string
		data, bss bool // whole
	}{
		{"tai64n", []string{"tai64n"}, true, true},
		{"daemontools tai64n", []string{"daemontools", "tai64n"}, true, true},
		{"envdir DIR tai64n", []string{"envdir", env, filepath.Join(bin, "tai64n")}, true, true},
		{"envdir DIR multilog", []string{"envdir", env, filepath.Join(bin, "multilog"), logs + "/third"}, true, false},
		{"setlock FILE tai64n", []string{"setlock", filepath.Join(logs, "lock"), filepath.Join(bin, "tai64n")}, true, false},
		{"multilog", []string{"multilog", logs + "/main"}, false, false},
		{"daemontools multilog", []string{"daemontools", "multilog", logs + "/other"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(filepath.Join(bin, c.argv[0]), c.argv[1:]...)
			w, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			p := apptest.Start(t, cmd)
			defer p.Kill()
			defer w.Close()
			// The runtime has started (its monitor's thread), so the
			// entry point is done.
			tasks := "/proc/" + strconv.Itoa(p.Pid()) + "/task"
			apptest.Poll(t, 10*time.Second, "the runtime's threads", func() bool {
				ents, _ := os.ReadDir(tasks)
				return len(ents) > 1
			})
			text, data, bss := segments(t, p.Pid(), exe)
			if text.rss != text.size {
				t.Errorf("text: %d KiB of %d mapped, want all", text.rss, text.size)
			}
			// Written pages are the process's own (Anonymous); the
			// data's others are still the file's.
			if whole := data.anon == data.size; whole != c.data {
				t.Errorf("data: %d KiB of %d written, want all: %v", data.anon, data.size, c.data)
			}
			if whole := bss.anon == bss.size; whole != c.bss {
				t.Errorf("bss: %d KiB of %d written, want all: %v", bss.anon, bss.size, c.bss)
			}
		})
	}
}

// After the runtime has started, the prefault package maps in the heap
// window the entry point chose (privs/populate.go): 512 KiB for a
// short-lived applet and a chain of loaders that ends elsewhere,
// 256 KiB for a chain that names a program that may stay, none for a
// long-lived one. Read from strace: the one MADV_POPULATE_WRITE outside the
// executable's own mappings, and its length.
func TestStartPopulatesHeap(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the entry point is linux/amd64 only")
	}
	strace := apptest.Strace(t)
	bin := apptest.PlainBinDir(t)
	logs, env, out := t.TempDir(), t.TempDir(), t.TempDir()
	for i, c := range []struct {
		name string
		argv []string
		want string // the window's length, "" for none
	}{
		{"tai64n", []string{"tai64n"}, "524288"},
		{"daemontools svok", []string{"daemontools", "svok", logs}, "524288"},
		{"envdir DIR true", []string{"envdir", env, "true"}, "524288"},
		{"envdir DIR multilog", []string{"envdir", env, "multilog", logs + "/third"}, "262144"},
		{"daemontools envdir DIR fghack true", []string{"daemontools", "envdir", env, "fghack", "true"}, "262144"},
		{"multilog", []string{"multilog", logs + "/main"}, ""},
		{"daemontools multilog", []string{"daemontools", "multilog", logs + "/other"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			trace := filepath.Join(out, strconv.Itoa(i))
			cmd := exec.Command(strace, append([]string{"-f", "-qq", "-e", "trace=madvise", "-o", trace, filepath.Join(bin, c.argv[0])}, c.argv[1:]...)...)
			cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
			cmd.Run() // svok's exit status says the directory is not supervised
			text, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(string(text), "\n") {
				i := strings.Index(line, "madvise(0x")
				if i < 0 || !strings.Contains(line, "MADV_POPULATE_WRITE") {
					continue
				}
				f := strings.Split(line[i+len("madvise("):], ", ")
				addr, err := strconv.ParseUint(strings.TrimPrefix(f[0], "0x"), 16, 64)
				if err != nil || len(f) < 3 {
					t.Fatalf("unexpected strace line %q", line)
				}
				if addr >= 1<<32 { // not the executable's data (linked at 0x400000)
					got = append(got, f[1])
				}
			}
			switch {
			case c.want == "" && len(got) != 0:
				t.Errorf("heap populated (%v), want none for a long-lived applet\n%s", got, text)
			case c.want != "" && (len(got) != 1 || got[0] != c.want):
				t.Errorf("heap populated %v, want one window of %s bytes\n%s", got, c.want, text)
			}
		})
	}
}
