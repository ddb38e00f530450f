package ftp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
)

// segLogin is loginSteps with REST STREAM in FEAT, which ranges need.
var segLogin = []step{
	{Reply: "220 ready"},
	{Cmd: "USER anonymous", Reply: "331 password please"},
	{Cmd: "PASS anonymous@", Reply: "230 in"},
	{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MDTM\n SIZE\n REST STREAM\n211 End"},
}

// segInspect is the pipelined inspection of f (1000 bytes): TYPE I, SIZE,
// MDTM and EPSV in one write (the server answers only once it has read
// the last, which a client waiting for each reply would never send),
// EPSV answered epsv.
func segInspect(epsv string) []step {
	return []step{
		{Cmd: "TYPE I"},
		{Cmd: "SIZE f"},
		{Cmd: "MDTM f"},
		{Cmd: "EPSV", Reply: "200 binary\n213 1000\n213 20260102030405\n" + epsv},
	}
}

var segMtime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// segResume runs a segmented download of f over a Pool of one
// connection to srv, resuming after its first 400 bytes: the range
// [400, 1000) needs REST 400. dst holds the first 400 bytes of content
// and '#' after them.
func segResume(t *testing.T, srv *scripted.Server, content []byte) (writerAt, int64, error) {
	t.Helper()
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConns: 1})
	defer p.Close()
	dst := make(writerAt, len(content))
	copy(dst, content[:400])
	copy(dst[400:], bytes.Repeat([]byte("#"), len(content)-400))
	st := &ftp.SegmentState{Size: int64(len(content)), ModTime: segMtime, Done: []ftp.Range{{Start: 0, End: 400}}}
	n, err := p.RetrSegmented(t.Context(), "f", dst, ftp.SegmentOptions{State: st})
	return dst, n, err
}

func segContent() []byte {
	return bytes.Repeat([]byte("0123456789"), 100)
}

// TestSegmentedPipelined: the first connection asks the file's type,
// size, time and a passive port in one write, opens the data connection
// while the ranges are worked out, then sends REST and RETR in one write
// (the server answers REST only once RETR is read); the range's bytes
// land at their offset, byte-exact.
func TestSegmentedPipelined(t *testing.T) {
	t.Parallel()
	content := segContent()
	srv := scripted.New(t, script(segLogin, segInspect("229 ok ({EPSV})"), []step{
		{Cmd: "REST 400"},
		{Cmd: "RETR f", Reply: "350 restarting at 400\n150 go", Data: content[400:]},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	dst, n, err := segResume(t, srv, content)
	if err != nil || n != 600 || !bytes.Equal(dst, content) {
		t.Fatalf("RetrSegmented = %d, %v; identical %v", n, err, bytes.Equal(dst, content))
	}
}

// TestSegmentedRESTRefusedPipelined: REST answered 501 while RETR,
// pipelined with it, starts the file from its start: the transfer is
// aborted, the download fails naming REST, and not a byte of what the
// data connection carried (the file from offset 0) is written at the
// range's offset.
func TestSegmentedRESTRefusedPipelined(t *testing.T) {
	t.Parallel()
	content := segContent()
	srv := scripted.New(t, script(segLogin, segInspect("229 ok ({EPSV})"), []step{
		{Cmd: "REST 400"},
		{Cmd: "RETR f", Reply: "501 REST not taken\n150 go", Data: content, DataMayFail: true},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
	})...)
	var dst writerAt
	var n int64
	var err error
	elapsedWithin(t, 1, func() { dst, n, err = segResume(t, srv, content) })
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 501 || !strings.Contains(err.Error(), "REST") {
		t.Fatalf("RetrSegmented with REST refused = %d, %v; want the 501 to REST", n, err)
	}
	if n != 0 || !bytes.Equal(dst[:400], content[:400]) || strings.Trim(string(dst[400:]), "#") != "" {
		t.Errorf("%d bytes written; the range holds %q, want it untouched", n, dst[400:])
	}
}

// TestSegmentedEPSVRefusedPipelined: EPSV refused in the pipelined
// inspection: the range opens its data connection with PASV, then REST
// (answered 350 before RETR is sent), byte-exact.
func TestSegmentedEPSVRefusedPipelined(t *testing.T) {
	t.Parallel()
	content := segContent()
	srv := scripted.New(t, script(segLogin, segInspect("500 EPSV not understood"), []step{
		{Cmd: "PASV", Reply: "227 ok ({PASV})"},
		{Cmd: "REST 400", Reply: "350 restarting at 400"},
		{Cmd: "RETR f", Reply: "150 go", Data: content[400:]},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	dst, n, err := segResume(t, srv, content)
	if err != nil || n != 600 || !bytes.Equal(dst, content) {
		t.Fatalf("RetrSegmented = %d, %v; identical %v", n, err, bytes.Equal(dst, content))
	}
}

// TestSegmentedMissingOneConn: SIZE answered 550 in the pipelined
// inspection: the file is fetched over one connection, the one that
// inspected it (its EPSV port left unused, no data connection opened),
// and RETR's 550 says the file does not exist.
func TestSegmentedMissingOneConn(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(segLogin, []step{
		{Cmd: "TYPE I"},
		{Cmd: "SIZE f"},
		{Cmd: "MDTM f"},
		{Cmd: "EPSV", Reply: "200 binary\n550 f: no such file\n550 f: no such file\n229 ok ({EPSV})"},
		{Cmd: "EPSV"},
		{Cmd: "RETR f", Reply: "229 ok ({EPSV})\n550 f: no such file"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConns: 1})
	n, err := p.RetrSegmented(t.Context(), "f", make(writerAt, 10), ftp.SegmentOptions{})
	if !errors.Is(err, fs.ErrNotExist) || n != 0 {
		t.Errorf("RetrSegmented of a missing file = %d, %v; want fs.ErrNotExist", n, err)
	}
	p.Close()
}

// TestSegmentedAheadDialFails: the data connection opened ahead cannot
// be made (EPSV names a closed port): the Conn, in step, fetches its
// range with EPSV, REST and RETR of its own, byte-exact.
func TestSegmentedAheadDialFails(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	content := segContent()
	srv := scripted.New(t, script(segLogin, segInspect(fmt.Sprintf("229 ok (|||%d|)", closed)), []step{
		{Cmd: "EPSV"},
		{Cmd: "REST 400"},
		{Cmd: "RETR f", Reply: "229 ok ({EPSV})\n350 restarting at 400\n150 go", Data: content[400:]},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	dst, n, err := segResume(t, srv, content)
	if err != nil || n != 600 || !bytes.Equal(dst, content) {
		t.Fatalf("RetrSegmented = %d, %v; identical %v", n, err, bytes.Equal(dst, content))
	}
}
