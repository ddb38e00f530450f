//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp/ftptest"
)

// runToPipe runs goftp with standard output into a pipe whose reader
// keeps the first keep bytes and closes it (as head -c does); keep < 0
// closes the reader before the run. It returns the exit status, stderr,
// what the reader kept and how long the run took.
func runToPipe(t *testing.T, keep int, args ...string) (int, string, []byte, time.Duration) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	kept := make(chan []byte, 1)
	if keep < 0 {
		pr.Close()
		kept <- nil
	} else {
		go func() {
			b := make([]byte, keep)
			n, _ := io.ReadFull(pr, b)
			pr.Close()
			kept <- b[:n]
		}()
	}
	var errb syncBuffer
	start := time.Now()
	code := run(t.Context(), args, strings.NewReader(""), pw, &errb)
	took := time.Since(start)
	return code, errb.String(), <-kept, took
}

// TestCatBrokenPipe: goftp cat big | head -c 10 stops quietly with status
// 0 once head has gone, aborting the transfer, and the server is fine.
func TestCatBrokenPipe(t *testing.T) {
	noLeaks(t)
	big := bigData(16 << 20)
	files := sampleFiles()
	files["big.bin"] = &fstest.MapFile{Data: big}
	for _, tls := range []ftptest.TLSMode{ftptest.TLSNone, ftptest.TLSExplicit} {
		t.Run(map[ftptest.TLSMode]string{ftptest.TLSNone: "plain", ftptest.TLSExplicit: "TLS"}[tls], func(t *testing.T) {
			e := newEnv(t, ftptest.Options{Files: files, TLS: tls})
			args := []string{"--netrc", e.netrc}
			if e.ca != "" {
				args = append(args, "--ca", e.ca)
			}
			code, stderr, kept, took := runToPipe(t, 10, append(args, "cat", e.url("big.bin"))...)
			if code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			if !bytes.Equal(kept, big[:10]) {
				t.Errorf("the reader got %x, want %x", kept, big[:10])
			}
			if took > 10*time.Second {
				t.Errorf("cat took %v to notice the closed pipe", took)
			}
			// The server is in a state to serve the next client.
			r := e.run(t, append(args[2:], "cat", e.url("hello.txt"))...)
			r.want(t, 0, []string{"hello, world\n"}, nil)
		})
	}
}

// TestLsBrokenPipe: goftp ls | (a reader that has gone) stops quietly.
func TestLsBrokenPipe(t *testing.T) {
	noLeaks(t)
	e := newEnv(t, ftptest.Options{})
	code, stderr, _, _ := runToPipe(t, -1, "--netrc", e.netrc, "ls", "-l", e.url("pub/"))
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
}

// TestCatFullStdout: an error writing standard output other than a closed
// pipe is still an error.
func TestCatFullStdout(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer f.Close()
	e := newEnv(t, ftptest.Options{})
	var errb syncBuffer
	code := run(t.Context(), []string{"--netrc", e.netrc, "cat", e.url("hello.txt")}, strings.NewReader(""), f, &errb)
	if code == 0 || !strings.Contains(errb.String(), "write /dev/full") {
		t.Errorf("exit %d, stderr %q; want a failure writing /dev/full", code, errb.String())
	}
}

// TestCatPipelineProcess runs the goftp binary with its standard output
// (file descriptor 1, where the Go runtime turns EPIPE into a SIGPIPE
// death unless the signal is ignored) into a pipe that head closes.
func TestCatPipelineProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	noLeaks(t)
	bin := filepath.Join(t.TempDir(), "goftp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	big := bigData(16 << 20)
	files := sampleFiles()
	files["big.bin"] = &fstest.MapFile{Data: big}
	for _, tls := range []ftptest.TLSMode{ftptest.TLSNone, ftptest.TLSExplicit} {
		t.Run(map[ftptest.TLSMode]string{ftptest.TLSNone: "plain", ftptest.TLSExplicit: "TLS"}[tls], func(t *testing.T) {
			e := newEnv(t, ftptest.Options{Files: files, TLS: tls})
			args := []string{"--netrc", e.netrc}
			if e.ca != "" {
				args = append(args, "--ca", e.ca)
			}
			cmd := exec.CommandContext(t.Context(), bin, append(args, "cat", e.url("big.bin"))...)
			pr, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			head := make([]byte, 10)
			io.ReadFull(pr, head)
			pr.Close()
			err = cmd.Wait()
			if err != nil || errb.Len() > 0 {
				t.Errorf("goftp cat | head -c 10: %v (%v), stderr %q; want status 0 and nothing", err, cmd.ProcessState, errb.String())
			}
			if !bytes.Equal(head, big[:10]) {
				t.Errorf("head got %x, want %x", head, big[:10])
			}
		})
	}
}
