//go:build unix

package refusing

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestAddrRefuses: a dial to the address is refused at once, and a
// listener cannot take the port while the test runs.
func TestAddrRefuses(t *testing.T) {
	addr := Addr(t)
	for i := 0; i < 50; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("dial %d to %s connected", i, addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %d to %s: %v, want connection refused", i, addr, err)
		}
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("a listener could bind %s while it was reserved", addr)
	}
}
