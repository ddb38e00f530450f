package listing

import (
	"errors"
	"strings"
	"time"
)

// jesStatus holds the job states z/OS FTP lists for JES jobs.
var jesStatus = map[string]bool{"INPUT": true, "HELD": true, "ACTIVE": true, "OUTPUT": true}

// jesJobID reports whether tok is a JES job identifier: JOB, STC or TSU
// and five digits, or J, S or T and seven ("JOB00123", "J0123456").
func jesJobID(tok string) bool {
	if len(tok) != 8 {
		return false
	}
	for _, p := range []string{"JOB", "STC", "TSU", "J", "S", "T"} {
		if strings.HasPrefix(tok, p) && allDigits(tok[len(p):]) {
			return true
		}
	}
	return false
}

// parseJES parses the job list z/OS FTP sends with SITE FILETYPE=JES:
//
//	IBMUSER1 JOB00123 IBMUSER  OUTPUT A        RC=0000 3 spool files
//	IBMUSER2 JOB00124 IBMUSER  ACTIVE A
//	IBMUSER3  JOB00125  OUTPUT    3 Spool Files     (JESINTERFACELEVEL=1)
//
// and, in a job's own listing (after its "ID STEPNAME PROCSTEP C DDNAME
// BYTE-COUNT" header), its spool files:
//
//	001 JES2              A JESMSGLG       1200
//	004 STEP1    PSTEP1   A SYSPRINT        873
//
// A job's Name is its job ID (what RETR takes), with Facts "jobname",
// "owner" (also Owner), "status", "class" and "result" (the rest of the
// line: return code, spool file count); Size is -1. A spool file's Name
// is its number as listed (RETR JOBID.n retrieves it), Size its byte
// count, with Facts "stepname", "procstep", "class" and "ddname".
func parseJES(line string, f *fields, _ *state, _ *timeCtx) (Entry, error) {
	if allDigits(f.at(0)) && len(f.at(0)) >= 3 && (f.n == 5 || f.n == 6) {
		size, ok := sizeNum(f.at(f.n - 1))
		class := f.at(f.n - 3)
		if !ok || len(class) != 1 || !mvsName(class) || !mvsName(f.at(1)) || !mvsName(f.at(f.n-2)) || f.n == 6 && !mvsName(f.at(2)) {
			return Entry{}, errNotMine
		}
		e := Entry{Type: File, Name: f.at(0), Size: size, Facts: map[string]string{
			"stepname": f.at(1), "class": class, "ddname": f.at(f.n - 2)}}
		if f.n == 6 {
			e.Facts["procstep"] = f.at(2)
		}
		return e, nil
	}
	if f.n < 3 || !jesJobID(f.at(1)) {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Name: f.at(1), Size: -1, Facts: map[string]string{"jobname": f.at(0)}}
	rest := 3
	switch {
	case jesStatus[f.at(2)]: // JESINTERFACELEVEL=1: no owner, no class
		e.Facts["status"] = f.at(2)
	case f.n >= 4 && jesStatus[f.at(3)]: // class missing for started tasks
		e.Owner = f.at(2)
		e.Facts["owner"], e.Facts["status"] = f.at(2), f.at(3)
		rest = 4
		if len(f.at(4)) == 1 {
			e.Facts["class"] = f.at(4)
			rest = 5
		}
	default:
		return Entry{}, errNotMine
	}
	if r, ok := f.after(rest-1, -1); ok {
		e.Facts["result"] = strings.TrimRight(r, " \t")
	}
	return e, nil
}

// mvsName reports whether s is a z/OS name: 1 to 8 upper-case letters,
// digits, #, @ or $.
func mvsName(s string) bool {
	if len(s) < 1 || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || isDigit(c) || c == '#' || c == '@' || c == '$') {
			return false
		}
	}
	return true
}

// jesTrailer reports whether the line is "3 spool files", the trailer of
// a job's spool file listing.
func jesTrailer(f *fields) bool {
	return f.n == 3 && allDigits(f.at(0)) && strings.EqualFold(f.at(1), "spool") && strings.EqualFold(f.at(2), "files")
}

// parseOS9 parses Microware OS-9 listings: owner group.user, date
// yy/mm/dd, time hhmm, attributes (d for a directory, then s, pe, pw, pr,
// e, w, r), starting sector (hex), size, name.
//
//	20.20 07/03/29 1026 d-ewrewr 2650 85920 CMDS
func parseOS9(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	owner, attr := f.at(0), f.at(3)
	g, u, ok := strings.Cut(owner, ".")
	if f.n < 7 || !ok || !allDigits(g) || !allDigits(u) || len(attr) != 8 || strings.Trim(attr[1:], "-sewr") != "" ||
		attr[0] != 'd' && attr[0] != '-' {
		return Entry{}, errNotMine
	}
	d := strings.Split(f.at(1), "/")
	hm := f.at(2)
	if len(d) != 3 || len(hm) != 4 || !allDigits(hm) {
		return Entry{}, errNotMine
	}
	yy, ok1 := smallInt(d[0])
	mm, ok2 := smallInt(d[1])
	dd, ok3 := smallInt(d[2])
	h, ok4 := smallInt(hm[:2])
	m, ok5 := smallInt(hm[2:])
	dt := date{fullYear(yy, len(d[0])), mm, dd}
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(d[0]) != 2 || !validDate(dt) || h > 23 || m > 59 {
		return Entry{}, errNotMine
	}
	if _, ok := hexField(strings.ToUpper(f.at(4)), len(f.at(4))); !ok {
		return Entry{}, errNotMine
	}
	size, ok := sizeNum(f.at(5))
	if !ok {
		return Entry{}, errors.New("bad size")
	}
	name, ok := f.after(5, 1)
	if !ok {
		return Entry{}, errors.New("no name")
	}
	e := Entry{Type: File, Name: name, Size: size, Perm: attr, Owner: owner,
		Time: tc.make(dt, clock{h: h, m: m, prec: time.Minute}), Precision: time.Minute}
	if attr[0] == 'd' {
		e.Type = Dir
	}
	return e, nil
}

// parseNortel parses the listings of Nortel (Bay Networks) routers'
// wfFtp: name, size, date mm/dd/yy, weekday, time.
//
//	config.cfg       1014196  06/03/04  Thur.   10:20:03
func parseNortel(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	if f.n < 5 || f.more() {
		return Entry{}, errNotMine
	}
	k := f.n - 4 // the size column; the name is everything before it
	wd := strings.TrimSuffix(f.at(k+2), ".")
	if len(wd) < 2 || len(wd) > 4 || !nortelWeekday(wd) {
		return Entry{}, errNotMine
	}
	size, ok := sizeNum(f.at(k))
	dt, ok1 := dateOf(f.at(k + 1))
	c, ok2 := clockOf(f.at(k + 3))
	if !ok || !ok1 || !ok2 || dt.y == 0 || !strings.Contains(f.at(k+1), "/") {
		return Entry{}, errNotMine
	}
	return Entry{Type: File, Name: strings.TrimRight(line[:f.f[k].s], " \t"), Size: size,
		Time: tc.make(dt, c), Precision: c.prec}, nil
}

// nortelWeekday reports whether s starts an English weekday name ("Thur",
// "Mon", "Tu").
func nortelWeekday(s string) bool {
	for _, d := range []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"} {
		if strings.HasPrefix(d, lowerASCII(s)) {
			return true
		}
	}
	return false
}
