//go:build linux

// Package proxies starts real proxies on loopback for tests: microsocks
// (SOCKS5, with or without a username and password) and tinyproxy (HTTP
// CONNECT, with or without Basic authentication), each on a free port,
// and reads from their logs which connections they made.
//
// Both are Debian packages (microsocks, tinyproxy) installed by
// interop/servers/install.sh. A proxy that is not installed makes Start
// fail with an error matching ErrNotInstalled; tests skip then, unless
// FTP_INTEROP=required.
package proxies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Kind is a proxy program.
type Kind string

const (
	SOCKS5 Kind = "socks5" // microsocks
	HTTP   Kind = "http"   // tinyproxy, CONNECT only
)

// listenHost is the proxies' address: a loopback address other than the
// servers' (127.0.0.1), so that a data connection sent to the control
// connection's peer address (the proxy's) instead of the server's fails.
const listenHost = "127.0.0.2"

// ErrNotInstalled: the proxy's program is not on PATH.
var ErrNotInstalled = errors.New("proxies: not installed")

// Config selects a proxy.
type Config struct {
	Kind     Kind
	User     string // with Password: the proxy asks for them
	Password string
	// ConnectPorts, for HTTP, are the only ports CONNECT may reach
	// (tinyproxy's ConnectPort; its packaged configuration allows 443
	// and 563 only). Empty: every port.
	ConnectPorts []int
}

// Proxy is a running proxy.
type Proxy struct {
	Config
	Addr string   // 127.0.0.2:port
	URL  *url.URL // scheme://[user:password@]Addr

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	dir  string
}

func program(k Kind) string {
	if k == HTTP {
		return "tinyproxy"
	}
	return "microsocks"
}

// Available reports whether the program of kind k is installed.
func Available(k Kind) error {
	if _, err := exec.LookPath(program(k)); err != nil {
		return fmt.Errorf("%w: %s (%s; bash interop/servers/install.sh installs it)", ErrNotInstalled, program(k), err)
	}
	return nil
}

// Required reports whether FTP_INTEROP=required, which turns a missing
// proxy into a test failure.
func Required() bool { return os.Getenv("FTP_INTEROP") == "required" }

// Start starts a proxy on a free loopback port and waits until it
// accepts connections. The caller must Close it.
func Start(ctx context.Context, cfg Config) (*Proxy, error) {
	if err := Available(cfg.Kind); err != nil {
		return nil, err
	}
	var last error
	for range 5 {
		p, err := start(ctx, cfg)
		if err == nil {
			return p, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, last
}

func start(ctx context.Context, cfg Config) (*Proxy, error) {
	l, err := net.Listen("tcp", listenHost+":0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &Proxy{Config: cfg, Addr: net.JoinHostPort(listenHost, strconv.Itoa(port)), out: &syncBuffer{}, done: make(chan struct{})}
	p.URL = &url.URL{Scheme: string(cfg.Kind), Host: p.Addr}
	if cfg.User != "" {
		p.URL.User = url.UserPassword(cfg.User, cfg.Password)
	}
	var args []string
	switch cfg.Kind {
	case SOCKS5:
		args = []string{"-i", listenHost, "-p", strconv.Itoa(port)}
		if cfg.User != "" {
			args = append(args, "-u", cfg.User, "-P", cfg.Password)
		}
	case HTTP:
		dir, err := os.MkdirTemp("", "goftplib-tinyproxy-")
		if err != nil {
			return nil, err
		}
		p.dir = dir
		conf := fmt.Sprintf("Port %d\nListen %s\nTimeout 60\nLogLevel Info\nMaxClients 100\nAllow 127.0.0.0/8\nPidFile %q\n",
			port, listenHost, filepath.Join(dir, "tinyproxy.pid"))
		// No ConnectPort line: CONNECT to every port is allowed.
		for _, port := range cfg.ConnectPorts {
			conf += fmt.Sprintf("ConnectPort %d\n", port)
		}
		if cfg.User != "" {
			conf += fmt.Sprintf("BasicAuth %s %s\n", cfg.User, cfg.Password)
		}
		path := filepath.Join(dir, "tinyproxy.conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		args = []string{"-d", "-c", path}
	default:
		return nil, fmt.Errorf("proxies: unknown kind %q", cfg.Kind)
	}
	p.cmd = exec.Command(program(cfg.Kind), args...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("proxies: start %s: %w", program(cfg.Kind), err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.done:
			p.cleanup()
			return nil, fmt.Errorf("proxies: %s exited at start: %s", program(cfg.Kind), p.out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.Close()
			return nil, fmt.Errorf("proxies: %s not listening on %s: %v", program(cfg.Kind), p.Addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops the proxy.
func (p *Proxy) Close() error {
	select {
	case <-p.done:
	default:
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	p.cleanup()
	return nil
}

func (p *Proxy) cleanup() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Log returns what the proxy has logged so far.
func (p *Proxy) Log() string { return p.out.String() }

var (
	socksTarget = regexp.MustCompile(`connected to (\S+)`)
	httpTarget  = regexp.MustCompile(`Request \(file descriptor \d+\): CONNECT (\S+) HTTP`)
)

// Targets returns the addresses (host:port) the proxy was asked to connect
// to, in order, as its log shows them.
func (p *Proxy) Targets() []string {
	re := socksTarget
	if p.Kind == HTTP {
		re = httpTarget
	}
	var ts []string
	for _, m := range re.FindAllStringSubmatch(p.Log(), -1) {
		t := m[1]
		if i := strings.LastIndexByte(t, ':'); strings.Count(t, ":") > 1 && !strings.HasPrefix(t, "[") {
			t = net.JoinHostPort(t[:i], t[i+1:]) // microsocks writes ::1:21
		}
		ts = append(ts, t)
	}
	return ts
}

// WaitTargets waits until the log shows at least n targets (the proxies
// log a connection as they make it, possibly just after the client saw
// it) and returns them.
func (p *Proxy) WaitTargets(n int, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		ts := p.Targets()
		if len(ts) >= n || time.Now().After(deadline) {
			return ts
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *Proxy) String() string {
	s := string(p.Kind) + " proxy " + p.Addr
	if p.User != "" {
		s += " (auth)"
	}
	return s
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Clone(b.b.String())
}
