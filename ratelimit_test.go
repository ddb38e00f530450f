package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// TestPoolRateLimit downloads and uploads through a Pool limited to
// 1 MiB/s per transfer: 400 KiB take at least the time the limit allows
// beyond its burst, and a cancelled ctx ends a limited transfer at once.
func TestPoolRateLimit(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	content := bytes.Repeat([]byte("0123456789abcdef"), 400<<10/16)
	if err := srv.WriteFile("r.bin", content); err != nil {
		t.Fatal(err)
	}
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, RateLimit: 1 << 20})
	defer p.Close()
	// Burst: a tenth of a second's worth; the rest at 1 MiB/s.
	least := time.Duration(float64(len(content)-(1<<20)/10) / (1 << 20) * float64(time.Second))

	start := time.Now()
	var got bytes.Buffer
	if n, err := p.RetrBinary(t.Context(), "r.bin", &got, 0); err != nil || n != int64(len(content)) || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("RetrBinary = %d, %v", n, err)
	}
	if d := time.Since(start); d < least*9/10 {
		t.Errorf("limited download took %v, want at least %v", d, least)
	}

	start = time.Now()
	if n, err := p.StorBinary(t.Context(), "u.bin", bytes.NewReader(content), 0); err != nil || n != int64(len(content)) {
		t.Fatalf("StorBinary = %d, %v", n, err)
	}
	if d := time.Since(start); d < least*9/10 {
		t.Errorf("limited upload took %v, want at least %v", d, least)
	}

	// A total limit shared by two transfers at once.
	pt := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, TotalRateLimit: 2 << 20})
	defer pt.Close()
	start = time.Now()
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			var b bytes.Buffer
			_, err := pt.RetrBinary(t.Context(), "r.bin", &b, 0)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < least*9/10 {
		t.Errorf("two downloads under a total of 2 MiB/s took %v, want at least %v", d, least)
	}

	// Cancelled while waiting for the limit.
	slow := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, RateLimit: 10 << 10})
	defer slow.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := slow.RetrBinary(ctx, "r.bin", &got, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled limited download = %v, want the ctx's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled limited download returned after %v", d)
	}
}

// TestRetrSegmentedLimited: a segmented download is one transfer for
// RateLimit, all its ranges together.
func TestRetrSegmentedLimited(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	content := bytes.Repeat([]byte("segmented-limit!"), 2<<20/16)
	if err := srv.WriteFile("s.bin", content); err != nil {
		t.Fatal(err)
	}
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, RateLimit: 4 << 20})
	defer p.Close()
	buf := make(writerAt, len(content))
	start := time.Now()
	n, err := p.RetrSegmented(t.Context(), "s.bin", buf, ftp.SegmentOptions{MinSegment: 256 << 10})
	if err != nil || n != int64(len(content)) || !bytes.Equal(buf, content) {
		t.Fatalf("RetrSegmented = %d, %v (identical %v)", n, err, bytes.Equal(buf, content))
	}
	if d, least := time.Since(start), 400*time.Millisecond; d < least {
		t.Errorf("2 MiB at 4 MiB/s over 4 connections took %v, want at least %v", d, least)
	}
}

// writerAt is an in-memory io.WriterAt.
type writerAt []byte

func (w writerAt) WriteAt(p []byte, off int64) (int, error) {
	return copy(w[off:], p), nil
}

// corrupting is an io.WriterAt and io.ReaderAt in memory that flips one
// byte written at offset bad: a segmented download into it must fail the
// server's checksum.
type corrupting struct {
	b   []byte
	bad int64
}

func (c *corrupting) WriteAt(p []byte, off int64) (int, error) {
	n := copy(c.b[off:], p)
	if c.bad >= off && c.bad < off+int64(n) {
		c.b[c.bad] ^= 0x55
	}
	return n, nil
}

func (c *corrupting) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(c.b)) {
		return 0, io.EOF
	}
	n := copy(p, c.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// TestRetrSegmentedChecksum: with a server that offers HASH (ftptest),
// a segmented download is checked against it; a destination that does
// not hold what was written fails with ErrChecksumMismatch.
func TestRetrSegmentedChecksum(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	content := bytes.Repeat([]byte("checksum-ranges!"), 3<<20/16)
	if err := srv.WriteFile("c.bin", content); err != nil {
		t.Fatal(err)
	}
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword})
	defer p.Close()
	good := &corrupting{b: make([]byte, len(content)), bad: -1}
	if _, err := p.RetrSegmented(t.Context(), "c.bin", good, ftp.SegmentOptions{MinSegment: 256 << 10}); err != nil || !bytes.Equal(good.b, content) {
		t.Fatalf("RetrSegmented = %v", err)
	}
	bad := &corrupting{b: make([]byte, len(content)), bad: 2<<20 + 5}
	if _, err := p.RetrSegmented(t.Context(), "c.bin", bad, ftp.SegmentOptions{MinSegment: 256 << 10}); !errors.Is(err, ftp.ErrChecksumMismatch) {
		t.Fatalf("RetrSegmented into a corrupting destination = %v, want ErrChecksumMismatch", err)
	}
	if _, err := p.RetrSegmented(t.Context(), "c.bin", bad, ftp.SegmentOptions{MinSegment: 256 << 10, NoChecksum: true}); err != nil {
		t.Fatalf("NoChecksum: %v", err)
	}
}

// TestBatchRateLimit: the files of a Pool batch are limited like single
// transfers: four files of 200 KiB under a total of 1 MiB/s take at least
// 0.7 s (the burst aside), downloaded and uploaded, byte-exact.
func TestBatchRateLimit(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	content := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
	for i := range 4 {
		if err := srv.WriteFile(fmt.Sprintf("b%d", i), content); err != nil {
			t.Fatal(err)
		}
	}
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 2, TotalRateLimit: 1 << 20})
	defer p.Close()
	least := time.Duration(float64(4*len(content)-(1<<20)/10) / (1 << 20) * float64(time.Second))

	bufs := make([]*closeBuffer, 4)
	var items []ftp.RetrItem
	for i := range bufs {
		bufs[i] = &closeBuffer{}
		items = append(items, ftp.RetrItem{Path: fmt.Sprintf("b%d", i), Size: int64(len(content)), SizeKnown: true,
			Open: func() (io.Writer, error) { return bufs[i], nil }})
	}
	start := time.Now()
	if err := p.RetrBatch(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < least*9/10 {
		t.Errorf("limited batch download took %v, want at least %v", d, least)
	}
	for i, b := range bufs {
		if !bytes.Equal(b.Bytes(), content) || !b.closed {
			t.Errorf("b%d: %d bytes, closed %v", i, b.Len(), b.closed)
		}
	}

	var sitems []ftp.StorItem
	for i := range 4 {
		sitems = append(sitems, ftp.StorItem{Path: fmt.Sprintf("u%d", i), Size: int64(len(content)),
			Open: func() (io.Reader, error) { return bytes.NewReader(content), nil }})
	}
	start = time.Now()
	if err := p.StorBatch(t.Context(), sitems); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < least*9/10 {
		t.Errorf("limited batch upload took %v, want at least %v", d, least)
	}
}

// closeBuffer is a bytes.Buffer that records Close.
type closeBuffer struct {
	bytes.Buffer
	closed bool
}

func (b *closeBuffer) Close() error { b.closed = true; return nil }
