package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/gate"
	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/listing"
	"github.com/goftplib/ftp/mirror"
)

// remoteFile is one file to download: its URL, remote path and local
// name.
type remoteFile struct {
	u      *ftp.URL
	remote string
	name   string // checked with safepath
	// size is the exact size from an MLSD listing (a glob's), when
	// sizeKnown: such files can go in a pipelined batch (see getBatch).
	size      int64
	sizeKnown bool
}

func (a *app) get(args []string) error {
	fs := a.subFlags("get")
	resume := fs.Bool("c", false, "continue partial downloads (.NAME"+mirror.PartSuffix+" files) where they stopped")
	out := fs.String("o", "", "write to `LOCAL`: a file name, a directory if it exists or ends in /, or - for standard output")
	var o getOpts
	fs.IntVar(&o.segments, "n", 1, "download each file over `N` connections at once, one range each (REST; as lftp pget -n);\n-c continues an interrupted one")
	fs.IntVar(&o.parallel, "P", 1, "download `N` files at once")
	fs.Var(&o.limit, "limit-rate", "limit each transfer to `RATE` bytes a second (500K, 2M, 1G; K = 1024)")
	fs.Var(&o.total, "limit-total", "limit all transfers together to `RATE` bytes a second")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("get needs at least one URL")
	}
	if o.segments < 1 || o.segments > maxConns || o.parallel < 1 || o.parallel > maxConns {
		return usagef("-n and -P take 1 to %d", maxConns)
	}
	o.resume = *resume
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
		return a.getStdout(urls, o)
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

	pools := a.transferPools(o)
	defer pools.Close()
	prog := a.newProgress(a.progressOut())
	var failed atomic.Bool
	fail := func(err error) {
		a.printError(err)
		failed.Store(true)
	}
	var files []remoteFile
	warmed := map[*ftp.Pool]bool{}
	for _, u := range urls {
		p, err := pools.Pool(u)
		if err != nil {
			return err
		}
		if several := len(urls) > 1 || !a.g.globoff && hasMeta(u.Base()); several && o.segments == 1 && o.parallel > 1 && !warmed[p] {
			warmed[p] = true
			defer a.warm(p, o.parallel)()
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
	if o.parallel > 1 && len(files) > 1 {
		prog.withTotal(len(files))
	}
	var stop atomic.Value // the error that ends the command (interrupted)
	files = a.getBatch(pools, files, root, rename, o, prog, fail, &stop)
	sem := make(chan struct{}, o.parallel)
	gates := poolGates{per: max(o.segments, 1)}
	var wg sync.WaitGroup
	for _, f := range files {
		name := f.name
		if rename != "" {
			name = rename
		}
		p, _ := pools.Pool(f.u)
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
				return a.getFile(p, f.remote, root, name, o, prog)
			}, poolWait)
			switch {
			case err == nil:
			case a.ctx.Err() != nil:
				stop.CompareAndSwap(nil, err)
			default:
				fail(err)
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

// poolGates bounds the files transferred at once on each Pool by its
// limit as it is now (see internal/gate): once a server refused a
// connection (421, the Pool's limit lowered), the files beyond what its
// connections can carry wait for one of their own to end, not in
// Pool.Get, whose wait is bounded and would fail them. per is how many
// connections one file may use (-n).
type poolGates struct {
	per int
	mu  sync.Mutex
	m   map[*ftp.Pool]*gate.Gate
}

// poolWait reports a wait for a free connection that timed out: a file
// let in before the Pool's limit fell is tried again (see gate.Run).
func poolWait(err error) bool { return errors.Is(err, ftp.ErrPoolTimeout) }

func (g *poolGates) of(p *ftp.Pool, max int) *gate.Gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[*ftp.Pool]*gate.Gate{}
	}
	if g.m[p] == nil {
		g.m[p] = gate.New(max, func() int { return p.Limit() / g.per })
	}
	return g.m[p]
}

// warm logs up to n-1 more connections of p in, in the background, while
// the command lists and asks sizes on the first (as mirror does while it
// walks): the transfers then find them ready instead of each paying a
// login. The function returned stops what is left and waits.
func (a *app) warm(p *ftp.Pool, n int) (stop func()) {
	ctx, cancel := context.WithCancel(a.ctx)
	var wg sync.WaitGroup
	for range n - 1 {
		wg.Go(func() {
			if c, err := p.Get(ctx); err == nil {
				p.Put(c)
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// maxConns bounds -n and -P.
const maxConns = 64

// getOpts are get's transfer settings, shared with the shell.
type getOpts struct {
	resume   bool
	segments int // -n: ranges of one file at once
	parallel int // -P: files at once
	limit    rateFlag
	total    rateFlag
}

// transferPools returns the Pools of a transfer command: enough
// connections for -P files of -n ranges each, and the rate limits.
func (a *app) transferPools(o getOpts) *ftp.Pools {
	conns := max(o.segments, 1) * max(o.parallel, 1)
	return &ftp.Pools{
		Config: func(u *ftp.URL) (ftp.PoolConfig, error) {
			cfg, err := a.poolConfig(u, conns)
			cfg.RateLimit, cfg.TotalRateLimit = int64(o.limit), int64(o.total)
			return cfg, err
		},
		IdleTimeout: -1, // a command's Pools live as long as the command
	}
}

// getFile downloads remote into name under root: over o.segments
// connections at once (ftp.Pool.RetrSegmentedFile) when asked, or to
// continue the partial file of an interrupted segmented download with
// -c; otherwise over one (mirror.Fetch). Either way the bytes go to the
// partial file .NAME.goftp-part, renamed to name when complete.
func (a *app) getFile(p *ftp.Pool, remote string, root *os.Root, name string, o getOpts, prog *progress) error {
	segPart := o.resume && ftp.SegmentedPartial(root, name)
	segmented := o.segments > 1 || segPart
	if segmented && o.resume && !segPart {
		// -c -n N with the partial file of a plain download: continuing
		// it over one connection keeps its bytes (a segmented download
		// would start over).
		if fi, err := root.Lstat(filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+mirror.PartSuffix)); err == nil && fi.Size() > 0 {
			segmented = false
		}
	}
	if !segmented {
		_, err := mirror.Fetch(a.ctx, p, remote, root, name, mirror.FetchOptions{
			Resume: o.resume,
			Meter:  func(size, offset int64) mirror.Meter { return prog.start(remote, size, offset) },
		})
		return err
	}
	sm := &segMeter{prog: prog, label: remote}
	n, err := p.RetrSegmentedFile(a.ctx, remote, root, name, ftp.SegmentOptions{
		Segments:   o.segments,
		Resume:     o.resume,
		Checkpoint: sm.checkpoint,
		Progress:   sm.progress,
	})
	sm.done(n, err)
	return err
}

// segMeter follows a segmented download: its meter starts at the first
// checkpoint, which gives the size and the bytes already there.
type segMeter struct {
	prog  *progress
	label string
	mu    sync.Mutex
	m     mirror.Meter
}

func (s *segMeter) meter(size, offset int64) mirror.Meter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = s.prog.start(s.label, size, offset)
	}
	return s.m
}

func (s *segMeter) checkpoint(st ftp.SegmentState) error {
	var have int64
	for _, r := range st.Done {
		have += r.End - r.Start
	}
	s.meter(st.Size, have)
	return nil
}

func (s *segMeter) progress(n int64) {
	if c, ok := s.meter(-1, 0).(interface{ count(int64) }); ok {
		c.count(n)
	}
}

func (s *segMeter) done(n int64, err error) { s.meter(-1, 0).Done(n, err) }

// getStdout downloads the files of urls (globs expanded) to standard
// output, one after the other, as cat does: nothing is written to disk,
// and progress and errors go to standard error.
func (a *app) getStdout(urls []*ftp.URL, o getOpts) error {
	pools := a.transferPools(getOpts{limit: o.limit, total: o.total})
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
			_, err := c.RetrBinary(a.ctx, f.remote, p.RateLimitWriter(a.ctx, a.stdout), 0)
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
	sizes := map[string]int64{} // exact sizes of files, from MLSD
	err := p.Do(a.ctx, func(c *ftp.Conn) error {
		clear(sizes)
		feats, err := c.Features(a.ctx)
		if _, mlst := feats["MLST"]; err == nil && mlst && !a.g.srv.noMLSD {
			// MLSD gives the files' exact sizes (and tells directories
			// apart): the downloads can then be pipelined, each still
			// checked against its size.
			entries, err := c.Mlsd(a.ctx, dir)
			if err == nil {
				names = names[:0]
				for _, e := range entries {
					switch e.Type {
					case listing.File:
						names = append(names, e.Name)
						if e.Size >= 0 {
							sizes[e.Name] = e.Size
						}
					case listing.Dir:
						if ok, _ := path.Match(base, e.Name); ok {
							a.warnf("skip %s: a directory (mirror downloads trees)", ftp.JoinPath(dir, e.Name))
						}
					case listing.CurrentDir, listing.ParentDir:
					default:
						names = append(names, e.Name) // a link, or unknown: RETR tells
					}
				}
				return nil
			}
			var re *ftp.ReplyError
			if !errors.As(err, &re) {
				return err
			}
			// Refused: NLST below.
		}
		var args []string
		if dir != "" {
			args = append(args, dir)
		}
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
		size, known := sizes[n]
		files = append(files, remoteFile{u: u, remote: ftp.JoinPath(dir, n), name: n, size: size, sizeKnown: known})
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

// rateFlag is a rate in bytes a second: a number with an optional
// binary suffix, K (KiB), M (MiB) or G (GiB), as curl's --limit-rate.
type rateFlag int64

func (r *rateFlag) String() string {
	if *r == 0 {
		return "0"
	}
	return strconv.FormatInt(int64(*r), 10)
}

func (r *rateFlag) Set(s string) error {
	num, mult := strings.TrimSpace(s), 1.0
	if num != "" {
		switch strings.ToUpper(num[len(num)-1:]) {
		case "K":
			mult = 1 << 10
		case "M":
			mult = 1 << 20
		case "G":
			mult = 1 << 30
		}
		if mult > 1 {
			num = num[:len(num)-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || f*mult >= 1<<50 || math.IsNaN(f) {
		return errors.New("not a rate: write bytes a second, as 500K, 2M or 1G")
	}
	*r = rateFlag(max(f*mult, 1))
	return nil
}

// getBatch downloads, as pipelined batches (ftp.Pool.RetrBatch: the next
// file's commands go out before the previous replies are read), the files
// whose exact size a listing gave and that need nothing else: no -n, no
// -o NAME, no partial file to resume, at most mirror.BatchMax bytes. As
// mirror.Fetch does, the bytes go to the partial file .NAME.goftp-part,
// renamed to NAME only once their count equals the listed size; a failed
// file keeps its partial file for get -c. It returns the other files, for
// the one-at-a-time path.
func (a *app) getBatch(pools *ftp.Pools, files []remoteFile, root *os.Root, rename string, o getOpts, prog *progress, fail func(error), stop *atomic.Value) []remoteFile {
	if o.segments > 1 || rename != "" || a.ctx.Err() != nil {
		return files
	}
	a.askSizes(pools, files)
	var rest []remoteFile
	batches := map[*ftp.Pool][]remoteFile{}
	var order []*ftp.Pool
	for _, f := range files {
		p, err := pools.Pool(f.u)
		part := filepath.Join(filepath.Dir(f.name), "."+filepath.Base(f.name)+mirror.PartSuffix)
		_, perr := root.Lstat(part)
		if err != nil || !f.sizeKnown || f.size > mirror.BatchMax || !errors.Is(perr, iofs.ErrNotExist) {
			rest = append(rest, f)
			continue
		}
		if batches[p] == nil {
			order = append(order, p)
		}
		batches[p] = append(batches[p], f)
	}
	// A Pool whose files all go in its batch has nothing to do after it:
	// its connections quit with their last commands (Pool.Finishing).
	later := map[*ftp.Pool]bool{}
	for _, f := range rest {
		if p, err := pools.Pool(f.u); err == nil {
			later[p] = true
		}
	}
	var mu sync.Mutex // Done calls of different Pools may overlap
	for _, p := range order {
		batch := batches[p]
		if len(batch) < 2 {
			rest = append(rest, batch...) // a batch of one saves nothing
			continue
		}
		if !later[p] {
			p.Finishing()
		}
		items := make([]ftp.RetrItem, len(batch))
		for i, f := range batch {
			part := filepath.Join(filepath.Dir(f.name), "."+filepath.Base(f.name)+mirror.PartSuffix)
			var m mirror.Meter
			items[i] = ftp.RetrItem{
				Path: f.remote, Size: f.size, SizeKnown: true,
				Open: func() (io.Writer, error) {
					pf, err := root.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
					if err != nil {
						return nil, err
					}
					m = prog.start(f.remote, f.size, 0)
					w := p.RateLimitWriter(a.ctx, pf)
					if mw, ok := m.(io.Writer); ok {
						w = io.MultiWriter(w, mw)
					}
					return &closeWriter{w, pf}, nil
				},
				Done: func(n int64, err error) {
					mu.Lock()
					defer mu.Unlock()
					if err == nil && n != f.size {
						err = &ftp.SizeError{Cmd: "RETR " + f.remote, Got: n, Want: f.size, Source: "listing"}
					}
					switch {
					case err == nil:
						err = root.Rename(part, f.name)
					case n == 0:
						root.Remove(part) // nothing worth resuming
					}
					if m != nil {
						m.Done(n, err)
					}
					switch {
					case err == nil:
					case a.ctx.Err() != nil:
						stop.CompareAndSwap(nil, err)
					default:
						fail(err)
					}
				},
			}
		}
		p.RetrBatch(a.ctx, items) // each file's outcome went to its Done
	}
	return rest
}

// askSizes learns the sizes of the files that no listing gave (named one
// by one, or matched in an NLST), with pipelined SIZE commands
// (ftp.Conn.Sizes: one round trip for up to 64 files), so that they can
// go in a batch. A file whose SIZE fails keeps an unknown size: the
// one-at-a-time path downloads it, or reports its error.
func (a *app) askSizes(pools *ftp.Pools, files []remoteFile) {
	byPool := map[*ftp.Pool][]int{}
	for i, f := range files {
		if p, err := pools.Pool(f.u); err == nil && !f.sizeKnown {
			byPool[p] = append(byPool[p], i)
		}
	}
	for p, idx := range byPool {
		if len(idx) < 2 {
			continue
		}
		paths := make([]string, len(idx))
		for j, i := range idx {
			paths[j] = files[i].remote
		}
		p.Do(a.ctx, func(c *ftp.Conn) error {
			sizes, errs, err := c.Sizes(a.ctx, paths)
			if err != nil {
				return err // the files go one at a time
			}
			for j, i := range idx {
				if errs[j] == nil {
					files[i].size, files[i].sizeKnown = sizes[j], true
				}
			}
			return nil
		})
	}
}

// closeWriter writes to w and closes c: a partial file written through
// wrappers (rate limit, progress), closed by the batch when the file ends.
type closeWriter struct {
	io.Writer
	c io.Closer
}

func (w *closeWriter) Close() error { return w.c.Close() }
