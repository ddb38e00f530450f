package ftp_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

// memFile collects one downloaded file.
type memFile struct {
	bytes.Buffer
	closed bool
}

func (m *memFile) Close() error { m.closed = true; return nil }

// TestRetrBatchPipelines checks the commands of a pipelined batch
// download byte for byte, and that they are pipelined: the server sends
// the 226 of file c only once it has read the next file's EPSV and RETR,
// which a client waiting for each reply would never send (it would time
// out). A 550 on one file fails that file only.
func TestRetrBatchPipelines(t *testing.T) {
	t.Parallel()
	A, C, D := []byte("aaaa"), []byte("cc"), bytes.Repeat([]byte("d"), 100000)
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go (4 bytes)", Data: A},
		{Reply: "226 done"},
		{Cmd: "EPSV"},
		{Cmd: "RETR b", Reply: "229 ({EPSV})\n550 no such file"},
		{Cmd: "EPSV"},
		{Cmd: "RETR c", Reply: "229 ({EPSV})\n150 go", Data: C},
		{Cmd: "EPSV"},
		{Cmd: "RETR d", Reply: "226 done\n229 ({EPSV})\n150 go", Data: D},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	files := map[string]*memFile{}
	results := map[string]error{}
	var items []ftp.RetrItem
	for _, name := range []string{"a", "b", "c", "d"} {
		m := &memFile{}
		files[name] = m
		items = append(items, ftp.RetrItem{
			Path: name, Size: int64(len(D)), SizeKnown: name == "d",
			Open: func() (io.Writer, error) { return m, nil },
			Done: func(n int64, err error) { results[name] = err },
		})
	}
	err := c.RetrBatch(t.Context(), items)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 files failed") {
		t.Errorf("RetrBatch = %v, want 1 of 4 failed", err)
	}
	if !errors.Is(results["b"], fs.ErrNotExist) {
		t.Errorf("file b: %v, want fs.ErrNotExist", results["b"])
	}
	for name, want := range map[string][]byte{"a": A, "c": C, "d": D} {
		if results[name] != nil || !bytes.Equal(files[name].Bytes(), want) || !files[name].closed {
			t.Errorf("file %s: err %v, %d bytes, closed %v; want %d bytes", name, results[name], files[name].Len(), files[name].closed, len(want))
		}
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

var mfmtLogin = []step{
	{Reply: "220 ready"},
	{Cmd: "USER anonymous", Reply: "331 password please"},
	{Cmd: "PASS anonymous@", Reply: "230 in"},
	{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MDTM\n MFMT\n SIZE\n211 End"},
}

// TestStorBatchPipelines checks a pipelined batch upload: an upload's SIZE
// goes out after its 226, with the next file's EPSV and STOR, and RNFR,
// RNTO and MFMT once SIZE confirmed it, with the following file's
// commands. The bookkeeping goes between EPSV and STOR, for the server to
// do while the data connection is made. The server answers each group
// only after reading all of it, which a lock-step client would never send.
func TestStorBatchPipelines(t *testing.T) {
	t.Parallel()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c, srv := dialScript(t, nil, script(mfmtLogin, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "STOR .x.part", Reply: "150 go", Recv: true},
		{Reply: "226 done"},
		{Cmd: "SIZE .x.part", Reply: "213 3"},
		{Cmd: "RNFR .x.part", Reply: "350 ok"},
		{Cmd: "RNTO x", Reply: "250 ok"},
		{Cmd: "EPSV"},
		{Cmd: "STOR .y.part", Reply: "229 ({EPSV})\n150 go", Recv: true},
		{Reply: "226 done"},
		{Cmd: "EPSV"},
		{Cmd: "SIZE .y.part"},
		{Cmd: "STOR z", Reply: "229 ({EPSV})\n213 4\n150 go", Recv: true},
		{Reply: "226 done"},
		{Cmd: "EPSV"},
		{Cmd: "RNFR .y.part"},
		{Cmd: "RNTO y"},
		{Cmd: "MFMT 20260102030405 y"},
		{Cmd: "SIZE z"},
		{Cmd: "STOR .w.part", Reply: "229 ({EPSV})\n350 ok\n250 ok\n213 Modify=20260102030405; y\n213 2"},
		// The 553 may come after the data (the 1xx is read lazily).
		{Reply: "553 not allowed"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	var mu sync.Mutex
	results := map[string]error{}
	item := func(path, temp, data string, mt time.Time) ftp.StorItem {
		return ftp.StorItem{
			Path: path, Temp: temp, Size: int64(len(data)), ModTime: mt,
			Open: func() (io.Reader, error) { return strings.NewReader(data), nil },
			Done: func(n int64, err error) { mu.Lock(); results[path] = err; mu.Unlock() },
		}
	}
	err := c.StorBatch(t.Context(), []ftp.StorItem{
		item("x", ".x.part", "xxx", time.Time{}),
		item("y", ".y.part", "yyyy", mt),
		item("z", "", "zz", time.Time{}),
		item("w", ".w.part", "w", time.Time{}),
	})
	if err == nil || !strings.Contains(err.Error(), "1 of 4 files failed") {
		t.Errorf("StorBatch = %v, want 1 of 4 failed", err)
	}
	for _, name := range []string{"x", "y", "z"} {
		if results[name] != nil {
			t.Errorf("file %s: %v", name, results[name])
		}
	}
	var re *ftp.ReplyError
	if !errors.As(results["w"], &re) || re.Code != 553 {
		t.Errorf("file w: %v, want the 553", results["w"])
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit: %v", err)
	}
	got := srv.Received()
	want := []string{"xxx", "yyyy", "zz"}
	if len(got) != len(want) {
		t.Fatalf("received %d uploads, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("upload %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestEPSVPipelinedWithRetr checks item 1 of issue 15 byte for byte: once
// EPSV has worked, EPSV and RETR go out together (the server answers the
// EPSV only after reading RETR); REST is pipelined with RETR too, and a
// REST the server refuses makes the download fail without a byte taken
// from the transfer that started from offset 0 (ABOR, then the Conn is
// back in step); a refused EPSV is accounted for and PASV takes over.
func TestEPSVPipelinedWithRetr(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go", Data: []byte("aaa")},
		{Reply: "226 done"},
		// Pipelined: the 229 comes only once RETR was read.
		{Cmd: "EPSV"},
		{Cmd: "RETR b", Reply: "229 ({EPSV})\n150 go", Data: []byte("bb")},
		{Reply: "226 done"},
		// A resume: SIZE first, then EPSV, REST and RETR together; the
		// server ignores REST and starts from 0: nothing is kept.
		{Cmd: "SIZE c", Reply: "213 10"},
		{Cmd: "EPSV"},
		{Cmd: "REST 4"},
		{Cmd: "RETR c", Reply: "229 ({EPSV})\n502 REST not implemented\n150 go", Data: []byte("0123456789"), DataMayFail: true},
		{Cmd: "ABOR", Reply: "226 done"},
		{Cmd: "PWD", Reply: "226 ABOR ok\n257 \"/\""},
		// EPSV refused after all: RETR's reply is read too, then PASV.
		{Cmd: "EPSV"},
		{Cmd: "RETR d", Reply: "500 EPSV not understood\n425 use PASV first"},
		{Cmd: "PASV", Reply: "227 ok ({PASV})"},
		{Cmd: "RETR d", Reply: "150 go", Data: []byte("dddd")},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	ctx := t.Context()
	for _, f := range []struct{ name, want string }{{"a", "aaa"}, {"b", "bb"}} {
		var b bytes.Buffer
		if _, err := c.RetrBinary(ctx, f.name, &b, 0); err != nil || b.String() != f.want {
			t.Fatalf("RetrBinary(%s) = %q, %v; want %q", f.name, b.String(), err, f.want)
		}
	}
	var got bytes.Buffer
	_, err := c.RetrBinary(ctx, "c", &got, 4)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 502 || got.Len() != 0 {
		t.Errorf("RetrBinary(c, offset 4) = %v, %d bytes written; want the 502 to REST and nothing written", err, got.Len())
	}
	var d bytes.Buffer
	if _, err := c.RetrBinary(ctx, "d", &d, 0); err != nil || d.String() != "dddd" {
		t.Errorf("RetrBinary(d) after EPSV refused = %q, %v; want dddd", d.String(), err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

// TestStorLazyRefusal checks that Stor, once STOR goes out with EPSV
// (before the data connection is opened), returns the Writer before the
// server's 1xx, and that a refusal (553) still fails Close with the
// *ReplyError, the Conn staying usable. (When STOR follows the opening
// of the data connection, the 1xx is awaited: a server may drop bytes
// that arrive before the command.)
func TestStorLazyRefusal(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go", Data: []byte("a")},
		{Reply: "226 done"},
		{Cmd: "EPSV"},
		// No 1xx yet: the client sends its data first (a client that
		// waited for the 150 would send nothing and this step would fail);
		// the server reads it, then refuses.
		{Cmd: "STOR x", Reply: "229 ({EPSV})", Recv: true, RecvN: 4},
		{Reply: "553 not allowed"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	ctx := t.Context()
	if _, err := c.RetrBinary(ctx, "a", io.Discard, 0); err != nil {
		t.Fatal(err)
	}
	w, err := c.Stor(ctx, "x", 0)
	if err != nil {
		t.Fatalf("Stor = %v, want a Writer before the 1xx", err)
	}
	if _, err := w.Write([]byte("data")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	err = w.Close()
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 553 || !errors.Is(err, ftp.ErrPermanent) {
		t.Fatalf("Close = %v, want the 553", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit after the refusal: %v", err)
	}
}

// TestPipelinedRefusalClosesPassivePort: a server that refuses the
// command sent with EPSV may close its passive port before the client
// connects (ProFTPD refusing an anonymous STOR). The refusal, not the
// failed connection, is returned, and the Conn stays in step.
func TestPipelinedRefusalClosesPassivePort(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go", Data: []byte("a")},
		{Reply: "226 done"},
		{Cmd: "EPSV"},
		// Port 1: nothing listens there.
		{Cmd: "STOR x", Reply: "229 (|||1|)\n550 Permission denied"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	ctx := t.Context()
	if _, err := c.RetrBinary(ctx, "a", io.Discard, 0); err != nil {
		t.Fatal(err)
	}
	_, err := c.StorBinary(ctx, "x", strings.NewReader("x"), 0)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 550 || !errors.Is(err, ftp.ErrPermanent) {
		t.Errorf("StorBinary = %v, want the 550", err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit: %v", err)
	}
}
