//go:build linux

package ftpservers

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

// templatesDir finds interop/servers (the configuration templates):
// $FTPSERVERS_TEMPLATES, else relative to this source file, else in the
// working directory or one of its parents.
func templatesDir() (string, error) {
	ok := func(d string) bool {
		st, err := os.Stat(filepath.Join(d, "vsftpd", "vsftpd.conf.tmpl"))
		return err == nil && !st.IsDir()
	}
	if d := os.Getenv("FTPSERVERS_TEMPLATES"); d != "" {
		if ok(d) {
			return d, nil
		}
		return "", fmt.Errorf("templates not found in $FTPSERVERS_TEMPLATES=%s", d)
	}
	if _, file, _, found := runtime.Caller(0); found && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "..", "..", "interop", "servers")
		if ok(d) {
			return filepath.Clean(d), nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if c := filepath.Join(d, "interop", "servers"); ok(c) {
				return c, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("templates directory interop/servers not found (set $FTPSERVERS_TEMPLATES)")
}

// systemUser returns the uid and gid of the system account used for the
// write user (created by install.sh).
func systemUser() (uid, gid int, err error) {
	u, err := user.Lookup(ftpUser)
	if err != nil {
		return 0, 0, err
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, err
	}
	gid, err = strconv.Atoi(u.Gid)
	return uid, gid, err
}

var (
	cryptOnce sync.Once
	cryptHash string
	cryptErr  error
)

// passwordHash returns a SHA-512 crypt(3) hash of the password (fast to
// verify, unlike the scrypt/argon2 hashes pure-pw would choose).
func passwordHash() (string, error) {
	cryptOnce.Do(func() {
		out, err := exec.Command("openssl", "passwd", "-6", "-salt", "goftplibInterop", ftpPassword).Output()
		if err != nil {
			cryptErr = fmt.Errorf("ftpservers: openssl passwd -6: %w", err)
			return
		}
		cryptHash = strings.TrimSpace(string(out))
		if !strings.HasPrefix(cryptHash, "$6$") {
			cryptErr = fmt.Errorf("ftpservers: unexpected openssl passwd output %q", cryptHash)
		}
	})
	return cryptHash, cryptErr
}

// Paths of one instance, below Server.TempDir.
func (s *Server) path(elem ...string) string {
	return filepath.Join(append([]string{s.TempDir}, elem...)...)
}

// prepareDirs creates TempDir with the FTP roots, log and config
// directories and the TLS files.
func (s *Server) prepareDirs() error {
	dir, err := os.MkdirTemp("", "ftpservers-"+string(s.Kind)+"-")
	if err != nil {
		return err
	}
	s.TempDir = dir
	// Servers check paths as the (unprivileged) session user: the tree
	// must be traversable, but not writable by others.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"conf", "log", "home", "anon", "empty"} {
		if err := os.Mkdir(s.path(d), 0o755); err != nil {
			return err
		}
	}
	s.Dir = s.path("home")
	if s.Caps.Anonymous.Supported {
		s.AnonDir = s.path("anon")
	}
	if s.Kind != Pyftpdlib {
		uid, gid, err := systemUser()
		if err != nil {
			return fmt.Errorf("ftpservers: system user %s: %w", ftpUser, err)
		}
		if err := os.Chown(s.Dir, uid, gid); err != nil {
			return err
		}
		s.UID, s.GID = uid, gid
	}
	s.LogFiles = []string{s.path("log", "output.log")}

	p, err := getPKI()
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.pem":      p.caPEM,
		"cert.pem":    p.certPEM,
		"key.pem":     p.keyPEM,
		"certkey.pem": append(append([]byte{}, p.certPEM...), p.keyPEM...),
	}
	for name, data := range files {
		if err := os.WriteFile(s.path("conf", name), data, 0o600); err != nil {
			return err
		}
	}
	s.CAFile = s.path("conf", "ca.pem")
	s.CertPool = p.pool
	if s.Config.TLSMaxVersion == tls.VersionTLS12 {
		// Read by OpenSSL at initialization in every server process.
		conf := "openssl_conf = default_conf\n\n[default_conf]\nssl_conf = ssl_sect\n\n" +
			"[ssl_sect]\nsystem_default = system_default_sect\n\n" +
			"[system_default_sect]\nMinProtocol = TLSv1.2\nMaxProtocol = TLSv1.2\n"
		if err := os.WriteFile(s.path("conf", "openssl.cnf"), []byte(conf), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// tmplData is the data available to the configuration templates.
type tmplData struct {
	S           *Server
	Port        int
	IPv6        bool
	TLS         bool // explicit or implicit
	Implicit    bool
	Reuse       bool // require TLS session reuse on data connections
	TLS12       bool // cap at TLS 1.2
	Prefix      string
	Conf        string // config directory
	LogDir      string
	Empty       string // empty, root-owned directory
	CertFile    string
	KeyFile     string
	CertKeyFile string // certificate followed by key
	PAMService  string
	SysUser     string // system account of the write user
	UID, GID    int
	MaxClients  int // most simultaneous control connections
}

func (s *Server) data() (*tmplData, error) {
	d := &tmplData{
		S:           s,
		Port:        s.Port,
		IPv6:        s.Config.IPv6,
		TLS:         s.Config.TLS != TLSNone,
		Implicit:    s.Config.TLS == TLSImplicit,
		Reuse:       !s.Config.NoSSLReuse,
		TLS12:       s.Config.TLSMaxVersion == tls.VersionTLS12,
		Prefix:      filepath.Join(Prefix(), string(s.Kind)),
		Conf:        s.path("conf"),
		LogDir:      s.path("log"),
		Empty:       s.path("empty"),
		CertFile:    s.path("conf", "cert.pem"),
		KeyFile:     s.path("conf", "key.pem"),
		CertKeyFile: s.path("conf", "certkey.pem"),
		PAMService:  pamService,
		SysUser:     ftpUser,
		MaxClients:  50,
	}
	if s.Config.MaxClients > 0 {
		d.MaxClients = s.Config.MaxClients
	}
	if s.Kind != Pyftpdlib {
		var err error
		if d.UID, d.GID, err = systemUser(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// render fills the template interop/servers/<kind>/<name>.tmpl into the
// config directory and returns the written file's path.
func (s *Server) render(name string, d *tmplData) (string, error) {
	dir, err := templatesDir()
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, string(s.Kind), name+".tmpl")
	t, err := template.New(filepath.Base(src)).Option("missingkey=error").ParseFiles(src)
	if err != nil {
		return "", fmt.Errorf("ftpservers: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("ftpservers: %s: %w", src, err)
	}
	dst := s.path("conf", name)
	return dst, os.WriteFile(dst, b.Bytes(), 0o600)
}

func (s *Server) addLog(path string) {
	for _, f := range s.LogFiles {
		if f == path {
			return
		}
	}
	s.LogFiles = append(s.LogFiles, path)
}

// command writes the configuration for s.Port and returns the command that
// runs the server in the foreground.
func (s *Server) command() (*exec.Cmd, error) {
	d, err := s.data()
	if err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	switch s.Kind {
	case Vsftpd:
		conf, err := s.render("vsftpd.conf", d)
		if err != nil {
			return nil, err
		}
		s.addLog(s.path("log", "vsftpd.log"))
		cmd = exec.Command(filepath.Join(d.Prefix, "usr/sbin/vsftpd"), conf)

	case ProFTPD:
		// Virtual users: the write user (uid of the system user) and "ftp"
		// for anonymous access.
		hash, err := passwordHash()
		if err != nil {
			return nil, err
		}
		passwd := fmt.Sprintf("%s:%s:%d:%d::%s:/bin/false\nftp:*:65534:65534::%s:/bin/false\n",
			ftpUser, hash, d.UID, d.GID, s.Dir, s.AnonDir)
		group := fmt.Sprintf("%s:x:%d:\nftp:x:65534:\n", ftpUser, d.GID)
		if err := os.WriteFile(s.path("conf", "passwd"), []byte(passwd), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(s.path("conf", "group"), []byte(group), 0o600); err != nil {
			return nil, err
		}
		conf, err := s.render("proftpd.conf", d)
		if err != nil {
			return nil, err
		}
		s.addLog(s.path("log", "proftpd.log"))
		if d.TLS {
			s.addLog(s.path("log", "tls.log"))
		}
		cmd = exec.Command(filepath.Join(d.Prefix, "usr/sbin/proftpd"), "-n", "-c", conf)

	case PureFTPd:
		hash, err := passwordHash()
		if err != nil {
			return nil, err
		}
		// account:password:uid:gid:gecos:home/./:(12 more fields)
		line := fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::\n", ftpUser, hash, d.UID, d.GID, s.Dir)
		pw, pdb := s.path("conf", "pureftpd.passwd"), s.path("conf", "pureftpd.pdb")
		if err := os.WriteFile(pw, []byte(line), 0o600); err != nil {
			return nil, err
		}
		out, err := exec.Command(filepath.Join(d.Prefix, "usr/bin/pure-pw"), "mkdb", pdb, "-f", pw).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("ftpservers: pure-pw mkdb: %v: %s", err, out)
		}
		conf, err := s.render("pure-ftpd.conf", d)
		if err != nil {
			return nil, err
		}
		s.addLog(s.path("log", "transfer.log"))
		cmd = exec.Command(filepath.Join(d.Prefix, "usr/sbin/pure-ftpd"), conf)

	case Pyftpdlib:
		dir, err := templatesDir()
		if err != nil {
			return nil, err
		}
		args := []string{"-u", filepath.Join(dir, "pyftpdlib", "server.py"),
			"--host", s.Host, "--port", strconv.Itoa(s.Port),
			"--user", s.User, "--password", s.Password, "--home", s.Dir,
			"--anon-home", s.AnonDir, "--log", s.path("log", "pyftpdlib.log"),
			"--max-cons", strconv.Itoa(d.MaxClients),
		}
		if d.TLS {
			args = append(args, "--tls", "--cert", d.CertFile, "--key", d.KeyFile)
		}
		if d.TLS12 {
			args = append(args, "--tls12")
		}
		s.addLog(s.path("log", "pyftpdlib.log"))
		cmd = exec.Command(python, args...)

	default:
		return nil, fmt.Errorf("ftpservers: unknown kind %q", s.Kind)
	}
	cmd.Dir = s.TempDir
	cmd.Env = os.Environ()
	if d.TLS12 {
		cmd.Env = append(cmd.Env, "OPENSSL_CONF="+s.path("conf", "openssl.cnf"))
	}
	return cmd, nil
}
