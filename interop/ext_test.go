//go:build linux

package interop_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestChecksums asks ProFTPD (mod_digest) for every algorithm, through
// HASH and the X commands, and checks them against local digests.
func TestChecksums(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.ProFTPD})
	if srv == nil {
		t.Skip(reason)
	}
	c := connect(t, srv, dataModes[0])
	content := data(123457)
	if _, err := c.StorBinary(t.Context(), "sum.bin", bytes.NewReader(content), 0); err != nil {
		t.Fatal(err)
	}
	s256, s512, s1, m5 := sha256.Sum256(content), sha512.Sum512(content), sha1.Sum(content), md5.Sum(content)
	want := map[ftp.HashAlgorithm]string{
		ftp.SHA256: hex.EncodeToString(s256[:]),
		ftp.SHA512: hex.EncodeToString(s512[:]),
		ftp.SHA1:   hex.EncodeToString(s1[:]),
		ftp.MD5:    hex.EncodeToString(m5[:]),
		ftp.CRC32:  fmt.Sprintf("%08x", crc32.ChecksumIEEE(content)),
	}
	for algo, w := range want {
		got, err := c.Checksum(t.Context(), "sum.bin", algo)
		if err != nil || got != w {
			t.Errorf("Checksum(%s) = %q, %v; want %q", algo, got, err, w)
		}
	}
	// The X commands directly.
	for cmd, algo := range map[string]ftp.HashAlgorithm{"XSHA256": ftp.SHA256, "XMD5": ftp.MD5, "XCRC": ftp.CRC32} {
		rep, err := c.VoidCmd(t.Context(), cmd+" sum.bin")
		if err != nil || !strings.Contains(strings.ToLower(rep.Msg), want[algo]) {
			t.Errorf("%s = %v, %v; want %s", cmd, rep, err, want[algo])
		}
	}
	if _, err := c.Checksum(t.Context(), "no-such-file", ftp.SHA256); !errors.Is(err, ftp.ErrPermanent) {
		t.Errorf("Checksum(missing) = %v", err)
	}
}

// TestVerifiedTransfers uploads and downloads with VerifyChecksums against
// servers with HASH (ProFTPD) and without (vsftpd: nothing to verify).
func TestVerifiedTransfers(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.ProFTPD, ftpservers.Vsftpd} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			d := dialer(srv, dataModes[0])
			d.VerifyChecksums = true
			c, logs := connectLogged(t, srv, d, slog.LevelDebug)
			content := data(777777)
			if _, err := c.StorBinary(t.Context(), "v.bin", bytes.NewReader(content), 0); err != nil {
				t.Fatalf("verified StorBinary: %v", err)
			}
			var got bytes.Buffer
			if _, err := c.RetrBinary(t.Context(), "v.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), content) {
				t.Fatalf("verified RetrBinary: %v", err)
			}
			hashed := strings.Contains(logs.String(), `cmd="HASH v.bin"`)
			if kind == ftpservers.ProFTPD && !hashed {
				t.Errorf("no HASH command sent to ProFTPD:\n%s", logs.String())
			}
		})
	}
}

// TestModeZ transfers compressible and random data with MODE Z on
// ProFTPD (mod_deflate), plain and over TLS.
func TestModeZ(t *testing.T) {
	t.Parallel()
	for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
		t.Run(tm.String(), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: ftpservers.ProFTPD, TLS: tm})
			if srv == nil {
				t.Skip(reason)
			}
			d := dialer(srv, dataModes[0])
			d.Compress = true
			c, logs := connectLogged(t, srv, d, slog.LevelDebug)
			if !strings.Contains(logs.String(), `cmd="MODE Z"`) {
				t.Fatalf("MODE Z not sent:\n%s", logs.String())
			}
			// Downloads of any size. Uploads stay small: ProFTPD 1.3.8's
			// mod_deflate corrupts larger compressed uploads (proftpd
			// issue #1896, fixed upstream in 2025) and answers 451, which
			// the client reports.
			text := bytes.Repeat([]byte("compressible text line\n"), 200000)
			for name, content := range map[string][]byte{"z-text.txt": text, "z-rand.bin": data(3 << 20), "z-empty": {}} {
				if err := srv.WriteFile(name, content); err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if _, err := c.RetrBinary(t.Context(), name, &got, 0); err != nil || !bytes.Equal(got.Bytes(), content) {
					t.Fatalf("RetrBinary(%s) in MODE Z = %d bytes, %v", name, got.Len(), err)
				}
			}
			for name, content := range map[string][]byte{"zu-text.txt": text[:60000], "zu-rand.bin": data(60000), "zu-empty": {}} {
				if _, err := c.StorBinary(t.Context(), name, bytes.NewReader(content), 0); err != nil {
					t.Fatalf("StorBinary(%s) in MODE Z: %v", name, err)
				}
				onDisk, _ := os.ReadFile(filepath.Join(srv.Dir, name))
				if !bytes.Equal(onDisk, content) {
					t.Fatalf("%s on the server's disk: %d bytes, want %d", name, len(onDisk), len(content))
				}
			}
			// A large compressed upload: ProFTPD 1.3.8 may fail it; the
			// client must then report the server's error, never success
			// with a corrupted file.
			big := bytes.Repeat([]byte("compressible text line\n"), 100000)
			if _, err := c.StorBinary(t.Context(), "zu-big.txt", bytes.NewReader(big), 0); err == nil {
				if onDisk, _ := os.ReadFile(filepath.Join(srv.Dir, "zu-big.txt")); !bytes.Equal(onDisk, big) {
					t.Fatal("StorBinary reported success but the server stored different bytes")
				}
			} else {
				var re *ftp.ReplyError
				if !errors.As(err, &re) {
					t.Fatalf("large MODE Z upload failed without a server reply: %v", err)
				}
				t.Logf("known ProFTPD 1.3.8 mod_deflate bug reported as: %v", err)
			}
			if names, err := c.Nlst(t.Context()); err != nil || len(names) == 0 {
				t.Errorf("NLST in MODE Z = %q, %v", names, err)
			}
		})
	}
}

// TestServerToServerCopy copies a file between two servers with FXP.
func TestServerToServerCopy(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]ftpservers.Kind{{ftpservers.Pyftpdlib, ftpservers.ProFTPD}, {ftpservers.ProFTPD, ftpservers.Pyftpdlib}, {ftpservers.Vsftpd, ftpservers.Pyftpdlib}} {
		t.Run(string(pair[0])+"-to-"+string(pair[1]), func(t *testing.T) {
			t.Parallel()
			a, reason := server(t, ftpservers.Config{Kind: pair[0]})
			if a == nil {
				t.Skip(reason)
			}
			b, reason := server(t, ftpservers.Config{Kind: pair[1]})
			if b == nil {
				t.Skip(reason)
			}
			src, dst := connect(t, a, dataModes[0]), connect(t, b, dataModes[0])
			content := data(2 << 20)
			name := fmt.Sprintf("fxp-%d.bin", time.Now().UnixNano())
			if _, err := src.StorBinary(t.Context(), name, bytes.NewReader(content), 0); err != nil {
				t.Fatal(err)
			}
			if err := ftp.FXP(t.Context(), src, name, dst, name); err != nil {
				t.Fatalf("Copy: %v", err)
			}
			onDisk, err := os.ReadFile(filepath.Join(b.Dir, name))
			if err != nil || !bytes.Equal(onDisk, content) {
				t.Fatalf("target has %d bytes (%v), want the %d source bytes", len(onDisk), err, len(content))
			}
			// Both connections are still usable.
			if _, err := src.Noop(t.Context()); err != nil {
				t.Error(err)
			}
			if _, err := dst.Noop(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
}
