package safepath_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goftplib/ftp/internal/safepath"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	good := []string{"a", "a.txt", ".hidden", "..a", "a..", "...", "name with spaces", " lead", "trail ",
		"ünïcödé", "a:b", "日本語", "-rf", "~", "$HOME", "a;b"}
	for _, name := range good {
		if err := safepath.Check(name); err != nil {
			t.Errorf("Check(%q) = %v, want nil", name, err)
		}
	}
	bad := map[string]string{
		"":            "empty",
		".":           `"."`,
		"..":          `".."`,
		"../evil":     "absolute path|separator",
		"/etc/passwd": "absolute path",
		"a/b":         "separator",
		`a\b`:         "separator",
		`\evil`:       "absolute path",
		`..\evil`:     "separator",
		"a/":          "separator",
		"/":           "absolute path",
		"a\x00b":      "NUL",
		"a\rb":        "line break",
		"a\nb":        "line break",
		"x\r\n":       "line break",
	}
	for name, want := range bad {
		err := safepath.Check(name)
		if err == nil {
			t.Errorf("Check(%q) = nil, want an error", name)
			continue
		}
		if !errors.Is(err, safepath.ErrUnsafe) {
			t.Errorf("Check(%q) = %v, does not match ErrUnsafe", name, err)
		}
		var se *safepath.Error
		if !errors.As(err, &se) || se.Name != name {
			t.Errorf("Check(%q) = %#v, want an *Error naming the entry", name, err)
		}
		ok := false
		for w := range strings.SplitSeq(want, "|") {
			ok = ok || strings.Contains(err.Error(), w)
		}
		if !ok {
			t.Errorf("Check(%q) = %q, want it to mention %q", name, err, want)
		}
		if strings.ContainsAny(err.Error(), "\x00\r\n") {
			t.Errorf("Check(%q): error text %q contains raw control characters", name, err)
		}
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	got, err := safepath.Join("dir", "sub", "f.txt")
	if want := filepath.Join("dir", "sub", "f.txt"); err != nil || got != want {
		t.Errorf("Join(dir, sub, f.txt) = %q, %v, want %q", got, err, want)
	}
	for _, elems := range [][]string{{"..", "x"}, {"a", "../../x"}, {"/etc/passwd"}, {"a", ""}} {
		if got, err := safepath.Join("dir", elems...); err == nil {
			t.Errorf("Join(dir, %q) = %q, want an error", elems, got)
		}
	}
}

func TestRel(t *testing.T) {
	t.Parallel()
	got, err := safepath.Rel("a/b/c")
	if want := filepath.Join("a", "b", "c"); err != nil || got != want {
		t.Errorf("Rel(a/b/c) = %q, %v, want %q", got, err, want)
	}
	for _, p := range []string{"", "/a", "a//b", "a/../b", "a/./b", "..", "a/", `a\b/c`, "a/b\x00"} {
		got, err := safepath.Rel(p)
		if err == nil {
			t.Errorf("Rel(%q) = %q, want an error", p, got)
			continue
		}
		var se *safepath.Error
		if !errors.As(err, &se) || se.Name != p {
			t.Errorf("Rel(%q) error = %v, want an *Error naming %q", p, err, p)
		}
	}
}

// TestStaysInside checks the property callers rely on: a name accepted by
// Check, joined to a directory, names an entry directly inside it.
func TestStaysInside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"a", ".x", "...", "a b", "..a"} {
		p, err := safepath.Join(dir, name)
		if err != nil {
			t.Fatalf("Join(%q) = %v", name, err)
		}
		if filepath.Dir(p) != dir {
			t.Errorf("Join(dir, %q) = %q: not directly inside %q", name, p, dir)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Errorf("creating %q: %v", p, err)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"a", "..", "../x", "/x", `a\b`, "a\x00", ".", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if safepath.Check(name) != nil {
			return
		}
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00\r\n") {
			t.Fatalf("Check(%q) accepted an unsafe name", name)
		}
		if p := filepath.Join("base", name); filepath.Dir(p) != "base" {
			t.Fatalf("Check(%q) accepted a name that leaves its directory: %q", name, p)
		}
	})
}
