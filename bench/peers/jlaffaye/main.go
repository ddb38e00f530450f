// Command jlaffaye is the github.com/jlaffaye/ftp peer of bench/compare.sh,
// with the command line of bench/cmd/goftpbench:
//
//	jlaffaye -addr HOST:PORT -user U -pass P [-tls -ca FILE] [-p N] OP ARGS
//
// It uses the library the way its README does: Retr and io.Copy into a
// file, Stor from a file, one ServerConn per goroutine for -p N. MLSD is
// disabled so that List sends LIST, like the other clients. "parse FILE"
// times its LIST line parser alone (see parse.go).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"
)

type config struct {
	addr, user, pass string
	p                int
	opts             []ftp.DialOption
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("jlaffaye", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	fl.StringVar(&cfg.addr, "addr", "", "server host:port")
	fl.StringVar(&cfg.user, "user", "anonymous", "user name")
	fl.StringVar(&cfg.pass, "pass", "anonymous", "password")
	useTLS := fl.Bool("tls", false, "explicit TLS (AUTH TLS, PROT P)")
	ca := fl.String("ca", "", "PEM file of the CA to trust (with -tls)")
	fl.IntVar(&cfg.p, "p", 1, "connections for mget/mput")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.Arg(0) == "parse" && fl.NArg() == 2 {
		if err := parse(stdout, fl.Arg(1)); err != nil {
			fmt.Fprintln(stderr, "jlaffaye:", err)
			return 1
		}
		return 0
	}
	if cfg.addr == "" || fl.NArg() < 1 {
		fmt.Fprintln(stderr, "usage: jlaffaye -addr HOST:PORT [flags] get|put|mget|mput|list ARGS")
		return 2
	}
	cfg.opts = []ftp.DialOption{ftp.DialWithTimeout(time.Minute), ftp.DialWithDisabledMLSD(true)}
	if *useTLS {
		host, _, _ := net.SplitHostPort(cfg.addr)
		tc := &tls.Config{ServerName: host, ClientSessionCache: tls.NewLRUClientSessionCache(8)}
		if *ca != "" {
			pem, err := os.ReadFile(*ca)
			if err != nil {
				fmt.Fprintln(stderr, "jlaffaye:", err)
				return 1
			}
			tc.RootCAs = x509.NewCertPool()
			tc.RootCAs.AppendCertsFromPEM(pem)
		}
		cfg.opts = append(cfg.opts, ftp.DialWithExplicitTLS(tc))
	}
	op, rest := fl.Arg(0), fl.Args()[1:]
	var err error
	switch {
	case op == "get" && len(rest) == 2:
		err = withConn(&cfg, func(c *ftp.ServerConn) error { return get(c, rest[0], rest[1]) })
	case op == "put" && len(rest) == 2:
		err = withConn(&cfg, func(c *ftp.ServerConn) error { return put(c, rest[0], rest[1]) })
	case op == "mget" && len(rest) == 2:
		err = mget(&cfg, rest[0], rest[1])
	case op == "mput" && len(rest) == 2:
		err = mput(&cfg, rest[0], rest[1])
	case op == "list" && len(rest) == 1:
		err = withConn(&cfg, func(c *ftp.ServerConn) error {
			entries, err := c.List(rest[0])
			fmt.Fprintln(stdout, len(entries))
			return err
		})
	default:
		fmt.Fprintf(stderr, "jlaffaye: bad operation %q %q\n", op, rest)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "jlaffaye:", err)
		return 1
	}
	return 0
}

func dial(cfg *config) (*ftp.ServerConn, error) {
	c, err := ftp.Dial(cfg.addr, cfg.opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Login(cfg.user, cfg.pass); err != nil {
		c.Quit()
		return nil, err
	}
	return c, nil
}

func withConn(cfg *config, fn func(*ftp.ServerConn) error) error {
	c, err := dial(cfg)
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		c.Quit()
		return err
	}
	return c.Quit()
}

func get(c *ftp.ServerConn, remote, local string) error {
	r, err := c.Retr(remote)
	if err != nil {
		return err
	}
	f, err := os.Create(local)
	if err != nil {
		r.Close()
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, r.Close(), f.Close())
}

func put(c *ftp.ServerConn, local, remote string) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Stor(remote, f)
}

// each runs fn for every name on cfg.p connections, one goroutine each.
func each(cfg *config, names []string, fn func(*ftp.ServerConn, string) error) error {
	jobs := make(chan string)
	errs := make(chan error, cfg.p)
	var wg sync.WaitGroup
	for range max(cfg.p, 1) {
		wg.Go(func() {
			c, err := dial(cfg)
			if err != nil {
				errs <- err
				for range jobs {
				}
				return
			}
			defer c.Quit()
			for n := range jobs {
				if err := fn(c, n); err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
			}
		})
	}
	for _, n := range names {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var err error
	for e := range errs {
		err = errors.Join(err, e)
	}
	return err
}

func mget(cfg *config, rdir, ldir string) error {
	if err := os.MkdirAll(ldir, 0o755); err != nil {
		return err
	}
	var names []string
	if err := withConn(cfg, func(c *ftp.ServerConn) error {
		var err error
		names, err = c.NameList(rdir)
		return err
	}); err != nil {
		return err
	}
	all := names
	names = nil
	for _, n := range all {
		if b := path.Base(n); b != "." && b != ".." {
			names = append(names, b)
		}
	}
	return each(cfg, names, func(c *ftp.ServerConn, n string) error {
		return get(c, rdir+"/"+n, filepath.Join(ldir, n))
	})
}

func mput(cfg *config, ldir, rdir string) error {
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
	return each(cfg, names, func(c *ftp.ServerConn, n string) error {
		return put(c, filepath.Join(ldir, n), rdir+"/"+n)
	})
}
