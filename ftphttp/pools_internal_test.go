package ftphttp

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp/ftptest"
	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind (pools
// and their connections end with CloseIdleConnections or eviction).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestIdlePoolsEvicted talks to many servers (here: many logins on one
// server, each its own pool) and checks that the pools left unused for
// IdleConnTimeout are closed and forgotten: the Transport's map stays
// bounded by the servers used lately.
func TestIdlePoolsEvicted(t *testing.T) {
	t.Parallel()
	const n = 12
	users := map[string]string{}
	for i := range n {
		users[fmt.Sprintf("u%d", i)] = "pw"
	}
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{"a.txt": {Data: []byte("a")}}, Users: users})
	const idle = 200 * time.Millisecond
	tr := &Transport{IdleConnTimeout: idle}
	defer tr.CloseIdleConnections()
	get := func(user string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "ftp://"+user+":pw@"+srv.Addr+"/a.txt", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "a" {
			t.Fatalf("GET as %s = %d, %q", user, resp.StatusCode, b)
		}
	}
	start := time.Now()
	for i := range n {
		get(fmt.Sprintf("u%d", i))
	}
	got := tr.pools.Len()
	if time.Since(start) < idle && got != n {
		// (On a slow machine the first pools may be evicted already.)
		t.Fatalf("%d pools after %d logins; want %d", got, n, n)
	}
	if got < 1 || got > n {
		t.Fatalf("%d pools after %d logins", got, n)
	}
	time.Sleep(3 * idle)
	get("u0")
	if got := tr.pools.Len(); got != 1 {
		t.Errorf("%d pools after %v idle and one more request; want 1", got, 3*idle)
	}
	// A pool whose response body is still open is not evicted.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "ftp://u1:pw@"+srv.Addr+"/a.txt", nil)
	held, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * idle)
	get("u2")
	if got := tr.pools.Len(); got != 2 {
		t.Errorf("%d pools with one body open; want 2 (u1's held, u2's new)", got)
	}
	if b, err := io.ReadAll(held.Body); err != nil || string(b) != "a" {
		t.Errorf("held body = %q, %v", b, err)
	}
	held.Body.Close()
	tr.CloseIdleConnections()
	if got := tr.pools.Len(); got != 0 {
		t.Errorf("%d pools after CloseIdleConnections; want 0", got)
	}
}
