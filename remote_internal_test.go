package ftp

import (
	"testing"

	"github.com/goftplib/ftp/listing"
)

func TestSentName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    listing.Entry
		dir  string
		want string
	}{
		{listing.Entry{Name: "b", Format: listing.FormatMLSx, Raw: "type=file; a/b"}, "", "a/b"},
		{listing.Entry{Name: "b", Format: listing.FormatMLSx, Raw: "type=file; pub/b"}, "pub", "b"},
		{listing.Entry{Name: "b", Format: listing.FormatMLSx, Raw: "type=file; /pub/b"}, "/pub/", "b"},
		{listing.Entry{Name: "passwd", Format: listing.FormatMLSx, Raw: "type=file; /etc/passwd"}, "/", "/etc/passwd"},
		{listing.Entry{Name: "d", Type: listing.Dir, Format: listing.FormatMLSx, Raw: "type=dir; d/"}, "", "d"},
		{listing.Entry{Name: "evil", Raw: "../evil"}, "", "../evil"},
		{listing.Entry{Name: "x", Raw: "dir/x"}, "dir", "x"},
		{listing.Entry{Name: "x y", Format: listing.FormatUnix, Raw: "-rw-r--r-- 1 a b 1 Jan 1 2024 x y"}, "", "x y"},
	} {
		if got := sentName(tc.e, tc.dir); got != tc.want {
			t.Errorf("sentName(%q in %q) = %q, want %q", tc.e.Raw, tc.dir, got, tc.want)
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	ok := listing.Entry{Name: "a b", Format: listing.FormatMLSx, Raw: "type=file; a b"}
	bad := listing.Entry{Name: "passwd", Format: listing.FormatMLSx, Raw: "type=file; /etc/passwd"}
	if err := CheckName(ok, ""); err != nil {
		t.Errorf("CheckName(a b) = %v", err)
	}
	if err := CheckName(bad, ""); err == nil {
		t.Error("CheckName(/etc/passwd) = nil")
	}
}
