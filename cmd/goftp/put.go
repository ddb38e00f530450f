package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/mirror"
)

func (a *app) put(args []string) error {
	fs := a.subFlags("put")
	resume := fs.Bool("c", false, "continue interrupted uploads from the size of the partial file the server holds\n(REST; with --direct, from the size of the file itself)")
	direct := fs.Bool("direct", false, "write straight to the final name, for servers that forbid renaming (upload-only\ndirectories). Without it, each file is uploaded to a partial file .NAME"+mirror.PartSuffix+"\nbeside the target and renamed when complete, so an interrupted upload never\nleaves a truncated file under the real name")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("put needs local files and a URL")
	}
	u, err := a.parseURL(pos[len(pos)-1])
	if err != nil {
		return err
	}
	locals := pos[:len(pos)-1]
	toDir := u.Base() == "" || len(locals) > 1
	for _, l := range locals {
		fi, err := os.Stat(l)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return usagef("%s is a directory: use mirror -R to upload a tree", l)
		}
	}
	pools := a.pools()
	defer pools.Close()
	p, err := pools.Pool(u)
	if err != nil {
		return err
	}
	prog := a.newProgress(a.stdout)
	failed := false
	for _, l := range locals {
		remote := u.Path()
		if toDir {
			remote = ftp.JoinPath(strings.TrimSuffix(u.Path(), "/"), filepath.Base(l))
			if strings.Trim(u.Path(), "/") == "" && strings.HasPrefix(u.Path(), "/") {
				remote = "/" + filepath.Base(l)
			}
		}
		err := a.putFile(p, l, remote, *resume, *direct, prog)
		if err != nil {
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
			m := prog.start(remote, size, offset)
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
