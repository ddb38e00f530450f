//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestRealGetSegmentedResume runs get -n 4 against real servers through
// a proxy that cuts a data connection: with --retries 0 the command fails
// (exit 7), keeps the partial file and installs nothing; get -c -n 4
// continues it to a byte-exact file, and get -c alone continues a
// segmented partial file too.
func TestRealGetSegmentedResume(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.PureFTPd} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, e := kindServer(t, kind)
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			e.base = fmt.Sprintf("ftp://%s@%s", srv.User, px.Addr)
			data := bigData(6<<20 + 99)
			if err := os.WriteFile(filepath.Join(srv.Dir, "seg.bin"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chown(filepath.Join(srv.Dir, "seg.bin"), srv.UID, srv.GID)
			dir := t.TempDir()
			out := filepath.Join(dir, "seg.bin")
			part := filepath.Join(dir, ".seg.bin.goftp-part")
			run := func(cut bool, args ...string) result {
				if cut {
					px.CutData(1, 256<<10)
				} else {
					px.CutData(0, 0)
				}
				return e.run(t, append(append([]string{"--retries", "0"}, args...), "-o", out, e.url("seg.bin"))...)
			}
			failed := func(r result, what string) {
				t.Helper()
				if r.code != 7 {
					t.Fatalf("%s: exit %d, want 7 (transfer failed)\n%s", what, r.code, r.stderr)
				}
				if _, err := os.Stat(out); err == nil {
					t.Fatalf("%s: seg.bin installed after a failure", what)
				}
				if fi, err := os.Stat(part); err != nil || fi.Size() <= int64(len(data)) {
					t.Fatalf("%s: partial file %v, want it kept with its state record", what, err)
				}
			}
			done := func(r result, what string) {
				t.Helper()
				r.want(t, 0, nil, []string{"seg.bin  ", "resumed at "})
				sameBytes(t, what, readLocal(t, out), data)
				if _, err := os.Stat(part); err == nil {
					t.Errorf("%s: partial file left after success", what)
				}
			}
			failed(run(true, "get", "-n", "4"), "get -n 4, cut")
			if r := run(true, "get", "-c", "-n", "4"); r.code == 0 {
				done(r, "get -c -n 4, cut")
				return
			} else {
				failed(r, "get -c -n 4, cut")
			}
			// get -c alone continues a segmented partial file (over one
			// connection).
			done(run(false, "get", "-c"), "get -c")
		})
	}
}
