package listing

import (
	"time"
	"unicode"
	"unicode/utf8"
)

// monthNames maps lower-case month names and abbreviations, as ls prints
// them in various locales, to months. Trailing dots and commas are
// removed before the lookup.
var monthNames = map[string]time.Month{}

func init() {
	add := func(m time.Month, names ...string) {
		for _, n := range names {
			monthNames[n] = m
		}
	}
	// English; German (incl. Austrian "jän"); French; Spanish; Italian;
	// Dutch; Portuguese; Swedish, Danish, Norwegian; Polish (nominative
	// and genitive); Russian (nominative and genitive); Hungarian; Czech;
	// Finnish; Turkish. Accent-less spellings that servers with broken
	// locales print are included.
	add(time.January, "jan", "january", "januar", "jän", "jänner", "janv", "janvier",
		"ene", "enero", "gen", "gennaio", "januari", "janeiro",
		"sty", "styczeń", "stycznia", "styczen", "янв", "январь", "января",
		"január", "led", "leden", "ledna", "tammi", "tammikuu", "oca", "ocak")
	add(time.February, "feb", "february", "februar", "févr", "fevr", "fév", "fev", "février", "fevrier",
		"febrero", "febbraio", "februari", "fevereiro",
		"lut", "luty", "lutego", "фев", "февр", "февраль", "февраля",
		"febr", "február", "úno", "uno", "únor", "února", "helmi", "helmikuu", "şub", "şubat", "sub", "subat")
	add(time.March, "mar", "march", "mär", "mrz", "märz", "maerz", "marz", "mars",
		"marzo", "mrt", "maart", "março", "marco", "marts",
		"marzec", "marca", "мар", "март", "марта",
		"márc", "marc", "március", "bře", "bre", "březen", "března", "maalis", "maaliskuu", "mart")
	add(time.April, "apr", "april", "avr", "avril", "abr", "abril", "aprile",
		"kwi", "kwiecień", "kwietnia", "kwiecien", "апр", "апрель", "апреля",
		"ápr", "április", "dub", "duben", "dubna", "huhti", "huhtikuu", "nis", "nisan")
	add(time.May, "may", "mai", "mayo", "mag", "maggio", "mei", "maio", "maj",
		"maja", "май", "мая", "máj", "május", "kvě", "kve", "květen", "května",
		"touko", "toukokuu", "mayıs", "mayis")
	add(time.June, "jun", "june", "juni", "juin", "junio", "giu", "giugno", "junho",
		"cze", "czerwiec", "czerwca", "июн", "июнь", "июня",
		"jún", "június", "čen", "cen", "červen", "června", "kesä", "kesa", "kesäkuu", "haz", "haziran")
	add(time.July, "jul", "july", "juli", "juil", "juillet", "julio", "lug", "luglio", "julho",
		"lip", "lipiec", "lipca", "июл", "июль", "июля",
		"júl", "július", "čec", "cec", "červenec", "července", "heinä", "heina", "heinäkuu", "tem", "temmuz")
	add(time.August, "aug", "august", "août", "aout", "aoû", "ago", "agosto", "augustus", "augusti",
		"sie", "sierpień", "sierpnia", "sierpien", "авг", "август", "августа",
		"augusztus", "srp", "srpen", "srpna", "elo", "elokuu", "ağu", "agu", "ağustos", "agustos")
	add(time.September, "sep", "sept", "september", "septembre", "septiembre", "set", "settembre", "setembro",
		"wrz", "wrzesień", "września", "wrzesien", "wrzesnia", "сен", "сент", "сентябрь", "сентября",
		"szept", "szeptember", "zář", "zar", "září", "syys", "syyskuu", "eyl", "eylül", "eylul")
	add(time.October, "oct", "october", "okt", "oktober", "octobre", "octubre", "ott", "ottobre", "out", "outubro",
		"paź", "paz", "październik", "października", "pazdziernik", "pazdziernika", "окт", "октябрь", "октября",
		"október", "říj", "rij", "říjen", "října", "loka", "lokakuu", "eki", "ekim")
	add(time.November, "nov", "november", "novembre", "noviembre", "novembro",
		"lis", "listopad", "listopada", "ноя", "нояб", "ноябрь", "ноября",
		"marras", "marraskuu", "kas", "kasım", "kasim")
	add(time.December, "dec", "december", "dez", "dezember", "déc", "décembre", "decembre",
		"dic", "diciembre", "dicembre", "dezembro", "des", "desember",
		"gru", "grudzień", "grudnia", "grudzien", "дек", "декабрь", "декабря",
		"pro", "prosinec", "prosince", "joulu", "joulukuu", "ara", "aralık", "aralik")
}

// CJK unit suffixes after numbers: 年 (year), 月 (month), 日 (day) and the
// Korean 년, 월, 일.
const (
	sufYear    = "年"
	sufMonth   = "月"
	sufDay     = "日"
	sufYearKo  = "년"
	sufMonthKo = "월"
	sufDayKo   = "일"
)

// trimPunct removes trailing dots and commas.
func trimPunct(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '.' || s[len(s)-1] == ',') {
		s = s[:len(s)-1]
	}
	return s
}

// leadingNum splits s into its leading digits (at most 4) and the rest.
func leadingNum(s string) (int, string, bool) {
	i := 0
	for i < len(s) && i < 5 && isDigit(s[i]) {
		i++
	}
	if i == 0 || i > 4 {
		return 0, s, false
	}
	n, _ := smallInt(s[:i])
	return n, s[i:], true
}

// monthName parses a month name ("Jan", "janv.", "Окт", "MÄR") or a
// numbered CJK month ("1月", "12월").
func monthName(tok string) (time.Month, bool) {
	tok = trimPunct(tok)
	if tok == "" {
		return 0, false
	}
	if isDigit(tok[0]) {
		n, rest, ok := leadingNum(tok)
		if !ok || (rest != sufMonth && rest != sufMonthKo && !legacyUnit(rest)) || n < 1 || n > 12 {
			return 0, false
		}
		return time.Month(n), true
	}
	if len(tok) < 3 || len(tok) > 40 {
		return 0, false
	}
	var buf [48]byte
	n := 0
	for i := 0; i < len(tok); {
		c := tok[i]
		if n+utf8.UTFMax > len(buf) {
			return 0, false
		}
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(tok[i:])
		if r == utf8.RuneError {
			return 0, false // no month name has invalid UTF-8
		}
		i += size
		n += utf8.EncodeRune(buf[n:], unicode.ToLower(r))
	}
	m, ok := monthNames[string(buf[:n])]
	return m, ok
}

// dayNum parses a day of month: "2", "02", "26.", "8,", "18日", "6일".
func dayNum(tok string) (int, bool) {
	n, rest, ok := leadingNum(tok)
	if !ok || n < 1 || n > 31 {
		return 0, false
	}
	switch rest {
	case "", ".", ",", sufDay, sufDayKo:
		return n, true
	}
	return n, legacyUnit(rest)
}

// legacyUnit reports whether s is a CJK unit character (年, 月, 日, 월…)
// in a legacy encoding (Shift-JIS, EUC-JP, GBK, EUC-KR, Big5) that the
// listing was not decoded from: one or two bytes, the first non-ASCII,
// that are not UTF-8. (Dialer.Encoding decodes such listings first.)
func legacyUnit(s string) bool {
	return len(s) >= 1 && len(s) <= 2 && s[0] >= 0x80 && (len(s) == 1 || s[1] >= 0x40) && !utf8.ValidString(s)
}

// yearNum parses a four-digit year, possibly followed by 年, 년 or a comma.
func yearNum(tok string) (int, bool) {
	n, rest, ok := leadingNum(tok)
	if !ok || len(tok)-len(rest) != 4 || n < 1900 {
		return 0, false
	}
	switch rest {
	case "", ",", ".", sufYear, sufYearKo:
		return n, true
	}
	return n, legacyUnit(rest)
}

// clock is a time of day.
type clock struct {
	h, m, s, ns int
	prec        time.Duration
}

// clockOf parses "H:MM", "HH:MM", "HH:MM:SS" and "HH:MM:SS.fff". Hour 24
// is accepted with 00 minutes (some servers write midnight so).
func clockOf(tok string) (clock, bool) {
	var c clock
	i := 0
	num := func(max int) (int, bool) {
		s := i
		for i < len(tok) && i-s < max && isDigit(tok[i]) {
			i++
		}
		if i == s {
			return 0, false
		}
		n, _ := smallInt(tok[s:i])
		return n, true
	}
	var ok bool
	if c.h, ok = num(2); !ok || i >= len(tok) || tok[i] != ':' {
		return c, false
	}
	i++
	ms := i
	if c.m, ok = num(2); !ok || i-ms != 2 {
		return c, false
	}
	c.prec = time.Minute
	if i < len(tok) && tok[i] == ':' {
		i++
		s := i
		if c.s, ok = num(2); !ok || i-s != 2 {
			return c, false
		}
		c.prec = time.Second
		if i < len(tok) && tok[i] == '.' {
			i++
			s := i
			for i < len(tok) && isDigit(tok[i]) && i-s < 9 {
				c.ns = c.ns*10 + int(tok[i]-'0')
				i++
			}
			digits := i - s
			if digits == 0 {
				return c, false
			}
			c.prec = 1
			for k := digits; k < 9; k++ {
				c.ns *= 10
				c.prec *= 10
			}
		}
	}
	if i != len(tok) || c.m > 59 || c.s > 59 || c.h > 24 || (c.h == 24 && (c.m != 0 || c.s != 0 || c.ns != 0)) {
		return c, false
	}
	return c, true
}

// date is a calendar date, year 0 when unknown.
type date struct{ y, m, d int }

// fullYear turns a 2-digit year into 1970..2069 and a 3-digit year (a
// Y2K bug: years since 1900) into 2000+.
func fullYear(n, digits int) int {
	switch digits {
	case 1, 2:
		if n < 70 {
			return 2000 + n
		}
		return 1900 + n
	case 3:
		return 1900 + n
	}
	return n
}

// dateOf parses a one-token date: "2024-01-02", "2024/01/02", "2004.07.15",
// "01-02-24", "24-04-2003", "18.09.06", "1-JAN-2024", "01-jun-99",
// "Feb-28-1998", "6-Apr-07", and, with year 0, "09-26". Numeric dates
// are read year first when the first number has four digits, day first
// with dots or when the first number exceeds 12, and month first
// otherwise.
func dateOf(tok string) (date, bool) {
	var parts [3]string
	var sep byte
	n := 0
	s := 0
	for i := 0; i <= len(tok); i++ {
		if i < len(tok) {
			c := tok[i]
			if c != '-' && c != '/' && c != '.' {
				continue
			}
			if sep == 0 {
				sep = c
			} else if c != sep {
				return date{}, false
			}
		}
		if n == 3 || i == s {
			return date{}, false
		}
		parts[n] = tok[s:i]
		n++
		s = i + 1
	}
	if n < 2 {
		return date{}, false
	}
	num := func(p string) (int, int, bool) {
		v, ok := smallInt(p)
		return v, len(p), ok
	}
	var d date
	if n == 2 {
		a, _, ok1 := num(parts[0])
		b, _, ok2 := num(parts[1])
		if !ok1 || !ok2 || sep == '.' {
			return date{}, false
		}
		d = date{0, a, b}
		if a > 12 {
			d = date{0, b, a}
		}
		return d, validDate(d)
	}
	p0, p1, p2 := parts[0], parts[1], parts[2]
	if m, ok := monthName(p1); ok && !isDigit(p1[0]) {
		// D-Mon-Y
		day, _, ok1 := num(p0)
		y, yd, ok2 := num(p2)
		if !ok1 || !ok2 {
			return date{}, false
		}
		d = date{fullYear(y, yd), int(m), day}
		return d, validDate(d)
	}
	if m, ok := monthName(p0); ok && !isDigit(p0[0]) {
		// Mon-D-Y
		day, _, ok1 := num(p1)
		y, yd, ok2 := num(p2)
		if !ok1 || !ok2 {
			return date{}, false
		}
		d = date{fullYear(y, yd), int(m), day}
		return d, validDate(d)
	}
	a, ad, ok0 := num(p0)
	b, _, ok1 := num(p1)
	c, cd, ok2 := num(p2)
	if !ok0 || !ok1 || !ok2 {
		return date{}, false
	}
	switch {
	case ad == 4:
		d = date{a, b, c}
	case sep == '.' || a > 12:
		d = date{fullYear(c, cd), b, a}
	default:
		d = date{fullYear(c, cd), a, b}
	}
	return d, validDate(d)
}

// validDate reports whether d is a real date (any leap year when d.y is
// 0).
func validDate(d date) bool {
	if d.m < 1 || d.m > 12 || d.d < 1 {
		return false
	}
	if d.y != 0 && (d.y < 1900 || d.y > 9999) {
		return false
	}
	return d.d <= daysIn(d.m, d.y)
}

// daysIn returns the number of days of month m in year y (29 for
// February of year 0, the unknown year).
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y == 0 || y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// timeCtx carries what turning dates into times needs.
type timeCtx struct {
	loc *time.Location
	now time.Time // zero until needed
}

func newTimeCtx(o *Options) timeCtx {
	tc := timeCtx{loc: time.UTC}
	if o != nil {
		if o.Location != nil {
			tc.loc = o.Location
		}
		tc.now = o.Now
	}
	return tc
}

// make returns the time of d at c, inferring a missing year (d.y == 0).
func (tc *timeCtx) make(d date, c clock) time.Time {
	if c.h == 24 { // midnight at the end of the day
		c.h = 0
		t := tc.make(d, c)
		return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, tc.loc)
	}
	if d.y != 0 {
		return time.Date(d.y, time.Month(d.m), d.d, c.h, c.m, c.s, c.ns, tc.loc)
	}
	if tc.now.IsZero() {
		tc.now = time.Now()
	}
	now := tc.now.In(tc.loc)
	// The year that puts the date nearest to now: ls prints dates without
	// a year only for files at most six months old (GNU) or at most six
	// months away (BSD).
	y := now.Year()
	at := func(y int) (time.Time, bool) {
		if d.d > daysIn(d.m, y) {
			return time.Time{}, false // Feb 29 in a common year
		}
		return time.Date(y, time.Month(d.m), d.d, c.h, c.m, c.s, c.ns, tc.loc), true
	}
	best, ok := at(y)
	if ok && !best.After(now) && now.Sub(best) < 150*24*time.Hour {
		return best // the common case: a recent file
	}
	var bestDist time.Duration
	if ok {
		bestDist = absDur(best.Sub(now))
	}
	for _, yy := range [...]int{y + 1, y - 1, y - 2, y - 3, y - 4} {
		t, ok := at(yy)
		if !ok {
			continue
		}
		if dist := absDur(t.Sub(now)); best.IsZero() || dist < bestDist {
			best, bestDist = t, dist
		}
	}
	return best
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// clockAMPM parses a 12-hour time: "03:47PM", "3:47 PM" (suffix given
// separately in ampm), "12:09AM".
func clockAMPM(tok, ampm string) (clock, bool) {
	if ampm == "" && len(tok) > 2 {
		switch tok[len(tok)-2:] {
		case "AM", "PM", "am", "pm", "Am", "Pm":
			ampm = tok[len(tok)-2:]
			tok = tok[:len(tok)-2]
		}
	}
	c, ok := clockOf(tok)
	if !ok || c.h == 24 {
		return c, false
	}
	switch ampm {
	case "":
	case "AM", "am", "Am":
		if c.h < 1 || c.h > 12 {
			return c, false
		}
		if c.h == 12 {
			c.h = 0
		}
	case "PM", "pm", "Pm":
		if c.h < 1 || c.h > 12 {
			return c, false
		}
		if c.h != 12 {
			c.h += 12
		}
	default:
		return c, false
	}
	return c, true
}
