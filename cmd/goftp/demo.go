package main

import (
	"crypto/sha256"
	"embed"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/mirror"
)

// demoFiles is the sample content the demo server starts with.
//
//go:embed demo
var demoFiles embed.FS

// demoBinarySize is the size of the generated binary file, large enough
// for the progress bar to show.
const demoBinarySize = 3 << 20

// demoBinary returns the demo's binary file: deterministic pseudo-random
// bytes, the same on every run.
func demoBinary() []byte {
	b := make([]byte, demoBinarySize)
	rand.NewChaCha8([32]byte{'g', 'o', 'f', 't', 'p'}).Read(b)
	return b
}

func (a *app) demo(args []string) error {
	fs := a.subFlags("demo")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo takes no arguments")
	}
	return a.runDemo()
}

// runDemo starts an in-process server with the embedded files and runs
// a narrated session against it, printing the dialogue on stdout.
//
// By default the session is told in one line per step, to fit a
// terminal; with -v each step has a heading and the protocol dialogue.
func (a *app) runDemo() (err error) {
	out := a.stdout
	verbose := a.g.verbose > 0
	// say starts a step (a heading, with -v only); note tells its
	// outcome (with -v); brief is the one-line form of a step (without -v).
	say := func(format string, args ...any) {
		if verbose {
			a.printf(out, "\n== "+format+"\n", args...)
		}
	}
	note := func(format string, args ...any) {
		if verbose {
			a.printf(out, "   "+format+"\n", args...)
		}
	}
	brief := func(step, format string, args ...any) {
		if !verbose {
			a.printf(out, "  %-7s "+format+"\n", append([]any{step}, args...)...)
		}
	}

	a.printf(out, "goftp demo: an FTP session against an in-process server, through the real client.\n")
	if verbose {
		a.printf(out, "Lines starting with > are commands the client sends, < the server's replies.\n")
	} else {
		a.printf(out, "One line per step; goftp demo -v shows every command and reply.\n\n")
	}

	// The server: package ftptest, on a free loopback port, files in memory.
	sample, err := fs.Sub(demoFiles, "demo")
	if err != nil {
		return err
	}
	srv, err := ftptest.NewServer(ftptest.Options{Files: sample})
	if err != nil {
		return err
	}
	defer srv.Close()
	data := demoBinary()
	if err := srv.WriteFile("pub/data.bin", data); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "goftp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	u, err := ftp.ParseURL(srv.URL() + "/")
	if err != nil {
		return err
	}
	say("Starting a server")
	note("serving sample files from memory at %s", srv.URL())
	note("user %q, password %q (shown here because it is a throwaway demo server)", ftptest.DefaultUser, ftptest.DefaultPassword)
	brief("server", "%s, files in memory (user %q, password %q: a throwaway server)", srv.URL(), ftptest.DefaultUser, ftptest.DefaultPassword)

	// The client, with the dialogue logged at debug level (ftplib's
	// debug level 1) to our output when -v is given.
	var d ftp.Dialer
	if verbose {
		d.Logger = slog.New(newDialogue(a.writer(out), slog.LevelDebug, false))
	}
	ctx := a.ctx

	say("Connecting to %s: the server greets us", u.Host)
	c, err := d.Dial(ctx, u.Host)
	if err != nil {
		return err
	}
	defer c.Close()

	say("Logging in (the library masks the password in logs and errors)")
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		return err
	}
	brief("login", "greeted with %q; logged in (passwords are masked in logs)", ftp.EscapeText(firstLine(c.Welcome())))

	say("Where are we? (PWD)")
	dir, err := c.Pwd(ctx)
	if err != nil {
		return err
	}
	note("working directory: %s", dir)
	brief("pwd", "%s", ftp.EscapeText(dir))

	say("Changing into pub (CWD)")
	if _, err := c.Cwd(ctx, "pub"); err != nil {
		return err
	}

	say("Listing pub (MLSD, parsed by package listing)")
	entries, err := mirror.List(ctx, c, "")
	if err != nil {
		return err
	}
	brief("cd", "pub")
	brief("ls -l", "%d entries (MLSD, parsed by package listing):", len(entries))
	for _, e := range entries {
		a.printf(out, "  %s\n", lsLong(e, time.Local))
	}

	say("Downloading data.bin (%s) with a progress bar", humanBytes(float64(len(data))))
	brief("get", "data.bin (%s), with a progress bar:", humanBytes(float64(len(data))))
	got, err := a.demoGet(c, "data.bin", tmp)
	if err != nil {
		return err
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		return errors.New("demo: the downloaded data.bin differs from the server's")
	}
	note("SHA-256 of the download matches the server's file")
	brief("", "SHA-256 of the download matches the server's")

	say("Uploading a file (MKD, STOR), then checking its size (SIZE)")
	if _, err := c.Mkd(ctx, "/uploads"); err != nil {
		return err
	}
	msg := "Uploaded by the goftp demo.\n"
	if _, err := c.StorBinary(ctx, "/uploads/hello-from-goftp.txt", strings.NewReader(msg), 0); err != nil {
		return err
	}
	size, err := c.Size(ctx, "/uploads/hello-from-goftp.txt")
	if err != nil {
		return err
	}
	note("the server holds %d bytes, as sent", size)
	brief("put", "/uploads/hello-from-goftp.txt: %d bytes sent, SIZE confirms %d", len(msg), size)

	say("Mirroring the whole server into a local directory (package mirror, 2 parallel connections)")
	dst := filepath.Join(tmp, "mirror")
	if !verbose {
		a.printf(out, "  %-7s / into a local directory, 2 connections: ", "mirror")
	}
	if err := a.demoMirror(d, u, dst); err != nil {
		return err
	}
	say("Mirroring again: only what changed is transferred")
	if !verbose {
		a.printf(out, "  %-7s again, only what changed: ", "mirror")
	}
	if err := a.demoMirror(d, u, dst); err != nil {
		return err
	}

	say("Saying goodbye (QUIT)")
	if err := c.Quit(ctx); err != nil {
		return err
	}
	brief("quit", "bye")
	srv.Close()
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	a.printf(out, "\nDone: the server is closed and the temporary files are removed.\n")
	a.printf(out, "Try it on your own server: goftp ls -l ftp://user@host/dir/ (goftp help for more).\n")
	return nil
}

// demoGet downloads name into dir the way goftp get does: through a
// partial file in an os.Root, renamed when complete.
func (a *app) demoGet(c *ftp.Conn, name, dir string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	size, err := c.Size(a.ctx, name)
	if err != nil {
		return nil, err
	}
	part := "." + name + mirror.PartSuffix
	f, err := root.Create(part)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := c.Retr(a.ctx, name, 0)
	if err != nil {
		return nil, err
	}
	m := a.newProgress(a.stdout).start(name, size, 0)
	var w io.Writer = f
	if mw, ok := m.(io.Writer); ok {
		w = io.MultiWriter(f, mw)
	}
	n, err := io.Copy(w, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = root.Rename(part, name)
	}
	m.Done(n, err)
	if err != nil {
		return nil, err
	}
	return root.ReadFile(name)
}

// demoMirror mirrors the server's root into dst with a pool of two
// connections (their dialogue is not shown).
func (a *app) demoMirror(d ftp.Dialer, u *ftp.URL, dst string) error {
	d.Logger = nil
	p := ftp.NewPool(u.Host, ftp.PoolConfig{Dialer: d, User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 2})
	defer p.Close()
	var actions []mirror.Action // reported in any order by the parallel transfers
	res, err := mirror.Download(a.ctx, p, "/", dst, &mirror.Options{
		Parallel: 2,
		Report:   func(act mirror.Action) { actions = append(actions, act) },
	})
	if err != nil {
		return err
	}
	slices.SortFunc(actions, func(x, y mirror.Action) int { return strings.Compare(x.Path, y.Path) })
	if a.g.verbose == 0 {
		a.printf(a.stdout, "%d files (%s), %d directories, %d up to date\n",
			res.Files, humanBytes(float64(res.Bytes)), res.Dirs, res.UpToDate)
		return nil
	}
	for _, act := range actions {
		a.printf(a.stdout, "   %-5s %s\n", act.Op, act.Path)
	}
	a.printf(a.stdout, "   mirror: %d files (%s) transferred, %d directories created, %d files up to date\n",
		res.Files, humanBytes(float64(res.Bytes)), res.Dirs, res.UpToDate)
	return nil
}
