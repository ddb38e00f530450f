//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// segSize is an odd size, so that the ranges do not fall on round
// offsets.
const segSize = 6<<20 + 12345

// segFetch downloads name with RetrSegmentedFile into dir and returns
// the installed file's bytes.
func segFetch(t *testing.T, p *ftp.Pool, name, dir string, opts ftp.SegmentOptions) ([]byte, int64, error) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	n, err := p.RetrSegmentedFile(t.Context(), name, root, "out.bin", opts)
	if err != nil {
		return nil, n, err
	}
	b, rerr := os.ReadFile(filepath.Join(dir, "out.bin"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	return b, n, nil
}

// TestSegmented downloads a file over 4 connections at once from each
// server, plain and with TLS: byte-exact, with several connections used,
// and no partial file left.
func TestSegmented(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				content := data(segSize)
				name := fmt.Sprintf("seg-%d.bin", time.Now().UnixNano())
				if err := srv.WriteFile(name, content); err != nil {
					t.Fatal(err)
				}
				cd := &countingDialer{ctrl: srv.Addr}
				p := poolFor(t, srv, 4, cd)
				dir := t.TempDir()
				var progress atomic.Int64
				got, n, err := segFetch(t, p, name, dir, ftp.SegmentOptions{MinSegment: 512 << 10, Progress: func(n int64) { progress.Add(n) }})
				if err != nil {
					t.Fatalf("RetrSegmentedFile: %v\n%s", err, srv.Logs())
				}
				if n != segSize || !bytes.Equal(got, content) || progress.Load() != segSize {
					t.Fatalf("got %d bytes (n=%d, progress %d), identical: %v", len(got), n, progress.Load(), bytes.Equal(got, content))
				}
				if m := cd.max.Load(); m < 2 {
					t.Errorf("at most %d control connections at once, want several", m)
				}
				if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
					t.Errorf("left behind: %v", left)
				}
			})
		}
	}
}

// TestSegmentedResets cuts data connections mid-range through a proxy:
// the ranges are fetched again from where they stopped and the file is
// byte-exact. With no retries the download fails, keeps its partial
// file, and a resumed download completes it without fetching again what
// it had; a file changed meanwhile is fetched from the start.
func TestSegmentedResets(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			content := data(segSize)
			want := sha256.Sum256(content)
			name := fmt.Sprintf("segcut-%d.bin", time.Now().UnixNano())
			if err := srv.WriteFile(name, content); err != nil {
				t.Fatal(err)
			}
			d := dialer(srv, dataModes[0])
			pool := func(retries int) *ftp.Pool {
				p := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 4, Retries: retries})
				t.Cleanup(func() { p.Close() })
				return p
			}
			opts := ftp.SegmentOptions{MinSegment: 512 << 10}

			// Three cuts, retried.
			px.CutData(3, 700<<10)
			got, _, err := segFetch(t, pool(5), name, t.TempDir(), opts)
			if err != nil || sha256.Sum256(got) != want {
				t.Fatalf("through resets: %v (%d bytes, identical %v)", err, len(got), sha256.Sum256(got) == want)
			}
			if c := px.Cut.Load(); c != 3 {
				t.Errorf("%d data connections cut, want 3", c)
			}

			// Cut with no retries: a loud failure, the partial file kept.
			// Every data connection of the attempt is cut after 1 MiB
			// (one cut could go to a data connection opened ahead and
			// left unused), none after it.
			dir := t.TempDir()
			px.CutData(8, 1<<20)
			_, n1, err := segFetch(t, pool(-1), name, dir, opts)
			px.CutData(0, 0)
			if err == nil {
				t.Fatal("a cut range with no retries succeeded")
			}
			if _, serr := os.Stat(filepath.Join(dir, "out.bin")); !errors.Is(serr, os.ErrNotExist) {
				t.Fatalf("out.bin installed after a failure (%v)", serr)
			}
			partPath := filepath.Join(dir, ".out.bin.goftp-part")
			if fi, serr := os.Stat(partPath); serr != nil || fi.Size() <= segSize {
				t.Fatalf("partial file: %v (want it kept, with its state record)", serr)
			}
			root, _ := os.OpenRoot(dir)
			if !ftp.SegmentedPartial(root, "out.bin") {
				t.Error("SegmentedPartial = false for the partial file of a segmented download")
			}
			root.Close()

			// Resumed: byte-exact, and what was there is not fetched again.
			opts.Resume = true
			got, n2, err := segFetch(t, pool(3), name, dir, opts)
			if err != nil || sha256.Sum256(got) != want {
				t.Fatalf("resumed: %v (%d bytes, identical %v)", err, len(got), sha256.Sum256(got) == want)
			}
			if n1 == 0 || n2 >= segSize {
				t.Errorf("first attempt fetched %d bytes, the resumed one %d: want a resume", n1, n2)
			}

			// A changed file is not completed with the old bytes.
			px.CutData(8, 1<<20)
			os.Remove(filepath.Join(dir, "out.bin"))
			_, _, err = segFetch(t, pool(-1), name, dir, opts)
			px.CutData(0, 0)
			if err == nil {
				t.Fatal("a cut range with no retries succeeded")
			}
			changed := bytes.Clone(data(segSize - 1000))
			changed[0] ^= 0xff
			if err := srv.WriteFile(name, changed); err != nil {
				t.Fatal(err)
			}
			got, n3, err := segFetch(t, pool(3), name, dir, opts)
			if err != nil || !bytes.Equal(got, changed) || n3 != int64(len(changed)) {
				t.Fatalf("after a change: %v, n=%d, %d bytes, identical %v", err, n3, len(got), bytes.Equal(got, changed))
			}
		})
	}
}

// TestSegmented421 asks for 4 ranges at once from a server that takes 2
// sessions: the download goes on with 2 and succeeds.
func TestSegmented421(t *testing.T) {
	t.Parallel()
	// Its own server: TestPool421 needs both sessions of another.
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 2, Instance: 1})
	if srv == nil {
		t.Skip(reason)
	}
	content := data(segSize)
	name := fmt.Sprintf("seg421-%d.bin", time.Now().UnixNano())
	if err := srv.WriteFile(name, content); err != nil {
		t.Fatal(err)
	}
	p := poolFor(t, srv, 6, nil)
	got, _, err := segFetch(t, p, name, t.TempDir(), ftp.SegmentOptions{Segments: 6, MinSegment: 256 << 10})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("RetrSegmentedFile with 421s: %v (%d bytes)", err, len(got))
	}
	if l := p.Limit(); l > 2 {
		t.Errorf("Limit() = %d after 421s, want at most 2", l)
	}
}

// TestSegmentedCancel cancels a segmented download midway (slowed data
// connections): it returns the ctx's error at once, keeps the partial
// file with what arrived, and a resumed download completes it.
func TestSegmentedCancel(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd})
	if srv == nil {
		t.Skip(reason)
	}
	px, err := faultproxy.Start(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	content := data(segSize)
	name := fmt.Sprintf("segcancel-%d.bin", time.Now().UnixNano())
	if err := srv.WriteFile(name, content); err != nil {
		t.Fatal(err)
	}
	d := dialer(srv, dataModes[0])
	p := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 4})
	defer p.Close()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	px.SlowData(1 << 20)
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	n1, err := p.RetrSegmentedFile(ctx, name, root, "out.bin", ftp.SegmentOptions{MinSegment: 512 << 10, CheckpointEvery: 100 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled download = %v, want the ctx's error", err)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("cancelled download returned after %v", el)
	}
	if !ftp.SegmentedPartial(root, "out.bin") || n1 == 0 {
		t.Fatalf("no resumable partial file after cancelling (%d bytes fetched)", n1)
	}

	px.SlowData(0)
	n2, err := p.RetrSegmentedFile(t.Context(), name, root, "out.bin", ftp.SegmentOptions{Resume: true})
	got, rerr := os.ReadFile(filepath.Join(dir, "out.bin"))
	if err != nil || rerr != nil || !bytes.Equal(got, content) {
		t.Fatalf("resumed: %v, %v; identical %v", err, rerr, bytes.Equal(got, content))
	}
	if n1+n2 < segSize || n2 >= segSize {
		t.Errorf("fetched %d then %d bytes of %d: want the second run to resume", n1, n2, segSize)
	}
}

// TestSegmentedOneSession asks for 6 ranges from a vsftpd that takes a
// single session: the Pool's limit falls to 1 and the download completes
// on that one connection, byte-exact (fewer segments, never a failure).
func TestSegmentedOneSession(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 1, Instance: 2})
	if srv == nil {
		t.Skip(reason)
	}
	content := data(segSize)
	name := fmt.Sprintf("seg1-%d.bin", time.Now().UnixNano())
	if err := srv.WriteFile(name, content); err != nil {
		t.Fatal(err)
	}
	p := poolFor(t, srv, 6, nil)
	got, _, err := segFetch(t, p, name, t.TempDir(), ftp.SegmentOptions{Segments: 6, MinSegment: 256 << 10})
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("RetrSegmentedFile with one session: %v (%d bytes)", err, len(got))
	}
	if l := p.Limit(); l != 1 {
		t.Errorf("Limit() = %d, want 1", l)
	}
}
