package listing

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// errNotMine is returned by a format's parser when the line does not have
// that format's shape, so that the next format is tried.
var errNotMine = errors.New("not this format")

// errVMSWrap marks a line holding only a VMS file name: the rest of the
// entry is on the next line, which Parse joins.
var errVMSWrap = fmt.Errorf("%w: VMS file name alone on its line, not continued by the next", ErrFormat)

// state is what Parse learns from earlier lines of a listing.
type state struct {
	mvsMembers  bool // a PDS member list header was seen (or SYST says MVS)
	mvsDatasets bool // an MVS data set list header was seen
}

func newState(o *Options) state {
	var st state
	if o != nil && o.System != "" {
		s := strings.ToUpper(o.System)
		st.mvsMembers = strings.Contains(s, "MVS") || strings.Contains(s, "Z/OS")
	}
	return st
}

// ParseLine parses one line of a LIST reply, recognising its format (see
// the package documentation). A trailing CR or LF is ignored. It returns
// ErrSkip for lines that carry no entry, and a *ParseError (Line 0) for
// lines it cannot parse. opts may be nil.
//
// ParseLine sees one line at a time: a VMS entry wrapped over two lines,
// or an MVS member list without its header, needs Parse.
func ParseLine(line string, opts *Options) (Entry, error) {
	st := newState(opts)
	tc := newTimeCtx(opts)
	return parseLine(line, &st, &tc)
}

// Parse parses the lines of a LIST reply (as returned by the ftp package's
// Conn.List). It returns the entries that parsed, in order, and an error
// joining (errors.Join) one *ParseError for each line that did not, with
// its 1-based line number: no line is dropped silently. Lines that carry
// no entry ("total 12", headers, blank lines) are skipped. Parse joins
// VMS entries wrapped over two lines, and reads MVS member lists after
// their column header. opts may be nil. Parser does the same one line at
// a time, for listings too large to hold.
func Parse(lines []string, opts *Options) ([]Entry, error) {
	entries := make([]Entry, 0, len(lines))
	var errs []error
	collect := func(e Entry, err error) bool {
		if err != nil {
			errs = append(errs, err)
		} else {
			entries = append(entries, e)
		}
		return true
	}
	p := NewParser(opts)
	for _, l := range lines {
		p.Feed(l, collect)
	}
	p.End(collect)
	return entries, errors.Join(errs...)
}

// Parser parses a LIST reply one line at a time, in constant memory, with
// the same results as Parse: it remembers what earlier lines taught (MVS
// headers) and holds back a VMS file name alone on its line until the next
// line tells whether the entry continues there.
type Parser struct {
	st   state
	tc   timeCtx
	line int     // lines fed so far
	held *result // a VMS name line waiting for its continuation
	raw  string  // the held line
}

// NewParser returns a Parser; opts may be nil.
func NewParser(opts *Options) *Parser {
	p := &Parser{st: newState(opts), tc: newTimeCtx(opts)}
	if p.tc.now.IsZero() {
		p.tc.now = time.Now()
	}
	return p
}

// Feed parses the next line of the listing and calls yield for what it
// completes: an entry, or a *ParseError with its 1-based line number (lines
// that carry no entry give nothing). yield may be called zero, one or two
// times; Feed returns false as soon as yield does.
func (p *Parser) Feed(line string, yield func(Entry, error) bool) bool {
	return p.feed(line, public(yield))
}

// End reports a line still held back (a VMS name that no continuation
// followed) and returns false if yield did.
func (p *Parser) End(yield func(Entry, error) bool) bool {
	return p.end(public(yield))
}

// public adapts yield to the internal results, leaving out skipped lines.
func public(yield func(Entry, error) bool) func(*result) bool {
	return func(r *result) bool {
		if r.err == ErrSkip {
			return true
		}
		return yield(r.entry, r.err)
	}
}

// feed is Feed reporting every line's result, skips included.
func (p *Parser) feed(line string, emit func(*result) bool) bool {
	p.line++
	if h := p.held; h != nil {
		p.held = nil
		joined := trimEOL(p.raw) + " " + strings.TrimLeft(trimEOL(line), " \t")
		if e, err := parseLine(joined, &p.st, &p.tc); err == nil && e.Format == FormatVMS {
			return emit(&result{line: h.line, nlines: 2, entry: e})
		}
		if !emit(h) {
			return false
		}
	}
	r := &result{line: p.line, nlines: 1}
	r.entry, r.err = parseLine(line, &p.st, &p.tc)
	if pe, ok := r.err.(*ParseError); ok {
		pe.Line = p.line
		if errors.Is(r.err, errVMSWrap) {
			p.held, p.raw = r, line
			return true
		}
	}
	return emit(r)
}

func (p *Parser) end(emit func(*result) bool) bool {
	if h := p.held; h != nil {
		p.held = nil
		return emit(h)
	}
	return true
}

// result is the outcome for one line, or two joined lines, of a listing.
type result struct {
	line, nlines int // first line (1-based) and how many lines were used
	entry        Entry
	err          error // nil, ErrSkip or a *ParseError with Line set
}

// parseLines parses lines and calls yield once for each line, or for each
// pair of lines that make one entry.
func parseLines(lines []string, opts *Options, yield func(*result)) {
	p := NewParser(opts)
	emit := func(r *result) bool { yield(r); return true }
	for _, l := range lines {
		p.feed(l, emit)
	}
	p.end(emit)
}

// formats lists the LIST formats in the order they are tried (by
// parseAs); the first whose parser claims a line decides.
var formats = [...]string{
	FormatUnix, FormatNetware, FormatVMS, FormatDOS, FormatOS400, FormatMVS, FormatMVS,
	FormatZVM, FormatTandem, FormatOS2, FormatVxWorks, FormatMVS, FormatOS9, FormatNortel,
}

// parseAs runs the parser of formats[i]. Each returns errNotMine when the
// line does not have its format's shape. (A switch rather than a table of
// functions: direct calls keep f, st and tc on the stack.)
func parseAs(i int, line string, f *fields, st *state, tc *timeCtx) (Entry, error) {
	switch i {
	case 0:
		return parseUnix(line, f, st, tc)
	case 1:
		return parseNetware(line, f, st, tc)
	case 2:
		return parseVMS(line, f, st, tc)
	case 3:
		return parseDOS(line, f, st, tc)
	case 4:
		return parseOS400(line, f, st, tc)
	case 5:
		return parseMVSMember(line, f, st, tc)
	case 6:
		return parseMVSDataset(line, f, st, tc)
	case 7:
		return parseZVM(line, f, st, tc)
	case 8:
		return parseTandem(line, f, st, tc)
	case 9:
		return parseOS2(line, f, st, tc)
	case 10:
		return parseVxWorks(line, f, st, tc)
	case 11:
		return parseJES(line, f, st, tc)
	case 12:
		return parseOS9(line, f, st, tc)
	case 13:
		return parseNortel(line, f, st, tc)
	}
	return Entry{}, errNotMine
}

func parseLine(raw string, st *state, tc *timeCtx) (Entry, error) {
	line := trimEOL(raw)
	if blank(line) {
		return Entry{}, ErrSkip
	}
	if line[0] == '+' {
		e, err := parseEPLF(line)
		if err == nil {
			err = finish(&e, line, FormatEPLF)
		}
		if err != nil {
			return Entry{}, err
		}
		return e, nil
	}
	var f fields
	f.split(line)
	for i, format := range formats {
		if i == 1 && skipLine(&f, st) {
			return Entry{}, ErrSkip
		}
		e, err := parseAs(i, line, &f, st, tc)
		if err == errNotMine {
			continue
		}
		if err != nil {
			return Entry{}, errf(line, ErrFormat, format+": "+err.Error())
		}
		if err := finish(&e, line, format); err != nil {
			return Entry{}, err
		}
		return e, nil
	}
	if mlsxShape(line) {
		e, err := parseMLSx(line)
		if err == nil {
			return e, nil
		}
		return Entry{}, err
	}
	if f.n == 1 && vmsName(line) {
		return Entry{}, &ParseError{Raw: line, Err: errVMSWrap}
	}
	return Entry{}, errf(line, ErrFormat, "")
}

// totalWords are the words ls prints before the block total, in various
// locales.
var totalWords = map[string]bool{
	"total": true, "insgesamt": true, "totalt": true, "totaal": true, "totale": true,
	"итого": true, "всего": true, "合計": true, "合计": true, "总用量": true, "總用量": true,
	"합계": true, "razem": true, "celkem": true, "összesen": true, "yhteensä": true,
	"toplam": true, "suma": true, "samtals": true,
}

// skipLine reports whether the line carries no entry, and notes the MVS
// column headers that change how later lines are read.
func skipLine(f *fields, st *state) bool {
	a0, a1 := f.at(0), f.at(1)
	switch {
	case f.n == 2 && totalWords[lowerASCII(strings.TrimSuffix(a0, ":"))] && blockCount(a1):
		return true // ls: "total 24"
	case f.n == 3 && a0 == "i" && a1 == "alt" && blockCount(f.at(2)):
		return true // Danish ls: "i alt 24"
	case a0 == "Directory" && f.n == 2 && strings.ContainsAny(a1, "[:"):
		return true // VMS: "Directory DISK$USER:[NAME]"
	case a0 == "Total" && a1 == "of" && f.n >= 3:
		return true // VMS: "Total of 4 files, 12/48 blocks."
	case a0 == "Grand" && a1 == "total" && f.at(2) == "of":
		return true // VMS: "Grand total of 2 directories, 6 files, ..."
	case a0 == "Volume" && a1 == "Unit" && strings.Contains(f.line, "Dsname"):
		st.mvsDatasets = true // MVS data set list header
		return true
	case a0 == "Name" && (a1 == "VV.MM" || a1 == "Size" && f.at(2) == "TTR"):
		st.mvsMembers = true // MVS PDS member list header
		return true
	case a0 == "JOBNAME" && a1 == "JOBID":
		return true // JES job list header
	case a0 == "ID" && a1 == "STEPNAME":
		return true // JES spool file list header
	case jesTrailer(f):
		return true // JES: "3 spool files"
	case a0 == "File" && a1 == "Code" && f.at(2) == "EOF":
		return true // Tandem header
	case a0 == "size" && a1 == "date" && f.at(2) == "time" && f.at(3) == "name" && f.n == 4:
		return true // VxWorks header
	case dashes(f):
		return true // VxWorks header underline: "--------  ------ ..."
	}
	return false
}

// blockCount reports whether s is a block total: digits, optionally with
// a decimal part and a unit ("24", "1.5K", "12M").
func blockCount(s string) bool {
	if allDigits(s) {
		return true
	}
	_, ok := humanSize(s)
	return ok
}

// finish sets the fields every entry shares and enforces the name rules.
func finish(e *Entry, raw, format string) error {
	e.Raw = raw
	e.Format = format
	if e.Time.IsZero() {
		e.Precision = 0
	}
	if e.Type == Dir && len(e.Name) > 1 && e.Name[len(e.Name)-1] == '/' {
		e.Name = e.Name[:len(e.Name)-1]
	}
	switch e.Name {
	case "":
		return errf(raw, ErrName, "empty name")
	case ".":
		if e.Type != Dir && e.Type != CurrentDir {
			return errf(raw, ErrName, `"." that is not a directory`)
		}
		e.Type = CurrentDir
	case "..":
		if e.Type != Dir && e.Type != ParentDir {
			return errf(raw, ErrName, `".." that is not a directory`)
		}
		e.Type = ParentDir
	default:
		if e.Type == CurrentDir || e.Type == ParentDir {
			return errf(raw, ErrName, "current or parent directory with another name")
		}
	}
	if i := badByte(e.Name); i >= 0 {
		return errf(raw, ErrName, fmt.Sprintf("name contains %q", e.Name[i]))
	}
	if i := strings.IndexAny(e.Target, "\x00\r\n"); i >= 0 {
		return errf(raw, ErrName, fmt.Sprintf("link target contains %q", e.Target[i]))
	}
	switch e.Type {
	case Dir, CurrentDir, ParentDir:
		e.Mode |= fs.ModeDir
	case Link:
		e.Mode |= fs.ModeSymlink
	}
	return nil
}

// badByte returns the index of the first slash, NUL, CR or LF in s, or -1.
func badByte(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', 0, '\r', '\n':
			return i
		}
	}
	return -1
}

// dashes reports whether every field is a run of dashes.
func dashes(f *fields) bool {
	for i := 0; i < f.n; i++ {
		if strings.Trim(f.at(i), "-") != "" {
			return false
		}
	}
	return f.n > 0
}
