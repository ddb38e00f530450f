//go:build linux

package ftpservers

import (
	"context"
	"time"
)

// TB is the part of testing.TB that ForTest uses (this package does not
// import testing: bench/cmd/benchserver links it).
type TB interface {
	Helper()
	Context() context.Context
	Cleanup(func())
	Failed() bool
	Log(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

// ForTest starts a server of cfg for the test t and stops it when t ends,
// with its logs in t's log when t failed. A kind that is not installed
// skips t, or fails it under FTP_INTEROP=required. Starting may take up
// to a minute.
func ForTest(t TB, cfg Config) *Server {
	t.Helper()
	if err := Available(cfg.Kind); err != nil {
		if Required() {
			t.Fatalf("FTP_INTEROP=required: %v", err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	srv, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting %s: %v", cfg.Kind, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(srv.Logs())
		}
		srv.Close()
	})
	return srv
}
