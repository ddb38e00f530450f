//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestShellOneConnection: a whole script, transfers and listings
// included, runs on one control connection with one login.
func TestShellOneConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	proxy := newPassCounter(t, e.srv.Addr)
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "up.txt"), []byte("up\n"), 0o644)
	script := "lcd " + local + "; cd pub; mget *.txt; ls -l; put up.txt; size up.txt; rm up.txt; cat b.txt; mirror sub; bye"
	r := runGoftp(t, "", "--netrc", e.netrc, "shell", "-c", script, fmt.Sprintf("ftp://%s@%s/", ftptest.DefaultUser, proxy.addr))
	r.want(t, 0, []string{"3 up.txt\n", "bbbb\n"}, nil)
	if conns, pass := proxy.counts(); conns != 1 || pass != 1 {
		t.Errorf("%d connections, %d logins; want 1 and 1", conns, pass)
	}
	sameBytes(t, "sub/deep.txt", readLocal(t, filepath.Join(local, "sub", "deep.txt")), []byte("deep\n"))

	// An interactive session keeps its connection while the user thinks
	// (the Pool's idle reaper leaves it alone).
	proxy = newPassCounter(t, e.srv.Addr)
	var out, errb syncBuffer
	a := &app{ctx: t.Context(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	a.g.netrc = e.netrc
	s := &shell{a: a, lcwd: local, parallel: 1}
	if err := s.open(fmt.Sprintf("ftp://%s@%s/", ftptest.DefaultUser, proxy.addr)); err != nil {
		t.Fatal(err)
	}
	defer s.closeConn()
	for i := range 3 {
		if i > 0 {
			time.Sleep(300 * time.Millisecond)
		}
		if code := s.exec(stmt{words: []word{{text: "size"}, {text: "pub/a.txt"}}}); code != 0 {
			t.Fatalf("size: status %d: %s", code, errb.String())
		}
	}
	if conns, pass := proxy.counts(); conns != 1 || pass != 1 {
		t.Errorf("interactive session: %d connections, %d logins after idle pauses; want 1 and 1", conns, pass)
	}
}

// TestShellRealServers runs scripts against the real servers: every
// command a script typically uses, on one connection and one login;
// names with spaces; a failure stops the script with its status; a
// script read from standard input.
func TestShellRealServers(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, e := kindServer(t, kind)
			for name, data := range map[string]string{"pub/a.csv": "a,1\n", "pub/b.csv": "b,2\n", "pub/notes.txt": "n\n", "pub/my file.txt": "spaced\n"} {
				if err := srv.WriteFile(name, []byte(data)); err != nil {
					t.Fatal(err)
				}
			}
			local := t.TempDir()
			os.WriteFile(filepath.Join(local, "up load.txt"), []byte("uploaded\n"), 0o644)
			proxy := newPassCounter(t, srv.Addr)
			url := fmt.Sprintf("ftp://%s@%s/", srv.User, proxy.addr)
			script := "lcd " + local + "; cd pub; mget *.csv; get 'my file.txt'; ls -l; " +
				"mkdir -p up/deep; cd up; put 'up load.txt'; size 'up load.txt'; mv 'up load.txt' moved.txt; ls; " +
				"chmod 640 moved.txt; mtime moved.txt; cat moved.txt; rm moved.txt; cdup; rm -r up; pwd; quote NOOP; bye"
			r := runGoftp(t, "", "--netrc", e.netrc, "shell", "-c", script, url)
			r.want(t, 0, []string{"notes.txt", "9 up load.txt\n", "moved.txt\n", "uploaded\n", "200"}, nil)
			if conns, pass := proxy.counts(); conns != 1 || pass != 1 {
				t.Errorf("%d connections, %d logins; want 1 and 1", conns, pass)
			}
			for name, want := range map[string]string{"a.csv": "a,1\n", "b.csv": "b,2\n", "my file.txt": "spaced\n"} {
				sameBytes(t, name, readLocal(t, filepath.Join(local, name)), []byte(want))
			}
			if _, err := os.Stat(filepath.Join(srv.Dir, "pub", "up")); err == nil {
				t.Errorf("pub/up still on the server after rm -r")
			}

			r = runGoftp(t, "", "--netrc", e.netrc, "shell", "-c", "cd pub; get nope.txt; pwd", url)
			r.want(t, exitNotFound, nil, []string{"nope.txt: 55"})
			if strings.Contains(r.stdout, "pub") {
				t.Errorf("the script went on after the failure: %q", r.stdout)
			}
			r = runGoftp(t, "cd pub\n-get nope.txt\nls notes.txt\n", "--netrc", e.netrc, "shell", url)
			r.want(t, 0, []string{"notes.txt\n"}, []string{"nope.txt: 55"})
		})
	}
}
