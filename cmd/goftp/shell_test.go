package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/faultproxy"
)

// shell runs "goftp shell -c script URL" with the server's .netrc.
func (e *testEnv) shell(t *testing.T, script string, extra ...string) result {
	t.Helper()
	args := append([]string{"--netrc", e.netrc}, extra...)
	return runGoftp(t, "", append(args, "shell", "-c", script, e.url(""))...)
}

// TestSplitLine: statements split at unquoted ';', words at blanks;
// quotes and backslashes keep spaces and metacharacters; '-' marks a
// failure to ignore; '#' starts a comment.
func TestSplitLine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		line string
		want [][]string
		meta []bool // quotedMeta of the words of the first statement, when given
	}{
		{"cd pub; mget *.csv; bye", [][]string{{"cd", "pub"}, {"mget", "*.csv"}, {"bye"}}, []bool{false, false}},
		{`put "my file.txt" 'it''s' a\ b`, [][]string{{"put", "my file.txt", "its", "a b"}}, nil},
		{`get 'a*b' "c?d" e\*f g*`, [][]string{{"get", "a*b", "c?d", "e*f", "g*"}}, []bool{false, true, true, true, false}},
		{`quote "x \"y\" \\ z"`, [][]string{{"quote", `x "y" \ z`}}, nil},
		{"-rm x;  ; ls # a comment; not a command", [][]string{{"rm", "x"}, {"ls"}}, nil},
		{"echo a#b", [][]string{{"echo", "a#b"}}, nil},
		{"  ", nil, nil},
	} {
		stmts, err := splitLine(c.line)
		if err != nil {
			t.Errorf("splitLine(%q): %v", c.line, err)
			continue
		}
		var got [][]string
		for _, st := range stmts {
			var ws []string
			for _, w := range st.words {
				ws = append(ws, w.text)
			}
			got = append(got, ws)
		}
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("splitLine(%q) = %q, want %q", c.line, got, c.want)
		}
		if c.meta != nil && len(stmts) > 0 {
			for i, w := range stmts[0].words {
				if i < len(c.meta) && w.quotedMeta != c.meta[i] {
					t.Errorf("splitLine(%q): word %q quotedMeta %v, want %v", c.line, w.text, w.quotedMeta, c.meta[i])
				}
			}
		}
	}
	stmts, _ := splitLine("-rm x; ls")
	if !stmts[0].ignore || stmts[1].ignore {
		t.Errorf("ignore marks: %v, %v; want true, false", stmts[0].ignore, stmts[1].ignore)
	}
	for _, bad := range []string{`cd 'pub`, `cd "pub`, `cd pub\`} {
		if _, err := splitLine(bad); err == nil {
			t.Errorf("splitLine(%q): no error", bad)
		}
	}
	if got := globWord(word{text: `a*b\c`, quotedMeta: true}); got != `a\*b\\c` {
		t.Errorf("globWord = %q", got)
	}
}

// TestShellNavigation: cd, cdup, cd -, pwd, ls in its forms, dir, lcd,
// lpwd, lls, stat, size, mtime, cat, help and set, in one script.
func TestShellNavigation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("cd and pwd", func(t *testing.T) {
		r := e.shell(t, "pwd; cd pub; pwd; cd sub; pwd; cdup; pwd; cd -; pwd; cd /; cd pub/sub/..; pwd; cd; pwd")
		r.want(t, 0, nil, nil)
		if got, want := r.stdout, "/\n/pub\n/pub/sub\n/pub\n/pub/sub\n/pub\n/\n"; got != want {
			t.Errorf("stdout %q, want %q", got, want)
		}
	})
	t.Run("ls", func(t *testing.T) {
		r := e.shell(t, "ls; ls -a; cd pub; ls --sort; ls sub")
		r.want(t, 0, nil, nil)
		if got, want := r.stdout, "hello.txt\npub\n.hidden\nhello.txt\npub\na.txt\nb.txt\nc.bin\nsub\ndeep.txt\n"; got != want {
			t.Errorf("stdout %q, want %q", got, want)
		}
		r = e.shell(t, "cd pub; ls -l --utc; dir --utc a.txt")
		r.want(t, 0, []string{"       4 2024-05-06 07:08 UTC   a.txt\n", "\nd", " sub\n"}, nil)
		if n := strings.Count(r.stdout, "a.txt"); n != 2 {
			t.Errorf("a.txt listed %d times, want 2 (ls -l, dir a.txt):\n%s", n, r.stdout)
		}
		r = e.shell(t, "ls --json pub")
		r.want(t, 0, nil, nil)
		var j jsonEntry
		if err := json.Unmarshal([]byte(strings.SplitN(r.stdout, "\n", 2)[0]), &j); err != nil || j.Name != "a.txt" || j.Size != 4 || j.Type != "file" {
			t.Errorf("ls --json first line %q: %+v, %v", r.stdout, j, err)
		}
		e.shell(t, "ls typo").want(t, exitNotFound, nil, []string{"goftp: ls typo: "})
		// Patterns are matched by the shell, in the directory's listing.
		r = e.shell(t, "ls pub/*.txt; cd pub; ls -l ?.bin")
		r.want(t, 0, nil, nil)
		if !strings.HasPrefix(r.stdout, "a.txt\nb.txt\n-") || !strings.HasSuffix(r.stdout, " c.bin\n") || strings.Count(r.stdout, "\n") != 3 {
			t.Errorf("ls with patterns: %q", r.stdout)
		}
	})
	t.Run("files", func(t *testing.T) {
		r := e.shell(t, "cd pub; size a.txt b.txt; mtime --utc a.txt; cat a.txt ../hello.txt; stat c.bin")
		r.want(t, 0, []string{"4 a.txt\n5 b.txt\n", "2024-05-06 07:08:09 UTC a.txt\n", "aaa\nhello, world\n", " 4 ", " c.bin\n"}, nil)
		r = e.shell(t, "stat")
		r.want(t, 0, []string{"211"}, nil)
		e.shell(t, "size nope.txt").want(t, exitNotFound, nil, []string{"SIZE /nope.txt: 550"})
	})
	t.Run("hash", func(t *testing.T) {
		sum := sha256.Sum256([]byte("hello, world\n"))
		r := e.shell(t, "hash hello.txt; hash -a md5 pub/a.txt")
		r.want(t, 0, []string{hex.EncodeToString(sum[:]) + "  hello.txt  (SHA-256)\n", "  pub/a.txt  (MD5)\n"}, nil)
		e.shell(t, "hash -a rot13 hello.txt").want(t, exitUsage, nil, []string{"hash: -a rot13"})
	})
	t.Run("local", func(t *testing.T) {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "sub"), 0o755)
		os.WriteFile(filepath.Join(dir, "x.dat"), []byte("xx"), 0o644)
		os.WriteFile(filepath.Join(dir, ".dot"), []byte("."), 0o644)
		r := e.shell(t, "lcd "+dir+"; lpwd; lls; lls -a; lls -l; lcd sub; lpwd; lcd ..; lcd x.dat")
		r.want(t, exitFailure, []string{dir + "\nsub/\nx.dat\n.dot\nsub/\nx.dat\n", " 2 ", dir + "/sub\n"}, []string{"lcd x.dat: not a directory"})
	})
	t.Run("help and set", func(t *testing.T) {
		r := e.shell(t, "help; help mget; set; set parallel 3; set parallel; set verbose 1; size hello.txt; set verbose 0; size hello.txt")
		r.want(t, 0, []string{"mirror", "chmod", "usage: get [-c]", "(also: mget)", "passive    on", "parallel 3\n"}, []string{"> SIZE /hello.txt\n"})
		if n := strings.Count(r.stderr, "> SIZE"); n != 1 {
			t.Errorf("%d SIZE commands shown, want 1 (verbose on, then off):\n%s", n, r.stderr)
		}
		e.shell(t, "set nothing 1").want(t, exitUsage, nil, []string{`no setting "nothing"`})
		e.shell(t, "set parallel 0").want(t, exitUsage, nil, []string{"parallel: a number"})
		e.shell(t, "help nope").want(t, exitUsage, nil, []string{"unknown command"})
		e.shell(t, "frobnicate").want(t, exitUsage, nil, []string{`unknown command "frobnicate"`})
		// set passive off: the session is made again, in active mode,
		// in the same directory.
		r = e.shell(t, "cd pub; set passive off; set active; pwd; ls", "-v")
		r.want(t, 0, []string{"active on\n/pub\na.txt\n"}, []string{"> EPRT", "> CWD /pub"})
		// A setting the server refuses leaves the session as it was.
		r = e.shell(t, "cd pub; -set tls explicit; set tls; pwd; ls a.txt")
		r.want(t, 0, []string{"tls none\n/pub\na.txt\n"}, []string{"set tls explicit: ", "(setting unchanged)"})
	})
}

// TestShellTransfers: get, mget, reget, put, mput, reput and mirror in
// the shell, into and from its local directory, with globs and names
// with spaces.
func TestShellTransfers(t *testing.T) {
	t.Parallel()
	files := sampleFiles()
	files["pub/my file.txt"] = &fstest.MapFile{Data: []byte("spaced\n")}
	files["pub/a*b.txt"] = &fstest.MapFile{Data: []byte("star\n")}
	files["pub/aXb.txt"] = &fstest.MapFile{Data: []byte("x\n")}
	big := bigData(1 << 20)
	files["big.bin"] = &fstest.MapFile{Data: big}
	e := newEnv(t, ftptest.Options{Files: files})

	t.Run("get", func(t *testing.T) {
		dir := t.TempDir()
		r := e.shell(t, "lcd "+dir+"; cd pub; mget *.txt; get c.bin 'my file.txt'; get -o renamed ../hello.txt; get -o sub/ ../hello.txt")
		r.want(t, 0, nil, nil)
		for name, want := range map[string]string{"a.txt": "aaa\n", "b.txt": "bbbb\n", "a*b.txt": "star\n", "aXb.txt": "x\n",
			"my file.txt": "spaced\n", "renamed": "hello, world\n", "sub/hello.txt": "hello, world\n", "c.bin": "\x00\x01\x02\x03"} {
			sameBytes(t, name, readLocal(t, filepath.Join(dir, name)), []byte(want))
		}
		if !strings.Contains(r.stderr, "/pub/a.txt") {
			t.Errorf("no transfer summary on stderr:\n%s", r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("stdout %q, want nothing (summaries go to stderr)", r.stdout)
		}
	})
	t.Run("quoted glob", func(t *testing.T) {
		dir := t.TempDir()
		e.shell(t, "lcd "+dir+"; cd pub; get 'a*b.txt'").want(t, 0, nil, nil)
		got, _ := os.ReadDir(dir)
		if len(got) != 1 || got[0].Name() != "a*b.txt" {
			t.Errorf("get 'a*b.txt' downloaded %v, want a*b.txt only", got)
		}
	})
	t.Run("reget", func(t *testing.T) {
		dir := t.TempDir()
		part := filepath.Join(dir, ".big.bin.goftp-part")
		os.WriteFile(part, big[:300000], 0o644)
		r := e.shell(t, "lcd "+dir+"; reget big.bin")
		r.want(t, 0, nil, []string{"resumed at"})
		sameBytes(t, "big.bin", readLocal(t, filepath.Join(dir, "big.bin")), big)
	})
	t.Run("missing", func(t *testing.T) {
		dir := t.TempDir()
		e.shell(t, "lcd "+dir+"; get nope.txt").want(t, exitNotFound, nil, []string{"RETR /nope.txt: 550"})
		e.shell(t, "lcd "+dir+"; get pub/*.none").want(t, exitNotFound, nil, []string{"no files match"})
		e.shell(t, "get pub/").want(t, exitUsage, nil, []string{"use mirror"})
	})
	t.Run("put", func(t *testing.T) {
		dir := t.TempDir()
		for _, n := range []string{"one.dat", "two.dat", "with space.txt"} {
			os.WriteFile(filepath.Join(dir, n), []byte("local "+n), 0o644)
		}
		os.Mkdir(filepath.Join(dir, "adir"), 0o755)
		r := e.shell(t, "lcd "+dir+"; mkdir -p up/x; cd up/x; mput *.dat; put \"with space.txt\" -o renamed.txt; put adir; put one.dat -o ../")
		r.want(t, 0, nil, []string{"skip " + filepath.Join(dir, "adir") + ": a directory"})
		for name, want := range map[string]string{"up/x/one.dat": "local one.dat", "up/x/two.dat": "local two.dat", "up/x/renamed.txt": "local with space.txt", "up/one.dat": "local one.dat"} {
			sameBytes(t, name, e.file(t, name), []byte(want))
		}
		e.shell(t, "lcd "+dir+"; put nope.dat").want(t, exitNotFound, nil, []string{"nope.dat"})
		e.shell(t, "lcd "+dir+"; put *.none").want(t, exitNotFound, nil, []string{"no local files match *.none"})
	})
	t.Run("reput", func(t *testing.T) {
		dir := t.TempDir()
		data := bigData(200000)
		os.WriteFile(filepath.Join(dir, "r.bin"), data, 0o644)
		if err := e.srv.WriteFile("up2/.r.bin.goftp-part", data[:50000]); err != nil {
			t.Fatal(err)
		}
		r := e.shell(t, "lcd "+dir+"; cd up2; reput r.bin")
		r.want(t, 0, nil, []string{"resumed at"})
		sameBytes(t, "up2/r.bin", e.file(t, "up2/r.bin"), data)
	})
	t.Run("mirror", func(t *testing.T) {
		dir := t.TempDir()
		r := e.shell(t, "lcd "+dir+"; mirror pub; mirror -P 2 pub copy2; mirror --dry-run pub")
		r.want(t, 0, nil, []string{"mirror: ", "0 files (0 B) would transferred"})
		for _, d := range []string{"pub", "copy2"} {
			sameBytes(t, d+"/sub/deep.txt", readLocal(t, filepath.Join(dir, d, "sub", "deep.txt")), []byte("deep\n"))
		}
		os.WriteFile(filepath.Join(dir, "pub", "extra.txt"), []byte("x"), 0o644)
		e.shell(t, "lcd "+dir+"; mirror --delete pub").want(t, 0, nil, []string{"delete extra.txt"})
		if _, err := os.Stat(filepath.Join(dir, "pub", "extra.txt")); err == nil {
			t.Errorf("mirror --delete left extra.txt")
		}
		r = e.shell(t, "lcd "+dir+"; mkdir back; mirror -R pub back/pub")
		r.want(t, 0, nil, nil)
		sameBytes(t, "back/pub/sub/deep.txt", e.file(t, "back/pub/sub/deep.txt"), []byte("deep\n"))
		e.shell(t, "mirror -P 0").want(t, exitUsage, nil, []string{"-P must be"})
	})
}

// TestShellChanges: rm (globs, -r), mkdir -p, rmdir, mv, chmod, site and
// quote.
func TestShellChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	exists := func(name string) bool {
		_, err := iofs.Stat(e.srv.FS(), name)
		return err == nil
	}
	t.Run("mkdir rmdir mv", func(t *testing.T) {
		r := e.shell(t, "mkdir -p m/n/o; mkdir m2; cd m; rmdir n/o; mv n n2; mv ../hello.txt ../m2; mv ../m2/hello.txt ./; rename hello.txt renamed.txt")
		r.want(t, 0, nil, nil)
		for _, n := range []string{"m/n2", "m2", "m/renamed.txt"} {
			if !exists(n) {
				t.Errorf("%s missing", n)
			}
		}
		for _, n := range []string{"m/n", "m/n2/o", "hello.txt", "m2/hello.txt"} {
			if exists(n) {
				t.Errorf("%s still there", n)
			}
		}
		e.shell(t, "rmdir nope").want(t, exitNotFound, nil, []string{"RMD /nope"})
		e.shell(t, "mkdir m2").want(t, exitNotFound, nil, []string{"MKD /m2"})
		e.shell(t, "mv x").want(t, exitUsage, nil, []string{"mv: mv needs FROM and TO"})
	})
	t.Run("rm", func(t *testing.T) {
		for _, n := range []string{"r/a.log", "r/b.log", "r/keep.txt", "r/d.log/x", "r/tree/y/z"} {
			e.srv.WriteFile(n, []byte("x"))
		}
		r := e.shell(t, "cd r; rm *.log; rm -r tree")
		r.want(t, 0, nil, []string{"skip /r/d.log: a directory"})
		for _, n := range []string{"r/a.log", "r/b.log", "r/tree"} {
			if exists(n) {
				t.Errorf("%s still there", n)
			}
		}
		if !exists("r/keep.txt") || !exists("r/d.log/x") {
			t.Errorf("rm removed what it should not")
		}
		e.shell(t, "rm r/nope").want(t, exitNotFound, nil, []string{"rm r/nope: "})
		e.shell(t, "rm /").want(t, exitUsage, nil, []string{"refusing"})
		// A failure ignored with "-": the script goes on.
		r = e.shell(t, "-rm r/nope; rm -r r/d.log; pwd")
		r.want(t, 0, []string{"/\n"}, []string{"rm r/nope: "})
		if exists("r/d.log") {
			t.Errorf("r/d.log still there")
		}
	})
	t.Run("chmod site quote", func(t *testing.T) {
		e.srv.WriteFile("c/a.sh", []byte("x"))
		e.srv.WriteFile("c/b.sh", []byte("x"))
		r := e.shell(t, "cd c; chmod 750 *.sh; site CHMOD 600 /c/a.sh; quote NOOP; quote CWD /c; quote PWD")
		r.want(t, 0, []string{"200 ", "257 \"/c\""}, nil)
		perm := func(n string) iofs.FileMode {
			fi, err := iofs.Stat(e.srv.FS(), n)
			if err != nil {
				t.Fatal(err)
			}
			return fi.Mode().Perm()
		}
		if perm("c/a.sh") != 0o600 || perm("c/b.sh") != 0o750 {
			t.Errorf("modes %v %v, want 0600 0750", perm("c/a.sh"), perm("c/b.sh"))
		}
		e.shell(t, "chmod u+x c/a.sh").want(t, exitUsage, nil, []string{"octal"})
		e.shell(t, "quote RETR x").want(t, exitUsage, nil, []string{"RETR needs a data connection"})
		e.shell(t, "quote SIZE nope; pwd").want(t, exitNotFound, []string{"550 "}, []string{"SIZE nope"})
		// quote CWD moves the shell too.
		e.shell(t, "quote CWD pub; pwd").want(t, 0, []string{"/pub\n"}, nil)
	})
}

// TestShellScripts: a failing command stops the script with its exit
// status; -f FILE and standard input hold scripts too; exit N; open,
// close and user; a script without a URL opens its own.
func TestShellScripts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	t.Run("stops at a failure", func(t *testing.T) {
		r := e.shell(t, "cd nope; pwd")
		r.want(t, exitNotFound, nil, []string{"CWD /nope: 550"})
		if r.stdout != "" {
			t.Errorf("pwd ran after the failure: %q", r.stdout)
		}
		r = e.shell(t, "-cd nope; pwd")
		r.want(t, 0, []string{"/\n"}, nil)
		e.shell(t, "pwd; -cd nope").want(t, 0, []string{"/\n"}, []string{"CWD /nope: 550"})
	})
	t.Run("file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "cmds")
		os.WriteFile(f, []byte("# a script\ncd pub\n\nls b.txt # b\nexit 3\npwd\n"), 0o644)
		r := runGoftp(t, "", "--netrc", e.netrc, "shell", "-f", f, e.url(""))
		r.want(t, 3, []string{"b.txt\n"}, nil)
		if strings.Contains(r.stdout, "/pub") {
			t.Errorf("pwd ran after exit: %q", r.stdout)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r := runGoftp(t, "cd pub\nls a.txt\n", "--netrc", e.netrc, "shell", e.url(""))
		r.want(t, 0, []string{"a.txt\n"}, nil)
		// goftp URL with no command is the shell.
		r = runGoftp(t, "pwd\n", "--netrc", e.netrc, e.url("pub/"))
		r.want(t, 0, []string{"/pub\n"}, nil)
	})
	t.Run("open close user", func(t *testing.T) {
		r := runGoftp(t, "", "--netrc", e.netrc, "shell", "-c", "pwd")
		r.want(t, exitUsage, nil, []string{"not connected: open URL first"})
		r = runGoftp(t, "", "--netrc", e.netrc, "shell", "-c", "open "+e.url("pub")+"; pwd; close; -pwd; open "+e.url("")+"; user user; pwd; quit; pwd")
		r.want(t, 0, []string{"/pub\n/\n"}, []string{"not connected"})
		if strings.Count(r.stdout, "\n") != 2 {
			t.Errorf("stdout %q: want two lines (nothing after bye)", r.stdout)
		}
		e.shell(t, "user nobody secret").want(t, exitLogin, nil, []string{"PASS ****: 530"})
		e.shell(t, "open ftp://127.0.0.1:1/").want(t, exitConnect, nil, nil)
	})
	t.Run("usage", func(t *testing.T) {
		e.shell(t, "cd 'pub").want(t, exitUsage, nil, []string{"unterminated ' quote"})
		runGoftp(t, "", "shell", "-c", "pwd", "-f", "x").want(t, exitUsage, nil, []string{"-c and -f"})
		runGoftp(t, "", "shell", "a", "b").want(t, exitUsage, nil, []string{"at most one URL"})
		e.shell(t, "exit 300").want(t, exitUsage, nil, []string{"exit status"})
	})
}

// TestHistoryLine: passwords never reach the history.
func TestHistoryLine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ line, want string }{
		{"open ftp://bob:s3cret@host/pub", "open ftp://bob@host/pub"},
		{"user bob s3cret", "user bob"},
		{"quote PASS s3cret; ls", "quote PASS ****; ls"},
		{"cd 'my dir'; ls", "cd 'my dir'; ls"},
	} {
		stmts, err := splitLine(c.line)
		got, ok := historyLine(c.line, stmts, err)
		if !ok || got != c.want {
			t.Errorf("historyLine(%q) = %q, %v; want %q", c.line, got, ok, c.want)
		}
	}
	stmts, err := splitLine("open 'ftp://bob:s3cret@host")
	if _, ok := historyLine("open 'ftp://bob:s3cret@host", stmts, err); ok {
		t.Errorf("an unparsable line was kept")
	}
}

// TestShellComplete: Tab completion of command names, settings, remote
// names (escaped, directories with /, dot files only when asked for),
// local names, and remote names again after a command changed the tree.
func TestShellComplete(t *testing.T) {
	t.Parallel()
	files := sampleFiles()
	files["pub/my file.txt"] = &fstest.MapFile{Data: []byte("x")}
	files["pub/a*b.txt"] = &fstest.MapFile{Data: []byte("x")}
	e := newEnv(t, ftptest.Options{Files: files})
	var out, errb syncBuffer
	a := &app{ctx: t.Context(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	a.g.netrc = e.netrc
	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "loc.dat"), []byte("new\n"), 0o644)
	os.Mkdir(filepath.Join(local, "ldir"), 0o755)
	s := &shell{a: a, lcwd: local, parallel: 1, script: true}
	if err := s.open(e.url("")); err != nil {
		t.Fatal(err)
	}
	defer s.closeConn()
	check := func(line string, want ...string) {
		t.Helper()
		head, got, tail := s.complete(line+"|tail", len([]rune(line)))
		if tail != "|tail" || !strings.HasPrefix(line, head) {
			t.Errorf("complete(%q): head %q, tail %q", line, head, tail)
		}
		if !slices.Equal(got, want) {
			t.Errorf("complete(%q) = %q, want %q", line, got, want)
		}
	}
	check("ca", "cat ")
	check("mk", "mkdir ")
	check("-rmd", "-rmdir ")
	check("cat he", "hello.txt ")
	check("cd p", "pub/")
	check("cd pub/", "pub/sub/")
	check("get pub/my", `pub/my\ file.txt `)
	check("get pub/a", `pub/a\*b.txt `, "pub/a.txt ")
	check("get .h", ".hidden ")
	check("ls x; cat hel", "hello.txt ")
	check("set pa", "parallel ", "passive ")
	check("help mir", "mirror ")
	check("put l", "ldir/", "loc.dat ")
	check("lcd l", "ldir/")
	check("open f")
	check("cat pub/lo")
	if code := s.exec(stmt{words: []word{{text: "put"}, {text: "loc.dat"}, {text: "-o"}, {text: "pub/"}}}); code != 0 {
		t.Fatalf("put: status %d, stderr %s", code, errb.String())
	}
	check("cat pub/lo", "pub/loc.dat ")
}

// TestShellScriptInterrupted: cancelling a script (Ctrl-C, SIGTERM: the
// app's context) in a transfer ends it with status 130, said once, the
// partial file kept.
func TestShellScriptInterrupted(t *testing.T) {
	t.Parallel()
	files := sampleFiles()
	files["big.bin"] = &fstest.MapFile{Data: bigData(4 << 20)}
	e := newEnv(t, ftptest.Options{Files: files})
	px, err := faultproxy.Start(e.srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	px.SlowData(256 << 10)
	local := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	r := runCtx(ctx, "", "--netrc", e.netrc, "shell", "-c", "lcd "+local+"; get big.bin; pwd", fmt.Sprintf("ftp://%s@%s/", ftptest.DefaultUser, px.Addr))
	r.want(t, exitInterrupted, nil, []string{"interrupted"})
	if n := strings.Count(r.stderr, "interrupted"); n != 1 || r.stdout != "" {
		t.Errorf("stdout %q, stderr %q: want nothing, and interrupted said once", r.stdout, r.stderr)
	}
	if fi, err := os.Stat(filepath.Join(local, ".big.bin.goftp-part")); err != nil || fi.Size() == 0 {
		t.Errorf("partial file: %v, %v", fi, err)
	}
}

// TestShellTLS: a script over explicit and implicit TLS (data channels
// protected too), with the server's certificate trusted by --ca.
func TestShellTLS(t *testing.T) {
	t.Parallel()
	for _, mode := range []ftptest.TLSMode{ftptest.TLSExplicit, ftptest.TLSImplicit} {
		e := newEnv(t, ftptest.Options{TLS: mode})
		local := t.TempDir()
		os.WriteFile(filepath.Join(local, "up.txt"), []byte("up\n"), 0o644)
		r := e.shell(t, "lcd "+local+"; cd pub; get a.txt; put up.txt; ls up.txt; set tls", "--ca", e.ca)
		r.want(t, 0, []string{"up.txt\n", map[ftptest.TLSMode]string{ftptest.TLSExplicit: "tls explicit\n", ftptest.TLSImplicit: "tls implicit\n"}[mode]}, nil)
		sameBytes(t, "a.txt", readLocal(t, filepath.Join(local, "a.txt")), []byte("aaa\n"))
		sameBytes(t, "pub/up.txt", e.file(t, "pub/up.txt"), []byte("up\n"))
	}
}

// TestShellIdleDrop: a session whose connection a NAT box dropped while
// the user was thinking goes on: the next command logs in again.
func TestShellIdleDrop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	px, err := faultproxy.Start(e.srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	px.DropIdle(300 * time.Millisecond)
	var out, errb syncBuffer
	a := &app{ctx: t.Context(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	a.g.netrc = e.netrc
	s := &shell{a: a, lcwd: t.TempDir(), parallel: 1}
	if err := s.open(fmt.Sprintf("ftp://%s@%s/pub", ftptest.DefaultUser, px.Addr)); err != nil {
		t.Fatal(err)
	}
	defer s.closeConn()
	time.Sleep(6 * time.Second) // past the Pool's 5 s check of an idle connection
	if px.Dropped.Load() == 0 {
		t.Fatal("the proxy dropped nothing")
	}
	if code := s.exec(stmt{words: []word{{text: "cat"}, {text: "a.txt"}}}); code != 0 || out.String() != "aaa\n" {
		t.Errorf("after the drop: status %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
