package main

import (
	"io/fs"
	"testing"
	"time"

	"github.com/goftplib/ftp/listing"
)

// TestLsLong: ls -l shows the modes the listing gives, marks the unknown
// with ?, shows links as l, and times in the chosen zone, named.
func TestLsLong(t *testing.T) {
	t.Parallel()
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	east := time.FixedZone("XST", 2*3600)
	for _, tc := range []struct {
		e    listing.Entry
		loc  *time.Location
		want string
	}{
		{listing.Entry{Name: "a", Type: listing.File, Size: 4, Time: mt, Mode: 0o644, Format: listing.FormatUnix}, time.UTC,
			"-rw-r--r--            4 2024-05-06 07:08 UTC   a"},
		{listing.Entry{Name: "a", Type: listing.File, Size: 4, Time: mt, Mode: 0o644, Format: listing.FormatUnix}, east,
			"-rw-r--r--            4 2024-05-06 09:08 XST   a"},
		{listing.Entry{Name: "l", Type: listing.Link, Size: 1, Mode: fs.ModeSymlink | 0o777, Format: listing.FormatUnix, Target: "t"}, time.UTC,
			"lrwxrwxrwx            1 -                      l -> t"},
		{listing.Entry{Name: "f", Type: listing.File, Size: 2, Facts: map[string]string{"perm": "adfrw"}}, time.UTC,
			"-rw-??????            2 -                      f"},
		{listing.Entry{Name: "d", Type: listing.Dir, Size: -1, Mode: fs.ModeDir, Facts: map[string]string{"perm": "el"}}, time.UTC,
			"dr-x??????            - -                      d"},
		{listing.Entry{Name: "u", Type: listing.File, Size: 0, Time: mt, Precision: 24 * time.Hour}, east,
			"-?????????            0 2024-05-06             u"},
	} {
		if got := lsLong(tc.e, tc.loc); got != tc.want {
			t.Errorf("lsLong(%s) =\n%q, want\n%q", tc.e.Name, got, tc.want)
		}
	}
}
