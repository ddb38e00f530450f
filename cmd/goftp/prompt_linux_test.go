//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goftplib/ftp/ftptest"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestPasswordPrompt checks that, with no password from the URL, the
// environment or .netrc, goftp asks for one on a terminal.
func TestPasswordPrompt(t *testing.T) {
	t.Setenv("FTP_PASSWORD", "")
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
	e := newEnv(t, ftptest.Options{})
	master, slave := openPTY(t)
	go io.Copy(io.Discard, master) // whatever the terminal echoes
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(t.Context(), []string{"ls", e.url("")}, slave, &out, &errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "Password for user@127.0.0.1: ") {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt; stderr %q", errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	master.Write([]byte(ftptest.DefaultPassword + "\n"))
	select {
	case code := <-done:
		if code != 0 || out.String() != "hello.txt\npub\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("goftp did not finish after the password was typed")
	}
}
