package ftp_test

import (
	"errors"
	"io/fs"
	"testing"
)

// TestCheckDirOneRoundTrip: CheckDir without MLST sends PWD, CWD, one
// CDUP per level and PWD in one write (the server answers only once it
// has read the last), then, the working directory known, CWD there and
// back in one write. A directory reached through a link (the second PWD
// names another directory) is left with CWD to the first; a missing one
// matches fs.ErrNotExist and the session stays where it was.
func TestCheckDirOneRoundTrip(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "PWD"},
		{Cmd: "CWD a/b"},
		{Cmd: "CDUP"},
		{Cmd: "CDUP"},
		{Cmd: "PWD", Reply: "257 \"/home/u\"\n250 ok\n250 ok\n250 ok\n257 \"/home/u\""},
		// The working directory is known now.
		{Cmd: "CWD link"},
		{Cmd: "CWD /home/u", Reply: "250 ok\n250 ok"},
		{Cmd: "CWD missing"},
		{Cmd: "CWD /home/u", Reply: "550 no such directory\n250 ok"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	ctx := t.Context()
	if err := c.CheckDir(ctx, "a/b"); err != nil {
		t.Fatalf("CheckDir(a/b) = %v", err)
	}
	if err := c.CheckDir(ctx, "link"); err != nil {
		t.Fatalf("CheckDir(link) = %v", err)
	}
	if err := c.CheckDir(ctx, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckDir(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop after = %v", err)
	}
}

// TestCheckDirThroughLink: after CWD into a link and CDUP, PWD names
// another directory: CWD to the first restores the session.
func TestCheckDirThroughLink(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "PWD", Reply: `257 "/home/u"`},
		{Cmd: "CWD link", Reply: "250 ok"},
		{Cmd: "CDUP", Reply: "250 ok"},
		{Cmd: "PWD", Reply: `257 "/srv"`},
		{Cmd: "CWD /home/u", Reply: "250 ok"},
		{Cmd: "PWD", Reply: `257 "/home/u"`},
	})...)
	login(t, c)
	if err := c.CheckDir(t.Context(), "link"); err != nil {
		t.Fatalf("CheckDir(link) = %v", err)
	}
	if wd, err := c.Pwd(t.Context()); err != nil || wd != "/home/u" {
		t.Errorf("Pwd after = %q, %v; want /home/u", wd, err)
	}
}
