//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/creack/pty"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/faultproxy"
)

// screen collects what a pseudo-terminal shows and waits for text on it.
type screen struct {
	t    *testing.T
	buf  syncBuffer
	mark int // expect looks after this offset
}

// expect waits until s appears on the screen after the previous match,
// and moves past it.
func (sc *screen) expect(s string) {
	sc.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := sc.buf.String()
		if i := strings.Index(all[sc.mark:], s); i >= 0 {
			sc.mark += i + len(s)
			return
		}
		if time.Now().After(deadline) {
			sc.t.Fatalf("%q not shown; the screen after the last match:\n%q", s, all[sc.mark:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShellTerminal runs goftp shell on a pseudo-terminal: keystrokes
// in, screen out. Tab completes a remote name and a command; Ctrl-C
// during a slowed download aborts it and brings the prompt back with the
// connection usable; Ctrl-C at the prompt drops the line; Ctrl-D leaves
// with status 0; the history file keeps the commands but no password.
func TestShellTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "goftp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	files := sampleFiles()
	big := bigData(8 << 20)
	files["big.bin"] = &fstest.MapFile{Data: big}
	e := newEnv(t, ftptest.Options{Files: files})
	px, err := faultproxy.Start(e.srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	local, state := t.TempDir(), t.TempDir()

	// start runs goftp shell on a new pseudo-terminal.
	startShell := func() (sc *screen, typ func(string), exited chan error) {
		cmd := exec.CommandContext(t.Context(), bin, "--netrc", e.netrc, "shell", fmt.Sprintf("ftp://%s@%s/", ftptest.DefaultUser, px.Addr))
		cmd.Dir = local
		cmd.Env = append(os.Environ(), "TERM=xterm", "XDG_STATE_HOME="+state, "FTP_PASSWORD=")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 132})
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		t.Cleanup(func() { tty.Close() })
		sc = &screen{t: t}
		go io.Copy(&sc.buf, tty)
		exited = make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		typ = func(s string) {
			t.Helper()
			if _, err := tty.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		return sc, typ, exited
	}
	sc, typ, exited := startShell()
	prompt := "goftp user@127.0.0.1:/> "
	sc.expect(prompt)

	// Tab completes a command name, then a remote file name.
	typ("ca\t")
	sc.expect("cat ")
	typ("hel\t")
	sc.expect("hello.txt")
	typ("\r")
	sc.expect("hello, world")
	sc.expect(prompt)
	// A directory, and the prompt follows the remote directory.
	typ("cd p\t")
	sc.expect("pub/")
	typ("\r")
	sc.expect("goftp user@127.0.0.1:/pub> ")
	typ("cd /\r")
	sc.expect(prompt)

	// Ctrl-C during a slowed download: the transfer is aborted, the
	// prompt comes back, the partial file is kept and the next command
	// works on the same session.
	px.SlowData(256 << 10)
	typ("set verbose 1\r")
	sc.expect(prompt)
	typ("get big.bin\r")
	sc.expect("big.bin")
	sc.expect("%")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	typ("\x03")
	sc.expect("interrupted")
	sc.expect(prompt)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the prompt came back %v after Ctrl-C", d)
	}
	if i := strings.Index(sc.buf.String(), "get big.bin"); i < 0 || !strings.Contains(sc.buf.String()[i:], "> ABOR") {
		t.Errorf("no ABOR sent after Ctrl-C")
	}
	px.SlowData(0)
	before := sc.mark
	typ("ls pub\r")
	sc.expect("a.txt")
	sc.expect(prompt)
	if strings.Contains(sc.buf.String()[before:sc.mark], "> USER") {
		t.Errorf("the session logged in again after Ctrl-C")
	}
	typ("set verbose 0\r")
	sc.expect(prompt)
	if _, err := os.Stat(filepath.Join(local, "big.bin")); err == nil {
		t.Errorf("big.bin installed after an interrupted download")
	}
	if fi, err := os.Stat(filepath.Join(local, ".big.bin.goftp-part")); err != nil || fi.Size() == 0 || fi.Size() >= int64(len(big)) {
		t.Errorf("partial file after Ctrl-C: %v, %v", fi, err)
	}
	// reget finishes it.
	typ("reget big.bin\r")
	sc.expect("resumed at")
	sc.expect(prompt)
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(local, "big.bin")), big)

	// Ctrl-C at the prompt drops the line typed so far.
	typ("frobnicate\x03")
	typ("pwd\r")
	sc.expect("/\r\n")
	sc.expect(prompt)
	if strings.Contains(sc.buf.String(), `unknown command "frobnicate`) {
		t.Errorf("the line dropped with Ctrl-C was run")
	}

	// A password typed in open is not kept in the history.
	typ(fmt.Sprintf("open ftp://%s:%s@%s/pub\r", ftptest.DefaultUser, ftptest.DefaultPassword, px.Addr))
	sc.expect("goftp user@127.0.0.1:/pub> ")

	// A server not in .netrc: the password is asked for, not echoed, and
	// not kept.
	_, port, _ := strings.Cut(px.Addr, ":")
	typ("open ftp://user@localhost:" + port + "/\r")
	sc.expect("Password for user@localhost: ")
	mark := sc.mark
	typ(ftptest.DefaultPassword + "\r")
	sc.expect("goftp user@localhost:/> ")
	if strings.Contains(sc.buf.String()[mark:sc.mark], ftptest.DefaultPassword) {
		t.Errorf("the password was echoed: %q", sc.buf.String()[mark:sc.mark])
	}
	typ("cat hello.txt\r")
	sc.expect("hello, world")

	// Ctrl-D leaves with status 0.
	typ("\x04")
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil {
			t.Errorf("goftp shell ended with %v after Ctrl-D", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("goftp shell still running 10s after Ctrl-D")
	}
	hist, err := os.ReadFile(filepath.Join(state, "goftp", "history"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cat hello.txt\n", "get big.bin\n", "reget big.bin\n", fmt.Sprintf("open ftp://user@%s/pub\n", px.Addr)} {
		if !strings.Contains(string(hist), want) {
			t.Errorf("history does not hold %q:\n%s", want, hist)
		}
	}
	if strings.Contains(string(hist), ":"+ftptest.DefaultPassword+"@") || strings.Contains(string(hist), "\n"+ftptest.DefaultPassword+"\n") || strings.Contains(string(hist), "frobnicate") {
		t.Errorf("history holds a password or a dropped line:\n%s", hist)
	}
	if fi, err := os.Stat(filepath.Join(state, "goftp", "history")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v, want 0600", fi.Mode().Perm())
	}

	// exit N after a Ctrl-C (which main also saw) ends with status N, and
	// the history of the first session is there to recall (Up arrow).
	sc, typ, exited = startShell()
	sc.expect(prompt)
	typ("ls big.bin\r")
	sc.expect(prompt)
	typ("\x1b[A\x1b[A\r") // Up, Up: the last line of the first session
	sc.expect("hello, world")
	sc.expect(prompt)
	px.SlowData(256 << 10)
	typ("get big.bin\r")
	sc.expect("%")
	typ("\x03")
	sc.expect("interrupted")
	sc.expect(prompt)
	typ("exit 3\r")
	select {
	case err := <-exited:
		exited <- err
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Errorf("exit 3 after Ctrl-C: goftp ended with %v, want status 3", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("goftp shell still running 10s after exit 3")
	}
}
