package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"
)

func TestListPackage(t *testing.T) {
	const src = `package p

const Big = 1 << 40
const Name string = "x"
const unexported = 1

var ErrX error

type Mode int

const ModeA Mode = 2

type Opts struct {
	Root  string
	inner int
	Mode
}

type Getter interface {
	Get(key string, n ...int) (v []byte, err error)
	hidden()
}

type Set[T comparable] struct{ m map[T]bool }

func (s *Set[T]) Add(v T)  {}
func (m Mode) String() string { return "" }
func (o *Opts) private()      {}

type Alias = Opts

func New(root string, opts *Opts) (*Opts, error) { return nil, nil }
func Map[K comparable, V any](m map[K]V) []K { return nil }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{}).Check("example.com/p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg p, const Big untyped int = 1099511627776",
		"pkg p, const ModeA Mode = 2",
		`pkg p, const Name string = "x"`,
		"pkg p, func Map[K comparable, V any](map[K]V) []K",
		"pkg p, func New(string, *Opts) (*Opts, error)",
		"pkg p, method (*Set[T]) Add(T)",
		"pkg p, method (Mode) String() string",
		"pkg p, type Alias = Opts",
		"pkg p, type Getter interface",
		"pkg p, type Getter interface, Get(string, ...int) ([]byte, error)",
		"pkg p, type Getter interface, unexported methods",
		"pkg p, type Mode int",
		"pkg p, type Opts struct",
		"pkg p, type Opts struct, Root string",
		"pkg p, type Opts struct, embedded Mode",
		"pkg p, type Set[T comparable] struct",
		"pkg p, var ErrX error",
	}
	if got := listPackage(pkg); !slices.Equal(got, want) {
		t.Errorf("listPackage:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompare(t *testing.T) {
	base := map[string][]string{"a.txt": {"pkg a, func F()", "pkg a, func G()"}, "gone.txt": {"pkg gone, func H()"}}
	cur := map[string][]string{"a.txt": {"pkg a, func F()", "pkg a, func G2()"}, "b.txt": {"pkg b, func B()"}}
	want := "api/a.txt:\n-pkg a, func G()\n+pkg a, func G2()\n" +
		"api/b.txt: new package\n+pkg b, func B()\n" +
		"api/gone.txt: package gone\n-pkg gone, func H()\n"
	if got := compare(base, cur, "api"); got != want {
		t.Errorf("compare:\n%s\nwant:\n%s", got, want)
	}
	if got := compare(cur, cur, "api"); got != "" {
		t.Errorf("compare(same) = %q", got)
	}
}
