package netrc

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ParseFile reads and parses the .netrc file at path. On Unix it refuses,
// with a *ParseError wrapping ErrInsecure, a file that holds a password or
// account for a login other than "anonymous" (compared ignoring case) while
// its mode lets the group or others read, write or run it (mode&0o077 != 0)
// or while it is owned by a user other than the current one; the error
// names the file, its mode or owner and the command that fixes it. The
// checks use the opened file, not a second lookup of path. Windows has no
// such check. Syntax errors are *ParseError with File set to path.
func ParseFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("netrc: %s is a directory", path)
	}
	f, secretLine, err := parse(fh, path)
	if err != nil {
		if _, ok := err.(*ParseError); !ok {
			err = fmt.Errorf("netrc: %s: %w", path, err)
		}
		return nil, err
	}
	if secretLine > 0 {
		if msg := insecure(path, info); msg != "" {
			return nil, &ParseError{File: path, Line: secretLine, Msg: msg, Err: ErrInsecure}
		}
	}
	return f, nil
}

// Path returns the file Load reads: $NETRC when set and not empty, else
// .netrc in the home directory (on Windows _netrc when .netrc does not
// exist, as curl does).
func Path() (string, error) {
	if p := os.Getenv("NETRC"); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// No home directory means no .netrc: report it as missing so that
		// callers treating a missing file as "no credentials" carry on.
		return "", fmt.Errorf("netrc: no $NETRC and no home directory (%v): %w", err, fs.ErrNotExist)
	}
	p := filepath.Join(home, ".netrc")
	if runtime.GOOS == "windows" {
		if _, err := os.Stat(p); err != nil {
			if alt := filepath.Join(home, "_netrc"); fileExists(alt) {
				return alt, nil
			}
		}
	}
	return p, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Load parses the file named by [Path] with [ParseFile]. When there is no
// such file the error matches fs.ErrNotExist (errors.Is), which callers
// usually treat as "no credentials".
func Load() (*File, error) {
	p, err := Path()
	if err != nil {
		return nil, err
	}
	return ParseFile(p)
}

// shellQuote quotes p for a POSIX shell command line when needed.
func shellQuote(p string) string {
	safe := func(r rune) bool {
		return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%", r))
	}
	if p != "" && strings.IndexFunc(p, func(r rune) bool { return !safe(r) }) < 0 {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
