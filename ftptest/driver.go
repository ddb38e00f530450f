package ftptest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	ftplog "github.com/fclairamb/go-log"
	"github.com/spf13/afero"
)

// driver connects ftpserverlib to a Server: settings, greeting,
// authentication, TLS and passive listener tracking.
type driver struct {
	srv *Server
}

var (
	_ ftpserver.MainDriver                        = (*driver)(nil)
	_ ftpserver.MainDriverExtensionPassiveWrapper = (*driver)(nil)
)

var (
	errLogin     = errors.New("invalid user name or password")
	errNoTLS     = errors.New("TLS is not enabled on this server")
	errIsDir     = errors.New("is a directory")
	errNotDir    = errors.New("not a directory")
	errNotEmpty  = errors.New("directory not empty")
	errNoParent  = errors.New("parent directory does not exist")
	anonymousIDs = []string{"anonymous", "ftp"}
)

func (d *driver) GetSettings() (*ftpserver.Settings, error) {
	return d.srv.settings, nil
}

func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	if d.srv.logger != nil {
		cc.SetDebug(true) // log every command and reply
	}
	return "ftptest server ready", nil
}

func (d *driver) ClientDisconnected(ftpserver.ClientContext) {
	d.srv.sessions.Done()
}

func (d *driver) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if want, ok := d.srv.users[user]; ok {
		if pass != want {
			return nil, errLogin
		}
		return &sessionFS{fs: d.srv.fs, srv: d.srv}, nil
	}
	if d.srv.anon {
		for _, id := range anonymousIDs {
			if strings.EqualFold(user, id) {
				return &sessionFS{fs: afero.NewReadOnlyFs(d.srv.fs), srv: d.srv}, nil
			}
		}
	}
	return nil, errLogin
}

func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.srv.tlsConf == nil {
		return nil, errNoTLS
	}
	return d.srv.tlsConf, nil
}

// WrapPassiveListener lets Close interrupt passive listeners that wait
// for a data connection and cut off the data connections they accept.
func (d *driver) WrapPassiveListener(ln net.Listener) (net.Listener, error) {
	if !d.srv.track(ln) {
		return nil, errClosed
	}
	return &trackingListener{Listener: ln, srv: d.srv}, nil
}

// sessionFS is the file system of one FTP session. It normalizes names
// to clean absolute paths, makes the in-memory file system behave like a
// real one where ftpserverlib relies on it (missing parents, DELE of a
// directory, RMD of a non-empty one), lists directories in name order and
// counts open files so that Server.Close can wait for transfers.
type sessionFS struct {
	fs  afero.Fs
	srv *Server
}

var (
	_ ftpserver.ClientDriver                      = (*sessionFS)(nil)
	_ ftpserver.ClientDriverExtensionFileList     = (*sessionFS)(nil)
	_ ftpserver.ClientDriverExtensionRemoveDir    = (*sessionFS)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer = (*sessionFS)(nil)
)

func (s *sessionFS) Name() string { return "ftptest" }

// checkParent makes sure the parent directory of name exists; afero's
// MemMapFs would create it silently.
func (s *sessionFS) checkParent(op, name string) error {
	fi, err := s.fs.Stat(path.Dir(name))
	if err != nil {
		return &fs.PathError{Op: op, Path: name, Err: errNoParent}
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: op, Path: name, Err: errNotDir}
	}
	return nil
}

func (s *sessionFS) Create(name string) (afero.File, error) {
	return s.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

func (s *sessionFS) Mkdir(name string, perm os.FileMode) error {
	name = cleanPath(name)
	if err := s.checkParent("mkdir", name); err != nil {
		return err
	}
	return s.fs.Mkdir(name, perm)
}

func (s *sessionFS) MkdirAll(name string, perm os.FileMode) error {
	return s.fs.MkdirAll(cleanPath(name), perm)
}

func (s *sessionFS) Open(name string) (afero.File, error) {
	return s.OpenFile(name, os.O_RDONLY, 0)
}

func (s *sessionFS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	name = cleanPath(name)
	if flag&os.O_CREATE != 0 {
		if err := s.checkParent("open", name); err != nil {
			return nil, err
		}
	}
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		if fi, err := s.fs.Stat(name); err == nil && fi.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDir}
		}
	}
	if !s.srv.openFile() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errClosed}
	}
	f, err := s.fs.OpenFile(name, flag, perm)
	if err != nil {
		s.srv.files.Done()
		return nil, err
	}
	return &countedFile{File: f, wg: &s.srv.files}, nil
}

// GetHandle implements ftpserver.ClientDriverExtentionFileTransfer so that
// RETR of a directory fails cleanly instead of transferring nothing.
func (s *sessionFS) GetHandle(name string, flags int, _ int64) (ftpserver.FileTransfer, error) {
	if flags == os.O_RDONLY {
		if fi, err := s.fs.Stat(cleanPath(name)); err == nil && fi.IsDir() {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDir}
		}
	}
	return s.OpenFile(name, flags, 0o644)
}

// Remove removes a file; ftpserverlib uses it for DELE.
func (s *sessionFS) Remove(name string) error {
	name = cleanPath(name)
	if fi, err := s.fs.Stat(name); err == nil && fi.IsDir() {
		return &fs.PathError{Op: "remove", Path: name, Err: errIsDir}
	}
	return s.fs.Remove(name)
}

// RemoveDir removes an empty directory; ftpserverlib uses it for RMD.
func (s *sessionFS) RemoveDir(name string) error {
	name = cleanPath(name)
	if name == "/" {
		return &fs.PathError{Op: "rmdir", Path: name, Err: fs.ErrPermission}
	}
	fi, err := s.fs.Stat(name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: "rmdir", Path: name, Err: errNotDir}
	}
	entries, err := afero.ReadDir(s.fs, name)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return &fs.PathError{Op: "rmdir", Path: name, Err: errNotEmpty}
	}
	return s.fs.Remove(name)
}

func (s *sessionFS) RemoveAll(name string) error {
	name = cleanPath(name)
	if name == "/" {
		return &fs.PathError{Op: "removeall", Path: name, Err: fs.ErrPermission}
	}
	return s.fs.RemoveAll(name)
}

func (s *sessionFS) Rename(oldname, newname string) error {
	oldname, newname = cleanPath(oldname), cleanPath(newname)
	if oldname == "/" || newname == "/" || strings.HasPrefix(newname, oldname+"/") {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrInvalid}
	}
	if _, err := s.fs.Stat(oldname); err != nil {
		return err
	}
	if err := s.checkParent("rename", newname); err != nil {
		return err
	}
	return s.fs.Rename(oldname, newname)
}

func (s *sessionFS) Stat(name string) (os.FileInfo, error) {
	return s.fs.Stat(cleanPath(name))
}

func (s *sessionFS) Chmod(name string, mode os.FileMode) error {
	return s.fs.Chmod(cleanPath(name), mode)
}

func (s *sessionFS) Chown(name string, uid, gid int) error {
	return s.fs.Chown(cleanPath(name), uid, gid)
}

func (s *sessionFS) Chtimes(name string, atime, mtime time.Time) error {
	return s.fs.Chtimes(cleanPath(name), atime, mtime)
}

// ReadDir lists a directory sorted by name.
func (s *sessionFS) ReadDir(name string) ([]os.FileInfo, error) {
	return afero.ReadDir(s.fs, cleanPath(name))
}

// countedFile marks itself done in wg when first closed.
type countedFile struct {
	afero.File
	wg   *sync.WaitGroup
	once sync.Once
}

func (f *countedFile) Close() error {
	err := f.File.Close()
	f.once.Do(f.wg.Done)
	return err
}

// logAdapter sends ftpserverlib's log to a slog.Logger. Once the server is
// closing, warnings and errors (which are then expected: closed
// listeners and connections) are downgraded to debug level.
type logAdapter struct {
	l       *slog.Logger
	closing *atomic.Bool
}

func (a *logAdapter) log(level slog.Level, event string, keyvals []any) {
	if level > slog.LevelInfo && a.closing.Load() {
		level = slog.LevelDebug
	}
	a.l.Log(context.Background(), level, event, keyvals...)
}

func (a *logAdapter) Debug(event string, keyvals ...any) { a.log(slog.LevelDebug, event, keyvals) }
func (a *logAdapter) Info(event string, keyvals ...any)  { a.log(slog.LevelInfo, event, keyvals) }
func (a *logAdapter) Warn(event string, keyvals ...any)  { a.log(slog.LevelWarn, event, keyvals) }
func (a *logAdapter) Error(event string, keyvals ...any) { a.log(slog.LevelError, event, keyvals) }

func (a *logAdapter) Panic(event string, keyvals ...any) {
	a.log(slog.LevelError, event, keyvals)
	panic(fmt.Sprint(append([]any{event, " "}, keyvals...)...))
}

func (a *logAdapter) With(keyvals ...any) ftplog.Logger {
	return &logAdapter{l: a.l.With(keyvals...), closing: a.closing}
}
