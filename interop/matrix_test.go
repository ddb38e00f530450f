//go:build linux

package interop_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/listing"
)

// dataMode is how data connections are made.
type dataMode struct {
	name        string
	active      bool
	disableEPSV bool
}

var dataModes = []dataMode{
	{"EPSV", false, false},
	{"PASV", false, true},
	{"EPRT", true, false},
	{"PORT", true, true},
}

var tlsModes = []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit, ftpservers.TLSImplicit}

func bigSize() int {
	if s := os.Getenv("FTP_INTEROP_BIG"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 64 << 20
}

var (
	payloadOnce sync.Once
	payload     []byte
)

// data returns n pseudo-random bytes (the same on every call).
func data(n int) []byte {
	payloadOnce.Do(func() {
		payload = make([]byte, max(bigSize(), 1<<20))
		r := rand.New(rand.NewChaCha8([32]byte{1, 2, 3}))
		for i := 0; i+8 <= len(payload); i += 8 {
			v := r.Uint64()
			for j := range 8 {
				payload[i+j] = byte(v >> (8 * j))
			}
		}
	})
	return payload[:n]
}

// dialer returns the client configuration for a server and data mode.
func dialer(srv *ftpservers.Server, dm dataMode) *ftp.Dialer {
	d := &ftp.Dialer{
		Timeout:     30 * time.Second,
		Active:      dm.active,
		DisableEPSV: dm.disableEPSV,
	}
	if srv.Config.TLS != ftpservers.TLSNone {
		d.TLS = &tls.Config{RootCAs: srv.CertPool}
		d.ImplicitTLS = srv.Config.TLS == ftpservers.TLSImplicit
	}
	return d
}

// connect dials and logs in as the server's write user.
func connect(t *testing.T, srv *ftpservers.Server, dm dataMode) *ftp.Conn {
	t.Helper()
	ctx := t.Context()
	c, err := dialer(srv, dm).Dial(ctx, srv.Addr)
	if err != nil {
		t.Fatalf("Dial %s: %v\n%s", srv.Addr, err, srv.Logs())
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, srv.User, srv.Password); err != nil {
		t.Fatalf("Login: %v\n%s", err, srv.Logs())
	}
	return c
}

// connectLogged dials with d and logs in as the write user, recording the
// dialogue at level in the returned buffer.
func connectLogged(t *testing.T, srv *ftpservers.Server, d *ftp.Dialer, level slog.Level) (*ftp.Conn, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	d.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
	c, err := d.Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatalf("Dial %s: %v", srv.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c, logs
}

// TestMatrix runs every operation against every server in every mode:
// server × {plain, explicit TLS, implicit TLS} × {IPv4, IPv6} × {EPSV,
// PASV, EPRT, PORT}.
func TestMatrix(t *testing.T) {
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			for _, tm := range tlsModes {
				for _, v6 := range []bool{false, true} {
					ip := "ipv4"
					if v6 {
						ip = "ipv6"
					}
					t.Run(tm.String()+"/"+ip, func(t *testing.T) {
						cfg := ftpservers.Config{Kind: kind, TLS: tm, IPv6: v6}
						srv, reason := server(t, cfg)
						if srv == nil {
							for _, dm := range dataModes {
								record(cfg, dm, "skip", reason)
							}
							t.Skip(reason)
						}
						for _, dm := range dataModes {
							t.Run(dm.name, func(t *testing.T) {
								if v6 && dm.disableEPSV {
									reason := "PASV and PORT carry IPv4 addresses only (RFC 2428 section 1); IPv6 uses EPSV and EPRT"
									record(cfg, dm, "skip", reason)
									t.Skip(reason)
								}
								res := &cellResult{}
								t.Cleanup(func() {
									status := "pass"
									switch {
									case t.Failed():
										status = "FAIL"
									case t.Skipped():
										status = "skip"
									}
									record(cfg, dm, status, strings.Join(res.skips, "; "))
								})
								runCell(t, srv, dm, res)
							})
						}
					})
				}
			}
		})
	}
}

type cellResult struct {
	mu    sync.Mutex
	skips []string
}

func (r *cellResult) skip(t *testing.T, what, reason string) {
	r.mu.Lock()
	r.skips = append(r.skips, what+": "+reason)
	r.mu.Unlock()
	t.Skip(reason)
}

func hashOf(b []byte) [32]byte { return sha256.Sum256(b) }

// runCell performs every operation on one server in one mode.
func runCell(t *testing.T, srv *ftpservers.Server, dm dataMode, res *cellResult) {
	ctx := t.Context()
	c := connect(t, srv, dm)
	caps := srv.Caps

	root, err := c.Pwd(ctx)
	if err != nil {
		t.Fatalf("Pwd: %v", err)
	}
	// Each cell works in its own directory.
	dir := fmt.Sprintf("cell-%s-%d", dm.name, time.Now().UnixNano())
	if _, err := c.Mkd(ctx, dir); err != nil {
		t.Fatalf("Mkd: %v", err)
	}
	if _, err := c.Cwd(ctx, dir); err != nil {
		t.Fatalf("Cwd: %v", err)
	}
	cellPath, err := c.Pwd(ctx)
	if err != nil || !strings.HasSuffix(cellPath, "/"+dir) {
		t.Fatalf("Pwd after Cwd = %q, %v; want suffix /%s", cellPath, err, dir)
	}
	local := filepath.Join(srv.Dir, dir)
	if st, err := os.Stat(local); err != nil || !st.IsDir() {
		t.Fatalf("directory %s not created on the server's disk: %v", local, err)
	}
	if _, err := c.Mkd(ctx, "sub"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cwd(ctx, "sub"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cwd(ctx, ".."); err != nil { // CDUP
		t.Fatalf("Cwd(..): %v", err)
	}
	if p, _ := c.Pwd(ctx); p != cellPath {
		t.Errorf("Pwd after CDUP = %q, want %q", p, cellPath)
	}

	t.Run("store-retrieve", func(t *testing.T) {
		for _, n := range []int{0, 1, 1 << 20, bigSize()} {
			name := fmt.Sprintf("f%d.bin", n)
			want := data(n)
			sent, err := c.StorBinary(ctx, name, bytes.NewReader(want), 0)
			if err != nil || sent != int64(n) {
				t.Fatalf("StorBinary(%d bytes) = %d, %v", n, sent, err)
			}
			onDisk, err := os.ReadFile(filepath.Join(local, name))
			if err != nil || hashOf(onDisk) != hashOf(want) {
				t.Fatalf("file on server disk differs (%d bytes, err %v), want %d bytes", len(onDisk), err, n)
			}
			h := sha256.New()
			got, err := c.RetrBinary(ctx, name, h, 0)
			if err != nil || got != int64(n) || !bytes.Equal(h.Sum(nil), sum(want)) {
				t.Fatalf("RetrBinary(%d bytes) = %d, %v (hash match %v)", n, got, err, bytes.Equal(h.Sum(nil), sum(want)))
			}
			if n > 0 {
				sz, err := c.Size(ctx, name)
				if err != nil || sz != int64(n) {
					t.Errorf("Size(%s) = %d, %v; want %d", name, sz, err, n)
				}
			}
		}
	})

	t.Run("streaming-files", func(t *testing.T) {
		// Upload from and download to real files: the zero-copy paths.
		want := data(3<<20 + 17)
		src := filepath.Join(t.TempDir(), "src")
		os.WriteFile(src, want, 0o600)
		f, _ := os.Open(src)
		defer f.Close()
		w, err := c.Stor(ctx, "stream.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(w, f); err != nil || n != int64(len(want)) {
			t.Fatalf("io.Copy to Writer = %d, %v", n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Writer.Close: %v", err)
		}
		dst, _ := os.Create(filepath.Join(t.TempDir(), "dst"))
		defer dst.Close()
		r, err := c.Retr(ctx, "stream.bin", 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := io.Copy(dst, r); err != nil || n != int64(len(want)) {
			t.Fatalf("io.Copy from Reader = %d, %v", n, err)
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Reader.Close: %v", err)
		}
		got, _ := os.ReadFile(dst.Name())
		if !bytes.Equal(got, want) {
			t.Fatalf("downloaded file differs")
		}
	})

	t.Run("append", func(t *testing.T) {
		if _, err := c.StorBinary(ctx, "app.txt", strings.NewReader("hello "), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Append(ctx, "app.txt", strings.NewReader("world")); err != nil {
			t.Fatalf("Append: %v", err)
		}
		var b bytes.Buffer
		if _, err := c.RetrBinary(ctx, "app.txt", &b, 0); err != nil || b.String() != "hello world" {
			t.Fatalf("after APPE: %q, %v", b.String(), err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		want := data(1 << 20)
		if _, err := c.StorBinary(ctx, "r.bin", bytes.NewReader(want[:300000]), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StorBinary(ctx, "r.bin", bytes.NewReader(want[300000:]), 300000); err != nil {
			t.Fatalf("StorBinary with offset: %v", err)
		}
		onDisk, _ := os.ReadFile(filepath.Join(local, "r.bin"))
		if !bytes.Equal(onDisk, want) {
			t.Fatalf("resumed upload: server has %d bytes, want the %d original bytes", len(onDisk), len(want))
		}
		var b bytes.Buffer
		n, err := c.RetrBinary(ctx, "r.bin", &b, 123457)
		if err != nil || n != int64(len(want)-123457) || !bytes.Equal(b.Bytes(), want[123457:]) {
			t.Fatalf("RetrBinary from offset = %d, %v", n, err)
		}
	})

	t.Run("lines", func(t *testing.T) {
		if _, err := c.StorLines(ctx, "t.txt", strings.NewReader("one\ntwo\r\n\nlast")); err != nil {
			t.Fatalf("StorLines: %v", err)
		}
		onDisk, _ := os.ReadFile(filepath.Join(local, "t.txt"))
		// ASCII mode: the server stores its native (LF) line ends.
		if s := strings.ReplaceAll(string(onDisk), "\r\n", "\n"); s != "one\ntwo\n\nlast\n" {
			t.Errorf("server stored %q", onDisk)
		}
		var lines []string
		if err := c.RetrLines(ctx, "t.txt", func(l string) error { lines = append(lines, l); return nil }); err != nil {
			t.Fatalf("RetrLines: %v", err)
		}
		if got := strings.Join(lines, "|"); got != "one|two||last" {
			t.Errorf("RetrLines = %q", got)
		}
	})

	t.Run("rename-delete", func(t *testing.T) {
		if _, err := c.StorBinary(ctx, "old name.txt", strings.NewReader("x"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Rename(ctx, "old name.txt", "new name.txt"); err != nil {
			t.Fatalf("Rename: %v", err)
		}
		if _, err := os.Stat(filepath.Join(local, "new name.txt")); err != nil {
			t.Errorf("renamed file missing on disk: %v", err)
		}
		if _, err := c.Size(ctx, "old name.txt"); !errors.Is(err, ftp.ErrPermanent) {
			t.Errorf("Size(old) = %v, want a permanent error", err)
		}
		if _, err := c.Delete(ctx, "new name.txt"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err := c.Delete(ctx, "new name.txt")
		if !errors.Is(err, ftp.ErrPermanent) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Delete(missing) = %v, want ErrPermanent and fs.ErrNotExist", err)
		}
		if _, err := c.Cwd(ctx, "no-such-dir"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Cwd(missing) = %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("modtime", func(t *testing.T) {
		if _, err := c.StorBinary(ctx, "m.txt", strings.NewReader("m"), 0); err != nil {
			t.Fatal(err)
		}
		mt, err := c.ModTime(ctx, "m.txt")
		if err != nil || time.Since(mt).Abs() > time.Hour {
			t.Errorf("ModTime = %v, %v; want about now", mt, err)
		}
		if !caps.MFMT.Supported && !caps.MDTMSet.Supported {
			res.skip(t, "MFMT", caps.MFMT.Reason)
		}
		want := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		if _, err := c.SetModTime(ctx, "m.txt", want); err != nil {
			t.Fatalf("SetModTime: %v", err)
		}
		st, err := os.Stat(filepath.Join(local, "m.txt"))
		if err != nil || !st.ModTime().Equal(want) {
			t.Errorf("mtime on disk = %v, want %v", st.ModTime(), want)
		}
		if mt, err := c.ModTime(ctx, "m.txt"); err != nil || !mt.Equal(want) {
			t.Errorf("ModTime after set = %v, %v", mt, err)
		}
	})

	t.Run("listings", func(t *testing.T) {
		for _, n := range []string{"a.txt", "b c.txt", "ünï.txt"} {
			if _, err := c.StorBinary(ctx, n, strings.NewReader(n), 0); err != nil {
				t.Fatalf("StorBinary(%q): %v", n, err)
			}
		}
		names, err := c.Nlst(ctx)
		if err != nil {
			t.Fatalf("NLST: %v", err)
		}
		for _, n := range []string{"a.txt", "b c.txt", "ünï.txt", "sub"} {
			if !slices.ContainsFunc(names, func(s string) bool { return s == n || strings.HasSuffix(s, "/"+n) }) {
				t.Errorf("NLST = %q lacks %q", names, n)
			}
		}
		lines, err := c.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		joined := strings.Join(lines, "\n")
		for _, n := range []string{" a.txt", " b c.txt", " ünï.txt", " sub"} {
			if !strings.Contains(joined, n) {
				t.Errorf("List lacks %q:\n%s", n, joined)
			}
		}
		// A DataConn for a raw LIST.
		dc, err := c.Transfer(ctx, "LIST", 0)
		if err != nil {
			t.Fatalf("Transfer(LIST): %v", err)
		}
		raw, err := io.ReadAll(dc)
		if err != nil || !bytes.Contains(raw, []byte("a.txt")) {
			t.Errorf("Transfer(LIST) read %q, %v", raw, err)
		}
		if err := dc.Close(); err != nil {
			t.Errorf("DataConn.Close: %v", err)
		}
		if !caps.MLSD.Supported {
			res.skip(t, "MLSD/MLST", caps.MLSD.Reason)
		}
		entries, err := c.Mlsd(ctx, "")
		if err != nil {
			t.Fatalf("MLSD: %v", err)
		}
		found := map[string]listing.Entry{}
		for _, e := range entries {
			found[e.Name] = e
		}
		if e, ok := found["b c.txt"]; !ok || e.Type != listing.File || e.Size != 7 {
			t.Errorf("MLSD entry for %q = %+v (all: %+v)", "b c.txt", e, entries)
		}
		if e := found["sub"]; e.Type != listing.Dir {
			t.Errorf("MLSD entry for sub = %+v", e)
		}
		if _, ok := found["ünï.txt"]; !ok {
			t.Errorf("MLSD lacks the UTF-8 name: %+v", entries)
		}
		e, err := c.Mlst(ctx, "a.txt")
		if err != nil || e.Size != 5 || e.Name != "a.txt" {
			t.Errorf("MLST = %+v, %v", e, err)
		}
	})

	t.Run("abort", func(t *testing.T) {
		n := bigSize()
		if _, err := os.Stat(filepath.Join(local, fmt.Sprintf("f%d.bin", n))); err != nil {
			if _, err := c.StorBinary(ctx, fmt.Sprintf("f%d.bin", n), bytes.NewReader(data(n)), 0); err != nil {
				t.Fatal(err)
			}
		}
		r, err := c.Retr(ctx, fmt.Sprintf("f%d.bin", n), 0)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1<<20)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close before EOF (ABOR) = %v", err)
		}
		if p, err := c.Pwd(ctx); err != nil || p != cellPath {
			t.Fatalf("Pwd after ABOR = %q, %v", p, err)
		}
		// And the connection still transfers.
		var b bytes.Buffer
		if _, err := c.RetrBinary(ctx, "app.txt", &b, 0); err != nil || b.String() != "hello world" {
			t.Errorf("transfer after ABOR = %q, %v", b.String(), err)
		}
	})

	t.Run("misc", func(t *testing.T) {
		if _, err := c.Noop(ctx); err != nil {
			t.Errorf("Noop: %v", err)
		}
		if s, err := c.Syst(ctx); err != nil || s == "" {
			t.Errorf("Syst = %q, %v", s, err)
		}
		if rep, err := c.SendCmd(ctx, "NOOP"); err != nil || rep.Code != 200 {
			t.Errorf("SendCmd(NOOP) = %v, %v", rep, err)
		}
		if _, err := c.VoidCmd(ctx, "XYZZY"); !errors.Is(err, ftp.ErrPermanent) {
			t.Errorf("VoidCmd(XYZZY) = %v, want ErrPermanent", err)
		}
		f, err := c.Features(ctx)
		if err != nil || len(f) == 0 {
			t.Errorf("Features = %v, %v", f, err)
		}
		if !strings.HasPrefix(c.Welcome(), "220") {
			t.Errorf("Welcome = %q", c.Welcome())
		}
	})

	t.Run("cleanup", func(t *testing.T) {
		if _, err := c.Rmd(ctx, "sub"); err != nil {
			t.Errorf("Rmd: %v", err)
		}
		if _, err := os.Stat(filepath.Join(local, "sub")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("sub still on disk after Rmd: %v", err)
		}
		if _, err := c.Cwd(ctx, root); err != nil {
			t.Errorf("Cwd(root): %v", err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Errorf("Quit: %v", err)
		}
		os.RemoveAll(local)
	})
}

func sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
