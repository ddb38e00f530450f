package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected outputs in testdata")

// TestParselist feeds the raw listings in testdata/parselist/*.txt to
// goftp parselist and compares the output with the .jsonl files beside
// them (go test -run TestParselist -update rewrites those).
func TestParselist(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"unix", nil},
		{"dos", nil},
		{"mlsx", nil},
		{"vms", nil},
		{"tz", []string{"--tz", "Europe/Berlin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := filepath.Join("testdata", "parselist", tc.name)
			in, err := os.ReadFile(base + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"parselist", "--now", "2024-06-01T00:00:00Z"}, tc.args...)
			r := runGoftp(t, string(in), args...)
			r.want(t, 0, nil, nil)
			if *update {
				if err := os.WriteFile(base+".jsonl", []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(base + ".jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if r.stdout != string(want) {
				t.Errorf("parselist output differs from %s.jsonl:\ngot:\n%s\nwant:\n%s", base, r.stdout, want)
			}
			// One object per input line, none dropped.
			if got, lines := strings.Count(r.stdout, "\n"), strings.Count(string(in), "\n"); got != lines {
				t.Errorf("%d objects for %d input lines", got, lines)
			}
		})
	}
}

func TestParselistFlags(t *testing.T) {
	t.Parallel()
	runGoftp(t, "", "parselist", "--tz", "Mars/Olympus").want(t, 2, nil, []string{"goftp: --tz: "})
	runGoftp(t, "", "parselist", "extra").want(t, 2, nil, []string{"takes no arguments"})
	r := runGoftp(t, "-rw-r--r-- 1 a b 1 Dec 31 23:00 x\n", "parselist", "--now", "2024-01-10T00:00:00Z")
	r.want(t, 0, []string{`"time":"2023-12-31T23:00:00Z"`}, nil)
}
