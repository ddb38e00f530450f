// Command goftpbench is this library's client in bench/compare.sh: the
// same operations, with the same command line, as the peers
// (bench/peers/ftplib_bench.py, bench/peers/jlaffaye).
//
//	goftpbench -addr HOST:PORT -user U -pass P [-tls -ca FILE [-tlsinfo]] [-p N] [-batch] [-n N]
//	           [-cpuprofile FILE] OP ARGS
//
// OP is one of:
//
//	get REMOTE LOCAL         Conn.RetrBinary into a file (splice on plain TCP);
//	                         with -n N, Pool.RetrSegmented over N connections
//	put LOCAL REMOTE         Conn.StorBinary from a file (sendfile on plain TCP)
//	mget REMOTEDIR LOCALDIR  NLST, then every file: one Conn, or a Pool of -p N;
//	                         with -batch, one Pool.RetrBatch (pipelined)
//	mput LOCALDIR REMOTEDIR  every file of LOCALDIR: one Conn, or a Pool of -p N;
//	                         with -batch, one Pool.StorBatch (pipelined)
//	list REMOTEDIR           LIST; prints the number of lines
//	parse FILE               listing.Parse on the lines of FILE; prints
//	                         "parsed=N seconds=S" (parse time only)
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	addr, user, pass string
	p                int
	batch            bool
	segments         int
	d                ftp.Dialer
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	fl := flag.NewFlagSet("goftpbench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	fl.StringVar(&cfg.addr, "addr", "", "server host:port")
	fl.StringVar(&cfg.user, "user", "anonymous", "user name")
	fl.StringVar(&cfg.pass, "pass", "", "password")
	useTLS := fl.Bool("tls", false, "explicit TLS (AUTH TLS, PROT P)")
	ca := fl.String("ca", "", "PEM file of the CA to trust (with -tls)")
	fl.IntVar(&cfg.p, "p", 1, "connections for mget/mput")
	fl.IntVar(&cfg.segments, "n", 1, "get: ranges fetched at once over as many connections (Pool.RetrSegmented)")
	fl.BoolVar(&cfg.batch, "batch", false, "mget/mput as one pipelined batch of a Pool (RetrBatch/StorBatch)")
	cpuprofile := fl.String("cpuprofile", "", "write a CPU profile of the operation to this file (go tool pprof)")
	tlsInfo := fl.Bool("tlsinfo", false, "with -tls: print on stderr the time, version and cipher suite of each TLS handshake, and the time at the end")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.Arg(0) == "parse" && fl.NArg() == 2 {
		if err := parse(stdout, fl.Arg(1)); err != nil {
			fmt.Fprintln(stderr, "goftpbench:", err)
			return 1
		}
		return 0
	}
	if cfg.addr == "" || fl.NArg() < 1 {
		fmt.Fprintln(stderr, "usage: goftpbench -addr HOST:PORT [flags] get|put|mget|mput|list ARGS")
		return 2
	}
	cfg.d.Timeout = time.Minute
	if *useTLS {
		cfg.d.TLS = &tls.Config{}
		if *ca != "" {
			pem, err := os.ReadFile(*ca)
			if err != nil {
				fmt.Fprintln(stderr, "goftpbench:", err)
				return 1
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			cfg.d.TLS.RootCAs = pool
		}
		if *tlsInfo {
			cfg.d.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
				fmt.Fprintf(stderr, "tls: %.3fs %s %s resumed=%v\n", time.Since(start).Seconds(), tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.DidResume)
				return nil
			}
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "goftpbench:", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "goftpbench:", err)
			return 1
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	op, rest := fl.Arg(0), fl.Args()[1:]
	want := map[string]int{"get": 2, "put": 2, "mget": 2, "mput": 2, "list": 1}
	if n, ok := want[op]; !ok || len(rest) != n {
		fmt.Fprintf(stderr, "goftpbench: bad operation %q %q\n", op, rest)
		return 2
	}
	var err error
	switch op {
	case "get":
		if cfg.segments > 1 {
			err = segmented(ctx, &cfg, rest[0], rest[1])
			break
		}
		err = withConn(ctx, &cfg, func(c *ftp.Conn) error { return get(ctx, c, rest[0], rest[1]) })
	case "put":
		err = withConn(ctx, &cfg, func(c *ftp.Conn) error { return put(ctx, c, rest[0], rest[1]) })
	case "mget":
		if cfg.batch {
			err = mgetBatch(ctx, &cfg, rest[0], rest[1])
		} else {
			err = mget(ctx, &cfg, rest[0], rest[1])
		}
	case "mput":
		if cfg.batch {
			err = mputBatch(ctx, &cfg, rest[0], rest[1])
		} else {
			err = mput(ctx, &cfg, rest[0], rest[1])
		}
	case "list":
		err = withConn(ctx, &cfg, func(c *ftp.Conn) error {
			lines, err := c.List(ctx, rest[0])
			fmt.Fprintln(stdout, len(lines))
			return err
		})
	}
	if err != nil {
		fmt.Fprintln(stderr, "goftpbench:", err)
		return 1
	}
	if *tlsInfo {
		fmt.Fprintf(stderr, "done: %.3fs\n", time.Since(start).Seconds())
	}
	return 0
}

func withConn(ctx context.Context, cfg *config, fn func(*ftp.Conn) error) error {
	c, err := cfg.d.Dial(ctx, cfg.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Login(ctx, cfg.user, cfg.pass); err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return err
	}
	return c.Quit(ctx)
}

func get(ctx context.Context, c *ftp.Conn, remote, local string) error {
	f, err := os.Create(local)
	if err != nil {
		return err
	}
	_, err = c.RetrBinary(ctx, remote, f, 0)
	return errors.Join(err, f.Close())
}

func put(ctx context.Context, c *ftp.Conn, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = c.StorBinary(ctx, remote, f, 0)
	return err
}

// each runs fn for every name: on one Conn when cfg.p is 1, else on a
// Pool of cfg.p connections with cfg.p goroutines. list, when set, runs
// first on a connection and returns the names.
func each(ctx context.Context, cfg *config, names []string, list func(*ftp.Conn) ([]string, error),
	one func(*ftp.Conn, string) error, pooled func(*ftp.Pool, string) error) error {
	if cfg.p <= 1 {
		return withConn(ctx, cfg, func(c *ftp.Conn) error {
			if list != nil {
				var err error
				if names, err = list(c); err != nil {
					return err
				}
			}
			for _, n := range names {
				if err := one(c, n); err != nil {
					return err
				}
			}
			return nil
		})
	}
	p := ftp.NewPool(cfg.addr, ftp.PoolConfig{Dialer: cfg.d, User: cfg.user, Password: cfg.pass, MaxConns: cfg.p})
	defer p.Close()
	if list != nil {
		if err := p.Do(ctx, func(c *ftp.Conn) error {
			var err error
			names, err = list(c)
			return err
		}); err != nil {
			return err
		}
	}
	jobs := make(chan string)
	errs := make(chan error, cfg.p)
	var wg sync.WaitGroup
	for range cfg.p {
		wg.Go(func() {
			for n := range jobs {
				if err := pooled(p, n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, n := range names {
		select {
		case jobs <- n:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

func mget(ctx context.Context, cfg *config, rdir, ldir string) error {
	if err := os.MkdirAll(ldir, 0o755); err != nil {
		return err
	}
	list := func(c *ftp.Conn) ([]string, error) {
		all, err := c.Nlst(ctx, rdir)
		var names []string
		for _, n := range all {
			if b := path.Base(n); b != "." && b != ".." {
				names = append(names, b)
			}
		}
		return names, err
	}
	return each(ctx, cfg, nil, list,
		func(c *ftp.Conn, n string) error { return get(ctx, c, rdir+"/"+n, filepath.Join(ldir, n)) },
		func(p *ftp.Pool, n string) error {
			f, err := os.Create(filepath.Join(ldir, n))
			if err != nil {
				return err
			}
			_, err = p.RetrBinary(ctx, rdir+"/"+n, f, 0)
			return errors.Join(err, f.Close())
		})
}

func mput(ctx context.Context, cfg *config, ldir, rdir string) error {
	entries, err := os.ReadDir(ldir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return each(ctx, cfg, names, nil,
		func(c *ftp.Conn, n string) error { return put(ctx, c, filepath.Join(ldir, n), rdir+"/"+n) },
		func(p *ftp.Pool, n string) error {
			f, err := os.Open(filepath.Join(ldir, n))
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = p.StorBinary(ctx, rdir+"/"+n, f, 0)
			return err
		})
}

// pool returns a Pool of cfg.p connections.
func (cfg *config) pool() *ftp.Pool {
	return ftp.NewPool(cfg.addr, ftp.PoolConfig{Dialer: cfg.d, User: cfg.user, Password: cfg.pass, MaxConns: cfg.p})
}

// segmented downloads remote into the file local with Pool.RetrSegmented
// over cfg.segments connections.
func segmented(ctx context.Context, cfg *config, remote, local string) error {
	cfg.p = cfg.segments
	p := cfg.pool()
	defer p.Close()
	f, err := os.Create(local)
	if err != nil {
		return err
	}
	_, err = p.RetrSegmented(ctx, remote, f, ftp.SegmentOptions{Segments: cfg.segments})
	return errors.Join(err, f.Close())
}

// warm logs n connections of p in, concurrently, and returns them to the
// Pool as each is ready; wait waits for all. A real program does so while
// it lists.
func warm(ctx context.Context, p *ftp.Pool, n int) (wait func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if c, err := p.Get(ctx); err == nil {
				p.Put(c)
			}
		})
	}
	return wg.Wait
}

// mgetBatch lists rdir (ReadDir: MLSD or LIST, so that sizes are known,
// as mirror knows them) and downloads every file in one Pool.RetrBatch,
// the Pool's last work (Pool.Finishing); the Pool's other connections
// dial with the first and log in during the listing.
func mgetBatch(ctx context.Context, cfg *config, rdir, ldir string) error {
	if err := os.MkdirAll(ldir, 0o755); err != nil {
		return err
	}
	p := cfg.pool()
	defer p.Close()
	p.Finishing()
	var files []listing.Entry
	warmed := warm(ctx, p, cfg.p-1)
	if err := p.Do(ctx, func(c *ftp.Conn) error {
		all, err := c.ReadDir(ctx, rdir)
		for _, e := range all {
			if e.Type == listing.File {
				files = append(files, e)
			}
		}
		return err
	}); err != nil {
		warmed()
		return err
	}
	defer warmed() // the batch takes each warmed connection as it is ready
	items := make([]ftp.RetrItem, len(files))
	for i, e := range files {
		n := path.Base(e.Name)
		items[i] = ftp.RetrItem{
			Path:      rdir + "/" + n,
			Size:      e.Size,
			SizeKnown: true,
			Open:      func() (io.Writer, error) { return os.Create(filepath.Join(ldir, n)) },
		}
	}
	return p.RetrBatch(ctx, items)
}

// mputBatch uploads every file of ldir in one Pool.StorBatch, the Pool's
// last work (Pool.Finishing).
func mputBatch(ctx context.Context, cfg *config, ldir, rdir string) error {
	entries, err := os.ReadDir(ldir)
	if err != nil {
		return err
	}
	var items []ftp.StorItem
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		items = append(items, ftp.StorItem{
			Path: rdir + "/" + n,
			Size: -1,
			Open: func() (io.Reader, error) { return os.Open(filepath.Join(ldir, n)) },
		})
	}
	p := cfg.pool()
	defer p.Close()
	p.Finishing()
	return p.StorBatch(ctx, items)
}

// parse times listing.Parse on the lines of file, after reading them.
func parse(stdout io.Writer, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	opts := &listing.Options{Now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	start := time.Now()
	entries, err := listing.Parse(lines, opts)
	took := time.Since(start)
	bad := 0
	if err != nil {
		bad = len(lines) - len(entries)
	}
	fmt.Fprintf(stdout, "parsed=%d failed=%d seconds=%.6f\n", len(entries), bad, took.Seconds())
	return nil
}
