package main

import (
	"fmt"
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
	defer pools.close()
	p, err := pools.get(u)
	if err != nil {
		return err
	}
	prog := a.newProgress(a.stdout)
	failed := false
	for _, l := range locals {
		remote := u.Path()
		if toDir {
			remote = joinRemote(strings.TrimSuffix(u.Path(), "/"), filepath.Base(l))
			if strings.Trim(u.Path(), "/") == "" && strings.HasPrefix(u.Path(), "/") {
				remote = "/" + filepath.Base(l)
			}
		}
		err := a.putFile(p, l, remote, *resume, *direct, prog)
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(fmt.Errorf("put %s: %w", l, err))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// putFile uploads local to remote with mirror.Send: to a partial file
// renamed when complete, or, with direct, to remote itself.
func (a *app) putFile(p *ftp.Pool, local, remote string, resume, direct bool, prog *progress) error {
	root, err := os.OpenRoot(filepath.Dir(local))
	if err != nil {
		return err
	}
	defer root.Close()
	_, err = mirror.Send(a.ctx, p, root, filepath.Base(local), remote, mirror.SendOptions{
		Resume:  resume,
		Direct:  direct,
		Retries: a.g.retries,
		Meter:   func(size, offset int64) mirror.Meter { return prog.start(remote, size, offset) },
	})
	return err
}
