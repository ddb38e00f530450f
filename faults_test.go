package ftp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const faultTimeout = 500 * time.Millisecond

// within runs f and fails the test if it takes much longer than the
// client's timeout: nothing may hang past it.
func within(t *testing.T, limit time.Duration, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if el := time.Since(start); el > limit+10*time.Second { // generous: the machine may be loaded; a hang is unbounded
		t.Errorf("call took %v, limit %v", el, limit)
	}
}

func faultDialer() *ftp.Dialer { return &ftp.Dialer{Timeout: faultTimeout} }

// usableOrClosed checks the Conn's state after a fault: closed (any call
// returns net.ErrClosed) or usable (NOOP works, given the script has it).
func mustBeClosed(t *testing.T, c *ftp.Conn) {
	t.Helper()
	if _, err := c.Noop(t.Context()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("after the fault, Noop = %v; want the Conn closed", err)
	}
}

func TestFaultClosedBeforeGreeting(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, step{Raw: []byte{}, Close: true})
	within(t, faultTimeout, func() {
		_, err := faultDialer().Dial(t.Context(), srv.Addr)
		if !errors.Is(err, io.EOF) {
			t.Errorf("Dial = %v, want an error wrapping io.EOF", err)
		}
	})
}

func TestFaultGreetingNeverComes(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, step{Hang: true})
	within(t, faultTimeout, func() {
		_, err := faultDialer().Dial(t.Context(), srv.Addr)
		if err == nil || !strings.Contains(err.Error(), "no activity") {
			t.Errorf("Dial = %v, want an inactivity timeout", err)
		}
	})
}

func TestFaultClosedMidReply(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "NOOP", Raw: []byte("200-first line\r\nsecond"), Close: true},
	})...)
	login(t, c)
	within(t, faultTimeout, func() {
		_, err := c.Noop(t.Context())
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Noop = %v, want io.ErrUnexpectedEOF", err)
		}
	})
	mustBeClosed(t, c)
}

func TestFaultMultiLineNeverEnds(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "NOOP", Raw: []byte("200-first line\r\nsecond\r\n")},
		{Hang: true},
	})...)
	login(t, c)
	within(t, faultTimeout, func() {
		_, err := c.Noop(t.Context())
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(errString(err), "no activity") {
			t.Errorf("Noop = %v, want an inactivity timeout", err)
		}
	})
	mustBeClosed(t, c)
}

func TestFaultHugeReplies(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"1 MiB line":         "200 " + strings.Repeat("x", 1<<20) + "\r\n",
		"100000-line reply":  "200-start\r\n" + strings.Repeat("a line of text here\r\n", 100000) + "200 end\r\n",
		"line of 8193 bytes": "200 " + strings.Repeat("y", 8189) + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{{Cmd: "NOOP", Raw: []byte(raw), Close: true, WriteMayFail: true}})...)
			login(t, c)
			within(t, faultTimeout, func() {
				_, err := c.Noop(t.Context())
				var pe *ftp.ProtocolError
				if !errors.As(err, &pe) {
					t.Errorf("Noop = %v, want *ProtocolError", err)
				}
			})
			mustBeClosed(t, c)
		})
	}
	// A long but bounded multi-line reply is read whole.
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "NOOP", Raw: []byte("200-start\r\n" + strings.Repeat("1\r\n", 100000) + "200 end\r\n")},
	})...)
	login(t, c)
	rep, err := c.Noop(t.Context())
	if err != nil || strings.Count(rep.Msg, "\n") != 100001 {
		t.Errorf("Noop = %d lines, %v", strings.Count(rep.Msg, "\n"), err)
	}
}

// retrScript is a download whose data and final reply are given.
func retrScript(tail ...step) []step {
	return script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
	}, tail)
}

func TestFaultControlClosedAfter150(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 go", Data: []byte("partial"), Close: true},
	)...)
	login(t, c)
	var buf bytes.Buffer
	within(t, faultTimeout, func() {
		_, err := c.RetrBinary(t.Context(), "f", &buf, 0)
		if err == nil {
			t.Errorf("RetrBinary succeeded without a final reply; got %q", buf.String())
		}
	})
	mustBeClosed(t, c)
}

func TestFaultSilenceAfter150(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 go"},
		step{Hang: true},
	)...)
	login(t, c)
	within(t, faultTimeout*3, func() {
		_, err := c.RetrBinary(t.Context(), "f", io.Discard, 0)
		if err == nil || !strings.Contains(err.Error(), "no activity") {
			t.Errorf("RetrBinary = %v, want an inactivity timeout", err)
		}
	})
	mustBeClosed(t, c)
}

func TestFaultFinalReplyNeverComes(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 go", Data: []byte("all of it")},
		step{Hang: true},
	)...)
	login(t, c)
	within(t, faultTimeout, func() {
		_, err := c.RetrBinary(t.Context(), "f", io.Discard, 0)
		if err == nil {
			t.Error("RetrBinary succeeded without 226")
		}
	})
	mustBeClosed(t, c)
}

func TestFaultDataResetMidTransfer(t *testing.T) {
	t.Parallel()
	// The server closes the data connection early and says so.
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 go", Data: []byte("half")},
		step{Reply: "426 Connection reset; transfer aborted"},
		step{Cmd: "NOOP", Reply: "200 ok"},
	)...)
	login(t, c)
	n, err := c.RetrBinary(t.Context(), "f", io.Discard, 0)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 426 || !ftp.IsTransient(err) {
		t.Errorf("RetrBinary = %d, %v; want a transient 426", n, err)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn not usable after a failed transfer: %v", err)
	}
}

func TestFaultTruncatedDownload(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 Opening BINARY mode data connection for f (100 bytes)", Data: bytes.Repeat([]byte("z"), 60)},
		step{Reply: "226 done"},
	)...)
	login(t, c)
	n, err := c.RetrBinary(t.Context(), "f", io.Discard, 0)
	if !errors.Is(err, ftp.ErrShortTransfer) || n != 60 {
		t.Errorf("RetrBinary = %d, %v; want 60 bytes and ErrShortTransfer", n, err)
	}
}

func TestFault421Anywhere(t *testing.T) {
	t.Parallel()
	for name, steps := range map[string][]step{
		"after USER": {{Reply: "220 hi"}, {Cmd: "USER anonymous", Reply: "421 Service not available, closing control connection.", Close: true}},
		"at EPSV":    retrScript()[:len(loginSteps)+1],
		"after 150":  retrScript(step{Cmd: "RETR f", Reply: "150 go", Data: []byte("x")}, step{Reply: "421 shutting down", Close: true}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "at EPSV" {
				steps = append(steps, step{Cmd: "EPSV", Reply: "421 Timeout.", Close: true})
			}
			c, _ := dialScript(t, faultDialer(), steps...)
			var err error
			within(t, faultTimeout, func() {
				if name == "after USER" {
					_, err = c.Login(t.Context(), "", "")
				} else {
					login(t, c)
					_, err = c.RetrBinary(t.Context(), "f", io.Discard, 0)
				}
			})
			var re *ftp.ReplyError
			if !errors.As(err, &re) || re.Code != 421 || !errors.Is(err, ftp.ErrTemporary) {
				t.Errorf("err = %v, want a 421 ReplyError", err)
			}
			mustBeClosed(t, c)
		})
	}
}

func TestFaultActiveConnectionFromForeignAddress(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: faultTimeout, Active: true}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPRT |1|127.0.0.1|*", Reply: "200 ok"},
		{Cmd: "RETR f", Reply: "150 go", Data: []byte("evil"), ActiveFrom: "127.0.0.2", DataMayFail: true},
	})...)
	login(t, c)
	var buf bytes.Buffer
	within(t, faultTimeout, func() {
		_, err := c.RetrBinary(t.Context(), "f", &buf, 0)
		if err == nil || buf.Len() > 0 {
			t.Errorf("RetrBinary = %v with %q; want a refusal of the foreign data connection", err, buf.String())
		}
	})
}

func TestFaultRESTRefusedDuringResume(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f", Reply: "213 1000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 100", Reply: "502 REST not implemented"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	var buf bytes.Buffer
	_, err := c.RetrBinary(t.Context(), "f", &buf, 100)
	if !errors.Is(err, ftp.ErrPermanent) || buf.Len() > 0 {
		t.Errorf("RetrBinary with refused REST = %v, %q", err, buf.String())
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn not usable after a refused REST: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
