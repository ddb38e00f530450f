package netrc_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/goftplib/ftp/netrc"
)

// format writes f in .netrc syntax, every value quoted, so that parsing the
// result must give f back.
func format(f *netrc.File) string {
	var b strings.Builder
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	entry := func(m netrc.Machine) {
		b.WriteString(" login " + q(m.Login) + " password " + q(m.Password) + " account " + q(m.Account) + "\n")
	}
	for _, m := range f.Machines {
		b.WriteString("machine " + q(m.Name))
		entry(m)
	}
	if f.Default != nil {
		b.WriteString("default")
		entry(*f.Default)
	}
	for name, body := range f.Macros {
		b.WriteString("macdef " + q(name) + "\n" + body + "\n")
	}
	return b.String()
}

func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.netrc"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`machine "a\"b" password \"x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := netrc.Parse(strings.NewReader(string(data)))
		if err != nil {
			if _, ok := err.(*netrc.ParseError); !ok {
				t.Fatalf("Parse error %T %v, want *ParseError", err, err)
			}
			return
		}
		if got.Macros == nil {
			t.Fatal("Macros is nil")
		}
		// Bounded output: nothing is invented beyond the input.
		size := 0
		for _, m := range got.Machines {
			size += len(m.Name) + len(m.Login) + len(m.Password) + len(m.Account)
		}
		for k, v := range got.Macros {
			size += len(k) + len(v) - strings.Count(v, "\n")
		}
		if size > len(data) {
			t.Fatalf("parsed %d bytes of values from %d bytes of input", size, len(data))
		}
		for _, m := range got.Machines {
			if m.Name == "" {
				t.Fatalf("machine with an empty name: %#v", m)
			}
			// The output must not depend on the secrets, only on whether
			// they are set.
			other := m
			if other.Password != "" {
				other.Password = "x"
			}
			if other.Account != "" {
				other.Account = "x"
			}
			if m.String() != other.String() || m.GoString() != other.GoString() || m.LogValue().String() != other.LogValue().String() {
				t.Fatalf("output of %v depends on the password or account", m)
			}
		}
		// Writing the result out and reading it back gives the same File.
		text := format(got)
		again, err := netrc.Parse(strings.NewReader(text))
		if err != nil {
			t.Fatalf("reparse of %q: %v", text, err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(again)) {
			t.Fatalf("reparse differs:\n%#v\n%#v\ntext %q", got, again, text)
		}
	})
}

// normalize makes a File comparable with DeepEqual (nil vs empty Machines).
func normalize(f *netrc.File) *netrc.File {
	c := *f
	if len(c.Machines) == 0 {
		c.Machines = nil
	}
	return &c
}
