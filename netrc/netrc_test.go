package netrc_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/goftplib/ftp/netrc"
)

func TestParseTestdata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want *netrc.File
	}{
		{"basic.netrc", &netrc.File{
			Machines: []netrc.Machine{
				{Name: "ftp.example.com", Login: "alice", Password: "s3cret"},
				{Name: "ftp.example.com", Login: "bob", Password: "hunter2", Account: "acct42"},
				{Name: "other.example.org", Login: "carol", Password: "pass word"},
			},
			Default: &netrc.Machine{Login: "anonymous", Password: "guest@example.com"},
			Macros:  map[string]string{},
		}},
		{"comments.netrc", &netrc.File{
			Machines: []netrc.Machine{
				{Name: "a.example", Login: "u1", Password: "p1"},
				{Name: "b.example", Login: "u2", Password: "#notacomment"},
			},
			Macros: map[string]string{},
		}},
		{"quoting.netrc", &netrc.File{
			Machines: []netrc.Machine{
				{Name: "host with space", Login: `user "quoted"`, Password: `back\slash`},
				{Name: "esc.example", Login: "a b", Password: "p#q"},
				{Name: "multi.example", Login: "m", Password: "line1\nline2"},
			},
			Macros: map[string]string{},
		}},
		{"macros.netrc", &netrc.File{
			Machines: []netrc.Machine{{Name: "ftp.example.com", Login: "alice", Password: "s3cret"}},
			Macros:   map[string]string{"init": "cd /pub\nbinary\n", "last": "get README\n"},
		}},
		{"crlf.netrc", &netrc.File{
			Machines: []netrc.Machine{{Name: "crlf.example", Login: "dos", Password: "win"}},
			Default:  &netrc.Machine{Login: "anonymous"},
			Macros:   map[string]string{"m": "ls\r\n"},
		}},
		{"empty.netrc", &netrc.File{Macros: map[string]string{}}},
		{"noeol.netrc", &netrc.File{
			Machines: []netrc.Machine{{Name: "only.example", Login: "x"}},
			Macros:   map[string]string{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := netrc.Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Parse(%s) error: %v", tt.file, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%s) = %#v\nwant %#v", tt.file, got, tt.want)
				for i := range got.Machines {
					t.Logf("got machine %d: %q %q %q %q", i, got.Machines[i].Name, got.Machines[i].Login, got.Machines[i].Password, got.Machines[i].Account)
				}
				t.Logf("got macros: %q", got.Macros)
			}
		})
	}
}

func TestParseInline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     *netrc.File
	}{
		{"one line", "machine h login u password p",
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "u", Password: "p"}}, Macros: map[string]string{}}},
		{"user synonym", "machine h user u",
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "u"}}, Macros: map[string]string{}}},
		{"empty quoted password", `machine h login u password ""`,
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "u"}}, Macros: map[string]string{}}},
		{"value looks like keyword", "machine h login password",
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "password"}}, Macros: map[string]string{}}},
		{"later field wins", "machine h login a login b",
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "b"}}, Macros: map[string]string{}}},
		{"quote ends token", `machine "h"login u`,
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "u"}}, Macros: map[string]string{}}},
		{"machine after default", "default login d\nmachine h login u",
			&netrc.File{Machines: []netrc.Machine{{Name: "h", Login: "u"}}, Default: &netrc.Machine{Login: "d"}, Macros: map[string]string{}}},
		{"macro at eof without newline", "macdef m\nls",
			&netrc.File{Macros: map[string]string{"m": "ls\n"}}},
		{"empty macro", "macdef m\n\nmachine h",
			&netrc.File{Machines: []netrc.Machine{{Name: "h"}}, Macros: map[string]string{"m": ""}}},
		{"macro body keeps keywords", "macdef m\nmachine x\n   \n\nmachine h",
			&netrc.File{Machines: []netrc.Machine{{Name: "h"}}, Macros: map[string]string{"m": "machine x\n   \n"}}},
		{"macro redefined", "macdef m\na\n\nmacdef m\nb\n",
			&netrc.File{Macros: map[string]string{"m": "b\n"}}},
		{"comment only", "# nothing\n#machine h",
			&netrc.File{Macros: map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := netrc.Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"bad toplevel", "\n\nlogin u", 3, "where machine, default or macdef was expected"},
		{"bad follower", "machine h\n login u\n password one two", 3, `in the entry for "h"`},
		{"missing machine name", "machine", 1, "machine: missing value"},
		{"missing password", "machine h password\n\n", 1, "password: missing value"},
		{"empty machine name", `machine ""`, 1, "machine: empty name"},
		{"unterminated quote", "machine h\npassword \"abc\n\n", 2, "quoted token not closed"},
		{"backslash at eof", `machine h password abc\`, 1, "backslash at the end"},
		{"two defaults", "default\nmachine h\ndefault", 3, "more than one default"},
		{"macdef text after name", "macdef m x\nls\n", 1, "text after the macro name"},
		{"macdef no name", "macdef", 1, "macdef: missing value"},
		{"quoted keyword comment", `"#x"`, 1, "unexpected token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := netrc.Parse(strings.NewReader(tt.in))
			var pe *netrc.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, %v; want *ParseError", tt.in, f, err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("Parse(%q) error = line %d %q, want line %d containing %q", tt.in, pe.Line, pe.Msg, tt.line, tt.msg)
			}
		})
	}
}

// TestErrorsHideSecrets checks that no parse error quotes the password, even
// when a space splits it and its second half lands where a keyword belongs.
func TestErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"machine h login u password top secretword",
		"secretword",
		"machine h login u password \"unterminated secretword\n",
		"machine h login u password secretword\nsecretword",
		"default password x\nsecretword login",
	} {
		_, err := netrc.Parse(strings.NewReader(in))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", in)
			continue
		}
		if strings.Contains(err.Error(), "secretword") {
			t.Errorf("Parse(%q) error %q reveals the password", in, err)
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("# padding\n", netrc.MaxSize/10+1)
	if _, err := netrc.Parse(strings.NewReader(in)); err == nil {
		t.Errorf("Parse(%d bytes) succeeded, want an error", len(in))
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	if _, err := netrc.ParseFile(filepath.Join("testdata", "basic.netrc")); err != nil && !errors.Is(err, netrc.ErrInsecure) {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "basic.netrc"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := netrc.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, login string
		wantLogin   string // "" for no match
		wantDefault bool
	}{
		{"ftp.example.com", "", "alice", false},
		{"FTP.Example.COM", "", "alice", false},
		{"ftp.example.com", "bob", "bob", false},
		{"ftp.example.com", "Bob", "", false}, // logins are case-sensitive; default is for anonymous
		{"other.example.org", "carol", "carol", false},
		{"unknown.example", "", "anonymous", true},
		{"unknown.example", "anonymous", "anonymous", true},
		{"unknown.example", "dave", "", false},
		{"ftp.example.com", "anonymous", "anonymous", true},
	}
	for _, tt := range tests {
		m, ok := f.Lookup(tt.host, tt.login)
		switch {
		case tt.wantLogin == "" && ok:
			t.Errorf("Lookup(%q, %q) = %v, want no match", tt.host, tt.login, m)
		case tt.wantLogin != "" && !ok:
			t.Errorf("Lookup(%q, %q) found nothing, want login %q", tt.host, tt.login, tt.wantLogin)
		case ok && (m.Login != tt.wantLogin || m.IsDefault() != tt.wantDefault):
			t.Errorf("Lookup(%q, %q) = %v, want login %q (default %t)", tt.host, tt.login, m, tt.wantLogin, tt.wantDefault)
		}
	}
	// The result is a copy.
	m, _ := f.Lookup("ftp.example.com", "")
	m.Password = "changed"
	if f.Machines[0].Password != "s3cret" {
		t.Errorf("changing Lookup's result changed the File")
	}
	var nilFile *netrc.File
	if m, ok := nilFile.Lookup("h", ""); ok {
		t.Errorf("nil File Lookup = %v, want no match", m)
	}
}

func TestMachineRedaction(t *testing.T) {
	t.Parallel()
	m := netrc.Machine{Name: "h.example", Login: "alice", Password: "pw-SECRET", Account: "acct-SECRET"}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("entry", "m", m, "mp", &m)
	logger.Info("file", "f", &netrc.File{Machines: []netrc.Machine{m}, Default: &m, Macros: map[string]string{"init": "user x SECRET"}})
	outputs := map[string]string{
		"String":     m.String(),
		"%v":         fmt.Sprintf("%v", m),
		"%+v":        fmt.Sprintf("%+v", m),
		"%#v":        fmt.Sprintf("%#v", m),
		"%v pointer": fmt.Sprintf("%v", &m),
		"%s slice":   fmt.Sprintf("%s", []netrc.Machine{m}),
		"slog":       buf.String(),
		"File %v":    fmt.Sprintf("%v", &netrc.File{Machines: []netrc.Machine{m}, Default: &m}),
	}
	for name, out := range outputs {
		if strings.Contains(out, "SECRET") {
			t.Errorf("%s output %q reveals a secret", name, out)
		}
	}
	if want := `machine h.example login alice password **** account ****`; m.String() != want {
		t.Errorf("String() = %q, want %q", m.String(), want)
	}
	if !strings.Contains(buf.String(), "m.login=alice") || !strings.Contains(buf.String(), "m.password=****") {
		t.Errorf("slog output %q lacks the login or the redacted password", buf.String())
	}
	if got, want := (netrc.Machine{Login: "anonymous"}).String(), "default login anonymous"; got != want {
		t.Errorf("default String() = %q, want %q", got, want)
	}
}

// writeFile creates a file in a fresh directory with the given mode (set
// with Chmod, so the umask does not interfere).
func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "net rc")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	t.Parallel()
	const secret = "machine h login alice password pw-SECRET\n"
	tests := []struct {
		name, content string
		mode          os.FileMode
		insecure      bool
	}{
		{"private", secret, 0o600, false},
		{"owner read only", secret, 0o400, false},
		{"group readable", secret, 0o640, true},
		{"world readable", secret, 0o644, true},
		{"group writable only", secret, 0o620, true},
		{"other execute", secret, 0o601, true},
		{"account counts too", "machine h login alice account acct-SECRET\n", 0o644, true},
		{"default entry", "machine x\ndefault login alice password pw-SECRET\n", 0o644, true},
		{"anonymous with password", "machine h login anonymous password me@example.com\n", 0o644, false},
		{"no login but password", "machine h password pw-SECRET\n", 0o644, true},
		{"no password", "machine h login alice\n", 0o644, false},
		{"empty", "", 0o666, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, tt.content, tt.mode)
			f, err := netrc.ParseFile(p)
			if !tt.insecure {
				if err != nil {
					t.Fatalf("ParseFile(mode %v) error: %v", tt.mode, err)
				}
				return
			}
			if f != nil || !errors.Is(err, netrc.ErrInsecure) {
				t.Fatalf("ParseFile(mode %v) = %v, %v; want an ErrInsecure error", tt.mode, f, err)
			}
			msg := err.Error()
			for _, want := range []string{p, fmt.Sprintf("%04o", tt.mode), "chmod 600 '" + p + "'"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("error %q reveals the secret", msg)
			}
			var pe *netrc.ParseError
			if !errors.As(err, &pe) || pe.File != p || pe.Line == 0 {
				t.Errorf("error %#v: want *ParseError with File %q and a line", err, p)
			}
		})
	}
}

func TestParseFileOwner(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix owners")
	}
	if os.Getuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	t.Parallel()
	p := writeFile(t, "machine h login alice password pw-SECRET\n", 0o600)
	if err := os.Chown(p, 4242, -1); err != nil {
		t.Skipf("chown: %v", err)
	}
	_, err := netrc.ParseFile(p)
	if !errors.Is(err, netrc.ErrInsecure) || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Errorf("ParseFile(owned by 4242) error = %v, want ErrInsecure naming the owner", err)
	}
	// Without a secret, someone else's file is fine (Python does the same).
	p = writeFile(t, "machine h login alice\n", 0o644)
	if err := os.Chown(p, 4242, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := netrc.ParseFile(p); err != nil {
		t.Errorf("ParseFile(no secret, owned by 4242) error: %v", err)
	}
}

func TestParseFileErrors(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "machine h\nbogus", 0o600)
	_, err := netrc.ParseFile(p)
	var pe *netrc.ParseError
	if !errors.As(err, &pe) || pe.File != p || pe.Line != 2 {
		t.Errorf("ParseFile error = %v, want *ParseError at %s:2", err, p)
	}
	if want := p + ":2:"; err != nil && !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
	if _, err := netrc.ParseFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile(missing) error = %v, want fs.ErrNotExist", err)
	}
	if _, err := netrc.ParseFile(t.TempDir()); err == nil {
		t.Errorf("ParseFile(directory) succeeded, want an error")
	}
}

// TestLoad changes the environment, so it does not run in parallel.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "custom")
	if err := os.WriteFile(p, []byte("machine env.example login e password p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NETRC", p)
	f, err := netrc.Load()
	if err != nil {
		t.Fatalf("Load with $NETRC: %v", err)
	}
	if m, ok := f.Lookup("env.example", ""); !ok || m.Login != "e" {
		t.Errorf("Lookup after Load = %v, %t; want login e", m, ok)
	}

	t.Setenv("NETRC", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	if _, err := netrc.Load(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load without a file: error = %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(filepath.Join(home, ".netrc"), []byte("default login anonymous\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err = netrc.Load()
	if err != nil || f.Default == nil {
		t.Errorf("Load from home = %v, %v; want the default entry", f, err)
	}
	if got, err := netrc.Path(); err != nil || got != filepath.Join(home, ".netrc") {
		t.Errorf("Path() = %q, %v; want %q", got, err, filepath.Join(home, ".netrc"))
	}
}
