package svctl

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// svc sends the option letters in first-appearance order without
// repeats, in one write, to each directory in turn.
func TestSvcOrder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "s", "supervise"), 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "s", "supervise", "control")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR: a reader that never blocks the open.
	fd, err := syscall.Open(fifo, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	s := filepath.Join(dir, "s")
	if code := Svc([]string{"svc", "-tkxudduo", "-h", "-ipcahhk", s, s}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	buf := make([]byte, 64)
	n, _ := syscall.Read(fd, buf)
	if got, want := string(buf[:n]), "tkxudohipcatkxudohipca"; got != want {
		t.Errorf("control got %q, want %q", got, want)
	}
	if code := Svc([]string{"svc", "-q", s}); code != 100 {
		t.Errorf("bad option: exit %d, want 100", code)
	}
}
