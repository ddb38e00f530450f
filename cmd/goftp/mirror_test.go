package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/ftptest"
)

func TestMirrorCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	dst := filepath.Join(t.TempDir(), "dst")

	r := e.run(t, "mirror", "-P", "2", e.url("pub"), dst)
	r.want(t, 0, nil, []string{"get a.txt  4 B in ", "get sub/deep.txt  5 B in ", "mkdir sub\n",
		"mirror: 4 files (18 B) transferred, 0 up to date, 0 deleted, 1 directories created\n"})
	if r.stdout != "" {
		t.Errorf("mirror wrote to standard output (its reports go to standard error):\n%s", r.stdout)
	}
	if got := string(readLocal(t, filepath.Join(dst, "sub", "deep.txt"))); got != "deep\n" {
		t.Errorf("sub/deep.txt = %q", got)
	}
	fi, _ := os.Stat(filepath.Join(dst, "a.txt"))
	if want := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC); !fi.ModTime().Equal(want) {
		t.Errorf("a.txt mtime = %v, want the server's %v", fi.ModTime(), want)
	}

	e.run(t, "mirror", e.url("pub/"), dst).want(t, 0, nil, []string{"mirror: 0 files (0 B) transferred, 4 up to date"})

	// A change, an extra local file, a dry run, then the real thing.
	e.srv.WriteFile("pub/b.txt", []byte("changed\n"))
	os.WriteFile(filepath.Join(dst, "extra.txt"), []byte("x"), 0o644)
	r = e.run(t, "mirror", "--dry-run", "--delete", e.url("pub"), dst)
	r.want(t, 0, []string{"would get b.txt (size, 8 B)\n", "would delete extra.txt (not in source)\n",
		"mirror (dry run): 1 files (8 B) to transfer, 3 up to date, 1 to delete, 0 directories to create\n"}, nil)
	if got := string(readLocal(t, filepath.Join(dst, "b.txt"))); got != "bbbb\n" {
		t.Errorf("the dry run changed b.txt to %q", got)
	}
	r = e.run(t, "mirror", "--delete", e.url("pub"), dst)
	r.want(t, 0, nil, []string{"get b.txt  8 B", "delete extra.txt (not in source)\n", "1 deleted"})
	if _, err := os.Stat(filepath.Join(dst, "extra.txt")); !os.IsNotExist(err) {
		t.Errorf("extra.txt still there: %v", err)
	}

	// Upload with -R, then again: nothing to do.
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	os.WriteFile(filepath.Join(src, "d", "x.txt"), []byte("xx\n"), 0o644)
	os.WriteFile(filepath.Join(src, "y.txt"), []byte("y\n"), 0o644)
	r = e.run(t, "mirror", "-R", src, e.url("backup"))
	r.want(t, 0, nil, []string{"put d/x.txt  3 B", "mkdir d\n", "mirror: 2 files (5 B) transferred"})
	if got := string(e.file(t, "backup/d/x.txt")); got != "xx\n" {
		t.Errorf("backup/d/x.txt = %q", got)
	}
	e.run(t, "mirror", "-R", src, e.url("backup")).want(t, 0, nil, []string{"mirror: 0 files (0 B) transferred, 2 up to date"})

	// Failures are reported one by one, with status 1.
	r = e.run(t, "mirror", e.url("nope"), filepath.Join(t.TempDir(), "x"))
	r.want(t, exitNotFound, nil, []string{"goftp: mirror nope: stat nope: MLST nope: 550 "})
}

// TestMirrorResume starts from the partial file an interrupted mirror
// leaves: the next run resumes it with REST, byte for byte.
func TestMirrorResume(t *testing.T) {
	t.Parallel()
	data := bigData(2<<20 + 7)
	e := newEnv(t, ftptest.Options{})
	e.srv.WriteFile("pub/big.bin", data)
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, ".big.bin.goftp-part"), data[:777777], 0o644)
	r := e.run(t, "-v", "mirror", "-P", "1", e.url("pub"), dst)
	r.want(t, 0, nil, []string{"get big.bin  1.3 MiB in ", ", resumed at 759.5 KiB\n", "> REST 712241\n"})
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(dst, "big.bin")), data)
	if strings.Count(r.stderr, "> RETR") != 5 {
		t.Errorf("want 5 RETR (4 small files and big.bin):\n%s", r.stderr)
	}
}
