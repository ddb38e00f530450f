package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goftplib/ftp/internal/scripted"
)

// upload is the upload of "hello" to the partial file of dir/f.txt.
func upload() []scripted.Step {
	return []scripted.Step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		{Cmd: "STOR dir/.f.txt.goftp-part", Reply: "150 send it", Recv: true},
		{Reply: "226 stored"},
	}
}

// runPut runs put of a local f.txt ("hello") to dir/f.txt on srv.
func runPut(t *testing.T, srv *scripted.Server, flags ...string) result {
	t.Helper()
	local := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(local, []byte("hello"), 0o644)
	r, _ := runScripted(t, srv, func(url, _ string) []string {
		return append(append([]string{"put"}, flags...), local, url+"/f.txt")
	})
	for _, got := range srv.Received() {
		if string(got) != "hello" {
			t.Errorf("server received %q, want %q", got, "hello")
		}
	}
	return r
}

// TestPutRename: put uploads to a partial file and renames it; where the
// server will not rename over an existing file, the old one is moved
// aside and deleted only once the new one is in place; where it forbids
// renaming, nothing is deleted and the error says to use --direct.
func TestPutRename(t *testing.T) {
	t.Parallel()
	t.Run("renamed", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(login("SIZE"), upload(), []scripted.Step{
			{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "250 renamed"},
			quit,
		})...)
		runPut(t, srv).want(t, 0, nil, []string{"dir/f.txt  5 B in "})
	})
	t.Run("not over an existing file", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(login("SIZE"), upload(), []scripted.Step{
			{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "553 file exists"},
			{Cmd: "SIZE dir/f.txt", Reply: "213 3"},
			{Cmd: "RNFR dir/f.txt", Reply: "350 ready"},
			{Cmd: "RNTO dir/.f.txt.goftp-old", Reply: "250 renamed"},
			{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "250 renamed"},
			{Cmd: "DELE dir/.f.txt.goftp-old", Reply: "250 deleted"},
			quit,
		})...)
		runPut(t, srv).want(t, 0, nil, nil)
	})
	t.Run("still refused: the old file is put back", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(login("SIZE"), upload(), []scripted.Step{
			{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "553 file exists"},
			{Cmd: "SIZE dir/f.txt", Reply: "213 3"},
			{Cmd: "RNFR dir/f.txt", Reply: "350 ready"},
			{Cmd: "RNTO dir/.f.txt.goftp-old", Reply: "250 renamed"},
			{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "553 no"},
			{Cmd: "RNFR dir/.f.txt.goftp-old", Reply: "350 ready"},
			{Cmd: "RNTO dir/f.txt", Reply: "250 renamed"},
			quit,
		})...)
		r := runPut(t, srv)
		r.failed(t, "RNTO dir/f.txt: 553 no (the upload is complete in dir/.f.txt.goftp-part); for a server that forbids renaming, use put --direct")
		if r.stdout != "" {
			t.Errorf("a failed put reported an upload: %q", r.stdout)
		}
	})
	for _, exists := range []bool{false, true} {
		name := map[bool]string{false: "forbidden", true: "forbidden, over an existing file"}[exists]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			steps := []scripted.Step{{Cmd: "RNFR dir/.f.txt.goftp-part", Reply: "550 permission denied"}}
			if exists {
				steps = append(steps,
					scripted.Step{Cmd: "SIZE dir/f.txt", Reply: "213 3"},
					scripted.Step{Cmd: "RNFR dir/f.txt", Reply: "550 permission denied"})
			} else {
				steps = append(steps, scripted.Step{Cmd: "SIZE dir/f.txt", Reply: "550 no such file"})
			}
			srv := scripted.New(t, script(login("SIZE"), upload(), steps, []scripted.Step{quit})...)
			r := runPut(t, srv)
			r.failed(t, "RNFR dir/.f.txt.goftp-part: 550 permission denied (the upload is complete in dir/.f.txt.goftp-part); for a server that forbids renaming, use put --direct")
			if r.stdout != "" {
				t.Errorf("a failed put reported an upload: %q", r.stdout)
			}
			if strings.Count(r.stderr, "goftp: ") != 1 {
				t.Errorf("want one error line:\n%s", r.stderr)
			}
		})
	}
	t.Run("--direct", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(login("SIZE"), []scripted.Step{
			{Cmd: "TYPE I", Reply: "200 binary"},
			{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			{Cmd: "STOR dir/f.txt", Reply: "150 send it", Recv: true},
			{Reply: "226 stored"},
			quit,
		})...)
		runPut(t, srv, "--direct").want(t, 0, nil, []string{"dir/f.txt  5 B in "})
	})
}
