package listing_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/listing"
)

var now = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

type want struct {
	name   string
	typ    listing.Type
	size   int64
	time   time.Time
	target string
	format string
}

func check(t *testing.T, line string, e listing.Entry, w want) {
	t.Helper()
	if e.Name != w.name || e.Type != w.typ || e.Size != w.size || !e.Time.Equal(w.time) || e.Target != w.target || e.Format != w.format {
		t.Errorf("ParseLine(%q) =\n  %q %v %d %v %q %s, want\n  %q %v %d %v %q %s",
			line, e.Name, e.Type, e.Size, e.Time, e.Target, e.Format,
			w.name, w.typ, w.size, w.time, w.target, w.format)
	}
	if e.Raw != strings.TrimRight(line, "\r\n") {
		t.Errorf("ParseLine(%q).Raw = %q", line, e.Raw)
	}
}

// TestParseLineFormats has a few typical lines of every format; the
// golden files in testdata hold many more.
func TestParseLineFormats(t *testing.T) {
	tests := []struct {
		line string
		want want
	}{
		// Unix.
		{"-rw-r--r--   1 owner group  1234 Jan  2 15:04 name", want{"name", listing.File, 1234, date(2024, 1, 2, 15, 4, 0), "", "unix"}},
		{"drwxr-xr-x   2 owner group  4096 Jan  2  2020 a dir", want{"a dir", listing.Dir, 4096, date(2020, 1, 2, 0, 0, 0), "", "unix"}},
		{"-rw-r--r--   1 owner group     5 Jun 14 09:31  leading", want{" leading", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"-rw-r--r--   1 owner group     5 Jun 14 09:31 trailing  ", want{"trailing  ", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"lrwxrwxrwx   1 owner group     5 Jun 14 09:31 link -> a.txt", want{"link", listing.Link, 5, date(2024, 6, 14, 9, 31, 0), "a.txt", "unix"}},
		{"-rw-r--r--   1 owner group     5 Jun 14 09:31 not -> link", want{"not -> link", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"-rw-r--r-- 1 owner group 5 2024-01-02 15:04 iso", want{"iso", listing.File, 5, date(2024, 1, 2, 15, 4, 0), "", "unix"}},
		{"-rw-r--r-- 1 owner 5 Jun 14 09:31 no group", want{"no group", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"crw-rw-rw- 1 root root 1, 3 Jun 1 07:00 null", want{"null", listing.Other, -1, date(2024, 6, 1, 7, 0, 0), "", "unix"}},
		{"-rw-r--r--+ 1 owner group 5 Jun 14 09:31 acl", want{"acl", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"  123456 -rw-r--r-- 1 owner group 5 Jun 14 09:31 inode", want{"inode", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"-rw-r--r-- 1 anna users 1234 14 juin  09:31 fr", want{"fr", listing.File, 1234, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"-rw-r--r-- 1 taro users 1234  1月 12 10:00 ja", want{"ja", listing.File, 1234, date(2024, 1, 12, 10, 0, 0), "", "unix"}},
		{"-rw-r--r-- 1 anna users 1234 ОКТ  3  2023 ru", want{"ru", listing.File, 1234, date(2023, 10, 3, 0, 0, 0), "", "unix"}},
		{"drwxr-xr-x 1 u g 0 Jun 14 09:31 .", want{".", listing.CurrentDir, 0, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"drwxr-xr-x 1 u g 0 Jun 14 09:31 ..", want{"..", listing.ParentDir, 0, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 crlf\r\n", want{"crlf", listing.File, 5, date(2024, 6, 14, 9, 31, 0), "", "unix"}},
		// NetWare.
		{"d [RWCEAFMS] supervisor   512   Jan 16 18:53    SYSTEM", want{"SYSTEM", listing.Dir, 512, date(2024, 1, 16, 18, 53, 0), "", "netware"}},
		// DOS.
		{"01-02-24  03:04PM       <DIR>          name", want{"name", listing.Dir, -1, date(2024, 1, 2, 15, 4, 0), "", "dos"}},
		{"01-02-24  03:04AM                12345 a b", want{"a b", listing.File, 12345, date(2024, 1, 2, 3, 4, 0), "", "dos"}},
		{"12-31-69  12:00AM                    1 old", want{"old", listing.File, 1, date(2069, 12, 31, 0, 0, 0), "", "dos"}},
		{"01-01-70  12:00PM                    1 older", want{"older", listing.File, 1, date(1970, 1, 1, 12, 0, 0), "", "dos"}},
		{"2024-01-02  15:04                9,730 commas", want{"commas", listing.File, 9730, date(2024, 1, 2, 15, 4, 0), "", "dos"}},
		// EPLF.
		{"+i8388621.29609,m824255902,/,\tdev", want{"dev", listing.Dir, -1, time.Unix(824255902, 0), "", "eplf"}},
		{"+i8388621.44468,m839956783,r,s10376,\tRFCEPLF", want{"RFCEPLF", listing.File, 10376, time.Unix(839956783, 0), "", "eplf"}},
		// VMS.
		{"NAME.EXT;1  12/34  1-JAN-2024 12:00:00 [GROUP,OWNER] (RWED,RWED,RE,)", want{"NAME.EXT;1", listing.File, 12 * 512, date(2024, 1, 1, 12, 0, 0), "", "vms"}},
		{"SUB.DIR;1  1/3  1-JAN-2024 12:00:00 [GROUP,OWNER] (RWE,RWE,RE,RE)", want{"SUB", listing.Dir, 512, date(2024, 1, 1, 12, 0, 0), "", "vms"}},
		// OS/2.
		{"   0           DIR   01-02-24  12:00  name", want{"name", listing.Dir, 0, date(2024, 1, 2, 12, 0, 0), "", "os2"}},
		{" 1123      A    07-14-99   12:37  file", want{"file", listing.File, 1123, date(1999, 7, 14, 12, 37, 0), "", "os2"}},
		// OS/400.
		{"OWNER  12345 01/02/24 12:00:00 *STMF name", want{"name", listing.File, 12345, date(2024, 1, 2, 12, 0, 0), "", "os400"}},
		{"OWNER   8192 01/02/24 12:00:00 *DIR dir/", want{"dir", listing.Dir, 8192, date(2024, 1, 2, 12, 0, 0), "", "os400"}},
		{"QPGMR                         *MEM       MEMBER.MBR", want{"MEMBER.MBR", listing.File, -1, time.Time{}, "", "os400"}},
		// MVS.
		{"VOL001 3390   2024/01/02  1   15  FB      80 27920  PS  USER1.DATA", want{"USER1.DATA", listing.File, -1, time.Time{}, "", "mvs"}},
		{"VOL001 3390   2024/01/02  1   15  FB      80 27920  PO  USER1.PDS", want{"USER1.PDS", listing.Dir, -1, time.Time{}, "", "mvs"}},
		{"Migrated                                                USER1.OLD", want{"USER1.OLD", listing.File, -1, time.Time{}, "", "mvs"}},
		{"Pseudo Directory                                        USER1.SUB", want{"USER1.SUB", listing.Dir, -1, time.Time{}, "", "mvs"}},
		{"TBSHELF   01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001", want{"TBSHELF", listing.File, -1, date(2002, 10, 11, 9, 37, 0), "", "mvs"}},
		// z/VM.
		{"NAME     EXT      F         80          3          1 2024-01-02 12:00:00 VOL191", want{"NAME.EXT", listing.File, 240, date(2024, 1, 2, 12, 0, 0), "", "zvm"}},
		// VxWorks.
		{"  512  Jan 02 2024  12:00:00  name  <DIR>", want{"name", listing.Dir, 512, date(2024, 1, 2, 12, 0, 0), "", "vxworks"}},
		{"2048    Feb-28-1998  05:23:30   ROUTER.CFG", want{"ROUTER.CFG", listing.File, 2048, date(1998, 2, 28, 5, 23, 30), "", "vxworks"}},
		// Tandem.
		{"ALTERN          0            1024   8-Nov-05 16:55:08 255, 0 \"oooo\"", want{"ALTERN", listing.File, 1024, date(2005, 11, 8, 16, 55, 8), "", "tandem"}},
		// MLSx sent for LIST.
		{"type=file;size=5;modify=20240102150405; name", want{"name", listing.File, 5, date(2024, 1, 2, 15, 4, 5), "", "mlsx"}},
	}
	opts := &listing.Options{Now: now}
	for _, tt := range tests {
		e, err := listing.ParseLine(tt.line, opts)
		if err != nil {
			t.Errorf("ParseLine(%q): %v", tt.line, err)
			continue
		}
		check(t, tt.line, e, tt.want)
	}
}

func TestParseLineSkip(t *testing.T) {
	for _, line := range []string{
		"", "  ", "\r\n", "total 0", "total 1234", "total 1.5M", "insgesamt 8", "итого 8", "合計 8", "i alt 8",
		"Directory DISK$USER:[ALICE]", "Total of 4 files, 12/48 blocks.",
		"Grand total of 2 directories, 6 files, 24/96 blocks.",
		"Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname",
		" Name     VV.MM   Created       Changed      Size  Init   Mod   Id",
		"File         Code             EOF  Last Modification    Owner  RWEP",
		"  size          date       time       name",
		"--------       ------     ------    --------",
	} {
		if e, err := listing.ParseLine(line, nil); err != listing.ErrSkip {
			t.Errorf("ParseLine(%q) = %v, %v; want ErrSkip", line, e.String(), err)
		}
	}
}

func TestParseLineRejects(t *testing.T) {
	tests := []struct {
		line     string
		sentinel error
	}{
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 a/b", listing.ErrName},
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 ..", listing.ErrName},
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 .", listing.ErrName},
		{"lrwxrwxrwx 1 u g 5 Jun 14 09:31 a/b -> c", listing.ErrName},
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 nul\x00byte", listing.ErrName},
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31 cr\rbyte", listing.ErrName},
		{"01-02-24  03:04PM                12345 ../up", listing.ErrName},
		{"+i1,r,\ta/b", listing.ErrName},
		{"NAME.DIR;1  1/3  1-JAN-2024 12:00:00", nil}, // accepted
		{"-rw-r--r-- 1 u g 5 Jun 14 09:31", listing.ErrFormat},
		{"-rw-r--r-- 1 u g 5 Jux 14 09:31 month", listing.ErrFormat},
		{"hello world", listing.ErrFormat},
		{"NAME.EXT;1", listing.ErrFormat}, // wrapped VMS entry, alone
	}
	for _, tt := range tests {
		_, err := listing.ParseLine(tt.line, nil)
		if tt.sentinel == nil {
			if err != nil {
				t.Errorf("ParseLine(%q): %v", tt.line, err)
			}
			continue
		}
		var pe *listing.ParseError
		if !errors.Is(err, tt.sentinel) || !errors.As(err, &pe) || pe.Raw != tt.line || pe.Line != 0 {
			t.Errorf("ParseLine(%q) error = %v, want a *ParseError wrapping %v", tt.line, err, tt.sentinel)
		}
	}
}

func TestParse(t *testing.T) {
	lines := []string{
		"total 12",
		"-rw-r--r-- 1 u g 5 Jun 14 09:31 a.txt",
		"garbage here",
		"-rw-r--r-- 1 u g 5 Jun 14 09:31 b/c",
		"drwxr-xr-x 2 u g 4096 Jun 14 09:31 dir",
		"",
	}
	entries, err := listing.Parse(lines, &listing.Options{Now: now})
	if len(entries) != 2 || entries[0].Name != "a.txt" || entries[1].Name != "dir" || !entries[1].IsDir() {
		t.Errorf("Parse entries = %v", entries)
	}
	var pes []*listing.ParseError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *listing.ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("joined error %v is not a *ParseError", e)
		}
		pes = append(pes, pe)
	}
	if len(pes) != 2 || pes[0].Line != 3 || pes[1].Line != 4 || pes[1].Raw != lines[3] {
		t.Errorf("Parse errors = %v", err)
	}
	if msg := pes[0].Error(); !strings.Contains(msg, "line 3") || !strings.Contains(msg, "garbage here") {
		t.Errorf("ParseError.Error() = %q, want the line number and the raw text", msg)
	}
	if !errors.Is(err, listing.ErrName) || !errors.Is(err, listing.ErrFormat) {
		t.Errorf("Parse error %v does not wrap both sentinels", err)
	}
	if entries, err := listing.Parse(nil, nil); len(entries) != 0 || err != nil {
		t.Errorf("Parse(nil) = %v, %v", entries, err)
	}
}

func TestParseVMSWrapped(t *testing.T) {
	lines := []string{
		"Directory USERS:[SCOT]",
		"",
		"A_VERY_LONG_FILE_NAME_THAT_WRAPS.TXT;1",
		"        170774/170775     24-APR-2003 08:16:15  [FTP_CLIENT,SCOT]      (RWED,RWED,RE,)",
		"SHORT.TXT;1         10     2-JUL-2003 10:30:08.59  [FTP_CLIENT,SCOT]      (RWED,RWED,RE,)",
		"ORPHAN.TXT;1",
		"",
		"Total of 3 files, 170786/170792 blocks.",
	}
	entries, err := listing.Parse(lines, nil)
	if len(entries) != 2 {
		t.Fatalf("Parse = %d entries (%v), want 2", len(entries), err)
	}
	e := entries[0]
	if e.Name != "A_VERY_LONG_FILE_NAME_THAT_WRAPS.TXT;1" || e.Size != 170774*512 || e.Owner != "SCOT" || e.Group != "FTP_CLIENT" ||
		!e.Time.Equal(date(2003, 4, 24, 8, 16, 15)) || !strings.Contains(e.Raw, "WRAPS.TXT;1 170774/170775") {
		t.Errorf("wrapped entry = %+v", e)
	}
	var pe *listing.ParseError
	if !errors.As(err, &pe) || pe.Line != 6 || pe.Raw != "ORPHAN.TXT;1" {
		t.Errorf("Parse error = %v, want line 6 rejected", err)
	}
}

func TestParseMVSMembers(t *testing.T) {
	lines := []string{
		" Name     VV.MM   Created       Changed      Size  Init   Mod   Id",
		" TBSHELF   01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001",
		" NOSTATS",
	}
	entries, err := listing.Parse(lines, nil)
	if err != nil || len(entries) != 2 || entries[1].Name != "NOSTATS" || entries[0].Owner != "KIL001" || entries[0].Facts["lines"] != "11" {
		t.Errorf("Parse = %v, %v", entries, err)
	}
	// A bare name needs the header, statistics or SYST.
	if _, err := listing.ParseLine("NOSTATS", nil); err == nil {
		t.Error("ParseLine(bare name) succeeded without MVS context")
	}
	opts := &listing.Options{System: "MVS is the operating system of this server. FTP Server is running on z/OS."}
	if e, err := listing.ParseLine("NOSTATS", opts); err != nil || e.Name != "NOSTATS" || e.Format != "mvs" {
		t.Errorf("ParseLine(bare name, MVS) = %v, %v", e.String(), err)
	}
}

func TestYearInference(t *testing.T) {
	tests := []struct {
		now  time.Time
		date string
		want time.Time
	}{
		{date(2024, 1, 10, 12, 0, 0), "Jan 10 11:00", date(2024, 1, 10, 11, 0, 0)},
		{date(2024, 1, 10, 12, 0, 0), "Jan 11 11:00", date(2024, 1, 11, 11, 0, 0)}, // clock skew
		{date(2024, 1, 10, 12, 0, 0), "Dec 31 23:59", date(2023, 12, 31, 23, 59, 0)},
		{date(2024, 1, 10, 12, 0, 0), "Aug  1 12:00", date(2023, 8, 1, 12, 0, 0)},
		{date(2024, 1, 10, 12, 0, 0), "Jun 30 12:00", date(2024, 6, 30, 12, 0, 0)}, // BSD ls: future files
		{date(2024, 12, 20, 12, 0, 0), "Jan  5 08:00", date(2025, 1, 5, 8, 0, 0)},
		{date(2024, 12, 20, 12, 0, 0), "Jul  1 08:00", date(2024, 7, 1, 8, 0, 0)},
		{date(2025, 3, 1, 12, 0, 0), "Feb 29 08:00", date(2024, 2, 29, 8, 0, 0)}, // only leap years have it
		{date(2024, 6, 15, 12, 0, 0), "Dec 31 24:00", date(2024, 1, 1, 0, 0, 0)},
	}
	for _, tt := range tests {
		line := "-rw-r--r-- 1 u g 1 " + tt.date + " f"
		e, err := listing.ParseLine(line, &listing.Options{Now: tt.now})
		if err != nil || !e.Time.Equal(tt.want) || e.Precision != time.Minute {
			t.Errorf("Now %v: %q = %v (precision %v), %v; want %v", tt.now, tt.date, e.Time, e.Precision, err, tt.want)
		}
	}
	// Zero Now means time.Now(): a file dated today parses to today.
	n := time.Now().UTC()
	line := "-rw-r--r-- 1 u g 1 " + n.Format("Jan _2 15:04") + " f"
	if e, err := listing.ParseLine(line, nil); err != nil || n.Sub(e.Time) > time.Minute || n.Sub(e.Time) < 0 {
		t.Errorf("ParseLine(%q, nil) = %v, %v; want about %v", line, e.Time, err, n)
	}
}

func TestLocation(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*60*60)
	opts := &listing.Options{Now: now, Location: loc}
	e, err := listing.ParseLine("-rw-r--r-- 1 u g 1 Jun 14 09:31 f", opts)
	if err != nil || !e.Time.Equal(time.Date(2024, 6, 14, 9, 31, 0, 0, loc)) || e.Time.Location() != loc {
		t.Errorf("LIST time in %v = %v, %v", loc, e.Time, err)
	}
	// MLSx and EPLF times are UTC whatever Location says.
	e, err = listing.ParseLine("+m824255902,r,\tf", opts)
	if err != nil || !e.Time.Equal(time.Unix(824255902, 0)) || e.Time.Location() != time.UTC {
		t.Errorf("EPLF time = %v, %v", e.Time, err)
	}
}

func TestParseMLSx(t *testing.T) {
	tests := []struct {
		line string
		want want
		mode fs.FileMode
	}{
		{"type=file;size=5;modify=20240614093107; a.txt", want{"a.txt", listing.File, 5, date(2024, 6, 14, 9, 31, 7), "", "mlsx"}, 0},
		{"Type=DIR;Modify=20240614093107;UNIX.mode=0755; sub dir", want{"sub dir", listing.Dir, -1, date(2024, 6, 14, 9, 31, 7), "", "mlsx"}, fs.ModeDir | 0o755},
		{"type=cdir;sizd=4096; /home/alice", want{".", listing.CurrentDir, 4096, time.Time{}, "", "mlsx"}, fs.ModeDir},
		{"type=pdir; ..", want{"..", listing.ParentDir, -1, time.Time{}, "", "mlsx"}, fs.ModeDir},
		{"type=OS.unix=slink:/target/path; link", want{"link", listing.Link, -1, time.Time{}, "/target/path", "mlsx"}, fs.ModeSymlink},
		{"type=file;size=1;  two spaces", want{" two spaces", listing.File, 1, time.Time{}, "", "mlsx"}, 0},
		{"type=file; /pub/file.txt", want{"file.txt", listing.File, -1, time.Time{}, "", "mlsx"}, 0},
		{"type=file;modify=20240614093107.5; frac", want{"frac", listing.File, -1, time.Date(2024, 6, 14, 9, 31, 7, 5e8, time.UTC), "", "mlsx"}, 0},
		{" nofacts", want{"nofacts", listing.Other, -1, time.Time{}, "", "mlsx"}, 0},
	}
	for _, tt := range tests {
		e, err := listing.ParseMLSx(tt.line)
		if err != nil {
			t.Errorf("ParseMLSx(%q): %v", tt.line, err)
			continue
		}
		check(t, tt.line, e, tt.want)
		if e.Mode != tt.mode {
			t.Errorf("ParseMLSx(%q).Mode = %v, want %v", tt.line, e.Mode, tt.mode)
		}
	}
	e, _ := listing.ParseMLSx("type=dir;UNIX.owner=1000;UNIX.ownername=alice;unix.gid=10;perm=el; d")
	if e.Owner != "alice" || e.Group != "10" || e.Perm != "el" || e.Facts["unix.owner"] != "1000" {
		t.Errorf("owner/group/perm = %q %q %q, facts %v", e.Owner, e.Group, e.Perm, e.Facts)
	}
	for _, bad := range []string{"", "type=file;", "noequals; x", "type=file; ../x", "type=file; .", "type=file; ", "=v; x"} {
		if _, err := listing.ParseMLSx(bad); err == nil {
			t.Errorf("ParseMLSx(%q) succeeded", bad)
		}
	}
}

func TestEntryMethods(t *testing.T) {
	e := listing.Entry{Name: "l", Type: listing.Link, Size: 3, Target: "t", Time: date(2024, 1, 2, 3, 4, 5)}
	if s := e.String(); s != `link 3 2024-01-02T03:04:05Z "l" -> "t"` {
		t.Errorf("String() = %q", s)
	}
	e = listing.Entry{Name: "d", Type: listing.Dir, Size: -1}
	if s := e.String(); s != `dir - - "d"` || !e.IsDir() {
		t.Errorf("String() = %q, IsDir %v", s, e.IsDir())
	}
	for _, ty := range []listing.Type{listing.CurrentDir, listing.ParentDir, listing.File, listing.Link, listing.Other} {
		if (&listing.Entry{Type: ty}).IsDir() {
			t.Errorf("IsDir() true for %v", ty)
		}
	}
	if s := listing.Type(42).String(); s != "Type(42)" {
		t.Errorf("Type(42).String() = %q", s)
	}
}
