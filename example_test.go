package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"strings"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// exampleServer starts an in-process server holding a small tree.
func exampleServer(opts ftptest.Options) *ftptest.Server {
	if opts.Files == nil {
		opts.Files = fstest.MapFS{
			"debian/README":      {Data: []byte("Welcome to the Debian archive.\n"), ModTime: time.Date(2024, 6, 15, 10, 18, 0, 0, time.UTC)},
			"debian/pool/.keep":  {Data: nil},
			"debian/tools/a.txt": {Data: []byte("tools\n")},
		}
	}
	srv, err := ftptest.NewServer(opts)
	if err != nil {
		log.Fatal(err)
	}
	return srv
}

// The session of ftplib's documentation: connect, log in, change
// directory, list, download, quit.
func Example() {
	srv := exampleServer(ftptest.Options{})
	defer srv.Close()
	ctx := context.Background()

	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		log.Fatal(err)
	}
	rep, err := c.Cwd(ctx, "debian")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Code)
	names, err := c.Nlst(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(names, " "))
	var readme bytes.Buffer
	if _, err := c.RetrBinary(ctx, "README", &readme, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Print(readme.String())
	if err := c.Quit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 250
	// README pool tools
	// Welcome to the Debian archive.
}

// Errors are told apart with errors.Is, as ftplib's exception classes are.
func Example_errors() {
	srv := exampleServer(ftptest.Options{})
	defer srv.Close()
	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		log.Fatal(err)
	}
	_, err = c.Delete(ctx, "no-such-file")
	var re *ftp.ReplyError
	fmt.Println(errors.As(err, &re), re.Code)
	fmt.Println("permanent (error_perm):", errors.Is(err, ftp.ErrPermanent))
	fmt.Println("temporary (error_temp):", errors.Is(err, ftp.ErrTemporary))
	fmt.Println("not exist:", errors.Is(err, fs.ErrNotExist))
	_, err = c.Cwd(ctx, "evil\r\nDELE x")
	fmt.Println("refused before sending:", errors.Is(err, fs.ErrInvalid))
	// Output:
	// true 550
	// permanent (error_perm): true
	// temporary (error_temp): false
	// not exist: true
	// refused before sending: true
}

// Streaming: Stor returns an io.WriteCloser and Retr an io.ReadCloser,
// so io.Copy works (with sendfile/splice for *os.File on plain FTP).
func ExampleConn_Retr() {
	srv := exampleServer(ftptest.Options{})
	defer srv.Close()
	ctx := context.Background()
	c, err := ftp.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		log.Fatal(err)
	}
	w, err := c.Stor(ctx, "upload.txt", 0)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(w, strings.NewReader("streamed up\n"))
	if err := w.Close(); err != nil { // reads the 226
		log.Fatal(err)
	}
	r, err := c.Retr(ctx, "upload.txt", 0)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(os.Stdout, r)
	if err := r.Close(); err != nil {
		log.Fatal(err)
	}
	// Output: streamed up
}

// FTPS (ftplib's FTP_TLS): AUTH TLS at dial time, PROT P at login, and the
// certificate is verified.
func ExampleDialer_tls() {
	srv := exampleServer(ftptest.Options{TLS: ftptest.TLSExplicit})
	defer srv.Close()
	ctx := context.Background()
	d := ftp.Dialer{TLS: srv.ClientTLSConfig()}
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		log.Fatal(err)
	}
	names, err := c.Nlst(ctx, "debian")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(names), "names over a protected data connection")
	// Output: 3 names over a protected data connection
}

// Debug output (ftplib's set_debuglevel(1)) goes to a slog.Logger; the
// password never appears.
func ExampleDialer_logger() {
	srv := exampleServer(ftptest.Options{})
	defer srv.Close()
	ctx := context.Background()
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "conn" {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	})
	d := ftp.Dialer{Logger: slog.New(h), DisableUTF8: true}
	c, err := d.Dial(ctx, srv.Addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.SendCmd(ctx, "USER "+ftptest.DefaultUser); err != nil {
		log.Fatal(err)
	}
	if _, err := c.SendCmd(ctx, "PASS "+ftptest.DefaultPassword); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=DEBUG msg=recv code=220 msg="ftptest server ready"
	// level=DEBUG msg=send cmd="USER user"
	// level=DEBUG msg=recv code=331 msg=OK
	// level=DEBUG msg=send cmd="PASS ****"
	// level=DEBUG msg=recv code=230 msg="Password ok, continue"
}

// A Pool shares connections between goroutines and retries transient
// failures, resuming where a transfer stopped.
func ExamplePool() {
	srv := exampleServer(ftptest.Options{})
	defer srv.Close()
	ctx := context.Background()
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 2})
	defer p.Close()
	var b bytes.Buffer
	if _, err := p.RetrBinary(ctx, "debian/tools/a.txt", &b, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Print(b.String())
	// Output: tools
}
