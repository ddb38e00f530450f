//go:build linux

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
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/mirror"
)

// These tests run the mirror against the real servers (vsftpd, ProFTPD,
// Pure-FTPd, pyftpdlib) started on loopback by internal/ftpservers. Each
// server is skipped when not installed, unless FTP_INTEROP=required.

// realServer starts a server of kind k for the test and returns it with a
// Pool logged in as its write user.
func realServer(t *testing.T, k ftpservers.Kind) (*ftpservers.Server, *ftp.Pool) {
	t.Helper()
	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: k})
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{
		Dialer: ftp.Dialer{Timeout: 30 * time.Second, ListHidden: true},
		User:   srv.User, Password: srv.Password, MaxConns: 2,
	})
	t.Cleanup(func() { p.Close() })
	return srv, p
}

// TestRealServers runs the reliability cases of issue 12 that real
// servers produce, on each server.
func TestRealServers(t *testing.T) {
	t.Parallel()
	for _, k := range ftpservers.Kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			srv, p := realServer(t, k)
			t.Run("MissingTopDir", func(t *testing.T) { testMissingTopDir(t, srv, p) })
			t.Run("UnreadableSubdir", func(t *testing.T) { testUnreadableSubdir(t, srv, p) })
			t.Run("PartialNameCollision", func(t *testing.T) { testPartialNameCollision(t, srv, p) })
			t.Run("SymlinkLoop", func(t *testing.T) { testSymlinkLoop(t, srv, p) })
			t.Run("EmptyFile", func(t *testing.T) { testEmptyFile(t, srv, p) })
		})
	}
}

// testMissingTopDir is issue 12 item 1: vsftpd lists a missing directory
// as an empty one ("150", then "226 Transfer done (but failed to open
// directory)"). A mirror --delete of a mistyped directory must fail with
// fs.ErrNotExist and leave every local file.
func testMissingTopDir(t *testing.T, srv *ftpservers.Server, p *ftp.Pool) {
	for _, remote := range []string{"typo-dir/", "typo-dir", "/typo-dir/", "pub/typo-dir"} {
		local, before := localSite(t)
		var rec recorder
		res, err := mirror.Download(t.Context(), p, remote, local, &mirror.Options{Delete: true, Report: rec.report})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Download(%q) = %v, want an error matching fs.ErrNotExist", remote, err)
		}
		if res.Deleted != 0 || len(rec.paths(mirror.OpDelete)) != 0 {
			t.Errorf("Download(%q) deleted %q (%+v)", remote, rec.paths(mirror.OpDelete), res)
		}
		sameSnapshot(t, remote, snapshot(t, local), before)
	}
	// A file is not a directory either.
	if err := srv.WriteFile("afile.txt", []byte("a file\n")); err != nil {
		t.Fatal(err)
	}
	local, before := localSite(t)
	if _, err := mirror.Download(t.Context(), p, "afile.txt", local, &mirror.Options{Delete: true}); err == nil {
		t.Error("Download of a file as a directory succeeded")
	}
	sameSnapshot(t, "afile.txt", snapshot(t, local), before)
	// A missing top directory is not created locally either.
	dst := filepath.Join(t.TempDir(), "new")
	if _, err := mirror.Download(t.Context(), p, "typo-dir", dst, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Download(typo-dir) into a new directory = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the local directory was created: %v", err)
	}
}

// testUnreadableSubdir: a subdirectory the server cannot read (mode
// 0311: it can be entered, not listed) is listed by vsftpd as an empty
// directory. Its local copy must survive a mirror --delete, which
// reports the failed listing.
func testUnreadableSubdir(t *testing.T, srv *ftpservers.Server, p *ftp.Pool) {
	if srv.UID == 0 {
		t.Skipf("%s runs as root: file modes do not stop it", srv.Kind)
	}
	must(t, srv.WriteFile("site/index.html", []byte("<h1>site</h1>\n")))
	must(t, srv.WriteFile("site/sub/page.html", []byte("page\n")))
	sub := filepath.Join(srv.Dir, "site", "sub")
	must(t, os.Chmod(sub, 0o311))
	t.Cleanup(func() { os.Chmod(sub, 0o755) })
	local, before := localSite(t)
	var rec recorder
	res, err := mirror.Download(t.Context(), p, "site", local, &mirror.Options{Delete: true, Report: rec.report})
	t.Logf("Download: %+v, %v", res, err)
	if err == nil {
		t.Error("Download succeeded although site/sub could not be listed")
	}
	if got := rec.paths(mirror.OpDelete); len(got) != 0 {
		t.Errorf("deleted %q on the strength of an unreadable listing", got)
	}
	sameSnapshot(t, "unreadable sub", snapshot(t, local), before)
}

// testPartialNameCollision is issue 12 item 4: a server directory
// holding "a" and ".a.goftp-part" (what an interrupted mirror -R leaves)
// must not make the mirror take the server's partial file for its own
// and resume "a" from it.
func testPartialNameCollision(t *testing.T, srv *ftpservers.Server, p *ftp.Pool) {
	ctx := t.Context()
	a := data(300000, 4)
	part := []byte("the start of some other upload")
	must(t, srv.MkdirAll("coll"))
	if _, err := p.StorBinary(ctx, "coll/a", bytes.NewReader(a), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.StorBinary(ctx, "coll/.a.goftp-part", bytes.NewReader(part), 0); err != nil {
		t.Fatal(err)
	}
	for _, delete := range []bool{false, true} {
		local := t.TempDir()
		var rec recorder
		_, err := mirror.Download(ctx, p, "coll", local, &mirror.Options{Delete: delete, Report: rec.report})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(local, "a"))
		if err != nil || !bytes.Equal(got, a) {
			t.Errorf("local a: %d bytes, %v; want the server's a (%d bytes), byte for byte", len(got), err, len(a))
		}
		if _, err := os.Stat(filepath.Join(local, ".a.goftp-part")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the server's partial file was downloaded: %v", err)
		}
		if got := rec.paths(mirror.OpSkip); !slices.Equal(got, []string{".a.goftp-part"}) {
			t.Errorf("skipped %q, want the server's partial file", got)
		}
		// Second run: nothing to do, and still nothing adopted.
		res, err := mirror.Download(ctx, p, "coll", local, &mirror.Options{Delete: delete})
		if err != nil || res.Files != 0 || res.UpToDate != 1 {
			t.Errorf("second run: %+v, %v; want a up to date", res, err)
		}
	}
	// The same with a local partial file of our own left over: it is
	// resumed or replaced, never mixed with the server's partial file.
	local := t.TempDir()
	must(t, os.WriteFile(filepath.Join(local, ".a.goftp-part"), a[:1000], 0o644))
	if _, err := mirror.Download(ctx, p, "coll", local, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(local, "a")); !bytes.Equal(got, a) {
		t.Errorf("local a after resuming our own partial file: %d bytes, not the server's a", len(got))
	}
}

// testSymlinkLoop is issue 12 item 10 as real servers produce it: a
// directory holding a symbolic link to itself. vsftpd lists the link as
// a link (skipped); ProFTPD, Pure-FTPd and pyftpdlib list it as a
// directory, whose MLSD unique fact (or, failing that, the depth bound)
// stops the walk.
func testSymlinkLoop(t *testing.T, srv *ftpservers.Server, p *ftp.Pool) {
	must(t, srv.WriteFile("loop/file.txt", []byte("f\n")))
	link := filepath.Join(srv.Dir, "loop", "self")
	must(t, os.Symlink(".", link))
	os.Lchown(link, srv.UID, srv.GID)
	local := t.TempDir()
	var rec recorder
	start := time.Now()
	res, err := mirror.Download(t.Context(), p, "loop", local, &mirror.Options{Report: rec.report, MaxDepth: 8})
	t.Logf("%s: %+v, %v in %v; skipped %q", srv.Kind, res, err, time.Since(start), rec.paths(mirror.OpSkip))
	if err != nil && !errors.Is(err, ftp.ErrCycle) && !errors.Is(err, ftp.ErrTooDeep) {
		t.Errorf("Download = %v, want nil, ErrCycle or ErrTooDeep", err)
	}
	if b, err := os.ReadFile(filepath.Join(local, "file.txt")); err != nil || string(b) != "f\n" {
		t.Errorf("file.txt: %q, %v", b, err)
	}
	depth := 0
	filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(local, p); rel != "." {
			depth = max(depth, strings.Count(filepath.ToSlash(rel), "/")+1)
		}
		return nil
	})
	if depth > 9 {
		t.Errorf("the mirror went %d levels deep", depth)
	}
}

// testEmptyFile: a 0-byte file is fetched (and so verified to exist) and
// installed empty; a later run finds it up to date.
func testEmptyFile(t *testing.T, srv *ftpservers.Server, p *ftp.Pool) {
	must(t, srv.WriteFile("empty/zero", nil))
	must(t, srv.WriteFile("empty/one", []byte("1")))
	local := t.TempDir()
	res, err := mirror.Download(t.Context(), p, "empty", local, nil)
	if err != nil || res.Files != 2 {
		t.Fatalf("Download: %+v, %v; want 2 files", res, err)
	}
	if fi, err := os.Stat(filepath.Join(local, "zero")); err != nil || fi.Size() != 0 {
		t.Errorf("zero: %v, %v", fi, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestHiddenFilesKeptWithoutListHidden: with plain LIST (no -a, no MLSD:
// vsftpd, and Pure-FTPd's LIST), dot files are missing from the listing.
// mirror --delete must not take that for their absence: a local .htaccess
// that the server holds is kept, one the server lacks is deleted.
func TestHiddenFilesKeptWithoutListHidden(t *testing.T) {
	t.Parallel()
	for _, k := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.PureFTPd} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			srv, _ := realServer(t, k)
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{
				Dialer: ftp.Dialer{Timeout: 30 * time.Second},
				User:   srv.User, Password: srv.Password, MaxConns: 2,
			})
			defer p.Close()
			top := "hidden-" + strings.ReplaceAll(t.Name(), "/", "-")
			for name, content := range map[string]string{"a.txt": "a", ".htaccess": "deny", ".cfg/x": "x"} {
				if err := srv.WriteFile(top+"/"+name, []byte(content)); err != nil {
					t.Fatal(err)
				}
			}
			local := t.TempDir()
			for name, content := range map[string]string{".htaccess": "deny", ".stale": "old", ".cfg/x": "x"} {
				os.MkdirAll(filepath.Dir(filepath.Join(local, name)), 0o755)
				if err := os.WriteFile(filepath.Join(local, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := mirror.Download(t.Context(), p, top, local, &mirror.Options{Delete: true})
			if err == nil {
				t.Log("no error reported")
			}
			for _, keep := range []string{".htaccess", ".cfg/x", "a.txt"} {
				if _, err := os.Stat(filepath.Join(local, keep)); err != nil {
					t.Errorf("%s: %v; a file the server holds was deleted or not fetched", keep, err)
				}
			}
			if _, err := os.Stat(filepath.Join(local, ".stale")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf(".stale: %v; want it deleted (the server confirms it absent)", err)
			}
		})
	}
}

// TestTwoSessionServer: mirror with 4 transfers at once against a vsftpd
// that takes 2 sessions (as a server with max_per_ip 2 does), each file
// taking longer than the Pool's WaitTimeout. The server's 421 lowers the
// Pool's limit to 2 and the mirror follows it: the other transfers wait
// for one of theirs to end, not in Pool.Get, whose bounded wait used to
// fail them ("no free connection in the pool"). Both ways: every file
// arrives, byte-exact, nothing failed.
func TestTwoSessionServer(t *testing.T) {
	t.Parallel()
	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 2})
	px, err := faultproxy.Start(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	px.SlowData(1 << 20) // a file of 3 MiB (above BatchMax) takes 3 s
	pool := func() *ftp.Pool {
		return ftp.NewPool(px.Addr, ftp.PoolConfig{
			Dialer: ftp.Dialer{Timeout: 10 * time.Second},
			User:   srv.User, Password: srv.Password, MaxConns: 4,
			WaitTimeout: 1500 * time.Millisecond,
		})
	}
	files := map[string][]byte{}
	for i := range 4 {
		files[fmt.Sprintf("f%d.bin", i)] = bytes.Repeat([]byte{byte('a' + i)}, 3<<20+i)
	}
	t.Run("download", func(t *testing.T) {
		for name, b := range files {
			if err := srv.WriteFile("two/"+name, b); err != nil {
				t.Fatal(err)
			}
		}
		p := pool()
		defer p.Close()
		local := t.TempDir()
		res, err := mirror.Download(t.Context(), p, "two", local, &mirror.Options{Parallel: 4})
		if err != nil || res.Failed != 0 {
			t.Fatalf("Download = %+v, %v", res, err)
		}
		for name, b := range files {
			if got, err := os.ReadFile(filepath.Join(local, name)); err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: %v, identical %v", name, err, bytes.Equal(got, b))
			}
		}
		if l := p.Limit(); l != 2 {
			t.Errorf("Limit() = %d, want 2 (the server's 421 seen)", l)
		}
	})
	t.Run("upload", func(t *testing.T) {
		local := t.TempDir()
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(local, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p := pool()
		defer p.Close()
		res, err := mirror.Upload(t.Context(), p, local, "two-up", &mirror.Options{Parallel: 4})
		if err != nil || res.Failed != 0 {
			t.Fatalf("Upload = %+v, %v", res, err)
		}
		for name, b := range files {
			if got, err := os.ReadFile(filepath.Join(srv.Dir, "two-up", name)); err != nil || !bytes.Equal(got, b) {
				t.Errorf("%s: %v, identical %v", name, err, bytes.Equal(got, b))
			}
		}
	})
}
