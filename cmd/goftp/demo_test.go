package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs "goftp demo" as the README's first command does and
// checks the narrated session: every step, the dialogue with the
// password masked, a successful exit, and nothing left behind.
func TestDemo(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // to see that the demo cleans up after itself
	r := runGoftp(t, "", "demo", "-v")
	r.want(t, 0, []string{
		"== Starting a server",
		"< 220 ",
		"> USER user\n< 331 ",
		"> PASS ****\n< 230 ",
		"> PWD\n< 257 \"/\"",
		"> CWD pub\n< 250 ",
		"> MLSD\n< 150 ",
		"hello.txt\n",
		"> RETR data.bin\n", // EPSV and RETR may go out together: the 150 follows the 229
		"< 150 Using transfer connection\n< 226 ",
		"SHA-256 of the download matches",
		"> STOR /uploads/hello-from-goftp.txt\n",
		"< 213 28\n",
		"   get   pub/data.bin\n",
		"   mkdir pub/docs\n",
		"mirror: 6 files (3.0 MiB) transferred, 3 directories created, 0 files up to date",
		"mirror: 0 files (0 B) transferred, 0 directories created, 6 files up to date",
		"> QUIT\n< 221 ",
		"Done: the server is closed and the temporary files are removed.",
	}, nil)
	if r.stderr != "" {
		t.Errorf("stderr = %q, want nothing", r.stderr)
	}
	if strings.Contains(r.stdout, "PASS pass") || strings.Contains(r.stdout, "> PASS "+"pass") {
		t.Error("the dialogue shows the password")
	}
	// Not a terminal: one plain line for the download, no escapes.
	if !regexp.MustCompile(`(?m)^data\.bin  3\.0 MiB in \S+ \(\S+ \S+/s\)$`).MatchString(r.stdout) {
		t.Errorf("no plain progress line for data.bin in:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("terminal escapes in output that is not a terminal")
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Errorf("the demo left %q behind", left)
	}
}

// TestDemoShort checks the default demo: one line per step, no protocol
// dialogue, short enough for a terminal, and the same checks passed.
func TestDemoShort(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	r := runGoftp(t, "", "demo")
	r.want(t, 0, []string{
		"goftp demo -v shows every command and reply",
		"  login   greeted with \"220 ",
		"  pwd     /\n",
		"  ls -l   3 entries",
		"hello.txt\n",
		"SHA-256 of the download matches",
		"SIZE confirms 28\n",
		"2 connections: 6 files (3.0 MiB), 3 directories, 0 up to date\n",
		"only what changed: 0 files (0 B), 0 directories, 6 up to date\n",
		"  quit    bye\n",
	}, nil)
	if n := strings.Count(r.stdout, "\n"); n > 24 {
		t.Errorf("the short demo has %d lines, more than a 24-line terminal:\n%s", n, r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "> ") || strings.HasPrefix(line, "< ") || len(line) > 100 {
			t.Errorf("line %q: dialogue or too wide for the short demo", line)
		}
	}
}

// TestDemoCancelled checks that an interrupted demo (Ctrl-C) stops
// with status 1 and still cleans up.
func TestDemoCancelled(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := runCtx(ctx, "", "demo")
	r.want(t, exitInterrupted, nil, []string{"goftp: interrupted"})
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Errorf("the demo left %q behind", left)
	}
}
