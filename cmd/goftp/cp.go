package main

import (
	"strings"

	"github.com/goftplib/ftp"
)

// cp copies a file from one server to another (or within one server)
// with ftp.FXP: the source server sends the bytes straight to the
// target server, never through this machine. Both servers must allow
// it (many refuse a PORT naming another host: "FXP protection"), and
// neither connection may protect its data with TLS (PROT P).
func (a *app) cp(args []string) error {
	fs := a.subFlags("cp")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("cp needs a source URL and a target URL")
	}
	src, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	dst, err := a.parseURL(pos[1])
	if err != nil {
		return err
	}
	if src.Base() == "" {
		return usagef("cp: %s names a directory: cp copies one file", src.Redacted())
	}
	to := dst.Path()
	if to == "" || strings.HasSuffix(to, "/") {
		// Into a directory (or the login directory), keeping the name.
		to += src.Base()
	}
	sc, err := a.connect(src)
	if err != nil {
		return err
	}
	defer a.quit(sc)
	// The source must be a file, checked first: a RETR refused during
	// FXP leaves the target's STOR waiting for a data connection that
	// never comes, and an empty target file behind.
	e, err := sc.Stat(a.ctx, src.Path())
	if err != nil {
		return err
	}
	if e.IsDir() {
		return wrapf("cp: %s is a directory: cp copies one file (mirror copies trees)", src.Redacted())
	}
	dc, err := a.connect(dst)
	if err != nil {
		return err
	}
	defer a.quit(dc)
	if err := ftp.FXP(a.ctx, sc, src.Path(), dc, to); err != nil {
		return wrapf("cp %s to %s: %w", src.Redacted(), dst.Redacted(), err)
	}
	if !a.g.quiet {
		a.printf(a.stderr, "%s -> %s\n", ftp.EscapeText(src.Redacted()), ftp.EscapeText(dst.Redacted()))
	}
	return nil
}
