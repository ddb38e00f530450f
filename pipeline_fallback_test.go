package ftp_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// lockstepProxy stands for a server that cannot take pipelined commands:
// a line that arrives while the reply to the previous command is still
// due is dropped, as a server that flushes its input after each command
// would.
type lockstepProxy struct {
	addr    string
	dropped atomic.Int64
}

func startLockstepProxy(t *testing.T, target string) *lockstepProxy {
	t.Helper()
	p := &lockstepProxy{}
	p.addr = frontProxy(t, target, nil, func(wg *sync.WaitGroup, c, s net.Conn) {
		var busy atomic.Bool
		busy.Store(true) // until the greeting
		// Server to client: note each final reply.
		wg.Go(func() {
			defer c.Close()
			br := bufio.NewReader(s)
			multi := ""
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if _, err := c.Write([]byte(line)); err != nil {
					return
				}
				switch {
				case multi != "":
					if strings.HasPrefix(line, multi+" ") {
						multi = ""
						busy.Store(false)
					}
				case len(line) > 3 && line[3] == '-':
					multi = line[:3]
				case len(line) > 3 && line[0] >= '2' && line[0] <= '5':
					busy.Store(false)
				}
			}
		})
		// Client to server, one command at a time.
		wg.Go(func() {
			defer s.Close()
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if busy.Load() {
					p.dropped.Add(1)
					continue
				}
				busy.Store(true)
				if _, err := s.Write([]byte(line)); err != nil {
					return
				}
			}
		})
	})
	return p
}

// TestPoolBatchFallsBackToLockstep runs Pool batches against a server
// that drops pipelined commands: the silence is taken for what it is, the
// batch finishes in lock-step on new connections, byte-exact, and the
// Pool remembers it (the next batch drops nothing).
func TestPoolBatchFallsBackToLockstep(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{}
	for i := range 6 {
		files[fmt.Sprintf("f%d", i)] = &fstest.MapFile{Data: bytes.Repeat([]byte{byte('a' + i)}, 100+i), ModTime: time.Now()}
	}
	srv := ftptest.New(t, ftptest.Options{Files: files})
	px := startLockstepProxy(t, srv.Addr)
	p := ftp.NewPool(px.addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: time.Second}, User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 2})
	defer p.Close()
	batch := func() {
		t.Helper()
		sinks := make([]bytes.Buffer, len(files))
		var items []ftp.RetrItem
		for i := range sinks {
			items = append(items, ftp.RetrItem{Path: fmt.Sprintf("f%d", i), Open: func() (io.Writer, error) { return &sinks[i], nil }})
		}
		if err := p.RetrBatch(t.Context(), items); err != nil {
			t.Fatalf("RetrBatch: %v", err)
		}
		for i := range sinks {
			if want := files[fmt.Sprintf("f%d", i)].Data; !bytes.Equal(sinks[i].Bytes(), want) {
				t.Errorf("f%d = %q, want %q", i, sinks[i].Bytes(), want)
			}
		}
	}
	batch()
	if px.dropped.Load() == 0 {
		t.Fatal("no pipelined command was sent (the test proves nothing)")
	}
	before := px.dropped.Load()
	batch()
	if d := px.dropped.Load() - before; d != 0 {
		t.Errorf("the second batch pipelined again (%d commands dropped): the Pool did not remember", d)
	}
}
