// Command apicheck guards the module's exported API. It lists every
// exported identifier of every non-internal, non-main package, with its
// signature, one declaration a line, into api/<package>.txt (the committed
// baseline), and in its default mode compares the current API with that
// baseline and fails with the differences.
//
//	go run ./internal/cmd/apicheck      # check (scripts/test.sh runs this)
//	go run ./internal/cmd/apicheck -w   # rewrite api/ after a deliberate change
//
// A listing is read from the compiler's export data (go list -export) for
// linux/amd64, so it is the same on every machine. Parameter names are left
// out (renaming a parameter is not an API change); constant values, struct
// fields, interface methods and method receivers are in. The format follows
// the Go distribution's api/*.txt:
//
//	pkg ftp, func Dial(context.Context, string) (*Conn, error)
//	pkg ftp, method (*Conn) Close() error
//	pkg ftp, type Dialer struct, Timeout time.Duration
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/constant"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const updateCmd = "go run ./internal/cmd/apicheck -w"

func main() {
	write := flag.Bool("w", false, "write the current API to the baseline directory instead of checking it")
	dir := flag.String("dir", "api", "baseline directory, relative to the module root")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: apicheck [-w] [-dir api]\n\nRun from the module root.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	cur, err := currentAPI()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	if *write {
		if err := writeBaseline(*dir, cur); err != nil {
			fmt.Fprintln(os.Stderr, "apicheck:", err)
			os.Exit(2)
		}
		return
	}
	base, err := readBaseline(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	if diff := compare(base, cur, *dir); diff != "" {
		fmt.Fprint(os.Stderr, diff)
		fmt.Fprintf(os.Stderr, "\nThe exported API differs from the baseline in %s/.\n"+
			"If the change is deliberate, record it in CHANGELOG.md and update the baseline:\n\t%s\n", *dir, updateCmd)
		os.Exit(1)
	}
}

// listedPackage is the part of go list -json that apicheck reads.
type listedPackage struct {
	ImportPath string
	Name       string
	Export     string
	GoFiles    []string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// currentAPI returns the listing of every package that has one, keyed by
// its baseline file name.
func currentAPI() (map[string][]string, error) {
	cmd := exec.Command("go", "list", "-e", "-export", "-json=ImportPath,Name,Export,GoFiles,Module,Error", "./...")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	exports := map[string]string{}
	var mine []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module == nil || !p.Module.Main || p.Name == "main" || len(p.GoFiles) == 0 || isInternal(p.ImportPath) {
			continue
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		mine = append(mine, p)
	}
	if len(mine) == 0 {
		return nil, errors.New("no packages found; run apicheck from the module root")
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	module := mine[0].Module.Path
	api := map[string][]string{}
	for _, p := range mine {
		pkg, err := imp.Import(p.ImportPath)
		if err != nil {
			return nil, fmt.Errorf("importing %s: %v", p.ImportPath, err)
		}
		api[fileName(module, p.ImportPath, p.Name)] = listPackage(pkg)
	}
	return api, nil
}

func isInternal(path string) bool {
	return strings.HasSuffix(path, "/internal") || strings.Contains(path+"/", "/internal/")
}

// fileName names a package's baseline file: its path inside the module with
// "/" written as ".", or its name for the module's root package.
func fileName(module, path, name string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	if rel == "" {
		rel = name
	}
	return strings.ReplaceAll(rel, "/", ".") + ".txt"
}

// listPackage returns the sorted API lines of pkg.
func listPackage(pkg *types.Package) []string {
	qual := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	typ := func(t types.Type) string { return types.TypeString(t, qual) }
	prefix := "pkg " + pkg.Name() + ", "
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, prefix+fmt.Sprintf(format, args...)) }

	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Const:
			add("const %s %s = %s", name, typ(obj.Type()), constString(obj))
		case *types.Var:
			add("var %s %s", name, typ(obj.Type()))
		case *types.Func:
			add("func %s%s", name, signature(obj.Type().(*types.Signature), qual))
		case *types.TypeName:
			listType(obj, qual, add)
		}
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

func listType(obj *types.TypeName, qual types.Qualifier, add func(string, ...any)) {
	name := obj.Name()
	typ := func(t types.Type) string { return types.TypeString(t, qual) }
	if obj.IsAlias() {
		add("type %s = %s", name, typ(types.Unalias(obj.Type())))
		return
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		add("type %s %s", name, typ(obj.Type()))
		return
	}
	if tp := named.TypeParams(); tp.Len() > 0 {
		var b strings.Builder
		b.WriteString(name + "[")
		for i := range tp.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			p := tp.At(i)
			b.WriteString(p.Obj().Name() + " " + typ(p.Constraint()))
		}
		b.WriteString("]")
		name = b.String()
	}
	switch u := named.Underlying().(type) {
	case *types.Struct:
		add("type %s struct", name)
		for i := range u.NumFields() {
			f := u.Field(i)
			switch {
			case f.Embedded():
				add("type %s struct, embedded %s", name, typ(f.Type()))
			case f.Exported():
				add("type %s struct, %s %s", name, f.Name(), typ(f.Type()))
			}
		}
	case *types.Interface:
		add("type %s interface", name)
		for i := range u.NumEmbeddeds() {
			add("type %s interface, embedded %s", name, typ(u.EmbeddedType(i)))
		}
		for i := range u.NumExplicitMethods() {
			m := u.ExplicitMethod(i)
			if m.Exported() {
				add("type %s interface, %s%s", name, m.Name(), signature(m.Type().(*types.Signature), qual))
			} else {
				add("type %s interface, unexported methods", name)
			}
		}
	case *types.Signature:
		add("type %s func%s", name, signature(u, qual))
	default:
		add("type %s %s", name, typ(u))
	}
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		sig := m.Type().(*types.Signature)
		recv := obj.Name()
		if tp := named.TypeParams(); tp.Len() > 0 {
			var ps []string
			for j := range tp.Len() {
				ps = append(ps, tp.At(j).Obj().Name())
			}
			recv += "[" + strings.Join(ps, ", ") + "]"
		}
		if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
			recv = "*" + recv
		}
		add("method (%s) %s%s", recv, m.Name(), signature(sig, qual))
	}
}

// signature formats sig without its receiver and parameter names.
func signature(sig *types.Signature, qual types.Qualifier) string {
	strip := func(t *types.Tuple) *types.Tuple {
		vars := make([]*types.Var, t.Len())
		for i := range t.Len() {
			vars[i] = types.NewParam(token.NoPos, nil, "", t.At(i).Type())
		}
		return types.NewTuple(vars...)
	}
	var tparams []*types.TypeParam
	for i := range sig.TypeParams().Len() {
		tparams = append(tparams, sig.TypeParams().At(i))
	}
	s := types.NewSignatureType(nil, nil, nil, strip(sig.Params()), strip(sig.Results()), sig.Variadic())
	str := types.TypeString(s, qual)
	str = strings.TrimPrefix(str, "func")
	if len(tparams) > 0 {
		var ps []string
		for _, p := range tparams {
			ps = append(ps, p.Obj().Name()+" "+types.TypeString(p.Constraint(), qual))
		}
		str = "[" + strings.Join(ps, ", ") + "]" + str
	}
	return str
}

// constString formats c's value: durations as time.Duration prints them,
// long strings cut short.
func constString(c *types.Const) string {
	v := c.Val()
	if n, ok := c.Type().(*types.Named); ok && n.Obj().Pkg() != nil &&
		n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Duration" {
		if d, exact := constant.Int64Val(v); exact {
			return time.Duration(d).String()
		}
	}
	s := v.ExactString()
	if v.Kind() == constant.String && len(s) > 80 {
		s = s[:77] + "...\""
	}
	return s
}

func writeBaseline(dir string, api map[string][]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	for _, f := range old {
		if _, ok := api[filepath.Base(f)]; !ok {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, lines := range api {
		data := strings.Join(lines, "\n") + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readBaseline(dir string) (map[string][]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no baseline in %s/; create it with: %s", dir, updateCmd)
	}
	api := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var lines []string
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimRight(l, "\r\n"); l != "" {
				lines = append(lines, l)
			}
		}
		api[filepath.Base(f)] = lines
	}
	return api, nil
}

// compare returns the differences between the baseline and the current
// API, one file at a time, or "" when they agree.
func compare(base, cur map[string][]string, dir string) string {
	var names []string
	for n := range base {
		names = append(names, n)
	}
	for n := range cur {
		if _, ok := base[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		was, now := base[n], cur[n]
		removed, added := setDiff(was, now), setDiff(now, was)
		if len(removed) == 0 && len(added) == 0 {
			continue
		}
		switch {
		case was == nil:
			fmt.Fprintf(&b, "%s/%s: new package\n", dir, n)
		case now == nil:
			fmt.Fprintf(&b, "%s/%s: package gone\n", dir, n)
		default:
			fmt.Fprintf(&b, "%s/%s:\n", dir, n)
		}
		for _, l := range removed {
			fmt.Fprintf(&b, "-%s\n", l)
		}
		for _, l := range added {
			fmt.Fprintf(&b, "+%s\n", l)
		}
	}
	return b.String()
}

// setDiff returns the lines of a that are not in b, in a's order.
func setDiff(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, l := range b {
		in[l] = true
	}
	var d []string
	for _, l := range a {
		if !in[l] {
			d = append(d, l)
		}
	}
	return d
}
