package ftp

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestMergeRangesAndGaps(t *testing.T) {
	got := mergeRanges([]Range{{50, 60}, {0, 10}, {10, 20}, {55, 70}, {90, 200}, {-5, 2}, {30, 30}}, 100)
	want := []Range{{0, 20}, {50, 70}, {90, 100}}
	if !slices.Equal(got, want) {
		t.Errorf("mergeRanges = %v, want %v", got, want)
	}
	gaps := gapsOf(got, 100)
	if want := []Range{{20, 50}, {70, 90}}; !slices.Equal(gaps, want) {
		t.Errorf("gapsOf = %v, want %v", gaps, want)
	}
	if g := gapsOf(nil, 10); !slices.Equal(g, []Range{{0, 10}}) {
		t.Errorf("gapsOf(nil) = %v", g)
	}
	if g := gapsOf([]Range{{0, 10}}, 10); len(g) != 0 {
		t.Errorf("gapsOf(all) = %v", g)
	}
}

// TestSegmentStateRecord writes and reads back the state record at the
// end of a partial file, and refuses damaged or foreign records.
func TestSegmentStateRecord(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "p"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := SegmentState{Size: 1000, ModTime: mt, Done: []Range{{0, 100}, {500, 600}}}
	if _, err := f.WriteAt(make([]byte, 100), 0); err != nil {
		t.Fatal(err)
	}
	if err := writeSegmentState(f, st, "h:21 /a"); err != nil {
		t.Fatal(err)
	}
	got, src, ok := readSegmentState(f)
	if !ok || src != "h:21 /a" || got.Size != 1000 || !got.ModTime.Equal(mt) || !slices.Equal(got.Done, st.Done) {
		t.Fatalf("read back %+v %q %v", got, src, ok)
	}
	fi, _ := f.Stat()
	if fi.Size() <= 1000 {
		t.Errorf("partial file of %d bytes: the record must make it longer than the file", fi.Size())
	}
	// A shorter record replaces a longer one.
	st.Done = []Range{{0, 1000}}
	if err := writeSegmentState(f, st, "h:21 /a"); err != nil {
		t.Fatal(err)
	}
	if got, _, ok := readSegmentState(f); !ok || !slices.Equal(got.Done, st.Done) {
		t.Fatalf("after rewrite: %+v %v", got, ok)
	}
	// Damage: one byte of the JSON changed.
	if _, err := f.WriteAt([]byte{'#'}, 1002); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := readSegmentState(f); ok {
		t.Error("a damaged record was accepted")
	}
	// A plain partial file (a prefix of the file) has no record.
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("hello"), 0)
	if _, _, ok := readSegmentState(f); ok {
		t.Error("a record found in a plain file")
	}
}
