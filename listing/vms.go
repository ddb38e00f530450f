package listing

import (
	"errors"
	"strings"
	"time"
)

// vmsName reports whether tok is a VMS file name with a version:
// "NAME.EXT;12".
func vmsName(tok string) bool {
	i := strings.LastIndexByte(tok, ';')
	return i > 0 && allDigits(tok[i+1:]) && !strings.ContainsAny(tok[:i], " \t")
}

// vmsSize parses a VMS size column: used blocks ("12"), used/allocated
// blocks ("12/34") or a size with a unit ("2KB").
func vmsSize(tok string) (int64, bool) {
	used, _, _ := strings.Cut(tok, "/")
	if n, ok := atoi(used); ok {
		if len(used) == len(tok) || allDigits(tok[len(used)+1:]) {
			return n * 512, true
		}
		return 0, false
	}
	for _, u := range []struct {
		s string
		m int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if n, ok := strings.CutSuffix(tok, u.s); ok {
			if v, ok := atoi(n); ok {
				return v * u.m, true
			}
		}
	}
	return 0, false
}

// parseVMS parses OpenVMS listings (MultiNet, UCX, TCPware): a file name
// with its version, then size, date, time, owner and protection in the
// order the server chose, most of them optional.
//
//	NAME.EXT;1  12/34  1-JAN-2024 12:00:00 [GROUP,OWNER] (RWED,RWED,RE,)
//	SUB.DIR;1          1   19-NOV-2001 21:41 [root,root] (RWE,RWE,RE,RE)
//	NAME.EXT;3  %RMS-E-PRV, insufficient privilege or file protection violation
//
// Directories ("SUB.DIR;1") become Dir entries named "SUB". Files keep
// their version in Name ("NAME.EXT;1"): it is what the server listed and
// what RETR accepts, and it keeps the versions of one file apart; the
// name without it is the part before the last ';'.
func parseVMS(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	name := f.at(0)
	if !vmsName(name) || f.n < 2 {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Name: name, Size: -1}
	var (
		dt                    date
		c                     clock
		haveSize, haveDate, t bool
	)
	for k := 1; k < f.n; k++ {
		tok := f.at(k)
		switch {
		case tok[0] == '%':
			// An error in place of the attributes: the file exists.
			k = f.n
		case tok[0] == '[':
			end := k
			for end < f.n && !strings.HasSuffix(f.at(end), "]") {
				end++
			}
			if end == f.n {
				return Entry{}, errors.New("unterminated owner")
			}
			owner := line[f.f[k].s+1 : f.f[end].e-1]
			if g, o, ok := strings.Cut(owner, ","); ok {
				e.Group, e.Owner = strings.TrimSpace(g), strings.TrimSpace(o)
			} else {
				e.Owner = owner
			}
			k = end
		case tok[0] == '(':
			end := k
			for end < f.n && !strings.HasSuffix(f.at(end), ")") {
				end++
			}
			if end == f.n {
				return Entry{}, errors.New("unterminated protection")
			}
			e.Perm = line[f.f[k].s+1 : f.f[end].e-1]
			k = end
		default:
			if !haveSize {
				if n, ok := vmsSize(tok); ok {
					e.Size, haveSize = n, true
					continue
				}
			}
			if !haveDate {
				if d, ok := dateOf(tok); ok && d.y != 0 && hasLetter(tok) { // 1-JAN-2024
					dt, haveDate = d, true
					continue
				}
			}
			if haveDate && !t {
				if cl, ok := clockOf(tok); ok {
					c, t = cl, true
					continue
				}
			}
			if e.Owner == "" && e.Group == "" && haveDate {
				e.Owner = tok // some servers print the owner without brackets
				continue
			}
			if !haveSize && !haveDate {
				return Entry{}, errNotMine
			}
			return Entry{}, errors.New("unexpected column " + tok)
		}
	}
	if haveDate {
		e.Time = tc.make(dt, c)
		e.Precision = c.prec
		if !t {
			e.Precision = 24 * time.Hour
		}
	}
	base := name[:strings.LastIndexByte(name, ';')]
	if len(base) > 4 && strings.EqualFold(base[len(base)-4:], ".DIR") {
		e.Type = Dir
		e.Name = base[:len(base)-4]
	}
	return e, nil
}

// hasLetter reports whether s has an ASCII letter.
func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}
