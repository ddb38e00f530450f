// Command crosscheck type-checks packages for other platforms, the way
// GOOS=… go build would see them, in a fraction of the time: it parses the
// files go list selects for each GOOS/GOARCH and type-checks them with
// go/types, skipping function bodies outside the main module, instead of
// compiling the standard library once per platform.
//
//	go run ./internal/cmd/crosscheck windows/amd64 darwin/arm64 freebsd/amd64
//
// With -test it checks the test files too (go vet's view, not go build's).
//
// It finds what breaks pure-Go cross builds (a syscall field, constant or
// function missing on one platform, a file whose build tags leave a name
// undefined). It does not link, and does not compile cgo or assembly: cgo
// is off (CGO_ENABLED=0), as it is in a default cross build.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

func main() {
	pattern := flag.String("p", "./...", "package pattern to check")
	tests := flag.Bool("test", false, "also check the packages' test files")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: crosscheck [-test] [-p ./...] goos/goarch...\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	// One platform per goroutine: each type-checks its own copy of the
	// standard library.
	results := make([][]string, flag.NArg())
	var wg sync.WaitGroup
	for i, target := range flag.Args() {
		goos, goarch, ok := strings.Cut(target, "/")
		if !ok {
			fmt.Fprintf(os.Stderr, "crosscheck: %q is not goos/goarch\n", target)
			os.Exit(2)
		}
		wg.Go(func() {
			errs, err := check(goos, goarch, *pattern, *tests)
			if err != nil {
				errs = append(errs, err.Error())
			}
			results[i] = errs
		})
	}
	wg.Wait()
	failed := false
	for i, errs := range results {
		if len(errs) == 0 {
			fmt.Printf("%s: ok\n", flag.Arg(i))
			continue
		}
		failed = true
		fmt.Printf("%s: FAIL\n", flag.Arg(i))
		for _, e := range errs {
			fmt.Printf("\t%s\n", e)
		}
	}
	if failed {
		os.Exit(1)
	}
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string
	Module     *struct{ Main bool }
	Error      *struct{ Err string }
}

// check type-checks the packages matching pattern, and their dependencies,
// for goos/goarch. It returns the type errors found in main-module
// packages, and an error when the listing itself fails.
func check(goos, goarch, pattern string, tests bool) ([]string, error) {
	args := []string{"list", "-e", "-deps", "-json=ImportPath,Dir,GoFiles,CgoFiles,ImportMap,Module,Error"}
	if tests {
		args = append(args, "-test")
	}
	cmd := exec.Command("go", append(args, pattern)...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	cwd, _ := os.Getwd()
	var errs []string
	fset := token.NewFileSet()
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	sizes := types.SizesFor("gc", goarch)
	dec := json.NewDecoder(bytes.NewReader(out))
	for { // go list -deps lists every package after its dependencies
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		if p.ImportPath == "unsafe" || strings.HasSuffix(p.ImportPath, ".test") { // .test: generated test main
			continue
		}
		own := p.Module != nil && p.Module.Main
		if p.Error != nil {
			if own {
				errs = append(errs, p.Error.Err)
			}
			continue
		}
		if len(p.CgoFiles) > 0 {
			errs = append(errs, fmt.Sprintf("%s: needs cgo, not available in a cross build", p.ImportPath))
			continue
		}
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		conf := types.Config{
			IgnoreFuncBodies: !own,
			Sizes:            sizes,
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if mapped, ok := p.ImportMap[path]; ok {
					path = mapped
				}
				if pkg, ok := checked[path]; ok {
					return pkg, nil
				}
				return nil, fmt.Errorf("%s not type-checked", path)
			}),
			Error: func(err error) {
				if own {
					errs = append(errs, strings.TrimPrefix(err.Error(), cwd+string(filepath.Separator)))
				}
			},
		}
		pkg, _ := conf.Check(p.ImportPath, fset, files, nil)
		checked[p.ImportPath] = pkg
	}
	return errs, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
