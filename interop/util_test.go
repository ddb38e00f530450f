//go:build linux

package interop_test

import (
	"os"
	"strings"
	"time"
)

func chtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
