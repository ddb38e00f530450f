package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
	"github.com/goftplib/ftp/mirror"
)

func (a *app) put(args []string) error {
	fs := a.subFlags("put")
	resume := fs.Bool("c", false, "continue interrupted uploads from the size of the partial file the server holds\n(REST; with --direct, from the size of the file itself)")
	direct := fs.Bool("direct", false, "write straight to the final name, for servers that forbid renaming (upload-only\ndirectories). Without it, each file is uploaded to a partial file .NAME"+mirror.PartSuffix+"\nbeside the target and renamed when complete, so an interrupted upload never\nleaves a truncated file under the real name")
	createDirs := fs.Bool("create-dirs", false, "create the remote directories the target needs (as curl --ftp-create-dirs)")
	var o getOpts
	fs.IntVar(&o.parallel, "P", 1, "upload `N` files at once")
	fs.Var(&o.limit, "limit-rate", "limit each transfer to `RATE` bytes a second (500K, 2M, 1G; K = 1024)")
	fs.Var(&o.total, "limit-total", "limit all transfers together to `RATE` bytes a second")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("put needs local files and a URL")
	}
	if o.parallel < 1 || o.parallel > maxConns {
		return usagef("-P takes 1 to %d", maxConns)
	}
	u, err := a.parseURL(pos[len(pos)-1])
	if err != nil {
		return err
	}
	locals := pos[:len(pos)-1]
	stdin := slices.Contains(locals, "-")
	switch {
	case stdin && len(locals) > 1:
		return usagef("put: - (standard input) must be the only local file")
	case stdin && u.Base() == "":
		return usagef("put -: name the remote file in the URL (put - ftp://host/dir/NAME)")
	case stdin && *resume:
		return usagef("put -c cannot resume from standard input")
	}
	toDir := u.Base() == "" || len(locals) > 1
	for _, l := range locals {
		if l == "-" {
			continue
		}
		fi, err := os.Stat(l)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return usagef("%s is a directory: use mirror -R to upload a tree", l)
		}
	}
	pools := a.transferPools(o)
	defer pools.Close()
	p, err := pools.Pool(u)
	if err != nil {
		return err
	}
	if o.parallel > 1 && len(locals) > 1 {
		defer a.warm(p, o.parallel)()
	}
	if toDir, err = a.putTarget(p, u, toDir, stdin, *createDirs); err != nil {
		return err
	}
	prog := a.newProgress(a.progressOut())
	if o.parallel > 1 && len(locals) > 1 {
		prog.withTotal(len(locals))
	}
	var failed atomic.Bool
	var stop atomic.Value // the error that ends the command (interrupted)
	remoteOf := func(l string) string {
		remote := u.Path()
		if toDir {
			remote = ftp.JoinPath(strings.TrimSuffix(u.Path(), "/"), filepath.Base(l))
			if strings.Trim(u.Path(), "/") == "" && strings.HasPrefix(u.Path(), "/") {
				remote = "/" + filepath.Base(l)
			}
		}
		return remote
	}
	if len(locals) > 1 && !stdin && !*resume {
		// Several whole files: one pipelined batch (ftp.Pool.StorBatch),
		// the last work of p (its connections quit with their last
		// commands).
		p.Finishing()
		for _, err := range a.putBatch(p, locals, remoteOf, *direct, prog) {
			failed.Store(true)
			a.printError(err)
		}
		locals = nil
	}
	sem := make(chan struct{}, o.parallel)
	gates := poolGates{per: 1}
	var wg sync.WaitGroup
	for _, l := range locals {
		remote := remoteOf(l)
		select {
		case sem <- struct{}{}:
		case <-a.ctx.Done():
		}
		if a.ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := gates.of(p, o.parallel).Run(a.ctx, func() error {
				if l == "-" {
					return a.putStdin(p, remote, *direct, prog)
				}
				return a.putFile(p, l, remote, *resume, *direct, prog)
			}, poolWait)
			if err != nil {
				if a.ctx.Err() != nil {
					stop.CompareAndSwap(nil, err)
					return
				}
				if re := (*ftp.ReplyError)(nil); !toDir && errors.As(err, &re) && re.Code >= 550 {
					err = fmt.Errorf("%w (if %s is a directory, add a trailing /)", err, u.Path())
				}
				a.printError(wrapf("put %s: %w", l, err))
				failed.Store(true)
			}
		})
	}
	wg.Wait()
	prog.finish()
	if err, _ := stop.Load().(error); err != nil {
		return err
	}
	if a.ctx.Err() != nil {
		return a.ctx.Err()
	}
	if failed.Load() {
		return errReported
	}
	return nil
}

// putTarget settles where put writes, before any upload: it returns
// whether u names a directory to upload into (toDir: a trailing slash,
// several files, or an existing remote directory), and creates the
// directory with createDirs, or checks that it exists when several files
// go into it, so that a missing directory is one clear error rather than
// one per file.
func (a *app) putTarget(p *ftp.Pool, u *ftp.URL, toDir, stdin, createDirs bool) (bool, error) {
	err := p.Do(a.ctx, func(c *ftp.Conn) error {
		if !toDir && strings.Trim(u.Path(), "/") != "" && hasMLST(a, c) {
			// put one.txt ftp://host/docs, docs a directory: into it.
			// Asked with MLST only (one command); without it, a failure
			// says to add a trailing slash.
			if e, err := c.Stat(a.ctx, u.Path()); err == nil && e.Type == listing.Dir {
				if stdin {
					return usagef("put -: %s is a directory: name the file (put - URL/%s/NAME)", u.Path(), u.Base())
				}
				toDir = true
			}
		}
		dir := u.Path()
		if !toDir {
			dir = u.Dir()
		}
		if strings.Trim(dir, "/") == "" {
			return nil // the login or root directory
		}
		if createDirs {
			return c.MkdirAll(a.ctx, dir)
		}
		if !toDir {
			return nil // one file: the server's reply says enough
		}
		e, err := c.Stat(a.ctx, dir)
		switch {
		case errors.Is(err, iofs.ErrNotExist):
			return notFound{fmt.Errorf("put: remote directory %s does not exist (create it with --create-dirs or goftp mkdir -p)", strings.TrimSuffix(dir, "/"))}
		case err == nil && e.Type != listing.Dir:
			return notFound{fmt.Errorf("put: %s is not a directory", strings.TrimSuffix(dir, "/"))}
		}
		return nil // other errors: let the uploads say
	})
	return toDir, err
}

// hasMLST reports whether the server of c offers MLST.
func hasMLST(a *app, c *ftp.Conn) bool {
	f, err := c.Features(a.ctx)
	_, ok := f["MLST"]
	return err == nil && ok
}

// putBatch uploads locals with the Pool's pipelined batches
// (ftp.Pool.StorBatch: the next files' commands go out before the
// previous replies are in, over up to -P connections), each to its
// partial file .NAME.goftp-part beside the target, checked with SIZE and
// renamed into place (with direct, to the target itself). A rename the
// server refuses is done again as put does it alone (replaceWith: a
// server that does not rename over a file). It returns the failures, in
// the order of locals.
func (a *app) putBatch(p *ftp.Pool, locals []string, remoteOf func(string) string, direct bool, prog *progress) []error {
	type result struct {
		n      int64
		err    error
		m      mirror.Meter
		remote string
		temp   string
	}
	res := make([]result, len(locals))
	items := make([]ftp.StorItem, len(locals))
	for i, l := range locals {
		r := &res[i]
		r.remote = remoteOf(l)
		if !direct {
			r.temp = partialName(r.remote)
		}
		size := int64(-1)
		if fi, err := os.Stat(l); err == nil {
			size = fi.Size()
		}
		items[i] = ftp.StorItem{
			Path: r.remote,
			Temp: r.temp,
			Size: size,
			Open: func() (io.Reader, error) {
				f, err := os.Open(l)
				if err != nil {
					return nil, err
				}
				if r.m == nil {
					r.m = prog.start(r.remote, size, 0) // the Pool limits the rate
				}
				var rd io.Reader = f
				if w, ok := r.m.(io.Writer); ok {
					rd = io.TeeReader(f, w)
				}
				return readCloser{rd, f}, nil
			},
			Done: func(n int64, err error) { r.n, r.err = n, err },
		}
	}
	p.StorBatch(a.ctx, items) // each file's outcome went to Done
	var errs []error
	for i, l := range locals {
		r := &res[i]
		var re *ftp.ReplyError
		if r.err != nil && r.temp != "" && errors.As(r.err, &re) && strings.HasPrefix(re.Cmd, "RNTO ") && a.ctx.Err() == nil {
			// Uploaded and checked, not renamed: the server may not
			// rename over an existing file.
			r.err = p.Do(a.ctx, func(c *ftp.Conn) error { return a.replaceWith(c, r.temp, r.remote) })
		}
		if r.m != nil {
			r.m.Done(r.n, r.err)
		}
		if r.err != nil {
			errs = append(errs, wrapf("put %s: %w", l, r.err))
		}
	}
	return errs
}

// readCloser is a Reader whose Close closes another value.
type readCloser struct {
	io.Reader
	io.Closer
}

// putStdin uploads standard input to remote, as putFile does a file: to
// the partial file beside it, renamed when complete, or with direct to
// remote itself. Standard input cannot be read twice: it is not retried.
func (a *app) putStdin(p *ftp.Pool, remote string, direct bool, prog *progress) error {
	target := remote
	if !direct {
		target = partialName(remote)
	}
	m := prog.start(remote, -1, 0)
	r := p.RateLimitReader(a.ctx, a.stdin)
	if w, ok := m.(io.Writer); ok {
		r = io.TeeReader(r, w)
	}
	var n int64
	err := p.Do(a.ctx, func(c *ftp.Conn) error {
		var err error
		if n, err = c.StorBinary(a.ctx, target, r, 0); err != nil {
			return err
		}
		if !direct {
			return a.replaceWith(c, target, remote)
		}
		return nil
	})
	m.Done(n, err)
	return err
}

// putFile uploads local to remote with mirror.Send: to the partial file
// .NAME.goftp-part beside remote, renamed to remote when complete (see
// replaceWith), or, with direct, to remote itself.
func (a *app) putFile(p *ftp.Pool, local, remote string, resume, direct bool, prog *progress) error {
	root, err := os.OpenRoot(filepath.Dir(local))
	if err != nil {
		return err
	}
	defer root.Close()
	target := remote
	if !direct {
		target = partialName(remote)
	}
	var held *heldMeter
	_, err = mirror.Send(a.ctx, p, root, filepath.Base(local), target, mirror.SendOptions{
		Resume: resume,
		Direct: true, // to target; the rename is ours (replaceWith)
		Meter: func(size, offset int64) mirror.Meter {
			m := prog.start(remote, size, offset) // mirror.Send limits the rate
			if direct {
				return m
			}
			held = &heldMeter{m: m}
			if w, ok := m.(io.Writer); ok {
				return heldWriterMeter{held, w}
			}
			return held
		},
	})
	if err == nil && !direct {
		err = p.Do(a.ctx, func(c *ftp.Conn) error { return a.replaceWith(c, target, remote) })
	}
	if held != nil {
		held.release(err) // the file is uploaded once it has its name
	}
	return err
}

// heldMeter holds back the end of a transfer's progress report until
// the file is renamed into place.
type heldMeter struct {
	m    mirror.Meter
	n    int64
	err  error
	done bool
}

func (h *heldMeter) Done(n int64, err error) { h.n, h.err, h.done = n, err, true }

// release reports the transfer done, failed with err if it did not fail
// before.
func (h *heldMeter) release(err error) {
	if h.done {
		h.m.Done(h.n, cmp.Or(h.err, err))
	}
}

// heldWriterMeter is a heldMeter whose Meter shows live progress.
type heldWriterMeter struct {
	*heldMeter
	io.Writer
}

// partialName returns the remote partial file of a remote path:
// "dir/.name.goftp-part".
func partialName(remote string) string {
	i := strings.LastIndexByte(remote, '/')
	return remote[:i+1] + "." + remote[i+1:] + mirror.PartSuffix
}

// replaceWith renames the complete upload part to remote. Some servers do
// not rename over an existing file: remote is then moved aside first and
// put back if the rename still fails, so that remote is never lost; it is
// deleted only once part has taken its place.
func (a *app) replaceWith(c *ftp.Conn, part, remote string) error {
	old, err := mirror.Replace(a.ctx, c, part, remote)
	if err != nil {
		return fmt.Errorf("%w; for a server that forbids renaming, use put --direct", err)
	}
	if old != "" {
		a.warnf("%s replaced, but its old version %s could not be deleted", remote, old)
	}
	return nil
}
