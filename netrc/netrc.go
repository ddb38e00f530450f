// Package netrc reads .netrc files, the credential store shared by ftp(1),
// curl and Python's netrc module, and finds the login for a host.
//
// # Syntax
//
// A file is a sequence of tokens separated by spaces, tabs and newlines, in
// any layout:
//
//	machine NAME    starts an entry for host NAME
//	default         starts the entry used when no machine matches (at most one)
//	login NAME      the user name of the current entry ("user" is accepted too)
//	password TEXT   its password
//	account TEXT    its account (sent with ACCT)
//	macdef NAME     a macro: its body is the following lines, up to an empty
//	                line or the end of the file
//	# …             a comment, to the end of the line
//
// A token may be quoted, "like this", to hold spaces; inside or outside
// quotes a backslash takes the next character literally (\" and \\), as in
// Python's netrc since 3.10. A '#' starts a comment only where a keyword is
// expected: the value after login, password, account, machine or macdef is
// taken as it is, so "password #1secret" sets the password "#1secret".
//
// # Safety
//
// [ParseFile] and [Load] refuse, on Unix, a file that holds a password or
// account for a login other than "anonymous" when other users could read or
// write it, or when it belongs to someone else (as Python's netrc and ftp(1)
// do). Passwords and accounts never appear in errors, in [Machine.String] or
// in log records ([Machine.LogValue]).
package netrc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// MaxSize is the largest input Parse accepts, in bytes. Real .netrc files
// are a few kilobytes; the limit keeps a mistaken $NETRC (a device, a huge
// file) from exhausting memory.
const MaxSize = 1 << 20

// redacted replaces secrets in String, GoString and LogValue.
const redacted = "****"

// ErrInsecure is wrapped by the *ParseError that [ParseFile] returns for a
// file holding secrets that other users could read or change.
var ErrInsecure = errors.New("netrc: insecure file")

// File is the content of a .netrc file.
type File struct {
	// Machines holds the machine entries in file order; a host may appear
	// more than once (with different logins).
	Machines []Machine
	// Default is the default entry, or nil when the file has none. Its
	// Name is empty.
	Default *Machine
	// Macros maps macro names to their bodies: the lines after "macdef
	// NAME", each ending in "\n", as written (a later macdef of the same
	// name replaces an earlier one). Never nil after Parse.
	Macros map[string]string
}

// Machine is one entry: a "machine" line and its fields, or the default entry.
type Machine struct {
	Name     string // host name; empty for the default entry
	Login    string
	Password string
	Account  string
}

// IsDefault reports whether m is the default entry (it has no name).
func (m Machine) IsDefault() bool { return m.Name == "" }

// String returns the entry in .netrc syntax with the password and account
// replaced by "****", so that printing a Machine never reveals them.
func (m Machine) String() string {
	var b strings.Builder
	if m.IsDefault() {
		b.WriteString("default")
	} else {
		b.WriteString("machine " + quote(m.Name))
	}
	if m.Login != "" {
		b.WriteString(" login " + quote(m.Login))
	}
	if m.Password != "" {
		b.WriteString(" password " + redacted)
	}
	if m.Account != "" {
		b.WriteString(" account " + redacted)
	}
	return b.String()
}

// GoString is used by the %#v verb; it redacts like String.
func (m Machine) GoString() string {
	pw, acct := "", ""
	if m.Password != "" {
		pw = redacted
	}
	if m.Account != "" {
		acct = redacted
	}
	return fmt.Sprintf("netrc.Machine{Name:%q, Login:%q, Password:%q, Account:%q}", m.Name, m.Login, pw, acct)
}

// LogValue implements slog.LogValuer: a group of the fields that are set,
// with the password and account replaced by "****".
func (m Machine) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 4)
	if m.IsDefault() {
		attrs = append(attrs, slog.Bool("default", true))
	} else {
		attrs = append(attrs, slog.String("machine", m.Name))
	}
	if m.Login != "" {
		attrs = append(attrs, slog.String("login", m.Login))
	}
	if m.Password != "" {
		attrs = append(attrs, slog.String("password", redacted))
	}
	if m.Account != "" {
		attrs = append(attrs, slog.String("account", redacted))
	}
	return slog.GroupValue(attrs...)
}

// String summarises the file (counts only): macros and entries may hold
// secrets, so they are not printed.
func (f *File) String() string {
	if f == nil {
		return "netrc.File(nil)"
	}
	return fmt.Sprintf("netrc.File{%d machines, default: %t, %d macros}", len(f.Machines), f.Default != nil, len(f.Macros))
}

// LogValue implements slog.LogValuer with the same summary as String.
func (f *File) LogValue() slog.Value {
	if f == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.Int("machines", len(f.Machines)),
		slog.Bool("default", f.Default != nil),
		slog.Int("macros", len(f.Macros)),
	)
}

// Lookup returns the entry to use for host and login: the first machine
// whose name equals host, ignoring case, and, when login is not empty,
// whose login is exactly login; otherwise the default entry, under the same
// login condition. host is a bare name or address, without port or
// brackets. An entry without a login does not match a non-empty login, so a
// password is never handed out for a user it was not written for. The
// result is a copy. Lookup on a nil File finds nothing.
func (f *File) Lookup(host, login string) (*Machine, bool) {
	if f == nil {
		return nil, false
	}
	for i := range f.Machines {
		m := f.Machines[i]
		if strings.EqualFold(m.Name, host) && (login == "" || m.Login == login) {
			return &m, true
		}
	}
	if f.Default != nil && (login == "" || f.Default.Login == login) {
		m := *f.Default
		return &m, true
	}
	return nil, false
}

// ParseError reports a syntax error, or with ErrInsecure an unsafe file,
// with its place. Its message never quotes a password.
type ParseError struct {
	File string // file name; empty when parsing a reader
	Line int    // 1-based line number
	Msg  string // what is wrong
	Err  error  // ErrInsecure for permission problems, else nil
}

func (e *ParseError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("netrc: line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("netrc: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a .netrc file from r (at most MaxSize bytes). It does no
// permission check; use [ParseFile] for files. Errors are *ParseError with
// an empty File, or read errors.
func Parse(r io.Reader) (*File, error) {
	f, _, err := parse(r, "")
	return f, err
}

// parse reads and parses r; secretLine is the line of the first password
// or account belonging to a login other than anonymous (0 if none).
func parse(r io.Reader, name string) (_ *File, secretLine int, _ error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(data) > MaxSize {
		return nil, 0, &ParseError{File: name, Line: 1, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	p := &parser{lexer: lexer{data: data, line: 1}, name: name, f: &File{Macros: map[string]string{}}}
	if err := p.run(); err != nil {
		return nil, 0, err
	}
	return p.f, p.secretLine, nil
}

// token is one lexed token.
type token struct {
	text   string
	line   int  // line where it starts
	quoted bool // written in double quotes
}

// lexer splits the input into tokens, tracking line numbers.
type lexer struct {
	data []byte
	pos  int
	line int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace advances past whitespace.
func (l *lexer) skipSpace() {
	for l.pos < len(l.data) && isSpace(l.data[l.pos]) {
		if l.data[l.pos] == '\n' {
			l.line++
		}
		l.pos++
	}
}

// skipLine advances to the next newline (not consuming it).
func (l *lexer) skipLine() {
	if i := bytes.IndexByte(l.data[l.pos:], '\n'); i >= 0 {
		l.pos += i
	} else {
		l.pos = len(l.data)
	}
}

// next returns the next token. With keyword set, comments are skipped
// first. ok is false at the end of the input.
func (l *lexer) next(keyword bool) (tok token, ok bool, err error) {
	for {
		l.skipSpace()
		if l.pos >= len(l.data) {
			return token{line: l.line}, false, nil
		}
		if keyword && l.data[l.pos] == '#' {
			l.skipLine()
			continue
		}
		break
	}
	tok.line = l.line
	var b []byte
	if l.data[l.pos] == '"' {
		tok.quoted = true
		l.pos++
		for {
			if l.pos >= len(l.data) {
				return tok, false, &ParseError{Line: tok.line, Msg: "quoted token not closed before the end of the file"}
			}
			c := l.data[l.pos]
			l.pos++
			switch c {
			case '"':
				tok.text = string(b)
				return tok, true, nil
			case '\\':
				if l.pos >= len(l.data) {
					return tok, false, &ParseError{Line: l.line, Msg: "backslash at the end of the file"}
				}
				c = l.data[l.pos]
				l.pos++
			}
			if c == '\n' {
				l.line++
			}
			b = append(b, c)
		}
	}
	for l.pos < len(l.data) && !isSpace(l.data[l.pos]) {
		c := l.data[l.pos]
		l.pos++
		if c == '\\' {
			if l.pos >= len(l.data) {
				return tok, false, &ParseError{Line: l.line, Msg: "backslash at the end of the file"}
			}
			c = l.data[l.pos]
			l.pos++
			if c == '\n' {
				l.line++
			}
		}
		b = append(b, c)
	}
	tok.text = string(b)
	return tok, true, nil
}

// parser builds a File from tokens.
type parser struct {
	lexer
	name       string
	f          *File
	secretLine int
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &ParseError{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// nextToken wraps lexer.next, filling in the file name of lexer errors.
func (p *parser) nextToken(keyword bool) (token, bool, error) {
	tok, ok, err := p.next(keyword)
	if pe, isPE := err.(*ParseError); isPE {
		pe.File = p.name
	}
	return tok, ok, err
}

// value reads the value following the keyword kw.
func (p *parser) value(kw token) (string, error) {
	tok, ok, err := p.nextToken(false)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", p.errorf(kw.line, "%s: missing value at the end of the file", kw.text)
	}
	return tok.text, nil
}

func (p *parser) run() error {
	tok, ok, err := p.nextToken(true)
	for ok && err == nil {
		switch tok.text {
		case "machine", "default":
			tok, ok, err = p.entry(tok)
		case "macdef":
			err = p.macdef(tok)
			if err == nil {
				tok, ok, err = p.nextToken(true)
			}
		default:
			// The token is not quoted in the message: it may be a
			// password that lost its keyword.
			return p.errorf(tok.line, "unexpected token where machine, default or macdef was expected")
		}
	}
	return err
}

// entry parses a machine or default entry starting at kw, and returns the
// token that follows it (ok is false at the end of the input).
func (p *parser) entry(kw token) (next token, ok bool, err error) {
	var m Machine
	if kw.text == "machine" {
		if m.Name, err = p.value(kw); err != nil {
			return token{}, false, err
		}
		if m.Name == "" {
			return token{}, false, p.errorf(kw.line, "machine: empty name")
		}
	} else if p.f.Default != nil {
		return token{}, false, p.errorf(kw.line, "more than one default entry")
	}
	secretLine := 0
fields:
	for {
		next, ok, err = p.nextToken(true)
		if err != nil || !ok {
			break
		}
		switch next.text {
		case "login", "user":
			m.Login, err = p.value(next)
		case "password", "account":
			if secretLine == 0 {
				secretLine = next.line
			}
			if next.text == "password" {
				m.Password, err = p.value(next)
			} else {
				m.Account, err = p.value(next)
			}
		case "machine", "default", "macdef":
			break fields
		default:
			// The token is not quoted in the message: it may be the
			// second half of a password that holds a space.
			err = p.errorf(next.line, "unexpected token in the entry for %s (want login, password, account, machine, default or macdef)", entryName(m))
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		return token{}, false, err
	}
	if (m.Password != "" || m.Account != "") && !strings.EqualFold(m.Login, "anonymous") && p.secretLine == 0 {
		p.secretLine = secretLine
	}
	if m.Name == "" {
		p.f.Default = &m
	} else {
		p.f.Machines = append(p.f.Machines, m)
	}
	return next, ok, nil
}

func entryName(m Machine) string {
	if m.Name == "" {
		return "default"
	}
	return strconv.Quote(m.Name)
}

// macdef parses a macro definition: its name, the rest of the line (blank
// or a comment), then body lines up to an empty line or the end of input.
func (p *parser) macdef(kw token) error {
	name, err := p.value(kw)
	if err != nil {
		return err
	}
	if name == "" {
		return p.errorf(kw.line, "macdef: empty name")
	}
	for p.pos < len(p.data) && (p.data[p.pos] == ' ' || p.data[p.pos] == '\t' || p.data[p.pos] == '\r') {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '#' {
		p.skipLine()
	}
	if p.pos < len(p.data) {
		if p.data[p.pos] != '\n' {
			return p.errorf(p.line, "macdef %q: text after the macro name (the body starts on the next line)", name)
		}
		p.pos++
		p.line++
	}
	var body strings.Builder
	for p.pos < len(p.data) {
		line := p.data[p.pos:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		p.pos += len(line)
		if line[len(line)-1] == '\n' {
			p.line++
		}
		if content := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")); len(content) == 0 {
			break // empty line: end of the macro
		}
		body.Write(line)
		if line[len(line)-1] != '\n' {
			body.WriteByte('\n')
		}
	}
	p.f.Macros[name] = body.String()
	return nil
}

// quote returns s as a token: as is when it needs no quoting, else in
// double quotes with backslash escapes.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\r\n\"\\#") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
