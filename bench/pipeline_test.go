//go:build linux

package bench_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/bench/internal/delayproxy"
)

// TestPipelinedBatchCommands runs Pool batches of small files through the
// delaying proxy in front of vsftpd and checks, from the proxy's command
// counts, what each file costs: one EPSV and one RETR per downloaded file;
// EPSV, STOR, SIZE, RNFR and RNTO per uploaded one; no command repeated
// and no connection replaced (the deep pipelining held on vsftpd). The
// time against the floor (files × RTT ÷ connections) is logged, not
// asserted.
func TestPipelinedBatchCommands(t *testing.T) {
	t.Parallel()
	srv := server(t, "vsftpd", false)
	const (
		files = 40
		conns = 4
		delay = 5 * time.Millisecond
	)
	dir := fmt.Sprintf("pipe-%d", time.Now().UnixNano())
	if err := os.Mkdir(filepath.Join(srv.dir, dir), 0o755); err != nil {
		t.Fatal(err)
	}
	srv.chown(filepath.Join(srv.dir, dir))
	contents := make([][]byte, files)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte{byte(i)}, 1000+i)
		p := filepath.Join(srv.dir, dir, fmt.Sprintf("f%02d", i))
		if err := os.WriteFile(p, contents[i], 0o644); err != nil {
			t.Fatal(err)
		}
		srv.chown(p)
	}
	px, err := delayproxy.Start(srv.addr, delayproxy.Options{Delay: delay})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	pool := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: srv.dialer(), User: srv.user, Password: srv.pass, MaxConns: conns})
	defer pool.Close()
	ctx := t.Context()
	// Log the connections in first: the counts below are the batches'.
	var held []*ftp.Conn
	for range conns {
		c, err := pool.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		pool.Put(c)
	}
	floor := time.Duration(files) * 2 * delay / conns

	px.ResetStats()
	sinks := make([]bytes.Buffer, files)
	var items []ftp.RetrItem
	for i := range files {
		items = append(items, ftp.RetrItem{Path: fmt.Sprintf("%s/f%02d", dir, i), Size: int64(len(contents[i])), SizeKnown: true,
			Open: func() (io.Writer, error) { return &sinks[i], nil }})
	}
	start := time.Now()
	if err := pool.RetrBatch(ctx, items); err != nil {
		t.Fatalf("RetrBatch: %v", err)
	}
	took := time.Since(start)
	for i := range files {
		if !bytes.Equal(sinks[i].Bytes(), contents[i]) {
			t.Errorf("f%02d: %d bytes, want %d", i, sinks[i].Len(), len(contents[i]))
		}
	}
	st := px.Stats()
	t.Logf("download: %v = %.1f × floor; %v", took, float64(took)/float64(floor), st)
	if st.Commands["RETR"] != files || st.Commands["EPSV"] != files || st.DataConns != files || st.Sessions != 0 {
		t.Errorf("download commands: %v; want %d RETR, %d EPSV, %d data connections, no new session", st, files, files, files)
	}

	px.ResetStats()
	up := dir + "/up"
	c, err := pool.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Mkd(ctx, up); err != nil {
		t.Fatal(err)
	}
	pool.Put(c)
	var sitems []ftp.StorItem
	for i := range files {
		sitems = append(sitems, ftp.StorItem{
			Path: fmt.Sprintf("%s/f%02d", up, i), Temp: fmt.Sprintf("%s/.f%02d.part", up, i), Size: int64(len(contents[i])),
			Open: func() (io.Reader, error) { return bytes.NewReader(contents[i]), nil },
		})
	}
	start = time.Now()
	if err := pool.StorBatch(ctx, sitems); err != nil {
		t.Fatalf("StorBatch: %v", err)
	}
	took = time.Since(start)
	st = px.Stats()
	t.Logf("upload: %v = %.1f × floor; %v", took, float64(took)/float64(floor), st)
	for _, verb := range []string{"EPSV", "STOR", "SIZE", "RNFR", "RNTO"} {
		if st.Commands[verb] != files {
			t.Errorf("upload: %d %s, want %d (%v)", st.Commands[verb], verb, files, st)
		}
	}
	if st.Sessions != 0 || st.DataConns != files {
		t.Errorf("upload: %d new sessions, %d data connections; want 0, %d", st.Sessions, st.DataConns, files)
	}
	for i := range files {
		got, err := os.ReadFile(filepath.Join(srv.dir, up, fmt.Sprintf("f%02d", i)))
		if err != nil || !bytes.Equal(got, contents[i]) {
			t.Errorf("uploaded f%02d: %d bytes, %v; want %d", i, len(got), err, len(contents[i]))
		}
	}
}

// TestPoolFinishing checks Pool.Finishing on vsftpd through the delaying
// proxy: each connection of a batch sends QUIT with its last commands
// (behind its last RETR; with its last RNFR and RNTO, or its last SIZE
// when there is nothing to rename), so that every QUIT
// has gone out and been answered when the batch returns, and Close has
// none left to send; every file is byte-exact.
func TestPoolFinishing(t *testing.T) {
	t.Parallel()
	srv := server(t, "vsftpd", false)
	const (
		files = 24
		conns = 3
	)
	dir := fmt.Sprintf("finish-%d", time.Now().UnixNano())
	if err := os.Mkdir(filepath.Join(srv.dir, dir), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(srv.dir, dir), 0o777)
	contents := make([][]byte, files)
	for i := range contents {
		contents[i] = bytes.Repeat([]byte{byte(i + 1)}, 500+i)
		p := filepath.Join(srv.dir, dir, fmt.Sprintf("f%02d", i))
		if err := os.WriteFile(p, contents[i], 0o644); err != nil {
			t.Fatal(err)
		}
		srv.chown(p)
	}
	px, err := delayproxy.Start(srv.addr, delayproxy.Options{Delay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	ctx := t.Context()
	run := func(name string, batch func(p *ftp.Pool) error) {
		p := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: srv.dialer(), User: srv.user, Password: srv.pass, MaxConns: conns})
		defer p.Close()
		px.ResetStats()
		p.Finishing()
		if err := batch(p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st := px.Stats()
		if st.Sessions < 2 || st.Commands["QUIT"] != st.Sessions {
			t.Errorf("%s: %d QUIT for %d sessions when the batch returned, want one each (%v)", name, st.Commands["QUIT"], st.Sessions, st)
		}
		p.Close()
		if after := px.Stats(); after.Commands["QUIT"] != st.Commands["QUIT"] {
			t.Errorf("%s: Close sent %d more QUIT", name, after.Commands["QUIT"]-st.Commands["QUIT"])
		}
	}
	sinks := make([]bytes.Buffer, files)
	run("RetrBatch", func(p *ftp.Pool) error {
		var items []ftp.RetrItem
		for i := range files {
			items = append(items, ftp.RetrItem{Path: fmt.Sprintf("%s/f%02d", dir, i), Size: int64(len(contents[i])), SizeKnown: true,
				Open: func() (io.Writer, error) { return &sinks[i], nil }})
		}
		return p.RetrBatch(ctx, items)
	})
	for i := range files {
		if !bytes.Equal(sinks[i].Bytes(), contents[i]) {
			t.Errorf("f%02d: %d bytes, want %d", i, sinks[i].Len(), len(contents[i]))
		}
	}
	run("StorBatch", func(p *ftp.Pool) error {
		var items []ftp.StorItem
		for i := range files {
			items = append(items, ftp.StorItem{
				Path: fmt.Sprintf("%s/g%02d", dir, i), Temp: fmt.Sprintf("%s/.g%02d.part", dir, i), Size: int64(len(contents[i])),
				Open: func() (io.Reader, error) { return bytes.NewReader(contents[i]), nil },
			})
		}
		return p.StorBatch(ctx, items)
	})
	// Without a rename or a time to set, QUIT goes with the last SIZE,
	// behind the last STOR.
	run("StorBatch without Temp", func(p *ftp.Pool) error {
		var items []ftp.StorItem
		for i := range files {
			items = append(items, ftp.StorItem{
				Path: fmt.Sprintf("%s/h%02d", dir, i), Size: int64(len(contents[i])),
				Open: func() (io.Reader, error) { return bytes.NewReader(contents[i]), nil },
			})
		}
		return p.StorBatch(ctx, items)
	})
	for _, prefix := range []string{"g", "h"} {
		for i := range files {
			got, err := os.ReadFile(filepath.Join(srv.dir, dir, fmt.Sprintf("%s%02d", prefix, i)))
			if err != nil || !bytes.Equal(got, contents[i]) {
				t.Errorf("uploaded %s%02d: %d bytes, %v; want %d", prefix, i, len(got), err, len(contents[i]))
			}
		}
	}
}
