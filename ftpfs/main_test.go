package ftpfs_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: an open
// file's transfer ends with Close, and the pools with the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
