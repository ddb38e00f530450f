package ftp_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// TestSizesPipelines: TYPE I and the SIZE commands go out together (the server
// answers only once it has read the last one, which a client waiting for
// each reply would never send), each file gets its own result, and a
// name that cannot be sent fails alone.
func TestSizesPipelines(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I"},
		{Cmd: "SIZE a"},
		{Cmd: "SIZE b"},
		{Cmd: "SIZE c", Reply: "200 binary\n213 4\n550 b: no such file\n213 123456789012"},
		{Cmd: "SIZE d", Reply: "213 7"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	login(t, c)
	sizes, errs, err := c.Sizes(t.Context(), []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if sizes[0] != 4 || errs[0] != nil || sizes[2] != 123456789012 || errs[2] != nil {
		t.Errorf("Sizes = %v, %v", sizes, errs)
	}
	if !errors.Is(errs[1], fs.ErrNotExist) {
		t.Errorf("b: %v, want fs.ErrNotExist", errs[1])
	}
	// A bad name: the others are asked one at a time, in step.
	sizes, errs, err = c.Sizes(t.Context(), []string{"d", "e\r\nDELE x"})
	if err != nil || sizes[0] != 7 || errs[0] != nil || !errors.Is(errs[1], fs.ErrInvalid) {
		t.Errorf("Sizes with a bad name = %v, %v, %v", sizes, errs, err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestSizesFtptest: Sizes agrees with Size on a real server, for more
// names than one write holds.
func TestSizesFtptest(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	var paths []string
	for i := range 70 {
		p := "f" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		paths = append(paths, p)
		if i%10 != 3 {
			if err := srv.WriteFile(p, make([]byte, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := (&ftp.Dialer{}).Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(t.Context(), ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	sizes, errs, err := c.Sizes(t.Context(), paths)
	if err != nil {
		t.Fatal(err)
	}
	for i := range paths {
		missing := i%10 == 3
		if missing != errors.Is(errs[i], fs.ErrNotExist) || !missing && (errs[i] != nil || sizes[i] != int64(i)) {
			t.Errorf("%s: %d, %v (missing %v)", paths[i], sizes[i], errs[i], missing)
		}
	}
}

// TestSizesWindow: the second write of SIZE commands goes out before the
// replies to the first are read (the server answers the first 64 only
// once it has read the 65th), and a name that cannot be sent is not sent.
func TestSizesWindow(t *testing.T) {
	t.Parallel()
	var steps []step
	var paths []string
	steps = append(steps, step{Cmd: "TYPE I"})
	for i := range 66 {
		p := fmt.Sprintf("f%02d", i)
		paths = append(paths, p)
		steps = append(steps, step{Cmd: "SIZE " + p})
	}
	replies := []string{"200 binary"}
	for i := range 64 {
		replies = append(replies, fmt.Sprintf("213 %d", i))
	}
	steps[65].Reply = strings.Join(replies, "\n") // after reading SIZE f64
	steps[66].Reply = "213 64\n550 f65: no such file"
	c, _ := dialScript(t, nil, script(loginSteps, steps)...)
	login(t, c)
	paths = append(paths[:10], append([]string{"bad\r\nDELE x"}, paths[10:]...)...)
	sizes, errs, err := c.Sizes(t.Context(), paths)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(errs[10], fs.ErrInvalid) {
		t.Errorf("bad name: %v, want fs.ErrInvalid", errs[10])
	}
	for i, p := range paths {
		var want int64
		switch {
		case i == 10:
			continue
		case p == "f65":
			if !errors.Is(errs[i], fs.ErrNotExist) {
				t.Errorf("f65: %v, want fs.ErrNotExist", errs[i])
			}
			continue
		default:
			fmt.Sscanf(p, "f%d", &want)
		}
		if errs[i] != nil || sizes[i] != want {
			t.Errorf("%s: %d, %v; want %d", p, sizes[i], errs[i], want)
		}
	}
}
