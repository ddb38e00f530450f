package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestGetKeepAliveThroughNAT runs goftp get through a proxy that drops
// control connections idle for a second (as NAT boxes drop them after
// minutes) and slows the data so that a download lasts several seconds,
// on every real server. With --keepalive the download completes. With
// --keepalive 0 and --retries 0 the 226 never arrives: get fails, and the
// bytes received stay in the partial file, all of them, which get -c then
// confirms (it compares the last 64 KiB again) and installs.
func TestGetKeepAliveThroughNAT(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, e := kindServer(t, kind)
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			px.DropIdle(time.Second)
			px.SlowData(1 << 20)
			e.base = fmt.Sprintf("ftp://%s@%s", srv.User, px.Addr)
			data := bigData(8<<20 + 5)
			if err := srv.WriteFile("nat/f.bin", data); err != nil {
				t.Fatal(err)
			}

			// --keepalive 0: dropped, and nothing received is lost.
			dir := t.TempDir()
			r := e.run(t, "--keepalive", "0", "--retries", "0", "get", "-o", dir+"/", e.url("nat/f.bin"))
			r.failed(t, "goftp: ")
			t.Logf("--keepalive 0: exit %d: %s", r.code, r.stderr)
			if px.Dropped.Load() == 0 {
				t.Fatalf("the proxy dropped no control connection:\n%s", r.stderr)
			}
			part, err := os.ReadFile(filepath.Join(dir, ".f.bin.goftp-part"))
			if err != nil {
				t.Fatalf("no partial file after the dropped control connection: %v\n%s", err, r.stderr)
			}
			sameBytes(t, "partial file after the dropped control connection", part, data)
			if _, err := os.Stat(filepath.Join(dir, "f.bin")); !os.IsNotExist(err) {
				t.Errorf("f.bin installed without a 226: %v", err)
			}

			// get -c confirms the bytes and installs the file.
			dropped := px.Dropped.Load()
			e.run(t, "--retries", "0", "get", "-c", "-o", dir+"/", e.url("nat/f.bin")).want(t, 0, nil, nil)
			got, err := os.ReadFile(filepath.Join(dir, "f.bin"))
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "f.bin after get -c", got, data)
			if _, err := os.Stat(filepath.Join(dir, ".f.bin.goftp-part")); !os.IsNotExist(err) {
				t.Errorf("the partial file is still there after get -c: %v", err)
			}

			// --keepalive: the same download completes.
			dir = t.TempDir()
			start := time.Now()
			e.run(t, "--keepalive", "200ms", "--retries", "0", "get", "-o", dir+"/", e.url("nat/f.bin")).want(t, 0, nil, nil)
			if took := time.Since(start); took < 3*time.Second {
				t.Errorf("the download took %v, not several times the idle limit: the test proves nothing", took)
			}
			got, err = os.ReadFile(filepath.Join(dir, "f.bin"))
			if err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "f.bin with --keepalive", got, data)
			if d := px.Dropped.Load(); d != dropped {
				t.Errorf("the proxy dropped %d control connections despite --keepalive", d-dropped)
			}
		})
	}
}
