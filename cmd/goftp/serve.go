package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

func (a *app) serve(args []string) error {
	fs := a.subFlags("serve", "tls")
	root := fs.String("root", "", "serve the local directory `DIR` (default: sample files in memory)")
	addr := fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: any free port)")
	mode := fs.String("tls", a.g.tls, "offer TLS: none, explicit (AUTH TLS) or implicit")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments")
	}
	opts := ftptest.Options{Root: *root, Addr: *addr}
	switch *mode {
	case "", "none":
	case "explicit":
		opts.TLS = ftptest.TLSExplicit
	case "implicit":
		opts.TLS = ftptest.TLSImplicit
	default:
		return usagef("--tls must be none, explicit or implicit, not %q", *mode)
	}
	if *root == "" {
		sample, err := subFS(demoFiles, "demo")
		if err != nil {
			return err
		}
		opts.Files = sample
	}
	user, password := ftptest.DefaultUser, ftptest.DefaultPassword
	if a.g.user != "" {
		// --user NAME serves that account; its password is
		// $FTP_PASSWORD, as for the client commands, or a new one.
		user = a.g.user
		if strings.ContainsAny(user, "\r\n\x00") {
			return usagef("--user: a user name cannot hold control characters")
		}
		password = ""
	}
	if env := a.getenv("FTP_PASSWORD"); env != "" && a.g.user != "" {
		password = env
	} else if host, _, err := net.SplitHostPort(*addr); err != nil || !isLoopback(host) || password == "" {
		// Reachable by others, or a user of the caller's: no well-known
		// password.
		b := make([]byte, 9)
		rand.Read(b)
		password = hex.EncodeToString(b)
	}
	opts.Users = map[string]string{user: password}
	if a.g.verbose > 0 {
		opts.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := ftptest.NewServer(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	what := "sample files in memory"
	if *root != "" {
		what = srv.Root
	}
	a.printf(a.stdout, "goftp serve: serving %s at %s/\n", what, srv.URL())
	shown := password
	if env := a.getenv("FTP_PASSWORD"); a.g.user != "" && env != "" && env == password {
		shown = "(from FTP_PASSWORD)"
	}
	a.printf(a.stdout, "user: %s  password: %s\n", ftp.EscapeText(user), shown)
	ca := ""
	if cert := srv.Certificate(); cert != nil {
		dir, err := os.MkdirTemp("", "goftp-serve-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		ca = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
			return err
		}
		a.printf(a.stdout, "certificate (self-signed): %s\n", ca)
		ca = " --ca " + ca
	}
	tryPass := "FTP_PASSWORD=" + password
	if shown != password {
		tryPass = "FTP_PASSWORD=..."
	}
	a.printf(a.stdout, "try: %s goftp ls -l%s %s://%s@%s/\n", tryPass, ca, schemeOf(srv.URL()), url.PathEscape(user), srv.Addr)
	a.printf(a.stdout, "Press Ctrl-C to stop.\n")
	<-a.ctx.Done()
	a.printf(a.stdout, "goftp serve: stopped\n")
	return nil
}

// subFS is fs.Sub, for functions whose FlagSet is named fs.
func subFS(f fs.FS, dir string) (fs.FS, error) { return fs.Sub(f, dir) }

// isLoopback reports whether host names the loopback interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// schemeOf returns the scheme of a URL such as "ftpes://host:port".
func schemeOf(url string) string {
	scheme, _, _ := strings.Cut(url, ":")
	return scheme
}
