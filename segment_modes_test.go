package ftp_test

import (
	"bytes"
	"testing"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// TestSegmentedModes: ranges with no data connection opened ahead
// (active mode, EPSV disabled) and with one (passive, EPSV): byte-exact
// over 4 connections, then the Pool's connections still in step.
func TestSegmentedModes(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	content := bytes.Repeat([]byte("segmented-modes!"), (2<<20+4096)/16)
	if err := srv.WriteFile("m.bin", content); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    ftp.Dialer
	}{{"passive", ftp.Dialer{}}, {"active", ftp.Dialer{Active: true}}, {"pasv", ftp.Dialer{DisableEPSV: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: tc.d, User: ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: 4})
			defer p.Close()
			for i := range 2 {
				got := make(writerAt, len(content))
				n, err := p.RetrSegmented(t.Context(), "m.bin", got, ftp.SegmentOptions{MinSegment: 256 << 10})
				if err != nil || n != int64(len(content)) || !bytes.Equal(got, content) {
					t.Fatalf("download %d: %d, %v; identical %v", i, n, err, bytes.Equal(got, content))
				}
			}
			var b bytes.Buffer
			if _, err := p.RetrBinary(t.Context(), "m.bin", &b, 0); err != nil || !bytes.Equal(b.Bytes(), content) {
				t.Fatalf("RetrBinary after: %v", err)
			}
		})
	}
}
