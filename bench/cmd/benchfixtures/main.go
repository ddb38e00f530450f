// Command benchfixtures writes the files bench/compare.sh transfers, below
// -dir:
//
//	big.bin           -big bytes of pseudo-random data
//	seg.bin           -seg bytes of pseudo-random data (the segmented
//	                  download through the delaying proxy; 0: none)
//	empty.bin         0 bytes (what a command costs besides its transfer)
//	small/fNNNN.bin   -small files of -smallsize bytes
//	rtt1/, rtt8/      the first -rtt1 and -rtt8 of those (hard links), for
//	                  the runs through the delaying proxy with 1 and 8
//	                  connections
//	many/eNNNNNN      -many empty files, for the listing
//	up/, up/small/, up/rtt1/, up/rtt8/   empty, upload targets
//
// and, with -lines FILE, N LIST lines (-nlines) that both this module's
// listing package and jlaffaye/ftp parse: Unix ls lines as vsftpd,
// ProFTPD and Pure-FTPd send them (files, directories, links, recent and
// old dates) and DOS lines as IIS sends them.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "output directory")
	bigSize := flag.Int64("big", 1<<30, "size of big.bin")
	segSize := flag.Int64("seg", 0, "size of seg.bin (0: no seg.bin)")
	small := flag.Int("small", 2000, "number of small files")
	smallSize := flag.Int("smallsize", 1024, "size of each small file")
	rtt1 := flag.Int("rtt1", 100, "small files also linked into rtt1/")
	rtt8 := flag.Int("rtt8", 400, "small files also linked into rtt8/")
	many := flag.Int("many", 100000, "empty files in many/")
	lines := flag.String("lines", "", "file to write LIST lines to")
	nlines := flag.Int("nlines", 1000000, "number of LIST lines")
	flag.Parse()
	if err := run(*dir, *bigSize, *segSize, *small, *smallSize, *rtt1, *rtt8, *many, *lines, *nlines); err != nil {
		fmt.Fprintln(os.Stderr, "benchfixtures:", err)
		os.Exit(1)
	}
}

type randReader struct{ r *rand.ChaCha8 }

func (r randReader) Read(p []byte) (int, error) { return r.r.Read(p) }

func run(dir string, bigSize, segSize int64, small, smallSize, rtt1, rtt8, many int, lines string, nlines int) error {
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	for _, d := range []string{"small", "rtt1", "rtt8", "many", "up/small", "up/rtt1", "up/rtt8"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	rnd := randReader{rand.NewChaCha8([32]byte{'g', 'o', 'f', 't', 'p'})}
	if err := randomFile(filepath.Join(dir, "big.bin"), rnd, bigSize); err != nil {
		return err
	}
	if segSize > 0 {
		if err := randomFile(filepath.Join(dir, "seg.bin"), rnd, segSize); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.bin"), nil, 0o644); err != nil {
		return err
	}
	buf := make([]byte, smallSize)
	for i := 1; i <= small; i++ {
		rnd.Read(buf)
		name := fmt.Sprintf("f%04d.bin", i)
		p := filepath.Join(dir, "small", name)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			return err
		}
		for sub, n := range map[string]int{"rtt1": rtt1, "rtt8": rtt8} {
			if i <= n {
				if err := os.Link(p, filepath.Join(dir, sub, name)); err != nil {
					return err
				}
			}
		}
	}
	for i := 1; i <= many; i++ {
		if err := os.WriteFile(filepath.Join(dir, "many", fmt.Sprintf("e%06d", i)), nil, 0o644); err != nil {
			return err
		}
	}
	if lines != "" {
		return writeLines(lines, nlines)
	}
	return nil
}

// randomFile writes size bytes of rnd to a new file at name.
func randomFile(name string, rnd io.Reader, size int64) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.CopyN(w, rnd, size); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeLines writes n LIST lines cycling through common shapes.
func writeLines(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	for i := range n {
		m := months[i%12]
		day := i%28 + 1
		switch i % 8 {
		case 0, 1, 2: // vsftpd: numeric owner, recent date
			fmt.Fprintf(w, "-rw-r--r--    1 1000     1000     %8d %s %2d %02d:%02d file%07d.dat\r\n", i*37%10000000, m, day, i%24, i%60, i)
		case 3: // old file, year instead of time, names with spaces
			fmt.Fprintf(w, "-rw-r--r--    1 ftp      ftp      %8d %s %2d  2019 report %07d.pdf\r\n", i*7919%100000000, m, day, i)
		case 4: // directory, ProFTPD style
			fmt.Fprintf(w, "drwxr-xr-x   2 goftp    goftp        4096 %s %2d %02d:%02d dir%07d\r\n", m, day, i%24, i%60, i)
		case 5: // symbolic link
			fmt.Fprintf(w, "lrwxrwxrwx    1 0        0              11 %s %2d %02d:%02d link%07d -> file%07d.dat\r\n", m, day, i%24, i%60, i, i-5)
		case 6: // DOS / IIS file
			fmt.Fprintf(w, "%02d-%02d-%02d  %02d:%02dPM %20d file%07d.txt\r\n", i%12+1, day, i%30, i%12+1, i%60, i*13%1000000, i)
		case 7: // DOS / IIS directory
			fmt.Fprintf(w, "%02d-%02d-%02d  %02d:%02dAM       <DIR>          folder%07d\r\n", i%12+1, day, i%30, i%12+1, i%60, i)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
