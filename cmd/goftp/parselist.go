package main

import (
	"bufio"
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // --tz works without the system's zone database

	"github.com/goftplib/ftp/listing"
)

// skipJSON is printed for a line that carries no entry.
type skipJSON struct {
	Skip string `json:"skip"`
}

// errorJSON is printed for a line that cannot be parsed.
type errorJSON struct {
	Error string `json:"error"`
	Line  int    `json:"line"`
	Raw   string `json:"raw"`
}

func (a *app) parselist(args []string) error {
	fs := a.subFlags("parselist")
	nowFlag := fs.String("now", "", "infer missing years relative to `TIME` (RFC 3339; default: now)")
	tz := fs.String("tz", "", "read listing times in the IANA time `ZONE` (default UTC)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("parselist reads standard input and takes no arguments")
	}
	opts := &listing.Options{}
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("--now: %v", err)
		}
		opts.Now = t
	}
	if *tz != "" {
		loc, err := time.LoadLocation(*tz)
		if err != nil {
			return usagef("--tz: %v", err)
		}
		opts.Location = loc
	}
	var lines []string
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w := bufio.NewWriter(a.stdout)
	defer w.Flush()
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		e, err := listing.ParseLine(line, opts)
		var out any
		switch {
		case err == nil && e.Type == listing.CurrentDir:
			out = skipJSON{"cdir"}
		case err == nil && e.Type == listing.ParentDir:
			out = skipJSON{"pdir"}
		case err == nil:
			out = toJSON(e)
		case errors.Is(err, listing.ErrSkip):
			out = skipJSON{skipKind(line)}
		default:
			// An entry wrapped over two lines (VMS) parses as a pair.
			if i+1 < len(lines) {
				if es, perr := listing.Parse(lines[i:i+2], opts); perr == nil && len(es) == 1 {
					if err := writeJSON(w, toJSON(es[0])); err != nil {
						return err
					}
					out = skipJSON{"continuation"}
					i++
					break
				}
			}
			msg := err.Error()
			var pe *listing.ParseError
			if errors.As(err, &pe) && pe.Err != nil {
				msg = pe.Err.Error()
			}
			out = errorJSON{Error: msg, Line: i + 1, Raw: line}
		}
		if err := writeJSON(w, out); err != nil {
			return err
		}
	}
	return w.Flush()
}

// skipKind names a line without an entry: "blank", "total" or "header".
func skipKind(line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 0:
		return "blank"
	case len(f) == 2 && strings.HasPrefix(strings.ToLower(f[0]), "total"):
		return "total"
	case strings.EqualFold(f[0], "total"):
		return "total"
	}
	return "header"
}
