package main

import (
	"testing"

	"github.com/goftplib/ftp/ftptest"
)

// TestMvRelative: a relative new name stays in the file's own directory,
// as mv does; a URL or an absolute path names the place on the server.
func TestMvRelative(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	exists := func(name string) bool {
		_, err := e.srv.ReadFile(name)
		return err == nil
	}
	e.run(t, "mv", e.url("pub/a.txt"), "a2.txt").want(t, 0, nil, nil)
	if !exists("pub/a2.txt") || exists("a2.txt") || exists("pub/a.txt") {
		t.Error("mv pub/a.txt a2.txt: want pub/a2.txt")
	}
	e.run(t, "mv", e.url("pub/b.txt"), "sub/").want(t, 0, nil, nil)
	if !exists("pub/sub/b.txt") {
		t.Error("mv pub/b.txt sub/: want pub/sub/b.txt")
	}
	e.run(t, "mv", e.url("pub/c.bin"), e.url("c.bin")).want(t, 0, nil, nil)
	if !exists("c.bin") {
		t.Error("mv pub/c.bin URL/c.bin: want c.bin in the login directory")
	}
	e.run(t, "mv", e.url("hello.txt"), "hi.txt").want(t, 0, nil, nil)
	if !exists("hi.txt") {
		t.Error("mv hello.txt hi.txt: want hi.txt")
	}
}
