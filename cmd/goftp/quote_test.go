package main

import (
	iofs "io/fs"
	"strings"
	"testing"

	"github.com/goftplib/ftp/ftptest"
)

// TestQuote: quote prints each reply on stdout as the server sent it;
// a refused command stops the run with its reply on stdout, the error on
// stderr and a failure status; data-transfer verbs are refused before
// connecting.
func TestQuote(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("replies", func(t *testing.T) {
		r := e.run(t, "quote", e.url(""), "PWD", "NOOP")
		r.want(t, 0, []string{"257 \"/\"", "200 "}, nil)
		if n := strings.Count(r.stdout, "\n"); n != 2 {
			t.Errorf("stdout holds %d lines, want 2:\n%s", n, r.stdout)
		}
	})
	t.Run("in the URL's directory", func(t *testing.T) {
		r := e.run(t, "quote", e.url("pub/"), "PWD")
		r.want(t, 0, []string{"257 \"/pub\""}, nil)
	})
	t.Run("multi-line reply", func(t *testing.T) {
		r := e.run(t, "quote", e.url(""), "FEAT")
		r.want(t, 0, []string{"211-", "\n211 "}, nil)
	})
	t.Run("refused", func(t *testing.T) {
		r := e.run(t, "quote", e.url(""), "SIZE nope.txt", "NOOP")
		r.want(t, exitNotFound, []string{"550 "}, []string{"SIZE nope.txt"})
		if strings.Contains(r.stdout, "200 ") {
			t.Errorf("NOOP was sent after the refused command:\n%s", r.stdout)
		}
	})
	t.Run("data verb", func(t *testing.T) {
		r := e.run(t, "quote", e.url(""), "list")
		r.want(t, exitUsage, nil, []string{"LIST needs a data connection", "goftp ls"})
	})
	t.Run("usage", func(t *testing.T) {
		e.run(t, "quote", e.url("")).want(t, exitUsage, nil, []string{"at least one command"})
	})
}

// TestChmod: chmod sends SITE CHMOD for each URL; the mode is checked
// on the server; a missing file is reported and the others still done;
// a non-octal mode is a usage error.
func TestChmod(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	perm := func(name string) iofs.FileMode {
		t.Helper()
		fi, err := iofs.Stat(e.srv.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	r := e.run(t, "chmod", "600", e.url("hello.txt"), e.url("pub/a.txt"))
	r.want(t, 0, nil, nil)
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("chmod printed stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if p := perm("hello.txt"); p != 0o600 {
		t.Errorf("hello.txt mode %v, want 0600", p)
	}
	if p := perm("pub/a.txt"); p != 0o600 {
		t.Errorf("pub/a.txt mode %v, want 0600", p)
	}
	r = e.run(t, "chmod", "0640", e.url("missing.txt"), e.url("pub/b.txt"))
	r.want(t, exitNotFound, nil, []string{"SITE CHMOD 0640 missing.txt"})
	if p := perm("pub/b.txt"); p != 0o640 {
		t.Errorf("pub/b.txt mode %v, want 0640 (done after the failure)", p)
	}
	for _, bad := range []string{"u+x", "999", "7", "77777"} {
		e.run(t, "chmod", bad, e.url("hello.txt")).want(t, exitUsage, nil, []string{"octal"})
	}
}

// TestCp: cp copies between two servers with FXP; the bytes arrive on
// the target intact; a target directory URL (ending in /) keeps the
// name; a missing source fails with status 6 and creates nothing.
func TestCp(t *testing.T) {
	t.Parallel()
	src := newEnv(t, ftptest.Options{})
	dst := newEnv(t, ftptest.Options{})
	big := bigData(1 << 20)
	if err := src.srv.WriteFile("big.bin", big); err != nil {
		t.Fatal(err)
	}
	// Both servers run as the same user on 127.0.0.1: one .netrc serves.
	r := src.run(t, "cp", src.url("big.bin"), dst.url("copy.bin"))
	r.want(t, 0, nil, []string{"copy.bin"})
	if r.stdout != "" {
		t.Errorf("cp wrote to stdout: %q", r.stdout)
	}
	sameBytes(t, "copy.bin", dst.file(t, "copy.bin"), big)

	src.run(t, "-q", "cp", src.url("pub/a.txt"), dst.url("pub/")).want(t, 0, nil, nil)
	sameBytes(t, "pub/a.txt", dst.file(t, "pub/a.txt"), []byte("aaa\n"))

	r = src.run(t, "cp", src.url("missing.bin"), dst.url("missing.bin"))
	r.want(t, exitNotFound, nil, []string{"missing.bin"})
	if _, err := dst.srv.ReadFile("missing.bin"); err == nil {
		t.Errorf("missing.bin was created on the target")
	}
	src.run(t, "cp", src.url("pub/"), dst.url("")).want(t, exitUsage, nil, []string{"names a directory"})
}
