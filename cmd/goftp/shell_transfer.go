package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/listing"
	"github.com/goftplib/ftp/mirror"
)

// The shell's transfers: get, put and mirror, between the local and
// the remote working directories.

func (s *shell) reget(args []string) error { return s.get(append([]string{"-c"}, args...)) }

func (s *shell) get(args []string) error {
	a := s.a
	fs := s.flags("get")
	resume := fs.Bool("c", false, "continue partial downloads")
	out := fs.String("o", "", "local file or directory")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("get needs at least one FILE")
	}
	if s.u == nil {
		return errNotConnected
	}
	dir, rename := s.lcwd, ""
	if *out != "" {
		o := s.labs(*out)
		if fi, err := os.Stat(o); err == nil && fi.IsDir() || strings.HasSuffix(*out, "/") {
			dir = o
		} else {
			dir, rename = filepath.Dir(o), filepath.Base(o)
		}
	}
	var files []remoteFile
	failed := false
	for _, p := range pos {
		if strings.HasSuffix(p, "/") || s.abs(p) == "/" {
			return usagef("%s is a directory: use mirror to download a tree", p)
		}
		err := s.conn(func(c *ftp.Conn) error {
			paths, err := s.remoteGlob(c, p, true)
			for _, rp := range paths {
				name := path.Base(rp)
				if err := safepath.Check(name); err != nil {
					a.printError(wrapf("get %s: %w", rp, err))
					failed = true
					continue
				}
				files = append(files, remoteFile{remote: rp, name: name})
			}
			return err
		})
		if err != nil {
			if a.ctx.Err() != nil || errors.Is(err, errNotConnected) {
				return err
			}
			a.printError(wrapf("get %s: %w", p, err))
			failed = true
		}
	}
	if rename != "" && len(files) > 1 {
		return usagef("-o %s: with several files, -o must name a directory", *out)
	}
	if len(files) > 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	prog := a.newProgress(a.progressOut())
	for _, f := range files {
		name := f.name
		if rename != "" {
			name = rename
		}
		if mirror.IsPartialName(name) {
			a.printError(fmt.Errorf("%s: not downloaded: it is named like a partial file (.NAME%s); use -o NEWNAME", f.remote, mirror.PartSuffix))
			failed = true
			continue
		}
		label := f.remote
		_, err := mirror.Fetch(a.ctx, s.pool, f.remote, root, name, mirror.FetchOptions{
			Resume: *resume,
			Meter:  func(size, offset int64) mirror.Meter { return prog.start(label, size, offset) },
		})
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(err)
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func (s *shell) reput(args []string) error { return s.put(append([]string{"-c"}, args...)) }

func (s *shell) put(args []string) error {
	a := s.a
	fs := s.flags("put")
	resume := fs.Bool("c", false, "continue interrupted uploads")
	direct := fs.Bool("direct", false, "write straight to the final name (no partial file)")
	out := fs.String("o", "", "remote file or directory")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("put needs at least one LOCAL file")
	}
	if s.u == nil {
		return errNotConnected
	}
	failed := false
	var locals []string
	for _, p := range pos {
		l := s.labs(p)
		if _, err := os.Lstat(unescapeGlob(l)); err == nil || !hasMeta(p) {
			locals = append(locals, unescapeGlob(l))
			continue
		}
		m, err := filepath.Glob(l)
		if err != nil {
			return usagef("bad pattern %q: %v", p, err)
		}
		if len(m) == 0 {
			a.printError(notFound{fmt.Errorf("put: no local files match %s", p)})
			failed = true
		}
		locals = append(locals, m...)
	}
	var files []string
	for _, l := range locals {
		fi, err := os.Stat(l)
		switch {
		case err != nil:
			a.printError(err)
			failed = true
		case fi.IsDir():
			a.warnf("skip %s: a directory (mirror -R uploads a tree)", l)
		default:
			files = append(files, l)
		}
	}
	target, toDir := s.cwd, true
	if *out != "" {
		target = s.abs(*out)
		toDir = strings.HasSuffix(*out, "/") || len(files) > 1
		if !toDir {
			s.conn(func(c *ftp.Conn) error {
				if e, err := c.Stat(a.ctx, target); err == nil && e.Type == listing.Dir {
					toDir = true
				}
				return nil
			})
		}
	}
	prog := a.newProgress(a.progressOut())
	for _, l := range files {
		remote := target
		if toDir {
			remote = path.Join(target, filepath.Base(l))
		}
		if err := a.putFile(s.pool, l, remote, *resume, *direct, prog); err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(wrapf("put %s: %w", l, err))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// unescapeGlob removes the backslashes that escape glob metacharacters.
func unescapeGlob(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func (s *shell) mirror(args []string) error {
	a := s.a
	fs := s.flags("mirror")
	upload := fs.Bool("R", false, "reverse: upload a local tree")
	del := fs.Bool("delete", false, "delete what the source does not have")
	parallel := fs.Int("P", s.parallel, "transfer with N connections at once")
	dry := fs.Bool("dry-run", false, "show what would be done")
	maxDepth := fs.Int("max-depth", mirror.DefaultMaxDepth, "enter at most N levels")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 2:
		return usagef("mirror takes SRC and DST")
	case *parallel < 1 || *parallel > 64:
		return usagef("-P must be between 1 and 64")
	case *maxDepth < 1:
		return usagef("--max-depth must be at least 1")
	case s.u == nil:
		return errNotConnected
	}
	var remote, local string
	if *upload {
		// mirror -R [LOCAL [REMOTE]]: LOCAL's tree into REMOTE (default:
		// a directory of LOCAL's name here).
		local = s.lcwd
		remote = s.cwd
		if len(pos) >= 1 {
			local = s.labs(pos[0])
			remote = path.Join(s.cwd, filepath.Base(local))
		}
		if len(pos) == 2 {
			remote = s.abs(pos[1])
		}
	} else {
		// mirror [REMOTE [LOCAL]]: as lftp, into a local directory of
		// REMOTE's name by default.
		remote = s.cwd
		local = s.lcwd
		if len(pos) >= 1 {
			remote = s.abs(pos[0])
			if b := path.Base(remote); b != "/" && b != "." {
				local = filepath.Join(s.lcwd, b)
			}
		}
		if len(pos) == 2 {
			local = s.labs(pos[1])
		}
	}
	p := s.pool
	if *parallel > 1 {
		cfg := s.cfg
		cfg.MaxConns = *parallel
		p = ftp.NewPool(s.u.Host, cfg)
		defer p.Close()
	}
	msg := a.progressOut()
	prog := a.newProgress(msg)
	verb := map[bool]string{false: "", true: "would "}[*dry]
	opts := &mirror.Options{
		Delete:   *del,
		DryRun:   *dry,
		Parallel: *parallel,
		MaxDepth: *maxDepth,
		Report: func(act mirror.Action) {
			p := quoteName(act.Path)
			switch {
			case errors.Is(act.Err, ftp.ErrTooDeep):
				a.printError(fmt.Errorf("%s: not entered: more than %d levels deep (--max-depth)", p, *maxDepth))
			case act.Err != nil:
				a.printError(wrapf("%s %s: %w", act.Op, p, act.Err))
			case (act.Op == mirror.OpGet || act.Op == mirror.OpPut) && !*dry:
			case act.Op == mirror.OpSkip:
			case *dry:
				a.printf(a.stdout, "%s%s %s\n", verb, act.Op, p) // what would be done: the output
			default:
				a.printf(msg, "%s %s\n", act.Op, p)
			}
		},
		Meter: func(act mirror.Action, size, offset int64) mirror.Meter {
			return prog.start(fmt.Sprintf("%s %s", act.Op, quoteName(act.Path)), size, offset)
		},
	}
	var res mirror.Result
	if *upload {
		res, err = mirror.Upload(a.ctx, p, local, remote, opts)
	} else {
		res, err = mirror.Download(a.ctx, p, remote, local, opts)
	}
	a.printf(msg, "mirror: %d files (%s) %stransferred, %d up to date, %d %sdeleted, %d directories %screated",
		res.Files, humanBytes(float64(res.Bytes)), verb, res.UpToDate, res.Deleted, verb, res.Dirs, verb)
	if res.Failed > 0 {
		a.printf(msg, ", %d failed", res.Failed)
	}
	a.printf(msg, "\n")
	if err != nil {
		if a.ctx.Err() != nil {
			return a.ctx.Err()
		}
		if res.Failed > 0 {
			return errReported
		}
		return wrapf("mirror: %w", err)
	}
	return nil
}
