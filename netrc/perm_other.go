//go:build !unix

package netrc

import "io/fs"

// insecure does not check anything where Unix permissions do not apply.
func insecure(path string, info fs.FileInfo) string { return "" }
