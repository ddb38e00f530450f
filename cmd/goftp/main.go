// Command goftp is a command-line FTP and FTPS client built on
// github.com/goftplib/ftp: ls, get, put, cat, rm, mkdir, rmdir, mv and
// mirror against ftp://, ftps:// (implicit TLS) and ftpes:// (explicit
// TLS) URLs, plus serve (a local test server), demo (a narrated session
// against an in-process server) and parselist (LIST output to JSON).
//
// Run "goftp help" for usage, or "go run ./cmd/goftp demo" for a tour.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A closed standard output (goftp cat URL | head) is then an EPIPE
	// error, which ends the command quietly (see app.exit), instead of a
	// SIGPIPE death in the middle of a transfer.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels ctx: transfers are aborted and the command
	// ends with status 130. A second one kills the program at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
