package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/scripted"
)

func TestPoolRetrResumesAfterTransientFailure(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("0123456789"), 1000)
	srv := scripted.New(t, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR f", Reply: "150 go", Data: content[:3000]},
		{Reply: "426 Connection closed; transfer aborted."},
		{Cmd: "SIZE f", Reply: "213 10000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 3000", Reply: "350 ok"},
		{Cmd: "RETR f", Reply: "150 go", Data: content[3000:]},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConns: 1})
	var got bytes.Buffer
	n, err := p.RetrBinary(t.Context(), "f", &got, 0)
	if err != nil || n != int64(len(content)) || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("RetrBinary = %d, %v; identical %v", n, err, bytes.Equal(got.Bytes(), content))
	}
	p.Close()
}

func TestPoolStorResumesAfterTransientFailure(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("abcdefghij"), 100000)
	srv := scripted.New(t, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "STOR up", Reply: "150 go", Recv: true, RecvN: 4000},
		{Reply: "426 Connection closed; transfer aborted."},
		{Cmd: "SIZE up", Reply: "213 4000"},
		{Cmd: "SIZE up", Reply: "213 4000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 4000", Reply: "350 ok"},
		{Cmd: "STOR up", Reply: "150 go", Recv: true},
		{Reply: "226 done"},
		{Cmd: "SIZE up", Reply: "213 1000000"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConns: 1})
	n, err := p.StorBinary(t.Context(), "up", bytes.NewReader(content), 0)
	if err != nil || n != int64(len(content)) {
		t.Fatalf("StorBinary = %d, %v", n, err)
	}
	p.Close()
	r := srv.Received()
	if len(r) != 2 || !bytes.Equal(append(r[0], r[1]...), content) {
		t.Errorf("server received %d parts; joined identical: %v", len(r), len(r) == 2 && bytes.Equal(append(r[0], r[1]...), content))
	}
}

func TestIsTransient(t *testing.T) {
	t.Parallel()
	// One classifier: IsTransient agrees with ReplyError.Temporary and
	// ErrTemporary on every reply code.
	for code, want := range map[int]bool{421: true, 425: true, 426: true, 450: true, 451: true, 452: true, 500: false, 550: false, 530: false, 226: false} {
		re := &ftp.ReplyError{Code: code}
		if got := ftp.IsTransient(re); got != want || re.Temporary() != want || errors.Is(re, ftp.ErrTemporary) != want {
			t.Errorf("IsTransient(%d) = %v, Temporary %v, ErrTemporary %v; want %v", code, got, re.Temporary(), errors.Is(re, ftp.ErrTemporary), want)
		}
	}
	for _, err := range []error{&ftp.SizeError{Got: 5, Want: 10}, &ftp.ProtocolError{Msg: "x"}, context.Canceled} {
		want := errors.Is(err, ftp.ErrShortTransfer)
		if got := ftp.IsTransient(err); got != want {
			t.Errorf("IsTransient(%v) = %v, want %v", err, got, want)
		}
	}
}

// TestPoolNegativeIdleTimeoutKeepsConns checks the documented meaning of a
// negative IdleTimeout: idle connections are never closed by the reaper
// (they were quit within 10 ms, so every Get logged in again).
func TestPoolNegativeIdleTimeoutKeepsConns(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	for _, idle := range []time.Duration{-1, 20 * time.Millisecond} {
		p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, IdleTimeout: idle, MaxConns: 1})
		c1, err := p.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		p.Put(c1)
		time.Sleep(200 * time.Millisecond)
		c2, err := p.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if same := c1 == c2; same != (idle < 0) {
			t.Errorf("IdleTimeout %v: the same connection after 200 ms idle = %v", idle, same)
		}
		p.Put(c2)
		p.Close()
	}
}
