package listing

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// Type is the kind of a listed entry.
type Type int

const (
	// File is a regular file (or, for formats that do not say, anything
	// that can be retrieved).
	File Type = iota
	// Dir is a directory (or something that can be entered with CWD: an
	// MVS partitioned data set, an OS/400 library or *FILE).
	Dir
	// Link is a symbolic link; Entry.Target holds its target when known.
	Link
	// Other is anything else: devices, pipes, sockets, OS-specific types,
	// and MLSx entries without a type fact.
	Other
	// CurrentDir is the listed directory itself (MLSx type=cdir, "." in
	// ls -a output). Its Name is always ".".
	CurrentDir
	// ParentDir is the parent of the listed directory (MLSx type=pdir,
	// ".." in ls -a output). Its Name is always "..".
	ParentDir
)

var typeNames = [...]string{"file", "dir", "link", "other", "cdir", "pdir"}

// String returns "file", "dir", "link", "other", "cdir" or "pdir".
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Format names of Entry.Format: which parser recognised the line.
const (
	FormatUnix    = "unix"    // ls -l and its many variants
	FormatNetware = "netware" // Novell NetWare
	FormatDOS     = "dos"     // IIS and other MS-DOS style servers, Windows CE
	FormatEPLF    = "eplf"    // Easily Parsed LIST Format
	FormatVMS     = "vms"     // OpenVMS (MultiNet, UCX, TCPware)
	FormatOS2     = "os2"     // OS/2
	FormatOS400   = "os400"   // IBM i (OS/400, AS/400)
	FormatMVS     = "mvs"     // z/OS (MVS) data sets, PDS members and JES jobs
	FormatZVM     = "zvm"     // IBM z/VM (CMS minidisks, SFS)
	FormatVxWorks = "vxworks" // VxWorks and VShell style (size first)
	FormatTandem  = "tandem"  // HP NonStop (Tandem) Guardian
	FormatOS9     = "os9"     // Microware OS-9
	FormatNortel  = "nortel"  // Nortel (Bay Networks) routers' wfFtp
	FormatMLSx    = "mlsx"    // RFC 3659 MLSD/MLST facts
)

// Entry is one entry of a directory listing.
type Entry struct {
	// Name is the entry's name, as sent (see the package documentation for
	// the few exceptions). It never contains a slash, NUL, CR or LF, and is
	// "." or ".." only for Type CurrentDir and ParentDir.
	Name string
	// Type is what the entry is.
	Type Type
	// Size is the size in bytes, -1 when unknown (directories in most
	// formats, devices, MVS data sets). For VMS it is the used blocks times
	// 512, an upper bound of the file's size. Listings may give sizes up
	// to 2^64-1; one above math.MaxInt64 is -1 as well: no file is that
	// large, and servers print 18446744073709551615 (an unsigned -1) for
	// an unknown size. Raw (and for MLSx, Facts["size"]) keeps the digits.
	Size int64
	// Time is the modification time, zero when unknown. MLSx and EPLF
	// times are UTC; LIST times are read in Options.Location.
	Time time.Time
	// Precision is the resolution of Time: 24h for a date without a time
	// of day, time.Minute for "15:04", time.Second, or finer for MLSx
	// fractions; 0 when Time is zero.
	Precision time.Duration
	// Target is a symbolic link's target, when the listing says.
	Target string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink,
	// fs.ModeDevice, ...) and, when the listing gives Unix permissions
	// (ls -l, the unix.mode fact, EPLF up), the permission bits.
	Mode fs.FileMode
	// Perm is the permission string as sent: "-rw-r--r--",
	// "d [RWCEAFMS]", "RWED,RWED,RE,", the MLSx perm fact "adfr"...
	Perm string
	// Owner and Group are as sent (user and group names or numbers).
	Owner, Group string
	// Facts holds the MLSx facts with lower-cased names and values as
	// sent, unknown facts included. For MVS, z/VM and OS/400 it holds the
	// format's extra columns (volume, recfm, lrecl, ...). Nil otherwise.
	Facts map[string]string
	// Format names the parser that recognised the line: FormatUnix, ...
	Format string
	// Raw is the line as received, without its line ending. For a VMS
	// entry wrapped over two lines, both lines joined by a single space.
	Raw string
}

// IsDir reports whether e is a directory (Type Dir). CurrentDir and
// ParentDir entries are not, so that walking IsDir entries never loops.
func (e *Entry) IsDir() bool { return e.Type == Dir }

// String formats e for humans: type, size, time, name, and a link target.
func (e *Entry) String() string {
	var b strings.Builder
	b.WriteString(e.Type.String())
	b.WriteByte(' ')
	if e.Size >= 0 {
		b.WriteString(strconv.FormatInt(e.Size, 10))
	} else {
		b.WriteByte('-')
	}
	b.WriteByte(' ')
	if e.Time.IsZero() {
		b.WriteByte('-')
	} else {
		b.WriteString(e.Time.Format(time.RFC3339Nano))
	}
	b.WriteByte(' ')
	b.WriteString(strconv.Quote(e.Name))
	if e.Target != "" {
		b.WriteString(" -> ")
		b.WriteString(strconv.Quote(e.Target))
	}
	return b.String()
}

// Options tune how LIST lines are read. A nil *Options means the zero
// value.
type Options struct {
	// Now is the time against which years missing from "Jan 02 15:04"
	// dates are inferred: the date is placed in the year that puts it
	// nearest to Now (so at most about six months after Now, as ls prints
	// such dates only for recent files). Zero means time.Now().
	Now time.Time
	// Location is the server's time zone, in which LIST times are read.
	// Nil means UTC. MLSx and EPLF times are always UTC.
	Location *time.Location
	// System is the server's SYST reply, optional. When it names MVS or
	// z/OS, lines holding a bare name, and PDS load-module lines, are read
	// as partitioned data set members even without the column header that
	// announces them.
	System string
}

// ErrSkip is returned by ParseLine for a line that carries no entry: a
// blank line, "total 12", a VMS "Directory" header or "Total of" trailer,
// an MVS or Tandem column header.
var ErrSkip = errors.New("listing: line carries no entry")

// ErrFormat is wrapped by errors for lines that match no known format.
var ErrFormat = errors.New("unrecognised listing line")

// ErrName is wrapped by errors for lines whose name is empty, contains a
// slash, NUL, CR or LF, or is "." or ".." where the format does not mark
// it as the current or parent directory.
var ErrName = errors.New("unsafe or invalid name")

// ParseError describes a listing line that could not be parsed.
type ParseError struct {
	// Line is the 1-based number of the line in the listing given to
	// Parse; 0 from ParseLine and ParseMLSx.
	Line int
	// Raw is the line as given.
	Raw string
	// Err says what is wrong; it wraps ErrFormat or ErrName.
	Err error
}

// Error reads `listing: line 3: unrecognised listing line: "raw text"`.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("listing: line %d: %v: %q", e.Line, e.Err, e.Raw)
	}
	return fmt.Sprintf("listing: %v: %q", e.Err, e.Raw)
}

// Unwrap returns e.Err.
func (e *ParseError) Unwrap() error { return e.Err }

// errf returns a *ParseError for raw wrapping sentinel with detail.
func errf(raw string, sentinel error, detail string) error {
	err := sentinel
	if detail != "" {
		err = fmt.Errorf("%w: %s", sentinel, detail)
	}
	return &ParseError{Raw: raw, Err: err}
}
