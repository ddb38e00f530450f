// Package safepath turns names supplied by an FTP server (NLST, MLSD and
// LIST entries) into local file names that cannot escape the directory
// they are meant for.
//
// A server is not trusted: a hostile or broken one may list "../.bashrc",
// "/etc/passwd", "a/../../b", "C:\\x" or names holding NUL, CR or LF.
// [Check] refuses every such name with an [*Error] that names the entry,
// and [Join] and [Rel] build local paths only from names that passed it.
// Callers should still write through an [os.Root] opened on the target
// directory, which also stops symbolic links planted there from leading
// elsewhere.
package safepath

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrUnsafe is matched (errors.Is) by every *Error.
var ErrUnsafe = errors.New("unsafe name")

// Error reports a name that cannot be used as a local file name.
type Error struct {
	// Name is the name as the server sent it.
	Name string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns `unsafe name "../x" from server: it is ".."`; the name is
// quoted so that control characters in it are shown escaped.
func (e *Error) Error() string {
	return fmt.Sprintf("unsafe name %q from server: %s", e.Name, e.Reason)
}

// Unwrap returns ErrUnsafe.
func (e *Error) Unwrap() error { return ErrUnsafe }

// Check reports whether name is a single, plain path element that is safe
// to create in a local directory. It refuses, with an *Error:
//
//   - the empty name, "." and "..";
//   - names containing a separator, '/' or '\' (on every system, so that
//     a listing is treated the same everywhere), which also covers
//     absolute paths;
//   - names containing NUL, CR or LF;
//   - names the local system would not treat as a plain name in the
//     current directory (filepath.IsLocal: Windows volume names and
//     reserved names such as "NUL" or "COM1").
func Check(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "it is empty"
	case name == ".":
		reason = `it is "."`
	case name == "..":
		reason = `it is ".."`
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`):
		reason = "it is an absolute path"
	case strings.ContainsAny(name, `/\`):
		reason = "it contains a path separator"
	case strings.ContainsRune(name, 0):
		reason = "it contains a NUL byte"
	case strings.ContainsAny(name, "\r\n"):
		reason = "it contains a line break"
	case !filepath.IsLocal(name):
		reason = "it is not a plain file name on this system"
	default:
		return nil
	}
	return &Error{Name: name, Reason: reason}
}

// Name returns name unchanged if Check accepts it.
func Name(name string) (string, error) {
	if err := Check(name); err != nil {
		return "", err
	}
	return name, nil
}

// Join checks each element with Check and joins them to dir with
// filepath.Join. The result is dir itself or a path below it.
func Join(dir string, elems ...string) (string, error) {
	for _, e := range elems {
		if err := Check(e); err != nil {
			return "", err
		}
	}
	return filepath.Join(append([]string{dir}, elems...)...), nil
}

// Rel turns a slash-separated relative path made of server-supplied
// names ("sub/dir/file") into a local relative path, checking every
// element with Check. An empty path, a leading or doubled slash, "." and
// ".." elements are all refused.
func Rel(p string) (string, error) {
	if p == "" {
		return "", &Error{Name: p, Reason: "it is empty"}
	}
	if strings.HasPrefix(p, "/") {
		return "", &Error{Name: p, Reason: "it is an absolute path"}
	}
	elems := strings.Split(p, "/")
	for _, e := range elems {
		if err := Check(e); err != nil {
			if e != p {
				return "", &Error{Name: p, Reason: fmt.Sprintf("element %q: %s", e, err.(*Error).Reason)}
			}
			return "", err
		}
	}
	return filepath.Join(elems...), nil
}
