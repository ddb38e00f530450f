package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// DefaultMaxDepth is how many directory levels below the top directory
// Download and Upload descend when Options.MaxDepth is zero: ftp.Walk's.
const DefaultMaxDepth = ftp.MaxWalkDepth

// A directory that is one of its own ancestors (the same MLSx "unique"
// fact as a directory above it on the server, or the same local directory
// through a symbolic link pointing up) is reported with an error matching
// ftp.ErrCycle, and one nested deeper than Options.MaxDepth with
// ftp.ErrTooDeep; neither is entered.

// errNotDir is returned when the top remote directory is a file.
var errNotDir = errors.New("not a directory")

// dirNode is a directory being walked, linked to its parent: the chain of
// ancestors against which cycles are detected. Nodes are immutable once
// made and shared by the walkers below them.
type dirNode struct {
	parent *dirNode
	path   string      // slash-separated path relative to the top, "" for the top
	depth  int         // 0 for the top
	unique string      // the server's MLSx unique fact, "" when unknown
	fi     fs.FileInfo // the local directory (uploads), nil when unknown
}

// enter returns the node of the subdirectory path of n, identified by the
// server's unique fact and/or the local directory's FileInfo (either may
// be empty), or an error matching ErrTooDeep or ErrCycle when it must not
// be entered.
func (n *dirNode) enter(path, unique string, fi fs.FileInfo, maxDepth int) (*dirNode, error) {
	if n.depth+1 > maxDepth {
		return nil, fmt.Errorf("%w: more than %d levels below the top directory (see Options.MaxDepth)", ftp.ErrTooDeep, maxDepth)
	}
	for a := n; a != nil; a = a.parent {
		if unique != "" && a.unique == unique {
			return nil, fmt.Errorf("%w: the server identifies it as %s (unique=%q), which contains it", ftp.ErrCycle, displayPath(a.path), unique)
		}
		if fi != nil && a.fi != nil && os.SameFile(fi, a.fi) {
			return nil, fmt.Errorf("%w: it is %s, which contains it", ftp.ErrCycle, displayPath(a.path))
		}
	}
	return &dirNode{parent: n, path: path, depth: n.depth + 1, unique: unique, fi: fi}, nil
}

func displayPath(p string) string {
	if p == "" {
		return "the top directory"
	}
	return fmt.Sprintf("%q", p)
}

// uniqueFact returns e's MLSx unique fact, "" when the listing has none.
func uniqueFact(e listing.Entry) string {
	if e.Format != listing.FormatMLSx {
		return ""
	}
	return e.Facts["unique"]
}

// statDir confirms that the remote directory dir exists and is a
// directory, before anything is deleted on the strength of its listing
// (some servers list a missing directory as an empty one). With MLST it
// asks for the directory's facts (and returns its unique fact);
// otherwise it changes into the directory and back. The login directory
// ("") is taken as existing.
func statDir(ctx context.Context, c *ftp.Conn, dir string) (string, error) {
	if strings.Trim(dir, "/") == "" || dir == "." {
		return "", nil // the login directory or the root
	}
	feats, err := c.Features(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := feats["MLST"]; ok {
		e, err := c.Stat(ctx, dir)
		if err != nil {
			return "", err
		}
		if e.Type != listing.Dir {
			return "", &fs.PathError{Op: "mirror", Path: dir, Err: errNotDir}
		}
		return uniqueFact(e), nil
	}
	return "", c.CheckDir(ctx, dir)
}
