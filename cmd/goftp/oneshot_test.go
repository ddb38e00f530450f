package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/scripted"
)

// TestTimeoutSeconds: --timeout takes a bare number of seconds (as curl
// does) as well as a Go duration; anything else is a usage error.
func TestTimeoutSeconds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	for _, v := range []string{"5", "2.5", "1m30s"} {
		r := e.run(t, "--timeout", v, "ls", e.url(""))
		r.want(t, 0, []string{"hello.txt"}, nil)
	}
	r := e.run(t, "--timeout", "soon", "ls", e.url(""))
	r.want(t, exitUsage, nil, []string{"-timeout", "seconds (5)"})
	r = e.run(t, "--timeout", "-3", "ls", e.url(""))
	r.want(t, exitUsage, nil, []string{"-timeout", "negative"})
}

// TestMaxTime: --max-time bounds the whole command: a server that goes
// silent mid-download (with a long --timeout) ends it at the limit with
// exit status 8 and a message naming --max-time, not "interrupted".
func TestMaxTime(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"before", "after"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			srv := scripted.New(t, script(
				login("SIZE"),
				sized("dir/x.bin", "100"),
				[]scripted.Step{
					{Cmd: "RETR dir/x.bin", Reply: "150 Opening BINARY mode data connection (100 bytes)"},
					{Hang: true},
				},
			)...)
			target := t.TempDir()
			args := []string{"--netrc", scriptedNetrc(t), "--timeout", "60", "--retries", "0"}
			get := []string{"get", "-o", target + "/", "ftp://user@" + srv.Addr + "/dir/x.bin"}
			if where == "before" {
				args = append(append(args, "--max-time", "2"), get...)
			} else {
				args = append(append(args, get...), "--max-time", "2s")
			}
			r, took := timedRun(t.Context(), args...)
			t.Logf("took %v; stderr:\n%s", took, r.stderr)
			r.want(t, exitTimeout, nil, []string{"--max-time 2s reached"})
			if strings.Contains(r.stderr, "interrupted") {
				t.Errorf("--max-time reported as an interruption:\n%s", r.stderr)
			}
			if took > 20*time.Second { // --timeout is 60s; ABOR adds a short grace
				t.Errorf("took %v: --max-time 2 did not bound the command", took)
			}
			if _, err := os.Stat(filepath.Join(target, "x.bin")); err == nil {
				t.Errorf("x.bin was installed")
			}
		})
	}
	t.Run("bad value", func(t *testing.T) {
		r := runGoftp(t, "", "--max-time", "0", "ls", "ftp://127.0.0.1/")
		r.want(t, exitUsage, nil, []string{"-max-time", "positive"})
	})
}

// TestVersion: --version prints one line on stdout and exits 0.
func TestVersion(t *testing.T) {
	t.Parallel()
	r := runGoftp(t, "", "--version")
	r.want(t, 0, []string{"goftp "}, nil)
	if strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Errorf("--version printed %q, stderr %q; want one line on stdout", r.stdout, r.stderr)
	}
}

// TestGetOutputs: get's progress and summary lines go to stderr, never
// stdout; -q silences them; -o - writes the file's bytes, and only them,
// to stdout.
func TestGetOutputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("summary on stderr", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "get", "-o", dir+"/", e.url("hello.txt"))
		r.want(t, 0, nil, []string{"hello.txt"})
		if r.stdout != "" {
			t.Errorf("get wrote to stdout: %q", r.stdout)
		}
		sameBytes(t, "hello.txt", readLocal(t, filepath.Join(dir, "hello.txt")), []byte("hello, world\n"))
	})
	t.Run("quiet", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "-q", "get", "-o", dir+"/", e.url("hello.txt"))
		r.want(t, 0, nil, nil)
		if r.stdout != "" || r.stderr != "" {
			t.Errorf("get -q printed stdout %q, stderr %q", r.stdout, r.stderr)
		}
		sameBytes(t, "hello.txt", readLocal(t, filepath.Join(dir, "hello.txt")), []byte("hello, world\n"))
	})
	t.Run("quiet keeps errors", func(t *testing.T) {
		r := e.run(t, "get", "-q", "-o", t.TempDir()+"/", e.url("missing.txt"))
		r.want(t, exitNotFound, nil, []string{"missing.txt"})
	})
	t.Run("-o -", func(t *testing.T) {
		wd := t.TempDir()
		r := e.run(t, "get", "-o", "-", e.url("hello.txt"))
		r.want(t, 0, nil, nil)
		if r.stdout != "hello, world\n" {
			t.Errorf("get -o - wrote %q to stdout", r.stdout)
		}
		if _, err := os.Stat(filepath.Join(wd, "-")); err == nil {
			t.Errorf("a file named - was created")
		}
	})
	t.Run("-o - glob", func(t *testing.T) {
		r := e.run(t, "get", "-o", "-", e.url("pub/[ab].txt"))
		r.want(t, 0, nil, nil)
		if r.stdout != "aaa\nbbbb\n" {
			t.Errorf("get -o - pub/[ab].txt wrote %q", r.stdout)
		}
	})
	t.Run("-o - unmatched glob writes nothing", func(t *testing.T) {
		r := e.run(t, "get", "-o", "-", e.url("hello.txt"), e.url("missing*.txt"))
		r.want(t, exitNotFound, nil, []string{"no files match"})
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing when a file is missing", r.stdout)
		}
	})
	t.Run("-o - -c", func(t *testing.T) {
		r := e.run(t, "get", "-c", "-o", "-", e.url("hello.txt"))
		r.want(t, exitUsage, nil, []string{"-c"})
	})
}
