package proto

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	for _, tc := range []struct {
		in    string
		code  int
		lines []string
		err   bool
	}{
		{in: "200 ok\r\n", code: 200, lines: []string{"ok"}},
		{in: "200\r\n", code: 200, lines: []string{""}},
		{in: "200 bare LF\n", code: 200, lines: []string{"bare LF"}},
		{in: "123-First\r\nSecond\r\n234 numbers\r\n123 End\r\n", code: 123, lines: []string{"First", "Second", "234 numbers", "End"}},
		{in: "211-x\r\n211-still going\r\n211 end\r\n", code: 211, lines: []string{"x", "211-still going", "end"}},
		{in: "600 bad\r\n", err: true},
		{in: "2x0 bad\r\n", err: true},
		{in: "20\r\n", err: true},
		{in: "200x\r\n", err: true},
		{in: "200-unterminated\r\n", err: true},
		{in: "", err: true},
	} {
		r := NewReader(strings.NewReader(tc.in))
		rep, err := r.ReadReply()
		if tc.err {
			if err == nil {
				t.Errorf("ReadReply(%q) = %+v, want error", tc.in, rep)
			}
			continue
		}
		if err != nil || rep.Code != tc.code || strings.Join(rep.Lines, "|") != strings.Join(tc.lines, "|") {
			t.Errorf("ReadReply(%q) = %+v, %v; want %d %q", tc.in, rep, err, tc.code, tc.lines)
		}
	}
}

func TestCommand(t *testing.T) {
	b, err := Command("RETR", "a b.txt")
	if err != nil || string(b) != "RETR a b.txt\r\n" {
		t.Errorf("Command = %q, %v", b, err)
	}
	for _, bad := range []string{"a\r\nb", "a\nb", "a\x00b", "x\r"} {
		if _, err := Command("RETR", bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Command(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if b, err := Command("XSHA256", "f"); err != nil || string(b) != "XSHA256 f\r\n" {
		t.Errorf("Command(XSHA256) = %q, %v", b, err)
	}
	if _, err := Command("RE-TR", ""); err == nil {
		t.Error("non-alphabetic verb accepted")
	}
	if _, err := Command("STOR", strings.Repeat("a", MaxCommand)); err == nil {
		t.Error("oversized command accepted")
	}
	if got := Redact("pass", "secret"); got != "PASS ****" {
		t.Errorf("Redact = %q", got)
	}
	if got := Redact("ACCT", "secret"); got != "ACCT ****" {
		t.Errorf("Redact = %q", got)
	}
}

// FuzzReadReply: no panic, bounded output, and every reply read is valid.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"200 ok\r\n", "123-a\r\n123 b\r\n", "211-x\n 211 y\n211 z\n", "999 x\r\n", strings.Repeat("1", 9000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		total := 0
		for {
			rep, err := r.ReadReply()
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if rep.Code < 100 || rep.Code > 599 {
				t.Fatalf("code %d out of range", rep.Code)
			}
			for _, l := range rep.Lines {
				if len(l) > MaxLine {
					t.Fatalf("line of %d bytes", len(l))
				}
				total += len(l)
			}
			if total > len(in) {
				t.Fatalf("read %d bytes of text from %d bytes of input", total, len(in))
			}
		}
	})
}
