package multilog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/daemontools-go/daemontools/applets/apptest"
)

// TestKillDuringCompression kills multilog with KILL while it gzips a
// large archive: the next start removes the partial file and compresses
// the archive again, and nothing is lost.
func TestKillDuringCompression(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	os.Mkdir(log, 0o700)
	var big bytes.Buffer
	for i := 0; big.Len() < 8<<20; i++ {
		fmt.Fprintf(&big, "%09d some text that compresses %x\n", i, i*2654435761)
	}
	name := "@400000006b00000100000000.s"
	if err := os.WriteFile(filepath.Join(log, name), big.Bytes(), 0o744); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(log, "current"), nil, 0o744)
	cmd := multilog(t, dir, "z9", "./log")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := apptest.Start(t, cmd)
	tmp := filepath.Join(log, "compressing.tmp")
	apptest.Poll(t, 20*time.Second, "compression under way", func() bool {
		st, err := os.Stat(tmp)
		return err == nil && st.Size() > 0
	})
	p.Signal(syscall.SIGKILL)
	p.Wait(t, 10*time.Second)
	if _, err := os.Stat(filepath.Join(log, name)); err != nil {
		t.Fatalf("the archive went with the kill: %v", err)
	}
	again := multilog(t, dir, "z", "./log")
	again.Stdin = strings.NewReader("")
	if out, err := again.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("next start: %v %q", err, out)
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Error("the partial file is still there")
	}
	if _, err := os.Stat(filepath.Join(log, name)); err == nil {
		t.Error("the archive was not compressed")
	}
	f, err := os.Open(filepath.Join(log, name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, big.Bytes()) {
		t.Errorf("the compressed archive holds %d bytes (%v), the archive had %d", len(got), err, big.Len())
	}
}

// TestServiceNameInJSON: run as a service's log/run, multilog names the
// service in its JSON lines.
func TestServiceNameInJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "web", "log")
	os.MkdirAll(dir, 0o755)
	cmd := multilog(t, dir, "j", "1")
	cmd.Stdin = strings.NewReader("hello\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ Service, Msg string }
	if err := json.Unmarshal(out, &j); err != nil || j.Service != "web" || j.Msg != "hello" {
		t.Errorf("%s: %+v %v", out, j, err)
	}
	elsewhere := multilog(t, t.TempDir(), "j", "1")
	elsewhere.Stdin = strings.NewReader("hello\n")
	out, _ = elsewhere.Output()
	if strings.Contains(string(out), "service") {
		t.Errorf("outside a log directory: %s", out)
	}
}
