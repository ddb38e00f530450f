package main

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/mirror"
)

// remoteFile is one file to download: its URL, remote path and local
// name.
type remoteFile struct {
	u      *ftp.URL
	remote string
	name   string // checked with safepath
}

func (a *app) get(args []string) error {
	fs := a.subFlags("get")
	resume := fs.Bool("c", false, "continue partial downloads (.NAME"+mirror.PartSuffix+" files) where they stopped")
	out := fs.String("o", "", "write to `LOCAL`: a file name, a directory if it exists or ends in /, or - for standard output")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("get needs at least one URL")
	}
	var urls []*ftp.URL
	for _, raw := range pos {
		u, err := a.parseURL(raw)
		if err != nil {
			return err
		}
		if u.Base() == "" {
			return usagef("%s names a directory: use ls, or mirror to download a tree", u.Redacted())
		}
		urls = append(urls, u)
	}
	if *out == "-" {
		if *resume {
			return usagef("-c cannot resume a download to standard output (-o -)")
		}
		return a.getStdout(urls)
	}
	dir, rename := ".", ""
	if *out != "" {
		if fi, err := os.Stat(*out); err == nil && fi.IsDir() || strings.HasSuffix(*out, "/") || strings.HasSuffix(*out, string(filepath.Separator)) {
			dir = *out
		} else {
			dir, rename = filepath.Dir(*out), filepath.Base(*out)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()

	pools := a.pools()
	defer pools.Close()
	prog := a.newProgress(a.progressOut())
	failed := false
	fail := func(err error) {
		a.printError(err)
		failed = true
	}
	var files []remoteFile
	for _, u := range urls {
		p, err := pools.Pool(u)
		if err != nil {
			return err
		}
		fs, err := a.expand(p, u)
		if err != nil {
			fail(err)
		}
		files = append(files, fs...)
	}
	if rename != "" && len(files) > 1 {
		return usagef("-o %s: with several files, -o must name a directory", *out)
	}
	if rename != "" && mirror.IsPartialName(rename) {
		return usagef("-o %s: that is the form of goftp's partial files (.NAME%s); choose another name", *out, mirror.PartSuffix)
	}
	files = slices.DeleteFunc(files, func(f remoteFile) bool {
		if rename == "" && mirror.IsPartialName(f.name) {
			// Named explicitly: the local file would be taken for the
			// partial file of another download, and overwritten.
			fail(fmt.Errorf("%s: not downloaded: it is named like a partial file (.NAME%s) of an interrupted transfer; use -o NEWNAME or goftp cat", f.remote, mirror.PartSuffix))
			return true
		}
		return false
	})
	for _, f := range files {
		name := f.name
		if rename != "" {
			name = rename
		}
		p, _ := pools.Pool(f.u)
		label := f.remote
		_, err := mirror.Fetch(a.ctx, p, f.remote, root, name, mirror.FetchOptions{
			Resume: *resume,
			Meter:  func(size, offset int64) mirror.Meter { return prog.start(label, size, offset) },
		})
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			fail(err)
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// getStdout downloads the files of urls (globs expanded) to standard
// output, one after the other, as cat does: nothing is written to disk,
// and progress and errors go to standard error.
func (a *app) getStdout(urls []*ftp.URL) error {
	pools := a.pools()
	defer pools.Close()
	var files []remoteFile
	var errs []error
	for _, u := range urls {
		p, err := pools.Pool(u)
		if err != nil {
			return err
		}
		fs, err := a.expand(p, u)
		if err != nil {
			errs = append(errs, err)
		}
		files = append(files, fs...)
	}
	if len(errs) > 0 {
		// Some of the data asked for is missing: write none of it, rather
		// than a stream with a hole that a reader cannot detect.
		return errors.Join(errs...)
	}
	for _, f := range files {
		p, _ := pools.Pool(f.u)
		// Not retried: bytes already written to a pipe cannot be taken
		// back, so a retry from the start would duplicate them.
		err := p.Do(a.ctx, func(c *ftp.Conn) error {
			_, err := c.RetrBinary(a.ctx, f.remote, a.stdout, 0)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// hasMeta reports whether s holds glob metacharacters (path.Match).
func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// expand turns a URL into the files to download: itself, or, when its
// last segment is a glob pattern, the names NLST lists in its directory
// that match. Names from the server that are not safe local names are
// refused, each with an error naming it. Names of the form of partial
// files (.NAME.goftp-part: an interrupted put or mirror -R) are skipped
// with a warning: downloaded, such a file would be taken for the partial
// download of NAME, truncated and renamed over by it.
func (a *app) expand(p *ftp.Pool, u *ftp.URL) ([]remoteFile, error) {
	base := u.Base()
	if a.g.globoff || !hasMeta(base) {
		if err := safepath.Check(base); err != nil {
			return nil, wrapf("%s: %w", u.Redacted(), err)
		}
		return []remoteFile{{u: u, remote: u.Path(), name: base}}, nil
	}
	if _, err := path.Match(base, ""); err != nil {
		return nil, usagef("bad pattern %q: %v", base, err)
	}
	dir := u.Dir()
	var names []string
	err := p.Do(a.ctx, func(c *ftp.Conn) error {
		var args []string
		if dir != "" {
			args = append(args, dir)
		}
		var err error
		names, err = c.Nlst(a.ctx, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	var files []remoteFile
	var errs []error
	skipped := 0
	for _, n := range names {
		// Servers answer NLST dir with "dir/name" or "name".
		if dir != "" {
			n = strings.TrimPrefix(n, strings.TrimSuffix(dir, "/")+"/")
		}
		if n == "." || n == ".." {
			continue // the directory itself and its parent, never files
		}
		if err := safepath.Check(n); err != nil {
			errs = append(errs, err)
			continue
		}
		if ok, _ := path.Match(base, n); !ok {
			continue
		}
		if mirror.IsPartialName(n) {
			// An interrupted upload (put, mirror -R) on the server, not
			// data; and downloading it would collide with the local
			// partial file of n's base, which this run may also fetch.
			a.warnf("skip %s: named like a partial file (%s): an interrupted transfer, not data (goftp cat reads it)", ftp.JoinPath(dir, n), mirror.PartSuffix)
			skipped++
			continue
		}
		files = append(files, remoteFile{u: u, remote: ftp.JoinPath(dir, n), name: n})
	}
	if len(files) == 0 && len(errs) == 0 {
		if skipped > 0 {
			errs = append(errs, notFound{fmt.Errorf("no files match %s (%d partial files skipped)", u.Redacted(), skipped)})
		} else {
			errs = append(errs, notFound{fmt.Errorf("no files match %s", u.Redacted())})
		}
	}
	return files, errors.Join(errs...)
}

// notFound is an error that matches fs.ErrNotExist (exit status 6)
// without adding its text.
type notFound struct{ error }

func (e notFound) Is(target error) bool { return target == iofs.ErrNotExist }
func (e notFound) Unwrap() error        { return e.error }
