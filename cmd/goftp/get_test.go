package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/ftptest"
)

// TestGetSegmentedCommand: get -n 4 downloads one file in ranges,
// byte-exact, with its summary on standard error and nothing on standard
// output, and no partial file left.
func TestGetSegmentedCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	data := bigData(5<<20 + 333)
	if err := e.srv.WriteFile("pub/big.bin", data); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := e.run(t, "-v", "get", "-n", "4", "-o", dir+"/", e.url("pub/big.bin"))
	r.want(t, 0, nil, []string{"big.bin  5.0 MiB in ", "> REST "})
	if r.stdout != "" {
		t.Errorf("get wrote to standard output:\n%s", r.stdout)
	}
	if n := strings.Count(r.stderr, "> RETR pub/big.bin"); n < 2 {
		t.Errorf("%d RETR of big.bin, want one per range (several)", n)
	}
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(dir, "big.bin")), data)
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	e.run(t, "get", "-n", "0", e.url("pub/big.bin")).want(t, 2, nil, []string{"-n and -P take 1 to 64"})
}

// TestGetParallelCommand: get -P 3 downloads several files at once, each
// with its summary and a total line, all on standard error; -q silences
// them.
func TestGetParallelCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	dir := t.TempDir()
	r := e.run(t, "get", "-P", "3", "-o", dir+"/", e.url("pub/[abc].*"))
	r.want(t, 0, nil, []string{"a.txt  4 B in ", "b.txt  5 B in ", "c.bin  4 B in ", "total  3/3 files  13 B"})
	if r.stdout != "" {
		t.Errorf("get -P wrote to standard output:\n%s", r.stdout)
	}
	for f, want := range map[string]string{"a.txt": "aaa\n", "b.txt": "bbbb\n", "c.bin": "\x00\x01\x02\x03"} {
		if got := string(readLocal(t, filepath.Join(dir, f))); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	dir2 := t.TempDir()
	r = e.run(t, "-q", "get", "-P", "2", "-o", dir2+"/", e.url("pub/*.txt"))
	r.want(t, 0, nil, nil)
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("get -q: stdout %q, stderr %q; want nothing", r.stdout, r.stderr)
	}
	sameBytes(t, "b.txt", readLocal(t, filepath.Join(dir2, "b.txt")), []byte("bbbb\n"))
}

// TestPutParallelCommand: put -P 3 uploads several files at once, with a
// total line on standard error.
func TestPutParallelCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	dir := t.TempDir()
	var locals []string
	for i, s := range []string{"one\n", "two\n", "three\n", "four\n"} {
		p := filepath.Join(dir, string(rune('a'+i))+".txt")
		os.WriteFile(p, []byte(s), 0o644)
		locals = append(locals, p)
	}
	r := e.run(t, append(append([]string{"put", "-P", "3"}, locals...), e.url("pub/"))...)
	r.want(t, 0, nil, []string{"pub/c.txt  6 B in ", "total  4/4 files  19 B"})
	if r.stdout != "" {
		t.Errorf("put -P wrote to standard output:\n%s", r.stdout)
	}
	if got := string(e.file(t, "pub/d.txt")); got != "four\n" {
		t.Errorf("pub/d.txt = %q", got)
	}
}

// TestLimitRateCommand: --limit-rate slows a download to about the rate
// asked (its first tenth of a second comes at once), get and put alike;
// a rate that does not parse is a usage error.
func TestLimitRateCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	data := bigData(600 << 10)
	if err := e.srv.WriteFile("pub/r.bin", data); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	start := time.Now()
	e.run(t, "get", "--limit-rate", "1M", "-o", dir+"/", e.url("pub/r.bin")).want(t, 0, nil, []string{"r.bin  600.0 KiB in "})
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("600 KiB at 1 MiB/s took %v", d)
	}
	sameBytes(t, "r.bin", readLocal(t, filepath.Join(dir, "r.bin")), data)
	start = time.Now()
	e.run(t, "put", "--limit-total", "1M", filepath.Join(dir, "r.bin"), e.url("up.bin")).want(t, 0, nil, nil)
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("600 KiB up at 1 MiB/s took %v", d)
	}
	sameBytes(t, "up.bin", e.file(t, "up.bin"), data)
	for _, bad := range []string{"fast", "-1M", "0", "2X"} {
		e.run(t, "get", "--limit-rate", bad, e.url("pub/r.bin")).want(t, 2, nil, []string{"not a rate"})
	}
	// mirror both ways: its small files go in pipelined batches, which
	// the limit paces too.
	for i := range 3 {
		if err := e.srv.WriteFile(fmt.Sprintf("tree/f%d", i), data[:200<<10]); err != nil {
			t.Fatal(err)
		}
	}
	mdir := filepath.Join(t.TempDir(), "m")
	start = time.Now()
	e.run(t, "mirror", "--limit-total", "1M", e.url("tree/"), mdir).want(t, 0, nil, nil)
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("mirror of 600 KiB at 1 MiB/s took %v", d)
	}
	start = time.Now()
	e.run(t, "mirror", "-R", "--limit-total", "1M", mdir, e.url("back/")).want(t, 0, nil, nil)
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("mirror -R of 600 KiB at 1 MiB/s took %v", d)
	}
	for i := range 3 {
		sameBytes(t, "back", e.file(t, fmt.Sprintf("back/f%d", i)), data[:200<<10])
	}
}

// TestMirrorSegmented: mirror -n fetches the files of --segment-min or
// more in ranges (several RETR), byte-exact; a bad size is a usage error.
func TestMirrorSegmented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	big := bigData(3 << 20)
	if err := e.srv.WriteFile("seg/big.bin", big); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.WriteFile("seg/small.txt", []byte("small\n")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	r := e.run(t, "-v", "mirror", "-n", "3", "--segment-min", "1M", e.url("seg/"), dir)
	r.want(t, 0, nil, []string{"big.bin"})
	if n := strings.Count(r.stderr, "> RETR seg/big.bin"); n < 2 {
		t.Errorf("big.bin fetched with %d RETR, want one per range:\n%s", n, r.stderr)
	}
	sameBytes(t, "big.bin", readLocal(t, filepath.Join(dir, "big.bin")), big)
	e.run(t, "mirror", "--segment-min", "big", e.url("seg/"), dir).want(t, 2, nil, []string{"not a size"})
}

func TestRateFlag(t *testing.T) {
	for in, want := range map[string]int64{"500K": 500 << 10, "2M": 2 << 20, "1G": 1 << 30, "1.5m": 3 << 19, "1000": 1000, "0.5": 1} {
		var r rateFlag
		if err := r.Set(in); err != nil || int64(r) != want {
			t.Errorf("rate %q = %d, %v; want %d", in, r, err, want)
		}
	}
}

// TestGetSegmentedPlainPartial: get -c -n 4 with the partial file of a
// plain download continues it (over one connection) rather than
// starting over.
func TestGetSegmentedPlainPartial(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	data := bigData(3<<20 + 1)
	if err := e.srv.WriteFile("pub/p.bin", data); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".p.bin.goftp-part"), data[:1<<20], 0o644)
	r := e.run(t, "get", "-c", "-n", "4", "-o", dir+"/", e.url("pub/p.bin"))
	r.want(t, 0, nil, []string{"p.bin  2.0 MiB in ", "resumed at 1.0 MiB"})
	sameBytes(t, "p.bin", readLocal(t, filepath.Join(dir, "p.bin")), data)
}
