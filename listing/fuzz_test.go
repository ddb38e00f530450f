package listing

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addSeeds adds every line of the golden listings (LIST or MLSx ones, as
// mlsx says) to the fuzz corpus, plus whole LIST listings for the
// multi-line paths of Parse.
func addSeeds(f *testing.F, mlsx bool) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		if isMLSxCase(p) != mlsx {
			continue
		}
		lines := readLines(f, p)
		for _, l := range lines {
			f.Add(l)
		}
		if !mlsx {
			f.Add(strings.Join(lines, "\n"))
		}
	}
}

// checkEntry enforces what every Entry promises, whatever the input.
func checkEntry(t *testing.T, input string, e *Entry) {
	t.Helper()
	switch {
	case e.Name == "":
		t.Fatalf("%q: empty name", input)
	case strings.ContainsAny(e.Name, "/\x00\r\n"):
		t.Fatalf("%q: name %q contains a slash, NUL, CR or LF", input, e.Name)
	case strings.ContainsAny(e.Target, "\x00\r\n"):
		t.Fatalf("%q: target %q contains NUL, CR or LF", input, e.Target)
	case (e.Name == ".") != (e.Type == CurrentDir):
		t.Fatalf("%q: name %q with type %v", input, e.Name, e.Type)
	case (e.Name == "..") != (e.Type == ParentDir):
		t.Fatalf("%q: name %q with type %v", input, e.Name, e.Type)
	case e.Type < File || e.Type > ParentDir:
		t.Fatalf("%q: type %v", input, e.Type)
	case e.Size < -1:
		t.Fatalf("%q: size %d", input, e.Size)
	case e.Format == "":
		t.Fatalf("%q: no format", input)
	case e.Time.IsZero() != (e.Precision == 0):
		t.Fatalf("%q: time %v with precision %v", input, e.Time, e.Precision)
	}
	// Bounded output: everything comes from the input (z/VM joins two
	// fields with a dot).
	n := len(e.Name) + len(e.Target) + len(e.Owner) + len(e.Group) + len(e.Perm)
	for k, v := range e.Facts {
		n += len(k) + len(v)
	}
	if n > 3*len(input)+16 || len(e.Facts) > len(input) {
		t.Fatalf("%q: %d bytes of output", input, n)
	}
	if !strings.Contains(input, e.Raw) && !strings.Contains(e.Raw, " ") {
		t.Fatalf("%q: raw %q is not from the input", input, e.Raw)
	}
}

var fuzzOpts = &Options{Now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC), System: "MVS"}

// FuzzParseLine feeds arbitrary text to ParseLine, and, split into lines,
// to Parse. Neither may panic, every entry keeps the Entry invariants, and
// Parse accounts for every line exactly once.
func FuzzParseLine(f *testing.F) {
	addSeeds(f, false)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		for _, opts := range []*Options{nil, fuzzOpts} {
			e, err := ParseLine(s, opts)
			if err == nil {
				checkEntry(t, s, &e)
				if e.Raw != trimEOL(s) {
					t.Fatalf("%q: Raw = %q", s, e.Raw)
				}
			} else if err != ErrSkip {
				if pe, ok := err.(*ParseError); !ok || pe.Raw != trimEOL(s) {
					t.Fatalf("%q: error %#v", s, err)
				}
			}
		}
		lines := strings.Split(s, "\n")
		next := 1
		parseLines(lines, fuzzOpts, func(r *result) {
			if r.line != next || r.nlines < 1 || r.nlines > 2 {
				t.Fatalf("%q: result for lines %d+%d, want line %d", s, r.line, r.nlines, next)
			}
			next += r.nlines
			if r.err == nil {
				checkEntry(t, s, &r.entry)
			} else if pe, ok := r.err.(*ParseError); r.err != ErrSkip && (!ok || pe.Line != r.line) {
				t.Fatalf("%q: error %#v for line %d", s, r.err, r.line)
			}
		})
		if next != len(lines)+1 {
			t.Fatalf("%q: %d lines accounted for, want %d", s, next-1, len(lines))
		}
	})
}

// FuzzParseMLSx feeds arbitrary text to ParseMLSx.
func FuzzParseMLSx(f *testing.F) {
	addSeeds(f, true)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<16 {
			return
		}
		e, err := ParseMLSx(s)
		if err != nil {
			if pe, ok := err.(*ParseError); !ok || pe.Raw != trimEOL(s) {
				t.Fatalf("%q: error %#v", s, err)
			}
			return
		}
		checkEntry(t, s, &e)
		if e.Format != FormatMLSx {
			t.Fatalf("%q: format %q", s, e.Format)
		}
	})
}
