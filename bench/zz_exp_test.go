package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

func TestExpPut(t *testing.T) {
	addr := os.Getenv("EXP_ADDR")
	if addr == "" {
		t.Skip()
	}
	ctx := context.Background()
	start := time.Now()
	var d ftp.Dialer
	c, err := d.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Login(ctx, "goftp", "s3cret-Pass")
	login := time.Since(start)
	f, _ := os.Open(os.Getenv("EXP_FILE"))
	s2 := time.Now()
	_, err = c.StorBinary(ctx, "up/big.bin", f, 0)
	t.Logf("login=%v stor=%v err=%v", login, time.Since(s2), err)
	c.Quit(ctx)
}
