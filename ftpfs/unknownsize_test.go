package ftpfs_test

import (
	"io"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/internal/scripted"
)

// TestSeekEndUnknownSizeOneConn: a file whose listing gives no size
// (MLST without a size fact), streaming on a Pool of one connection:
// Seek(0, io.SeekEnd) stops the stream and asks SIZE on the file's own
// connection, and Reads go on from the new position. It used to ask on
// another connection of the Pool while holding the only one, and wait
// for it until WaitTimeout.
func TestSeekEndUnknownSizeOneConn(t *testing.T) {
	t.Parallel()
	content := []byte("0123456789abcdefghij")
	srv := scripted.New(t,
		scripted.Step{Reply: "220 ready"},
		scripted.Step{Cmd: "USER anonymous", Reply: "331 password please"},
		scripted.Step{Cmd: "PASS anonymous@", Reply: "230 in"},
		scripted.Step{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MLST type*;modify*;\n SIZE\n REST STREAM\n211 End"},
		scripted.Step{Cmd: "MLST f.bin", Reply: "250-Listing f.bin\n type=file;modify=20200102030405; f.bin\n250 End"},
		scripted.Step{Cmd: "TYPE I", Reply: "200 binary"},
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "RETR f.bin", Reply: "150 go", Data: content, DataMayFail: true},
		scripted.Step{Cmd: "ABOR", Reply: "426 aborted\n226 abort ok"},
		scripted.Step{Cmd: "PWD", Reply: `257 "/"`},
		scripted.Step{Cmd: "SIZE f.bin", Reply: "213 20"},
		// The RETR from an offset checks the size again.
		scripted.Step{Cmd: "SIZE f.bin", Reply: "213 20"},
		scripted.Step{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		scripted.Step{Cmd: "REST 16", Reply: "350 restarting"},
		scripted.Step{Cmd: "RETR f.bin", Reply: "150 go", Data: content[16:]},
		scripted.Step{Reply: "226 done"},
		scripted.Step{Cmd: "QUIT", Reply: "221 bye"},
	)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConns: 1, WaitTimeout: time.Second})
	defer p.Close()
	f, err := ftpfs.New(p, "").Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4)
	if n, err := io.ReadFull(f, buf); err != nil || string(buf[:n]) != "0123" {
		t.Fatalf("first Read = %q, %v", buf[:n], err)
	}
	end, err := f.(io.Seeker).Seek(-4, io.SeekEnd)
	if err != nil || end != 16 {
		t.Fatalf("Seek(-4, SeekEnd) = %d, %v; want 16", end, err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || string(rest) != "ghij" {
		t.Fatalf("Read after the Seek = %q, %v", rest, err)
	}
}
