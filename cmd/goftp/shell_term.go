package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/peterh/liner"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// The interactive shell: line editing, history and Tab completion with
// github.com/peterh/liner (pure Go, no cgo, maintained, used by delve;
// it has history load/save, a word completer, and returns on Ctrl-C at
// the prompt instead of raising a signal), and Ctrl-C during a command
// cancelling that command only.

// completionTimeout bounds the listing made for a Tab completion.
const completionTimeout = 5 * time.Second

// The history file keeps at most liner.HistoryLimit lines (liner's own
// bound, applied when it reads and writes the history).

// interactive reads commands from the terminal until Ctrl-D, bye, or
// SIGTERM. Ctrl-C while a command runs cancels that command (a transfer
// is aborted with ABOR, the connection stays usable) and brings the
// prompt back; Ctrl-C at the prompt clears the line.
func (s *shell) interactive() error {
	a := s.a
	// Each command gets a context of its own, which Ctrl-C cancels. The
	// app's context is cancelled by main at the first SIGINT: the
	// session's root context does not follow it; SIGTERM ends it.
	root, stop := context.WithCancel(context.WithoutCancel(a.ctx))
	defer stop()
	s.root = root
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	var mu sync.Mutex
	var cancelCmd context.CancelCauseFunc
	quit := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(quit)
	wg.Go(func() {
		for {
			select {
			case <-quit:
				return
			case sig := <-sigc:
				if sig == syscall.SIGTERM {
					stop()
				}
				mu.Lock()
				if cancelCmd != nil {
					cancelCmd(errInterrupted)
				}
				mu.Unlock()
			}
		}
	})

	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetWordCompleter(s.complete)
	hist := s.historyFile()
	if hist != "" {
		if f, err := os.Open(hist); err == nil {
			ln.ReadHistory(f)
			f.Close()
		}
	}
	for !s.done && root.Err() == nil {
		line, err := ln.Prompt(s.prompt())
		switch {
		case errors.Is(err, liner.ErrPromptAborted):
			continue // Ctrl-C: the line is dropped
		case errors.Is(err, io.EOF):
			a.printf(a.stdout, "\n")
			s.done = true
			continue
		case err != nil:
			return err
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		stmts, perr := splitLine(line)
		if h, ok := historyLine(strings.TrimSpace(line), stmts, perr); ok {
			ln.AppendHistory(h)
			s.saveHistory(ln, hist)
		}
		if perr != nil {
			a.errorf("%v", perr)
			continue
		}
		for _, st := range stmts {
			if s.done || root.Err() != nil {
				break
			}
			code := 0
			s.withCommandContext(root, func(cancel context.CancelCauseFunc) {
				mu.Lock()
				cancelCmd = cancel
				mu.Unlock()
				code = s.exec(st)
				mu.Lock()
				cancelCmd = nil
				mu.Unlock()
			})
			if code == exitInterrupted {
				break // the rest of the line too
			}
		}
	}
	if root.Err() != nil {
		return errInterrupted
	}
	// main cancelled the app's context at the first Ctrl-C, which only
	// ended a command: the session itself ends normally.
	a.ctx = context.WithoutCancel(a.ctx)
	return s.end()
}

// historyFile is where the history is kept: $XDG_STATE_HOME/goftp/history,
// or ~/.local/state/goftp/history; "" when there is no home.
func (s *shell) historyFile() string {
	dir := s.a.getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "goftp", "history")
}

// saveHistory writes the history file (mode 0600), replacing it whole.
func (s *shell) saveHistory(ln *liner.State, name string) {
	if name == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".history-*")
	if err != nil {
		return
	}
	_, werr := ln.WriteHistory(f)
	if cerr := f.Close(); werr == nil && cerr == nil {
		if os.Rename(f.Name(), name) == nil {
			return
		}
	}
	os.Remove(f.Name())
}

// historyLine returns the line as the history keeps it: passwords left
// out (an open URL's, user's second argument, quote PASS/ACCT), and not at
// all when it cannot be parsed (its secrets could not be found).
func historyLine(line string, stmts []stmt, perr error) (string, bool) {
	if perr != nil {
		return "", false
	}
	secret := false
	for i, st := range stmts {
		words := slices.Clone(st.words)
		switch words[0].text {
		case "open":
			for j := 1; j < len(words); j++ {
				if u, err := ftp.ParseURL(words[j].text); err == nil && u.HasPassword {
					u.Password, u.HasPassword = "", false
					words[j] = word{text: u.String()}
					secret = true
				}
			}
		case "user":
			if len(words) > 2 {
				words = words[:2]
				secret = true
			}
		case "quote", "site":
			if len(words) > 2 && (strings.EqualFold(words[1].text, "PASS") || strings.EqualFold(words[1].text, "ACCT")) {
				words = append(words[:2], word{text: "****"})
				secret = true
			}
		}
		stmts[i].words = words
	}
	if !secret {
		return line, true
	}
	var parts []string
	for _, st := range stmts {
		var ws []string
		for j, w := range st.words {
			t := escapeWord(w.text, w.quotedMeta)
			if j == 0 && st.ignore {
				t = "-" + t
			}
			ws = append(ws, t)
		}
		parts = append(parts, strings.Join(ws, " "))
	}
	return strings.Join(parts, "; "), true
}

// escapeWord writes text so that splitLine reads it back as one word;
// with metas, glob metacharacters are escaped too (the word names itself).
func escapeWord(text string, metas bool) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if strings.IndexByte(" \t;\\'\"", c) >= 0 || c == '#' && i == 0 || metas && strings.IndexByte("*?[]", c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// completion kinds: what the word under the cursor names.
type completionKind int

const (
	completeNothing completionKind = iota
	completeRemote
	completeRemoteDirs
	completeLocal
	completeLocalDirs
	completeCommands
	completeSettings
)

// completionFor returns what the arguments of cmd name; fields are the
// statement's words before the one being completed.
func completionFor(cmd string, fields []string) completionKind {
	switch cmd {
	case "put", "mput", "reput", "lls":
		return completeLocal
	case "lcd":
		return completeLocalDirs
	case "cd", "rmdir", "mkdir":
		return completeRemoteDirs
	case "mirror":
		if slices.Contains(fields, "-R") && len(fields) <= 2 {
			return completeLocal
		}
		if !slices.Contains(fields, "-R") && len(fields) >= 2 && !strings.HasPrefix(fields[len(fields)-1], "-") {
			return completeLocal // mirror REMOTE LOCAL
		}
		return completeRemote
	case "help", "?":
		return completeCommands
	case "set":
		if len(fields) == 1 {
			return completeSettings
		}
		return completeNothing
	case "open", "user", "quote", "site", "bye", "exit", "quit", "close", "pwd", "lpwd", "cdup":
		return completeNothing
	}
	return completeRemote
}

// complete is the line editor's Tab completion: command names, then
// local or remote paths depending on the command (remote names from a
// listing of their directory, cached until a command changes the tree).
func (s *shell) complete(line string, pos int) (head string, completions []string, tail string) {
	r := []rune(line)
	pos = min(max(pos, 0), len(r))
	before, tail := string(r[:pos]), string(r[pos:])
	start := wordStart(before)
	head, cur := before[:start], unescapeWord(before[start:])
	stmtText := head
	if i := strings.LastIndexByte(head, ';'); i >= 0 {
		stmtText = head[i+1:]
	}
	fields := strings.Fields(stmtText)
	kind := completeCommands
	if len(fields) > 0 {
		kind = completionFor(strings.TrimPrefix(fields[0], "-"), fields)
	}
	var names []string
	switch kind {
	case completeCommands:
		ignore := ""
		if len(fields) == 0 && strings.HasPrefix(cur, "-") {
			ignore, cur = "-", cur[1:] // -cmd: its failure is ignored
		}
		for _, c := range shellCommands() {
			for _, n := range c.names {
				if strings.HasPrefix(n, cur) {
					names = append(names, ignore+n+" ")
				}
			}
		}
	case completeSettings:
		for _, st := range settings() {
			if strings.HasPrefix(st.name, cur) {
				names = append(names, st.name+" ")
			}
		}
	case completeLocal, completeLocalDirs:
		names = s.pathCompletions(cur, kind == completeLocalDirs, s.localNames)
	case completeRemote, completeRemoteDirs:
		names = s.pathCompletions(cur, kind == completeRemoteDirs, s.remoteNames)
	}
	slices.Sort(names)
	for i, n := range names {
		if strings.HasSuffix(n, " ") {
			names[i] = escapeWord(strings.TrimSuffix(n, " "), true) + " "
		} else {
			names[i] = escapeWord(n, true)
		}
	}
	return head, names, tail
}

// pathCompletions completes cur, a path, from the names that list gives
// for its directory: directories end with "/"; names starting with a
// dot only when cur's last element does.
func (s *shell) pathCompletions(cur string, dirsOnly bool, list func(dir string) []cacheEntry) []string {
	dir, prefix := "", cur
	if i := strings.LastIndexByte(cur, '/'); i >= 0 {
		dir, prefix = cur[:i+1], cur[i+1:]
	}
	var out []string
	for _, e := range list(dir) {
		if !strings.HasPrefix(e.name, prefix) || dirsOnly && !e.dir || quoteName(e.name) != e.name ||
			strings.HasPrefix(e.name, ".") && !strings.HasPrefix(prefix, ".") {
			continue
		}
		if e.dir {
			out = append(out, dir+e.name+"/")
		} else {
			out = append(out, dir+e.name+" ")
		}
	}
	return out
}

// remoteNames lists the remote directory dir (relative to the working
// directory) for completion, from the cache or the server.
func (s *shell) remoteNames(dir string) []cacheEntry {
	if s.pool == nil {
		return nil
	}
	p := s.abs(dir)
	if names, ok := s.cache.get(p); ok {
		return names
	}
	parent := s.root
	if parent == nil {
		parent = s.a.ctx
	}
	ctx, cancel := context.WithTimeout(parent, completionTimeout)
	defer cancel()
	var names []cacheEntry
	err := s.pool.Do(ctx, func(c *ftp.Conn) error {
		for e, err := range c.ReadDirSeq(ctx, p) {
			if err != nil {
				var pe *listing.ParseError
				if errors.As(err, &pe) {
					continue
				}
				return err
			}
			if e.Type == listing.CurrentDir || e.Type == listing.ParentDir || ftp.CheckName(e, p) != nil {
				continue
			}
			if len(names) < maxCachedNames {
				names = append(names, cacheEntry{e.Name, e.Type == listing.Dir})
			}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	s.cache.put(p, names)
	return names
}

// localNames lists the local directory dir for completion.
func (s *shell) localNames(dir string) []cacheEntry {
	entries, err := os.ReadDir(s.labs(cmpOr(dir, ".")))
	if err != nil {
		return nil
	}
	var names []cacheEntry
	for _, e := range entries {
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(s.labs(cmpOr(dir, ".")), e.Name())); err == nil {
				isDir = fi.IsDir()
			}
		}
		names = append(names, cacheEntry{e.Name(), isDir})
		if len(names) >= maxCachedNames {
			break
		}
	}
	return names
}

// wordStart returns where the word being typed at the end of line starts:
// after the last blank or ';' that is not quoted or escaped.
func wordStart(line string) int {
	start := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(line) {
				i++
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		case c == ' ' || c == '\t' || c == ';':
			start = i + 1
		}
	}
	return min(start, len(line))
}

// unescapeWord reads a partly typed word as splitLine would, ignoring an
// unterminated quote.
func unescapeWord(w string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case c == '\\' && quote != '\'' && i+1 < len(w):
			i++
			b.WriteByte(w[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// logger is the session's protocol logger: it follows "set verbose"
// (the -v level) as it changes, without reconnecting.
func (s *shell) logger() *slog.Logger {
	return slog.New(&shellLog{s: s})
}

type shellLog struct {
	s     *shell
	attrs []slog.Attr
}

func (h *shellLog) min() (slog.Level, bool) {
	switch v := h.s.verbose.Load(); {
	case v <= 0:
		return 0, false
	case v == 1:
		return slog.LevelDebug, true
	}
	return ftp.LevelTrace, true
}

func (h *shellLog) Enabled(_ context.Context, l slog.Level) bool {
	m, ok := h.min()
	return ok && l >= m
}

func (h *shellLog) Handle(ctx context.Context, r slog.Record) error {
	m, _ := h.min()
	var d slog.Handler = newDialogue(h.s.a.writer(h.s.a.stderr), m, false)
	if len(h.attrs) > 0 {
		d = d.WithAttrs(h.attrs)
	}
	return d.Handle(ctx, r)
}

func (h *shellLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(slices.Clip(h.attrs), attrs...)
	return &h2
}

func (h *shellLog) WithGroup(string) slog.Handler { return h }

// dirCache keeps the names of remote directories for Tab completion,
// from the listings made for it or by ls; commands that may change the
// tree clear it.
type dirCache struct {
	m map[string][]cacheEntry
}

type cacheEntry struct {
	name string
	dir  bool
}

// Bounds of the completion cache: directories kept, names per directory.
const (
	maxCachedDirs  = 64
	maxCachedNames = 10000
)

func (d *dirCache) clear() { d.m = nil }

func (d *dirCache) get(dir string) ([]cacheEntry, bool) {
	e, ok := d.m[dir]
	return e, ok
}

func (d *dirCache) put(dir string, names []cacheEntry) {
	if d.m == nil || len(d.m) >= maxCachedDirs {
		d.m = map[string][]cacheEntry{}
	}
	d.m[dir] = names
}
