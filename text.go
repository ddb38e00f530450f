package ftp

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// EscapeText makes server-supplied text (reply messages, names, listing
// lines) safe to print on a terminal: every control character (C0 but
// newline, DEL, the C1 range, and so ESC and every escape sequence that
// would start with it) is written as \xNN or \uNNNN, invalid UTF-8 bytes as
// \xNN, and a backslash as \\ so that the output is unambiguous. Newlines
// are kept, so multi-line replies stay readable. A server can therefore
// neither retitle nor clear the user's terminal, nor forge output with
// carriage returns.
func EscapeText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 && b != '\n' || b == 0x7f || b == '\\' || b >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteByte('\n')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// C1 controls, line/paragraph separators and bidirectional
			// overrides, which can make text display other than it is.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
