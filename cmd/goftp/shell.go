package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/term"

	"github.com/goftplib/ftp"
)

// The shell: one session with one server (goftp shell URL), commands
// typed at a prompt or read from a script (-c, -f, standard input). It
// is a thin layer: each command is a few library calls on the session's
// connection, with the one-shot commands' helpers (listing, progress,
// globs, partial files) doing the rest.

// shell is one session.
type shell struct {
	a *app

	// The server: nil u when not connected. The session's Pool holds one
	// connection (redialled and logged in again by the Pool if the server
	// drops it while idle); cfg keeps the login for reconnections.
	u    *ftp.URL
	cfg  ftp.PoolConfig
	pool *ftp.Pool

	cwd, prevCwd string // remote working directory (absolute, as PWD says)
	home         string // the login directory
	lcwd         string // local working directory (absolute)

	parallel int             // mirror's -P default in the shell (set parallel)
	verbose  atomic.Int32    // the -v level (set verbose), read by the logger
	root     context.Context // the interactive session's context; nil in scripts

	script   bool // reading a script: a failure stops it
	done     bool // bye, exit, quit, end of input
	exitCode int  // exit N

	cache dirCache // remote names for Tab completion
}

// maxLine bounds a line of a script or of standard input.
const maxLine = 64 << 10

func (a *app) shell(args []string) error {
	fs := a.subFlags("shell")
	cmds := fs.String("c", "", "run `COMMANDS` (separated by ; or newlines) and exit")
	file := fs.String("f", "", "run the commands in `FILE` and exit")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("shell takes at most one URL")
	}
	if *cmds != "" && *file != "" {
		return usagef("shell: -c and -f cannot be used together")
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	s := &shell{a: a, lcwd: wd, parallel: 1}
	s.verbose.Store(int32(a.g.verbose))
	defer s.closeConn()

	var src io.Reader
	switch {
	case *cmds != "":
		src = strings.NewReader(*cmds)
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		src = f
	case !s.terminal():
		src = a.stdin
	}
	s.script = src != nil
	if len(pos) == 1 {
		if err := s.open(pos[0]); err != nil {
			if s.script || a.interrupted(err) {
				return err // a script without its server stops here
			}
			s.status(shellCmd{names: []string{"open"}}, err) // at the prompt: say so, go on
		}
	}
	if !s.script {
		return s.interactive()
	}
	return s.runScript(src)
}

// terminal reports whether the shell reads a terminal on the process's
// standard input (the line editor works on that one only).
func (s *shell) terminal() bool {
	f, ok := s.a.stdin.(*os.File)
	return ok && f == os.Stdin && term.IsTerminal(int(f.Fd()))
}

// runScript runs the lines of src. A failing command stops the script
// with its exit status, unless it is written with a leading "-".
func (s *shell) runScript(src io.Reader) error {
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 4096), maxLine)
	for line := 1; !s.done && sc.Scan(); line++ {
		stmts, err := splitLine(sc.Text())
		if err != nil {
			return usagef("line %d: %v", line, err)
		}
		for _, st := range stmts {
			if s.done {
				break
			}
			code := s.exec(st)
			if code == exitInterrupted {
				return errInterrupted
			}
			if code != 0 && !st.ignore {
				s.a.noteExit(code)
				return errReported
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return usagef("a script line is longer than %d bytes", maxLine)
		}
		return err
	}
	return s.end()
}

// end returns the shell's outcome when it ends normally: success, or
// the status of exit N (failures ignored with -CMD, or typed at the
// prompt, do not count).
func (s *shell) end() error {
	a := s.a
	a.mu.Lock()
	a.worst = 0
	a.mu.Unlock()
	if s.exitCode != 0 {
		a.noteExit(s.exitCode)
		return errReported
	}
	return nil
}

// stmt is one command of a line: its words, and whether its failure is
// ignored ("-cmd").
type stmt struct {
	words  []word
	ignore bool
}

// word is one argument: its text, and whether a glob metacharacter in it
// was quoted or escaped (then it names itself, not a pattern).
type word struct {
	text       string
	quotedMeta bool
}

// splitLine splits a command line into statements at unquoted ';', and
// each into words at unquoted blanks. Single quotes keep everything
// literally; double quotes keep everything but \" and \\; a backslash
// outside quotes takes the next character literally. An unquoted '#' at
// the start of a word begins a comment.
func splitLine(line string) ([]stmt, error) {
	var stmts []stmt
	var cur []word
	var w strings.Builder
	inWord, quotedMeta := false, false
	endWord := func() {
		if inWord {
			cur = append(cur, word{w.String(), quotedMeta})
		}
		w.Reset()
		inWord, quotedMeta = false, false
	}
	endStmt := func() {
		endWord()
		if len(cur) > 0 {
			st := stmt{words: cur}
			if t := st.words[0].text; len(t) > 1 && t[0] == '-' {
				st.ignore = true
				st.words[0].text = t[1:]
			}
			stmts = append(stmts, st)
		}
		cur = nil
	}
	literal := func(c byte) {
		if strings.IndexByte("*?[]\\", c) >= 0 {
			quotedMeta = true
		}
		w.WriteByte(c)
		inWord = true
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			endWord()
		case c == ';':
			endStmt()
		case c == '#' && !inWord:
			endStmt()
			return stmts, nil
		case c == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("a backslash ends the line")
			}
			i++
			literal(line[i])
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			inWord = true
			for k := i + 1; k < i+1+j; k++ {
				literal(line[k])
			}
			i += j + 1
		case c == '"':
			inWord = true
			closed := false
			for i++; i < len(line); i++ {
				if line[i] == '"' {
					closed = true
					break
				}
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				literal(line[i])
			}
			if !closed {
				return nil, errors.New("unterminated \" quote")
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	endStmt()
	return stmts, nil
}

// globWord returns the text of w for a command that expands glob
// patterns: quoted or escaped metacharacters are escaped for path.Match,
// so that they stand for themselves.
func globWord(w word) string {
	if !w.quotedMeta {
		return w.text
	}
	var b strings.Builder
	for i := 0; i < len(w.text); i++ {
		if strings.IndexByte("*?[]\\", w.text[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(w.text[i])
	}
	return b.String()
}

// shellCmd is a command of the shell.
type shellCmd struct {
	names   []string // the first is the name shown in help
	args    string
	summary string
	globs   bool // its arguments are glob patterns (quoted metacharacters escaped)
	changes bool // it may change the remote tree (completion cache dropped)
	run     func(s *shell, args []string) error
}

// exec runs one statement and returns its exit status (0: success),
// having printed any error.
func (s *shell) exec(st stmt) int {
	a := s.a
	a.mu.Lock()
	a.worst = 0
	a.mu.Unlock()
	name := st.words[0].text
	c, ok := findShellCmd(name)
	if !ok {
		a.errorf("unknown command %q (help lists them)", name)
		return exitUsage
	}
	args := make([]string, 0, len(st.words)-1)
	for _, w := range st.words[1:] {
		if c.globs {
			args = append(args, globWord(w))
		} else {
			args = append(args, w.text)
		}
	}
	err := c.run(s, args)
	if c.changes {
		s.cache.clear()
	}
	a.mu.Lock()
	a.board = nil // bars of a cancelled transfer do not stay on the screen
	a.mu.Unlock()
	return s.status(c, err)
}

// status prints err, if any, and returns the command's exit status.
func (s *shell) status(c shellCmd, err error) int {
	a := s.a
	var ue *usageError
	switch {
	case err == nil:
		return a.worst
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		a.errorf("%s: %s", c.names[0], ue.msg)
		return exitUsage
	case a.interrupted(err):
		if !s.script {
			a.errorf("interrupted")
		} // a script ends: app.exit says it
		return exitInterrupted
	case errors.Is(err, errReported):
		if a.worst == 0 {
			return exitFailure
		}
		return a.worst
	}
	a.printError(err)
	return a.worst
}

// conn runs fn with the session's connection.
func (s *shell) conn(fn func(c *ftp.Conn) error) error {
	if s.pool == nil {
		return errNotConnected
	}
	return s.pool.Do(s.a.ctx, fn)
}

var errNotConnected = &usageError{"not connected: open URL first"}

// open connects to the server of raw, logs in and goes to the URL's
// directory, closing the current session first.
func (s *shell) open(raw string) error {
	a := s.a
	if !strings.Contains(raw, "://") {
		raw = "ftp://" + raw // open host, as ftp and lftp take it
	}
	u, err := a.parseURL(raw)
	if err != nil {
		return err
	}
	cfg, err := a.poolConfig(u, 1)
	if err != nil {
		return err
	}
	return s.connect(u, cfg)
}

// connect opens a session with the server of u as cfg says. The current
// session, if any, is closed once the new one is logged in; it stays if
// the new one fails.
func (s *shell) connect(u *ftp.URL, cfg ftp.PoolConfig) error {
	cfg.MaxConns = 1
	cfg.IdleTimeout = -1 // the session's connection stays while the user thinks
	cfg.WaitTimeout = -1 // one command at a time: never waiting for another
	cfg.Dialer.Logger = s.logger()
	p := ftp.NewPool(u.Host, cfg)
	var home string
	err := p.Do(s.a.ctx, func(c *ftp.Conn) error {
		var err error
		home, err = c.Pwd(s.a.ctx)
		return err
	})
	if err != nil {
		p.Close()
		return err
	}
	s.closeConn()
	server := *u
	server.Segments = nil
	server.Password, server.HasPassword = "", false
	s.u, s.cfg, s.pool = &server, cfg, p
	s.home, s.cwd, s.prevCwd = home, home, home
	s.cache.clear()
	if dir := strings.TrimSuffix(u.Path(), "/"); dir != "" || strings.HasPrefix(u.Path(), "/") {
		if dir == "" {
			dir = "/"
		}
		if err := s.cd(dir); err != nil {
			return err
		}
		s.prevCwd = s.cwd
	}
	return nil
}

// closeConn ends the session with the server, if any.
func (s *shell) closeConn() {
	if s.pool != nil {
		s.pool.Close() // QUIT on the idle connection
	}
	s.u, s.pool = nil, nil
	s.cfg = ftp.PoolConfig{}
}

// abs returns the remote path p relative to the working directory.
func (s *shell) abs(p string) string {
	switch {
	case p == "" || p == ".":
		return s.cwd
	case p == "~":
		return s.home
	case strings.HasPrefix(p, "~/"):
		return path.Join(s.home, p[2:])
	case strings.HasPrefix(p, "/"):
		return path.Clean(p)
	}
	return path.Join(s.cwd, p)
}

// labs returns the local path p relative to the local working directory.
func (s *shell) labs(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(h, p[1:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(s.lcwd, p)
}

// urlFor returns the session's URL of the remote path p (made absolute).
func (s *shell) urlFor(p string) *ftp.URL {
	v := *s.u
	v.Segments = strings.Split(s.abs(p), "/")
	if p != "" && strings.HasSuffix(p, "/") && v.Segments[len(v.Segments)-1] != "" {
		v.Segments = append(v.Segments, "")
	}
	return &v
}

// cd changes the remote working directory to dir, as the server names it
// (PWD after CWD).
func (s *shell) cd(dir string) error {
	target := s.abs(dir)
	return s.conn(func(c *ftp.Conn) error {
		if _, err := c.Cwd(s.a.ctx, target); err != nil {
			return err
		}
		pwd, err := c.Pwd(s.a.ctx)
		if err != nil || !strings.HasPrefix(pwd, "/") {
			pwd = target
		}
		s.prevCwd, s.cwd = s.cwd, pwd
		return nil
	})
}

// prompt is the interactive prompt: "goftp user@host:/dir> ".
func (s *shell) prompt() string {
	if s.u == nil {
		return "goftp> "
	}
	user := s.cfg.User
	if user == "" {
		user = "anonymous"
	}
	dir := s.cwd
	if dir == s.home && s.home != "/" {
		dir = "~"
	} else if strings.HasPrefix(dir, s.home+"/") && s.home != "/" {
		dir = "~" + dir[len(s.home):]
	}
	return ftp.EscapeText(fmt.Sprintf("goftp %s@%s:%s> ", user, s.u.Hostname(), dir))
}

// withCommandContext runs fn with a.ctx replaced by a context of its own, which
// interrupt cancels (the interactive shell's Ctrl-C).
func (s *shell) withCommandContext(root context.Context, fn func(cancel context.CancelCauseFunc)) {
	a := s.a
	ctx, cancel := context.WithCancelCause(root)
	defer cancel(nil)
	prevCtx, prevCancel := a.ctx, a.cancel
	a.ctx, a.cancel = ctx, cancel
	defer func() { a.ctx, a.cancel = prevCtx, prevCancel }()
	fn(cancel)
}

// shellCommands is the shell's command table.
func shellCommands() []shellCmd {
	return []shellCmd{
		{names: []string{"ls"}, args: "[-l] [-a] [--json] [--sort] [--utc] [PATH]", summary: "list a remote directory", run: (*shell).ls},
		{names: []string{"dir"}, args: "[-a] [--sort] [--utc] [PATH]", summary: "list a remote directory in long format (ls -l)", run: (*shell).dir},
		{names: []string{"cd"}, args: "[DIR|-|~]", summary: "change the remote directory", run: (*shell).cmdCd},
		{names: []string{"cdup"}, summary: "go to the parent remote directory", run: (*shell).cdup},
		{names: []string{"pwd"}, summary: "print the remote directory", run: (*shell).pwd},
		{names: []string{"lcd"}, args: "[DIR]", summary: "change the local directory", run: (*shell).lcd},
		{names: []string{"lpwd"}, summary: "print the local directory", run: (*shell).lpwd},
		{names: []string{"lls"}, args: "[-l] [-a] [DIR]", summary: "list a local directory", run: (*shell).lls},
		{names: []string{"get", "mget"}, args: "[-c] [-o LOCAL] FILE...", summary: "download files (glob patterns allowed)", globs: true, run: (*shell).get},
		{names: []string{"reget"}, args: "FILE...", summary: "continue interrupted downloads (get -c)", globs: true, run: (*shell).reget},
		{names: []string{"put", "mput"}, args: "[-c] [--direct] [-o REMOTE] LOCAL...", summary: "upload local files (glob patterns allowed)", globs: true, changes: true, run: (*shell).put},
		{names: []string{"reput"}, args: "LOCAL...", summary: "continue interrupted uploads (put -c)", globs: true, changes: true, run: (*shell).reput},
		{names: []string{"mirror"}, args: "[-R] [--delete] [-P N] [--dry-run] [--max-depth N] [SRC [DST]]", summary: "synchronise a tree: remote SRC (default .) to local DST (default the local directory); -R uploads", changes: true, run: (*shell).mirror},
		{names: []string{"rm"}, args: "[-r] FILE...", summary: "delete remote files (glob patterns allowed; -r: directories too)", globs: true, changes: true, run: (*shell).rm},
		{names: []string{"mkdir"}, args: "[-p] DIR...", summary: "create remote directories", changes: true, run: (*shell).mkdir},
		{names: []string{"rmdir"}, args: "DIR...", summary: "remove empty remote directories", changes: true, run: (*shell).rmdir},
		{names: []string{"mv", "rename"}, args: "FROM TO", summary: "rename or move a remote file or directory (TO/ keeps the name)", changes: true, run: (*shell).mv},
		{names: []string{"chmod"}, args: "MODE FILE...", summary: "set permissions with SITE CHMOD (octal MODE; glob patterns allowed)", globs: true, changes: true, run: (*shell).chmod},
		{names: []string{"site"}, args: "ARGS...", summary: "send SITE ARGS and print the reply", changes: true, run: (*shell).site},
		{names: []string{"quote"}, args: "COMMAND...", summary: "send a raw command and print the reply", changes: true, run: (*shell).quote},
		{names: []string{"cat"}, args: "FILE...", summary: "write remote files to standard output", run: (*shell).cat},
		{names: []string{"stat"}, args: "[FILE...]", summary: "show a remote file's facts (no FILE: the server's status)", run: (*shell).stat},
		{names: []string{"size"}, args: "FILE...", summary: "print remote file sizes (SIZE)", run: (*shell).size},
		{names: []string{"mtime"}, args: "[--utc] FILE...", summary: "print remote modification times (MDTM)", run: (*shell).mtime},
		{names: []string{"hash"}, args: "[-a sha256|sha512|sha1|md5|crc32] FILE...", summary: "print the server's checksums of remote files (HASH, XSHA256, ...)", run: (*shell).hash},
		{names: []string{"open"}, args: "URL", summary: "connect to a server (closing the current session)", run: (*shell).cmdOpen},
		{names: []string{"close"}, summary: "end the session with the server", run: (*shell).cmdClose},
		{names: []string{"user"}, args: "NAME [PASSWORD]", summary: "log in again as NAME on the same server (asks for the password)", run: (*shell).user},
		{names: []string{"set"}, args: "[NAME [VALUE]]", summary: "show or change a setting (set alone lists them)", run: (*shell).set},
		{names: []string{"help", "?"}, args: "[COMMAND]", summary: "list the commands, or show one", run: (*shell).help},
		{names: []string{"bye", "exit", "quit"}, args: "[STATUS]", summary: "end the shell (exit STATUS: with that exit status)", run: (*shell).bye},
	}
}

func findShellCmd(name string) (shellCmd, bool) {
	for _, c := range shellCommands() {
		if slices.Contains(c.names, name) {
			return c, true
		}
	}
	return shellCmd{}, false
}

// flags returns a FlagSet for the shell command name, whose -h prints
// the command's usage on standard output.
func (s *shell) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { s.usage(name) }
	return fs
}

// usage prints a command's synopsis and flags.
func (s *shell) usage(name string) {
	c, ok := findShellCmd(name)
	if !ok {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s %s\n  %s", c.names[0], c.args, c.summary)
	if len(c.names) > 1 {
		fmt.Fprintf(&b, " (also: %s)", strings.Join(c.names[1:], ", "))
	}
	b.WriteString("\n")
	s.a.printf(s.a.stdout, "%s", b.String())
}

// parse parses a command's flags, allowing them after its arguments.
func (s *shell) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	return s.a.parse(fs, args)
}

func (s *shell) help(args []string) error {
	if len(args) > 0 {
		if _, ok := findShellCmd(args[0]); !ok {
			return usagef("unknown command %q", args[0])
		}
		s.usage(args[0])
		return nil
	}
	var b strings.Builder
	b.WriteString("Commands (help COMMAND for one; -CMD in a script ignores its failure):\n")
	for _, c := range shellCommands() {
		name := strings.Join(c.names, ", ")
		fmt.Fprintf(&b, "  %-16s %s\n", name, c.summary)
	}
	b.WriteString("Quote names with spaces ('my file' or my\\ file); quoted *, ? and [ are plain characters.\n")
	s.a.printf(s.a.stdout, "%s", b.String())
	return nil
}

func (s *shell) bye(args []string) error {
	s.done = true
	if len(args) > 0 {
		var n int
		if _, err := fmt.Sscanf(args[0], "%d", &n); err != nil || n < 0 || n > 255 {
			return usagef("exit status %q: a number from 0 to 255", args[0])
		}
		s.exitCode = n
	}
	return nil
}
