package main

import (
	"strings"
	"testing"
	"time"
)

// TestProgressLineResumed: after get -c, the bar's rate and ETA count
// only the bytes moved in this run, not those already on disk, and sizes
// and rates use binary units (MiB), as the summaries do.
func TestProgressLineResumed(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	m := &meter{label: "big.bin", size: 200 * mib, offset: 100 * mib, start: time.Unix(1000, 0)}
	got := m.line(10*mib, time.Unix(1001, 0)) // 10 MiB in 1 s, 90 MiB left
	for _, want := range []string{"big.bin", " 55%", "110.0 MiB/200.0 MiB", "  10.0 MiB/s", "ETA 9s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q does not contain %q", got, want)
		}
	}
	if strings.Contains(got, "MB") {
		t.Errorf("line %q uses SI units", got)
	}
	m.start = time.Now().Add(-time.Second)
	if s := m.summary(10 * mib); !strings.Contains(s, "10.0 MiB in ") || !strings.Contains(s, "resumed at 100.0 MiB") {
		t.Errorf("summary %q", s)
	}
	if r := m.rate(10*mib, m.start.Add(time.Second)); r != 10*mib {
		t.Errorf("rate = %v, want %v (resumed bytes not counted)", r, 10*mib)
	}

	u := &meter{label: "stream", size: -1, start: time.Unix(1000, 0)}
	if got := u.line(3*mib, time.Unix(1002, 0)); !strings.Contains(got, "3.0 MiB  1.5 MiB/s") || strings.Contains(got, "ETA") {
		t.Errorf("unknown size: line %q", got)
	}
}

// TestProgressBoardTotal: on a terminal, parallel transfers show one bar
// each and the total line below them; finished transfers print their
// summary above the bars, and the total is printed for good at the end.
func TestProgressBoardTotal(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	a := &app{}
	p := &progress{a: a, w: &out, board: &board{mu: &a.mu, w: &out, width: 100}}
	a.board = p.board
	p.withTotal(2)
	m1 := p.start("one.bin", 1000, 0).(liveMeter)
	m2 := p.start("two.bin", 2000, 0).(liveMeter)
	m1.Write(make([]byte, 1000))
	m2.Write(make([]byte, 500))
	m1.Done(1000, nil)
	time.Sleep(redrawEvery + 10*time.Millisecond)
	m2.Write(make([]byte, 1500))
	m2.Done(2000, nil)
	p.finish()
	s := out.String()
	for _, want := range []string{"one.bin  1000 B in ", "two.bin  2.0 KiB in ", "total  1/2 files", "total  2/2 files  2.9 KiB"} {
		if !strings.Contains(s, want) {
			t.Errorf("output does not contain %q:\n%q", want, s)
		}
	}
	// The last thing printed is the final total line, after the board
	// was cleared (no bar left below it).
	if i := strings.LastIndex(s, "\x1b[J"); !strings.HasPrefix(s[i+3:], "total  2/2 files") || strings.Count(s[i+3:], "\n") != 1 {
		t.Errorf("the board does not end with the total line alone: %q", s[i:])
	}
}
