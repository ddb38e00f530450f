package ftp

import (
	"strings"
	"testing"
)

func TestParse257(t *testing.T) {
	for in, want := range map[string]string{
		`"/" is cwd`:                  "/",
		`"/a ""b"" c" created`:        `/a "b" c`,
		`MKD command successful "/x"`: "/x",
		`no quotes`:                   "",
		`"unterminated`:               "",
		`""`:                          "",
	} {
		if got := parse257(in); got != want {
			t.Errorf("parse257(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse150(t *testing.T) {
	for in, want := range map[string]int64{
		"Opening BINARY mode data connection for f (1234 bytes).": 1234,
		"Opening data connection (0 Bytes)":                       0,
		"Accepted data connection":                                -1,
		"(99999999999999999999999 bytes)":                         -1,
	} {
		if got := parse150(in); got != want {
			t.Errorf("parse150(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzParsePASV(f *testing.F) {
	for _, s := range []string{"Entering Passive Mode (127,0,0,1,4,1)", "=10,0,0,1,255,255", "(1,2,3)", "(0,0,0,0,0,0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, port, err := parsePASV(s)
		if err != nil {
			return
		}
		if port < 1 || port > 65535 || ip.To4() == nil {
			t.Fatalf("parsePASV(%q) = %v, %d", s, ip, port)
		}
	})
}

func FuzzParseEPSV(f *testing.F) {
	for _, s := range []string{"Entering Extended Passive Mode (|||6446|)", "(!!!1!)", "(|||0|)", "(|||70000|)", "()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		port, err := parseEPSV(s)
		if err == nil && (port < 1 || port > 65535) {
			t.Fatalf("parseEPSV(%q) = %d", s, port)
		}
	})
}

func FuzzParse257(f *testing.F) {
	for _, s := range []string{`"/" ok`, `"a""b"`, `"`, `x"y"z`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := parse257(s)
		if len(p) > len(s) || (p != "" && !strings.Contains(s, `"`)) {
			t.Fatalf("parse257(%q) = %q", s, p)
		}
	})
}

func FuzzParseTimeVal(f *testing.F) {
	for _, s := range []string{"20240229235959", "20240229235959.123", "2024", "20241301000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := parseTimeVal(s)
		if ok && (tm.Year() < 0 || tm.Year() > 9999) {
			t.Fatalf("parseTimeVal(%q) = %v", s, tm)
		}
	})
}
