package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startServe runs goftp serve with args until the test ends, and
// returns the URL and CA file it prints.
func startServe(t *testing.T, args ...string) (url, ca string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), nil, &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`try: FTP_PASSWORD=pass goftp ls -l(?: --ca (\S+))? (\S+)\n`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[2], m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s %s", code, out.String(), errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve printed no URL: %q", out.String())
	return "", ""
}

func TestServe(t *testing.T) {
	t.Setenv("FTP_PASSWORD", "pass") // as serve suggests
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
	t.Run("sample files", func(t *testing.T) {
		url, _ := startServe(t)
		runGoftp(t, "", "ls", url+"pub/").want(t, 0, []string{"docs\nhello.txt\n"}, nil)
	})
	t.Run("root", func(t *testing.T) {
		root := t.TempDir()
		os.WriteFile(filepath.Join(root, "local.txt"), []byte("local\n"), 0o644)
		url, _ := startServe(t, "--root", root)
		r := runGoftp(t, "", "cat", url+"local.txt")
		r.want(t, 0, nil, nil)
		if r.stdout != "local\n" {
			t.Errorf("cat = %q", r.stdout)
		}
		runGoftp(t, "", "put", filepath.Join(root, "local.txt"), url+"copy.txt").want(t, 0, nil, nil)
		if b, _ := os.ReadFile(filepath.Join(root, "copy.txt")); string(b) != "local\n" {
			t.Errorf("copy.txt = %q", b)
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		url, ca := startServe(t, "--tls", "implicit")
		if ca == "" {
			t.Fatal("no --ca printed")
		}
		runGoftp(t, "", "ls", "--ca", ca, url).want(t, 0, []string{"README.txt\npub\n"}, nil)
	})
	t.Run("explicit TLS", func(t *testing.T) {
		url, ca := startServe(t, "--tls=explicit")
		r := runGoftp(t, "", "-v", "ls", url, "--ca", ca)
		r.want(t, 0, []string{"README.txt\npub\n"}, []string{"> AUTH TLS\n", "> PROT P\n"})
	})
	runGoftp(t, "", "serve", "--tls", "maybe").want(t, 2, nil, []string{"--tls must be"})
}

func TestServeUser(t *testing.T) {
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
	t.Setenv("FTP_PASSWORD", "s3cret")
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--user", "bob"}, nil, &out, &errb) }()
	defer func() { cancel(); <-done }()
	re := regexp.MustCompile(`try: FTP_PASSWORD=\.\.\. goftp ls -l (ftp://bob@\S+)\n`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("serve --user bob printed %q, %q", out.String(), errb.String())
	}
	if strings.Contains(out.String(), "s3cret") {
		t.Errorf("serve printed the password from FTP_PASSWORD: %q", out.String())
	}
	runGoftp(t, "", "ls", url).want(t, 0, []string{"README.txt\npub\n"}, nil)
	// The default account is not served any more.
	runGoftp(t, "", "ls", strings.Replace(url, "bob@", "user@", 1)).want(t, 4, nil, []string{"530"})
}
