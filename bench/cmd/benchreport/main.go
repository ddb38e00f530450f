//go:build linux

// Command benchreport turns the measurements of bench/compare.sh (a TSV
// file) into a table of ratios, printed and written to docs/BENCHMARKS.md,
// and a chart of those ratios as an SVG file. Optionally it adds the ratios
// of a `go test -bench` run of bench/ (-gobench).
//
//	benchreport -results R.tsv [-previous P.tsv] [-machine M.txt] [-commands C.tsv] [-gobench B.txt] [-svg S.svg] [-doc D.md] [-notes N.md]
//
// Every figure is a ratio of medians measured in the same run: absolute
// times depend on this shared machine's load and are not reported.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// prev holds the scenarios of an earlier run (-previous), by key.
var prev = map[key]*scenario{}

// ours is the client whose ratios are reported; the others are peers.
const ours = "goftpbench"

// peers in column order; "goftp" (the CLI) is shown as a peer of the
// library program.
var peers = []string{"rawcopy", "curl", "lftp", "ftplib", "jlaffaye", "goftp"}

var peerTitle = map[string]string{
	"rawcopy":   "raw copy",
	"curl":      "curl",
	"lftp":      "lftp",
	"ftplib":    "Python ftplib",
	"jlaffaye":  "jlaffaye/ftp",
	"goftp":     "goftp CLI",
	"goftp-P":   "goftp CLI -P",
	"goftp-n":   "goftp CLI -n",
	"lftp-pget": "lftp pget",
}

// wanTitle names a client through the delaying proxy, by operation.
func wanTitle(client, op string) string {
	small := op == "mget" || op == "mput"
	switch client {
	case ours:
		if small {
			return "goftplib Pool (goftpbench)"
		}
		return "goftplib RetrBinary (goftpbench)"
	case "goftp":
		if small {
			return "goftp mirror"
		}
		return "goftp get"
	case "batch":
		if small {
			return "goftplib Pool batch (goftpbench -batch)"
		}
		return "goftplib Pool.RetrSegmented (goftpbench -n)"
	case "goftp-P":
		return "goftp get/put -P"
	case "goftp-n":
		return "goftp get -n"
	case "lftp":
		if small {
			return "lftp mirror (sync-mode off)"
		}
		return "lftp get"
	case "lftp-pget":
		return "lftp pget -n"
	}
	return peerTitle[client]
}

type row struct {
	server, mode, op, size, p, client string
	seconds                           float64 // NaN: failed
	rssKB                             float64
	floor                             float64 // 0: none
	note                              string
}

// key identifies a scenario.
type key struct{ server, mode, op, size, p string }

type scenario struct {
	key
	runs  map[string][]row // by client
	floor float64
	// base is the empty-file scenario of the same server and mode (for
	// get and put): what a command costs besides its transfer.
	base *scenario
}

func main() {
	results := flag.String("results", "", "TSV written by compare.sh")
	machine := flag.String("machine", "", "machine notes")
	commands := flag.String("commands", "", "command lines written by compare.sh (optional)")
	previous := flag.String("previous", "", "TSV of an earlier run, to compare the loopback targets with (optional)")
	gobench := flag.String("gobench", "", "output of go test -bench on ./bench/ (optional)")
	svg := flag.String("svg", "", "SVG chart to write")
	doc := flag.String("doc", "", "Markdown document to write")
	notes := flag.String("notes", "", "Markdown appended to the document (analysis)")
	flag.Parse()
	if *previous != "" {
		rows, err := readRows(*previous)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(1)
		}
		for _, s := range group(rows) {
			prev[s.key] = s
		}
	}
	if err := run(*results, *machine, *commands, *gobench, *svg, *doc, *notes); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(results, machine, commands, gobench, svgPath, docPath, notesPath string) error {
	rows, err := readRows(results)
	if err != nil {
		return err
	}
	if machine != "" {
		if m, err := os.ReadFile(machine); err == nil {
			setLink(string(m))
		}
	}
	scens := group(rows)
	var b strings.Builder
	writeTables(&b, scens)
	if commands != "" {
		if err := writeCommands(&b, commands, scens); err != nil {
			return err
		}
	}
	if gobench != "" {
		if err := writeGoBench(&b, gobench); err != nil {
			return err
		}
	}
	fmt.Print(b.String())
	if svgPath != "" {
		if err := os.WriteFile(svgPath, chart(scens), 0o644); err != nil {
			return err
		}
	}
	if docPath == "" {
		return nil
	}
	var d strings.Builder
	d.WriteString(docHeader)
	if machine != "" {
		m, err := os.ReadFile(machine)
		if err != nil {
			return err
		}
		d.WriteString("## Machine and versions\n\n```\n" + string(m) + "```\n\n")
	}
	d.WriteString(docMethod)
	if svgPath != "" {
		rel, err := filepath.Rel(filepath.Dir(docPath), svgPath)
		if err != nil {
			rel = svgPath
		}
		fmt.Fprintf(&d, "## Chart\n\n![ratios of this library to each peer](%s)\n\n", filepath.ToSlash(rel))
	}
	d.WriteString(b.String())
	if notesPath != "" {
		if n, err := os.ReadFile(notesPath); err == nil {
			d.WriteString("\n")
			d.Write(n)
		}
	}
	return os.WriteFile(docPath, []byte(d.String()), 0o644)
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 10 {
			continue
		}
		r := row{server: c[0], mode: c[1], op: c[2], size: c[3], p: c[4], client: c[5], seconds: math.NaN()}
		if v, err := strconv.ParseFloat(c[7], 64); err == nil {
			r.seconds = v
		}
		r.rssKB, _ = strconv.ParseFloat(c[8], 64)
		r.floor, _ = strconv.ParseFloat(c[9], 64)
		if len(c) > 10 {
			r.note = c[10]
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

func group(rows []row) []*scenario {
	var out []*scenario
	idx := map[key]*scenario{}
	for _, r := range rows {
		k := key{r.server, r.mode, r.op, r.size, r.p}
		s := idx[k]
		if s == nil {
			s = &scenario{key: k, runs: map[string][]row{}, floor: r.floor}
			idx[k] = s
			out = append(out, s)
		}
		s.runs[r.client] = append(s.runs[r.client], r)
	}
	for _, s := range out {
		if s.op == "get" || s.op == "put" {
			s.base = idx[key{s.server, s.mode, "get0", "0 B", s.p}]
		}
	}
	return out
}

// net is the median time of client minus what its empty-file command
// took: the transfer alone, near enough.
func (s *scenario) net(client string) float64 {
	if s.base == nil {
		return math.NaN()
	}
	return s.median(client) - s.base.median(client)
}

// rawRatio compares the transfer times without start-up and login: the
// raw copy has neither a server to log in to nor an FTP dialogue.
func (s *scenario) rawRatio() float64 {
	return s.net("rawcopy") / s.net(ours)
}

// median of the successful runs' seconds; NaN when none succeeded.
func (s *scenario) median(client string) float64 {
	var v []float64
	for _, r := range s.runs[client] {
		if !math.IsNaN(r.seconds) {
			v = append(v, r.seconds)
		}
	}
	return median(v)
}

func (s *scenario) maxRSS(client string) float64 {
	m := 0.0
	for _, r := range s.runs[client] {
		m = max(m, r.rssKB)
	}
	return m
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// ratio is ours' speed over client's: >1 means ours is faster.
func (s *scenario) ratio(client string) float64 {
	return s.median(client) / s.median(ours)
}

func (s *scenario) title() string {
	switch s.op {
	case "parse":
		return "parse " + s.size
	case "list":
		return fmt.Sprintf("%s LIST %s", s.server, s.size)
	case "get0":
		return fmt.Sprintf("%s %s connect, login, empty download, quit", s.server, map[string]string{"plain": "plain", "tls": "TLS"}[s.mode])
	}
	dir := map[string]string{"get": "download", "put": "upload", "mget": "download", "mput": "upload", "seg": "download"}[s.op]
	mode := map[string]string{"plain": "plain", "tls": "TLS", "rtt": "50 ms RTT"}[s.mode]
	if s.mode == "rtt" {
		mode = "RTT " + rttLabel
	}
	t := fmt.Sprintf("%s %s %s %s", s.server, mode, dir, s.size)
	if s.op == "mget" || s.op == "mput" {
		t += fmt.Sprintf(", P=%s", s.p)
	}
	if s.op == "seg" {
		t += fmt.Sprintf(", %s per connection", rateLabel)
	}
	return t
}

// rttLabel names the emulated round trip and rateLabel the cap per
// connection (set from the machine notes by setLink).
var rttLabel, rateLabel = "50 ms", "8 MB/s"

// setLink reads the link's settings from compare.sh's machine notes.
func setLink(machine string) {
	if m := regexp.MustCompile(`DELAY=(\d+)ms`).FindStringSubmatch(machine); m != nil {
		d, _ := strconv.Atoi(m[1])
		rttLabel = fmt.Sprintf("%d ms", 2*d)
	}
	if m := regexp.MustCompile(`CONN_RATE=(\d+)`).FindStringSubmatch(machine); m != nil {
		r, _ := strconv.ParseFloat(m[1], 64)
		rateLabel = fmt.Sprintf("%g MB/s", r/1e6)
	}
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) {
		return "fail"
	}
	if math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

func (s *scenario) cell(client string) string {
	if _, ok := s.runs[client]; !ok {
		return ""
	}
	if math.IsNaN(s.median(ours)) {
		return "ours failed"
	}
	if client == "rawcopy" && s.base != nil {
		return fmtRatio(s.rawRatio()) + " net"
	}
	return fmtRatio(s.ratio(client))
}

func writeTables(w io.Writer, scens []*scenario) {
	present := map[string]bool{}
	for _, s := range scens {
		for c := range s.runs {
			present[c] = true
		}
	}
	var cols []string
	for _, p := range peers {
		if present[p] {
			cols = append(cols, p)
		}
	}

	fmt.Fprintf(w, "## Ratios: this library ÷ each peer\n\n")
	fmt.Fprintf(w, "Loopback. Speed of this library (bench/cmd/goftpbench) divided by the peer's, from the median wall time of each command over the runs: **above 1.00× this library is faster**. Raw copy is the physical limit (no FTP at all); its column compares *net* transfer times, each command's median minus the median of the same client's empty-file command (start, connect, login, quit), since the raw copy has no login. The wide-area scenarios have their own tables below.\n\n")
	fmt.Fprintf(w, "| scenario |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", peerTitle[c])
	}
	fmt.Fprintf(w, "\n|---|")
	for range cols {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintf(w, "\n")
	for _, s := range scens {
		if s.op == "parse" || s.mode == "rtt" {
			continue
		}
		fmt.Fprintf(w, "| %s |", s.title())
		for _, c := range cols {
			fmt.Fprintf(w, " %s |", s.cell(c))
		}
		fmt.Fprintln(w)
	}

	// Parsing.
	for _, s := range scens {
		if s.op != "parse" {
			continue
		}
		fmt.Fprintf(w, "\n### Parsing %s\n\n", s.size)
		fmt.Fprintf(w, "listing.Parse ÷ jlaffaye/ftp's LIST parser (its unexported parseListLine, reached with go:linkname), parse time only, on the same lines (Unix ls and DOS formats, which both parse): **%s** (above 1 ours is faster).", fmtRatio(s.ratio("jlaffaye")))
		for _, c := range []string{ours, "jlaffaye"} {
			if rs := s.runs[c]; len(rs) > 0 {
				fmt.Fprintf(w, " %s: %s.", c, rs[0].note)
			}
		}
		fmt.Fprintln(w)
	}

	writeWAN(w, scens)

	// Peak RSS.
	fmt.Fprintf(w, "\n### Peak resident memory (MiB, largest over the runs)\n\n| scenario |")
	rcols := append([]string{ours}, cols...)
	for _, c := range rcols {
		t := peerTitle[c]
		if c == ours {
			t = "**this library**"
		}
		fmt.Fprintf(w, " %s |", t)
	}
	fmt.Fprintf(w, "\n|---|")
	for range rcols {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, s := range scens {
		if s.op != "get" && s.op != "put" && s.op != "list" || s.mode == "rtt" {
			continue
		}
		fmt.Fprintf(w, "| %s |", s.title())
		for _, c := range rcols {
			if _, ok := s.runs[c]; !ok {
				fmt.Fprintf(w, " |")
				continue
			}
			fmt.Fprintf(w, " %.1f |", s.maxRSS(c)/1024)
		}
		fmt.Fprintln(w)
	}
	writeTargets(w, scens)
}

func topVerbs(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

// writeTargets checks issue 15's targets against the measurements: the
// wide-area ones first, then loopback.
func writeTargets(w io.Writer, scens []*scenario) {
	fmt.Fprintf(w, "\n### Targets\n\n| target | scenario | client | measured | met |\n|---|---|---|---:|:---:|\n")
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	row := func(target string, s *scenario, client, measured string, ok bool, valid bool) {
		met := yes(ok)
		if !valid {
			met = "**no** (failed)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", target, s.title(), client, measured, met)
	}
	fastestPeer := func(s *scenario, exclude ...string) (string, float64) {
		best, bt := "", math.Inf(1)
		for c := range s.runs {
			if c == ours || slices.Contains(exclude, c) {
				continue
			}
			if m := s.median(c); m < bt {
				best, bt = c, m
			}
		}
		return best, bt
	}
	// Wide area.
	for _, s := range scens {
		if s.mode != "rtt" {
			continue
		}
		switch {
		case (s.op == "mget" || s.op == "mput") && s.p == "8":
			maxFloor, minLftp := 2.5, 1.8
			if s.op == "mput" {
				maxFloor, minLftp = 3, 2
			}
			lftp := s.median("lftp")
			// The batch APIs and the CLI; goftpbench's file-by-file Pool
			// is a reference, not a target.
			for _, c := range []string{"goftp", "goftp-P", "batch"} {
				if _, ok := s.runs[c]; !ok {
					continue
				}
				m := s.median(c)
				ok := !math.IsNaN(m)
				f := m / s.floor
				row(fmt.Sprintf("≤ %g× floor", maxFloor), s, wanTitle(c, s.op), fmt.Sprintf("%.2f× floor", f), f <= maxFloor, ok)
				r := lftp / m
				row(fmt.Sprintf("≥ %g× faster than lftp", minLftp), s, wanTitle(c, s.op), fmt.Sprintf("%.2f×", r), r >= minLftp, ok && !math.IsNaN(lftp))
			}
		case s.op == "seg":
			if _, ok := s.runs["goftp-n"]; !ok {
				fmt.Fprintf(w, "| get -n %s ≥ 3.5× single stream, ≥ lftp pget | %s | goftp get -n | not measured (goftp has no -n) | **no** |\n", s.p, s.title())
				continue
			}
			m := s.median("goftp-n")
			ok := !math.IsNaN(m)
			single := s.median("goftp")
			r := single / m
			row(fmt.Sprintf("get -n %s ≥ 3.5× single stream (goftp get)", s.p), s, wanTitle("goftp-n", s.op), fmt.Sprintf("%.2f×", r), r >= 3.5, ok && !math.IsNaN(single))
			lp := s.median("lftp-pget")
			r = lp / m
			row(fmt.Sprintf("get -n %s ≥ 1.0× lftp pget -n %s", s.p, s.p), s, wanTitle("goftp-n", s.op), fmt.Sprintf("%.2f×", r), r >= 1, ok && !math.IsNaN(lp))
		}
	}
	// Loopback.
	for _, s := range scens {
		if s.mode == "rtt" {
			continue
		}
		if (s.op == "get" || s.op == "put") && (s.mode == "plain" || s.mode == "tls") {
			p, t := fastestPeer(s, "rawcopy", "goftp")
			m := s.median(ours)
			r := t / m
			measured := fmt.Sprintf("%.2f× (%s)", r, peerTitle[p])
			// The same scenario in the earlier run, if any (the size
			// must match: the key holds it).
			if ps := prev[s.key]; ps != nil {
				pp, pt := fastestPeer(ps, "rawcopy", "goftp")
				measured += fmt.Sprintf("; before: %.2f× (%s)", pt/ps.median(ours), peerTitle[pp])
			}
			row("≥ 1.0× fastest peer", s, ours, measured, r >= 1, !math.IsNaN(m))
		}
		if s.op == "get" || s.op == "put" {
			for _, c := range []string{ours, "goftp"} {
				if _, ok := s.runs[c]; !ok {
					continue
				}
				mib := s.maxRSS(c) / 1024
				row("peak RSS ≤ 32 MiB", s, c, fmt.Sprintf("%.1f MiB", mib), mib <= 32, true)
			}
		}
	}
}

// writeWAN writes the tables of the scenarios through the delaying proxy:
// absolute times (the link's delay dominates the machine's noise), each
// against its floor and against lftp.
func writeWAN(w io.Writer, scens []*scenario) {
	var small, seg []*scenario
	for _, s := range scens {
		switch {
		case s.mode == "rtt" && s.op == "seg":
			seg = append(seg, s)
		case s.mode == "rtt":
			small = append(small, s)
		}
	}
	if len(small)+len(seg) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Wide area: %s RTT, TCP handshakes, %s per connection\n\n", rttLabel, rateLabel)
	fmt.Fprintf(w, "Every client through bench/internal/delayproxy in front of the same server: half the RTT each way on every byte of the control and data connections, a round trip before every new connection's first byte (the server accepts 1.5 RTT after the client's connect), each connection capped at %s each way. Seconds are medians of the runs' wall times (whole command: start, connect, login, listing where the client lists, transfers, quit). Commands per file are counted by the proxy in the first run.\n", rateLabel)
	order := func(s *scenario, first []string) []string {
		var cs []string
		for _, c := range first {
			if _, ok := s.runs[c]; ok {
				cs = append(cs, c)
			}
		}
		var rest []string
		for c := range s.runs {
			if !slices.Contains(cs, c) {
				rest = append(rest, c)
			}
		}
		sort.Strings(rest)
		return append(cs, rest...)
	}
	if len(small) > 0 {
		fmt.Fprintf(w, "\n### Small files\n\nFloor: files × RTT ÷ connections (one round trip per file on each connection). Speed ÷ lftp above 1.00× is faster than lftp `mirror` with `ftp:sync-mode off`.\n\n")
		fmt.Fprintf(w, "| scenario | client | seconds | × floor | speed ÷ lftp | commands/file | data conns | most frequent commands |\n|---|---|---:|---:|---:|---:|---:|---|\n")
		cmdRe := regexp.MustCompile(`commands=(\d+)`)
		dataRe := regexp.MustCompile(`data=(\d+)`)
		for _, s := range small {
			n, _ := strconv.Atoi(strings.Fields(s.size)[0])
			lftp := s.median("lftp")
			for _, c := range order(s, []string{"goftp", "goftp-P", "batch", ours, "lftp"}) {
				m := s.median(c)
				secs, fl, vs := "fail", "", ""
				if !math.IsNaN(m) {
					secs = fmt.Sprintf("%.2f", m)
					fl = fmt.Sprintf("%.2f×", m/s.floor)
					if !math.IsNaN(lftp) {
						vs = fmt.Sprintf("%.2f×", lftp/m)
					}
				}
				perFile, dc, verbs := "", "", ""
				if rs := s.runs[c]; len(rs) > 0 && n > 0 {
					note := rs[0].note
					if mm := cmdRe.FindStringSubmatch(note); mm != nil {
						cmds, _ := strconv.Atoi(mm[1])
						perFile = fmt.Sprintf("%.2f", float64(cmds)/float64(n))
						verbs = topVerbs(note[strings.Index(note, mm[0])+len(mm[0]):], 6)
					}
					if mm := dataRe.FindStringSubmatch(note); mm != nil {
						dc = mm[1]
					}
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.title(), wanTitle(c, s.op), secs, fl, vs, perFile, dc, verbs)
			}
		}
	}
	for _, s := range seg {
		conns, _ := strconv.ParseFloat(s.p, 64)
		fmt.Fprintf(w, "\n### Segmented download\n\n%s. Floors: %s ÷ (%s × %s) = %.2f s with %s connections; %.2f s for a single stream.\n\n", s.title(), s.size, s.p, rateLabel, s.floor, s.p, s.floor*conns)
		fmt.Fprintf(w, "| client | seconds | × floor (%s conns) | × single-stream floor | speed ÷ goftp get | speed ÷ lftp pget |\n|---|---:|---:|---:|---:|---:|\n", s.p)
		single, pget := s.median("goftp"), s.median("lftp-pget")
		for _, c := range order(s, []string{"goftp-n", "batch", "lftp-pget", "goftp", ours, "curl"}) {
			m := s.median(c)
			if math.IsNaN(m) {
				fmt.Fprintf(w, "| %s | fail | | | | |\n", wanTitle(c, s.op))
				continue
			}
			f := func(x float64) string {
				if math.IsNaN(x) {
					return ""
				}
				return fmt.Sprintf("%.2f×", x)
			}
			fmt.Fprintf(w, "| %s | %.2f | %s | %s | %s | %s |\n", wanTitle(c, s.op), m, f(m/s.floor), f(m/(s.floor*conns)), f(single/m), f(pget/m))
		}
	}
}

// writeCommands lists the command line of every client, once per
// scenario shape (the same command on another server is not repeated).
func writeCommands(w io.Writer, path string, scens []*scenario) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	titles := map[key]string{}
	for _, s := range scens {
		titles[s.key] = s.title()
	}
	fmt.Fprintf(w, "\n## Command lines\n\nAs run (first run of each scenario; PASS stands for the password, WORK for the scratch directory, PROXY:PORT and SERVER:PORT for the addresses, binaries from bench/cmd, bench/peers and cmd/goftp built into WORK/bin).\n\n")
	seen := map[string]bool{}
	last := ""
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		c := strings.SplitN(line, "\t", 7)
		if len(c) != 7 {
			continue
		}
		k := key{c[0], c[1], c[2], c[3], c[4]}
		shape := c[1] + "|" + c[2] + "|" + c[4] + "|" + c[5]
		if seen[shape] {
			continue
		}
		seen[shape] = true
		t := titles[k]
		if t == "" {
			t = strings.Join(c[:5], " ")
		}
		if t != last {
			fmt.Fprintf(w, "\n%s:\n\n", t)
			last = t
		}
		name := peerTitle[c[5]]
		if c[1] == "rtt" || name == "" {
			name = wanTitle(c[5], c[2])
		}
		if c[5] == ours && c[1] != "rtt" {
			name = "this library (goftpbench)"
		}
		fmt.Fprintf(w, "- %s: `%s`\n", name, strings.ReplaceAll(c[6], "`", "'"))
	}
	return nil
}

// --- go test -bench

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

func writeGoBench(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ns := map[string][]float64{}
	var notes []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t, ok := strings.CutPrefix(sc.Text(), "# "); ok {
			notes = append(notes, t) // a note on the run, printed with the table
			continue
		}
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		ns[m[1]] = append(ns[m[1]], v)
	}
	med := func(name string) float64 { return median(ns[name]) }
	fmt.Fprintf(w, "\n## Go benchmarks (`go test ./bench/ -bench .`)\n\n")
	fmt.Fprintf(w, "Throughput of the client divided by the baseline's, medians of ns/op over the -count runs of one `go test` run. Raw TCP: file → sendfile → loopback → splice → file, a new connection per copy. Raw TLS: crypto/tls 1.3 on both ends, resumed sessions, 256 KiB buffers.\n\n")
	for _, n := range notes {
		fmt.Fprintf(w, "%s\n\n", n)
	}
	fmt.Fprintf(w, "| server | TLS | size | Retr→file ÷ raw | Retr→io.Discard ÷ raw | Stor←file ÷ raw |\n|---|---|---|---:|---:|---:|\n")
	for _, srv := range []string{"vsftpd", "ftptest"} {
		for _, tl := range []string{"off", "on"} {
			raw := "BenchmarkRawTCP"
			if tl == "on" {
				raw = "BenchmarkRawTLS"
			}
			for _, size := range []string{"1KiB", "1MiB", "256MiB"} {
				down := med(fmt.Sprintf("%s/dir=down/size=%s", raw, size))
				up := med(fmt.Sprintf("%s/dir=up/size=%s", raw, size))
				base := fmt.Sprintf("srv=%s/tls=%s/size=%s", srv, tl, size)
				rf := down / med("BenchmarkRetr/"+base+"/to=file")
				rd := down / med("BenchmarkRetr/"+base+"/to=discard")
				st := up / med("BenchmarkStor/"+base+"/from=file")
				if math.IsNaN(rf) && math.IsNaN(st) {
					continue
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", srv, tl, size, fmtRatio(rf), fmtRatio(rd), fmtRatio(st))
			}
		}
	}
	return sc.Err()
}

// --- SVG chart

func chart(scens []*scenario) []byte {
	type bar struct {
		label string
		vals  []float64
	}
	cols := []string{"rawcopy", "curl", "lftp", "ftplib", "jlaffaye"}
	colors := []string{"#555555", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"}
	var bars []bar
	for _, s := range scens {
		if s.op == "parse" || s.op == "get0" || s.mode == "rtt" || (s.op == "mget" || s.op == "mput") && s.p == "4" {
			continue
		}
		b := bar{label: s.title()}
		for _, c := range cols {
			v := math.NaN()
			if _, ok := s.runs[c]; ok {
				v = s.ratio(c)
				if c == "rawcopy" && s.base != nil {
					v = s.rawRatio()
				}
			}
			b.vals = append(b.vals, v)
		}
		bars = append(bars, b)
	}
	const (
		left   = 330
		width  = 520
		barH   = 5
		gap    = 8
		top    = 40
		maxVal = 4.0
	)
	groupH := len(cols)*barH + gap
	height := top + len(bars)*groupH + 40
	x := func(v float64) float64 { return left + math.Min(v, maxVal)/maxVal*width }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="10">`+"\n", left+width+30, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="16" font-size="13">goftplib speed ÷ peer speed (above 1 = goftplib faster; bars capped at %gx)</text>`+"\n", maxVal)
	for i, c := range cols {
		t := peerTitle[c]
		if c == "rawcopy" {
			t += " (net)"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="24" width="10" height="8" fill="%s"/><text x="%d" y="32">%s</text>`+"\n", 10+i*110, colors[i], 24+i*110, t)
	}
	for v := 0.0; v <= maxVal; v += 0.5 {
		stroke := "#dddddd"
		if v == 1 {
			stroke = "#000000"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x(v), top-2, x(v), height-30, stroke)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f×</text>`+"\n", x(v), height-18, v)
	}
	for i, br := range bars {
		y := top + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+groupH/2+2, xmlEscape(br.label))
		for j, v := range br.vals {
			if math.IsNaN(v) {
				continue
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %.2f×</title></rect>`+"\n",
				left, y+j*barH, x(v)-left, barH-1, colors[j], xmlEscape(br.label), peerTitle[cols[j]], v)
		}
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

const docHeader = `# Benchmarks

How fast this library moves bytes, compared with the physical limit of the
machine and with other FTP clients, measured in one run: on loopback, and
through an emulated wide-area link (50 ms round trip, TCP handshakes,
8 MB/s per connection).

Generated by ` + "`bench/compare.sh`" + ` (bench/cmd/benchreport); the analysis at the
end is bench/results/notes.md. On loopback only ratios are reported: the
machine is shared and noisy, so absolute times mean little, while clients
measured side by side, taking turns within each run, share the same noise.
Through the link, where the delays dominate, seconds are given too.

`

const docMethod = `## How to run

` + "```" + `
bash bench/compare.sh                    # everything, ~35 min on 2 cores; rewrites this file
QUICK=1 NODOC=1 bash bench/compare.sh    # small sizes, prints the tables only (~8 min)
SCENARIOS=wan QUICK=1 NODOC=1 SERVERS=vsftpd bash bench/compare.sh   # the wide-area part only (~4 min)
go test ./bench/ -run '^$' -bench . -count 3 | tee bench/results/gobench.txt   # Go benchmarks (~3 min)
go run ./bench/cmd/benchreport -results bench/results/latest.tsv -machine bench/results/machine.txt \
    -commands bench/results/commands.tsv -previous bench/results/previous.tsv -gobench bench/results/gobench.txt \
    -svg bench/results/ratios.svg -doc docs/BENCHMARKS.md -notes bench/results/notes.md   # rebuild this file
` + "```" + `

What runs (servers from internal/ftpservers on 127.0.0.1, files on tmpfs):

- **Big file** (loopback): one file of BIG bytes (1 GiB) downloaded into a
  file and uploaded from one, plain and over explicit TLS with PROT P (curl
  ` + "`--ssl-reqd --cacert`" + `, lftp ` + "`ftp:ssl-force`/`ftp:ssl-protect-data`" + `,
  all trusting the servers' test CA). vsftpd keeps ` + "`require_ssl_reuse`" + `:
  every client resumes the control session on data connections (Python's
  ftplib through a common three-line override, see bench/peers).
- **Small files** (loopback): SMALL files of 1 KiB downloaded (after one NLST or LIST)
  and uploaded, on one connection and on 4 and 8 (our Pool, lftp ` + "`mirror --parallel=N`" + `,
  curl ` + "`-Z --parallel-max N`" + `, N threads or goroutines with their own
  connections for ftplib and jlaffaye/ftp).
- **Wide area**: every client through bench/internal/delayproxy in front
  of vsftpd: 25 ms each way on every byte of the control and data
  connections; every new connection costs TCP's handshake (the server
  accepts 1.5 RTT after the client's connect, nothing the client sends
  arrives earlier); each connection capped at 8 MB/s each way (token
  bucket, 16 KiB bursts). Scenarios: RTT8 files of 1 KiB with 8 connections
  (goftp ` + "`mirror -P 8`" + ` and ` + "`-R`" + `, our Pool file by file and as one
  pipelined batch, lftp ` + "`mirror --parallel=8`" + ` with
  ` + "`set ftp:sync-mode off`" + `, ftplib and jlaffaye/ftp with a loop per
  connection, curl ` + "`-Z`" + `), optionally RTT1 files with one connection, and one file
  of SEG bytes (64 MiB): goftp ` + "`get`" + ` (one stream), goftp ` + "`get -n 4`" + `,
  lftp ` + "`pget -n 4`" + `, curl. Floors: files × RTT ÷ connections, and
  size ÷ (connections × 8 MB/s).
- **Listing**: LIST of a directory of 100 000 entries (vsftpd), and
  parsing 1 000 000 LIST lines in memory.
- **Peak RSS**: /usr/bin/time's maximum resident set size of every
  command.

The exact command lines are listed at the end of the tables.

`
