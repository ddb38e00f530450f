package listing

import (
	"math"
	"strconv"
	"strings"
)

// span is a field of a line: line[s:e].
type span struct{ s, e int }

// maxFields bounds how many leading fields a line is split into; every
// format finds its columns within them (the name, which may hold spaces,
// is taken from the line by offset).
const maxFields = 20

// fields holds the leading whitespace-separated fields of a line.
type fields struct {
	line string
	n    int
	f    [maxFields]span
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// split fills fs with the first maxFields fields of line.
func (fs *fields) split(line string) {
	fs.line = line
	fs.n = 0
	i := 0
	for fs.n < maxFields {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return
		}
		s := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		fs.f[fs.n] = span{s, i}
		fs.n++
	}
}

// at returns field i, or "" past the end.
func (fs *fields) at(i int) string {
	if i < 0 || i >= fs.n {
		return ""
	}
	return fs.line[fs.f[i].s:fs.f[i].e]
}

// after returns the line after field i, with skip leading blanks removed
// (all of them when skip < 0); ok is false when nothing follows.
func (fs *fields) after(i, skip int) (string, bool) {
	if i < 0 || i >= fs.n {
		return "", false
	}
	r := fs.line[fs.f[i].e:]
	if skip < 0 {
		r = strings.TrimLeft(r, " \t")
	} else {
		for k := 0; k < skip && len(r) > 0 && isSpace(r[0]); k++ {
			r = r[1:]
		}
	}
	return r, r != ""
}

// more reports whether the line has more fields than were split.
func (fs *fields) more() bool {
	if fs.n < maxFields {
		return false
	}
	return strings.TrimLeft(fs.line[fs.f[maxFields-1].e:], " \t") != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi parses a non-negative decimal of at most 18 digits.
func atoi(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// sizeNum parses a size column: a non-negative decimal up to 2^64-1. A
// size above math.MaxInt64 gives -1 (unknown): no file is that large, and
// servers that print one mean an unknown size (an unsigned -1).
func sizeNum(s string) (int64, bool) {
	if n, ok := atoi(s); ok {
		return n, true
	}
	if len(s) > 20 || !allDigits(s) {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	switch {
	case err != nil:
		return 0, false
	case u > math.MaxInt64:
		return -1, true
	}
	return int64(u), true
}

// smallInt parses 1 to 4 digits.
func smallInt(s string) (int, bool) {
	if len(s) == 0 || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// groupedInt parses a size with thousands separators: "9,730", "1.234.567"
// (one separator kind, groups of three digits) or plain digits.
func groupedInt(s string) (int64, bool) {
	if n, ok := sizeNum(s); ok {
		return n, true
	}
	if s == "" || len(s) > 26 || !isDigit(s[0]) {
		return 0, false
	}
	var sep byte
	var n int64
	digits, group := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			n = n*10 + int64(c-'0')
			digits++
			group++
		case c == ',' || c == '.' || c == '\'':
			if sep == 0 {
				sep = c
				if group > 3 {
					return 0, false
				}
			} else if c != sep || group != 3 {
				return 0, false
			}
			group = 0
		default:
			return 0, false
		}
	}
	if sep == 0 || group != 3 || digits > 18 {
		return 0, false
	}
	return n, true
}

// humanSize parses an ls -h style size: "33.5k", "12M", "1,5G".
func humanSize(s string) (int64, bool) {
	if len(s) < 2 || len(s) > 12 {
		return 0, false
	}
	var mult float64
	switch s[len(s)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	case 't', 'T':
		mult = 1 << 40
	default:
		return 0, false
	}
	num := s[:len(s)-1]
	var v, frac float64
	seenSep := false
	scale := 1.0
	for i := 0; i < len(num); i++ {
		c := num[i]
		switch {
		case isDigit(c):
			if seenSep {
				scale /= 10
				frac += float64(c-'0') * scale
			} else {
				v = v*10 + float64(c-'0')
			}
		case (c == '.' || c == ',') && !seenSep && i > 0 && i < len(num)-1:
			seenSep = true
		default:
			return 0, false
		}
	}
	return int64((v + frac) * mult), true
}

// lowerASCII returns s with ASCII letters lower-cased, allocating only if
// s has upper-case letters.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// trimEOL removes one trailing LF, CR or CRLF.
func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// blank reports whether s holds only spaces and tabs.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}
