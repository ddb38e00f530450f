package listing

import (
	"errors"
	"strings"
	"time"
)

// os400Type reports whether tok is an OS/400 object type: "*STMF", "*DIR".
func os400Type(tok string) bool {
	if len(tok) < 3 || tok[0] != '*' {
		return false
	}
	for i := 1; i < len(tok); i++ {
		if c := tok[i]; !(c >= 'A' && c <= 'Z' || isDigit(c)) {
			return false
		}
	}
	return true
}

// parseOS400 parses IBM i (OS/400) listings:
//
//	OWNER         12345 01/02/24 12:00:00 *STMF      name
//	OWNER          8192 01/02/24 12:00:00 *DIR       name/
//	QPGMR         36864 18.09.06 14:21:26 *FILE      RPGUNIT.FILE
//	QPGMR                                 *MEM       RPGUNIT.FILE/RUN.MBR
//	QPGMR        135168 22.06.13 13:18:19 *FILE
//
// *DIR, *LIB, *FLR and *FILE (which holds members) are directories, except
// save files (*FILE named .SAVF); *STMF, *MEM and *DOC are files; other
// object types are Other. A *FILE line without a name describes the file
// being listed and becomes the CurrentDir entry. The object type is kept
// in Facts["type"]. Names holding a slash (members listed with their
// file) are rejected like any other.
func parseOS400(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	k := -1
	for _, i := range [...]int{1, 2, 4} {
		if os400Type(f.at(i)) {
			k = i
			break
		}
	}
	if k < 0 {
		return Entry{}, errNotMine
	}
	e := Entry{Owner: f.at(0), Size: -1}
	if k >= 2 {
		n, ok := atoi(f.at(1))
		if !ok {
			return Entry{}, errNotMine
		}
		e.Size = n
	}
	if k == 4 {
		dt, ok1 := dateOf(f.at(2))
		c, ok2 := clockOf(f.at(3))
		if !ok1 || !ok2 || dt.y == 0 {
			return Entry{}, errNotMine
		}
		e.Time = tc.make(dt, c)
		e.Precision = c.prec
	}
	obj := f.at(k)
	name, ok := f.after(k, -1)
	switch obj {
	case "*STMF", "*MEM", "*DOC", "*DSTMF":
		e.Type = File
	case "*DIR", "*LIB", "*FLR", "*DDIR":
		e.Type = Dir
	case "*FILE":
		e.Type = Dir
		if len(name) > 5 && strings.EqualFold(name[len(name)-5:], ".SAVF") {
			e.Type = File
		}
	default:
		e.Type = Other
	}
	if !ok {
		if e.Type != Dir {
			return Entry{}, errors.New("no name")
		}
		e.Type, name = CurrentDir, "."
	}
	e.Name = name
	e.Facts = map[string]string{"type": obj}
	return e, nil
}

// vvmm reports whether tok is an ISPF version.modification: "01.03".
func vvmm(tok string) bool {
	a, b, ok := strings.Cut(tok, ".")
	return ok && len(a) == 2 && len(b) == 2 && allDigits(a) && allDigits(b)
}

// hexField parses a hexadecimal column of the given width ("00B308").
func hexField(tok string, width int) (int64, bool) {
	if len(tok) != width {
		return 0, false
	}
	var n int64
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case isDigit(c):
			n = n<<4 | int64(c-'0')
		case c >= 'A' && c <= 'F':
			n = n<<4 | int64(c-'A'+10)
		default:
			return 0, false
		}
	}
	return n, true
}

// parseMVSMember parses the member list of a z/OS partitioned data set.
// With ISPF statistics ("Name VV.MM Created Changed Size Init Mod Id"):
//
//	TBSHELF   01.03 2002/09/12 2002/10/11 09:37    11    11     0 KIL001
//
// Size counts lines, not bytes: it is kept in Facts["lines"] and Size is
// -1; Owner is the Id column. After a member list header or a line with
// statistics, or when Options.System names MVS, bare names and load-module lines ("Name Size
// TTR ...", the size in hexadecimal bytes) are members too.
func parseMVSMember(line string, f *fields, st *state, tc *timeCtx) (Entry, error) {
	if f.n >= 8 && f.n <= 9 && vvmm(f.at(1)) {
		created, ok1 := dateOf(f.at(2))
		changed, ok2 := dateOf(f.at(3))
		if ok1 && ok2 && created.y != 0 && changed.y != 0 {
			k := 4
			c, hasClock := clockOf(f.at(4))
			if hasClock {
				k = 5
			}
			if f.n == k+4 {
				e := Entry{Type: File, Name: f.at(0), Size: -1, Owner: f.at(k + 3)}
				e.Time = tc.make(changed, c)
				e.Precision = c.prec
				if !hasClock {
					e.Precision = 24 * time.Hour
				}
				e.Facts = map[string]string{
					"version": f.at(1), "created": f.at(2),
					"lines": f.at(k), "init": f.at(k + 1), "mod": f.at(k + 2),
				}
				st.mvsMembers = true // members without statistics may follow
				return e, nil
			}
		}
	}
	if !st.mvsMembers {
		return Entry{}, errNotMine
	}
	if f.n == 1 {
		return Entry{Type: File, Name: f.at(0), Size: -1}, nil
	}
	if size, ok := hexField(f.at(1), 6); ok && f.n >= 3 {
		if _, ok := hexField(f.at(2), 6); ok {
			e := Entry{Type: File, Name: f.at(0), Size: size}
			e.Facts = map[string]string{"ttr": f.at(2)}
			if rest, ok := f.after(2, -1); ok {
				e.Facts["attributes"] = rest
			}
			return e, nil
		}
	}
	return Entry{}, errNotMine
}

// dsorgType maps MVS data set organisations to types.
var dsorgType = map[string]Type{
	"PS": File, "PSU": File, "PO": Dir, "POU": Dir, "PO-E": Dir,
	"DA": Other, "DAU": Other, "IS": Other, "ISU": Other, "VS": Other,
}

// parseMVSDataset parses z/OS data set lists ("Volume Unit Referred Ext
// Used Recfm Lrecl BlkSz Dsorg Dsname"):
//
//	WYOSPT 3420   2003/05/21  1  200  FB      80  8053  PS  MVS.FILE
//	WPTA01 3290   2004/03/04  1    3  FB      80  3125  PO  MVS.DATASET
//	Migrated                                                SOME.FILE
//	Pseudo Directory                                        USER1.SUB
//
// PS data sets are files, PO and PO-E (partitioned) are directories,
// other organisations Other. Size is unknown (-1). The Referred column is
// the date of last access, not of modification: it is kept in
// Facts["referred"] with the other columns, and Time stays zero.
func parseMVSDataset(line string, f *fields, st *state, _ *timeCtx) (Entry, error) {
	n := f.n
	if n < 2 || f.more() {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Name: f.at(n - 1), Size: -1}
	a0, a1, a2 := f.at(0), f.at(1), f.at(2)
	referred := func(s string) bool {
		if s == "**NONE**" {
			return true
		}
		d, ok := dateOf(s)
		return ok && d.y != 0 && strings.Count(s, "/") == 2
	}
	switch {
	case n == 2 && a0 == "Migrated":
		e.Facts = map[string]string{"volume": a0}
	case n == 3 && a0 == "Pseudo" && a1 == "Directory":
		e.Type = Dir
		e.Facts = map[string]string{"volume": "Pseudo Directory"}
	case a0 == "ARCIVE" && strings.Contains(line, "Not Direct Access Device"):
		e.Facts = map[string]string{"volume": a0}
	case n == 3 && strings.EqualFold(a1, "Tape"):
		e.Facts = map[string]string{"volume": a0, "unit": a1}
	case n == 4 && a2 == "VSAM":
		e.Type = Other
		e.Facts = map[string]string{"volume": a0, "unit": a1, "dsorg": a2}
	case n >= 8 && n <= 10 && referred(a2):
		dsorg := f.at(n - 2)
		t, ok := dsorgType[dsorg]
		if !ok {
			return Entry{}, errNotMine
		}
		e.Type = t
		e.Facts = map[string]string{"volume": a0, "unit": a1, "referred": a2, "dsorg": dsorg}
		if n == 10 {
			e.Facts["ext"], e.Facts["used"] = f.at(3), f.at(4)
			e.Facts["recfm"], e.Facts["lrecl"], e.Facts["blksz"] = f.at(5), f.at(6), f.at(7)
		}
	case st.mvsDatasets:
		// Under the data set header, a line this parser does not know
		// (an offline volume, an error) still names a data set.
		e.Type = Other
		e.Facts = map[string]string{"volume": a0, "status": strings.TrimSpace(line[f.f[0].e:f.f[n-1].s])}
	default:
		return Entry{}, errNotMine
	}
	return e, nil
}

// parseZVM parses IBM z/VM listings (CMS minidisks and SFS):
//
//	PROFILE  EXEC     V         65        107          2 2005-10-04 15:28:42 060191
//	SUBDIR   DIR      -          -          -          - 2005-10-04 15:28:42 -
//
// The name is "NAME.TYPE" (directories: "NAME"). Size is lrecl × records
// for fixed-length records and unknown (-1) for variable-length ones; the
// columns are kept in Facts.
func parseZVM(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	if f.n != 8 && f.n != 9 {
		return Entry{}, errNotMine
	}
	recfm := f.at(2)
	if recfm != "F" && recfm != "V" && recfm != "-" {
		return Entry{}, errNotMine
	}
	num := func(s string) bool { return s == "-" || allDigits(s) }
	if !num(f.at(3)) || !num(f.at(4)) || !num(f.at(5)) {
		return Entry{}, errNotMine
	}
	dt, ok1 := dateOf(f.at(6))
	c, ok2 := clockOf(f.at(7))
	if !ok1 || !ok2 || dt.y == 0 {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Size: -1, Time: tc.make(dt, c), Precision: c.prec}
	if f.at(1) == "DIR" {
		e.Type = Dir
		e.Name = f.at(0)
	} else {
		e.Name = f.at(0) + "." + f.at(1)
	}
	if recfm == "F" {
		lrecl, _ := atoi(f.at(3))
		recs, _ := atoi(f.at(4))
		e.Size = lrecl * recs
	}
	e.Facts = map[string]string{"recfm": recfm, "lrecl": f.at(3), "records": f.at(4), "blocks": f.at(5)}
	if f.n == 9 {
		e.Facts["label"] = f.at(8)
	}
	return e, nil
}

// parseTandem parses HP NonStop (Tandem) Guardian listings ("File Code
// EOF Last Modification Owner RWEP"):
//
//	MYFILE           101          528  6-Apr-07 14:21:18 255, 0 "oooo"
func parseTandem(line string, f *fields, _ *state, tc *timeCtx) (Entry, error) {
	if f.n < 6 || !allDigits(f.at(1)) {
		return Entry{}, errNotMine
	}
	size, ok := sizeNum(f.at(2))
	if !ok {
		return Entry{}, errNotMine
	}
	dt, ok1 := dateOf(f.at(3))
	c, ok2 := clockOf(f.at(4))
	if !ok1 || !ok2 || dt.y == 0 || !hasLetter(f.at(3)) {
		return Entry{}, errNotMine
	}
	last := f.at(f.n - 1)
	if len(last) < 2 || last[0] != '"' || last[len(last)-1] != '"' || f.n < 7 || f.more() {
		return Entry{}, errNotMine
	}
	e := Entry{Type: File, Name: f.at(0), Size: size, Time: tc.make(dt, c), Precision: c.prec}
	e.Owner = line[f.f[5].s:f.f[f.n-2].e]
	e.Perm = last[1 : len(last)-1]
	return e, nil
}
