//go:build linux

// Command benchserver starts the FTP servers that bench/compare.sh measures
// clients against: one server kind (internal/ftpservers), plain and with
// explicit TLS, plus a delaying proxy (bench/internal/delayproxy) in front
// of the plain one: a wide-area link with the one-way -delay, the TCP
// handshake's round trip on every connection, and optional throughput caps
// (-conn-rate per connection, -total-rate for all, bytes per second). It prints shell assignments, then "READY", and serves
// until its standard input is closed or it gets SIGINT/SIGTERM.
//
// Lines read from standard input are commands: "stats" prints the proxy's
// counters as "STATS …" and resets them; "quit" stops.
//
//	benchserver -kind vsftpd -delay 25ms -conn-rate 8000000 -fixtures DIR
//
// Files in -fixtures are hard-linked (or copied) into both servers' roots,
// owned by the FTP user, keeping the directory structure.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/goftplib/ftp/bench/internal/delayproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("benchserver", flag.ContinueOnError)
	fl.SetOutput(stderr)
	kind := fl.String("kind", "vsftpd", "server: vsftpd, pureftpd, proftpd, pyftpdlib")
	delay := fl.Duration("delay", 25*time.Millisecond, "one-way delay of the proxy (0: no proxy)")
	fixtures := fl.String("fixtures", "", "directory whose files are linked into the servers' roots")
	connRate := fl.Int64("conn-rate", 0, "proxy: bytes per second per connection and direction (0: no cap)")
	totalRate := fl.Int64("total-rate", 0, "proxy: bytes per second of all connections, per direction (0: no cap)")
	freeHS := fl.Bool("free-handshake", false, "proxy: new connections cost no round trip")
	trace := fl.String("trace", "", "proxy: write a line per event (connections, control lines, in ms) to this `file`")
	noTLS := fl.Bool("notls", false, "do not start the TLS server")
	reuse := fl.Bool("ssl-reuse", true, "keep the server's requirement that TLS data connections resume the control session")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "benchserver:", err)
		return 1
	}
	k := ftpservers.Kind(*kind)
	if err := ftpservers.Available(k); err != nil {
		return fail(err)
	}
	plain, err := ftpservers.Start(ctx, ftpservers.Config{Kind: k})
	if err != nil {
		return fail(err)
	}
	defer plain.Close()
	if err := link(*fixtures, plain); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "KIND=%s\nFTP_USER=%s\nFTP_PASS=%s\nCAFILE=%s\n", k, plain.User, plain.Password, plain.CAFile)
	fmt.Fprintf(stdout, "PLAIN_ADDR=%s\nPLAIN_HOST=%s\nPLAIN_PORT=%d\nPLAIN_DIR=%s\nFTP_UID=%d\nFTP_GID=%d\n", plain.Addr, plain.Host, plain.Port, plain.Dir, plain.UID, plain.GID)
	if !*noTLS {
		secure, err := ftpservers.Start(ctx, ftpservers.Config{Kind: k, TLS: ftpservers.TLSExplicit, NoSSLReuse: !*reuse})
		if err != nil {
			return fail(err)
		}
		defer secure.Close()
		if err := link(*fixtures, secure); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "TLS_ADDR=%s\nTLS_HOST=%s\nTLS_PORT=%d\nTLS_DIR=%s\nTLS_CAFILE=%s\n", secure.Addr, secure.Host, secure.Port, secure.Dir, secure.CAFile)
	}
	var proxy *delayproxy.Proxy
	if *delay > 0 {
		o := delayproxy.Options{Delay: *delay, ConnRate: *connRate, TotalRate: *totalRate, FreeHandshake: *freeHS}
		if *trace != "" {
			f, err := os.Create(*trace)
			if err != nil {
				return fail(err)
			}
			defer f.Close()
			o.Trace = f
		}
		proxy, err = delayproxy.Start(plain.Addr, o)
		if err != nil {
			return fail(err)
		}
		defer proxy.Close()
		host, port, _ := strings.Cut(proxy.Addr, ":")
		fmt.Fprintf(stdout, "PROXY_ADDR=%s\nPROXY_HOST=%s\nPROXY_PORT=%s\n", proxy.Addr, host, port)
	}
	fmt.Fprintln(stdout, "READY")

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return 0
		case l, ok := <-lines:
			if !ok || l == "quit" {
				return 0
			}
			if l == "stats" {
				if proxy == nil {
					fmt.Fprintln(stdout, "STATS none")
					continue
				}
				fmt.Fprintln(stdout, "STATS", proxy.Stats())
				proxy.ResetStats()
			}
		}
	}
}

// link makes every file below dir appear at the same place below the
// server's root, owned by the FTP user.
func link(dir string, srv *ftpservers.Server) error {
	if dir == "" {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		dst := filepath.Join(srv.Dir, rel)
		if d.IsDir() {
			return srv.MkdirAll(filepath.ToSlash(rel))
		}
		if err := os.Link(p, dst); err != nil {
			if err := copyFile(dst, p); err != nil {
				return err
			}
		}
		return os.Lchown(dst, srv.UID, srv.GID)
	})
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
