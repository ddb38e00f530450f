package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is the outcome of one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runGoftp calls run with args, stdin and buffers, with the test's
// context.
func runGoftp(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCtx(t.Context(), stdin, args...)
}

func runCtx(ctx context.Context, stdin string, args ...string) result {
	var out, errb syncBuffer
	var in io.Reader = strings.NewReader(stdin)
	code := run(ctx, args, in, &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// want checks the exit code and that stdout and stderr contain the
// given substrings.
func (r result) want(t *testing.T, code int, stdout []string, stderr []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout does not contain %q\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q\nstderr:\n%s", s, r.stderr)
		}
	}
}
