package listing

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Options.Location in golden cases, whatever the machine has
)

var update = flag.Bool("update", false, "rewrite the expected results testdata/*/*.json from the parsers' output")

// goldenNow is Options.Now for golden cases without an options file.
var goldenNow = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

// goldenOptions is the JSON form of Options: testdata/<dir>/options.json
// applies to every case of the directory, <case>.options.json to one.
type goldenOptions struct {
	Now      time.Time `json:"now,omitzero"`
	Location string    `json:"location,omitempty"`
	System   string    `json:"system,omitempty"`
}

// goldenEntry is the JSON form of an Entry in expected results.
type goldenEntry struct {
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	Size      int64             `json:"size"`
	Time      string            `json:"time,omitempty"`
	Precision string            `json:"precision,omitempty"`
	Target    string            `json:"target,omitempty"`
	Mode      string            `json:"mode"`
	Perm      string            `json:"perm,omitempty"`
	Owner     string            `json:"owner,omitempty"`
	Group     string            `json:"group,omitempty"`
	Facts     map[string]string `json:"facts,omitempty"`
	Format    string            `json:"format"`
}

// goldenResult is what became of one line (or two joined lines).
type goldenResult struct {
	Line  int          `json:"line"`
	Lines int          `json:"lines,omitempty"` // when more than one
	Skip  bool         `json:"skip,omitempty"`
	Entry *goldenEntry `json:"entry,omitempty"`
	Error string       `json:"error,omitempty"`
}

func toGolden(e *Entry) *goldenEntry {
	g := &goldenEntry{
		Name: e.Name, Type: e.Type.String(), Size: e.Size, Target: e.Target,
		Mode: e.Mode.String(), Perm: e.Perm, Owner: e.Owner, Group: e.Group,
		Facts: e.Facts, Format: e.Format,
	}
	if !e.Time.IsZero() {
		g.Time = e.Time.Format(time.RFC3339Nano)
		g.Precision = e.Precision.String()
	}
	return g
}

// isMLSxCase reports whether a case holds MLSD/MLST lines (read with
// ParseMLSx) rather than a LIST reply.
func isMLSxCase(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "mlsd") || strings.HasPrefix(base, "mlst") ||
		filepath.Base(filepath.Dir(path)) == "mlsx"
}

// readLines splits a testdata listing into lines (LF-terminated; a CR
// before the LF stays and is the parser's to remove).
func readLines(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func loadOptions(t *testing.T, casePath string) *Options {
	t.Helper()
	g := goldenOptions{Now: goldenNow}
	for _, p := range []string{
		filepath.Join(filepath.Dir(casePath), "options.json"),
		strings.TrimSuffix(casePath, ".txt") + ".options.json",
	} {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	o := &Options{Now: g.Now, System: g.System}
	if g.Location != "" {
		loc, err := time.LoadLocation(g.Location)
		if err != nil {
			t.Fatal(err)
		}
		o.Location = loc
	}
	return o
}

// runCase parses a case the way a client would and returns one result per
// line or line pair.
func runCase(t *testing.T, path string, lines []string) []goldenResult {
	var out []goldenResult
	add := func(line, n int, e *Entry, err error) {
		r := goldenResult{Line: line}
		if n > 1 {
			r.Lines = n
		}
		switch {
		case err == nil:
			r.Entry = toGolden(e)
		case err == ErrSkip:
			r.Skip = true
		default:
			r.Error = err.Error()
		}
		out = append(out, r)
	}
	if isMLSxCase(path) {
		for i, l := range lines {
			if blank(trimEOL(l)) {
				add(i+1, 1, nil, ErrSkip)
				continue
			}
			e, err := ParseMLSx(l)
			if pe, ok := err.(*ParseError); ok {
				pe.Line = i + 1
			}
			add(i+1, 1, &e, err)
		}
		return out
	}
	parseLines(lines, loadOptions(t, path), func(r *result) {
		add(r.line, r.nlines, &r.entry, r.err)
	})
	return out
}

// TestGolden parses every testdata/<format-or-server>/<case>.txt and
// compares the outcome of each line with <case>.json. It also checks that
// no line is dropped: every line is accounted for exactly once as an
// entry, an error or a skip.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("only %d golden cases found", len(cases))
	}
	for _, path := range cases {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(path), "testdata/"), ".txt")
		t.Run(name, func(t *testing.T) {
			lines := readLines(t, path)
			got := runCase(t, path, lines)

			// Every line accounted for, once, in order.
			next := 1
			for _, r := range got {
				n := max(r.Lines, 1)
				if r.Line != next {
					t.Fatalf("result for line %d, want line %d", r.Line, next)
				}
				kinds := 0
				for _, b := range []bool{r.Entry != nil, r.Error != "", r.Skip} {
					if b {
						kinds++
					}
				}
				if kinds != 1 {
					t.Fatalf("line %d: result is not exactly one of entry, error, skip: %+v", r.Line, r)
				}
				next += n
			}
			if next != len(lines)+1 {
				t.Fatalf("results cover %d lines, the listing has %d", next-1, len(lines))
			}

			// Parse agrees with the line-by-line outcome.
			if !isMLSxCase(path) {
				entries, err := Parse(lines, loadOptions(t, path))
				var nEntries, nErrs int
				for _, r := range got {
					if r.Entry != nil {
						nEntries++
					}
					if r.Error != "" {
						nErrs++
					}
				}
				if len(entries) != nEntries {
					t.Errorf("Parse returned %d entries, want %d", len(entries), nEntries)
				}
				if n := countJoined(err); n != nErrs {
					t.Errorf("Parse returned %d errors, want %d: %v", n, nErrs, err)
				}
			}

			data, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, '\n')
			want := strings.TrimSuffix(path, ".txt") + ".json"
			if *update {
				if err := os.WriteFile(want, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./listing -run Golden -update)", err)
			}
			if !bytes.Equal(data, exp) {
				t.Errorf("results differ from %s (go test ./listing -run Golden -update rewrites it):\n%s", want, diffLines(string(exp), string(data)))
			}
		})
	}
}

// countJoined counts the *ParseErrors in an errors.Join result.
func countJoined(err error) int {
	if err == nil {
		return 0
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

// diffLines shows the first differing lines of two texts.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 12; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
