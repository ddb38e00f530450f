package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goftplib/ftp"
)

// app is one run of the command: its streams and the global flags.
type app struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc // cancels ctx, with errBrokenPipe
	stopMax context.CancelFunc      // releases the --max-time deadline, nil if none
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	getenv  func(string) string

	g globals

	mu           sync.Mutex // serialises writes to stdout and stderr
	board        *board     // progress bars on a terminal, nil if none; guarded by mu
	warnedPasswd bool
	showVersion  bool            // --version
	base         context.Context // ctx before the --max-time deadline
	worst        int             // the exit status of the most serious error printed; guarded by mu
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
	maxTime  time.Duration // --max-time: the whole command's limit, 0 none
	quiet    bool          // -q: no progress bars or transfer summaries
	verbose  verbosity
	retries  int           // as PoolConfig.Retries: 0 default (3), -1 none (--retries 0)
	keep     keepAliveFlag // as Dialer.ControlKeepAlive: 0 default (30s), -1 none (--keepalive 0)
	srv      serverFlags   // --encoding, --no-epsv, --active-addr, … (netflags.go)
	px       proxyFlags    // --proxy, --noproxy (proxy.go)
	globoff  bool          // --globoff: *, ? and [ in URLs are plain characters
}

// retryFlag is --retries N. It stores the count the way the library's
// PoolConfig.Retries and mirror's options take it: 0 (flag absent) is
// the default of 3, and the user's 0 ("no retry", as curl's --retry 0)
// is stored as -1.
type retryFlag int

func (r *retryFlag) String() string {
	switch {
	case *r == 0:
		return "3"
	case *r < 0:
		return "0"
	}
	return strconv.Itoa(int(*r))
}

func (r *retryFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a number")
	}
	if n <= 0 {
		n = -1
	}
	*r = retryFlag(n)
	return nil
}

// secondsFlag is a duration flag that also takes a bare number of
// seconds, as curl's --connect-timeout and --max-time do: "5" is 5s,
// "0.5" half a second, "2m" two minutes.
type secondsFlag time.Duration

func (d *secondsFlag) String() string { return time.Duration(*d).String() }

func (d *secondsFlag) Set(s string) error {
	v, err := parseSeconds(s)
	if err != nil {
		return err
	}
	*d = secondsFlag(v)
	return nil
}

// parseSeconds reads a duration ("1m30s") or a bare number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, errors.New("must not be negative")
		}
		if f > float64(1<<62)/float64(time.Second) {
			return 0, errors.New("out of range")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration: write seconds (5) or a Go duration (1m30s)")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// maxTimeFlag is --max-time: setting it puts a deadline on the app's
// context, which every command uses, so the whole run (connection,
// login, listings, transfers, retries) ends at that time.
type maxTimeFlag struct{ a *app }

func (m maxTimeFlag) String() string {
	if m.a == nil || m.a.g.maxTime == 0 {
		return "0s"
	}
	return m.a.g.maxTime.String()
}

func (m maxTimeFlag) Set(s string) error {
	d, err := parseSeconds(s)
	if err != nil {
		return err
	}
	if d == 0 {
		return errors.New("must be positive")
	}
	a := m.a
	a.g.maxTime = d
	if a.stopMax != nil {
		a.stopMax()
		a.ctx = a.base
	}
	a.base = a.ctx
	a.ctx, a.stopMax = context.WithTimeoutCause(a.ctx, d, errMaxTime{d})
	return nil
}

// errMaxTime is the cause of the context's end when --max-time passed.
// It matches context.DeadlineExceeded (exit status 8, timeout).
type errMaxTime struct{ d time.Duration }

func (e errMaxTime) Error() string        { return fmt.Sprintf("--max-time %s reached: command stopped", e.d) }
func (e errMaxTime) Is(target error) bool { return target == context.DeadlineExceeded }

// maxTimeReached reports whether the command's --max-time has passed.
func (a *app) maxTimeReached() (errMaxTime, bool) {
	var e errMaxTime
	return e, errors.As(context.Cause(a.ctx), &e)
}

// progressOut is where progress bars and per-file summaries go:
// standard error (standard output is for data: get -o -, cat, ls), or
// nowhere with -q.
func (a *app) progressOut() io.Writer {
	if a.g.quiet {
		return io.Discard
	}
	return a.stderr
}

// version is goftp's version, from the build information.
func version() string {
	v := "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "goftp " + v
	}
	if bi.Main.Version != "" {
		v = bi.Main.Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if v == "(devel)" && rev != "" {
		v += " " + rev[:min(12, len(rev))] + dirty
	}
	return fmt.Sprintf("goftp %s (%s)", v, bi.GoVersion)
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
		{"ls", "[-l] [--utc] [-a] [--json] [--sort] URL", "list a remote directory", (*app).ls},
		{"get", "[-c] [-n N] [-P N] [--limit-rate RATE] [-o LOCAL] URL...", "download files (glob patterns allowed in the last segment; -n: in ranges over N connections)", (*app).get},
		{"put", "[-c] [-P N] [--limit-rate RATE] [--direct] [--create-dirs] LOCAL...|- URL", "upload files (-: standard input)", (*app).put},
		{"cat", "URL", "write a remote file to standard output", (*app).cat},
		{"rm", "[-r] URL...", "delete remote files (-r: directories too; glob patterns allowed in the last segment)", (*app).rm},
		{"mkdir", "[-p] URL", "create a remote directory", (*app).mkdir},
		{"rmdir", "URL", "remove an empty remote directory", (*app).rmdir},
		{"mv", "URL NEWPATH", "rename a remote file or directory (a relative NEWPATH is in its directory)", (*app).mv},
		{"cp", "SRC_URL DST_URL", "copy a file between servers, server to server (FXP)", (*app).cp},
		{"chmod", "MODE URL...", "set remote file permissions (SITE CHMOD, octal MODE)", (*app).chmod},
		{"quote", "URL 'COMMAND'...", "send raw commands after login and print the replies", (*app).quote},
		{"mirror", "[-R] [--delete] [-P N] [-n N] [--dry-run] [--max-depth N] [--limit-rate RATE] SRC DST", "synchronise a directory tree (download; -R: upload)", (*app).mirror},
		{"serve", "[--root DIR] [--addr HOST:PORT] [--tls none|explicit|implicit]", "run a local FTP server for testing", (*app).serve},
		{"demo", "", "run a narrated session against an in-process server", (*app).demo},
		{"parselist", "[--now TIME] [--tz ZONE]", "parse LIST output on standard input into JSON lines", (*app).parselist},
		{"probe", "[--json] [--no-write] [--max-conns-test N] URL", "report what a server supports and the flags that work best with it", (*app).probe},
		{"shell", "[-c 'CMD; CMD'] [-f FILE] [URL]", "an interactive session (goftp URL alone does the same), or a script with -c, -f or standard input", (*app).shell},
	}
}

// run is the whole program: it parses args, runs the subcommand and
// returns the exit status (see exitCodes).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	a := &app{ctx: ctx, cancel: cancel, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	defer func() {
		if a.stopMax != nil {
			a.stopMax()
		}
	}()
	return a.exit(a.dispatch(args))
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errReported is returned when the errors were already printed, one by
// one, with printError, which noted the exit status of each.
var errReported = errors.New("errors reported")

// errInterrupted is the user's Ctrl-C read by the password prompt, where
// the terminal does not turn it into a signal.
var errInterrupted = errors.New("interrupted")

// errBrokenPipe cancels the app when the reader of standard output went
// away (goftp cat big | head -c 10): the command stops quietly.
var errBrokenPipe = errors.New("standard output closed by its reader")

func (a *app) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return a.worst
	case errors.As(err, &ue):
		a.errorf("%s", ue.msg)
		a.printf(a.stderr, "Run 'goftp help' for usage.\n")
		return exitUsage
	case a.brokenPipe(err):
		// The reader of our output has what it wanted (head, grep -q):
		// stop quietly, as cat does, but with status 0 rather than a
		// SIGPIPE death (141) so that "set -o pipefail" scripts pass.
		return a.worst
	case a.interrupted(err):
		a.errorf("interrupted (partial files are kept: get -c, put -c and mirror resume them)")
		return exitInterrupted
	case a.maxTimeOver():
		e, _ := a.maxTimeReached()
		a.errorf("%s", e.Error())
		a.noteExit(exitTimeout)
		return a.worst
	case errors.Is(err, errReported):
		if a.worst == 0 {
			return exitFailure
		}
		return a.worst
	default:
		a.printError(err)
		return a.worst
	}
}

// brokenPipe reports whether err, or the app's cancellation, comes from
// writing to a standard output whose reader has gone.
func (a *app) brokenPipe(err error) bool {
	if errors.Is(context.Cause(a.ctx), errBrokenPipe) {
		return true
	}
	return a.stdoutClosed(err)
}

// stdoutClosed reports whether err is EPIPE from writing standard output
// (and not, say, from a network connection).
func (a *app) stdoutClosed(err error) bool {
	f, ok := a.stdout.(*os.File)
	var pe *fs.PathError
	return ok && errors.Is(err, syscall.EPIPE) && errors.As(err, &pe) && pe.Path == f.Name()
}

// interrupted reports whether err ends the command because the user
// interrupted it (Ctrl-C, SIGTERM).
func (a *app) interrupted(err error) bool {
	if _, ok := a.maxTimeReached(); ok {
		return false
	}
	return errors.Is(err, errInterrupted) || a.ctx.Err() != nil && !errors.Is(context.Cause(a.ctx), errBrokenPipe)
}

// maxTimeOver reports whether the command ended because --max-time passed.
func (a *app) maxTimeOver() bool {
	_, ok := a.maxTimeReached()
	return ok
}

// noteExit records code as an exit status if it is more serious than
// the ones seen so far.
func (a *app) noteExit(code int) {
	a.mu.Lock()
	if severity(code) > severity(a.worst) {
		a.worst = code
	}
	a.mu.Unlock()
}

// Exit statuses. Each failure class has its own, so that scripts can
// tell them apart, as with curl. They are listed by "goftp help".
const (
	exitFailure     = 1   // any other failure
	exitUsage       = 2   // a mistake on the command line
	exitConnect     = 3   // cannot connect: name, refused, unreachable, no greeting, 421
	exitLogin       = 4   // login refused (USER, PASS or ACCT answered 4xx/5xx)
	exitTLS         = 5   // TLS failure: certificate not trusted, TLS not offered
	exitNotFound    = 6   // not found or not permitted (550, 553, fs.ErrNotExist, fs.ErrPermission)
	exitTransfer    = 7   // transfer failed or incomplete; connection lost
	exitTimeout     = 8   // no activity for --timeout
	exitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// exitCodes describes the exit statuses for "goftp help", most serious
// first: when several errors were printed (get and mirror carry on after
// a failed file), the status is that of the most serious, this order.
var exitCodes = []struct {
	code int
	text string
}{
	{exitInterrupted, "interrupted (Ctrl-C)"},
	{exitUsage, "usage: a mistake on the command line"},
	{exitTLS, "TLS failure: certificate not trusted, or TLS not offered by the server"},
	{exitLogin, "login refused"},
	{exitConnect, "cannot connect: host unknown or unreachable, connection refused, server not ready"},
	{exitTimeout, "timeout: no activity for --timeout, or --max-time reached"},
	{exitTransfer, "transfer failed or incomplete, connection lost"},
	{exitFailure, "other failure"},
	{exitNotFound, "not found or not permitted (550, 553), or a local file is missing"},
}

// severity ranks exit statuses for the "most serious" rule: higher is
// more serious; 0 (success) is the least.
func severity(code int) int {
	for i, c := range exitCodes {
		if c.code == code {
			return len(exitCodes) - i
		}
	}
	return 0
}

// classify returns the exit status for err (never 0).
func (a *app) classify(err error) int {
	var (
		ue   *usageError
		re   *ftp.ReplyError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		ae   tls.AlertError
		dnse *net.DNSError
		oe   *net.OpError
		de   *dialError
	)
	isReply := errors.As(err, &re)
	switch {
	case a.interrupted(err):
		return exitInterrupted
	case a.maxTimeOver():
		return exitTimeout
	case errors.As(err, &ue):
		return exitUsage
	case isReply && re.Code == ftp.CodeServiceNotAvailable && (re.Cmd == "" || loginCmd(re.Cmd)):
		// 421 as the greeting or to the login: the server is busy or
		// refuses this client (too many connections), not the password.
		return exitConnect
	case errors.Is(err, ftp.ErrLoginRefused):
		return exitLogin
	case errors.Is(err, ftp.ErrTLSRequired), errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne),
		errors.As(err, &cie), errors.As(err, &rhe), errors.As(err, &ae):
		return exitTLS
	case errors.As(err, &de), errors.As(err, &dnse), isReply && re.Cmd == "",
		errors.Is(err, ftp.ErrProxyUnreachable), errors.Is(err, ftp.ErrProxyAuth), errors.Is(err, ftp.ErrProxyRefused):
		// The control connection could not be opened (directly or
		// through the proxy), or the greeting was not 2xx.
		return exitConnect
	case errors.Is(err, ftp.ErrSizeMismatch), errors.Is(err, ftp.ErrShortTransfer),
		errors.Is(err, ftp.ErrResumeUnverified), errors.Is(err, ftp.ErrChecksumMismatch):
		return exitTransfer
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission),
		isReply && (re.Code == ftp.CodeFileUnavailable || re.Code == ftp.CodeBadFileName ||
			re.Code == ftp.CodeNeedAccountForStoring || re.Code == ftp.CodePageTypeUnknown):
		return exitNotFound
	case isReply && (re.Code == ftp.CodeServiceNotAvailable || re.Code == ftp.CodeCantOpenData || re.Code == ftp.CodeTransferAborted || re.Code == ftp.CodeLocalError ||
		re.Code == ftp.CodeInsufficientStorage || re.Code == ftp.CodeExceededStorage),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.As(err, &oe) && oe.Op == "dial": // a data connection (the control one is a dialError)
		return exitTransfer
	}
	return exitFailure
}

// loginCmd reports whether cmd, a ReplyError's command, is part of the
// login (USER, PASS, ACCT, or AUTH before them).
func loginCmd(cmd string) bool {
	verb, _, _ := strings.Cut(cmd, " ")
	switch strings.ToUpper(verb) {
	case "USER", "PASS", "ACCT", "AUTH":
		return true
	}
	return false
}

func (a *app) dispatch(args []string) error {
	fs := a.flagSet("goftp", nil)
	fs.Usage = func() { a.topUsage(a.stdout) }
	if err := a.parseFlags(fs, args); err != nil {
		return err
	}
	if a.showVersion {
		a.printf(a.stdout, "%s\n", version())
		return nil
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
	if !ok && strings.Contains(name, "://") {
		return a.shell(append([]string{name}, rest...)) // goftp URL: a session
	}
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
	b.WriteString("\nExit status:\n    0  success")
	codes := slices.Clone(exitCodes)
	slices.SortFunc(codes, func(x, y struct {
		code int
		text string
	}) int {
		return x.code - y.code
	})
	for _, c := range codes {
		fmt.Fprintf(&b, "\n  %3d  %s", c.code, c.text)
	}
	b.WriteString("\n\nWhen several files fail, the status is that of the most serious failure, in\n" +
		"this order: interrupted, usage, TLS, login, connect, timeout, transfer, other,\n" +
		"not found. A reader closing standard output (goftp cat URL | head) ends\n" +
		"the command quietly with status 0.\n")
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
		fs.Var((*secondsFlag)(&g.timeout), "timeout", "give up after `DURATION` without activity: seconds (5) or a duration (1m30s) (default 60s)")
	})
	add("max-time", func() {
		fs.Var(maxTimeFlag{a}, "max-time", "stop the whole command after `DURATION` (seconds, or 1m30s), whatever it is doing (exit status 8)")
	})
	add("q", func() {
		fs.BoolVar(&g.quiet, "q", g.quiet, "quiet: no progress bars or transfer summaries (errors are still printed)")
	})
	if name == "goftp" {
		fs.BoolVar(&a.showVersion, "version", a.showVersion, "print goftp's version and exit")
	}
	add("keepalive", func() {
		fs.Var(&g.keep, "keepalive", "send NOOP on the control connection every `DURATION` during transfers, so that NAT boxes and firewalls do not drop it; 0 for none")
	})
	add("v", func() {
		fs.Var(&g.verbose, "v", "show the protocol dialogue (passwords masked)")
		fs.BoolFunc("vv", "show every protocol line and data connection event", func(string) error {
			g.verbose = 2
			return nil
		})
	})
	add("retries", func() {
		fs.Var((*retryFlag)(&g.retries), "retries", "retry transient failures `N` times, resuming transfers; 0 for none (default 3)")
	})
	add("globoff", func() {
		fs.BoolVar(&g.globoff, "globoff", g.globoff, "take *, ? and [ in URLs as plain characters, not glob patterns (names containing them)")
	})
	for _, n := range serverFlagNames {
		add(n, func() { g.srv.register(fs, n) })
	}
	for _, n := range []string{"proxy", "noproxy"} {
		add(n, func() { g.px.register(fs, n) })
	}
	return fs
}

// globalNames are the names of the global flags.
func globalNames() []string {
	return append([]string{"user", "netrc", "tls", "insecure", "ca", "active", "timeout", "max-time", "q", "keepalive", "v", "vv", "retries", "proxy", "noproxy", "globoff"}, serverFlagNames...)
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
	if _, err := io.WriteString(w, text); err != nil && a.cancel != nil && a.stdoutClosed(err) {
		a.cancel(errBrokenPipe) // nobody reads what we print: stop
	}
}

// writer returns a function writing text to w with emit.
func (a *app) writer(w io.Writer) func(string) {
	return func(text string) { a.emit(w, text) }
}

// errorf prints "goftp: message" on stderr, with control characters in
// it (server text) escaped.
func (a *app) errorf(format string, args ...any) {
	a.printf(a.stderr, "%s\n", "goftp: "+ftp.EscapeText(fmt.Sprintf(format, args...)))
}

// warnf prints "goftp: warning: message" on stderr, escaped like errorf.
func (a *app) warnf(format string, args ...any) {
	a.printf(a.stderr, "%s\n", "goftp: warning: "+ftp.EscapeText(fmt.Sprintf(format, args...)))
}

// printError prints err on stderr, once per line of a joined error, and
// notes its exit status: the command exits with the most serious status
// of the errors it printed (see exitCodes).
func (a *app) printError(err error) {
	code := a.classify(err)
	a.mu.Lock()
	if severity(code) > severity(a.worst) {
		a.worst = code
	}
	a.mu.Unlock()
	for _, line := range strings.Split(errText(err), "\n") {
		if line != "" {
			a.errorf("%s", line)
		}
	}
	if h := hint(err); h != "" {
		a.errorf("hint: %s", h)
	}
}
