package mirror_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
	"github.com/goftplib/ftp/mirror"
)

// These tests play scripted servers: the cases of issue 12 that real
// servers do not produce on demand (a listing or a file cut short, a
// listing that nests forever). Each script is the whole session: a
// command the client should not send (a second connection, a retry, a
// listing past the bound) fails the test.

// session is a greeting and a login; with mlst the FEAT reply offers
// MLST (listings then use MLSD).
func session(mlst bool) []scripted.Step {
	feat := "211-Features:\n EPSV\n SIZE\n REST STREAM\n"
	if mlst {
		feat += " MLST type*;size*;modify*;unique*;\n"
	}
	return []scripted.Step{
		{Reply: "220 scripted"},
		{Cmd: "USER user", Reply: "331 password please"},
		{Cmd: "PASS secret", Reply: "230 logged in"},
		{Cmd: "FEAT", Reply: feat + "211 End"},
	}
}

var (
	typeA = scripted.Step{Cmd: "TYPE A", Reply: "200 ascii"}
	typeI = scripted.Step{Cmd: "TYPE I", Reply: "200 binary"}
	quit  = scripted.Step{Cmd: "QUIT", Reply: "221 bye"}
)

// mlsd is the MLSD of dir sending lines (the TYPE A before it is sent
// only when the type changes).
func mlsd(dir string, lines ...string) []scripted.Step {
	return []scripted.Step{
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		{Cmd: "MLSD " + dir, Reply: "150 listing", Data: []byte(strings.Join(lines, "\r\n") + "\r\n")},
		{Reply: "226 done"},
	}
}

// mlstDir is the MLST of an existing directory with the unique fact u.
func mlstDir(dir, u string) scripted.Step {
	return scripted.Step{Cmd: "MLST " + dir, Reply: fmt.Sprintf("250-Listing %s\n type=dir;unique=%s; %s\n250 End", dir, u, dir)}
}

// retr is a RETR of path sending data, the 150 reply without a size.
func retr(path string, data []byte) []scripted.Step {
	return []scripted.Step{
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		{Cmd: "RETR " + path, Reply: "150 here it comes", Data: data},
		{Reply: "226 done"},
	}
}

func steps(parts ...any) []scripted.Step {
	var s []scripted.Step
	for _, p := range parts {
		switch p := p.(type) {
		case scripted.Step:
			s = append(s, p)
		case []scripted.Step:
			s = append(s, p...)
		default:
			panic(fmt.Sprintf("steps: %T", p))
		}
	}
	return s
}

// scriptedPool starts srv's script and returns a one-connection Pool to
// it; retries is PoolConfig.Retries.
func scriptedPool(t *testing.T, retries int, s ...scripted.Step) (*scripted.Server, *ftp.Pool) {
	t.Helper()
	srv := scripted.New(t, s...)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{
		Dialer: ftp.Dialer{Timeout: 5 * time.Second},
		User:   "user", Password: "secret", MaxConns: 1, Retries: retries,
	})
	t.Cleanup(func() { p.Close() })
	return srv, p
}

// mlsxFile is an MLSD line for a file.
func mlsxFile(name string, size int) string {
	return fmt.Sprintf("type=file;size=%d;modify=20240506070809;unique=f%s; %s", size, name, name)
}

// TestTruncatedListingDeletesNothing: a listing cut short (426 after
// part of the data) is a failed listing; mirror --delete deletes nothing
// and reports it.
func TestTruncatedListingDeletesNothing(t *testing.T) {
	t.Parallel()
	for _, mlst := range []bool{true, false} {
		t.Run(fmt.Sprintf("mlst=%t", mlst), func(t *testing.T) {
			t.Parallel()
			var top, list []scripted.Step
			if mlst {
				top = []scripted.Step{mlstDir("site", "AA")}
				list = []scripted.Step{
					typeA,
					{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
					{Cmd: "MLSD site", Reply: "150 listing", Data: []byte(mlsxFile("index.html", 14) + "\r\n")},
					{Reply: "426 Connection closed; transfer aborted"},
					quit,
				}
			} else {
				top = []scripted.Step{
					{Cmd: "PWD", Reply: `257 "/home/user" is the current directory`},
					{Cmd: "CWD site", Reply: "250 ok"},
					{Cmd: "CDUP", Reply: "250 ok"},
					{Cmd: "PWD", Reply: `257 "/home/user" is the current directory`},
				}
				list = []scripted.Step{
					typeA,
					{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
					{Cmd: "LIST site", Reply: "150 listing", Data: []byte("-rw-r--r-- 1 u g 14 May  6  2024 index.html\r\n")},
					{Reply: "426 Connection closed; transfer aborted"},
				}
				list = append(list, quit)
			}
			_, p := scriptedPool(t, 0, steps(session(mlst), top, list)...)
			local, before := localSite(t)
			var rec recorder
			res, err := mirror.Download(t.Context(), p, "site", local, &mirror.Options{Delete: true, Report: rec.report})
			var re *ftp.ReplyError
			if !errors.As(err, &re) || re.Code != 426 {
				t.Errorf("Download = %v, want the 426", err)
			}
			if res.Deleted != 0 || len(rec.paths(mirror.OpDelete)) != 0 {
				t.Errorf("deleted %q after a truncated listing", rec.paths(mirror.OpDelete))
			}
			sameSnapshot(t, "after a truncated listing", snapshot(t, local), before)
		})
	}
}

// TestRejectedLineDeletesNothing: a listing with a line that cannot be
// used (unparsable, or an unsafe name) deletes nothing in that directory,
// not even a local file where the server has a directory, though the good
// entries are fetched.
func TestRejectedLineDeletesNothing(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(true), mlstDir("site", "AA"),
		typeA, mlsd("site", mlsxFile("new.txt", 3), "this is not an MLSD line", "type=file;size=1; ../evil",
			"type=dir;unique=CC; index.html"), // a file locally: not replaced either
		typeI,
		retr("site/new.txt", []byte("new")),
		quit,
	)...)
	local, before := localSite(t)
	var rec recorder
	res, err := mirror.Download(t.Context(), p, "site", local, &mirror.Options{Delete: true, Report: rec.report})
	if err == nil || res.Failed < 2 {
		t.Errorf("Download = %+v, %v; want the rejected lines reported", res, err)
	}
	if got := rec.done(mirror.OpDelete); len(got) != 0 || res.Deleted != 0 {
		t.Errorf("deleted %q after a listing with rejected lines", got)
	}
	before["new.txt"] = "new"
	sameSnapshot(t, "after rejected lines", snapshot(t, local), before)
}

// TestFetchTruncatedFile is issue 12 item 3: the data connection ends
// early (226 after 5 of the 10 bytes the listing gave, no size in the
// 150 reply). The file must not be installed; the partial file is kept
// for resuming.
func TestFetchTruncatedFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		size  int    // as listed
		sent  string // as sent
		short bool
	}{
		{"short", 10, "01234", true},
		{"long", 10, "0123456789abcde", false},
		{"empty listed, bytes sent", 0, "abc", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, p := scriptedPool(t, 0, steps(session(true), mlstDir("site", "AA"),
				typeA, mlsd("site", mlsxFile("a.bin", tc.size)),
				typeI,
				retr("site/a.bin", []byte(tc.sent)),
				quit,
			)...)
			local := t.TempDir()
			res, err := mirror.Download(t.Context(), p, "site", local, nil)
			if !errors.Is(err, ftp.ErrSizeMismatch) || errors.Is(err, ftp.ErrShortTransfer) != tc.short {
				t.Errorf("Download = %v; want ErrSizeMismatch (short: %t)", err, tc.short)
			}
			if res.Files != 0 || res.Failed != 1 {
				t.Errorf("result %+v, want one failure", res)
			}
			if _, err := os.Stat(filepath.Join(local, "a.bin")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a.bin was installed: %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(local, ".a.bin.goftp-part")); err != nil || string(b) != tc.sent {
				t.Errorf("partial file %q, %v; want %q kept", b, err, tc.sent)
			}
		})
	}
}

// TestFetchOneConnection is issue 12 item 13: Fetch without a listed size
// asks SIZE and sends RETR on the same connection (the script serves one
// connection only), and verifies the size.
func TestFetchOneConnection(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, steps(session(false),
		typeI,
		scripted.Step{Cmd: "SIZE f.bin", Reply: "213 10"},
		retr("f.bin", []byte("0123456")),
		quit,
	)...)
	// Room for more connections: RETR must still use SIZE's.
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, User: "user", Password: "secret", MaxConns: 4})
	t.Cleanup(func() { p.Close() })
	root := openRoot(t)
	_, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", mirror.FetchOptions{})
	if !errors.Is(err, ftp.ErrShortTransfer) {
		t.Errorf("Fetch = %v, want ErrShortTransfer (SIZE said 10, 7 came)", err)
	}
	if _, err := root.Stat("f.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("f.bin installed: %v", err)
	}
}

// TestFetchLoginRefused: a refused login is returned at once; nothing is
// sent twice, no second connection (the script serves one).
func TestFetchLoginRefused(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0,
		scripted.Step{Reply: "220 scripted"},
		scripted.Step{Cmd: "USER user", Reply: "331 password please"},
		scripted.Step{Cmd: "PASS secret", Reply: "530 Login incorrect."},
	)
	root := openRoot(t)
	start := time.Now()
	for _, opts := range []mirror.FetchOptions{{}, {Size: 5}} {
		_, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", opts)
		if !errors.Is(err, ftp.ErrLoginRefused) {
			t.Errorf("Fetch(%+v) = %v, want ErrLoginRefused", opts, err)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v: retried?", d)
	}
	if _, err := root.Stat(".f.bin.goftp-part"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file left: %v", err)
	}
}

// TestFetchNoResumeWithoutSize: SIZE refused and no listed size: the
// partial file is not resumed (a server ignoring REST could not be
// detected); the download starts over.
func TestFetchNoResumeWithoutSize(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(false),
		typeI,
		scripted.Step{Cmd: "SIZE f.bin", Reply: "502 SIZE not implemented"},
		retr("f.bin", []byte("whole file")),
		quit,
	)...)
	root := openRoot(t)
	if err := root.WriteFile(".f.bin.goftp-part", []byte("OLD"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", mirror.FetchOptions{Resume: true})
	if err != nil || n != 10 {
		t.Fatalf("Fetch = %d, %v", n, err)
	}
	if b, _ := root.ReadFile("f.bin"); string(b) != "whole file" {
		t.Errorf("f.bin = %q", b)
	}
}

// TestFetchStalePartial: a partial file left by a download of another
// version of the file (its time is not the listed one) is not resumed.
func TestFetchStalePartial(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(false),
		typeI,
		retr("f.bin", []byte("new version")),
		quit,
	)...)
	root := openRoot(t)
	root.WriteFile(".f.bin.goftp-part", []byte("old"), 0o644)
	old := mtime.Add(-48 * time.Hour)
	root.Chtimes(".f.bin.goftp-part", old, old)
	_, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", mirror.FetchOptions{Resume: true, Size: 11, ModTime: mtime})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := root.ReadFile("f.bin"); string(b) != "new version" {
		t.Errorf("f.bin = %q", b)
	}
}

// TestNoRetryWhenNegative: PoolConfig.Retries -1, the one retry budget of
// downloads and uploads alike, means one attempt: a transient
// 426 is returned, not retried (the script has no second attempt).
func TestNoRetryWhenNegative(t *testing.T) {
	t.Parallel()
	t.Run("download", func(t *testing.T) {
		t.Parallel()
		_, p := scriptedPool(t, -1, steps(session(true), mlstDir("site", "AA"),
			typeA, mlsd("site", mlsxFile("a.bin", 10)),
			typeI,
			scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			scripted.Step{Cmd: "RETR site/a.bin", Reply: "150 here it comes", Data: []byte("01234")},
			scripted.Step{Reply: "426 Connection closed; transfer aborted"},
			quit,
		)...)
		_, err := mirror.Download(t.Context(), p, "site", t.TempDir(), nil)
		var re *ftp.ReplyError
		if !errors.As(err, &re) || re.Code != 426 {
			t.Errorf("Download = %v, want the 426", err)
		}
	})
	t.Run("upload", func(t *testing.T) {
		t.Parallel()
		_, p := scriptedPool(t, -1, steps(session(false),
			typeI,
			scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			scripted.Step{Cmd: "STOR .up.bin.goftp-part", Reply: "150 go ahead", Recv: true},
			scripted.Step{Reply: "426 Connection closed; transfer aborted"},
			quit,
		)...)
		root := openRoot(t)
		root.WriteFile("up.bin", []byte("0123456789"), 0o644)
		_, err := mirror.Send(t.Context(), p, root, "up.bin", "up.bin", mirror.SendOptions{})
		var re *ftp.ReplyError
		if !errors.As(err, &re) || re.Code != 426 {
			t.Errorf("Send = %v, want the 426", err)
		}
	})
}

// TestListingCycle is issue 12 item 10: a server whose tree loops (top
// holds b, b holds a directory with top's unique fact) is walked to the
// loop and no further: a clear ErrCycle after two listings.
func TestListingCycle(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(true), mlstDir("top", "AA"),
		typeA, mlsd("top", "type=cdir;unique=AA; .", "type=dir;unique=BB; b"),
		mlsd("top/b", "type=cdir;unique=BB; .", "type=dir;unique=AA; again"),
		quit,
	)...)
	local := t.TempDir()
	var rec recorder
	res, err := mirror.Download(t.Context(), p, "top", local, &mirror.Options{Parallel: 1, Report: rec.report})
	if !errors.Is(err, ftp.ErrCycle) {
		t.Errorf("Download = %v, want ErrCycle", err)
	}
	if res.Failed != 1 || res.Dirs != 1 {
		t.Errorf("result %+v, want b and one failure", res)
	}
	if _, err := os.Stat(filepath.Join(local, "b", "again")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the looping directory was created: %v", err)
	}
	if got := snapshot(t, local); !maps(got, "./", "b/") {
		t.Errorf("local tree %v", got)
	}
}

// TestListingTooDeep: a tree that nests forever without unique facts
// stops at Options.MaxDepth, and at DefaultMaxDepth (64) by default:
// depth+1 listings, then ErrTooDeep.
func TestListingTooDeep(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{3, 0} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			t.Parallel()
			levels := depth
			if levels == 0 {
				levels = mirror.DefaultMaxDepth
			}
			s := steps(session(true), mlstDir("top", "AA"), typeA)
			dir := "top"
			for range levels + 1 {
				s = append(s, mlsd(dir, "type=dir; d")...)
				dir += "/d"
			}
			s = append(s, quit)
			_, p := scriptedPool(t, 0, s...)
			local := t.TempDir()
			start := time.Now()
			_, err := mirror.Download(t.Context(), p, "top", local, &mirror.Options{MaxDepth: depth})
			if !errors.Is(err, ftp.ErrTooDeep) {
				t.Errorf("Download = %v, want ErrTooDeep", err)
			}
			if _, err := os.Stat(filepath.Join(local, strings.Repeat("d/", levels))); err != nil {
				t.Errorf("level %d not synchronised: %v", levels, err)
			}
			if _, err := os.Stat(filepath.Join(local, strings.Repeat("d/", levels+1))); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("level %d created: %v", levels+1, err)
			}
			t.Logf("%d levels in %v", levels, time.Since(start))
		})
	}
}

// TestRemoveAllFailedListing: RemoveAll of a directory whose listing is
// cut short is an error, and the directory is not removed (RMD refused).
func TestRemoveAllFailedListing(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(true),
		scripted.Step{Cmd: "DELE d", Reply: "550 Is a directory"},
		typeA,
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "MLSD d", Reply: "150 listing", Data: []byte(mlsxFile("x", 1) + "\r\n")},
		scripted.Step{Reply: "426 Connection closed; transfer aborted"},
		scripted.Step{Cmd: "RMD d", Reply: "550 Directory not empty"},
		quit,
	)...)
	err := p.Do(t.Context(), func(c *ftp.Conn) error { return c.RemoveAll(t.Context(), "d") })
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 426 {
		t.Errorf("RemoveAll = %v, want the listing's 426", err)
	}
}

// TestRemoveAllCycle: RemoveAll does not recurse into a directory that
// contains itself.
func TestRemoveAllCycle(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, 0, steps(session(true),
		scripted.Step{Cmd: "DELE d", Reply: "550 Is a directory"},
		typeA, mlsd("d", "type=dir;unique=AA; e"),
		scripted.Step{Cmd: "DELE d/e", Reply: "550 Is a directory"},
		mlsd("d/e", "type=dir;unique=AA; e"),
		quit,
	)...)
	err := p.Do(t.Context(), func(c *ftp.Conn) error { return c.RemoveAll(t.Context(), "d") })
	if !errors.Is(err, ftp.ErrCycle) {
		t.Errorf("RemoveAll = %v, want ErrCycle", err)
	}
}

// TestIsPartialName checks the exported pattern.
func TestIsPartialName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		".a.goftp-part": true, "dir/.a.b.goftp-part": true, ".goftp-part": false, "a.goftp-part": false,
		".a.goftp-part.txt": false, "a": false, "": false, "..goftp-part": false,
	} {
		if got := mirror.IsPartialName(name); got != want {
			t.Errorf("IsPartialName(%q) = %t, want %t", name, got, want)
		}
	}
}

// TestUploadLocalLoop: a local symbolic link to an ancestor is not
// followed into a loop by Upload.
func TestUploadLocalLoop(t *testing.T) {
	t.Parallel()
	srv, p := newServer(t, nil)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "a"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "f.txt"), []byte("f"), 0o644)
	if err := os.Symlink("..", filepath.Join(src, "a", "up")); err != nil {
		t.Skip(err)
	}
	_, err := mirror.Upload(t.Context(), p, src, "dst", nil)
	if !errors.Is(err, ftp.ErrCycle) {
		t.Errorf("Upload = %v, want ErrCycle", err)
	}
	if b, err := srv.ReadFile("dst/a/f.txt"); err != nil || string(b) != "f" {
		t.Errorf("dst/a/f.txt: %q, %v", b, err)
	}
	if _, err := srv.ReadFile("dst/a/up/a/f.txt"); err == nil {
		t.Error("the loop was followed")
	}
}

func openRoot(t *testing.T) *os.Root {
	t.Helper()
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

// maps reports whether the snapshot m holds exactly keys.
func maps(m map[string]string, keys ...string) bool {
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	return slices.Equal(got, keys)
}

// snapshot returns every file under dir with its content, and every
// directory (with a trailing slash).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			m[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// localSite fills a fresh local directory with files a mirror --delete
// would remove if it believed the remote side empty.
func localSite(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string]string{
		"index.html":      "<h1>site</h1>\n",
		"sub/page.html":   "page\n",
		"sub/deep/x.bin":  "xxxxxxxx",
		"sub/.hidden.txt": "h\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, snapshot(t, dir)
}

func sameSnapshot(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s was deleted", what, k)
		} else if g != v {
			t.Errorf("%s: %s changed: %q, want %q", what, k, g, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

// TestManyDirectories: a tree wider than the transfer queue, walked by
// few walkers, arrives whole; a second run moves nothing. (The walkers
// hold at most Parallel listings at once.)
func TestManyDirectories(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{}
	for d := range 40 {
		for f := range 5 {
			files[fmt.Sprintf("d%02d/s/f%d.txt", d, f)] = &fstest.MapFile{Data: []byte(fmt.Sprint(d, f)), ModTime: mtime}
		}
	}
	_, p := newServer(t, files)
	dst := t.TempDir()
	res, err := mirror.Download(t.Context(), p, "", dst, &mirror.Options{Parallel: 2})
	if err != nil || res.Files != 200 || res.Dirs != 80 {
		t.Fatalf("Download: %+v, %v; want 200 files in 80 directories", res, err)
	}
	checkTree(t, dst, files)
	res, err = mirror.Download(t.Context(), p, "", dst, &mirror.Options{Parallel: 2, Delete: true})
	if err != nil || res.Files != 0 || res.UpToDate != 200 || res.Deleted != 0 {
		t.Errorf("second run: %+v, %v", res, err)
	}
}

// TestUploadNoRetry: PoolConfig.Retries -1 reaches Upload's transfers:
// one attempt.
func TestUploadNoRetry(t *testing.T) {
	t.Parallel()
	_, p := scriptedPool(t, -1, steps(session(false),
		scripted.Step{Cmd: "MKD up", Reply: "257 \"up\" created"},
		typeA,
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "LIST up", Reply: "150 listing", Data: []byte{}},
		scripted.Step{Reply: "226 done"},
		scripted.Step{Cmd: "PWD", Reply: `257 "/" is the current directory`},
		scripted.Step{Cmd: "CWD up", Reply: "250 ok"},
		scripted.Step{Cmd: "CDUP", Reply: "250 ok"},
		scripted.Step{Cmd: "PWD", Reply: `257 "/" is the current directory`},
		typeI,
		scripted.Step{Cmd: "SIZE up/.f.bin.goftp-part", Reply: "550 no such file"},
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "STOR up/.f.bin.goftp-part", Reply: "150 go ahead", Recv: true},
		scripted.Step{Reply: "426 Connection closed; transfer aborted"},
		quit,
	)...)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f.bin"), []byte("0123456789"), 0o644)
	_, err := mirror.Upload(t.Context(), p, src, "up", nil)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 426 {
		t.Errorf("Upload = %v, want the 426", err)
	}
}

// done returns the paths of the actions op that succeeded.
func (r *recorder) done(op mirror.Op) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps []string
	for _, a := range r.actions {
		if a.Op == op && a.Err == nil {
			ps = append(ps, a.Path)
		}
	}
	slices.Sort(ps)
	return ps
}

// TestFetchResumeRESTIgnored: a partial file of 100 KiB, and a server that
// answers REST with 350 but sends the file from byte 0. The bytes that
// overlap the end of the partial file (64 KiB before it) differ, so the
// download starts over from 0: the installed file is the server's,
// byte for byte (curl and lftp install a corrupt file here, exit 0).
func TestFetchResumeRESTIgnored(t *testing.T) {
	t.Parallel()
	content := make([]byte, 200000)
	for i := range content {
		content[i] = byte(i*7 + i/251)
	}
	_, p := scriptedPool(t, 0, steps(session(false),
		typeI,
		scripted.Step{Cmd: "SIZE f.bin", Reply: "213 200000"},
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "REST 36864", Reply: "350 Restarting at 36864"},
		scripted.Step{Cmd: "RETR f.bin", Reply: "150 here it comes", Data: content, DataMayFail: true},
		scripted.Step{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		scripted.Step{Cmd: "PWD", Reply: `257 "/"`},
		retr("f.bin", content),
		quit,
	)...)
	root := openRoot(t)
	if err := root.WriteFile(".f.bin.goftp-part", content[:102400], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", mirror.FetchOptions{Resume: true, Size: 200000})
	if err != nil {
		t.Fatalf("Fetch = %v", err)
	}
	if b, _ := root.ReadFile("f.bin"); !bytes.Equal(b, content) {
		t.Errorf("f.bin differs from the server's file (%d bytes)", len(b))
	}
}

// TestFetchCorruptCompletePartial: a partial file of the full size whose
// end differs from the server's (left by an older version of goftp after
// an ignored REST) is verified before being installed, found wrong, and
// replaced by a fresh download.
func TestFetchCorruptCompletePartial(t *testing.T) {
	t.Parallel()
	content := make([]byte, 100000)
	for i := range content {
		content[i] = byte(i*13 + i/241)
	}
	bad := append(append([]byte{}, content[:40000]...), content[:60000]...)
	_, p := scriptedPool(t, 0, steps(session(false),
		typeI,
		scripted.Step{Cmd: "SIZE f.bin", Reply: "213 100000"},
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "REST 34464", Reply: "350 Restarting at 34464"},
		scripted.Step{Cmd: "RETR f.bin", Reply: "150 here it comes", Data: content[34464:], DataMayFail: true},
		scripted.Step{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		scripted.Step{Cmd: "PWD", Reply: `257 "/"`},
		retr("f.bin", content),
		quit,
	)...)
	root := openRoot(t)
	if err := root.WriteFile(".f.bin.goftp-part", bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := mirror.Fetch(t.Context(), p, "f.bin", root, "f.bin", mirror.FetchOptions{Resume: true, Size: 100000}); err != nil {
		t.Fatalf("Fetch = %v", err)
	}
	if b, _ := root.ReadFile("f.bin"); !bytes.Equal(b, content) {
		t.Errorf("f.bin differs from the server's file")
	}
}
