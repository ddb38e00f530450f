package ftpfs_test

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/ftptest"
)

var tree = fstest.MapFS{
	"a.txt":              {Data: []byte("hello"), ModTime: time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)},
	"dir/b.txt":          {Data: []byte("bbb")},
	"dir/sub/c.bin":      {Data: bytes.Repeat([]byte{7}, 5000)},
	"dir/name space.txt": {Data: []byte("spaced")},
	"tmpl/page.html":     {Data: []byte("<p>{{.}}</p>")},
}

func newFS(t *testing.T) (*ftpfs.FS, *ftptest.Server) {
	srv := ftptest.New(t, ftptest.Options{Files: tree})
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{
		Dialer: ftp.Dialer{Timeout: 5 * time.Second},
		User:   ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 4,
	})
	t.Cleanup(func() { p.Close() })
	return ftpfs.New(p, "/"), srv
}

func TestFSTestFS(t *testing.T) {
	t.Parallel()
	fsys, _ := newFS(t)
	if err := fstest.TestFS(fsys, "a.txt", "dir/b.txt", "dir/sub/c.bin", "dir/name space.txt"); err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(fsys, "dir")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "b.txt", "sub/c.bin"); err != nil {
		t.Fatal(err)
	}
}

func TestStdlibOnFTP(t *testing.T) {
	t.Parallel()
	fsys, _ := newFS(t)
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || strings.Join(files, ",") != "a.txt,dir/b.txt,dir/name space.txt,dir/sub/c.bin,tmpl/page.html" {
		t.Errorf("WalkDir = %q, %v", files, err)
	}
	matches, err := fs.Glob(fsys, "dir/*.txt")
	if err != nil || len(matches) != 2 {
		t.Errorf("Glob = %q, %v", matches, err)
	}
	tpl, err := template.ParseFS(fsys, "tmpl/*.html")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := tpl.ExecuteTemplate(&out, "page.html", "x"); err != nil || out.String() != "<p>x</p>" {
		t.Errorf("template = %q, %v", out.String(), err)
	}
	hs := httptest.NewServer(http.FileServerFS(fsys))
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/dir/b.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "bbb" {
		t.Errorf("http.FS served %q", b)
	}
	if _, err := fsys.Stat("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(missing) = %v", err)
	}
	if _, err := fsys.Open("../x"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Open(../x) = %v", err)
	}
}
