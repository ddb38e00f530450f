package listing

import (
	"errors"
	"strings"
	"time"
)

// parseDOS parses MS-DOS style listings as sent by IIS and Windows CE:
//
//	01-02-24  03:04PM       <DIR>          name
//	01-02-24  03:04PM                12345 name
//	2024-01-02  15:04                9,730 name
//	01-02-24 12:00 <DIR> name
//	06/14/2024  09:31 AM    <JUNCTION>     name [target]
func parseDOS(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	dt, ok := dateOf(f.at(0))
	if !ok || dt.y == 0 {
		return Entry{}, errNotMine
	}
	i := 1
	var c clock
	switch f.at(2) {
	case "AM", "PM", "am", "pm":
		c, ok = clockAMPM(f.at(1), f.at(2))
		i = 2
	default:
		c, ok = clockAMPM(f.at(1), "")
	}
	if !ok {
		return Entry{}, errNotMine
	}
	e := Entry{Time: tc.make(dt, c), Precision: c.prec, Size: -1}
	col := f.at(i + 1)
	switch strings.ToUpper(col) {
	case "<DIR>":
		e.Type = Dir
		// IIS aligns names in one column: "<DIR>" is followed by ten
		// blanks. Keep further blanks, they belong to the name.
		rest := line[f.f[i+1].e:]
		if len(rest) > 10 && strings.TrimLeft(rest[:10], " ") == "" {
			e.Name = rest[10:]
		} else {
			e.Name = strings.TrimLeft(rest, " \t")
		}
	case "<JUNCTION>", "<SYMLINK>", "<SYMLINKD>":
		e.Type = Link
		name, _ := f.after(i+1, -1)
		// Windows dir prints "name [target]".
		if strings.HasSuffix(name, "]") {
			if k := strings.LastIndex(name, " ["); k > 0 {
				name, e.Target = name[:k], name[k+2:len(name)-1]
			}
		}
		e.Name = name
	default:
		size, ok := groupedInt(col)
		if !ok {
			return Entry{}, errNotMine
		}
		e.Type = File
		e.Size = size
		e.Name, _ = f.after(i+1, 1)
	}
	if e.Name == "" {
		return Entry{}, errors.New("no name")
	}
	return e, nil
}

// parseOS2 parses OS/2 listings: size, optional "DIR" and attribute
// columns, date, time, name.
//
//	1123      A    07-14-99   12:37  name
//	   0           DIR   01-02-24  12:00  name
func parseOS2(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	size, ok := sizeNum(f.at(0))
	if !ok {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Size: size}
	k := 1
	for ; k <= 3; k++ {
		tok := f.at(k)
		if tok == "DIR" {
			e.Type = Dir
			continue
		}
		if !os2Attrs(tok) {
			break
		}
	}
	dt, ok := dateOf(f.at(k))
	if !ok || dt.y == 0 {
		return Entry{}, errNotMine
	}
	c, ok := clockOf(f.at(k + 1))
	if !ok || c.prec != time.Minute {
		return Entry{}, errNotMine
	}
	e.Time = tc.make(dt, c)
	e.Precision = c.prec
	// The name column follows the time after two blanks.
	rest := line[f.f[k+1].e:]
	if strings.HasPrefix(rest, "  ") {
		e.Name = rest[2:]
	} else {
		e.Name = strings.TrimLeft(rest, " \t")
	}
	if e.Name == "" {
		return Entry{}, errors.New("no name")
	}
	return e, nil
}

// os2Attrs reports whether tok is an OS/2 attribute column ("A", "R",
// "HS", "RA").
func os2Attrs(tok string) bool {
	if tok == "" || len(tok) > 4 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		switch tok[i] {
		case 'A', 'R', 'H', 'S':
		default:
			return false
		}
	}
	return true
}

// parseVxWorks parses size-first listings of VxWorks and old VShell
// servers:
//
//	2048    Feb-28-1998  05:23:30   name <DIR>
//	  512  JAN 01 1998  00:00:00  name  <DIR>
//	206876  Apr 04, 2000 21:06 name
//	0  Dec 12, 2002 02:13 name/
//
// The name column is padded, so blanks around it are removed.
func parseVxWorks(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	size, ok := sizeNum(f.at(0))
	if !ok {
		return Entry{}, errNotMine
	}
	var (
		dt   date
		last int
	)
	if d, ok := dateOf(f.at(1)); ok && d.y != 0 && !isDigit(f.at(1)[0]) {
		dt, last = d, 1
	} else if m, ok := monthName(f.at(1)); ok && !isDigit(f.at(1)[0]) {
		day, ok1 := dayNum(f.at(2))
		y, ok2 := yearNum(f.at(3))
		if !ok1 || !ok2 {
			return Entry{}, errNotMine
		}
		dt, last = date{y, int(m), day}, 3
	} else {
		return Entry{}, errNotMine
	}
	c, ok := clockOf(f.at(last + 1))
	if !ok {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Size: size, Time: tc.make(dt, c), Precision: c.prec}
	name, _ := f.after(last+1, -1)
	name = strings.TrimRight(name, " \t")
	if n, ok := strings.CutSuffix(name, "<DIR>"); ok {
		e.Type = Dir
		name = strings.TrimRight(n, " \t")
	} else if len(name) > 1 && strings.HasSuffix(name, "/") {
		e.Type = Dir
	}
	if name == "" {
		return Entry{}, errors.New("no name")
	}
	e.Name = name
	return e, nil
}
