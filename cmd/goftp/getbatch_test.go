package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/scripted"
)

// TestGetGlobBatch: a glob on a server with MLSD downloads the matching
// files as one pipelined batch (no SIZE per file: the listing's sizes are
// checked), byte-exact, and skips a matching directory with a note.
func TestGetGlobBatch(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{}
	for i := range 6 {
		files[fmt.Sprintf("dir/f%d.txt", i)] = bytes.Repeat([]byte{byte('a' + i)}, 1000*i+1)
	}
	srv := ftptest.New(t, ftptest.Options{})
	for name, b := range files {
		if err := srv.WriteFile(name, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WriteFile("dir/sub.txt/inner", []byte("x")); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	url := fmt.Sprintf("ftp://%s:%s@%s/dir/*.txt", ftptest.DefaultUser, ftptest.DefaultPassword, srv.Addr)
	for _, par := range []string{"1", "3"} {
		t.Run("P"+par, func(t *testing.T) {
			dst := filepath.Join(target, par)
			r := runGoftp(t, "", "-v", "get", "-P", par, "-o", dst+"/", url)
			r.want(t, 0, nil, []string{"> MLSD dir\n", "> RETR dir/f5.txt\n", "goftp: warning: skip dir/sub.txt: a directory"})
			if strings.Contains(r.stderr, "> SIZE") {
				t.Errorf("SIZE sent although the listing gave the sizes:\n%s", r.stderr)
			}
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(dst, filepath.Base(name)))
				if !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes, %v; want %d", name, len(got), err, len(want))
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dst, ".*")); len(left) > 0 {
				t.Errorf("partial files left: %v", left)
			}
		})
	}
}

// TestGetGlobBatchShort: a file of the batch that arrives shorter than
// its listed size is not installed: exit 7, its partial file kept for
// get -c, the other file installed.
func TestGetGlobBatchShort(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("MLST type*;size*;modify*;", "SIZE"),
		listingSteps("MLSD", "dir", "type=file;size=5; a", "type=file;size=10; b"),
		[]scripted.Step{
			{Cmd: "TYPE I", Reply: "200 binary"},
			{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			{Cmd: "RETR dir/a", Reply: "150 here it comes", Data: []byte("hello")},
			{Reply: "226 done"},
			{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			{Cmd: "RETR dir/b", Reply: "150 here it comes", Data: []byte("short")},
			{Reply: "226 done"},
			quit,
		},
	)...)
	r, target := runScripted(t, srv, func(url, target string) []string {
		return []string{"--retries", "0", "get", "-o", target + "/", url + "/*"}
	})
	r.want(t, 7, nil, []string{"b"})
	if b, _ := os.ReadFile(filepath.Join(target, "a")); string(b) != "hello" {
		t.Errorf("a = %q, want hello", b)
	}
	if _, err := os.Stat(filepath.Join(target, "b")); err == nil {
		t.Error("b, short by 5 bytes, was installed")
	}
	if b, _ := os.ReadFile(filepath.Join(target, ".b.goftp-part")); string(b) != "short" {
		t.Errorf("partial file of b = %q, want the 5 bytes received", b)
	}
}

// TestGetNamedBatch: files named one by one get their sizes with
// pipelined SIZE commands, then go in one pipelined batch: one SIZE each
// in all, byte-exact; a missing one fails alone (not found).
func TestGetNamedBatch(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	var args []string
	want := map[string][]byte{}
	for i := range 4 {
		name := fmt.Sprintf("n%d.bin", i)
		want[name] = bytes.Repeat([]byte{byte('k' + i)}, 3000*i+7)
		if err := srv.WriteFile("dir/"+name, want[name]); err != nil {
			t.Fatal(err)
		}
		args = append(args, fmt.Sprintf("ftp://%s:%s@%s/dir/%s", ftptest.DefaultUser, ftptest.DefaultPassword, srv.Addr, name))
	}
	args = append(args, fmt.Sprintf("ftp://%s:%s@%s/dir/missing.bin", ftptest.DefaultUser, ftptest.DefaultPassword, srv.Addr))
	dst := t.TempDir()
	r := runGoftp(t, "", append([]string{"-v", "get", "-o", dst + "/"}, args...)...)
	r.want(t, 6, nil, []string{"missing.bin"})
	if n := strings.Count(r.stderr, "> SIZE dir/n"); n != 4 {
		t.Errorf("%d SIZE commands for the 4 files, want one each:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, "> SIZE dir/n0.bin\n> SIZE dir/n1.bin\n> SIZE dir/n2.bin\n") {
		t.Errorf("the SIZE commands were not sent together:\n%s", r.stderr)
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes, %v; want %d", name, len(got), err, len(b))
		}
	}
}
