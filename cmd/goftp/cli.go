package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// app is one run of the command: its streams and the global flags.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	g globals

	mu           sync.Mutex // serialises writes to stdout and stderr
	board        *board     // progress bars on a terminal, nil if none; guarded by mu
	warnedPasswd bool
}

// globals are the flags accepted before or after any subcommand name.
type globals struct {
	user     string
	netrc    string
	tls      string
	insecure bool
	ca       string
	active   bool
	timeout  time.Duration
	verbose  verbosity
	retries  int
}

// verbosity counts -v flags; -vv sets it to 2.
type verbosity int

func (v *verbosity) String() string   { return strconv.Itoa(int(*v)) }
func (v *verbosity) IsBoolFlag() bool { return true }
func (v *verbosity) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if b {
		*v++
	} else {
		*v = 0
	}
	return nil
}

// command is a subcommand.
type command struct {
	name    string
	args    string // synopsis after the name
	summary string
	run     func(a *app, args []string) error
}

func commands() []command {
	return []command{
		{"ls", "[-l] [-a] [--json] URL", "list a remote directory", (*app).ls},
		{"get", "[-c] [-o LOCAL] URL...", "download files (glob patterns allowed in the last segment)", (*app).get},
		{"put", "[-c] LOCAL... URL", "upload files", (*app).put},
		{"cat", "URL", "write a remote file to standard output", (*app).cat},
		{"rm", "[-r] URL...", "delete remote files (-r: directories too)", (*app).rm},
		{"mkdir", "[-p] URL", "create a remote directory", (*app).mkdir},
		{"rmdir", "URL", "remove an empty remote directory", (*app).rmdir},
		{"mv", "URL NEWPATH", "rename a remote file or directory", (*app).mv},
		{"mirror", "[-R] [--delete] [-P N] [--dry-run] SRC DST", "synchronise a directory tree (download; -R: upload)", (*app).mirror},
		{"serve", "[--root DIR] [--addr HOST:PORT] [--tls none|explicit|implicit]", "run a local FTP server for testing", (*app).serve},
		{"demo", "", "run a narrated session against an in-process server", (*app).demo},
		{"parselist", "[--now TIME] [--tz ZONE]", "parse LIST output on standard input into JSON lines", (*app).parselist},
	}
}

// run is the whole program: it parses args, runs the subcommand and
// returns the exit status (0 success, 1 failure, 2 usage).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	return a.exit(a.dispatch(args))
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errReported is returned when the errors were already printed, one by
// one (exit status 1).
var errReported = errors.New("errors reported")

func (a *app) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		a.errorf("%s", ue.msg)
		a.printf(a.stderr, "Run 'goftp help' for usage.\n")
		return 2
	case errors.Is(err, errReported):
		return 1
	case errors.Is(err, context.Canceled) && a.ctx.Err() != nil:
		a.errorf("interrupted (partial files are kept: get -c, put -c and mirror resume them)")
		return 1
	default:
		a.printError(err)
		return 1
	}
}

func (a *app) dispatch(args []string) error {
	fs := a.flagSet("goftp", nil)
	fs.Usage = func() { a.topUsage(a.stdout) }
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		a.topUsage(a.stderr)
		return usagef("no command given")
	}
	name, rest := rest[0], rest[1:]
	if name == "help" {
		if len(rest) > 0 {
			if c, ok := findCommand(rest[0]); ok {
				return c.run(a, []string{"-h"})
			}
			return usagef("unknown command %q", rest[0])
		}
		a.topUsage(a.stdout)
		return nil
	}
	c, ok := findCommand(name)
	if !ok {
		return usagef("unknown command %q", name)
	}
	return c.run(a, rest)
}

func findCommand(name string) (command, bool) {
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands()[i], true
}

func (a *app) topUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: goftp [global flags] COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString(`
URLs: ftp://[user[:password]@]host[:port]/path (plain FTP, port 21),
ftps://... (implicit TLS, port 990), ftpes://... (explicit TLS, AUTH TLS).
Paths are relative to the login directory; write ftp://host//abs/path or
ftp://host/%2Fabs/path for an absolute path. Passwords come from
$FTP_PASSWORD, ~/.netrc (or --netrc FILE), or a prompt on a terminal; a
password in the URL works but is visible to other users in process lists.

Global flags (before or after the command name):
`)
	fs := a.flagSet("goftp", nil)
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\nRun 'goftp help COMMAND' for a command's flags; 'goftp demo' for a tour.\n")
	a.printf(w, "%s", b.String())
}

// flagSet returns a FlagSet for a subcommand (or the top level) with the
// global flags registered, except those named in skip.
func (a *app) flagSet(name string, skip []string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	g := &a.g
	add := func(n string, f func()) {
		if !slices.Contains(skip, n) {
			f()
		}
	}
	add("user", func() {
		fs.StringVar(&g.user, "user", g.user, "log in as `NAME` (default: from the URL, .netrc, or anonymous)")
	})
	add("netrc", func() {
		fs.StringVar(&g.netrc, "netrc", g.netrc, "read credentials from `FILE` instead of $NETRC or ~/.netrc")
	})
	add("tls", func() {
		fs.StringVar(&g.tls, "tls", g.tls, "TLS `mode`: none, explicit (AUTH TLS) or implicit (default: from the URL scheme)")
	})
	add("insecure", func() {
		fs.BoolVar(&g.insecure, "insecure", g.insecure, "do not verify the server's certificate (insecure)")
	})
	add("ca", func() { fs.StringVar(&g.ca, "ca", g.ca, "trust the certificate authorities in PEM `FILE`") })
	add("active", func() { fs.BoolVar(&g.active, "active", g.active, "use active mode (the server connects to us)") })
	add("timeout", func() {
		fs.DurationVar(&g.timeout, "timeout", g.timeout, "give up after `DURATION` without activity (default 60s)")
	})
	add("v", func() {
		fs.Var(&g.verbose, "v", "show the protocol dialogue (passwords masked)")
		fs.BoolFunc("vv", "show every protocol line and data connection event", func(string) error {
			g.verbose = 2
			return nil
		})
	})
	add("retries", func() {
		fs.IntVar(&g.retries, "retries", g.retries, "retry transient failures `N` times, resuming transfers (default 3, -1 none)")
	})
	return fs
}

// globalNames are the names of the global flags.
func globalNames() []string {
	return []string{"user", "netrc", "tls", "insecure", "ca", "active", "timeout", "v", "vv", "retries"}
}

// subFlags returns the FlagSet of command name with its usage text.
func (a *app) subFlags(name string, skip ...string) *flag.FlagSet {
	fs := a.flagSet(name, skip)
	fs.Usage = func() {
		c, _ := findCommand(name)
		var b strings.Builder
		fmt.Fprintf(&b, "usage: goftp %s %s\n\n%s.\n", c.name, c.args, strings.ToUpper(c.summary[:1])+c.summary[1:])
		own := false
		fs.VisitAll(func(f *flag.Flag) {
			own = own || !slices.Contains(globalNames(), f.Name) || slices.Contains(skip, f.Name)
		})
		if own {
			b.WriteString("\nFlags:\n")
			printFlags(&b, fs, func(n string) bool { return !slices.Contains(globalNames(), n) || slices.Contains(skip, n) })
		}
		b.WriteString("\nGlobal flags: see 'goftp help'.\n")
		a.printf(a.stdout, "%s", b.String())
	}
	return fs
}

// printFlags prints the flags of fs for which keep is true, as
// flag.PrintDefaults does.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(string) bool) {
	tmp := flag.NewFlagSet("", flag.ContinueOnError)
	fs.VisitAll(func(f *flag.Flag) {
		if keep(f.Name) {
			tmp.Var(f.Value, f.Name, f.Usage)
			tmp.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	tmp.SetOutput(w)
	tmp.PrintDefaults()
}

// parseFlags parses args with fs. Errors become usage errors; -h prints
// the usage (fs.Usage) and returns flag.ErrHelp.
func (a *app) parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err // Parse printed the usage
	}
	if err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// parse parses a subcommand's arguments, allowing flags after the
// positional arguments ("ls URL -l"); "--" ends the flags.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := a.parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printf writes to w under the output lock.
func (a *app) printf(w io.Writer, format string, args ...any) {
	a.emit(w, fmt.Sprintf(format, args...))
}

// emit writes text to w under the output lock. While progress bars are
// shown on a terminal, whole lines written to a terminal are printed
// above the bars, so that the bars stay at the bottom.
func (a *app) emit(w io.Writer, text string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if b := a.board; b != nil && len(b.slots) > 0 && strings.HasSuffix(text, "\n") {
		if _, tty := terminalWidth(w); tty {
			b.redraw(strings.TrimSuffix(text, "\n"))
			return
		}
	}
	io.WriteString(w, text)
}

// writer returns a function writing text to w with emit.
func (a *app) writer(w io.Writer) func(string) {
	return func(text string) { a.emit(w, text) }
}

// errorf prints "goftp: message" on stderr.
func (a *app) errorf(format string, args ...any) {
	a.printf(a.stderr, "goftp: "+format+"\n", args...)
}

// warnf prints "goftp: warning: message" on stderr.
func (a *app) warnf(format string, args ...any) {
	a.printf(a.stderr, "goftp: warning: "+format+"\n", args...)
}

// printError prints err on stderr, once per line of a joined error.
func (a *app) printError(err error) {
	for _, line := range strings.Split(errText(err), "\n") {
		if line != "" {
			a.errorf("%s", line)
		}
	}
}
