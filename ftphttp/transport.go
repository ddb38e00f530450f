// Package ftphttp lets net/http speak FTP: a Transport for ftp://,
// ftps:// (implicit TLS) and ftpes:// (explicit TLS) URLs, as Python's
// urllib does for ftp:// with ftplib. The zero Transport is ready to use:
//
//	t := &http.Transport{}
//	t.RegisterProtocol("ftp", &ftphttp.Transport{})
//	client := &http.Client{Transport: t}
//	resp, err := client.Get("ftp://ftp.example.com/pub/README")
//
// Methods: GET (RETR; a directory gives its LIST listing as text/plain),
// HEAD (SIZE and MDTM as Content-Length and Last-Modified), PUT (STOR),
// DELETE (DELE). A Range header of one range ("bytes=N-", "bytes=N-M" or
// "bytes=-S") is served with REST as a 206 response (416 when it starts
// at or beyond the end); a header of several ranges is ignored (200 and
// the whole file), as is any Range when the server does not tell the
// file's size. FTP replies map to HTTP status codes: 550 → 404, 530 →
// 401, 552 → 507, 553 → 400, other 4xx → 503, other 5xx → 502; the reply
// text is the body of an error response and the Ftp-Reply header of
// every response. Connections are kept per server and login in an
// ftp.Pool and reused; closing a response body returns its connection.
package ftphttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goftplib/ftp"
)

// Transport is an http.RoundTripper for FTP URLs. Its zero value is ready
// to use, like http.Transport's: &ftphttp.Transport{} dials with
// ftp.Dialer's defaults. Set its fields before the first request and do
// not change them afterwards; a Transport must not be copied after first
// use. It is safe for concurrent use by multiple goroutines.
//
// Connections are pooled per scheme, server and login (an ftp.Pools of
// ftp.Pool values). A server's pool that no request uses for
// IdleConnTimeout is closed and forgotten (at the next request; its idle
// connections close by themselves meanwhile), so a Transport that has
// talked to many servers holds only those used lately.
type Transport struct {
	// Dialer is the base of every connection's Dialer; the URL's scheme
	// sets the TLS mode (see ftp.URL.Dialer): ftps is implicit TLS, ftpes
	// explicit TLS, each with Dialer.TLS when set (a clone, its ServerName
	// the URL's host when empty), or a default tls.Config (system roots,
	// verification on); ftp uses Dialer as it is (so a Dialer with TLS
	// set makes ftp:// URLs use explicit TLS too).
	Dialer ftp.Dialer
	// MaxConnsPerHost is the most connections open at once per server
	// and login. Zero means 4; negative means no limit; a server that
	// answers 421 lowers it. A GET's body holds its connection until it
	// is read to its end or closed: a request to the same server made
	// while such a body is open (a PUT whose body is that GET's, say)
	// waits for a connection, until the Dialer's Timeout, when the
	// bodies open take them all.
	MaxConnsPerHost int
	// IdleConnTimeout closes a connection left idle this long, and a
	// server's pool left unused this long. Zero means
	// ftp.DefaultPoolIdleTimeout (90 s); negative means never (then the
	// pools of every server ever used are kept until
	// CloseIdleConnections).
	IdleConnTimeout time.Duration

	once  sync.Once
	pools ftp.Pools
}

// NewTransport returns &Transport{Dialer: d}.
func NewTransport(d ftp.Dialer) *Transport {
	return &Transport{Dialer: d}
}

// CloseIdleConnections closes the pools of every server that no request
// is using (a response body still open keeps its server's pool).
func (t *Transport) CloseIdleConnections() {
	t.init()
	t.pools.CloseIdle()
}

func (t *Transport) init() {
	t.once.Do(func() {
		idle := t.IdleConnTimeout
		if idle == 0 {
			idle = ftp.DefaultPoolIdleTimeout
		}
		t.pools.IdleTimeout = idle
		t.pools.Config = func(u *ftp.URL) (ftp.PoolConfig, error) {
			return u.PoolConfig(ftp.PoolConfig{Dialer: t.Dialer, MaxConns: t.MaxConnsPerHost, IdleTimeout: idle})
		}
	})
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			req.Body.Close()
		}
	}
	if req.Method != http.MethodPut {
		closeBody() // only PUT reads it
	}
	u, err := ftp.ParseURL(req.URL.String())
	if err != nil {
		closeBody()
		return nil, err
	}
	if u.User == "" {
		if bu, bp, ok := req.BasicAuth(); ok {
			u.User, u.Password, u.HasPassword = bu, bp, true
		}
	}
	switch req.Method {
	case http.MethodGet, "", http.MethodHead, http.MethodPut, http.MethodDelete:
	default:
		return textResponse(req, http.StatusMethodNotAllowed, nil, "method "+req.Method+" is not supported for FTP\n"), nil
	}
	t.init()
	p, err := t.pools.Pool(u)
	if err != nil {
		closeBody()
		return nil, err
	}
	ctx := req.Context()
	if req.Method == http.MethodGet || req.Method == "" {
		resp, err := t.get(ctx, req, p, u)
		if resp != nil {
			if b, ok := resp.Body.(*retrBody); ok {
				// The pool is in use until the body is closed.
				b.done = func() { t.pools.Done(p) }
				return resp, err
			}
		}
		t.pools.Done(p)
		return resp, err
	}
	defer t.pools.Done(p)
	switch req.Method {
	case http.MethodHead:
		return t.head(ctx, req, p, u)
	case http.MethodPut:
		return t.put(ctx, req, p, u)
	default: // DELETE
		var rep *ftp.Reply
		err := p.Do(ctx, func(c *ftp.Conn) error {
			var err error
			rep, err = c.Delete(ctx, u.Path())
			return err
		})
		if err != nil {
			return errorResponse(req, err)
		}
		return textResponse(req, http.StatusOK, rep, rep.String()+"\n"), nil
	}
}

func (t *Transport) get(ctx context.Context, req *http.Request, p *ftp.Pool, u *ftp.URL) (*http.Response, error) {
	path := u.Path()
	isDir := path == "" || strings.HasSuffix(path, "/") || u.Type == 'd'
	rng, ranged, err := parseRange(req.Header.Get("Range"))
	if err != nil {
		return textResponse(req, http.StatusRequestedRangeNotSatisfiable, nil, err.Error()+"\n"), nil
	}
	c, err := p.Get(ctx)
	if err != nil {
		return errorResponse(req, err)
	}
	// listing lists path as a directory. When notFound is set the path
	// did not behave as a file: it is a directory only if CWD enters it
	// (LIST of a missing name is an empty success on some servers).
	listing := func(notFound error) (*http.Response, error) {
		defer p.Put(c)
		dir := strings.TrimSuffix(path, "/")
		if notFound != nil {
			home, err := c.Pwd(ctx)
			if err != nil {
				return errorResponse(req, err)
			}
			if _, err := c.Cwd(ctx, dir); err != nil {
				return errorResponse(req, notFound)
			}
			defer c.Cwd(ctx, home)
			dir = ""
		}
		lines, err := c.List(ctx, dir)
		if err != nil {
			return errorResponse(req, err)
		}
		body := strings.Join(lines, "\n")
		if body != "" {
			body += "\n"
		}
		return textResponse(req, http.StatusOK, nil, body), nil
	}
	size := int64(-1)
	if !isDir {
		size, err = c.Size(ctx, path)
		var re *ftp.ReplyError
		switch {
		case err == nil:
		case errors.As(err, &re) && re.Code == ftp.CodeFileUnavailable:
			// Not a file: maybe a directory.
			return listing(err)
		case errors.As(err, &re) && re.Code/100 == 5:
			size = -1 // SIZE not implemented: just try RETR
		default:
			p.Put(c)
			return errorResponse(req, err)
		}
	}
	if isDir {
		return listing(nil)
	}
	// Resolve the range against the size; without a size it is ignored
	// (the whole file is served, as RFC 9110 allows).
	var start, last int64
	if ranged && size < 0 {
		ranged = false
	}
	if ranged {
		switch {
		case rng.suffix:
			start, last = max(size-rng.end, 0), size-1
		case rng.end >= 0:
			start, last = rng.start, min(rng.end, size-1)
		default:
			start, last = rng.start, size-1
		}
		if start >= size || rng.suffix && rng.end == 0 {
			p.Put(c)
			resp := textResponse(req, http.StatusRequestedRangeNotSatisfiable, nil, fmt.Sprintf("range %s is beyond the size, %d\n", rng.spec, size))
			resp.Header.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			return resp, nil
		}
	}
	r, err := c.Retr(ctx, path, start)
	if err != nil {
		var re *ftp.ReplyError
		if errors.As(err, &re) && re.Code == ftp.CodeFileUnavailable && !ranged {
			// Some servers report a size for directories.
			return listing(err)
		}
		p.Put(c)
		return errorResponse(req, err)
	}
	resp := &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "FTP", ProtoMajor: 1, ProtoMinor: 0,
		Header:        http.Header{"Content-Type": {"application/octet-stream"}},
		ContentLength: -1,
		Request:       req,
	}
	var body io.Reader = r
	length := int64(-1)
	if size >= 0 {
		length = size
	}
	if ranged {
		length = last - start + 1
		if last < size-1 {
			body = io.LimitReader(r, length)
		}
		resp.StatusCode, resp.Status = http.StatusPartialContent, "206 Partial Content"
		resp.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, last, size))
	}
	if length >= 0 {
		resp.ContentLength = length
		resp.Header.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	resp.Body = &retrBody{r: body, rc: r, c: c, p: p, path: path, start: start, length: length, size: size, partial: body != io.Reader(r)}
	return resp, nil
}

// retrBody is a download's response body. At its end it ends the
// transfer (the server's final reply read, the connection back to the
// pool) and a failure is the last Read's error, not only Close's, which
// callers of net/http often leave unchecked: a transfer the server ended
// with 426 or 451, or one shorter than the size SIZE gave, fails the
// io.Copy that reads it. Closing before the end aborts the transfer
// (ABOR) and keeps the connection if it survives.
type retrBody struct {
	r      io.Reader
	rc     *ftp.Reader
	c      *ftp.Conn
	p      *ftp.Pool
	done   func()
	path   string
	start  int64 // the offset of the first byte (REST)
	length int64 // the bytes the response announces, or -1
	size   int64 // the file's size (SIZE), or -1
	// partial: the body ends before the file (a range): its end aborts
	// the transfer, and how the server takes the ABOR is no concern of
	// the body's once all its bytes are in.
	partial bool
	n       int64 // the bytes read
	end     error // the body's end, once reached: io.EOF or the failure
	once    sync.Once
	err     error
}

func (b *retrBody) Read(p []byte) (int, error) {
	if b.end != nil {
		return 0, b.end
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.end = io.EOF
		switch cerr := b.finish(); {
		case cerr != nil && b.partial && b.n == b.length:
			// All of the range is in; the ABOR's reply is Close's.
		case cerr != nil:
			b.end = cerr
		case b.length >= 0 && b.n != b.length:
			// The server said 226 after fewer bytes than SIZE: the file
			// ended (or was cut) before its size.
			b.end = &ftp.SizeError{Cmd: "RETR " + b.path, Offset: b.start, Got: b.n, Want: b.size, Source: "SIZE"}
		}
		err = b.end
	}
	return n, err
}

// finish ends the transfer and gives the connection back, once.
func (b *retrBody) finish() error {
	b.once.Do(func() {
		b.err = b.rc.Close()
		b.p.Put(b.c)
		if b.done != nil {
			b.done()
		}
	})
	return b.err
}

func (b *retrBody) Close() error {
	err := b.finish()
	if err == nil && b.end != nil && b.end != io.EOF {
		err = b.end
	}
	return err
}

func (t *Transport) head(ctx context.Context, req *http.Request, p *ftp.Pool, u *ftp.URL) (*http.Response, error) {
	var size int64 = -1
	var mod time.Time
	err := p.Do(ctx, func(c *ftp.Conn) error {
		var err error
		size, err = c.Size(ctx, u.Path())
		if err != nil {
			return err
		}
		if m, err := c.ModTime(ctx, u.Path()); err == nil {
			mod = m
		}
		return nil
	})
	if err != nil {
		return errorResponse(req, err)
	}
	resp := textResponse(req, http.StatusOK, nil, "")
	resp.Header.Set("Content-Type", "application/octet-stream")
	resp.ContentLength = size
	resp.Header.Set("Content-Length", strconv.FormatInt(size, 10))
	if !mod.IsZero() {
		resp.Header.Set("Last-Modified", mod.UTC().Format(http.TimeFormat))
	}
	return resp, nil
}

func (t *Transport) put(ctx context.Context, req *http.Request, p *ftp.Pool, u *ftp.URL) (*http.Response, error) {
	if req.Body == nil {
		req.Body = http.NoBody
	}
	defer req.Body.Close()
	var n int64
	err := p.Do(ctx, func(c *ftp.Conn) error {
		var err error
		n, err = c.StorBinary(ctx, u.Path(), req.Body, 0)
		return err
	})
	if err != nil {
		return errorResponse(req, err)
	}
	return textResponse(req, http.StatusCreated, nil, fmt.Sprintf("stored %d bytes\n", n)), nil
}

// byteRange is one range of a Range header: "bytes=N-" (end -1),
// "bytes=N-M", or "bytes=-S" (suffix, the last end bytes).
type byteRange struct {
	spec       string
	start, end int64
	suffix     bool
}

// parseRange parses a Range header of one byte range. A header of several
// ranges or another unit is ignored (ok false): the whole file is served,
// as RFC 9110 allows. A malformed one is an error (416).
func parseRange(h string) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if h == "" || !found || strings.Contains(spec, ",") {
		return r, false, nil
	}
	r.spec = strings.TrimSpace(spec)
	a, b, found := strings.Cut(r.spec, "-")
	bad := fmt.Errorf("bad Range %q", h)
	if !found {
		return r, false, bad
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return r, false, bad
		}
		r.suffix, r.end = true, n
		return r, true, nil
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 {
		return r, false, bad
	}
	r.start, r.end = start, -1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return r, false, bad
		}
		r.end = e
	}
	return r, true, nil
}

// StatusCode maps an FTP reply code to an HTTP status code.
func StatusCode(ftpCode int) int {
	switch {
	case ftpCode == ftp.CodeNotLoggedIn || ftpCode == ftp.CodeNeedAccountForStoring:
		return http.StatusUnauthorized
	case ftpCode == ftp.CodeFileUnavailable:
		return http.StatusNotFound
	case ftpCode == ftp.CodeExceededStorage || ftpCode == ftp.CodeInsufficientStorage:
		return http.StatusInsufficientStorage
	case ftpCode == ftp.CodeBadFileName:
		return http.StatusBadRequest
	case ftpCode/100 == 4:
		return http.StatusServiceUnavailable
	case ftpCode/100 == 5:
		return http.StatusBadGateway
	case ftpCode/100 == 2:
		return http.StatusOK
	}
	return http.StatusBadGateway
}

// errorResponse turns an FTP reply error into an HTTP response; other
// errors (network, TLS, context) are returned as errors, as
// http.RoundTripper requires.
func errorResponse(req *http.Request, err error) (*http.Response, error) {
	var re *ftp.ReplyError
	if !errors.As(err, &re) {
		return nil, err
	}
	rep := &ftp.Reply{Code: re.Code, Msg: re.Msg}
	return textResponse(req, StatusCode(re.Code), rep, rep.String()+"\n"), nil
}

func textResponse(req *http.Request, code int, rep *ftp.Reply, body string) *http.Response {
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	if rep != nil {
		h.Set("Ftp-Reply", strings.ReplaceAll(rep.String(), "\n", " "))
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		StatusCode:    code,
		Proto:         "FTP",
		ProtoMajor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
