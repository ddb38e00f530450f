package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goftplib/ftp/ftptest"
)

func TestLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("names", func(t *testing.T) {
		r := e.run(t, "ls", e.url(""))
		r.want(t, 0, nil, nil)
		if got, want := r.stdout, "hello.txt\npub\n"; got != want {
			t.Errorf("ls = %q, want %q", got, want)
		}
	})
	t.Run("all", func(t *testing.T) {
		r := e.run(t, "ls", "-a", e.url(""))
		if got, want := r.stdout, ".hidden\nhello.txt\npub\n"; got != want {
			t.Errorf("ls -a = %q, want %q", got, want)
		}
	})
	t.Run("long, flags after the URL", func(t *testing.T) {
		r := e.run(t, "ls", e.url("pub/"), "-l", "--utc")
		r.want(t, 0, nil, nil)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("ls -l printed %d lines, want 4:\n%s", len(lines), r.stdout)
		}
		re := regexp.MustCompile(`^-\S{9} +4 2024-05-06 07:08 UTC +a\.txt$`)
		if !re.MatchString(lines[0]) {
			t.Errorf("ls -l line %q does not match %v", lines[0], re)
		}
		if !strings.HasPrefix(lines[3], "d") || !strings.HasSuffix(lines[3], " sub") {
			t.Errorf("ls -l line %q: want a directory named sub", lines[3])
		}
	})
	t.Run("json", func(t *testing.T) {
		r := e.run(t, "ls", "--json", e.url("pub"))
		r.want(t, 0, nil, nil)
		var got []jsonEntry
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			var j jsonEntry
			if err := json.Unmarshal([]byte(l), &j); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			got = append(got, j)
		}
		want := []jsonEntry{
			{Name: "a.txt", Type: "file", Size: 4, Time: "2024-05-06T07:08:09Z"},
			{Name: "b.txt", Type: "file", Size: 5, Time: "2024-05-06T07:08:09Z"},
			{Name: "c.bin", Type: "file", Size: 4, Time: "2024-05-06T07:08:09Z"},
		}
		if len(got) != 4 || !slices.Equal(got[:3], want) || got[3].Name != "sub" || got[3].Type != "dir" {
			t.Errorf("ls --json = %+v, want %+v and the directory sub", got, want)
		}
	})
	t.Run("a file", func(t *testing.T) {
		r := e.run(t, "ls", "-l", e.url("hello.txt"))
		r.want(t, 0, []string{" 13 2024-05-06 07:08 ", "hello.txt\n"}, nil)
	})
	t.Run("missing", func(t *testing.T) {
		r := e.run(t, "ls", e.url("nope/"))
		r.want(t, exitNotFound, nil, []string{"goftp: ls nope/: MLSD nope/: 550 "})
		if strings.Count(r.stderr, "goftp: ") != 1 {
			t.Errorf("error printed more than once:\n%s", r.stderr)
		}
	})
}

func TestGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("one file into the working directory", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "get", "-o", dir+"/", e.url("hello.txt"))
		r.want(t, 0, nil, []string{"hello.txt  13 B in "}) // summaries on stderr
		if got := string(readLocal(t, filepath.Join(dir, "hello.txt"))); got != "hello, world\n" {
			t.Errorf("hello.txt = %q", got)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
			t.Errorf("partial files left: %q", left)
		}
	})
	t.Run("to a file name", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "renamed.bin")
		e.run(t, "get", e.url("pub/c.bin"), "-o", out).want(t, 0, nil, nil)
		sameBytes(t, out, readLocal(t, out), []byte{0, 1, 2, 3})
	})
	t.Run("glob", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "get", "-o", dir, e.url("pub/*.txt"))
		r.want(t, 0, nil, []string{"pub/a.txt  ", "pub/b.txt  "})
		names, _ := os.ReadDir(dir)
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		if want := []string{"a.txt", "b.txt"}; !slices.Equal(got, want) {
			t.Errorf("downloaded %q, want %q", got, want)
		}
	})
	t.Run("no match", func(t *testing.T) {
		r := e.run(t, "get", "-o", t.TempDir(), e.url("pub/*.zip"))
		r.want(t, 6, nil, []string{"goftp: no files match "})
	})
	t.Run("missing file", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "get", "-o", dir, e.url("nope.txt"), e.url("hello.txt"))
		r.want(t, exitNotFound, nil, []string{"hello.txt  13 B", "goftp: RETR nope.txt: 550 "})
		if left, _ := os.ReadDir(dir); len(left) != 1 {
			t.Errorf("directory holds %v, want hello.txt alone", left)
		}
	})
	t.Run("several files need a directory", func(t *testing.T) {
		r := e.run(t, "get", "-o", filepath.Join(t.TempDir(), "x"), e.url("pub/*.txt"))
		r.want(t, 2, nil, []string{"-o must name a directory"})
	})
	t.Run("a directory URL", func(t *testing.T) {
		e.run(t, "get", e.url("pub/")).want(t, 2, nil, []string{"names a directory"})
	})
}

// TestGetResume interrupts nothing but starts from the partial file an
// interrupted download leaves: get -c must send REST at its size and
// complete it byte for byte.
func TestGetResume(t *testing.T) {
	t.Parallel()
	data := bigData(1<<20 + 123)
	e := newEnv(t, ftptest.Options{})
	if err := e.srv.WriteFile("big.bin", data); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	part := filepath.Join(dir, ".big.bin.goftp-part")
	if err := os.WriteFile(part, data[:300000], 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, "-v", "get", "-c", "-o", dir, e.url("big.bin"))
	r.want(t, 0, nil, []string{"resumed at ", "> REST 234464\n< 350 "})
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(dir, "big.bin")), data)
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf("partial file still there: %v", err)
	}

	// Without -c the partial file is started afresh.
	if err := os.WriteFile(part, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.run(t, "-v", "get", "-o", dir, e.url("big.bin"))
	r.want(t, 0, nil, nil)
	if strings.Contains(r.stderr, "> REST") {
		t.Errorf("get without -c sent REST:\n%s", r.stderr)
	}
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(dir, "big.bin")), data)
}

func TestPut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	dir := t.TempDir()
	a := filepath.Join(dir, "one.txt")
	b := filepath.Join(dir, "two.txt")
	os.WriteFile(a, []byte("one\n"), 0o644)
	os.WriteFile(b, []byte("two\n"), 0o644)
	t.Run("to a file name", func(t *testing.T) {
		e.run(t, "put", a, e.url("pub/renamed.txt")).want(t, 0, nil, []string{"pub/renamed.txt  4 B in "})
		if got := string(e.file(t, "pub/renamed.txt")); got != "one\n" {
			t.Errorf("pub/renamed.txt = %q", got)
		}
	})
	t.Run("into a directory", func(t *testing.T) {
		e.run(t, "put", a, b, e.url("pub/sub")).want(t, 0, nil, nil)
		if got := string(e.file(t, "pub/sub/two.txt")); got != "two\n" {
			t.Errorf("pub/sub/two.txt = %q", got)
		}
		e.run(t, "put", b, e.url("")).want(t, 0, nil, nil)
		if got := string(e.file(t, "two.txt")); got != "two\n" {
			t.Errorf("two.txt = %q", got)
		}
	})
	t.Run("a directory is refused", func(t *testing.T) {
		e.run(t, "put", dir, e.url("x/")).want(t, 2, nil, []string{"use mirror -R"})
	})
	t.Run("into a missing directory", func(t *testing.T) {
		e.run(t, "put", a, e.url("nope/x.txt")).want(t, exitNotFound, nil, []string{"goftp: put " + a + ": STOR nope/.x.txt.goftp-part: 550"})
	})
}

// TestPutResume completes an upload whose first part is on the server:
// in the partial file an interrupted put leaves, or, with --direct, in
// the file itself.
func TestPutResume(t *testing.T) {
	t.Parallel()
	data := bigData(700001)
	e := newEnv(t, ftptest.Options{})
	if err := e.srv.WriteFile(".up.bin.goftp-part", data[:250000]); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "up.bin")
	os.WriteFile(local, data, 0o644)
	r := e.run(t, "-v", "put", "-c", local, e.url("up.bin"))
	r.want(t, 0, nil, []string{"resumed at ", "> SIZE .up.bin.goftp-part\n< 213 250000", "> REST 250000\n< 350 ", "> RNFR .up.bin.goftp-part\n"})
	sameBytes(t, "up.bin on the server", e.file(t, "up.bin"), data)
	if _, err := e.srv.ReadFile(".up.bin.goftp-part"); err == nil {
		t.Error("the partial file is still on the server")
	}

	if err := e.srv.WriteFile("direct.bin", data[:250000]); err != nil {
		t.Fatal(err)
	}
	r = e.run(t, "-v", "put", "-c", "--direct", local, e.url("direct.bin"))
	r.want(t, 0, nil, []string{"resumed at ", "> SIZE direct.bin\n< 213 250000", "> REST 250000\n< 350 "})
	if strings.Contains(r.stderr, "RNFR") {
		t.Errorf("put --direct renamed:\n%s", r.stderr)
	}
	sameBytes(t, "direct.bin on the server", e.file(t, "direct.bin"), data)
}

func TestCat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	r := e.run(t, "cat", e.url("pub/b.txt"))
	r.want(t, 0, nil, nil)
	if r.stdout != "bbbb\n" {
		t.Errorf("cat = %q, want %q", r.stdout, "bbbb\n")
	}
	e.run(t, "cat", e.url("pub/nope")).want(t, exitNotFound, nil, []string{"goftp: RETR pub/nope: 550 "})
}

func TestRmMkdirRmdirMv(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	exists := func(name string) bool {
		_, err := e.srv.ReadFile(name)
		return err == nil
	}
	e.run(t, "rm", e.url("pub/a.txt"), e.url("hello.txt")).want(t, 0, nil, nil)
	if exists("pub/a.txt") || exists("hello.txt") {
		t.Error("rm left files behind")
	}
	e.run(t, "rm", e.url("pub/a.txt")).want(t, exitNotFound, nil, []string{"goftp: rm pub/a.txt: DELE pub/a.txt: 550 "})
	e.run(t, "rm", e.url("pub")).want(t, exitNotFound, nil, []string{"DELE pub: 550"})
	e.run(t, "rm", "-r", e.url("")).want(t, 2, nil, []string{"refusing"})

	e.run(t, "mkdir", e.url("new")).want(t, 0, nil, nil)
	e.run(t, "mkdir", e.url("new")).want(t, exitNotFound, nil, []string{"goftp: MKD new: 550"})
	e.run(t, "mkdir", "-p", e.url("new")).want(t, 0, nil, nil)
	e.run(t, "mkdir", "-p", e.url("x/y/z/")).want(t, 0, nil, nil)
	e.run(t, "mkdir", e.url("a/b")).want(t, exitNotFound, nil, []string{"MKD a/b: 550"})
	e.run(t, "ls", e.url("x/y/")).want(t, 0, []string{"z\n"}, nil)

	e.run(t, "rmdir", e.url("x/y/z")).want(t, 0, nil, nil)
	e.run(t, "rmdir", e.url("x")).want(t, exitNotFound, nil, []string{"goftp: RMD x: 550"})
	e.run(t, "rm", "-r", e.url("x/")).want(t, 0, nil, nil)
	e.run(t, "ls", e.url("")).want(t, 0, []string{"new\npub\n"}, nil)

	e.run(t, "mv", e.url("pub/b.txt"), e.url("new/b2.txt")).want(t, 0, nil, nil)
	e.run(t, "mv", e.url("pub/c.bin"), e.url("new/")).want(t, 0, nil, nil)
	if !exists("new/b2.txt") || !exists("new/c.bin") || exists("pub/b.txt") {
		t.Error("mv did not move the files")
	}
	e.run(t, "mv", e.url("nope"), "x").want(t, exitNotFound, nil, []string{"goftp: RNFR nope: 550"})
	e.run(t, "rm", "-r", e.url("pub")).want(t, 0, nil, nil)
	e.run(t, "ls", e.url("")).want(t, 0, []string{"new\n"}, nil)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		err  string
		out  string
	}{
		{nil, 2, "goftp: no command given", ""},
		{[]string{"frob"}, 2, `goftp: unknown command "frob"`, ""},
		{[]string{"ls"}, 2, "goftp: ls needs one URL", ""},
		{[]string{"ls", "-x", "ftp://h/"}, 2, "flag provided but not defined: -x", ""},
		{[]string{"ls", "http://h/"}, 2, "unknown scheme", ""},
		{[]string{"--tls", "bogus", "ls", "ftp://h/"}, 2, "--tls must be none, explicit or implicit", ""},
		{[]string{"ls", "--tls", "none", "ftps://h/"}, 2, "conflicts with the ftps:// URL", ""},
		{[]string{"mirror", "-P", "0", "ftp://h/", "x"}, 2, "-P must be", ""},
		{[]string{"parselist", "--now", "yesterday"}, 2, "--now", ""},
		{[]string{"help"}, 0, "", "Commands:\n"},
		{[]string{"help", "get"}, 0, "", "usage: goftp get [-c] [-n N] [-P N] [--limit-rate RATE] [-o LOCAL] URL...\n"},
		{[]string{"ls", "-h"}, 0, "", "  -json\n"},
		{[]string{"-h"}, 0, "", "Global flags"},
	} {
		r := runGoftp(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.err) || !strings.Contains(r.stdout, tc.out) {
			t.Errorf("goftp %q: exit %d, stdout %q, stderr %q; want exit %d, stderr with %q, stdout with %q",
				tc.args, r.code, r.stdout, r.stderr, tc.code, tc.err, tc.out)
		}
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t, ftptest.Options{})
	t.Run("password in the URL warns", func(t *testing.T) {
		u := strings.Replace(e.url(""), "user@", "user:pass@", 1)
		r := runGoftp(t, "", "ls", u)
		r.want(t, 0, []string{"hello.txt"}, []string{"goftp: warning: a password in the URL is visible"})
	})
	t.Run("FTP_PASSWORD", func(t *testing.T) {
		t.Setenv("FTP_PASSWORD", ftptest.DefaultPassword)
		t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
		r := runGoftp(t, "", "-v", "ls", e.url(""))
		r.want(t, 0, []string{"hello.txt"}, []string{"> PASS ****\n"})
		if strings.Contains(r.stderr, ftptest.DefaultPassword) {
			t.Errorf("the password shows in the dialogue:\n%s", r.stderr)
		}
	})
	t.Run("user from netrc", func(t *testing.T) {
		u := strings.Replace(e.url(""), "user@", "", 1)
		e.run(t, "ls", u).want(t, 0, []string{"hello.txt"}, nil)
	})
	t.Run("--user", func(t *testing.T) {
		u := strings.Replace(e.url(""), "user@", "", 1)
		e.run(t, "ls", "--user", "user", u).want(t, 0, []string{"hello.txt"}, nil)
	})
	t.Run("no password without a terminal", func(t *testing.T) {
		t.Setenv("FTP_PASSWORD", "")
		t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
		runGoftp(t, "", "ls", e.url("")).want(t, 1, nil, []string{"goftp: no password: set FTP_PASSWORD"})
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Setenv("FTP_PASSWORD", "wrong")
		t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
		r := runGoftp(t, "", "ls", e.url(""))
		r.want(t, exitLogin, nil, []string{"goftp: PASS ****: 530 "})
		if strings.Contains(r.stderr, "wrong") {
			t.Errorf("the password shows in the error: %s", r.stderr)
		}
	})
}

func TestTLS(t *testing.T) {
	t.Parallel()
	for _, mode := range []ftptest.TLSMode{ftptest.TLSExplicit, ftptest.TLSImplicit} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, ftptest.Options{TLS: mode})
			e.run(t, "ls", "--ca", e.ca, e.url("pub/")).want(t, 0, []string{"a.txt\nb.txt\n"}, nil)
			r := e.run(t, "get", "--ca", e.ca, "-o", t.TempDir()+"/", e.url("hello.txt"))
			r.want(t, 0, nil, []string{"hello.txt  13 B"})
			e.run(t, "ls", e.url("")).want(t, exitTLS, nil, []string{"certificate"})
			e.run(t, "ls", "--insecure", e.url("")).want(t, 0, []string{"hello.txt"}, []string{"not verified"})
		})
	}
	t.Run("--tls explicit on an ftp:// URL", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, ftptest.Options{TLS: ftptest.TLSExplicit})
		u := strings.Replace(e.url(""), "ftpes://", "ftp://", 1)
		r := e.run(t, "-v", "ls", "--tls", "explicit", "--ca", e.ca, u)
		r.want(t, 0, []string{"hello.txt"}, []string{"> AUTH TLS\n< 234 "})
	})
}

func TestVerbose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	r := e.run(t, "ls", e.url(""), "-vv")
	r.want(t, 0, nil, []string{"> USER user\n", "> PASS ****\n", "< 230 ", "* data open"})
	if strings.Contains(r.stderr, "pass\n") {
		t.Errorf("password in -vv output:\n%s", r.stderr)
	}
	r = e.run(t, "--active", "-v", "ls", e.url(""))
	r.want(t, 0, []string{"hello.txt"}, []string{"> EPRT "})
}
