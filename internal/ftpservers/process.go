//go:build linux

package ftpservers

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	defaultStartTimeout = 20 * time.Second
	startAttempts       = 5
	stopGrace           = 3 * time.Second
)

// process is a started server process, leader of its own process group.
type process struct {
	cmd       *exec.Cmd
	keepalive *os.File      // write end of the watchdog pipe
	done      chan struct{} // closed when Wait returned
	err       error         // Wait's result, valid after done
}

// watchdog runs the server ("$0" "$@") with the same PID, in the process
// group that Start created, next to a subshell that kills the whole group
// once the pipe on fd 3 reaches EOF, i.e. when the Go process exits or
// dies without calling Close. (Pdeathsig alone is not enough: the kernel
// clears it when a server changes its uid, as ProFTPD does.)
const watchdog = `(read x <&3; kill -KILL 0) & exec 3<&-; exec "$0" "$@"`

// startProcess starts cmd in a new process group with stdout and stderr
// appended to logPath, guarded by the watchdog.
func startProcess(cmd *exec.Cmd, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	wrapped := exec.Command("/bin/sh", append([]string{"-c", watchdog, cmd.Path}, cmd.Args[1:]...)...)
	wrapped.Dir = cmd.Dir
	wrapped.Env = cmd.Env
	wrapped.Stdout = f
	wrapped.Stderr = f
	wrapped.ExtraFiles = []*os.File{r}
	wrapped.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := wrapped.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("ftpservers: start %s: %w", cmd.Path, err)
	}
	p := &process{cmd: wrapped, keepalive: w, done: make(chan struct{})}
	go func() {
		p.err = wrapped.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace,
// and finally SIGKILL to whatever is left in the group (session children).
func (p *process) stop() error {
	pgid := p.cmd.Process.Pid
	if !p.exited() {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Session processes forked by the server and the watchdog stay in the
	// group.
	err := syscall.Kill(-pgid, syscall.SIGKILL)
	p.keepalive.Close()
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("ftpservers: kill process group %d: %w", pgid, err)
	}
	return nil
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("ftpservers: no free port on %s: %w", host, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port, nil
}

// run starts the server process on a free port and waits until it greets.
// It retries with another port when the port was taken in between.
func (s *Server) run(ctx context.Context) error {
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		port, err := freePort(s.Host)
		if err != nil {
			return err
		}
		s.Port = port
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(port))
		for _, f := range s.LogFiles { // fresh logs for every attempt
			_ = os.Truncate(f, 0)
		}
		cmd, err := s.command()
		if err != nil {
			return err
		}
		p, err := startProcess(cmd, s.LogFiles[0])
		if err != nil {
			return err
		}
		s.PID = p.cmd.Process.Pid
		err = s.waitReady(ctx, p)
		if err == nil {
			s.proc = p
			return nil
		}
		p.stop()
		logs := s.Logs()
		lastErr = fmt.Errorf("ftpservers: starting %s on %s (%s): %w\n%s", s.Kind, s.Addr, s.Config.TLS, err, logs)
		if ctx.Err() != nil || !strings.Contains(strings.ToLower(logs), "in use") {
			return lastErr
		}
	}
	return lastErr
}

// waitReady waits until the server answers 220 on s.Addr.
func (s *Server) waitReady(ctx context.Context, p *process) error {
	var lastErr error
	for {
		if p.exited() {
			return fmt.Errorf("server exited: %v (last probe: %v)", p.err, lastErr)
		}
		err := s.probe(ctx)
		if err == nil {
			// Make sure the answer came from our process and not from
			// something else that grabbed the port.
			time.Sleep(20 * time.Millisecond)
			if p.exited() {
				return fmt.Errorf("server exited: %v", p.err)
			}
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return err
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last probe: %v)", ctx.Err(), lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type permanentError struct{ error }

// probe connects once, reads the greeting and sends QUIT.
func (s *Server) probe(ctx context.Context) error {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var c net.Conn = conn
	if s.Config.TLS == TLSImplicit {
		tc := tls.Client(conn, s.TLSConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("implicit TLS handshake: %w", err)
		}
		c = tc
	}
	r := textproto.NewReader(bufio.NewReader(c))
	code, msg, err := r.ReadResponse(0)
	if err != nil {
		return fmt.Errorf("reading greeting: %w", err)
	}
	if code != 220 {
		return &permanentError{fmt.Errorf("greeting: %d %s", code, msg)}
	}
	fmt.Fprintf(c, "QUIT\r\n")
	r.ReadResponse(0)
	return nil
}
