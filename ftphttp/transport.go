// Package ftphttp lets net/http speak FTP: a Transport for ftp://,
// ftps:// (implicit TLS) and ftpes:// (explicit TLS) URLs, as Python's
// urllib does for ftp:// with ftplib.
//
//	t := &http.Transport{}
//	t.RegisterProtocol("ftp", ftphttp.NewTransport(ftp.Dialer{}))
//	client := &http.Client{Transport: t}
//	resp, err := client.Get("ftp://ftp.example.com/pub/README")
//
// Methods: GET (RETR; a directory gives its LIST listing as text/plain),
// HEAD (SIZE and MDTM as Content-Length and Last-Modified), PUT (STOR),
// DELETE (DELE). A Range header "bytes=N-" or "bytes=N-M" is served with
// REST. FTP replies map to HTTP status codes: 550 → 404, 530 → 401,
// 552 → 507, 553 → 400, other 4xx → 503, other 5xx → 502; the reply text
// is the body of an error response and the Ftp-Reply header of every
// response. Connections are kept per server and login in an ftp.Pool and
// reused; closing a response body returns its connection.
package ftphttp

import (
	"context"
	"crypto/tls"
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

// Transport is an http.RoundTripper for FTP URLs. It is safe for
// concurrent use by multiple goroutines. Close it (CloseIdleConnections)
// to close the pooled connections.
type Transport struct {
	dialer   ftp.Dialer
	maxConns int

	mu    sync.Mutex
	pools map[poolKey]*ftp.Pool
}

type poolKey struct {
	scheme, host, user, password string
}

// NewTransport returns a Transport whose connections use d. The URL's
// scheme decides TLS: for ftps and ftpes, d.TLS is used if set, otherwise
// a default tls.Config (system roots, verification on).
func NewTransport(d ftp.Dialer) *Transport {
	return &Transport{dialer: d, maxConns: 4, pools: map[poolKey]*ftp.Pool{}}
}

// SetMaxConnsPerHost sets the pool size per server and login (default 4).
// Call it before the first request.
func (t *Transport) SetMaxConnsPerHost(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n > 0 {
		t.maxConns = n
	}
}

// CloseIdleConnections closes every pooled connection.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	pools := t.pools
	t.pools = map[poolKey]*ftp.Pool{}
	t.mu.Unlock()
	for _, p := range pools {
		p.Close()
	}
}

func (t *Transport) pool(u *ftp.URL, user, password string) *ftp.Pool {
	key := poolKey{u.Scheme, u.Host, user, password}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.pools[key]; p != nil {
		return p
	}
	d := t.dialer
	if u.Scheme != "ftp" {
		if d.TLS == nil {
			d.TLS = &tls.Config{}
		}
		d.ImplicitTLS = u.Scheme == "ftps"
	} else {
		d.TLS = nil
		d.ImplicitTLS = false
	}
	p := ftp.NewPool(u.Host, ftp.PoolConfig{Dialer: d, User: user, Password: password, MaxConns: t.maxConns})
	t.pools[key] = p
	return p
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Method != http.MethodPut {
		req.Body.Close()
	}
	u, err := ftp.ParseURL(req.URL.String())
	if err != nil {
		return nil, err
	}
	user, password := u.User, u.Password
	if user == "" {
		if bu, bp, ok := req.BasicAuth(); ok {
			user, password = bu, bp
		}
	}
	p := t.pool(u, user, password)
	ctx := req.Context()
	switch req.Method {
	case http.MethodGet, "":
		return t.get(ctx, req, p, u)
	case http.MethodHead:
		return t.head(ctx, req, p, u)
	case http.MethodPut:
		return t.put(ctx, req, p, u)
	case http.MethodDelete:
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
	default:
		if req.Body != nil {
			req.Body.Close()
		}
		return textResponse(req, http.StatusMethodNotAllowed, nil, "method "+req.Method+" is not supported for FTP\n"), nil
	}
}

func (t *Transport) get(ctx context.Context, req *http.Request, p *ftp.Pool, u *ftp.URL) (*http.Response, error) {
	path := u.Path()
	isDir := path == "" || strings.HasSuffix(path, "/") || u.Type == 'd'
	start, end, ranged, err := parseRange(req.Header.Get("Range"))
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
	if ranged && size >= 0 && start >= size {
		p.Put(c)
		return textResponse(req, http.StatusRequestedRangeNotSatisfiable, nil, fmt.Sprintf("range starts at %d, size is %d\n", start, size)), nil
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
		length = size - start
	}
	if ranged {
		last := size - 1
		if end >= 0 && (size < 0 || end < size) {
			last = end
			length = end - start + 1
			body = io.LimitReader(r, length)
		}
		resp.StatusCode, resp.Status = http.StatusPartialContent, "206 Partial Content"
		total := "*"
		if size >= 0 {
			total = strconv.FormatInt(size, 10)
		}
		if last >= start {
			resp.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%s", start, last, total))
		}
	}
	if length >= 0 {
		resp.ContentLength = length
		resp.Header.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	resp.Body = &retrBody{r: body, rc: r, c: c, p: p}
	return resp, nil
}

// retrBody returns the connection to the pool when closed. Closing before
// the end aborts the transfer (ABOR) and keeps the connection if it
// survives.
type retrBody struct {
	r    io.Reader
	rc   *ftp.Reader
	c    *ftp.Conn
	p    *ftp.Pool
	once sync.Once
	err  error
}

func (b *retrBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *retrBody) Close() error {
	b.once.Do(func() {
		b.err = b.rc.Close()
		b.p.Put(b.c)
	})
	return b.err
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

// parseRange parses "bytes=N-" and "bytes=N-M" (end -1 when open).
func parseRange(h string) (start, end int64, ok bool, err error) {
	if h == "" {
		return 0, -1, false, nil
	}
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("unsupported Range %q: only one bytes=N- or bytes=N-M range", h)
	}
	a, b, _ := strings.Cut(spec, "-")
	start, err1 := strconv.ParseInt(a, 10, 64)
	if err1 != nil || start < 0 {
		return 0, 0, false, fmt.Errorf("unsupported Range %q", h)
	}
	end = -1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, fmt.Errorf("bad Range %q", h)
		}
		end = e
	}
	return start, end, true, nil
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
