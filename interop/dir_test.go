//go:build linux

package interop_test

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/listing"
)

// TestReadDirStatWalk lists a known tree with ReadDir, Stat and Walk on
// every server: MLSD where advertised, LIST (parsed) otherwise.
func TestReadDirStatWalk(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			top := fmt.Sprintf("walk-%d", time.Now().UnixNano())
			files := map[string]int{
				top + "/b.txt":                 3,
				top + "/name with space.txt":   5,
				top + "/sub/c.bin":             1000,
				top + "/sub/deeper/ünïcode.md": 7,
				top + "/.hidden":               1,
			}
			for name, n := range files {
				if err := srv.WriteFile(name, data(n)); err != nil {
					t.Fatal(err)
				}
			}
			if err := srv.MkdirAll(top + "/empty"); err != nil {
				t.Fatal(err)
			}
			mtime := time.Date(2023, 5, 6, 7, 8, 0, 0, time.UTC)
			if err := chtimes(filepath.Join(srv.Dir, top, "b.txt"), mtime); err != nil {
				t.Fatal(err)
			}
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
				entries, err := c.ReadDir(t.Context(), top)
				if err != nil {
					t.Fatalf("ReadDir: %v", err)
				}
				got := map[string]listing.Entry{}
				for _, e := range entries {
					got[e.Name] = e
				}
				// LIST shows only the day for old files: compare at the
				// listing's precision.
				if e := got["b.txt"]; e.Type != listing.File || e.Size != 3 || e.Precision <= 0 || !e.Time.Equal(mtime.Truncate(e.Precision)) {
					t.Errorf("ReadDir b.txt = %v (precision %v), want file of 3 bytes at %v", e.String(), e.Precision, mtime)
				}
				if e := got["name with space.txt"]; e.Size != 5 {
					t.Errorf("ReadDir %q = %v", "name with space.txt", e.String())
				}
				if e := got["sub"]; e.Type != listing.Dir {
					t.Errorf("ReadDir sub = %v", e.String())
				}
				if _, ok := got["."]; ok {
					t.Error("ReadDir returned .")
				}
				_, hasHidden := got[".hidden"]
				if mlsd := srv.Caps.MLSD.Supported; (hidden || mlsd) && !hasHidden {
					t.Errorf("ReadDir (hidden %v, MLSD %v) lacks .hidden: %v", hidden, mlsd, entries)
				}

				e, err := c.Stat(t.Context(), top+"/sub/c.bin")
				if err != nil || e.Size != 1000 || e.Name != "c.bin" || e.Type != listing.File {
					t.Errorf("Stat = %v, %v", e.String(), err)
				}
				if _, err := c.Stat(t.Context(), top+"/missing"); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Stat(missing) = %v, want fs.ErrNotExist", err)
				}

				var walked []string
				err = c.Walk(t.Context(), top, func(p string, e listing.Entry, err error) error {
					if err != nil {
						return err
					}
					if e.Type == listing.File {
						walked = append(walked, fmt.Sprintf("%s:%d", strings.TrimPrefix(p, top+"/"), e.Size))
					}
					if e.Name == "deeper" {
						return fs.SkipDir
					}
					return nil
				})
				if err != nil {
					t.Fatalf("Walk: %v", err)
				}
				sort.Strings(walked)
				want := []string{"b.txt:3", "name with space.txt:5", "sub/c.bin:1000"}
				if hasHidden {
					want = append([]string{".hidden:1"}, want...)
				}
				if strings.Join(walked, " ") != strings.Join(want, " ") {
					t.Errorf("Walk files = %q, want %q", walked, want)
				}
			}
		})
	}
}

// TestListingLarge lists a directory of 4000 files (about 300 KiB of
// LIST output, far more than a socket buffer) on every server, plain and
// explicit TLS: every name comes back, once. On vsftpd the client closes
// its side of a plain listing's data connection at once (vsftpd sends its
// 226 only after the client's close, and reads nothing before), which must
// not cut the listing short.
func TestListingLarge(t *testing.T) {
	t.Parallel()
	const n = 4000
	for _, kind := range ftpservers.Kinds {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				top := fmt.Sprintf("large-%d", time.Now().UnixNano())
				for i := range n {
					if err := srv.WriteFile(fmt.Sprintf("%s/file-with-a-long-name-%05d.dat", top, i), nil); err != nil {
						t.Fatal(err)
					}
				}
				c, err := dialer(srv, dataModes[0]).Dial(t.Context(), srv.Addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
					t.Fatal(err)
				}
				for range 2 {
					entries, err := c.ReadDir(t.Context(), top)
					if err != nil {
						t.Fatalf("ReadDir: %v", err)
					}
					seen := map[string]bool{}
					for _, e := range entries {
						seen[e.Name] = true
					}
					if len(entries) != n || len(seen) != n || !seen["file-with-a-long-name-00000.dat"] || !seen[fmt.Sprintf("file-with-a-long-name-%05d.dat", n-1)] {
						t.Fatalf("ReadDir: %d entries, %d names, want %d", len(entries), len(seen), n)
					}
				}
			})
		}
	}
}
