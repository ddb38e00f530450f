package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goftplib/ftp/ftptest"
)

// TestPutTargets: put - reads standard input; an existing remote
// directory named without a trailing slash is the directory to upload
// into; --create-dirs creates the missing directories; several files
// into a missing directory is one clear error, nothing uploaded.
func TestPutTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	dir := t.TempDir()
	a := filepath.Join(dir, "one.txt")
	b := filepath.Join(dir, "two.txt")
	os.WriteFile(a, []byte("one\n"), 0o644)
	os.WriteFile(b, []byte("two\n"), 0o644)
	serverHas := func(name, want string) {
		t.Helper()
		if got, err := e.srv.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("server %s = %q, %v; want %q", name, got, err, want)
		}
	}
	t.Run("stdin", func(t *testing.T) {
		r := runGoftp(t, "from stdin\n", "--netrc", e.netrc, "put", "-", e.url("pub/in.txt"))
		r.want(t, 0, nil, nil)
		serverHas("pub/in.txt", "from stdin\n")
		if _, err := e.srv.ReadFile("pub/.in.txt.goftp-part"); err == nil {
			t.Error("partial file left behind")
		}
		runGoftp(t, "x", "--netrc", e.netrc, "put", "-", e.url("pub")).want(t, exitUsage, nil, []string{"is a directory: name the file"})
		runGoftp(t, "x", "--netrc", e.netrc, "put", "-", e.url("pub/")).want(t, exitUsage, nil, []string{"name the remote file"})
		runGoftp(t, "x", "--netrc", e.netrc, "put", "-", a, e.url("pub/")).want(t, exitUsage, nil, []string{"only local file"})
	})
	t.Run("existing directory as target", func(t *testing.T) {
		e.run(t, "put", a, e.url("pub")).want(t, 0, nil, nil)
		serverHas("pub/one.txt", "one\n")
		e.run(t, "put", a, e.url("pub/sub")).want(t, 0, nil, nil)
		serverHas("pub/sub/one.txt", "one\n")
	})
	t.Run("create-dirs", func(t *testing.T) {
		e.run(t, "put", "--create-dirs", a, e.url("new/deep/x.txt")).want(t, 0, nil, nil)
		serverHas("new/deep/x.txt", "one\n")
		e.run(t, "put", "--create-dirs", a, b, e.url("made/here")).want(t, 0, nil, nil)
		serverHas("made/here/one.txt", "one\n")
		serverHas("made/here/two.txt", "two\n")
	})
	t.Run("several files into a missing directory", func(t *testing.T) {
		r := e.run(t, "put", a, b, e.url("nope/"))
		r.want(t, exitNotFound, nil, []string{"remote directory nope does not exist (create it with --create-dirs"})
		if n := strings.Count(r.stderr, "goftp: "); n != 1 {
			t.Errorf("%d error lines, want 1:\n%s", n, r.stderr)
		}
		if strings.Contains(r.stderr, "STOR") {
			t.Errorf("uploads were tried:\n%s", r.stderr)
		}
	})
}
