package ftp_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/goftplib/ftp"
)

// TestLoginPipelinedOnKnownServer checks the first login to a server
// whose greeting names software tested to take it (vsftpd here): USER,
// PASS and FEAT go out in one write (the script answers only after reading
// all three), OPTS UTF8 ON follows as FEAT lists UTF8, and FEAT is not
// asked again.
func TestLoginPipelinedOnKnownServer(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 (vsFTPd 3.0.5)"},
		step{Cmd: "USER anonymous"},
		step{Cmd: "PASS anonymous@"},
		step{Cmd: "FEAT", Reply: "331 Please specify the password.\n230 Login successful.\n211-Features:\n EPSV\n MDTM\n UTF8\n211 End"},
		step{Cmd: "OPTS UTF8 ON", Reply: "200 Always in UTF8 mode."},
		step{Cmd: "NOOP", Reply: "200 ok"},
		step{Cmd: "QUIT", Reply: "221 bye"},
	)
	login(t, c)
	f, err := c.Features(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f["MDTM"]; !ok || len(f) != 3 {
		t.Errorf("features %v, want EPSV, MDTM and UTF8", f)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Noop: %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

// TestLoginPipelinedRefused checks a wrong password in a pipelined login:
// the FEAT sent with it is answered 530 and read, the error is the PASS
// refusal, and the Conn stays in step for another try.
func TestLoginPipelinedRefused(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ProFTPD Server (Debian) [127.0.0.1]"},
		step{Cmd: "USER u"},
		step{Cmd: "PASS bad"},
		step{Cmd: "FEAT", Reply: "331 Password required for u\n530 Login incorrect.\n530 Please login with USER and PASS"},
		step{Cmd: "USER u"},
		step{Cmd: "PASS good"},
		step{Cmd: "FEAT", Reply: "331 Password required for u\n230 User u logged in\n211-Features:\n SIZE\n211 End"},
		step{Cmd: "QUIT", Reply: "221 bye"},
	)
	_, err := c.Login(t.Context(), "u", "bad")
	var re *ftp.ReplyError
	if !errors.Is(err, ftp.ErrLoginRefused) || !errors.As(err, &re) || re.Code != 530 || !strings.HasPrefix(re.Cmd, "PASS") {
		t.Fatalf("Login = %v, want the 530 to PASS", err)
	}
	if _, err := c.Login(t.Context(), "u", "good"); err != nil {
		t.Fatalf("second Login: %v", err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

// TestLoginPipelinedHangUp checks a server that closes the connection
// after refusing the password, before answering what was sent with it:
// the error is still the refusal, not the closed connection.
func TestLoginPipelinedHangUp(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\n220 You will be disconnected after 15 minutes of inactivity."},
		step{Cmd: "USER u"},
		step{Cmd: "PASS bad"},
		step{Cmd: "FEAT", Reply: "331 Username ok, send password.\n530 Authentication failed.", Close: true},
	)
	_, err := c.Login(t.Context(), "u", "bad")
	var re *ftp.ReplyError
	if !errors.Is(err, ftp.ErrLoginRefused) || !errors.As(err, &re) || re.Code != 530 {
		t.Fatalf("Login = %v, want the 530 to PASS", err)
	}
}

// TestLoginPipelinedOutOfOrder checks a server that answers the FEAT sent
// with PASS before PASS itself (as pyftpdlib does while it delays a 530):
// the 211 is not taken for PASS's answer; the login fails as out of step
// and the connection is closed.
func TestLoginPipelinedOutOfOrder(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ProFTPD Server ready."},
		step{Cmd: "USER u"},
		step{Cmd: "PASS bad"},
		step{Cmd: "FEAT", Reply: "331 Username ok, send password.\n211-Features:\n SIZE\n211 End\n530 Authentication failed."},
	)
	_, err := c.Login(t.Context(), "u", "bad")
	var pe *ftp.ProtocolError
	if !errors.As(err, &pe) || errors.Is(err, ftp.ErrLoginRefused) {
		t.Fatalf("Login = %v, want a ProtocolError", err)
	}
	if _, err := c.Noop(t.Context()); err == nil {
		t.Errorf("Noop after an out-of-step login succeeded; want the connection closed")
	}
}

// TestLoginLockstepOnUnknownServer checks that a server whose greeting
// names no tested software gets one login command at a time: the script
// answers each before the next is sent.
func TestLoginLockstepOnUnknownServer(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 Microsoft FTP Service"},
		step{Cmd: "USER anonymous", Reply: "331 password"},
		step{Cmd: "PASS anonymous@", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "211-Features:\n UTF8\n211 End"},
		step{Cmd: "OPTS UTF8 ON", Reply: "200 ok"},
	)
	login(t, c)
}
