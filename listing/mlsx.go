package listing

import (
	"io/fs"
	"strings"
	"time"
)

// ParseMLSx parses one MLSD line, or the facts line of an MLST reply
// without its leading space (RFC 3659 section 7): "fact=value;...; name".
// A trailing CR or LF is ignored.
//
// Fact names are case-insensitive and kept lower-cased in Facts, every
// fact included, with values as sent. The entry's fields are set from
// them: type (file, dir, cdir, pdir, OS.unix=slink:target or
// OS.unix=symlink for links, anything else Other; a missing type fact
// gives Other), size (sizd for directories), modify (UTC, fractions
// kept), perm, unix.mode, unix.ownername/unix.owner/unix.uid and
// unix.groupname/unix.group/unix.gid. A malformed size or modify value
// leaves Size -1 or Time zero: the entry is kept.
//
// The name follows the single space after the facts and is kept as sent
// (leading and trailing blanks included). cdir and pdir entries are
// named "." and "..", whatever name the server gave. When the server
// sends a pathname (MLST replies, and some servers' MLSD), Name is its
// last element; a pathname with "." or ".." elements is rejected. A line without facts and name, with a fact lacking "=",
// or with an unsafe name returns a *ParseError.
func ParseMLSx(line string) (Entry, error) {
	return parseMLSx(trimEOL(line))
}

// knownFacts are the fact names of RFC 3659 and common extensions, to
// return lower-cased keys without allocating.
var knownFacts = map[string]string{}

func init() {
	for _, k := range []string{"type", "size", "sizd", "modify", "create", "perm", "unique", "lang",
		"media-type", "charset", "unix.mode", "unix.owner", "unix.group", "unix.uid", "unix.gid",
		"unix.ownername", "unix.groupname", "unix.nlink", "unix.slink", "x.ntfs_flags", "win32.ea"} {
		knownFacts[k] = k
	}
}

// factKey returns k lower-cased.
func factKey(k string) string {
	if len(k) <= 32 {
		var buf [32]byte
		lower := true
		for i := 0; i < len(k); i++ {
			c := k[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
				lower = false
			}
			buf[i] = c
		}
		if lower {
			return k
		}
		if s, ok := knownFacts[string(buf[:len(k)])]; ok {
			return s
		}
	}
	return lowerASCII(k)
}

// mlsxShape reports whether a LIST line looks like MLSx facts: its first
// field holds "name=value" with a known fact name.
func mlsxShape(line string) bool {
	k, _, ok := strings.Cut(line, "=")
	if !ok || strings.ContainsAny(k, " \t;") {
		return false
	}
	_, known := knownFacts[factKey(k)]
	return known
}

func parseMLSx(line string) (Entry, error) {
	sep := strings.IndexAny(line, " \t")
	if sep < 0 {
		return Entry{}, errf(line, ErrFormat, "mlsx: no space before the name")
	}
	factStr, name := line[:sep], line[sep+1:]
	e := Entry{Type: Other, Size: -1}
	if factStr != "" {
		e.Facts = make(map[string]string, strings.Count(factStr, ";")+1)
	}
	var owner, group [3]string
	sizd := ""
	for factStr != "" {
		var fact string
		fact, factStr, _ = strings.Cut(factStr, ";")
		if fact == "" {
			continue
		}
		k, v, ok := strings.Cut(fact, "=")
		if !ok || k == "" {
			return Entry{}, errf(line, ErrFormat, "mlsx: malformed fact "+fact)
		}
		k = factKey(k)
		e.Facts[k] = v
		switch k {
		case "type":
			var m fs.FileMode
			e.Type, e.Target, m = mlsxType(v)
			e.Mode |= m
		case "size":
			if n, ok := sizeNum(v); ok {
				e.Size = n
			}
		case "sizd":
			sizd = v
		case "modify":
			e.Time, e.Precision = mlsxTime(v)
		case "perm":
			e.Perm = v
		case "unix.mode":
			e.Mode |= octalMode(v)
		case "unix.ownername":
			owner[0] = v
		case "unix.owner":
			owner[1] = v
		case "unix.uid":
			owner[2] = v
		case "unix.groupname":
			group[0] = v
		case "unix.group":
			group[1] = v
		case "unix.gid":
			group[2] = v
		}
	}
	if e.Size < 0 && e.Type != File {
		if n, ok := atoi(sizd); ok {
			e.Size = n
		}
	}
	for i := range 3 {
		if e.Owner == "" {
			e.Owner = owner[i]
		}
		if e.Group == "" {
			e.Group = group[i]
		}
	}
	switch e.Type {
	case CurrentDir:
		name = "."
	case ParentDir:
		name = ".."
	default:
		if strings.IndexByte(name, '/') >= 0 {
			// A pathname: keep its last element, unless it has "." or
			// ".." elements, which no listing needs.
			for el := range strings.SplitSeq(name, "/") {
				if el == "." || el == ".." {
					return Entry{}, errf(line, ErrName, "pathname with . or .. elements")
				}
			}
			if trimmed := strings.TrimRight(name, "/"); trimmed != "" {
				name = trimmed[strings.LastIndexByte(trimmed, '/')+1:]
			}
		}
	}
	e.Name = name
	if err := finish(&e, line, FormatMLSx); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// mlsxType interprets the type fact.
func mlsxType(v string) (Type, string, fs.FileMode) {
	switch lowerASCII(v) {
	case "file":
		return File, "", 0
	case "dir":
		return Dir, "", 0
	case "cdir":
		return CurrentDir, "", 0
	case "pdir":
		return ParentDir, "", 0
	}
	os, sub, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(os, "OS.unix") {
		return Other, "", 0
	}
	kind, target, _ := strings.Cut(sub, ":")
	switch lowerASCII(kind) {
	case "slink", "symlink":
		return Link, target, 0
	case "fifo":
		return Other, "", fs.ModeNamedPipe
	case "socket":
		return Other, "", fs.ModeSocket
	}
	switch {
	case len(kind) >= 3 && strings.EqualFold(kind[:3], "chr"):
		return Other, "", fs.ModeDevice | fs.ModeCharDevice
	case len(kind) >= 3 && strings.EqualFold(kind[:3], "blk"):
		return Other, "", fs.ModeDevice
	}
	return Other, "", 0
}

// octalMode parses a unix.mode fact ("0644", "755", "100644").
func octalMode(v string) fs.FileMode {
	if v == "" || len(v) > 8 {
		return 0
	}
	var n uint32
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '7' {
			return 0
		}
		n = n<<3 | uint32(v[i]-'0')
	}
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// mlsxTime parses an RFC 3659 time-val: YYYYMMDDHHMMSS[.sss], UTC.
func mlsxTime(v string) (time.Time, time.Duration) {
	if len(v) < 14 {
		return time.Time{}, 0
	}
	var p [6]int
	widths := [6]int{4, 2, 2, 2, 2, 2}
	off := 0
	for i, w := range widths {
		n, ok := smallInt(v[off : off+w])
		if !ok {
			return time.Time{}, 0
		}
		p[i] = n
		off += w
	}
	ns, prec := 0, time.Second
	if len(v) > 14 {
		frac := v[14:]
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 || !allDigits(frac[1:]) {
			return time.Time{}, 0
		}
		prec = 1
		for i := 1; i < 10; i++ {
			ns *= 10
			if i < len(frac) {
				ns += int(frac[i] - '0')
			} else {
				prec *= 10
			}
		}
	}
	if p[1] < 1 || p[1] > 12 || p[2] < 1 || p[3] > 23 || p[4] > 59 || p[5] > 60 {
		return time.Time{}, 0
	}
	t := time.Date(p[0], time.Month(p[1]), p[2], p[3], p[4], p[5], ns, time.UTC)
	if t.Day() != p[2] && p[5] != 60 {
		return time.Time{}, 0
	}
	return t, prec
}

// parseEPLF parses Easily Parsed LIST Format lines:
// "+i8388621.29609,m824255902,/,\tname". Facts: "/" (a directory), "r"
// (retrievable: a file), "s" size, "m" modification time (Unix seconds),
// "up" permissions in octal, "i" identifier; others are ignored. An entry
// neither "/" nor "r" is Other.
func parseEPLF(line string) (Entry, error) {
	tab := strings.IndexByte(line, '\t')
	if tab < 0 {
		return Entry{}, errf(line, ErrFormat, "eplf: no tab before the name")
	}
	facts, name := line[1:tab], line[tab+1:]
	e := Entry{Type: Other, Name: name, Size: -1}
	dir, retr := false, false
	for facts != "" {
		var fact string
		fact, facts, _ = strings.Cut(facts, ",")
		if fact == "" {
			continue
		}
		switch fact[0] {
		case '/':
			dir = true
		case 'r':
			retr = true
		case 's':
			if n, ok := sizeNum(fact[1:]); ok {
				e.Size = n
			}
		case 'm':
			if n, ok := atoi(fact[1:]); ok && n < 1<<40 {
				e.Time = time.Unix(n, 0).UTC()
				e.Precision = time.Second
			}
		case 'u':
			if strings.HasPrefix(fact, "up") {
				e.Perm = fact[2:]
				e.Mode = octalMode(e.Perm)
			}
		}
	}
	switch {
	case dir:
		e.Type = Dir
	case retr:
		e.Type = File
	}
	return e, nil
}
