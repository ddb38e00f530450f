// Package refusing gives tests a loopback address that refuses
// connections for as long as the test runs.
//
// Closing a listener and handing out its port is not enough when tests
// run in parallel: another test's listener (a passive data port, a
// server) may bind the port a moment later and accept without a
// greeting, or the kernel may pick the port as the source of the very
// connection that tries it (a TCP self-connect). Either way the client
// waits for a greeting that never comes instead of being refused.
package refusing

import "testing"

// Addr returns a "127.0.0.1:port" address that nothing listens on and
// that nothing else can take until t ends: where the platform allows it,
// the port stays bound by a socket that never listens, so a connection to
// it is refused at once.
func Addr(t testing.TB) string {
	t.Helper()
	addr, release, err := reserve()
	if err != nil {
		t.Fatalf("refusing: %v", err)
	}
	t.Cleanup(release)
	return addr
}
