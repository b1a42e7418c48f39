package logging

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/daemontools-go/daemontools/timefmt"
)

// benchCorpus is lines like the bench command's corpus: 0 to 300 random
// printable bytes each, about 150 bytes a line on average.
func benchCorpus(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_=/[]()"
	b := make([]byte, 0, size+302)
	for len(b) < size {
		n := r.IntN(301)
		for i := 0; i < n; i++ {
			b = append(b, alphabet[r.IntN(len(alphabet))])
		}
		b = append(b, '\n')
	}
	return b
}

// benchEngine runs the line loop over the corpus in reads of the default
// size, once per iteration, into a real directory with fsync left out
// (it measures the disk, not the engine).
func benchEngine(b *testing.B, words ...string) {
	dir := b.TempDir()
	in := benchCorpus(8 << 20)
	var chunks [][]byte
	for rest := in; len(rest) > 0; {
		n := min(DefaultReadSize, len(rest))
		chunks = append(chunks, rest[:n])
		rest = rest[n:]
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$D", dir)
	}
	words = append(words, dir+"/log")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		l := New(ParseScript(words), Options{})
		l.now = timefmt.Now
		l.sync = func(int) error { return nil }
		if err := l.Start(); err != nil {
			b.Fatal(err)
		}
		l.run(chunkSource(chunks))
	}
}

func BenchmarkEngine(b *testing.B) { benchEngine(b, "t", "s16777215", "n5") }

func BenchmarkEngineSelect(b *testing.B) {
	benchEngine(b, "t", "-*x*", "+*1*", "s16777215", "n5")
}

// BenchmarkEngineStatus writes a status file for every line: the `=`
// action is a write(2) a line.
func BenchmarkEngineStatus(b *testing.B) {
	benchEngine(b, "t", "=$D/status", "s16777215", "n5")
}

// BenchmarkEngineRotate rotates at the default size, about 85 times an
// iteration, so that it counts what a rotation costs.
func BenchmarkEngineRotate(b *testing.B) { benchEngine(b, "t", "n5") }
