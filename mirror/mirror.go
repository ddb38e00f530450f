// Package mirror synchronises a directory tree between an FTP server and
// the local disk, in either direction, over the connections of an
// [ftp.Pool]: [Download] makes a local directory a copy of a remote one,
// [Upload] the reverse.
//
// Only what changed is transferred: a file is copied when it is missing
// at the destination, when the sizes differ, or when the modification
// times differ (for downloads; for uploads, when the local file is newer,
// since not every server lets clients set a file's time). Times are
// compared at the precision of the listing (LIST often shows minutes or
// days only). Downloaded files get the remote modification time;
// uploaded files get the local one when the server allows it (MFMT).
//
// Safety: names listed by the server reach the local disk only when
// internal/safepath accepts them ("..", "/etc/passwd", "a/b" and names
// with NUL, CR or LF are refused and reported), and every local file
// operation goes through an [os.Root] opened on the local directory.
//
// Interruptions lose nothing: each file is transferred to a partial file
// (see [PartSuffix]) renamed only when complete, and the next run resumes
// partial files where they stopped (REST). A downloaded file is installed
// only if it has the size the listing gave. Server entries named like
// partial files (see [IsPartialName]) are never downloaded: they are
// reported as skipped, so that an upload interrupted on the server can
// never be taken for a download interrupted here.
//
// Speed: files up to [BatchMax] go last, once the tree has been walked,
// in pipelined batches over every connection of the Pool
// ([ftp.Pool.RetrBatch], [ftp.Pool.StorBatch]): a connection sends the
// next file's commands before the previous replies are in, so a small file
// costs about two round trips to download and three to upload instead of
// six to eight. The safety rules above hold for them too (an upload is
// renamed into place only after SIZE confirmed every byte). Larger files,
// and files with a partial copy to resume, are transferred one by one
// while the walk goes on.
//
// Deletion (Options.Delete) trusts only complete listings: Download first
// confirms that the remote top directory exists (an error matching
// fs.ErrNotExist otherwise, before anything is created or deleted), and
// deletes nothing in a directory whose listing failed, was cut short, or
// held a line that could not be used.
//
// Runaway trees: a server can present a directory inside itself (a
// symbolic link to ".", a generated listing). A directory with the same
// MLSx "unique" fact as one of its ancestors, or (uploads) the same local
// directory, is not entered and is reported with [ftp.ErrCycle]; and no walk
// goes deeper than Options.MaxDepth ([ftp.ErrTooDeep]).
package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/gate"
	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/listing"
)

// Op is the kind of an Action.
type Op string

// The operations of a synchronisation.
const (
	OpGet    Op = "get"    // download a file
	OpPut    Op = "put"    // upload a file
	OpMkdir  Op = "mkdir"  // create a directory at the destination
	OpDelete Op = "delete" // remove a file or directory tree at the destination
	OpSkip   Op = "skip"   // an entry that is not synchronised (links, devices)
	OpList   Op = "list"   // a directory listing (reported only when it fails)
)

// Action is one step of a synchronisation, as reported to Options.Report.
type Action struct {
	Op Op
	// Path is the entry's slash-separated path relative to the
	// synchronised directories; "" for the top directory.
	Path string
	// Size is the file's size for OpGet and OpPut, -1 when unknown.
	Size int64
	// Reason says why: "new", "size", "time" for transfers, "not in
	// source" for deletions, the entry's type for OpSkip.
	Reason string
	// Err is the failure, nil when the action succeeded (or, with
	// DryRun, was only planned).
	Err error
}

// Options configures Download and Upload. The zero value copies what
// changed, deletes nothing, and runs as many transfers at once as the
// Pool allows.
type Options struct {
	// Delete removes, at the destination, files and directories that the
	// source does not have. Partial files of transfers still to be
	// resumed are kept. Nothing is deleted in a directory whose listing
	// failed, was cut short or held an unusable line. For servers without
	// MLSD, set the Pool's Dialer.ListHidden: plain LIST leaves out names
	// starting with ".". Local entries starting with "." that the listing
	// lacks are deleted only once the server confirms them absent (SIZE
	// and a listing of the name both answer 550), and kept otherwise.
	Delete bool
	// DryRun reports the actions that would be taken and changes nothing.
	DryRun bool
	// Parallel is the number of transfers and listings running at once;
	// zero or negative (no limit of its own) means the Pool's limit
	// (Pool.Limit; ftp.MaxBatchConns for a Pool without one). It never
	// exceeds the Pool's limit, including a limit lowered while the
	// mirror runs (a server's 421): the others then wait for one of
	// theirs, not in Pool.Get. The pipelined batches of small files that
	// run at the end use up to Pool.Limit connections.
	Parallel int
	// Segments, when above 1, downloads each file of at least SegmentMin
	// bytes in that many ranges at once, each over its own connection
	// (ftp.Pool.RetrSegmentedFile: REST+RETR per range, sizes and, where
	// the server offers one, the checksum verified; resumable from its
	// partial file). The Pool's limit caps it. Zero or 1: one connection
	// per file.
	Segments int
	// SegmentMin is the smallest file downloaded in segments; zero means
	// DefaultSegmentMin (64 MiB).
	SegmentMin int64
	// MaxDepth is how many directory levels below the top directory are
	// synchronised; a directory nested deeper is not entered and is
	// reported as failed (ftp.ErrTooDeep). Zero means DefaultMaxDepth (64);
	// negative means no limit, as in every configuration struct of the
	// module, and is unwise: a server can list an endless tree that
	// repeats no unique fact.
	MaxDepth int
	// Report, when not nil, is called for every action once it is done,
	// failed, or (with DryRun) planned. Calls are serialised.
	Report func(Action)
	// Meter, when not nil, is called as each transfer starts and returns
	// the Meter that follows it (see FetchOptions.Meter). It may be called
	// from several goroutines at once.
	Meter func(a Action, size, offset int64) Meter
}

// Result counts what a synchronisation did (or, with DryRun, would do).
type Result struct {
	Files    int   // files transferred
	Bytes    int64 // bytes transferred (planned: sizes as listed)
	UpToDate int   // files already identical
	Dirs     int   // directories created
	Deleted  int   // files and directory trees deleted
	Failed   int   // actions that failed
}

// Download makes the local directory localDir a copy of the remote
// directory remoteDir ("" for the login directory), creating localDir if
// needed. It first confirms that remoteDir is an existing directory (MLST,
// or CWD there and back) and returns the server's error (matching
// fs.ErrNotExist for a 550) without touching localDir when it is not.
// Then it continues past failures, reports each to Options.Report, and
// returns them joined; a cancelled ctx stops it, leaving partial files
// that the next run resumes.
func Download(ctx context.Context, p *ftp.Pool, remoteDir, localDir string, opts *Options) (Result, error) {
	s := newSyncer(ctx, p, remoteDir, opts)
	// The top directory is confirmed while its listing is read on
	// another connection, the first two logged in: nothing is made or
	// changed locally before both are in, and a failed confirmation
	// discards the listing.
	// A listing that can only be a directory's (see provesDir) is
	// confirmation enough where the server has no MLST (whose unique fact
	// the walk needs): the confirmation's answer is not waited for.
	top := &dirNode{}
	s.topList = &listed{}
	var proved atomic.Bool
	tasks := []func(c *ftp.Conn) error{func(c *ftp.Conn) error {
		var err error
		s.topList.entries, err = listSlim(ctx, c, remoteDir)
		if err == nil && provesDir(s.topList.entries, remoteDir) {
			if f, ferr := c.Features(ctx); ferr == nil {
				if _, mlst := f["MLST"]; !mlst {
					proved.Store(true)
				}
			}
		}
		return err
	}}
	var unique string
	if strings.Trim(remoteDir, "/") != "" && remoteDir != "." {
		tasks = append(tasks, func(c *ftp.Conn) error {
			if proved.Load() {
				return nil // given the connection the listing left
			}
			var err error
			unique, err = statDir(ctx, c, remoteDir)
			return err
		})
	}
	errs, stop := s.warmUntil(proved.Load, tasks...)
	defer stop()
	s.topList.err = errs[0]
	if len(errs) > 1 && !proved.Load() {
		if errs[1] != nil {
			return Result{}, errs[1]
		}
		top.unique = unique
	}
	localExists := true
	if !s.opts.DryRun {
		if err := os.MkdirAll(localDir, 0o755); err != nil {
			return Result{}, err
		}
	}
	root, err := os.OpenRoot(localDir)
	switch {
	case err == nil:
		defer root.Close()
		s.root = root
	case s.opts.DryRun && errors.Is(err, fs.ErrNotExist):
		localExists = false
	default:
		return Result{}, err
	}
	return s.run(func() { s.downloadDir(top, localExists) })
}

// Upload makes the remote directory remoteDir ("" for the login
// directory) a copy of the local directory localDir, creating remoteDir
// (not its parents) if needed. Files are uploaded to partial files
// renamed when complete (see Send). Failures are handled as in Download.
func Upload(ctx context.Context, p *ftp.Pool, localDir, remoteDir string, opts *Options) (Result, error) {
	s := newSyncer(ctx, p, remoteDir, opts)
	root, err := os.OpenRoot(localDir)
	if err != nil {
		return Result{}, err
	}
	defer root.Close()
	s.root = root
	// The top directory is listed on the first connection logged in
	// while MKD, in case it does not exist yet, goes out on the second
	// (one connection: MKD first). An error (it exists, or cannot be
	// made) shows up at the listing or the uploads; a listing that found
	// no directory is an empty one once MKD made it.
	s.topList = &listed{}
	tasks := []func(c *ftp.Conn) error{func(c *ftp.Conn) error {
		var err error
		s.topList.entries, err = listSlim(ctx, c, remoteDir)
		return err
	}}
	made := false
	if remoteDir != "" && !s.opts.DryRun {
		tasks = append(tasks, func(c *ftp.Conn) error {
			_, err := c.Mkd(ctx, remoteDir)
			made = err == nil
			return nil
		})
	}
	errs, stop := s.warm(tasks...)
	defer stop()
	if err := errs[0]; err != nil && len(s.topList.entries) == 0 && errors.Is(err, fs.ErrNotExist) && (s.opts.DryRun || made) {
		errs[0] = nil // to be created, or just made
	}
	s.topList.err = errs[0]
	fi, err := root.Stat(".")
	if err != nil {
		return Result{}, err
	}
	return s.run(func() { s.uploadDir(&dirNode{fi: fi}, false) })
}

type job struct {
	a   Action
	run func() (int64, error)
}

type syncer struct {
	ctx    context.Context
	p      *ftp.Pool
	opts   Options
	depth  int // Options.MaxDepth or its default
	remote string
	root   *os.Root // nil in a dry run whose local directory does not exist

	jobs chan job
	gate *gate.Gate

	// Directories still to walk, and how many walkers are busy: Parallel
	// walkers take them, most recently found first, so that at most
	// Parallel listings are held in memory at once.
	wmu     sync.Mutex
	wcond   sync.Cond
	pending []func()
	busy    int

	mu   sync.Mutex
	res  Result
	errs []error
	gets []batchGet // small downloads for the pipelined batch
	segs []segGet   // large downloads, in segments after the walk
	puts []batchPut // small uploads for the pipelined batch

	// topList is the top directory's listing when Download read it
	// beside the top's confirmation; nil otherwise.
	topList *listed
}

// listed is a directory's listing and its error.
type listed struct {
	entries []entry
	err     error
}

func newSyncer(ctx context.Context, p *ftp.Pool, remote string, opts *Options) *syncer {
	s := &syncer{ctx: ctx, p: p, remote: remote}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Parallel <= 0 || s.opts.Parallel > p.Limit() {
		// More would only wait in Pool.Get, whose wait is bounded.
		s.opts.Parallel = max(1, p.Limit())
	}
	// A Pool without a limit (MaxConns negative) gets as many as a
	// batch may use, not a goroutine for each int.
	s.opts.Parallel = min(s.opts.Parallel, ftp.MaxBatchConns)
	switch s.depth = s.opts.MaxDepth; {
	case s.depth == 0:
		s.depth = DefaultMaxDepth
	case s.depth < 0:
		s.depth = math.MaxInt
	}
	s.jobs = make(chan job, 64)
	// The Pool's limit may fall (421) once connections are made: the
	// gate follows it, so that no call waits in Pool.Get for one of the
	// places another holds (a wait bounded by WaitTimeout, which a long
	// transfer outlasts).
	s.gate = gate.New(s.opts.Parallel, p.Limit)
	return s
}

// run walks the tree from top while workers run the transfers it queues.
func (s *syncer) run(top func()) (Result, error) {
	var workers sync.WaitGroup
	for range s.opts.Parallel {
		workers.Go(func() {
			for j := range s.jobs {
				var n int64
				err := s.limit(func() error {
					var err error
					n, err = j.run()
					return err
				})
				if err != nil && s.ctx.Err() != nil {
					continue // reported once, at the end
				}
				s.mu.Lock()
				if err == nil {
					s.res.Files++
					s.res.Bytes += n
				}
				s.mu.Unlock()
				s.report(j.a, err)
			}
		})
	}
	s.wcond.L = &s.wmu
	s.pending = []func(){top}
	var walkers sync.WaitGroup
	for range s.opts.Parallel {
		walkers.Go(s.walk)
	}
	walkers.Wait()
	close(s.jobs)
	workers.Wait()
	// Large files in segments, one at a time over every connection
	// (no worker holds one now), then small files in pipelined batches.
	s.runSegs()
	s.runBatches()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ctx.Err(); err != nil {
		s.errs = append(s.errs, err)
	}
	return s.res, errors.Join(s.errs...)
}

// warm logs connections in, in the background, from the start: Parallel
// of them (the Pool dials them at once and logs them in once the first
// login succeeded), so that the listings and transfers find them ready.
// tasks run at once, each on one of the first connections logged in (the
// first task on the first), and warm returns their errors. With a
// single connection, or in a dry run, the tasks run one after another,
// the last first (Download's confirmation of the top directory before
// its listing), and nothing more is logged in. stop abandons what is
// left and waits.
func (s *syncer) warm(tasks ...func(c *ftp.Conn) error) (errs []error, stop func()) {
	return s.warmUntil(nil, tasks...)
}

// warmUntil is warm, but returns once the first task has ended if enough
// then reports true: the other tasks go on, their errors unread (stop
// waits for them).
func (s *syncer) warmUntil(enough func() bool, tasks ...func(c *ftp.Conn) error) (errs []error, stop func()) {
	errs = make([]error, len(tasks))
	n := s.opts.Parallel
	if s.opts.DryRun || n < len(tasks) {
		for i := len(tasks) - 1; i >= 0; i-- {
			errs[i] = s.p.Do(s.ctx, tasks[i])
		}
		return errs, func() {}
	}
	type got struct {
		c   *ftp.Conn
		err error
	}
	ready := make(chan got, n)
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c, err := s.p.Get(ctx)
			ready <- got{c, err}
		})
	}
	var running sync.WaitGroup
	firstDone := make(chan struct{})
	for i, task := range tasks {
		g := <-ready
		if g.err != nil {
			errs[i] = g.err
			if i == 0 {
				close(firstDone)
			}
			continue
		}
		running.Go(func() {
			defer s.p.Put(g.c)
			errs[i] = task(g.c)
			if i == 0 {
				close(firstDone)
			}
		})
	}
	wg.Go(func() {
		for range n - len(tasks) {
			if g := <-ready; g.err == nil {
				s.p.Put(g.c)
			}
		}
	})
	if enough != nil {
		<-firstDone
		if enough() {
			return errs, func() { cancel(); wg.Wait(); running.Wait() }
		}
	}
	running.Wait()
	return errs, func() { cancel(); wg.Wait() }
}

// provesDir reports a listing of dir that no file or missing directory
// gives: more than one entry, or one not named as dir (LIST of a file
// lists that file; some servers list a missing directory as empty).
func provesDir(entries []entry, dir string) bool {
	switch len(entries) {
	case 0:
		return false
	case 1:
		return entries[0].Name != path.Base(strings.TrimRight(dir, "/"))
	}
	return true
}

// dir schedules fn, a directory's walk.
func (s *syncer) dir(fn func()) {
	s.wmu.Lock()
	s.pending = append(s.pending, fn)
	s.wmu.Unlock()
	s.wcond.Signal()
}

// walk runs scheduled directory walks until none is left and no other
// walker can schedule more.
func (s *syncer) walk() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for {
		for len(s.pending) == 0 && s.busy > 0 {
			s.wcond.Wait()
		}
		n := len(s.pending)
		if n == 0 {
			s.wcond.Broadcast() // done: wake the other walkers to leave too
			return
		}
		fn := s.pending[n-1]
		s.pending[n-1] = nil
		s.pending = s.pending[:n-1]
		s.busy++
		s.wmu.Unlock()
		fn()
		s.wmu.Lock()
		s.busy--
		if s.busy == 0 && len(s.pending) == 0 {
			s.wcond.Broadcast()
		}
	}
}

// limit runs fn, which uses the Pool, when fewer than Parallel such
// calls are running, and fewer than the Pool's limit as it is now:
// listings and transfers share the connections, and none should wait in
// Pool.Get while a long transfer holds them all. One let in before the
// limit fell, whose wait in Pool.Get timed out, runs again once there is
// room under the new limit.
func (s *syncer) limit(fn func() error) error {
	return s.gate.Run(s.ctx, fn, poolWait)
}

// poolWait reports a wait for a free connection that timed out: for
// work let in before the Pool's limit fell, the gate runs it again.
func poolWait(err error) bool { return errors.Is(err, ftp.ErrPoolTimeout) }

// do runs fn on a connection of the Pool, within limit.
func (s *syncer) do(fn func(c *ftp.Conn) error) error {
	return s.limit(func() error { return s.p.Do(s.ctx, fn) })
}

// report records the outcome of a.
func (s *syncer) report(a Action, err error) {
	a.Err = err
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.res.Failed++
		p := a.Path
		if p == "" {
			p = "."
		}
		s.errs = append(s.errs, fmt.Errorf("%s %s: %w", a.Op, p, bare{err}))
	}
	if s.opts.Report != nil {
		s.opts.Report(a)
	}
}

// reportAll reports each error joined in err (one per listing line
// refused) as a failure of its own.
func (s *syncer) reportAll(a Action, err error) {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			s.reportAll(a, e)
		}
		return
	}
	s.report(a, err)
}

func (s *syncer) count(f func(r *Result)) {
	s.mu.Lock()
	f(&s.res)
	s.mu.Unlock()
}

// queue plans a transfer: reported at once in a dry run, else run by a
// worker.
func (s *syncer) queue(a Action, run func(Action) (int64, error)) {
	if s.opts.DryRun {
		s.count(func(r *Result) {
			r.Files++
			r.Bytes += max(a.Size, 0)
		})
		s.report(a, nil)
		return
	}
	select {
	case s.jobs <- job{a, func() (int64, error) { return run(a) }}:
	case <-s.ctx.Done():
	}
}

// meter returns the FetchOptions/SendOptions Meter hook for a.
func (s *syncer) meter(a Action) func(size, offset int64) Meter {
	if s.opts.Meter == nil {
		return nil
	}
	return func(size, offset int64) Meter { return s.opts.Meter(a, size, offset) }
}

// localPath turns a relative slash path built from checked names into a
// path under root.
func localPath(rel string) string {
	if rel == "" {
		return "."
	}
	return filepath.FromSlash(rel)
}

// readLocal lists a local directory under root by name (Lstat
// information: links are not followed).
func (s *syncer) readLocal(rel string) (map[string]fs.FileInfo, error) {
	m := map[string]fs.FileInfo{}
	if s.root == nil {
		return m, nil
	}
	d, err := s.root.Open(localPath(rel))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		m[de.Name()] = fi
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// downloadDir synchronises the remote directory dir into the local one.
func (s *syncer) downloadDir(dir *dirNode, localExists bool) {
	rel := dir.path
	var entries []entry
	var lerr error
	if rel == "" && s.topList != nil {
		entries, lerr = s.topList.entries, s.topList.err
		s.topList = nil
	} else {
		lerr = s.do(func(c *ftp.Conn) error {
			var err error
			entries, err = listSlim(s.ctx, c, ftp.JoinPath(s.remote, rel))
			return err
		})
	}
	if lerr != nil {
		if s.ctx.Err() != nil {
			return
		}
		s.reportAll(Action{Op: OpList, Path: rel, Size: -1}, lerr)
	}
	local := map[string]fs.FileInfo{}
	if localExists {
		var err error
		if local, err = s.readLocal(rel); err != nil {
			s.report(Action{Op: OpList, Path: rel, Size: -1}, err)
			return
		}
	}
	remoteFiles := map[string]bool{}
	for _, e := range entries {
		if s.ctx.Err() != nil {
			return
		}
		r := ftp.JoinPath(rel, e.Name)
		lp, err := safepath.Join(localPath(rel), e.Name)
		if err != nil { // List checked it already; never trust one check
			s.report(Action{Op: OpGet, Path: r, Size: -1}, err)
			continue
		}
		if IsPartialName(e.Name) {
			// Not data: an upload interrupted on the server. Fetching it
			// would make it a local partial file, resumed into e's base.
			s.report(Action{Op: OpSkip, Path: r, Size: e.Size, Reason: skipPartial}, nil)
			continue
		}
		li, has := local[e.Name]
		remoteFiles[e.Name] = true
		switch e.Type {
		case listing.Dir:
			sub, err := dir.enter(r, e.Unique, nil, s.depth)
			if err != nil {
				s.report(Action{Op: OpList, Path: r, Size: -1}, err)
				continue
			}
			if has && !li.IsDir() {
				if !s.removeLocal(lp, r, "a directory on the server", lerr) {
					continue
				}
				has = false
			}
			if !has {
				if !s.mkdirLocal(lp, r) {
					continue
				}
			}
			s.dir(func() { s.downloadDir(sub, has || !s.opts.DryRun) })
		case listing.File:
			reason := ""
			switch {
			case !has:
				reason = "new"
			case li.IsDir():
				if !s.removeLocal(lp, r, "a file on the server", lerr) {
					continue
				}
				reason = "new"
			case !li.Mode().IsRegular():
				reason = "type"
			case e.Size >= 0 && li.Size() != e.Size:
				reason = "size"
			case !sameTime(li.ModTime(), e.Time, e.Precision):
				reason = "time"
			}
			if reason == "" {
				s.count(func(r *Result) { r.UpToDate++ })
				continue
			}
			if s.canBatchGet(e, lp) {
				s.planGet(batchGet{a: Action{Op: OpGet, Path: r, Size: e.Size, Reason: reason},
					remote: ftp.JoinPath(s.remote, r), local: lp, size: e.Size, mtime: e.Time})
				continue
			}
			if s.segmented(e, lp) {
				// Large: after the walk, alone, over all the connections.
				s.planSeg(segGet{a: Action{Op: OpGet, Path: r, Size: e.Size, Reason: reason},
					remote: ftp.JoinPath(s.remote, r), local: lp, e: e})
				continue
			}
			s.queue(Action{Op: OpGet, Path: r, Size: e.Size, Reason: reason}, func(a Action) (int64, error) {
				return Fetch(s.ctx, s.p, ftp.JoinPath(s.remote, r), s.root, lp, FetchOptions{
					Resume: true, Size: max(e.Size, 0), SizeKnown: e.Exact,
					ModTime: e.Time, Meter: s.meter(a),
				})
			})
		default:
			s.report(Action{Op: OpSkip, Path: r, Size: e.Size, Reason: e.Type.String()}, nil)
		}
	}
	if !s.opts.Delete || lerr != nil {
		return
	}
	for _, name := range sortedKeys(local) {
		if remoteFiles[name] {
			continue
		}
		if base, ok := isPartOf(name); ok && remoteFiles[base] {
			continue // to be resumed
		}
		if strings.HasPrefix(name, ".") && !s.absentRemote(ftp.JoinPath(s.remote, ftp.JoinPath(rel, name))) {
			// A plain LIST (without Dialer.ListHidden) leaves out names
			// starting with ".": their absence from the listing proves
			// nothing, and the server was not seen to lack them.
			s.report(Action{Op: OpDelete, Path: ftp.JoinPath(rel, name), Size: -1, Reason: "not in source"},
				errors.New("kept: not in the listing, but not confirmed absent on the server (listings may hide dot files: set Dialer.ListHidden)"))
			continue
		}
		s.removeLocal(filepath.Join(localPath(rel), name), ftp.JoinPath(rel, name), "not in source", nil)
	}
}

// absentRemote reports whether the server confirms that p does not exist:
// SIZE (a file) and a listing of p (a directory) both answer "no such
// file". Any other answer, an error included, keeps the local copy.
func (s *syncer) absentRemote(p string) bool {
	absent := false
	s.do(func(c *ftp.Conn) error {
		if _, err := c.Size(s.ctx, p); !errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		_, err := c.ReadDir(s.ctx, p)
		absent = errors.Is(err, fs.ErrNotExist)
		return nil
	})
	return absent
}

// removeLocal deletes a local file or tree for --delete; without Delete,
// or when lerr says that the listing of its directory was incomplete, it
// reports the conflict. It reports whether the path is gone.
func (s *syncer) removeLocal(lp, r, reason string, lerr error) bool {
	a := Action{Op: OpDelete, Path: r, Size: -1, Reason: reason}
	if !s.opts.Delete {
		s.report(a, fmt.Errorf("in the way of %s (use Delete to replace it)", reason))
		return false
	}
	if lerr != nil {
		s.report(a, fmt.Errorf("in the way of %s, not replaced: the listing of its directory was incomplete", reason))
		return false
	}
	var err error
	if !s.opts.DryRun {
		err = s.root.RemoveAll(lp)
	}
	if err == nil {
		s.count(func(r *Result) { r.Deleted++ })
	}
	s.report(a, err)
	return err == nil
}

func (s *syncer) mkdirLocal(lp, r string) bool {
	var err error
	if !s.opts.DryRun {
		err = s.root.Mkdir(lp, 0o755)
	}
	if err == nil {
		s.count(func(r *Result) { r.Dirs++ })
	}
	s.report(Action{Op: OpMkdir, Path: r, Size: -1}, err)
	return err == nil
}

// uploadDir synchronises the local directory dir to the remote one.
func (s *syncer) uploadDir(dir *dirNode, remoteKnown bool) {
	rel := dir.path
	rdir := ftp.JoinPath(s.remote, rel)
	local, err := s.readLocal(rel)
	if err != nil {
		s.report(Action{Op: OpList, Path: rel, Size: -1}, err)
		return
	}
	var entries []entry
	var lerr error
	switch {
	case rel == "" && s.topList != nil:
		entries, lerr = s.topList.entries, s.topList.err
		s.topList = nil
	case remoteKnown:
		lerr = s.do(func(c *ftp.Conn) error {
			var err error
			entries, err = listSlim(s.ctx, c, rdir)
			return err
		})
	}
	if lerr != nil {
		if s.ctx.Err() != nil {
			return
		}
		s.reportAll(Action{Op: OpList, Path: rel, Size: -1}, lerr)
	}
	remote := map[string]entry{}
	for _, e := range entries {
		remote[e.Name] = e
	}
	for _, name := range sortedKeys(local) {
		if s.ctx.Err() != nil {
			return
		}
		if _, ok := isPartOf(name); ok {
			continue // a download in progress
		}
		li := local[name]
		lp := filepath.Join(localPath(rel), name)
		r := ftp.JoinPath(rel, name)
		if li.Mode()&fs.ModeSymlink != 0 {
			// Follow links that stay inside the root (os.Root refuses the
			// others).
			fi, err := s.root.Stat(lp)
			if err != nil {
				s.report(Action{Op: OpSkip, Path: r, Size: -1, Reason: "link"}, nil)
				continue
			}
			li = fi
		}
		re, has := remote[name]
		switch {
		case li.IsDir():
			sub, err := dir.enter(r, "", li, s.depth)
			if err != nil {
				s.report(Action{Op: OpList, Path: r, Size: -1}, err)
				continue
			}
			if has && re.Type != listing.Dir {
				if !s.removeRemote(r, "a directory locally") {
					continue
				}
				has = false
			}
			if !has && !s.mkdirRemote(r) {
				continue
			}
			s.dir(func() { s.uploadDir(sub, has) })
		case li.Mode().IsRegular():
			reason := ""
			switch {
			case !has:
				reason = "new"
			case re.Type == listing.Dir:
				if !s.removeRemote(r, "a file locally") {
					continue
				}
				reason = "new"
			case re.Size >= 0 && re.Size != li.Size():
				reason = "size"
			case newer(li.ModTime(), re.Time, re.Precision):
				reason = "time"
			}
			if reason == "" {
				s.count(func(r *Result) { r.UpToDate++ })
				continue
			}
			mt := li.ModTime()
			if _, resume := remote[partName(name)]; !resume && !s.opts.DryRun && li.Size() <= BatchMax {
				rp := ftp.JoinPath(s.remote, r)
				i := strings.LastIndexByte(rp, '/')
				s.planPut(batchPut{a: Action{Op: OpPut, Path: r, Size: li.Size(), Reason: reason},
					local: lp, remote: rp, temp: rp[:i+1] + partName(rp[i+1:]), size: li.Size(), mtime: mt})
				continue
			}
			s.queue(Action{Op: OpPut, Path: r, Size: li.Size(), Reason: reason}, func(a Action) (int64, error) {
				return Send(s.ctx, s.p, s.root, lp, ftp.JoinPath(s.remote, r), SendOptions{
					Resume: true, ModTime: mt, Meter: s.meter(a),
				})
			})
		default:
			s.report(Action{Op: OpSkip, Path: r, Size: -1, Reason: "other"}, nil)
		}
	}
	if !s.opts.Delete || lerr != nil {
		return
	}
	for _, name := range sortedKeys(remote) {
		if _, ok := local[name]; ok {
			continue
		}
		if base, ok := isPartOf(name); ok {
			if _, ok := local[base]; ok {
				continue // to be resumed
			}
		}
		s.removeRemote(ftp.JoinPath(rel, name), "not in source")
	}
}

func (s *syncer) removeRemote(r, reason string) bool {
	a := Action{Op: OpDelete, Path: r, Size: -1, Reason: reason}
	if !s.opts.Delete {
		s.report(a, fmt.Errorf("in the way of %s (use Delete to replace it)", reason))
		return false
	}
	var err error
	if !s.opts.DryRun {
		err = s.do(func(c *ftp.Conn) error { return c.RemoveAll(s.ctx, ftp.JoinPath(s.remote, r)) })
	}
	if err == nil {
		s.count(func(r *Result) { r.Deleted++ })
	}
	s.report(a, err)
	return err == nil
}

func (s *syncer) mkdirRemote(r string) bool {
	var err error
	if !s.opts.DryRun {
		err = s.do(func(c *ftp.Conn) error {
			_, err := c.Mkd(s.ctx, ftp.JoinPath(s.remote, r))
			return err
		})
	}
	if err == nil {
		s.count(func(r *Result) { r.Dirs++ })
	}
	s.report(Action{Op: OpMkdir, Path: r, Size: -1}, err)
	return err == nil
}

// skipPartial is the Reason of an OpSkip for a server entry named like a
// partial file.
const skipPartial = "named like a partial file (" + PartSuffix + "): an interrupted transfer, not data"

// bare shows an error without the "ftp: " prefix that starts the
// library's errors, for wrapping it mid-sentence ("get a: RETR a: 550");
// errors.Is and errors.As still see it.
type bare struct{ err error }

func (b bare) Error() string { return strings.TrimPrefix(b.err.Error(), "ftp: ") }
func (b bare) Unwrap() error { return b.err }
