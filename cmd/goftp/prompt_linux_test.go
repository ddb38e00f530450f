//go:build linux

package main

import (
	"context"
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

// promptSession runs goftp ls on a terminal with no password known, waits
// for the password prompt and returns the master side of the terminal,
// the run's outcome and stderr. The terminal's settings before the run
// are returned too, to check that they are restored.
func promptSession(t *testing.T, ctx context.Context) (master *os.File, done <-chan int, errb *syncBuffer, before *unix.Termios) {
	t.Helper()
	t.Setenv("FTP_PASSWORD", "")
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
	e := newEnv(t, ftptest.Options{})
	master, slave := openPTY(t)
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Skipf("terminal settings: %v", err)
	}
	errb = new(syncBuffer)
	ch := make(chan int, 1)
	go func() { ch <- run(ctx, []string{"ls", e.url("")}, slave, io.Discard, errb) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "Password for user@127.0.0.1: ") {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt; stderr %q", errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The prompt is printed before the terminal goes raw: keys typed in
	// between would meet the cooked line discipline (^C a signal to
	// nobody, lost). Wait for raw mode, as a person cannot type so fast.
	for {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err == nil && tio.Lflag&(unix.ICANON|unix.ISIG) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal did not go raw at the prompt (%v)", err)
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		after, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil || *after != *before {
			t.Errorf("terminal settings not restored: %+v, want %+v (%v)", after, before, err)
		}
	})
	return master, ch, errb, before
}

// waitExit waits for the run to end, at most 5 seconds.
func waitExit(t *testing.T, done <-chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("goftp is still waiting for the password")
		return -1
	}
}

// TestPasswordPromptCtrlC: Ctrl-C at the prompt ends goftp at once with
// status 130, without waiting for Enter, the terminal restored.
func TestPasswordPromptCtrlC(t *testing.T) {
	noLeaks(t)
	master, done, errb, _ := promptSession(t, t.Context())
	master.Write([]byte("half a passw\x03"))
	if code := waitExit(t, done); code != exitInterrupted || !strings.Contains(errb.String(), "goftp: interrupted") {
		t.Errorf("exit %d, stderr %q; want %d and goftp: interrupted", code, errb.String(), exitInterrupted)
	}
}

// TestPasswordPromptCancelled: the app's context cancelled at the prompt
// (SIGINT or SIGTERM delivered to the process) ends the prompt at once.
func TestPasswordPromptCancelled(t *testing.T) {
	noLeaks(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, done, errb, _ := promptSession(t, ctx)
	cancel()
	if code := waitExit(t, done); code != exitInterrupted || !strings.Contains(errb.String(), "goftp: interrupted") {
		t.Errorf("exit %d, stderr %q; want %d and goftp: interrupted", code, errb.String(), exitInterrupted)
	}
}

// TestPasswordPromptEditing: backspace and Ctrl-U edit the password being
// typed; Enter (CR in raw mode) ends it.
func TestPasswordPromptEditing(t *testing.T) {
	master, done, errb, _ := promptSession(t, t.Context())
	master.Write([]byte("garbage\x15" + ftptest.DefaultPassword + "x\x7f\r"))
	if code := waitExit(t, done); code != 0 {
		t.Errorf("exit %d, stderr %q; want 0", code, errb.String())
	}
}
