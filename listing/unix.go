package listing

import (
	"errors"
	"io/fs"
	"strings"
	"time"
)

// permType maps the first character of an ls mode string to a Type and
// the fs.FileMode type bits.
func permType(c byte) (Type, fs.FileMode, bool) {
	switch c {
	case '-', 'f':
		return File, 0, true
	case 'd':
		return Dir, fs.ModeDir, true
	case 'l':
		return Link, fs.ModeSymlink, true
	case 'c':
		return Other, fs.ModeDevice | fs.ModeCharDevice, true
	case 'b':
		return Other, fs.ModeDevice, true
	case 'p':
		return Other, fs.ModeNamedPipe, true
	case 's':
		return Other, fs.ModeSocket, true
	case 'D', 'n', 'w', '?', 'M', 'P':
		// Solaris door, HP-UX network special, BSD whiteout, unknown,
		// migrated and port files.
		return Other, fs.ModeIrregular, true
	}
	return 0, 0, false
}

// isPerm reports whether tok is an ls mode string: a type character, nine
// permission characters and optional ACL or attribute markers
// ("-rw-r--r--", "drwxr-sr-t+", "-rw-r--r--@", "-rw-r--r--.").
func isPerm(tok string) bool {
	if len(tok) < 10 || len(tok) > 12 {
		return false
	}
	if _, _, ok := permType(tok[0]); !ok {
		return false
	}
	for i := 1; i < 10; i++ {
		switch tok[i] {
		case '-', 'r', 'w', 'x', 's', 'S', 't', 'T', 'l', 'L', '?':
		default:
			return false
		}
	}
	for i := 10; i < len(tok); i++ {
		switch tok[i] {
		case '+', '@', '.', '*':
		default:
			return false
		}
	}
	return true
}

// permBits returns the permission bits of an ls mode string.
func permBits(p string) fs.FileMode {
	var m fs.FileMode
	for i, bit := range [9]fs.FileMode{0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1} {
		switch p[1+i] {
		case 'r', 'w', 'x':
			m |= bit
		case 's':
			m |= bit
			if i == 2 {
				m |= fs.ModeSetuid
			} else {
				m |= fs.ModeSetgid
			}
		case 'S', 'l', 'L':
			if i == 2 {
				m |= fs.ModeSetuid
			} else if i == 5 {
				m |= fs.ModeSetgid
			}
		case 't':
			m |= bit | fs.ModeSticky
		case 'T':
			m |= fs.ModeSticky
		}
	}
	return m
}

// sizeTok parses an ls size column: digits or an ls -h size.
func sizeTok(tok string) (int64, bool) {
	if n, ok := sizeNum(tok); ok {
		return n, true
	}
	return humanSize(tok)
}

// lsDate parses the date columns of an ls line starting at field d. It
// returns the date, the time of day (prec 0 when none) and the index of
// the last date field. numericMonth allows "3 29 03:26" (a numeric
// month first), tried only when no other form matched anywhere, as it is
// easily confused with numeric owner and group columns.
func lsDate(f *fields, d int, numericMonth bool) (date, clock, int, bool) {
	dt, c, last, ok := lsDateForms(f, d, numericMonth)
	if !ok || !validDate(dt) {
		return date{}, clock{}, 0, false
	}
	return dt, c, last, true
}

func lsDateForms(f *fields, d int, numericMonth bool) (date, clock, int, bool) {
	t0, t1, t2 := f.at(d), f.at(d+1), f.at(d+2)
	if t0 == "" {
		return date{}, clock{}, 0, false
	}
	var none clock
	month := func(tok string) (time.Month, bool) {
		if numericMonth {
			if n, ok := smallInt(tok); ok && n >= 1 && n <= 12 && len(tok) <= 2 {
				return time.Month(n), true
			}
			return 0, false
		}
		return monthName(tok)
	}
	// Month day time|year: "Jan  2 15:04", "Jan  2  2024", "1月 2 15:04",
	// "4月 18日 2003年", "Oct 08, 2002 09:47".
	if m, ok := month(t0); ok {
		if day, ok := dayNum(t1); ok {
			if c, ok := clockOf(t2); ok {
				return date{0, int(m), day}, c, d + 2, true
			}
			if y, ok := yearNum(t2); ok {
				if strings.HasSuffix(t1, ",") {
					if c, ok := clockOf(f.at(d + 3)); ok {
						return date{y, int(m), day}, c, d + 3, true
					}
				}
				return date{y, int(m), day}, none, d + 2, true
			}
		}
		return date{}, clock{}, 0, false
	}
	if numericMonth {
		return date{}, clock{}, 0, false
	}
	// Day month time|year: "2 Jan 15:04", "26. Juli, 20:10", "2. Okt. 2003".
	if day, ok := dayNum(t0); ok && isDigit(t0[len(t0)-1]) || ok && t0[len(t0)-1] == '.' {
		if m, ok := monthName(t1); ok && !isDigit(t1[0]) {
			if c, ok := clockOf(t2); ok {
				return date{0, int(m), day}, c, d + 2, true
			}
			if y, ok := yearNum(t2); ok {
				return date{y, int(m), day}, none, d + 2, true
			}
		}
	}
	// Year month day [time]: "2005年 1月 6日", "2005년 1월 6일 12:00".
	// And "2003 3月 20": a bare year before a numbered CJK month, unless
	// a time or year follows the day ("2003 3月 20 12:34": 2003 is then
	// the size, and the date starts at the month).
	if y, ok := yearNum(t0); ok && (!isDigit(t0[len(t0)-1]) || bareYearCJK(f, d)) {
		if m, ok := monthName(t1); ok {
			if day, ok := dayNum(t2); ok {
				if c, ok := clockOf(f.at(d + 3)); ok {
					return date{y, int(m), day}, c, d + 3, true
				}
				return date{y, int(m), day}, none, d + 2, true
			}
		}
		return date{}, clock{}, 0, false
	}
	// One-field dates: "2024年1月2日", "1月2日 15:04", "2024년1월2일",
	// "2024-01-02 15:04", "2024-01-02 15:04:05.123456789
	// +0100", "09-26 2000", "09-26 13:45", "24-04-2003 17:12",
	// "1999/10/12 17:12", "2004.07.15", "01-jun-99".
	dt, ok := dateOf(t0)
	if !ok {
		dt, ok = cjkDate(t0)
	}
	if ok {
		c, cok := clockOf(t1)
		if dt.y == 0 {
			if cok {
				return dt, c, d + 1, true
			}
			if y, ok := yearNum(t1); ok && isDigit(t1[len(t1)-1]) {
				dt.y = y
				return dt, none, d + 1, true
			}
			return date{}, clock{}, 0, false
		}
		if cok {
			return dt, c, d + 1, true
		}
		return dt, none, d, true
	}
	return date{}, clock{}, 0, false
}

// bareYearCJK reports whether f's fields from d read "2003 3月 20" (a
// year without its unit, then a numbered CJK month and a day) not
// followed by a time or year.
func bareYearCJK(f *fields, d int) bool {
	t1, t3 := f.at(d+1), f.at(d+3)
	if t1 == "" || !isDigit(t1[0]) || isDigit(t1[len(t1)-1]) {
		return false
	}
	if _, ok := clockOf(t3); ok {
		return false
	}
	_, ok := yearNum(t3)
	return !ok
}

// cjkDate parses a date written in one field with CJK unit characters:
// "2024年1月2日", "1月2日", Korean "2024년1월2일". The year is optional.
func cjkDate(tok string) (date, bool) {
	var d date
	next := 0 // 0: year or month, 1: month, 2: day, 3: done
	for tok != "" && next < 3 {
		i := 0
		for i < len(tok) && isDigit(tok[i]) {
			i++
		}
		n, ok := smallInt(tok[:i])
		if !ok {
			return date{}, false
		}
		rest := tok[i:]
		switch {
		case next == 0 && (strings.HasPrefix(rest, "年") || strings.HasPrefix(rest, "년")):
			d.y, next = n, 1
		case next <= 1 && (strings.HasPrefix(rest, "月") || strings.HasPrefix(rest, "월")):
			d.m, next = n, 2
		case next == 2 && (strings.HasPrefix(rest, "日") || strings.HasPrefix(rest, "일")):
			d.d, next = n, 3
		default:
			return date{}, false
		}
		tok = rest[3:] // each unit character is three bytes in UTF-8
	}
	if next != 3 || tok != "" || d.y != 0 && d.y < 1000 {
		return date{}, false
	}
	return d, true
}

// tzOffset parses a numeric time zone as ls --full-time prints it:
// "+0100", "-0530".
func tzOffset(tok string) (time.Duration, bool) {
	if len(tok) != 5 || (tok[0] != '+' && tok[0] != '-') {
		return 0, false
	}
	h, ok1 := smallInt(tok[1:3])
	m, ok2 := smallInt(tok[3:5])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if tok[0] == '-' {
		off = -off
	}
	return off, true
}

// numericMode parses a mode column written in octal instead of
// "-rw-r--r--": "644", "0644", "4755", or with the file type bits of
// st_mode, "40755" (a directory), "100644", "0100644", "120777" (a link).
// Without type bits the entry is taken for a File.
func numericMode(tok string) (Type, fs.FileMode, bool) {
	if len(tok) < 3 || len(tok) > 7 {
		return 0, 0, false
	}
	var n uint32
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '7' {
			return 0, 0, false
		}
		n = n<<3 | uint32(tok[i]-'0')
	}
	if n > 0o177777 {
		return 0, 0, false
	}
	perm := octalMode(tok) // permission, setuid, setgid and sticky bits
	var c byte
	switch n & 0o170000 {
	case 0, 0o100000:
		c = '-'
	case 0o040000:
		c = 'd'
	case 0o120000:
		c = 'l'
	case 0o020000:
		c = 'c'
	case 0o060000:
		c = 'b'
	case 0o010000:
		c = 'p'
	case 0o140000:
		c = 's'
	default:
		return 0, 0, false
	}
	typ, mode, _ := permType(c)
	return typ, mode | perm, true
}

// parseUnix parses ls -l output, optionally preceded by ls -i inode and
// ls -s block-count columns, and with the mode in octal ("644 1 user
// group 1234 Jan  2 15:04 name"; "0100644 500 101 12345 1704198896 name",
// with the time in Unix seconds, as some embedded servers print it).
func parseUnix(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	p := 0
	numeric := false
	var (
		typ  Type
		mode fs.FileMode
	)
	switch {
	case isPerm(f.at(0)):
	case allDigits(f.at(0)) && isPerm(f.at(1)):
		p = 1
	case allDigits(f.at(0)) && allDigits(f.at(1)) && isPerm(f.at(2)):
		p = 2
	default:
		var ok bool
		if typ, mode, ok = numericMode(f.at(0)); !ok {
			return Entry{}, errNotMine
		}
		numeric = true
	}
	perm := f.at(p)
	device := false
	if numeric {
		device = mode&fs.ModeDevice != 0
	} else {
		typ, mode, _ = permType(perm[0])
		mode |= permBits(perm)
		device = perm[0] == 'c' || perm[0] == 'b'
	}

	var (
		dt   date
		c    clock
		last = -1
		d    int
	)
	for pass := 0; pass < 2 && last < 0; pass++ {
		for d = p + 2; d < f.n; d++ {
			sz := f.at(d - 1)
			if _, ok := sizeTok(sz); !ok && !(device && deviceNumbers(sz)) {
				continue
			}
			var ok bool
			if dt, c, last, ok = lsDate(f, d, pass == 1); ok {
				break
			}
			last = -1
		}
	}
	if numeric && (last < 0 || d-1-(p+1) < 2) {
		// An octal mode must be followed by links and owner columns
		// before the size, or be the Unix-seconds form; otherwise the
		// line is another format's that starts with a number.
		return parseNumericEpoch(f, typ, mode)
	}
	if last < 0 {
		return Entry{}, errors.New("no date column")
	}
	e := Entry{Type: typ, Mode: mode, Perm: perm, Size: -1}

	// Columns between the mode and the size: links, owner, group.
	sizeIdx := d - 1
	preEnd := sizeIdx
	if device {
		// "8, 1" or "8,1": major and minor device numbers, no size.
		if strings.HasSuffix(f.at(sizeIdx-1), ",") && sizeIdx-1 > p {
			preEnd = sizeIdx - 1
		}
	} else {
		e.Size, _ = sizeTok(f.at(sizeIdx))
	}
	pre := preEnd - (p + 1)
	a := p + 1
	switch {
	case pre == 1 && !allDigits(f.at(a)):
		e.Owner = f.at(a)
	case pre == 2 && allDigits(f.at(a)):
		e.Owner = f.at(a + 1)
	case pre == 2:
		e.Owner, e.Group = f.at(a), f.at(a+1)
	case pre >= 3:
		e.Owner = f.at(a + 1)
		e.Group = line[f.f[a+2].s:f.f[preEnd-1].e]
	}

	if c.prec == 0 {
		e.Time = tc.make(dt, c)
		e.Precision = 24 * time.Hour
	} else if off, ok := tzOffset(f.at(last + 1)); ok && dt.y != 0 {
		// ls --full-time: the offset is given; return UTC.
		last++
		e.Time = time.Date(dt.y, time.Month(dt.m), dt.d, c.h, c.m, c.s, c.ns, time.UTC).Add(-off)
		e.Precision = c.prec
	} else {
		e.Time = tc.make(dt, c)
		e.Precision = c.prec
	}

	// The name starts right after the single blank that follows the date.
	name, ok := f.after(last, 1)
	if !ok {
		return Entry{}, errors.New("no name")
	}
	if c.prec == 0 && last == d {
		// A one-field date without a time ("2004.07.15") is padded to
		// the width of the usual date and time columns.
		name = strings.TrimLeft(name, " ")
	}
	if typ == Link {
		name, e.Target = splitLink(name, e.Size)
	}
	e.Name = name
	return e, nil
}

// parseNumericEpoch parses "0100644  500  101  12345  1704198896  name":
// mode with type bits, uid, gid, size, modification time in Unix seconds
// (UTC) and the name, after the padding of its column.
func parseNumericEpoch(f *fields, typ Type, mode fs.FileMode) (Entry, error) {
	if len(f.at(0)) < 5 || f.n < 6 {
		return Entry{}, errNotMine
	}
	for i := 1; i <= 4; i++ {
		if !allDigits(f.at(i)) {
			return Entry{}, errNotMine
		}
	}
	size, ok1 := sizeNum(f.at(3))
	secs, ok2 := atoi(f.at(4))
	if !ok1 || !ok2 || secs >= 1<<40 {
		return Entry{}, errNotMine
	}
	name, ok := f.after(4, -1)
	if !ok {
		return Entry{}, errNotMine
	}
	e := Entry{Type: typ, Mode: mode, Perm: f.at(0), Owner: f.at(1), Group: f.at(2), Size: size,
		Time: time.Unix(secs, 0).UTC(), Precision: time.Second, Name: name}
	if typ == Link {
		e.Name, e.Target = splitLink(name, size)
	}
	return e, nil
}

// deviceNumbers reports whether tok is "8,1" (major and minor in one
// column).
func deviceNumbers(tok string) bool {
	a, b, ok := strings.Cut(tok, ",")
	return ok && allDigits(a) && allDigits(b)
}

// splitLink splits "name -> target". When " -> " occurs more than once,
// the split whose target length equals the link's size (ls prints a
// symlink's size as its target's length) wins, else the first.
func splitLink(s string, size int64) (name, target string) {
	const arrow = " -> "
	i := strings.Index(s, arrow)
	if i < 0 {
		return s, ""
	}
	if size >= 0 && int64(len(s)-i-len(arrow)) != size {
		for j := i + 1; ; {
			k := strings.Index(s[j:], arrow)
			if k < 0 {
				break
			}
			if int64(len(s)-(j+k)-len(arrow)) == size {
				i = j + k
				break
			}
			j += k + 1
		}
	}
	return s[:i], s[i+len(arrow):]
}

// parseNetware parses Novell NetWare listings:
// "d [RWCEAFMS] owner   512   Jan 16 18:53    name".
func parseNetware(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	t0, t1 := f.at(0), f.at(1)
	if (t0 != "d" && t0 != "-") || len(t1) < 3 || t1[0] != '[' || t1[len(t1)-1] != ']' {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Perm: line[f.f[0].s:f.f[1].e], Owner: f.at(2), Size: -1}
	if t0 == "d" {
		e.Type = Dir
	}
	size, ok := atoi(f.at(3))
	if !ok {
		return Entry{}, errors.New("bad size")
	}
	e.Size = size
	dt, c, last, ok := lsDate(f, 4, false)
	if !ok {
		return Entry{}, errors.New("bad date")
	}
	e.Time = tc.make(dt, c)
	e.Precision = c.prec
	if c.prec == 0 {
		e.Precision = 24 * time.Hour
	}
	// NetWare pads the name column: leading blanks are padding.
	name, ok := f.after(last, -1)
	if !ok {
		return Entry{}, errors.New("no name")
	}
	e.Name = name
	return e, nil
}
