package ftp

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"
)

// RetrSegmentedFile downloads remote into the file name under root with
// RetrSegmented, resumably. The bytes go to the partial file
// ".NAME.goftp-part" beside name (the partial file of every goftp
// download), which ends with a record of the download's state: the
// remote file's size and time and the ranges written, saved after the
// bytes it names (and fsync'd). With opts.Resume, the ranges of an
// interrupted download of the same remote file are not fetched again; if
// the remote file changed since (size or MDTM), the download starts over.
// The record makes the partial file longer than the remote file, so a
// download that resumes from a partial file's size never takes it for the
// start of the file.
//
// name is installed (renamed from the partial file) only when every range
// has its bytes and the checksum, where the server offers one, matches.
// On failure the partial file is kept for a later resume, unless it holds
// nothing. It returns the bytes fetched in this call.
func (p *Pool) RetrSegmentedFile(ctx context.Context, remote string, root *os.Root, name string, opts SegmentOptions) (int64, error) {
	part := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".goftp-part")
	f, err := root.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	src := p.addr + " " + remote
	var st *SegmentState
	if opts.Resume {
		if s, from, ok := readSegmentState(f); ok && from == src {
			st = s
		}
	}
	var last *SegmentState
	o := opts
	o.State = st
	o.Checkpoint = func(s SegmentState) error {
		if err := writeSegmentState(f, s, src); err != nil {
			return err
		}
		last = &s
		if opts.Checkpoint != nil {
			return opts.Checkpoint(s)
		}
		return nil
	}
	if st == nil {
		err = f.Truncate(0)
	}
	var n int64
	if err == nil {
		n, err = p.RetrSegmented(ctx, remote, f, o)
		if errors.Is(err, ErrFileChanged) {
			// The partial file belongs to another version: start over.
			o.State, last = nil, nil
			if err = f.Truncate(0); err == nil {
				n, err = p.RetrSegmented(ctx, remote, f, o)
			}
		}
	}
	if err == nil && last != nil {
		err = f.Truncate(last.Size) // the state record goes
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		return n, root.Rename(part, name)
	}
	if errors.Is(err, ErrChecksumMismatch) {
		// Some range is wrong, which one is not known: nothing of the
		// partial file can be trusted.
		root.Remove(part)
		return n, err
	}
	if last == nil || len(last.Done) == 0 {
		if fi, serr := root.Lstat(part); serr == nil && (fi.Size() == 0 || last != nil) {
			root.Remove(part) // nothing worth resuming
		}
	}
	return n, err
}

// The state record at the end of a partial file: JSON, then a footer of
// the magic, the JSON's length and its CRC-32.
const segMagic = "goftp-segments1\n"

const segFooter = len(segMagic) + 8 + 4

type segRecord struct {
	Source  string     `json:"source"` // server address and remote path
	Size    int64      `json:"size"`
	ModTime time.Time  `json:"mtime"`
	Done    [][2]int64 `json:"done"`
}

// writeSegmentState makes the data written so far durable, then writes
// the record of s after the file's s.Size bytes.
func writeSegmentState(f *os.File, s SegmentState, src string) error {
	rec := segRecord{Source: src, Size: s.Size, ModTime: s.ModTime}
	for _, r := range s.Done {
		rec.Done = append(rec.Done, [2]int64{r.Start, r.End})
	}
	js, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	b := append(js, segMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(js)))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(js))
	if _, err := f.WriteAt(b, s.Size); err != nil {
		return err
	}
	return f.Truncate(s.Size + int64(len(b)))
}

// readSegmentState reads the record at the end of a partial file.
func readSegmentState(f *os.File) (*SegmentState, string, bool) {
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(segFooter) {
		return nil, "", false
	}
	foot := make([]byte, segFooter)
	if _, err := f.ReadAt(foot, fi.Size()-int64(segFooter)); err != nil || string(foot[:len(segMagic)]) != segMagic {
		return nil, "", false
	}
	n := binary.BigEndian.Uint64(foot[len(segMagic):])
	sum := binary.BigEndian.Uint32(foot[len(segMagic)+8:])
	if n > 1<<20 || int64(n) > fi.Size()-int64(segFooter) {
		return nil, "", false
	}
	js := make([]byte, n)
	at := fi.Size() - int64(segFooter) - int64(n)
	if _, err := f.ReadAt(js, at); err != nil && err != io.EOF || crc32.ChecksumIEEE(js) != sum {
		return nil, "", false
	}
	var rec segRecord
	if json.Unmarshal(js, &rec) != nil || rec.Size != at {
		return nil, "", false
	}
	st := &SegmentState{Size: rec.Size, ModTime: rec.ModTime}
	for _, r := range rec.Done {
		st.Done = append(st.Done, Range{r[0], r[1]})
	}
	st.Done = mergeRanges(st.Done, st.Size)
	return st, rec.Source, true
}

// SegmentedPartial reports whether the file name under root has the
// partial file of an interrupted RetrSegmentedFile, which only
// RetrSegmentedFile can resume (its bytes are not a prefix of the file).
func SegmentedPartial(root *os.Root, name string) bool {
	f, err := root.Open(filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".goftp-part"))
	if err != nil {
		return false
	}
	defer f.Close()
	_, _, ok := readSegmentState(f)
	return ok
}
