package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
	"github.com/goftplib/ftp/mirror"
)

// The shell's commands. Remote paths are relative to the shell's remote
// directory, local ones to its local directory; the server is always
// given absolute paths, so that a connection the Pool had to redial
// (in the login directory) does the same thing.

func (s *shell) ls(args []string) error {
	a := s.a
	fs := s.flags("ls")
	long := fs.Bool("l", false, "long format")
	all := fs.Bool("a", false, "include names starting with a dot")
	asJSON := fs.Bool("json", false, "one JSON object per entry")
	sorted := fs.Bool("sort", false, "sort by name")
	utc := fs.Bool("utc", false, "long format: times in UTC")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("ls takes one PATH")
	}
	arg := ""
	if len(pos) == 1 {
		arg = pos[0]
	}
	dir := s.abs(arg)
	// ls *.csv: the directory's entries that match (the server is not
	// asked to expand patterns: few do, each its own way).
	match := func(string) bool { return true }
	if d, pat := path.Split(dir); !a.g.globoff && hasMeta(pat) {
		if _, err := path.Match(pat, ""); err != nil {
			return usagef("bad pattern %q: %v", arg, err)
		}
		dir = cmpOr(path.Clean(d), "/")
		match = func(name string) bool { ok, _ := path.Match(pat, name); return ok }
	} else {
		dir = unescapeGlob(dir)
	}
	loc := time.Local
	if *utc {
		loc = time.UTC
	}
	out := newLineWriter(a.stdout)
	type line struct{ name, text string }
	var lines []line
	var names []cacheEntry
	use := func(e listing.Entry) error {
		if !match(e.Name) {
			return nil
		}
		if len(names) < maxCachedNames {
			names = append(names, cacheEntry{strings.Clone(e.Name), e.Type == listing.Dir})
		}
		var text string
		switch {
		case *asJSON:
			var b strings.Builder
			if err := writeJSON(&b, toJSON(e)); err != nil {
				return err
			}
			text = b.String()
		case *long:
			text = lsLong(e, loc) + "\n"
		default:
			text = quoteName(e.Name) + "\n"
		}
		if *sorted {
			lines = append(lines, line{strings.Clone(e.Name), text})
			return nil
		}
		_, err := io.WriteString(out, text)
		return err
	}
	bad := 0
	note := func(err error) {
		out.Flush()
		a.printError(err)
		bad++
	}
	var n int
	var werr, lerr error
	err = s.conn(func(c *ftp.Conn) error {
		n, werr, lerr = a.streamDir(c, dir, !*all && !a.g.srv.listHidden, use, note)
		return nil
	})
	if err != nil {
		return err
	}
	if werr == nil && *sorted {
		slices.SortFunc(lines, func(x, y line) int { return strings.Compare(x.name, y.name) })
		for _, l := range lines {
			if _, werr = io.WriteString(out, l.text); werr != nil {
				break
			}
		}
	}
	if err := out.Flush(); werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		return werr
	case lerr != nil && n > 0:
		return wrapf("ls %s: listing incomplete after %d entries: %w", displayArg(arg), n, lerr)
	case lerr != nil:
		return wrapf("ls %s: %w", displayArg(arg), lerr)
	case bad > 0:
		return errReported
	}
	if *all && !strings.ContainsAny(arg, "*?[") {
		s.cache.put(dir, names) // a whole listing: Tab completion uses it
	}
	return nil
}

// displayArg is a path argument as shown in messages.
func displayArg(p string) string {
	if p == "" {
		return "."
	}
	return p
}

func (s *shell) dir(args []string) error { return s.ls(append([]string{"-l"}, args...)) }

func (s *shell) cmdCd(args []string) error {
	switch len(args) {
	case 0:
		return s.cd("~")
	case 1:
		if args[0] == "-" {
			return s.cd(s.prevCwd)
		}
		return s.cd(args[0])
	}
	return usagef("cd takes one directory")
}

func (s *shell) cdup(args []string) error {
	if len(args) > 0 {
		return usagef("cdup takes no argument")
	}
	return s.cd("..")
}

func (s *shell) pwd(args []string) error {
	if s.u == nil {
		return errNotConnected
	}
	s.a.printf(s.a.stdout, "%s\n", quoteName(s.cwd))
	return nil
}

func (s *shell) lcd(args []string) error {
	if len(args) > 1 {
		return usagef("lcd takes one directory")
	}
	dir := "~"
	if len(args) == 1 {
		dir = args[0]
	}
	p := s.labs(dir)
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("lcd %s: not a directory", dir)
	}
	s.lcwd = p
	return nil
}

func (s *shell) lpwd(args []string) error {
	s.a.printf(s.a.stdout, "%s\n", s.lcwd)
	return nil
}

func (s *shell) lls(args []string) error {
	fs := s.flags("lls")
	long := fs.Bool("l", false, "long format")
	all := fs.Bool("a", false, "include names starting with a dot")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("lls takes one directory")
	}
	dir := s.lcwd
	if len(pos) == 1 {
		dir = s.labs(pos[0])
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, e := range entries {
		if !*all && strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := quoteName(e.Name())
		if !*long {
			if e.IsDir() {
				name += "/"
			}
			b.WriteString(name + "\n")
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		fmt.Fprintf(&b, "%s %12d %-22s %s\n", fi.Mode().String(), fi.Size(), fi.ModTime().Format("2006-01-02 15:04 MST"), name)
	}
	s.a.printf(s.a.stdout, "%s", b.String())
	return nil
}

func (s *shell) rm(args []string) error {
	a := s.a
	fs := s.flags("rm")
	recursive := fs.Bool("r", false, "remove directories and everything in them")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("rm needs at least one FILE")
	}
	if s.u == nil {
		return errNotConnected
	}
	failed := false
	for _, arg := range pos {
		p := s.abs(arg)
		if p == "/" {
			return usagef("refusing to remove the root directory")
		}
		u := s.urlFor(arg)
		if !a.g.globoff && hasMeta(u.Base()) {
			if !a.rmGlob(s.pool, u, *recursive) {
				failed = true
			}
			continue
		}
		p = unescapeGlob(p)
		err := s.conn(func(c *ftp.Conn) error { return a.removePath(c, p, *recursive) })
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(wrapf("rm %s: %w", arg, err))
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func (s *shell) mkdir(args []string) error {
	a := s.a
	fs := s.flags("mkdir")
	parents := fs.Bool("p", false, "create missing parents; no error if it exists")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("mkdir needs a DIR")
	}
	return s.each(pos, func(c *ftp.Conn, arg string) error {
		if *parents {
			return c.MkdirAll(a.ctx, s.abs(arg))
		}
		_, err := c.Mkd(a.ctx, s.abs(arg))
		return err
	})
}

func (s *shell) rmdir(args []string) error {
	if len(args) == 0 {
		return usagef("rmdir needs a DIR")
	}
	return s.each(args, func(c *ftp.Conn, arg string) error {
		_, err := c.Rmd(s.a.ctx, s.abs(arg))
		return err
	})
}

// each runs fn for each argument on the session's connection, printing
// the failures and going on.
func (s *shell) each(args []string, fn func(c *ftp.Conn, arg string) error) error {
	failed := false
	for _, arg := range args {
		if err := s.conn(func(c *ftp.Conn) error { return fn(c, arg) }); err != nil {
			if s.a.ctx.Err() != nil || errors.Is(err, errNotConnected) {
				return err
			}
			s.a.printError(err)
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

func (s *shell) mv(args []string) error {
	if len(args) != 2 {
		return usagef("mv needs FROM and TO")
	}
	from := s.abs(args[0])
	if from == "/" {
		return usagef("mv: cannot move the root directory")
	}
	to := s.abs(args[1])
	return s.conn(func(c *ftp.Conn) error {
		into := strings.HasSuffix(args[1], "/")
		if !into {
			if e, err := c.Stat(s.a.ctx, to); err == nil && e.Type == listing.Dir {
				into = true // mv FILE DIR: into DIR, as mv does
			}
		}
		if into {
			to = path.Join(to, path.Base(from))
		}
		_, err := c.Rename(s.a.ctx, from, to)
		return err
	})
}

func (s *shell) chmod(args []string) error {
	a := s.a
	if len(args) < 2 {
		return usagef("chmod needs a MODE and at least one FILE")
	}
	mode := args[0]
	if n, err := strconv.ParseUint(mode, 8, 32); err != nil || n > 0o7777 || len(mode) < 3 || len(mode) > 4 {
		return usagef("MODE %q: write it in octal, as 644 or 0755 (SITE CHMOD takes no symbolic modes)", mode)
	}
	return s.each(args[1:], func(c *ftp.Conn, arg string) error {
		paths, err := s.remoteGlob(c, arg, false)
		if err != nil {
			return err
		}
		for _, p := range paths {
			if _, err := c.Site(a.ctx, "CHMOD "+mode+" "+p); err != nil {
				var re *ftp.ReplyError
				if errors.As(err, &re) && (re.Code == 500 || re.Code == 502 || re.Code == 504) {
					return wrapf("%w (the server does not support SITE CHMOD)", err)
				}
				return err
			}
		}
		return nil
	})
}

// remoteGlob returns the absolute paths arg names: itself, or the
// entries of its directory that its last element, a glob pattern,
// matches (none: a not-found error). With files, matching directories
// are skipped with a note, and so are names of the form of partial
// files (.NAME.goftp-part: an interrupted upload, not data).
func (s *shell) remoteGlob(c *ftp.Conn, arg string, files bool) ([]string, error) {
	p := s.abs(arg)
	dir, pat := path.Split(p)
	if s.a.g.globoff || !hasMeta(pat) {
		return []string{unescapeGlob(p)}, nil
	}
	if _, err := path.Match(pat, ""); err != nil {
		return nil, usagef("bad pattern %q: %v", arg, err)
	}
	entries, err := c.ReadDir(s.a.ctx, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type == listing.CurrentDir || e.Type == listing.ParentDir || ftp.CheckName(e, dir) != nil {
			continue
		}
		if ok, _ := path.Match(pat, e.Name); !ok {
			continue
		}
		p := path.Join(dir, e.Name)
		switch {
		case files && e.Type == listing.Dir:
			s.a.warnf("skip %s: a directory (mirror downloads a tree)", p)
			continue
		case files && mirror.IsPartialName(e.Name):
			s.a.warnf("skip %s: named like a partial file (%s): an interrupted transfer, not data", p, mirror.PartSuffix)
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, notFound{fmt.Errorf("no files match %s", arg)}
	}
	return out, nil
}

func (s *shell) site(args []string) error {
	if len(args) == 0 {
		return usagef("site needs ARGS (site help lists the server's)")
	}
	return s.raw("SITE " + strings.Join(args, " "))
}

func (s *shell) quote(args []string) error {
	if len(args) == 0 {
		return usagef("quote needs a COMMAND")
	}
	line := strings.Join(args, " ")
	verb, _, _ := strings.Cut(line, " ")
	if alt, ok := dataVerbs[strings.ToUpper(verb)]; ok {
		return usagef("%s needs a data connection, which quote does not open: use %s", strings.ToUpper(verb), alt)
	}
	return s.raw(line)
}

// raw sends a command line and prints the reply; the remote directory is
// read again after it, as the command may have changed it.
func (s *shell) raw(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return usagef("%q is not one command line", line)
	}
	a := s.a
	return s.conn(func(c *ftp.Conn) error {
		rep, err := c.SendCmd(a.ctx, line)
		if rep != nil {
			a.printf(a.stdout, "%s\n", ftp.EscapeText(rep.String()))
		}
		if pwd, perr := c.Pwd(a.ctx); perr == nil && strings.HasPrefix(pwd, "/") && pwd != s.cwd {
			s.prevCwd, s.cwd = s.cwd, pwd
		}
		return err
	})
}

func (s *shell) cat(args []string) error {
	if len(args) == 0 {
		return usagef("cat needs a FILE")
	}
	for _, arg := range args {
		p := s.abs(arg)
		err := s.conn(func(c *ftp.Conn) error {
			_, err := c.RetrBinary(s.a.ctx, p, s.a.stdout, 0)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *shell) stat(args []string) error {
	a := s.a
	if len(args) == 0 {
		return s.conn(func(c *ftp.Conn) error {
			rep, err := c.ServerStat(a.ctx, "")
			if rep != nil {
				a.printf(a.stdout, "%s\n", ftp.EscapeText(rep.String()))
			}
			return err
		})
	}
	return s.each(args, func(c *ftp.Conn, arg string) error {
		e, err := c.Stat(a.ctx, s.abs(arg))
		if err != nil {
			return err
		}
		e.Name = arg
		var b strings.Builder
		b.WriteString(lsLong(e, time.Local) + "\n")
		keys := make([]string, 0, len(e.Facts))
		for k := range e.Facts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s=%s\n", k, e.Facts[k])
		}
		a.printf(a.stdout, "%s", ftp.EscapeText(b.String()))
		return nil
	})
}

func (s *shell) size(args []string) error {
	if len(args) == 0 {
		return usagef("size needs a FILE")
	}
	return s.each(args, func(c *ftp.Conn, arg string) error {
		n, err := c.Size(s.a.ctx, s.abs(arg))
		if err != nil {
			return err
		}
		s.a.printf(s.a.stdout, "%d %s\n", n, arg)
		return nil
	})
}

func (s *shell) mtime(args []string) error {
	fs := s.flags("mtime")
	utc := fs.Bool("utc", false, "print times in UTC")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("mtime needs a FILE")
	}
	loc := time.Local
	if *utc {
		loc = time.UTC
	}
	return s.each(pos, func(c *ftp.Conn, arg string) error {
		t, err := c.ModTime(s.a.ctx, s.abs(arg))
		if err != nil {
			return err
		}
		s.a.printf(s.a.stdout, "%s %s\n", t.In(loc).Format("2006-01-02 15:04:05 MST"), arg)
		return nil
	})
}

// hashAlgos is the order in which hash tries the algorithms when none is
// named: the strongest the server offers.
var hashAlgos = []ftp.HashAlgorithm{ftp.SHA256, ftp.SHA512, ftp.SHA1, ftp.MD5, ftp.CRC32}

func (s *shell) hash(args []string) error {
	fs := s.flags("hash")
	algo := fs.String("a", "", "algorithm: sha256, sha512, sha1, md5 or crc32 (default: the strongest offered)")
	pos, err := s.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("hash needs a FILE")
	}
	algos := hashAlgos
	if *algo != "" {
		i := slices.IndexFunc(hashAlgos, func(h ftp.HashAlgorithm) bool {
			return strings.EqualFold(strings.ReplaceAll(string(h), "-", ""), strings.ReplaceAll(*algo, "-", ""))
		})
		if i < 0 {
			return usagef("-a %s: sha256, sha512, sha1, md5 or crc32", *algo)
		}
		algos = hashAlgos[i : i+1]
	}
	return s.each(pos, func(c *ftp.Conn, arg string) error {
		for _, h := range algos {
			sum, err := c.Checksum(s.a.ctx, s.abs(arg), h)
			if errors.Is(err, ftp.ErrNoChecksum) {
				continue
			}
			if err != nil {
				return err
			}
			s.a.printf(s.a.stdout, "%s  %s  (%s)\n", sum, arg, h)
			return nil
		}
		if len(algos) == 1 {
			return fmt.Errorf("hash %s: the server offers no %s checksum", arg, algos[0])
		}
		return fmt.Errorf("hash %s: the server offers no checksum command (HASH, XSHA256, XMD5, ...)", arg)
	})
}

func (s *shell) cmdOpen(args []string) error {
	if len(args) != 1 {
		return usagef("open needs a URL")
	}
	return s.open(args[0])
}

func (s *shell) cmdClose(args []string) error {
	s.closeConn()
	return nil
}

func (s *shell) user(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return usagef("user needs a NAME (and the password, which is better typed when asked)")
	}
	if s.u == nil {
		return errNotConnected
	}
	u := *s.u
	u.User = args[0]
	if len(args) == 2 {
		u.Password, u.HasPassword = args[1], true
	}
	s.a.g.user = args[0]
	cfg, err := s.a.poolConfig(&u, 1)
	if err != nil {
		return err
	}
	return s.connect(&u, cfg)
}
