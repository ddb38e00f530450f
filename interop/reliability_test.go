//go:build linux

package interop_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/listing"
)

// TestMissingDirectoryIsAnError: a directory that does not exist is an
// error matching fs.ErrNotExist in ReadDir, ReadDirSeq, Stat and Walk, on
// every server and with and without "LIST -a" — never an empty listing
// (vsftpd answers LIST of a missing directory with 150 and "226 Transfer
// done (but failed to open directory)"). An empty directory that exists
// is an empty listing, and a directory the server cannot read is an
// error or its real contents, never a quiet empty list.
func TestMissingDirectoryIsAnError(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			top := fmt.Sprintf("missing-%d", time.Now().UnixNano())
			if err := srv.MkdirAll(top + "/empty"); err != nil {
				t.Fatal(err)
			}
			if err := srv.WriteFile(top+"/locked/inside.txt", []byte("x")); err != nil {
				t.Fatal(err)
			}
			locked := filepath.Join(srv.Dir, top, "locked")
			if err := os.Chmod(locked, 0o111); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(locked, 0o755) })
			for _, hidden := range []bool{false, true} {
				d := dialer(srv, dataModes[0])
				d.ListHidden = hidden
				c, err := d.Dial(t.Context(), srv.Addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
					t.Fatal(err)
				}
				ctx := t.Context()
				wd, _ := c.Pwd(ctx)
				for _, dir := range []string{top + "/typo-dir", top + "/typo-dir/", top + "/empty/typo"} {
					entries, err := c.ReadDir(ctx, dir)
					if !errors.Is(err, fs.ErrNotExist) || len(entries) != 0 {
						t.Errorf("hidden=%v: ReadDir(%q) = %d entries, %v; want fs.ErrNotExist", hidden, dir, len(entries), err)
					}
					var last error
					n := 0
					for _, err := range c.ReadDirSeq(ctx, dir) {
						n++
						last = err
					}
					if !errors.Is(last, fs.ErrNotExist) {
						t.Errorf("hidden=%v: ReadDirSeq(%q) ended with %v after %d items; want fs.ErrNotExist", hidden, dir, last, n)
					}
					if _, err := c.Stat(ctx, dir); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("hidden=%v: Stat(%q) = %v; want fs.ErrNotExist", hidden, dir, err)
					}
					walked := 0
					werr := c.Walk(ctx, dir, func(p string, e listing.Entry, err error) error {
						walked++
						return err
					})
					if !errors.Is(werr, fs.ErrNotExist) {
						t.Errorf("hidden=%v: Walk(%q) = %v; want fs.ErrNotExist", hidden, dir, werr)
					}
				}
				entries, err := c.ReadDir(ctx, top+"/empty")
				if err != nil || len(entries) != 0 {
					t.Errorf("hidden=%v: ReadDir(empty) = %v, %v; want no entries and no error", hidden, entries, err)
				}
				entries, err = c.ReadDir(ctx, top+"/locked")
				if err == nil && (len(entries) != 1 || entries[0].Name != "inside.txt") {
					t.Errorf("hidden=%v: ReadDir(unreadable) = %v with no error: an unreadable directory listed as empty", hidden, entries)
				}
				if got, _ := c.Pwd(ctx); got != wd {
					t.Errorf("hidden=%v: working directory %q after the checks, want %q", hidden, got, wd)
				}
			}
		})
	}
}

// TestResumedDownloadIsVerified resumes real downloads from an offset on
// every server: the bytes after the offset are exactly the file's, and a
// resume past the end of the file is refused before anything is written.
func TestResumedDownloadIsVerified(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			name := fmt.Sprintf("resume-%d.bin", time.Now().UnixNano())
			content := data(300001)
			if err := srv.WriteFile(name, content); err != nil {
				t.Fatal(err)
			}
			c := connect(t, srv, dataModes[0])
			ctx := t.Context()
			var buf bytes.Buffer
			n, err := c.RetrBinary(ctx, name, &buf, 123456)
			if err != nil || n != int64(len(content)-123456) || !bytes.Equal(buf.Bytes(), content[123456:]) {
				t.Errorf("RetrBinary from 123456 = %d, %v; identical %v", n, err, bytes.Equal(buf.Bytes(), content[123456:]))
			}
			buf.Reset()
			if _, err := c.RetrBinary(ctx, name, &buf, int64(len(content))+10); !errors.Is(err, fs.ErrInvalid) || buf.Len() != 0 {
				t.Errorf("RetrBinary past the end = %v with %d bytes; want fs.ErrInvalid and nothing", err, buf.Len())
			}
			if _, err := c.RetrBinary(ctx, "no-such-"+name, io.Discard, 10); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("RetrBinary(missing, offset 10) = %v; want fs.ErrNotExist", err)
			}
			if _, err := c.Noop(ctx); err != nil {
				t.Errorf("Conn unusable after the refusals: %v", err)
			}
		})
	}
}

// TestWrongPasswordIsFinal: a refused login matches ErrLoginRefused, and a
// Pool remembers it: later calls fail at once without logging in again.
func TestWrongPasswordIsFinal(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: "wrong-" + srv.Password})
			defer p.Close()
			start := time.Now()
			_, err := p.RetrBinary(t.Context(), "x", io.Discard, 0)
			if !errors.Is(err, ftp.ErrLoginRefused) {
				t.Fatalf("RetrBinary with a wrong password = %v; want ErrLoginRefused", err)
			}
			if bytes.Contains([]byte(err.Error()), []byte("wrong-"+srv.Password)) {
				t.Errorf("the error shows the password: %v", err)
			}
			_, err2 := p.Get(t.Context())
			if !errors.Is(err2, ftp.ErrLoginRefused) {
				t.Errorf("second Get = %v; want the remembered ErrLoginRefused", err2)
			}
			// Some servers delay a failed login (vsftpd, Pure-FTPd: about a
			// second); a second login attempt would double it.
			if el := time.Since(start); el > 8*time.Second {
				t.Errorf("refused login took %v", el)
			}
		})
	}
}

// TestFSMissingDirectory: through ftpfs (io/fs), a missing directory is
// fs.ErrNotExist from fs.ReadDir and fs.WalkDir, on every server.
func TestFSMissingDirectory(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			top := fmt.Sprintf("fsmissing-%d", time.Now().UnixNano())
			if err := srv.WriteFile(top+"/a.txt", []byte("a")); err != nil {
				t.Fatal(err)
			}
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: srv.Password, MaxConns: 2})
			defer p.Close()
			fsys := ftpfs.New(p, top)
			if des, err := fs.ReadDir(fsys, "typo-dir"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("fs.ReadDir(typo-dir) = %v, %v; want fs.ErrNotExist", des, err)
			}
			werr := fs.WalkDir(fsys, "typo-dir", func(p string, d fs.DirEntry, err error) error { return err })
			if !errors.Is(werr, fs.ErrNotExist) {
				t.Errorf("fs.WalkDir(typo-dir) = %v; want fs.ErrNotExist", werr)
			}
			if des, err := fs.ReadDir(fsys, "."); err != nil || len(des) != 1 {
				t.Errorf("fs.ReadDir(.) = %v, %v; want a.txt", des, err)
			}
		})
	}
}
