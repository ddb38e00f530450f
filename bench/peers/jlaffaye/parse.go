package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	_ "unsafe" // go:linkname

	"github.com/jlaffaye/ftp"
)

// parseListLine is jlaffaye/ftp's LIST line parser, which List uses and
// the package does not export. It is reached with go:linkname so that
// parsing can be timed on its own, like listing.Parse.
//
//go:linkname parseListLine github.com/jlaffaye/ftp.parseListLine
func parseListLine(line string, now time.Time, loc *time.Location) (*ftp.Entry, error)

// parse times parseListLine on every line of file, after reading them.
func parse(stdout io.Writer, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	entries := make([]*ftp.Entry, 0, len(lines))
	failed := 0
	for _, l := range lines {
		e, err := parseListLine(l, now, time.UTC)
		if err != nil {
			failed++
			continue
		}
		entries = append(entries, e)
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "parsed=%d failed=%d seconds=%.6f\n", len(entries), failed, took.Seconds())
	return nil
}
