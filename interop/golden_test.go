//go:build linux

package interop_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/listing"
)

var updateGolden = flag.Bool("update-golden", false,
	"write the raw LIST, LIST -a and MLSD output of each server to listing/testdata/<server>/ (then run go test ./listing -update)")

// goldenDir is the directory, fresh on every run, whose listings are
// captured. Its name is fixed so that captures differ only in times.
const goldenDir = "golden-listing"

// oldTime is the modification time of old.txt: old enough that ls prints
// a year, exact enough to check MLSD's modify fact.
var oldTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// goldenItem is an entry the test creates and expects to find listed.
type goldenItem struct {
	name   string
	typ    listing.Type
	size   int64 // files only
	hidden bool  // a dot file: LIST may leave it out
	link   string
}

var goldenItems = []goldenItem{
	{name: "a.txt", typ: listing.File, size: 5},
	{name: "b c.txt", typ: listing.File, size: 7},
	{name: "ünïcödé.txt", typ: listing.File, size: 11},
	{name: " leading space.txt", typ: listing.File, size: 17},
	{name: "  two leading.txt", typ: listing.File, size: 2},
	{name: "trailing space.txt ", typ: listing.File, size: 19},
	{name: "arrow -> name.txt", typ: listing.File, size: 3},
	{name: "Jan  1  2020 dated name", typ: listing.File, size: 4},
	{name: "empty.txt", typ: listing.File, size: 0},
	{name: "old.txt", typ: listing.File, size: 6},
	{name: "big.bin", typ: listing.File, size: 123457},
	{name: ".hidden", typ: listing.File, size: 3, hidden: true},
	{name: "sub dir", typ: listing.Dir},
	{name: " leading dir", typ: listing.Dir},
	{name: "link", typ: listing.Link, link: "a.txt"},
}

// TestGoldenListings captures the raw listings of a directory holding
// awkward names (spaces, leading and trailing spaces, UTF-8, " -> ", a
// date-like prefix), a symlink and an old file from every server, and
// checks that package listing finds every entry with the right type and
// size, rejecting nothing. With -update-golden it also writes the
// captures to listing/testdata/<server>/ as list.txt, list-a.txt and
// mlsd.txt, with options.json recording the capture time.
func TestGoldenListings(t *testing.T) {
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			captured := captureGolden(t, srv)
			if *updateGolden {
				writeGolden(t, kind, captured)
			}
			checkList(t, "LIST", captured.list, false, captured.now)
			checkList(t, "LIST -a", captured.listA, true, captured.now)
			if srv.Caps.MLSD.Supported {
				checkMLSD(t, captured.mlsd)
			} else if captured.mlsd != nil {
				t.Errorf("MLSD worked on %s, whose Caps say it has none", kind)
			}
		})
	}
}

type capture struct {
	now               time.Time
	list, listA, mlsd []string
}

// prepareGolden creates the golden directory: files through the FTP
// connection where the name survives a command line, the rest on disk.
func prepareGolden(t *testing.T, srv *ftpservers.Server, c *ftp.Conn) {
	ctx := t.Context()
	if err := os.RemoveAll(filepath.Join(srv.Dir, goldenDir)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Mkd(ctx, goldenDir); err != nil {
		t.Fatalf("Mkd: %v", err)
	}
	if _, err := c.Cwd(ctx, goldenDir); err != nil {
		t.Fatalf("Cwd: %v", err)
	}
	if _, err := c.Mkd(ctx, "sub dir"); err != nil {
		t.Fatalf("Mkd: %v", err)
	}
	for _, it := range goldenItems {
		rel := goldenDir + "/" + it.name
		switch {
		case it.typ == listing.Dir && it.name == "sub dir":
		case it.typ == listing.Dir:
			if err := srv.MkdirAll(rel); err != nil {
				t.Fatal(err)
			}
		case it.typ == listing.Link:
			p := filepath.Join(srv.Dir, goldenDir, it.name)
			if err := os.Symlink(it.link, p); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(p, srv.UID, srv.GID); err != nil {
				t.Fatal(err)
			}
		case it.name == "b c.txt" || it.name == "ünïcödé.txt" || it.name == "big.bin":
			body := bytes.Repeat([]byte("x"), int(it.size))
			if n, err := c.StorBinary(ctx, it.name, bytes.NewReader(body), 0); err != nil || n != it.size {
				t.Fatalf("StorBinary(%q) = %d, %v", it.name, n, err)
			}
		default:
			if err := srv.WriteFile(rel, bytes.Repeat([]byte("y"), int(it.size))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := srv.WriteFile(goldenDir+"/sub dir/inner.txt", []byte("inner")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(srv.Dir, goldenDir, "old.txt"), oldTime, oldTime); err != nil {
		t.Fatal(err)
	}
}

func captureGolden(t *testing.T, srv *ftpservers.Server) capture {
	ctx := t.Context()
	c := connect(t, srv, dataModes[0])
	prepareGolden(t, srv, c)
	var cp capture
	cp.now = time.Now().UTC().Truncate(time.Second)
	var err error
	if cp.list, err = c.List(ctx); err != nil {
		t.Fatalf("List: %v", err)
	}
	if cp.listA, err = c.List(ctx, "-a"); err != nil {
		t.Fatalf("List(-a): %v", err)
	}
	if srv.Caps.MLSD.Supported {
		cp.mlsd = rawMLSD(t, c)
	}
	if err := c.Quit(ctx); err != nil {
		t.Errorf("Quit: %v", err)
	}
	return cp
}

// rawMLSD returns the MLSD lines of the working directory as the server
// sent them.
func rawMLSD(t *testing.T, c *ftp.Conn) []string {
	ctx := t.Context()
	if _, err := c.VoidCmd(ctx, "TYPE A"); err != nil {
		t.Fatalf("TYPE A: %v", err)
	}
	dc, err := c.Transfer(ctx, "MLSD", 0)
	if err != nil {
		t.Fatalf("Transfer(MLSD): %v", err)
	}
	raw, err := io.ReadAll(dc)
	if cerr := dc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading MLSD: %v", err)
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSuffix(string(raw), "\n"), "\n") {
		lines = append(lines, strings.TrimSuffix(l, "\r"))
	}
	return lines
}

func writeGolden(t *testing.T, kind ftpservers.Kind, cp capture) {
	dir := filepath.Join("..", "listing", "testdata", string(kind))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, lines []string) {
		if lines == nil {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("list.txt", cp.list)
	write("list-a.txt", cp.listA)
	write("mlsd.txt", cp.mlsd)
	opts, err := json.MarshalIndent(map[string]any{"now": cp.now}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "options.json"), append(opts, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (run go test ./listing -run Golden -update)", dir)
}

// checkList parses a LIST reply and checks it against goldenItems.
func checkList(t *testing.T, what string, lines []string, all bool, now time.Time) {
	t.Helper()
	entries, err := listing.Parse(lines, &listing.Options{Now: now})
	if err != nil {
		t.Errorf("%s: rejected lines: %v\n%s", what, err, strings.Join(lines, "\n"))
	}
	checkEntries(t, what, entries, all, lines)
	byName := index(entries)
	if e, ok := byName["old.txt"]; ok {
		// ls prints a date without a time for old files: the day must
		// be right (the servers run in UTC).
		if d := e.Time.Sub(oldTime); d < -24*time.Hour || d > 24*time.Hour {
			t.Errorf("%s: old.txt time = %v, want %v within a day", what, e.Time, oldTime)
		}
	}
	if e, ok := byName["a.txt"]; ok {
		// A recent file: "Mon DD HH:MM", its year inferred from now.
		if d := e.Time.Sub(now); d < -25*time.Hour || d > 25*time.Hour {
			t.Errorf("%s: a.txt time = %v, want about %v", what, e.Time, now)
		}
	}
}

// checkMLSD parses raw MLSD lines and checks them against goldenItems.
func checkMLSD(t *testing.T, lines []string) {
	t.Helper()
	var entries []listing.Entry
	for i, l := range lines {
		e, err := listing.ParseMLSx(l)
		if err != nil {
			t.Errorf("MLSD line %d rejected: %v", i+1, err)
			continue
		}
		entries = append(entries, e)
	}
	checkEntries(t, "MLSD", entries, true, lines)
	if e, ok := index(entries)["old.txt"]; ok && !e.Time.Equal(oldTime) {
		t.Errorf("MLSD: old.txt time = %v, want %v", e.Time, oldTime)
	}
}

func index(entries []listing.Entry) map[string]listing.Entry {
	m := map[string]listing.Entry{}
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}

// checkEntries checks that every expected item is listed with its type
// and size, and that nothing else is (but . and ..).
func checkEntries(t *testing.T, what string, entries []listing.Entry, all bool, raw []string) {
	t.Helper()
	byName := index(entries)
	var names []string
	for _, e := range entries {
		if e.Type != listing.CurrentDir && e.Type != listing.ParentDir {
			names = append(names, e.Name)
		}
	}
	fail := func(format string, args ...any) {
		t.Errorf("%s: %s\nraw listing:\n%s", what, fmt.Sprintf(format, args...), strings.Join(raw, "\n"))
	}
	want := 0
	for _, it := range goldenItems {
		e, ok := byName[it.name]
		if it.hidden && !ok {
			// Dot files: Pure-FTPd and pyftpdlib list them even without
			// -a, vsftpd and ProFTPD only with it.
			if all {
				t.Logf("%s: %q not listed", what, it.name)
			}
			continue
		}
		want++
		if !ok {
			fail("%q missing (entries: %q)", it.name, names)
			continue
		}
		switch {
		case it.typ == listing.Link:
			// A server may show the link, or follow it.
			if !(e.Type == listing.Link && (e.Target == "" || e.Target == it.link)) &&
				!(e.Type == listing.File && e.Size == 5) {
				fail("%q = %v, want a link to %q or the file it points to", it.name, e.String(), it.link)
			}
		case e.Type != it.typ:
			fail("%q has type %v, want %v", it.name, e.Type, it.typ)
		case it.typ == listing.File && e.Size != it.size:
			fail("%q has size %d, want %d", it.name, e.Size, it.size)
		}
	}
	if len(names) != want {
		slices.Sort(names)
		fail("%d entries %q, want %d", len(names), names, want)
	}
}
