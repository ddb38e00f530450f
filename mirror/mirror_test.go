package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/mirror"
)

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func data(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

func tree() fstest.MapFS {
	return fstest.MapFS{
		"top.txt":         {Data: []byte("top\n"), ModTime: mtime},
		"a/one.txt":       {Data: []byte("one\n"), ModTime: mtime},
		"a/b/two.bin":     {Data: data(200000, 2), ModTime: mtime},
		"a/b/c/three.txt": {Data: []byte("three\n"), ModTime: mtime},
		"empty":           {Mode: fs.ModeDir | 0o755, ModTime: mtime},
	}
}

func newServer(t *testing.T, files fs.FS) (*ftptest.Server, *ftp.Pool) {
	t.Helper()
	srv := ftptest.New(t, ftptest.Options{Files: files})
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 3})
	t.Cleanup(func() { p.Close() })
	return srv, p
}

// recorder collects reported actions.
type recorder struct {
	mu      sync.Mutex
	actions []mirror.Action
}

func (r *recorder) report(a mirror.Action) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, a)
}

func (r *recorder) paths(op mirror.Op) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ps []string
	for _, a := range r.actions {
		if a.Op == op {
			ps = append(ps, a.Path)
		}
	}
	slices.Sort(ps)
	return ps
}

// checkTree compares the local directory with want (regular files only;
// directories must exist).
func checkTree(t *testing.T, dir string, want fstest.MapFS) {
	t.Helper()
	for name, f := range want {
		p := filepath.Join(dir, filepath.FromSlash(name))
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if f.Mode.IsDir() {
			if !fi.IsDir() {
				t.Errorf("%s is not a directory", name)
			}
			continue
		}
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got, f.Data) {
			t.Errorf("%s: content differs (%d bytes, want %d)", name, len(got), len(f.Data))
		}
		if !fi.ModTime().Equal(f.ModTime) {
			t.Errorf("%s: mtime %v, want %v", name, fi.ModTime(), f.ModTime)
		}
	}
}

func TestDownload(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, p := newServer(t, tree())
	dst := filepath.Join(t.TempDir(), "dst")
	var rec recorder
	res, err := mirror.Download(ctx, p, "", dst, &mirror.Options{Report: rec.report})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 4 || res.Dirs != 4 || res.Bytes != 200000+4+4+6 || res.UpToDate != 0 {
		t.Errorf("first run: %+v, want 4 files, 4 directories", res)
	}
	checkTree(t, dst, tree())
	if got, want := rec.paths(mirror.OpGet), []string{"a/b/c/three.txt", "a/b/two.bin", "a/one.txt", "top.txt"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	// Nothing changed: nothing moves.
	res, err = mirror.Download(ctx, p, "", dst, nil)
	if err != nil || res.Files != 0 || res.UpToDate != 4 {
		t.Errorf("second run: %+v, %v; want 4 up to date", res, err)
	}

	// A changed file, a local extra, a local partial file of a remote
	// file (kept for resuming) and of a vanished one (deleted).
	if err := srv.WriteFile("a/one.txt", []byte("one, changed\n")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dst, "extra.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dst, "a", "old", "deeper"), 0o755)
	os.WriteFile(filepath.Join(dst, "a", "b", ".two.bin.goftp-part"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dst, ".gone.goftp-part"), []byte("partial"), 0o644)
	rec = recorder{}
	res, err = mirror.Download(ctx, p, "", dst, &mirror.Options{Report: rec.report})
	if err != nil || res.Files != 1 || res.Deleted != 0 {
		t.Errorf("third run: %+v, %v; want one file, no deletion", res, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "a", "one.txt")); string(got) != "one, changed\n" {
		t.Errorf("a/one.txt = %q after the change", got)
	}
	rec = recorder{}
	res, err = mirror.Download(ctx, p, "", dst, &mirror.Options{Delete: true, Report: rec.report})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rec.paths(mirror.OpDelete), []string{".gone.goftp-part", "a/old", "extra.txt"}; !slices.Equal(got, want) {
		t.Errorf("deleted %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(dst, "a", "b", ".two.bin.goftp-part")); err != nil {
		t.Errorf("partial file of a remote file was deleted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "extra.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("extra.txt not deleted: %v", err)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	_, p := newServer(t, tree())
	dst := filepath.Join(t.TempDir(), "dst")
	var rec recorder
	res, err := mirror.Download(t.Context(), p, "", dst, &mirror.Options{DryRun: true, Report: rec.report})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 4 || res.Dirs != 4 {
		t.Errorf("dry run: %+v, want 4 files and 4 directories planned", res)
	}
	if got := rec.paths(mirror.OpGet); len(got) != 4 {
		t.Errorf("dry run reported %q", got)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dry run created %s: %v", dst, err)
	}
}

func TestUpload(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv, p := newServer(t, fstest.MapFS{})
	src := t.TempDir()
	if err := os.CopyFS(src, tree()); err != nil {
		t.Fatal(err)
	}
	for name, f := range tree() {
		os.Chtimes(filepath.Join(src, name), f.ModTime, f.ModTime)
	}
	res, err := mirror.Upload(ctx, p, src, "up", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 4 || res.Dirs != 4 {
		t.Errorf("upload: %+v, want 4 files and 4 directories", res)
	}
	for name, f := range tree() {
		if f.Mode.IsDir() {
			continue
		}
		got, err := srv.ReadFile("up/" + name)
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("up/%s: %d bytes, %v; want the local file", name, len(got), err)
		}
		fi, err := fs.Stat(srv.FS(), "up/"+name)
		if err != nil || !fi.ModTime().Equal(f.ModTime) {
			t.Errorf("up/%s: mtime %v, want %v (MFMT)", name, fi.ModTime(), f.ModTime)
		}
	}
	res, err = mirror.Upload(ctx, p, src, "up", nil)
	if err != nil || res.Files != 0 || res.UpToDate != 4 {
		t.Errorf("second upload: %+v, %v; want all up to date", res, err)
	}
	// A newer local file of the same size is sent; --delete removes the
	// remote extras.
	later := mtime.Add(time.Hour)
	os.WriteFile(filepath.Join(src, "top.txt"), []byte("TOP\n"), 0o644)
	os.Chtimes(filepath.Join(src, "top.txt"), later, later)
	srv.WriteFile("up/extra/x.txt", []byte("x"))
	var rec recorder
	res, err = mirror.Upload(ctx, p, src, "up", &mirror.Options{Delete: true, Report: rec.report})
	if err != nil || res.Files != 1 || res.Deleted != 1 {
		t.Errorf("third upload: %+v, %v; want one file and one deletion", res, err)
	}
	if got, _ := srv.ReadFile("up/top.txt"); string(got) != "TOP\n" {
		t.Errorf("up/top.txt = %q", got)
	}
	if _, err := srv.ReadFile("up/extra/x.txt"); err == nil {
		t.Error("up/extra was not deleted")
	}
}

// cutter is a Meter that cancels the synchronisation once it has seen
// limit bytes: an interruption in the middle of a transfer.
type cutter struct {
	mu      sync.Mutex
	seen    int64
	limit   int64
	cancel  context.CancelFunc
	offsets []int64
}

type cutMeter struct{ c *cutter }

func (m cutMeter) Write(b []byte) (int, error) {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	m.c.seen += int64(len(b))
	if m.c.limit > 0 && m.c.seen >= m.c.limit {
		m.c.cancel()
	}
	return len(b), nil
}

func (m cutMeter) Done(int64, error) {}

func (c *cutter) meter(_ mirror.Action, _, offset int64) mirror.Meter {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offsets = append(c.offsets, offset)
	return cutMeter{c}
}

// TestInterruptedDownload cancels a mirror in the middle of a large file
// and checks that nothing is lost: no truncated file under the real name,
// and the next run resumes the partial file (REST) to a byte-identical
// copy.
func TestInterruptedDownload(t *testing.T) {
	t.Parallel()
	big := data(4<<20, 9)
	_, p := newServer(t, fstest.MapFS{"big.bin": {Data: big, ModTime: mtime}, "small.txt": {Data: []byte("s"), ModTime: mtime}})
	dst := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	c := &cutter{limit: 1 << 20, cancel: cancel}
	_, err := mirror.Download(ctx, p, "", dst, &mirror.Options{Parallel: 1, Meter: c.meter})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted mirror: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "big.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("big.bin exists after the interruption: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dst, ".big.bin.goftp-part"))
	if err != nil || fi.Size() == 0 || fi.Size() >= int64(len(big)) {
		t.Fatalf("partial file: %v, %v; want part of big.bin", fi, err)
	}
	partial := fi.Size()

	c2 := &cutter{}
	res, err := mirror.Download(t.Context(), p, "", dst, &mirror.Options{Parallel: 1, Meter: c2.meter})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "big.bin"))
	if !bytes.Equal(got, big) {
		t.Errorf("resumed big.bin differs: %d bytes", len(got))
	}
	if !slices.Contains(c2.offsets, partial) {
		t.Errorf("resumed at %v, want at %d", c2.offsets, partial)
	}
	if c2.seen != int64(len(big))-partial+1 || res.Bytes != c2.seen {
		t.Errorf("second run moved %d bytes (result %d), want %d: the rest of big.bin and small.txt", c2.seen, res.Bytes, int64(len(big))-partial+1)
	}
	if _, err := os.Stat(filepath.Join(dst, ".big.bin.goftp-part")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file left: %v", err)
	}
}

// TestInterruptedUpload does the same for an upload: the remote file is
// not replaced until complete, and the next run resumes the remote
// partial file.
func TestInterruptedUpload(t *testing.T) {
	t.Parallel()
	big := data(4<<20, 7)
	srv, p := newServer(t, fstest.MapFS{"up/big.bin": {Data: []byte("old version"), ModTime: mtime}})
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "big.bin"), big, 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	// The Writer does not wait for the server's 150 before sending (and
	// the kernel buffers much on loopback): cut late enough that part of
	// the file has reached the server.
	c := &cutter{limit: 3 << 20, cancel: cancel}
	_, err := mirror.Upload(ctx, p, src, "up", &mirror.Options{Parallel: 1, Meter: c.meter})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted upload: %v, want context.Canceled", err)
	}
	if got, _ := srv.ReadFile("up/big.bin"); string(got) != "old version" {
		t.Fatalf("the interrupted upload replaced up/big.bin (%d bytes)", len(got))
	}
	// The server may still be writing what was in flight when the
	// upload was aborted: wait until the partial file stops growing.
	var part []byte
	for i, last := 0, -1; i < 100; i++ {
		part, err = srv.ReadFile("up/.big.bin.goftp-part")
		if err == nil && len(part) == last {
			break
		}
		last = len(part)
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(part) == 0 || len(part) >= len(big) {
		t.Fatalf("remote partial file: %d bytes, %v", len(part), err)
	}
	c2 := &cutter{}
	if _, err := mirror.Upload(t.Context(), p, src, "up", &mirror.Options{Parallel: 1, Meter: c2.meter}); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.ReadFile("up/big.bin")
	if !bytes.Equal(got, big) {
		t.Errorf("resumed up/big.bin differs: %d bytes", len(got))
	}
	if len(c2.offsets) != 1 || c2.offsets[0] != int64(len(part)) {
		t.Errorf("resumed at %v, want at %d", c2.offsets, len(part))
	}
	if _, err := srv.ReadFile("up/.big.bin.goftp-part"); err == nil {
		t.Error("remote partial file left")
	}
}

// TestPoolWithoutLimit: a Pool without a connection limit (MaxConns
// negative) and Parallel left at zero: the mirror runs with a bounded
// number of transfers (it used to size its workers by the Pool's limit,
// math.MaxInt, and panic making a channel of that size), both ways.
func TestPoolWithoutLimit(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{Files: tree()})
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: -1})
	defer p.Close()
	dst := filepath.Join(t.TempDir(), "dst")
	res, err := mirror.Download(t.Context(), p, "", dst, nil)
	if err != nil || res.Files != 4 {
		t.Fatalf("Download = %+v, %v", res, err)
	}
	checkTree(t, dst, tree())
	res, err = mirror.Upload(t.Context(), p, dst, "copy", nil)
	if err != nil || res.Files != 4 {
		t.Fatalf("Upload = %+v, %v", res, err)
	}
	for name, f := range tree() {
		if f.Mode.IsDir() {
			continue
		}
		if got, err := srv.ReadFile("copy/" + name); err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("copy/%s: %v, identical %v", name, err, bytes.Equal(got, f.Data))
		}
	}
}
