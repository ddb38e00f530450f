package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/mirror"
)

// progress reports transfers: on a terminal, a live bar per transfer
// (several at once, one line each, when transfers run in parallel); in a
// pipe or file, one line per file when it completes.
type progress struct {
	a     *app
	w     io.Writer
	board *board // nil when w is not a terminal
	total *total // the line of all transfers together (withTotal), or nil
}

// newProgress returns the progress reporter writing to w.
func (a *app) newProgress(w io.Writer) *progress {
	p := &progress{a: a, w: w}
	if width, ok := terminalWidth(w); ok {
		a.mu.Lock()
		if a.board == nil {
			a.board = &board{mu: &a.mu, w: w, width: width}
		}
		p.board = a.board
		a.mu.Unlock()
	}
	return p
}

// terminalWidth reports whether w is a terminal, and its width.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// meter follows one transfer. It implements mirror.Meter; on a terminal
// it is also an io.Writer counting the bytes for the bar.
type meter struct {
	p      *progress
	label  string
	size   int64 // -1 unknown
	offset int64 // resumed at: bytes already there, not counted in the rate
	start  time.Time
	slot   *slot
	once   sync.Once

	mu    sync.Mutex // guards n and drawn
	n     int64      // bytes moved in this run
	drawn time.Time  // last time the bar was drawn
}

// liveMeter is a meter that counts bytes as they pass.
type liveMeter struct{ *meter }

// redrawEvery throttles the bars.
const redrawEvery = 80 * time.Millisecond

func (m liveMeter) Write(b []byte) (int, error) {
	m.count(int64(len(b)))
	return len(b), nil
}

// count adds n bytes moved and redraws the bar (on a terminal) when due.
func (m *meter) count(n int64) {
	if t := m.p.total; t != nil {
		t.count(n)
	}
	if m.slot == nil {
		m.mu.Lock()
		m.n += n
		m.mu.Unlock()
		return
	}
	m.mu.Lock()
	m.n += n
	now := time.Now()
	draw := now.Sub(m.drawn) >= redrawEvery || m.size >= 0 && m.offset+m.n >= m.size
	if draw {
		m.drawn = now
	}
	moved := m.n
	m.mu.Unlock()
	if draw {
		m.slot.set(m.line(moved, now))
	}
}

// start begins following a transfer of size bytes (-1 unknown) resumed
// at offset. The returned Meter is an io.Writer only on a terminal, so
// transfers keep the zero-copy path otherwise.
func (p *progress) start(label string, size, offset int64) mirror.Meter {
	label = ftp.EscapeText(label) // remote names come from the server
	m := &meter{p: p, label: label, size: size, offset: offset, start: time.Now()}
	if p.board == nil {
		if p.total != nil {
			return liveMeter{m} // counts for the total line
		}
		return m
	}
	m.slot = p.board.add()
	m.slot.set(m.line(0, m.start))
	return liveMeter{m}
}

// rate returns the transfer rate in bytes per second of n bytes moved
// in this run by now: bytes resumed from (offset) are not counted, so
// that a resumed transfer shows the speed of the link.
func (m *meter) rate(n int64, now time.Time) float64 {
	d := now.Sub(m.start).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(n) / d
}

// line is the progress bar line of n bytes moved in this run by now:
//
//	name.bin                 [=======>            ]  38%  1.2 MiB/3.0 MiB  2.4 MiB/s  ETA 1s
//
// sizes and rates in binary units (KiB, MiB), as the summaries; the rate
// and the ETA count only the bytes moved in this run.
func (m *meter) line(n int64, now time.Time) string {
	const width = 20
	var b strings.Builder
	b.WriteString(fitLabel(m.label, 24))
	done := m.offset + n
	rate := m.rate(n, now)
	if m.size < 0 {
		fmt.Fprintf(&b, " %s", humanBytes(float64(done)))
	} else {
		frac := 1.0
		if m.size > 0 {
			frac = min(float64(done)/float64(m.size), 1)
		}
		fill := int(frac * width)
		bar := strings.Repeat("=", fill)
		if fill < width {
			bar += ">" + strings.Repeat(" ", width-fill-1)
		}
		fmt.Fprintf(&b, " [%s] %3d%%  %s/%s", bar, int(frac*100), humanBytes(float64(done)), humanBytes(float64(m.size)))
	}
	if n > 0 && rate > 0 {
		fmt.Fprintf(&b, "  %s/s", humanBytes(rate))
		if m.size >= 0 && done < m.size {
			eta := time.Duration(float64(m.size-done) / rate * float64(time.Second))
			fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
		}
	}
	return b.String()
}

// Done ends the transfer: the bar is replaced by a summary line, or in
// plain mode the summary line is printed. Failures print nothing here;
// the command reports them.
func (m *meter) Done(n int64, err error) {
	m.once.Do(func() {
		if t := m.p.total; t != nil {
			t.fileDone(err)
		}
		line := ""
		if err == nil {
			line = m.summary(n)
		}
		if m.slot != nil {
			m.p.board.remove(m.slot, line)
			return
		}
		if line != "" {
			m.p.a.printf(m.p.w, "%s\n", line)
		}
	})
}

// summary is the line printed for a finished transfer.
func (m *meter) summary(n int64) string {
	d := time.Since(m.start)
	rate := float64(n) / max(d.Seconds(), 1e-6)
	s := fmt.Sprintf("%s  %s in %s (%s/s)", m.label, humanBytes(float64(n)), d.Round(time.Millisecond), humanBytes(rate))
	if m.offset > 0 {
		s += fmt.Sprintf(", resumed at %s", humanBytes(float64(m.offset)))
	}
	return s
}

// fitLabel shortens s to at most n runes, keeping its end.
func fitLabel(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s + strings.Repeat(" ", n-utf8.RuneCountInString(s))
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

// board draws several progress bars, one per line, below the output
// that came before them, redrawing them in place with ANSI escapes.
type board struct {
	mu     *sync.Mutex // the app's output lock
	w      io.Writer
	width  int
	slots  []*slot
	footer *slot // drawn below the bars (the total line), or nil
	drawn  int   // lines drawn by the last redraw
}

// slot is one bar's line.
type slot struct {
	b    *board
	line string
}

func (b *board) add() *slot {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &slot{b: b}
	b.slots = append(b.slots, s)
	return s
}

// set replaces the slot's line and redraws the board.
func (s *slot) set(text string) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.line = text
	s.b.redraw("")
}

// remove takes s off the board, printing final (if any) above the bars.
func (b *board) remove(s *slot, final string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.slots {
		if x == s {
			b.slots = append(b.slots[:i], b.slots[i+1:]...)
			break
		}
	}
	b.redraw(final)
}

// redraw moves the cursor to the first bar line, clears to the end of
// the screen, prints above (a finished line, if any) and the bars. The
// output lock must be held.
func (b *board) redraw(above string) {
	var sb strings.Builder
	if b.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dF", b.drawn)
	}
	sb.WriteString("\x1b[J")
	if above != "" {
		sb.WriteString(above + "\n")
	}
	lines := b.slots
	if b.footer != nil {
		lines = append(slices.Clip(lines), b.footer)
	}
	for _, s := range lines {
		line := s.line
		if utf8.RuneCountInString(line) >= b.width {
			line = string([]rune(line)[:b.width-1])
		}
		sb.WriteString(line + "\n")
	}
	b.drawn = len(lines)
	io.WriteString(b.w, sb.String())
}

// total is the line of all the transfers of a command together: files
// done, bytes moved in this run and the overall rate. On a terminal it
// is drawn below the bars; otherwise it is printed once, at the end.
type total struct {
	p     *progress
	files int // to transfer
	start time.Time
	slot  *slot // on a terminal

	mu     sync.Mutex
	done   int
	failed int
	n      int64
	drawn  time.Time
}

// withTotal adds the total line for files transfers.
func (p *progress) withTotal(files int) {
	t := &total{p: p, files: files, start: time.Now()}
	p.total = t
	if p.board != nil {
		t.slot = &slot{b: p.board}
		p.board.mu.Lock()
		p.board.footer = t.slot
		p.board.mu.Unlock()
		t.redraw(true)
	}
}

func (t *total) count(n int64) {
	t.mu.Lock()
	t.n += n
	t.mu.Unlock()
	t.redraw(false)
}

func (t *total) fileDone(err error) {
	t.mu.Lock()
	t.done++
	if err != nil {
		t.failed++
	}
	t.mu.Unlock()
	t.redraw(true)
}

// line is the total line:
//
//	total  3/10 files  12.0 MiB  5.1 MiB/s
func (t *total) line() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := fmt.Sprintf("total  %d/%d files  %s", t.done, t.files, humanBytes(float64(t.n)))
	if d := time.Since(t.start).Seconds(); d > 0 && t.n > 0 {
		s += fmt.Sprintf("  %s/s", humanBytes(float64(t.n)/d))
	}
	if t.failed > 0 {
		s += fmt.Sprintf("  (%d failed)", t.failed)
	}
	return s
}

func (t *total) redraw(force bool) {
	if t.slot == nil {
		return
	}
	t.mu.Lock()
	now := time.Now()
	if !force && now.Sub(t.drawn) < redrawEvery {
		t.mu.Unlock()
		return
	}
	t.drawn = now
	t.mu.Unlock()
	t.slot.set(t.line())
}

// finish ends the progress report: the total line, if any, is printed
// for good.
func (p *progress) finish() {
	t := p.total
	if t == nil {
		return
	}
	line := fmt.Sprintf("%s in %s", t.line(), time.Since(t.start).Round(time.Millisecond))
	if p.board != nil {
		p.board.mu.Lock()
		p.board.footer = nil
		p.board.redraw(line)
		p.board.mu.Unlock()
		return
	}
	p.a.printf(p.w, "%s\n", line)
}
