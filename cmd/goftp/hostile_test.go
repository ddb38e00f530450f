package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goftplib/ftp/internal/scripted"
)

// These tests use a scripted server that lists hostile names, which a
// real server (and ftptest) cannot hold: the client must refuse each,
// naming it, and write nothing outside the target directory.

// login is the start of every session with the scripted server; feats
// are the lines of the FEAT reply.
func login(feats ...string) []scripted.Step {
	feat := "211-Features:\n"
	for _, f := range feats {
		feat += " " + f + "\n"
	}
	return []scripted.Step{
		{Reply: "220 scripted"},
		{Cmd: "USER user", Reply: "331 password please"},
		{Cmd: "PASS secret", Reply: "230 logged in"},
		{Cmd: "FEAT", Reply: feat + "211 End"},
	}
}

// fetchGood is the download of dir/good.txt ("hello"). sized: whether
// the size is known from a listing (else SIZE is asked first).
func fetchGood(sized bool) []scripted.Step {
	var s []scripted.Step
	if !sized {
		s = append(s, scripted.Step{Cmd: "TYPE I", Reply: "200 binary"}, scripted.Step{Cmd: "SIZE dir/good.txt", Reply: "213 5"})
	} else {
		s = append(s, scripted.Step{Cmd: "TYPE I", Reply: "200 binary"})
	}
	return append(s,
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "RETR dir/good.txt", Reply: "150 here it comes", Data: []byte("hello")},
		scripted.Step{Reply: "226 done"},
	)
}

var quit = scripted.Step{Cmd: "QUIT", Reply: "221 bye"}

// listing returns the steps of a LIST, NLST or MLSD of dir sending lines.
func listingSteps(verb, dir string, lines ...string) []scripted.Step {
	return []scripted.Step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		{Cmd: verb + " " + dir, Reply: "150 listing", Data: []byte(strings.Join(lines, "\r\n") + "\r\n")},
		{Reply: "226 done"},
	}
}

func script(parts ...[]scripted.Step) []scripted.Step {
	var s []scripted.Step
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// runScripted runs goftp against srv from inside a fresh working
// directory structure: base/target is where files may be written; base
// is checked to hold nothing else afterwards.
func runScripted(t *testing.T, srv *scripted.Server, args func(url, target string) []string) (result, string) {
	t.Helper()
	base := t.TempDir()
	target := filepath.Join(base, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	netrc := filepath.Join(base, "netrc")
	os.WriteFile(netrc, []byte("machine 127.0.0.1 login user password secret\n"), 0o600)
	r := runGoftp(t, "", append([]string{"--netrc", netrc}, args("ftp://user@"+srv.Addr+"/dir", target)...)...)
	srv.Wait()
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	entries, _ := os.ReadDir(base)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"netrc", "target"}; !slices.Equal(names, want) {
		t.Errorf("the command created %q next to the target directory", names)
	}
	return r, target
}

// onlyGood checks that target holds good.txt ("hello") and nothing else.
func onlyGood(t *testing.T, target string) {
	t.Helper()
	var got []string
	filepath.WalkDir(target, func(p string, d os.DirEntry, err error) error {
		if p != target {
			rel, _ := filepath.Rel(target, p)
			got = append(got, rel)
		}
		return nil
	})
	if !slices.Equal(got, []string{"good.txt"}) {
		t.Errorf("target holds %q, want good.txt alone", got)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "good.txt")); string(b) != "hello" {
		t.Errorf("good.txt = %q, want %q", b, "hello")
	}
}

var hostileErrors = []string{
	`../evil`, // refused by safepath, or by package listing (the whole line)
	`unsafe name "/etc/passwd" from server: it is an absolute path`,
	`unsafe name "a/b" from server: it contains a path separator`,
}

// oneErrorEach checks that each refused name got its own error line.
func oneErrorEach(t *testing.T, r result) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if strings.Contains(line, " B in ") && strings.HasSuffix(line, "/s)") || strings.HasPrefix(line, "mirror: ") {
			continue // a download's summary line, mirror's (stderr, like progress)
		}
		n++
		if !strings.HasPrefix(line, "goftp: ") {
			t.Errorf("stderr line %q does not start with goftp: ", line)
		}
	}
	if n != 3 {
		t.Errorf("%d error lines, want 3 (one per refused name):\n%s", n, r.stderr)
	}
}

func TestHostileNLST(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("SIZE"),
		listingSteps("NLST", "dir", "dir/../evil", "/etc/passwd", "a/b", "dir/good.txt", ".", ".."),
		fetchGood(false),
		[]scripted.Step{quit},
	)...)
	r, target := runScripted(t, srv, func(url, target string) []string {
		return []string{"get", "-o", target, url + "/*"}
	})
	r.want(t, 1, nil, append([]string{"dir/good.txt  5 B in "}, hostileErrors...))
	oneErrorEach(t, r)
	onlyGood(t, target)
}

func TestHostileMLSD(t *testing.T) {
	t.Parallel()
	lines := []string{
		"type=cdir;modify=20240102030405; /dir",
		"type=file;size=5;modify=20240102030405; ../evil",
		"type=file;size=5;modify=20240102030405; /etc/passwd",
		"type=dir;modify=20240102030405; a/b",
		"type=file;size=5;modify=20240102030405; good.txt",
	}
	t.Run("ls", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(
			login("MLST type*;size*;modify*;"),
			listingSteps("MLSD", "dir", lines...),
			[]scripted.Step{quit},
		)...)
		r, _ := runScripted(t, srv, func(url, _ string) []string { return []string{"ls", "--json", url} })
		r.want(t, 1, nil, hostileErrors)
		oneErrorEach(t, r)
		want := `{"name":"good.txt","type":"file","size":5,"time":"2024-01-02T03:04:05Z","target":""}` + "\n"
		if r.stdout != want {
			t.Errorf("ls --json = %q, want %q", r.stdout, want)
		}
	})
	t.Run("mirror", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(
			login("MLST type*;size*;modify*;"),
			// mirror confirms the top directory before anything else.
			[]scripted.Step{{Cmd: "MLST dir", Reply: "250-Listing dir\n type=dir;modify=20240102030405; dir\n250 End"}},
			listingSteps("MLSD", "dir", lines...),
			fetchGood(true),
			[]scripted.Step{quit},
		)...)
		r, target := runScripted(t, srv, func(url, target string) []string {
			return []string{"mirror", "-P", "1", "--delete", url, target}
		})
		r.want(t, 1, nil, append([]string{"mirror: 1 files (5 B) transferred"}, hostileErrors...))
		oneErrorEach(t, r)
		onlyGood(t, target)
	})
}

func TestHostileLIST(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("SIZE"),
		// mirror confirms the top directory before anything else.
		[]scripted.Step{
			{Cmd: "PWD", Reply: `257 "/" is the current directory`},
			{Cmd: "CWD dir", Reply: "250 ok"},
			{Cmd: "CDUP", Reply: "250 ok"},
			{Cmd: "PWD", Reply: `257 "/" is the current directory`},
		},
		listingSteps("LIST", "dir",
			"total 4",
			"-rw-r--r--   1 u  g  5 Jan 02  2024 ../evil",
			"-rw-r--r--   1 u  g  5 Jan 02  2024 /etc/passwd",
			"drwxr-xr-x   2 u  g  4 Jan 02  2024 a/b",
			"-rw-r--r--   1 u  g  5 Jan 02  2024 good.txt",
		),
		fetchGood(true),
		[]scripted.Step{quit},
	)...)
	r, target := runScripted(t, srv, func(url, target string) []string {
		return []string{"mirror", "-P", "1", url, target}
	})
	r.want(t, 1, nil, []string{"mirror: 1 files (5 B) transferred", "../evil", "/etc/passwd", "a/b"})
	oneErrorEach(t, r)
	onlyGood(t, target)
}
