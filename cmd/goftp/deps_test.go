package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryDoesNotLinkTesting guards binary hygiene: goftp (serve and demo
// embed ftptest's server) and every non-internal package of the module must
// not depend on package testing, which would link the test framework and
// register its -test.* flags in every program using them. Packages under
// internal/ are exempt: some (internal/scripted) exist only for tests.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	out, err := exec.Command(goBin, "list", "-deps",
		"-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}",
		"github.com/goftplib/ftp/...").Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, exitStderr(err))
	}
	imports := map[string][]string{} // package → its direct imports
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	const module = "github.com/goftplib/ftp"
	checked := 0
	for pkg := range imports {
		if (pkg != module && !strings.HasPrefix(pkg, module+"/")) || strings.Contains(pkg+"/", "/internal/") {
			continue
		}
		checked++
		if chain := pathTo(imports, pkg, "testing"); chain != nil {
			t.Errorf("%s depends on package testing: %s", pkg, strings.Join(chain, " → "))
		}
	}
	if _, ok := imports[module+"/cmd/goftp"]; !ok || checked < 5 {
		t.Fatalf("go list listed %d module packages (cmd/goftp missing?):\n%s", checked, out)
	}
}

// pathTo returns an import chain from pkg to target, or nil if pkg does not
// depend on target.
func pathTo(imports map[string][]string, pkg, target string) []string {
	prev := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == target {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
