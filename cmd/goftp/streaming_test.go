package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/scripted"
)

// failed checks that a run failed (neither success nor a usage error),
// and said msg on standard error.
func (r result) failed(t *testing.T, msg string) {
	t.Helper()
	if r.code == 0 || r.code == 2 {
		t.Errorf("exit code = %d, want a failure (not 0, not 2)\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr does not contain %q:\n%s", msg, r.stderr)
	}
}

// unixLines are LIST lines in the (unsorted) order a server sends them.
var unixLines = []string{
	"-rw-r--r--   1 u  g  5 Jan 02  2024 zeta.txt",
	"-rw-r--r--   1 u  g  5 Jan 02  2024 alpha.txt",
	"drwxr-xr-x   2 u  g  4 Jan 02  2024 mid",
}

// TestLsServerOrder: ls prints entries as they arrive, in the server's
// order (it streams; see TestLsMemory in bench/ for the memory bound);
// --sort sorts them by name.
func TestLsServerOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "zeta.txt\nalpha.txt\nmid\n"},
		{[]string{"--sort"}, "alpha.txt\nmid\nzeta.txt\n"},
	} {
		t.Run(strings.Join(append([]string{"ls"}, tc.flags...), " "), func(t *testing.T) {
			t.Parallel()
			srv := scripted.New(t, script(login("SIZE"), listingSteps("LIST", "dir", unixLines...), []scripted.Step{quit})...)
			r, _ := runScripted(t, srv, func(url, _ string) []string { return append(append([]string{"ls"}, tc.flags...), url) })
			r.want(t, 0, nil, nil)
			if r.stdout != tc.want {
				t.Errorf("stdout = %q, want %q", r.stdout, tc.want)
			}
		})
	}
}

// TestLsCutShort: a listing whose transfer fails after some lines (426)
// prints what arrived, then fails, saying the listing is incomplete.
func TestLsCutShort(t *testing.T) {
	t.Parallel()
	steps := listingSteps("LIST", "dir", unixLines[:2]...)
	steps[len(steps)-1] = scripted.Step{Reply: "426 connection closed; transfer aborted"}
	srv := scripted.New(t, script(login("SIZE"), steps, []scripted.Step{quit})...)
	r, _ := runScripted(t, srv, func(url, _ string) []string { return []string{"ls", url} })
	r.failed(t, "goftp: ls dir: listing incomplete after 2 entries: ")
	if !strings.Contains(r.stderr, "426 ") {
		t.Errorf("stderr does not give the server's reply:\n%s", r.stderr)
	}
	if r.stdout != "zeta.txt\nalpha.txt\n" {
		t.Errorf("stdout = %q, want the two entries received", r.stdout)
	}
}

// TestGetGlobSkipsPartial: NLST lists .a.goftp-part before a (sorted
// order). get 'dir/*' used to download it into the local .a.goftp-part,
// then truncate that file as a's partial file and rename it: a file
// reported downloaded was gone. The partial file is now skipped with a
// note.
func TestGetGlobSkipsPartial(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("SIZE"),
		listingSteps("NLST", "dir", "dir/.a.goftp-part", "dir/a"),
		[]scripted.Step{
			{Cmd: "TYPE I", Reply: "200 binary"},
			{Cmd: "SIZE dir/a", Reply: "213 5"},
			{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			{Cmd: "RETR dir/a", Reply: "150 here it comes", Data: []byte("hello")},
			{Reply: "226 done"},
			quit,
		},
	)...)
	r, target := runScripted(t, srv, func(url, target string) []string {
		return []string{"get", "-o", target + "/", url + "/*"}
	})
	r.want(t, 0, nil, []string{"dir/a  5 B in ", "goftp: warning: skip dir/.a.goftp-part: named like a partial file"})
	if strings.Contains(r.stdout, ".a.goftp-part") {
		t.Errorf("the partial file was downloaded:\n%s", r.stdout)
	}
	entries, _ := os.ReadDir(target)
	if len(entries) != 1 || entries[0].Name() != "a" {
		t.Errorf("target holds %v, want a alone", entries)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "a")); string(b) != "hello" {
		t.Errorf("a = %q, want %q", b, "hello")
	}
}

// failingWriter accepts n bytes, then fails as a closed pipe does.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, syscall.EPIPE
	}
	w.n -= len(p)
	return len(p), nil
}

// TestLsOutputClosed: when standard output fails in the middle of a long
// listing (ls | head), ls stops the transfer (ABOR) and returns at once,
// leaving no goroutine behind. Not parallel: goleak sees the whole
// process.
func TestLsOutputClosed(t *testing.T) {
	files := fstest.MapFS{}
	for i := range 20000 {
		files[fmt.Sprintf("big/file-%05d.txt", i)] = &fstest.MapFile{Data: []byte("x")}
	}
	e := newEnv(t, ftptest.Options{Files: files})
	before := goleak.IgnoreCurrent()
	start := time.Now()
	var errb syncBuffer
	code := run(t.Context(), []string{"--netrc", e.netrc, "ls", e.url("big/")}, strings.NewReader(""), &failingWriter{n: 1000}, &errb)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("ls with a closed output took %v", d)
	}
	t.Logf("exit code %d, stderr:\n%s", code, errb.String())
	if code == 2 {
		t.Errorf("exit code %d (usage) for a closed output; stderr:\n%s", code, errb.String())
	}
	goleak.VerifyNone(t, before)
	// The server is still fine.
	e.run(t, "ls", e.url("")).want(t, 0, []string{"big\n"}, nil)
}

// TestMirrorMaxDepth: --max-depth bounds how deep mirror goes; what lies
// deeper is reported as failed, not silently left out.
func TestMirrorMaxDepth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{Files: fstest.MapFS{
		"tree/top.txt":         {Data: []byte("0")},
		"tree/a/one.txt":       {Data: []byte("1")},
		"tree/a/b/two.txt":     {Data: []byte("2")},
		"tree/a/b/c/three.txt": {Data: []byte("3")},
	}})
	dst := t.TempDir()
	r := e.run(t, "mirror", "--max-depth", "2", e.url("tree"), dst)
	r.failed(t, "goftp: a/b/c: not entered: more than 2 levels below tree (--max-depth)")
	for _, f := range []string{"top.txt", "a/one.txt", "a/b/two.txt"} {
		readLocal(t, filepath.Join(dst, f))
	}
	if _, err := os.Stat(filepath.Join(dst, "a/b/c/three.txt")); err == nil {
		t.Error("mirror --max-depth 2 went three levels down")
	}
	e.run(t, "mirror", "--max-depth", "0", e.url("tree"), dst).want(t, 2, nil, []string{"--max-depth must be at least 1"})
	e.run(t, "mirror", e.url("tree"), dst).want(t, 0, nil, []string{"mirror: 1 files (1 B) transferred"})
}
