package mirror

import (
	"testing"
	"time"
)

func TestSameTime(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	local := time.Date(2024, 5, 6, 7, 8, 37, 500, time.UTC)
	for _, tc := range []struct {
		remote time.Time
		prec   time.Duration
		same   bool
	}{
		{time.Time{}, 0, true}, // unknown: the size decides
		{local, time.Nanosecond, true},
		{local.Truncate(time.Second), time.Second, true},
		{local.Add(time.Second), time.Second, false},
		{time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC), time.Minute, true},
		{time.Date(2024, 5, 6, 7, 9, 0, 0, time.UTC), time.Minute, false},
		{time.Date(2024, 5, 6, 9, 8, 0, 0, berlin), time.Minute, true}, // same instant, server zone
		{time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), 24 * time.Hour, true},
		{time.Date(2024, 5, 5, 0, 0, 0, 0, time.UTC), 24 * time.Hour, false},
	} {
		if got := sameTime(local, tc.remote, tc.prec); got != tc.same {
			t.Errorf("sameTime(%v, %v, %v) = %t, want %t", local, tc.remote, tc.prec, got, tc.same)
		}
	}
	if !newer(local, local.Add(-time.Hour), time.Second) || newer(local, local.Add(time.Hour), time.Second) ||
		newer(local, local.Truncate(time.Minute), time.Minute) || newer(local, time.Time{}, 0) {
		t.Error("newer is wrong")
	}
}

func TestPartName(t *testing.T) {
	t.Parallel()
	if got := partName("a.bin"); got != ".a.bin.goftp-part" {
		t.Errorf("partName = %q", got)
	}
	for name, want := range map[string]string{".a.bin.goftp-part": "a.bin", ".x.goftp-part": "x", "a.goftp-part": "", ".goftp-part": ""} {
		got, ok := isPartOf(name)
		if got != want || ok != (want != "") {
			t.Errorf("isPartOf(%q) = %q, %t; want %q", name, got, ok, want)
		}
	}
}

// TestProvesDir: only a listing that neither a file nor a missing
// directory can give confirms the top directory without CWD or MLST.
func TestProvesDir(t *testing.T) {
	for _, c := range []struct {
		names []string
		dir   string
		want  bool
	}{
		{nil, "pub/data", false},                  // a missing directory listed empty
		{[]string{"data"}, "pub/data", false},     // LIST of a file named data
		{[]string{"data"}, "pub/data/", false},    // the same, with a slash
		{[]string{"a.bin"}, "pub/data", true},     // one entry, another name
		{[]string{"a", "data"}, "pub/data", true}, // two entries
	} {
		var es []entry
		for _, n := range c.names {
			es = append(es, entry{Name: n})
		}
		if got := provesDir(es, c.dir); got != c.want {
			t.Errorf("provesDir(%v, %q) = %v, want %v", c.names, c.dir, got, c.want)
		}
	}
}
