package logging

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
	"github.com/daemontools-go/daemontools/timefmt"
)

// fakeClock is a wall clock and a monotonic clock that tests move by
// hand; the wall clock can be stepped back while the monotonic one goes
// on.
type fakeClock struct {
	wall time.Time
	mono time.Duration
}

// advance moves both clocks on by d, or, for a negative d, steps the
// wall clock back alone.
func (c *fakeClock) advance(d time.Duration) {
	c.wall = c.wall.Add(d)
	if d > 0 {
		c.mono += d
	}
}

// runChunks runs a logger over chunks, one per read, with the clock
// moved by step[i] before read i (when given), in a fresh directory the
// words call $D. It returns the directory and standard output.
func runChunks(t *testing.T, words []string, chunks [][]byte, clock *fakeClock, step []time.Duration, opts Options) (string, string) {
	t.Helper()
	if clock == nil {
		return runChunksWith(t, words, chunks, func(*Logger) {}, func() {}, opts)
	}
	i := 0
	return runChunksWith(t, words, chunks, func(l *Logger) {
		l.wall = func() time.Time { return clock.wall }
		l.mono = func() time.Duration { return clock.mono }
	}, func() {
		if i < len(step) {
			clock.advance(step[i])
		}
		i++
	}, opts)
}

// runChunksWith is runChunks with hooks that set the logger up and run
// before each read.
func runChunksWith(t *testing.T, words []string, chunks [][]byte, setup func(*Logger), before func(), opts Options) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$D", dir)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	opts.Stdout = int(w.Fd())
	if opts.Warn == nil {
		opts.Warn = func(msg string, err error) { t.Errorf("warning: %s: %v", msg, err) }
	}
	l := New(ParseScript(words), opts)
	setup(l)
	l.sync = func(int) error { return nil }
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	out := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		out <- b
	}()
	src := chunkSource(chunks)
	l.run(func(p []byte) int {
		before()
		return src(p)
	})
	w.Close()
	return dir, string(<-out)
}

type jsonLine struct {
	Time    string `json:"time"`
	Stamp   string `json:"stamp"`
	Service string `json:"service"`
	Msg     string `json:"msg"`
}

// JSON lines decode to the input's lines whatever the reads cut, long
// lines and invalid UTF-8 included, on standard output and in a
// directory alike.
func TestJSONLines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var in bytes.Buffer
	var want []string
	pieces := []string{"plain", " ", "é", "日本", "\xff", "\"", "\\", "\t", "\x01", "🎉", "\xe6\x97"}
	for i := 0; i < 300; i++ {
		var line strings.Builder
		n := r.IntN(40)
		if i%10 == 0 {
			n = 300 + r.IntN(700) // past 1000 bytes, cut inside runes
		}
		for j := 0; j < n; j++ {
			line.WriteString(pieces[r.IntN(len(pieces))])
		}
		in.WriteString(line.String() + "\n")
		want = append(want, expectDecoded(line.String()))
	}
	chunks := genChunks(r, in.Bytes(), 4096)
	clock := &fakeClock{wall: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	dir, out := runChunks(t, []string{"t", "j", "1", "s99999", "n100", "j", "$D/log"}, chunks, clock, nil, Options{ReadSize: 4096, Service: "web\"1"})
	for _, got := range []string{out, string(logText(t, filepath.Join(dir, "log")))} {
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d JSON lines, want %d", len(lines), len(want))
		}
		for i, text := range lines {
			var j jsonLine
			if err := json.Unmarshal([]byte(text), &j); err != nil {
				t.Fatalf("line %d: %v: %s", i, err, text)
			}
			if j.Msg != want[i] {
				t.Errorf("line %d: msg %q, want %q", i, j.Msg, want[i])
			}
			if j.Time != "2030-01-02T03:04:05.000000006Z" || j.Service != "web\"1" {
				t.Errorf("line %d: time %q service %q", i, j.Time, j.Service)
			}
			if _, ok := timefmt.ParseLabel([]byte(j.Stamp)); !ok {
				t.Errorf("line %d: stamp %q", i, j.Stamp)
			}
		}
	}
}

// T puts s6-log's stamp after the t label, also before a long line that
// a directory gets whole; without t there is no label. Directories
// without T keep the reference's bytes.
func TestISOStamp(t *testing.T) {
	long := strings.Repeat("L", 2500)
	in := []byte("one\n" + long + "\nlast")
	clock := &fakeClock{wall: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	loc := time.FixedZone("E", 3600)
	dir, out := runChunks(t, []string{"t", "T", "1", "T", "$D/iso", "$D/plain"}, [][]byte{in[:10], in[10:1500], in[1500:]}, clock, nil, Options{Location: loc})
	const iso = "2030-01-02 04:04:05.000000006  "
	label := timefmt.FromTime(clock.wall).String() + " "
	want := label + iso + "one\n" + label + iso + long + "\n" + label + iso + "last\n"
	if out != want {
		t.Errorf("stdout:\n%q\nwant\n%q", out, want)
	}
	if got := string(logText(t, filepath.Join(dir, "iso"))); got != want {
		t.Errorf("T directory:\n%q\nwant\n%q", got, want)
	}
	plain := label + "one\n" + label + long + "\n" + label + "last\n"
	if got := string(logText(t, filepath.Join(dir, "plain"))); got != plain {
		t.Errorf("plain directory:\n%q\nwant\n%q", got, plain)
	}
}

// `1` follows the selection at its place in the script.
func TestStdoutSelection(t *testing.T) {
	_, out := runChunks(t, []string{"-*", "+a*", "1", "-*", "+*b", "1"}, [][]byte{[]byte("ab\nxb\nax\nzz\n")}, nil, nil, Options{})
	// Each 1 writes its own batch: the first action's lines, then the
	// second's.
	if out != "ab\nax\nab\nxb\n" {
		t.Errorf("stdout %q", out)
	}
}

// R rotates once current's first line is R old on the monotonic clock:
// the wall clock stepped back an hour changes nothing.
func TestRotateByAge(t *testing.T) {
	clock := &fakeClock{wall: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	chunks := [][]byte{[]byte("a\n"), []byte("b\n"), []byte("c\n"), []byte("d\n"), []byte("e\n"), []byte("f\n")}
	// c comes 11 s after a, f 11 s after c, with the wall clock stepped
	// back an hour in between.
	step := []time.Duration{0, 5 * time.Second, 6 * time.Second, -time.Hour, 2 * time.Second, 9 * time.Second}
	dir, _ := runChunks(t, []string{"R10s", "$D/log"}, chunks, clock, step, Options{})
	old, cur := dirFiles(t, filepath.Join(dir, "log"))
	if len(old) != 2 || string(old[0]) != "a\nb\n" || string(old[1]) != "c\nd\ne\n" || string(cur) != "f\n" {
		t.Errorf("old %q current %q", old, cur)
	}
}

// TestRotateByAgeWhileIdle: with no more input, current is rotated when
// its first line is R old (a deadline interrupts the read).
func TestRotateByAgeWhileIdle(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{"R1s", d + "/log"}, Options{})
	s.write(t, "idle line\n")
	apptest.Poll(t, 20*time.Second, "a rotation without input", func() bool { return len(apptest.OldLogs(t, d+"/log")) == 1 })
	if b, _ := os.ReadFile(filepath.Join(d, "log", "current")); len(b) != 0 {
		t.Errorf("current %q", b)
	}
	s.write(t, "next\n")
	s.out.Close()
	s.wait(t)
	old, cur := dirFiles(t, d+"/log")
	if len(old) != 1 || string(old[0]) != "idle line\n" || string(cur) != "next\n" {
		t.Errorf("old %q current %q", old, cur)
	}
}

// gunzipAll returns the contents of every archive of dir in order,
// decompressed, and fails when one is not compressed.
func gunzipAll(t *testing.T, dir string) []byte {
	t.Helper()
	var all bytes.Buffer
	for _, n := range apptest.OldLogs(t, dir) {
		if !strings.HasSuffix(n, ".gz") {
			t.Errorf("%s is not compressed", n)
			continue
		}
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := io.Copy(&all, zr); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		f.Close()
		if st, _ := os.Stat(filepath.Join(dir, n)); st.Mode().Perm() != 0o744 {
			t.Errorf("%s has mode %o", n, st.Mode().Perm())
		}
	}
	return all.Bytes()
}

func manyLines(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat("x", i%97))
		b.WriteString(" line\n")
	}
	return b.String()
}

// z: every archive ends up compressed, nothing is lost, nothing is left
// half-written, and the processor's output is what is compressed.
func TestCompress(t *testing.T) {
	in := manyLines(3000)
	dir, _ := runChunks(t, []string{"s4096", "n1000", "z", "$D/log", "!tr x X", "z1", "$D/proc"}, [][]byte{[]byte(in)}, nil, nil, Options{ReadSize: 1 << 20})
	log := filepath.Join(dir, "log")
	_, cur := dirFiles(t, log)
	if got := string(gunzipAll(t, log)) + string(cur); got != in {
		t.Errorf("the archives and current hold %d bytes, the input %d", len(got), len(in))
	}
	proc := filepath.Join(dir, "proc")
	_, cur = dirFiles(t, proc)
	if got := string(gunzipAll(t, proc)) + strings.ReplaceAll(string(cur), "x", "X"); got != strings.ReplaceAll(in, "x", "X") {
		t.Errorf("processed archives differ")
	}
	for _, d := range []string{log, proc} {
		if _, err := os.Stat(filepath.Join(d, tmpName)); err == nil {
			t.Errorf("%s left in %s", tmpName, d)
		}
	}
}

// A crash in the middle leaves a partial compressing.tmp, or an archive
// both compressed and not: the next start finishes the work.
func TestCompressRecovers(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	os.Mkdir(log, 0o700)
	a := "@400000006b000001000001f4.s"
	b := "@400000006b000002000001f4.u"
	os.WriteFile(filepath.Join(log, a), []byte("first archive\n"), 0o744)
	os.WriteFile(filepath.Join(log, tmpName), []byte("\x1f\x8b half"), 0o600)
	os.WriteFile(filepath.Join(log, b), []byte("second\n"), 0o744)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("second\n"))
	zw.Close()
	os.WriteFile(filepath.Join(log, b+".gz"), gz.Bytes(), 0o744)
	s := startLogger(t, []string{"z", log}, Options{})
	s.out.Close()
	s.wait(t)
	names := apptest.OldLogs(t, log)
	if strings.Join(names, " ") != a+".gz "+b+".gz" {
		t.Errorf("archives %q", names)
	}
	if got := string(gunzipAll(t, log)); got != "first archive\nsecond\n" {
		t.Errorf("contents %q", got)
	}
	if _, err := os.Stat(filepath.Join(log, tmpName)); err == nil {
		t.Error("the partial compression is still there")
	}
}

// Scripts with extension words around the reference's actions: every
// directory, status file and alert without T or j must still be the
// model's, byte for byte, however the reads split the input.
var extScripts = [][]string{
	{"t", "R99d", "T", "1", "s4096", "n1000", "$D/a", "-*x*", "j", "1", "e", "=$D/st", "$D/b"},
	{"1", "-* 1*", "1", "s5000", "n1000", "$D/a", "j", "1", "+*", "T", "$D/iso", "$D/b"},
	{"t", "j", "$D/json", "s4096", "n1000", "S99999999", "X99d", "$D/a", "1"},
}

func compareExtWithModel(t *testing.T, words []string, chunks [][]byte, readSize int) {
	t.Helper()
	words = append([]string(nil), words...)
	calls := 0
	dir, _ := runChunksWith(t, words, chunks, func(l *Logger) {
		l.now = func() timefmt.TAI64N { calls++; return stampFor(calls - 1) }
	}, func() {}, Options{ReadSize: readSize})
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$D", dir)
	}
	s := ParseScript(words)
	m := runModel(s, chunks)
	for i, p := range s.StatusFiles {
		got, _ := os.ReadFile(p)
		want := m.status[i]
		if want == nil {
			want = []byte{}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("status file %d differs", i)
		}
	}
	for i, c := range s.Dirs {
		if c.Format != Plain {
			continue
		}
		old, cur := dirFiles(t, c.Path)
		md := m.dirs[i]
		if len(old) != len(md.old) || !bytes.Equal(cur, md.cur) {
			t.Errorf("%s: %v + %d, model %v + %d", c.Path, sizes(old), len(cur), sizes(md.old), len(md.cur))
			continue
		}
		for j := range old {
			if !bytes.Equal(old[j], md.old[j]) {
				t.Errorf("%s: old file %d differs", c.Path, j)
			}
		}
	}
}

func TestExtensionsKeepReferenceBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	for round := 0; round < 30; round++ {
		in := genInput(r)
		readSize := 1024 * (1 + r.IntN(8))
		compareExtWithModel(t, extScripts[round%len(extScripts)], genChunks(r, in, readSize), readSize)
	}
}

func FuzzExtensionsKeepReferenceBytes(f *testing.F) {
	f.Add([]byte("hello\nworld x\n 1 one\n"), uint64(1), uint8(0))
	f.Add(bytes.Repeat([]byte("0123456789abcdef\n"), 600), uint64(99), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64, which uint8) {
		if len(in) > 4<<10 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		compareExtWithModel(t, extScripts[int(which)%len(extScripts)], genChunks(r, in, 4096), 4096)
	})
}

// TERM in the middle of a line finishes that line, in JSON too, and
// leaves the rest unread.
func TestTerminateFinishesAJSONLine(t *testing.T) {
	d := t.TempDir()
	s := startLogger(t, []string{"j", d + "/log"}, Options{})
	s.write(t, "first\npart")
	apptest.Poll(t, 10*time.Second, "the first line", func() bool {
		b, _ := os.ReadFile(d + "/log/current")
		return strings.Contains(string(b), `"msg":"first"}`)
	})
	s.l.Terminate()
	s.write(t, "ial\nnext\n")
	s.wait(t)
	lines := strings.Split(strings.TrimSuffix(string(mustRead(t, d+"/log/current")), "\n"), "\n")
	var j jsonLine
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &j) != nil || j.Msg != "partial" {
		t.Errorf("current %q", lines)
	}
	if got := s.remaining(t); got != "next\n" {
		t.Errorf("left unread %q", got)
	}
}
