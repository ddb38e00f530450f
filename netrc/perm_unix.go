//go:build unix

package netrc

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// insecure explains why a file holding secrets must not be used, or
// returns "" when its owner and mode are safe.
func insecure(path string, info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		if uid := os.Getuid(); int64(st.Uid) != int64(uid) {
			return fmt.Sprintf("file holds a password but is owned by uid %d, not by the current user (uid %d); make it yours (chown) or use another file", st.Uid, uid)
		}
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("file holds a password but its mode %v (%04o) lets group or others access it; run: chmod 600 %s", perm, perm, shellQuote(path))
	}
	return ""
}
