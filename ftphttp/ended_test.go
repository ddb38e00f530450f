package ftphttp_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
)

// TestBodyEndFailureIsReadError: a download the server ends badly fails
// the Read that reaches its end, not only Close (which callers of
// net/http often leave unchecked, so that io.Copy into a file reported a
// truncated file complete): a 451 after the data, and a 226 after fewer
// bytes than SIZE gave.
func TestBodyEndFailureIsReadError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, final string
		want        error
	}{
		{"451", "451 Local error: read failed", nil},
		{"226 short", "226 Transfer complete", ftp.ErrShortTransfer},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := scripted.New(t,
				scripted.Step{Reply: "220 ready"},
				scripted.Step{Cmd: "USER anonymous", Reply: "331 password please"},
				scripted.Step{Cmd: "PASS anonymous@", Reply: "230 in"},
				scripted.Step{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n SIZE\n211 End"},
				scripted.Step{Cmd: "TYPE I", Reply: "200 binary"},
				scripted.Step{Cmd: "SIZE f.bin", Reply: "213 10"},
				scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
				scripted.Step{Cmd: "RETR f.bin", Reply: "150 Opening BINARY mode data connection", Data: []byte("hello")},
				scripted.Step{Reply: c.final},
				scripted.Step{Cmd: "QUIT", Reply: "221 bye"},
			)
			client, _ := newClient(t, ftp.Dialer{Timeout: 5 * time.Second})
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "ftp://"+srv.Addr+"/f.bin", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err == nil {
				t.Fatalf("read %q, no error: a failed transfer read as complete", got)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("read error %v, want %v", err, c.want)
			}
			if c.want == nil && !strings.Contains(err.Error(), "451") {
				t.Errorf("read error %v, want the server's 451", err)
			}
			if cerr := resp.Body.Close(); cerr == nil {
				t.Error("Close after the failure = nil")
			}
		})
	}
}
