package main

import (
	"testing"
	"testing/fstest"

	"github.com/goftplib/ftp/ftptest"
)

// TestRmGlob: rm takes glob patterns in the last segment; directories
// that match are skipped with a note unless -r; --globoff takes *, ?
// and [ as plain characters.
func TestRmGlob(t *testing.T) {
	t.Parallel()
	files := sampleFiles()
	files["pub/x[1].txt"] = &fstest.MapFile{Data: []byte("x\n")}
	files["pub/x1.txt"] = &fstest.MapFile{Data: []byte("1\n")}
	e := newEnv(t, ftptest.Options{Files: files})
	exists := func(name string) bool {
		_, err := e.srv.ReadFile(name)
		return err == nil
	}
	e.run(t, "rm", "--globoff", e.url("pub/x[1].txt")).want(t, 0, nil, nil)
	if exists("pub/x[1].txt") || !exists("pub/x1.txt") {
		t.Error("rm --globoff pub/x[1].txt: want that file removed, x1.txt kept")
	}
	e.run(t, "rm", e.url("pub/*.txt")).want(t, 0, nil, nil)
	if exists("pub/a.txt") || exists("pub/b.txt") || exists("pub/x1.txt") || !exists("pub/c.bin") {
		t.Error("rm pub/*.txt: want the .txt files removed, c.bin kept")
	}
	e.run(t, "rm", e.url("pub/*")).want(t, 0, nil, []string{"goftp: warning: skip pub/sub: a directory (rm -r removes it)"})
	if exists("pub/c.bin") || !exists("pub/sub/deep.txt") {
		t.Error("rm pub/*: want c.bin removed, sub kept")
	}
	e.run(t, "rm", e.url("pub/*.none")).want(t, exitNotFound, nil, []string{"no files match pub/*.none"})
	e.run(t, "rm", "-r", e.url("pub/s*")).want(t, 0, nil, nil)
	if exists("pub/sub/deep.txt") {
		t.Error("rm -r pub/s*: sub is still there")
	}
}
