package listing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/goftplib/ftp/listing"
)

var benchOpts = &listing.Options{Now: time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)}

var unixLines = []string{
	"-rw-r--r--    1 1000     1000         5 Jun 14 09:31 a.txt",
	"drwxr-xr-x    2 alice    staff     4096 Jun 14 09:31 sub dir",
	"-rw-r--r--    1 alice    staff  1048576 Jan 10  2022 archive-2022.tar.gz",
	"lrwxrwxrwx    1 alice    staff        5 Jun 14 09:32 link -> a.txt",
	"-rw-r--r--    1 alice    staff    12345 Mar  2 17:04 report final (2).pdf",
}

var dosLines = []string{
	"01-02-24  03:04PM       <DIR>          My Documents",
	"01-02-24  03:04PM                12345 file.txt",
	"06-14-24  09:31AM              1048576 archive-2022.zip",
}

var mlsxLines = []string{
	"type=file;size=5;modify=20240614093107;perm=adfrw;unique=802U1066013B; a.txt",
	"modify=20240614093107;perm=flcdmpe;type=dir;unique=FE00U984C6D;UNIX.group=995;UNIX.groupname=goftp;UNIX.mode=0755;UNIX.owner=999;UNIX.ownername=goftp; sub dir",
	"type=file;size=123457;modify=20261124231630;UNIX.mode=0644;UNIX.uid=999;UNIX.gid=995;unique=fe00g98446a; big.bin",
}

var vmsLines = []string{
	"LOGIN.COM;12              2/3    14-JUN-2024 09:31:07.45 [STAFF,ALICE] (RWED,RWED,RE,)",
	"SUBDIR.DIR;1              1/3    19-NOV-2001 21:41:00.00 [STAFF,ALICE] (RWE,RWE,RE,RE)",
}

// benchLines parses one line per iteration, cycling through lines, so
// that ns/op and allocs/op are per line.
func benchLines(b *testing.B, lines []string, parse func(string) (listing.Entry, error)) {
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := parse(lines[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(lines) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkParseUnix(b *testing.B) {
	benchLines(b, unixLines, func(l string) (listing.Entry, error) { return listing.ParseLine(l, benchOpts) })
}

func BenchmarkParseDOS(b *testing.B) {
	benchLines(b, dosLines, func(l string) (listing.Entry, error) { return listing.ParseLine(l, benchOpts) })
}

func BenchmarkParseVMS(b *testing.B) {
	benchLines(b, vmsLines, func(l string) (listing.Entry, error) { return listing.ParseLine(l, benchOpts) })
}

func BenchmarkParseMLSx(b *testing.B) {
	benchLines(b, mlsxLines, listing.ParseMLSx)
}

// BenchmarkParseListing parses a whole 10,000-line Unix listing with
// Parse; the metrics are per line.
func BenchmarkParseListing(b *testing.B) {
	lines := make([]string, 10000)
	var n int64
	for i := range lines {
		lines[i] = fmt.Sprintf("-rw-r--r--    1 alice    staff  %7d Jun %2d 09:31 file-%05d.dat", i*37, i%28+1, i)
		n += int64(len(lines[i]))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		entries, err := listing.Parse(lines, benchOpts)
		if err != nil || len(entries) != len(lines) {
			b.Fatal(err)
		}
	}
	perLine := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(lines))
	b.ReportMetric(perLine, "ns/line")
	b.ReportMetric(1e9/perLine, "lines/s")
}
