package mirror_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/mirror"
)

// countMeter counts the bytes a Meter is given and its Done calls.
type countMeter struct {
	n, done *atomic.Int64
}

func (m countMeter) Write(p []byte) (int, error) { m.n.Add(int64(len(p))); return len(p), nil }
func (m countMeter) Done(int64, error)           { m.done.Add(1) }

// TestDownloadSegmented: with Segments, files of SegmentMin bytes or more
// are fetched in ranges over several connections, byte-exact, with the
// listing's time, metered, and the others as usual; a second run finds
// everything up to date.
func TestDownloadSegmented(t *testing.T) {
	t.Parallel()
	files := tree()
	big := data(3<<20+12345, 7)
	files["a/big.bin"] = &fstest.MapFile{Data: big, ModTime: mtime}
	srv, _ := newServer(t, files)
	var retrs atomic.Int64 // RETR commands for big.bin
	logger := slog.New(cmdCounter{func(cmd string) {
		if strings.HasPrefix(cmd, "RETR ") && strings.HasSuffix(cmd, "big.bin") {
			retrs.Add(1)
		}
	}})
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 3,
		Dialer: ftp.Dialer{Logger: logger}})
	defer p.Close()
	dst := t.TempDir()
	var n, done atomic.Int64
	var rec recorder
	opts := &mirror.Options{Segments: 3, SegmentMin: 1 << 20, Report: rec.report,
		Meter: func(a mirror.Action, size, offset int64) mirror.Meter {
			return countMeter{&n, &done}
		}}
	res, err := mirror.Download(t.Context(), p, "/", dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, dst, files)
	got, _ := os.ReadFile(filepath.Join(dst, "a/big.bin"))
	if !bytes.Equal(got, big) {
		t.Fatalf("big.bin: %d bytes, want %d identical", len(got), len(big))
	}
	if fi, err := os.Stat(filepath.Join(dst, "a/big.bin")); err != nil || !fi.ModTime().Equal(mtime) {
		t.Errorf("big.bin mtime %v, %v; want %v", fi.ModTime(), err, mtime)
	}
	if left, _ := filepath.Glob(filepath.Join(dst, "a", ".*")); len(left) > 0 {
		t.Errorf("partial files left: %v", left)
	}
	if res.Files != 5 || n.Load() < int64(len(big)) || done.Load() != 5 {
		t.Errorf("Result %+v, metered %d bytes and %d Done; want 5 files, at least %d bytes", res, n.Load(), done.Load(), len(big))
	}
	if retrs.Load() < 2 {
		t.Errorf("big.bin was fetched with %d RETR, want one per range", retrs.Load())
	}
	res, err = mirror.Download(t.Context(), p, "/", dst, &mirror.Options{Segments: 3, SegmentMin: 1 << 20})
	if err != nil || res.Files != 0 || res.UpToDate != 5 {
		t.Errorf("second run: %+v, %v; want all 5 up to date", res, err)
	}
}

// cmdCounter is a slog.Handler that passes each command sent to fn.
type cmdCounter struct{ fn func(cmd string) }

func (cmdCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h cmdCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == ftp.LogSend {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == ftp.KeyCmd {
				h.fn(a.Value.String())
			}
			return true
		})
	}
	return nil
}
func (h cmdCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h cmdCounter) WithGroup(string) slog.Handler      { return h }
