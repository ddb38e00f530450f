package mirror_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// walkers and transfer workers of a synchronisation end with it, also
// when it fails or is cancelled.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
