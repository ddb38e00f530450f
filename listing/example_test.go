package listing_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/goftplib/ftp/listing"
)

func ExampleParse() {
	lines := []string{ // as returned by Conn.List
		"total 12",
		"drwxr-xr-x  2 alice staff  4096 Jun 14 09:30 sub dir",
		"-rw-r--r--  1 alice staff     5 Jun 14 09:31  leading space.txt",
		"lrwxrwxrwx  1 alice staff     5 Jun 14 09:32 link -> a.txt",
		"-rw-r--r--  1 alice staff     6 Feb  3  2001 old.txt",
		"-rw-r--r--  1 alice staff     6 Feb  3  2001 ../escape",
	}
	opts := &listing.Options{Now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)}
	entries, err := listing.Parse(lines, opts)
	for _, e := range entries {
		fmt.Println(e.String())
	}
	var pe *listing.ParseError
	if errors.As(err, &pe) {
		fmt.Println("rejected line", pe.Line, errors.Is(err, listing.ErrName))
	}
	// Output:
	// dir 4096 2024-06-14T09:30:00Z "sub dir"
	// file 5 2024-06-14T09:31:00Z " leading space.txt"
	// link 5 2024-06-14T09:32:00Z "link" -> "a.txt"
	// file 6 2001-02-03T00:00:00Z "old.txt"
	// rejected line 6 true
}

func ExampleParseMLSx() {
	e, err := listing.ParseMLSx("type=file;size=5;modify=20240614093107.25;UNIX.mode=0644; a.txt")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Name, e.Type, e.Size, e.Time, e.Mode, e.Facts["unix.mode"])
	// Output: a.txt file 5 2024-06-14 09:31:07.25 +0000 UTC -rw-r--r-- 0644
}

func ExampleParseLine() {
	for _, line := range []string{
		"01-02-24  03:04PM       <DIR>          My Documents",
		"total 48",
	} {
		e, err := listing.ParseLine(line, nil)
		switch {
		case err == listing.ErrSkip:
			fmt.Println("skipped:", line)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println(e.Format, e.Type, e.Name, e.Time)
		}
	}
	// Output:
	// dos dir My Documents 2024-01-02 15:04:00 +0000 UTC
	// skipped: total 48
}
