//go:build linux

package interop_test

import (
	"os"
	"time"
)

func chtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }
