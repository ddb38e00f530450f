package ftp

import "testing"

func TestEscapeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\nsecond line", "plain text\nsecond line"},
		{"550 \x1b]0;pwned\x07gone", `550 \x1b]0;pwned\x07gone`},
		{"\x1b[2J\x00\r\x7f", `\x1b[2J\x00\x0d\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202eevil", `bidi \u202eevil`},
		{"bad \xff utf8", `bad \xff utf8`},
		{`back\slash`, `back\\slash`},
		{"héllo 日本", "héllo 日本"},
	} {
		if got := EscapeText(tc.in); got != tc.want {
			t.Errorf("EscapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
