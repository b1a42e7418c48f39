package logging

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/daemontools-go/daemontools/timefmt"
)

// This file checks the engine against refModel, an independent model of
// daemontools 0.76's multilog that works the way the reference does: one
// byte at a time, through a 1024-byte input buffer refilled by reads, a
// 1000-byte line buffer, and a 512-byte buffer per directory whose
// flushes decide where files are cut. The engine reads in large blocks
// and models those buffers arithmetically; both must produce the same
// files, byte for byte, for any input and any way it is split into reads.

type refDir struct {
	size, num uint64
	buf       []byte
	bytes     uint64
	cur       []byte
	old       [][]byte
	selected  bool
}

func (d *refDir) rotate() {
	d.old = append(d.old, d.cur)
	d.cur = nil
	d.bytes = 0
}

func (d *refDir) cwrite(b []byte) int {
	if d.bytes >= d.size {
		d.rotate()
	}
	n := len(b)
	if uint64(n) >= d.size-d.bytes {
		n = int(d.size - d.bytes)
	}
	if d.bytes+uint64(n) >= d.size-2000 {
		if j := bytes.LastIndexByte(b[:n], '\n'); j >= 0 {
			n = j + 1
		}
	}
	d.cur = append(d.cur, b[:n]...)
	d.bytes += uint64(n)
	if d.bytes >= d.size-2000 && b[n-1] == '\n' {
		d.rotate()
	}
	return n
}

func (d *refDir) allwrite(b []byte) {
	for len(b) > 0 {
		b = b[d.cwrite(b):]
	}
}

func (d *refDir) flush() {
	if len(d.buf) > 0 {
		b := append([]byte(nil), d.buf...)
		d.buf = d.buf[:0]
		d.allwrite(b)
	}
}

func (d *refDir) put(b []byte) {
	if len(b) > 512-len(d.buf) {
		d.flush()
		for len(b) > 512 {
			n := min(8192, len(b))
			d.allwrite(b[:n])
			b = b[n:]
		}
	}
	d.buf = append(d.buf, b...)
}

func (d *refDir) putc(c byte) {
	if len(d.buf) < 512 {
		d.buf = append(d.buf, c)
		return
	}
	d.put([]byte{c})
}

type refModel struct {
	script *Script
	dirs   []*refDir
	alerts bytes.Buffer
	status [][]byte

	chunks   [][]byte
	next     int
	rest     []byte
	inbuf    []byte
	stampIdx int
}

func stampFor(i int) timefmt.TAI64N {
	return timefmt.TAI64N{Sec: timefmt.Epoch + 1_700_000_000 + uint64(i), Nano: 500}
}

func (m *refModel) getc() (byte, bool) {
	if len(m.inbuf) == 0 {
		for _, d := range m.dirs {
			d.flush()
		}
		for len(m.rest) == 0 {
			if m.next == len(m.chunks) {
				return 0, false
			}
			m.rest = m.chunks[m.next]
			m.stampIdx = m.next
			m.next++
		}
		n := min(1024, len(m.rest))
		m.inbuf, m.rest = m.rest[:n], m.rest[n:]
	}
	c := m.inbuf[0]
	m.inbuf = m.inbuf[1:]
	return c, true
}

func runModel(s *Script, chunks [][]byte) *refModel {
	m := &refModel{script: s, chunks: chunks}
	for _, c := range s.Dirs {
		m.dirs = append(m.dirs, &refDir{size: c.Size, num: c.Num})
	}
	m.status = make([][]byte, len(s.StatusFiles))
	line := make([]byte, 0, 1000)
	for {
		line = line[:0]
		eof := false
		for len(line) < 1000 {
			c, ok := m.getc()
			if !ok {
				if len(line) == 0 {
					return m.end()
				}
				eof = true
				break
			}
			if len(line) == 0 && s.Timestamp {
				l := stampFor(m.stampIdx).Label()
				line = append(line, l[:]...)
				line = append(line, ' ')
			}
			if c == '\n' {
				break
			}
			line = append(line, c)
		}
		sel := true
		for _, a := range s.Actions {
			switch a.Kind {
			case Select:
				if !sel && refMatch(a.Pattern, line) {
					sel = true
				}
			case Deselect:
				if sel && refMatch(a.Pattern, line) {
					sel = false
				}
			case Alert:
				if sel {
					if len(line) > 200 {
						m.alerts.Write(line[:200])
						m.alerts.WriteString("...\n")
					} else {
						m.alerts.Write(line)
						m.alerts.WriteString("\n")
					}
				}
			case Status:
				if sel {
					st := bytes.Repeat([]byte{'\n'}, 1001)
					copy(st, line)
					m.status[a.Index] = st
				}
			case Dir:
				m.dirs[a.Index].selected = sel
			}
		}
		for _, d := range m.dirs {
			if d.selected {
				d.put(line)
			}
		}
		if len(line) == 1000 {
			for {
				c, ok := m.getc()
				if !ok {
					eof = true
					break
				}
				if c == '\n' {
					break
				}
				for _, d := range m.dirs {
					if d.selected {
						d.putc(c)
					}
				}
			}
		}
		for _, d := range m.dirs {
			if d.selected {
				d.putc('\n')
			}
		}
		if eof {
			return m.end()
		}
	}
}

func (m *refModel) end() *refModel {
	for _, d := range m.dirs {
		d.flush()
	}
	return m
}

// chunkSource feeds the engine one chunk per read.
func chunkSource(chunks [][]byte) func(p []byte) int {
	i := 0
	return func(p []byte) int {
		if i == len(chunks) {
			return 0
		}
		c := chunks[i]
		if len(c) > len(p) {
			panic("chunk larger than the read size")
		}
		i++
		return copy(p, c)
	}
}

// runEngine runs the engine on chunks in a fresh directory; the script
// refers to it as $D.
func runEngine(t testing.TB, words []string, chunks [][]byte, readSize int) (dir string, s *Script, alerts string) {
	t.Helper()
	dir = t.TempDir()
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$D", dir)
	}
	s = ParseScript(words)
	var mu sync.Mutex
	var alert bytes.Buffer
	l := New(s, Options{Stderr: writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return alert.Write(b)
	}), ReadSize: readSize, Warn: func(msg string, err error) { t.Errorf("warning: %s: %v", msg, err) }})
	calls := 0
	l.now = func() timefmt.TAI64N { calls++; return stampFor(calls - 1) }
	l.sync = func(int) error { return nil }
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	l.run(chunkSource(chunks))
	return dir, s, alert.String()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// dirFiles returns the old files of a log directory in the order they
// were finished, and current.
func dirFiles(t testing.TB, dir string) (old [][]byte, cur []byte) {
	t.Helper()
	names := oldFiles(t, dir)
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, b)
	}
	cur, err := os.ReadFile(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return old, cur
}

func compareWithModel(t *testing.T, words []string, chunks [][]byte, readSize int) {
	t.Helper()
	dir, s, alerts := runEngine(t, append([]string(nil), words...), chunks, readSize)
	m := runModel(s, chunks)
	if alerts != m.alerts.String() {
		t.Errorf("e output differs\nengine: %q\nmodel:  %q", alerts, m.alerts.String())
	}
	for i, p := range s.StatusFiles {
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := m.status[i]
		if want == nil {
			want = []byte{}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("status file %d: got %q, want %q", i, got, want)
		}
	}
	for i, c := range s.Dirs {
		old, cur := dirFiles(t, c.Path)
		md := m.dirs[i]
		wantOld := md.old
		if k := int(c.Num) - 1; len(wantOld) > k {
			wantOld = wantOld[len(wantOld)-k:]
		}
		if len(old) != len(wantOld) {
			t.Errorf("dir %d: %d old files, model %d (sizes %v vs %v)", i, len(old), len(wantOld), sizes(old), sizes(wantOld))
			continue
		}
		for j := range old {
			if !bytes.Equal(old[j], wantOld[j]) {
				t.Errorf("dir %d old file %d differs: %d bytes vs model %d (sizes %v vs %v)", i, j, len(old[j]), len(wantOld[j]), sizes(old), sizes(wantOld))
				break
			}
		}
		if !bytes.Equal(cur, md.cur) {
			t.Errorf("dir %d current differs: %d bytes vs model %d", i, len(cur), len(md.cur))
		}
	}
	_ = dir
}

func sizes(files [][]byte) []int {
	var s []int
	for _, f := range files {
		s = append(s, len(f))
	}
	return s
}

// genInput makes lines whose lengths cluster where the rules change:
// short lines, lines around the 1000-byte buffer (with and without the
// 26-byte timestamp), and lines longer than a small log file.
func genInput(r *rand.Rand) []byte {
	var b []byte
	nlines := r.IntN(200)
	const alphabet = "ab12 xyz*"
	for i := 0; i < nlines; i++ {
		var n int
		switch r.IntN(10) {
		case 0:
			n = []int{0, 1, 973, 974, 975, 999, 1000, 1001, 1023, 1024, 1025}[r.IntN(11)]
		case 1:
			n = 900 + r.IntN(200)
		case 2:
			n = 2000 + r.IntN(9000)
		default:
			n = r.IntN(300)
		}
		for j := 0; j < n; j++ {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		if i < nlines-1 || r.IntN(3) > 0 {
			b = append(b, '\n')
		}
	}
	return b
}

// genChunks splits input the ways reads split it: tiny reads, exact
// multiples of 1024, and anything up to max.
func genChunks(r *rand.Rand, in []byte, max int) [][]byte {
	var chunks [][]byte
	for len(in) > 0 {
		var n int
		switch r.IntN(4) {
		case 0:
			n = 1 + r.IntN(16)
		case 1:
			n = 1024 * (1 + r.IntN(max/1024))
		default:
			n = 1 + r.IntN(max)
		}
		n = min(n, len(in))
		chunks = append(chunks, in[:n])
		in = in[n:]
	}
	return chunks
}

var modelScripts = [][]string{
	{"s4096", "n1000", "$D/log"},
	{"t", "s4096", "n1000", "$D/log"},
	{"t", "s5000", "n1000", "$D/a", "-* *1*", "s4500", "$D/b", "e", "=$D/st"},
	{"-*x*", "+*2*", "e", "s4096", "n1000", "$D/a", "-*", "+*z", "=$D/st", "s6000", "$D/b"},
	{"t", "-", "e", "n1000", "s4096", "$D/a", "+", "=$D/empty", "$D/b"},
	{"t", "e", "+*", "s99999", "n1000", "$D/log", "=$D/st"},
	{"s16777215", "$D/log"},
}

func TestEngineMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for round := 0; round < rounds; round++ {
		words := modelScripts[round%len(modelScripts)]
		in := genInput(r)
		readSize := 1024 * (1 + r.IntN(8))
		chunks := genChunks(r, in, readSize)
		t.Run(fmt.Sprintf("%d", round), func(t *testing.T) {
			compareWithModel(t, words, chunks, readSize)
		})
	}
}

// FuzzEngineMatchesModel lets the fuzzer pick the input and how reads
// split it.
func FuzzEngineMatchesModel(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint64(1), uint8(0))
	f.Add(bytes.Repeat([]byte("0123456789abcdef\n"), 600), uint64(99), uint8(1))
	f.Add(bytes.Repeat([]byte("x"), 5000), uint64(3), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64, which uint8) {
		if len(in) > 4<<10 { // each run writes real files: keep runs short
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		readSize := 4096
		chunks := genChunks(r, in, readSize)
		compareWithModel(t, modelScripts[int(which)%len(modelScripts)], chunks, readSize)
	})
}
