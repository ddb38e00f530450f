//go:build linux

// Command benchreport turns the measurements of bench/compare.sh (a TSV
// file) into a table of ratios, printed and written to docs/BENCHMARKS.md,
// and a chart of those ratios as an SVG file. Optionally it adds the ratios
// of a `go test -bench` run of bench/ (-gobench).
//
//	benchreport -results R.tsv [-machine M.txt] [-gobench B.txt] [-svg S.svg] [-doc D.md] [-notes N.md]
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

// ours is the client whose ratios are reported; the others are peers.
const ours = "goftpbench"

// peers in column order; "goftp" (the CLI) is shown as a peer of the
// library program.
var peers = []string{"rawcopy", "curl", "lftp", "ftplib", "jlaffaye", "goftp"}

var peerTitle = map[string]string{
	"rawcopy":  "raw copy",
	"curl":     "curl",
	"lftp":     "lftp",
	"ftplib":   "Python ftplib",
	"jlaffaye": "jlaffaye/ftp",
	"goftp":    "goftp CLI",
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
	gobench := flag.String("gobench", "", "output of go test -bench on ./bench/ (optional)")
	svg := flag.String("svg", "", "SVG chart to write")
	doc := flag.String("doc", "", "Markdown document to write")
	notes := flag.String("notes", "", "Markdown appended to the document (analysis)")
	flag.Parse()
	if err := run(*results, *machine, *gobench, *svg, *doc, *notes); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(results, machine, gobench, svgPath, docPath, notesPath string) error {
	rows, err := readRows(results)
	if err != nil {
		return err
	}
	scens := group(rows)
	var b strings.Builder
	writeTables(&b, scens)
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
	dir := map[string]string{"get": "download", "put": "upload", "mget": "download", "mput": "upload"}[s.op]
	mode := map[string]string{"plain": "plain", "tls": "TLS", "rtt": "50 ms RTT"}[s.mode]
	if s.mode == "rtt" {
		mode = "RTT " + rttLabel
	}
	t := fmt.Sprintf("%s %s %s %s", s.server, mode, dir, s.size)
	if s.op == "mget" || s.op == "mput" {
		t += fmt.Sprintf(", P=%s", s.p)
	}
	return t
}

// rttLabel names the emulated round trip (set from the rows' floors).
var rttLabel = "50 ms"

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
	fmt.Fprintf(w, "Speed of this library (bench/cmd/goftpbench) divided by the peer's, from the median wall time of each command over the runs: **above 1.00× this library is faster**. Raw copy is the physical limit (no FTP at all); its column compares *net* transfer times, each command's median minus the median of the same client's empty-file command (start, connect, login, quit), since the raw copy has no login. Through the delaying proxy, the last column is this library's time ÷ the floor (files × RTT ÷ P): 1.00× would be one round trip per file.\n\n")
	fmt.Fprintf(w, "| scenario |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", peerTitle[c])
	}
	fmt.Fprintf(w, " ours ÷ floor |\n|---|")
	for range cols {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintf(w, "---:|\n")
	for _, s := range scens {
		if s.op == "parse" {
			continue
		}
		fmt.Fprintf(w, "| %s |", s.title())
		for _, c := range cols {
			fmt.Fprintf(w, " %s |", s.cell(c))
		}
		fl := ""
		if s.floor > 0 {
			fl = fmt.Sprintf("%.2f×", s.median(ours)/s.floor)
		}
		fmt.Fprintf(w, " %s |\n", fl)
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

	// Round trips through the proxy.
	var rtt []*scenario
	for _, s := range scens {
		if s.mode == "rtt" {
			rtt = append(rtt, s)
		}
	}
	if len(rtt) > 0 {
		fmt.Fprintf(w, "\n### Commands per file through the delaying proxy\n\n")
		fmt.Fprintf(w, "Commands each client sent, counted by the proxy, divided by the number of files (each command is one round trip unless the client pipelines). Per scenario, the commands sent most.\n\n")
		fmt.Fprintf(w, "| scenario | client | commands/file | ours ÷ floor | most frequent |\n|---|---|---:|---:|---|\n")
		re := regexp.MustCompile(`commands=(\d+)`)
		for _, s := range rtt {
			n, _ := strconv.Atoi(strings.Fields(s.size)[0])
			for _, c := range append([]string{ours}, cols...) {
				rs := s.runs[c]
				if len(rs) == 0 {
					continue
				}
				m := re.FindStringSubmatch(rs[0].note)
				if m == nil || n == 0 {
					continue
				}
				cmds, _ := strconv.Atoi(m[1])
				verbs := rs[0].note[strings.Index(rs[0].note, m[0])+len(m[0]):]
				fmt.Fprintf(w, "| %s | %s | %.2f | %.2f× | %s |\n", s.title(), c, float64(cmds)/float64(n), s.median(c)/s.floor, topVerbs(verbs, 5))
			}
		}
	}

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
		if s.op != "get" && s.op != "put" && s.op != "list" {
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

// writeTargets checks the targets against the measurements.
func writeTargets(w io.Writer, scens []*scenario) {
	fmt.Fprintf(w, "\n### Targets\n\n| target | scenario | measured | met |\n|---|---|---:|:---:|\n")
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
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
	for _, s := range scens {
		switch {
		case (s.op == "get" || s.op == "put") && s.mode == "plain":
			r := s.rawRatio()
			fmt.Fprintf(w, "| plain ≥ 0.95× raw TCP (net) | %s | %.2f× | %s |\n", s.title(), r, yes(r >= 0.95))
			p, t := fastestPeer(s, "rawcopy", "goftp")
			r = t / s.median(ours)
			fmt.Fprintf(w, "| plain ≥ 1.0× fastest peer | %s | %.2f× (%s) | %s |\n", s.title(), r, peerTitle[p], yes(r >= 1))
		case (s.op == "get" || s.op == "put") && s.mode == "tls":
			r := s.rawRatio()
			fmt.Fprintf(w, "| TLS ≥ 0.9× raw Go TLS (net) | %s | %.2f× | %s |\n", s.title(), r, yes(r >= 0.9))
			r = s.ratio("curl")
			fmt.Fprintf(w, "| TLS ≥ 1.0× curl | %s | %.2f× | %s |\n", s.title(), r, yes(r >= 1))
		case (s.op == "mget" || s.op == "mput") && s.mode == "plain" && s.p == "8":
			r := s.ratio("lftp")
			fmt.Fprintf(w, "| small files P=8 ≥ 1.0× lftp mirror | %s | %.2f× | %s |\n", s.title(), r, yes(r >= 1))
		case s.mode == "rtt" && s.p == "8":
			r := s.median(ours) / s.floor
			fmt.Fprintf(w, "| 50 ms RTT within 1.5× of floor | %s | %.2f× floor | %s |\n", s.title(), r, yes(r <= 1.5))
		}
		if s.op == "get" || s.op == "put" || s.op == "list" {
			for _, c := range []string{ours, "goftp"} {
				if _, ok := s.runs[c]; !ok {
					continue
				}
				mib := s.maxRSS(c) / 1024
				fmt.Fprintf(w, "| peak RSS ≤ 32 MiB (%s) | %s | %.1f MiB | %s |\n", c, s.title(), mib, yes(mib <= 32))
			}
		}
	}
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
	sc := bufio.NewScanner(f)
	for sc.Scan() {
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
		if s.op == "parse" || s.op == "get0" || (s.op == "mget" || s.op == "mput") && s.p == "4" {
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
machine and with other FTP clients, measured in one run on loopback.

Generated by ` + "`bench/compare.sh`" + ` (bench/cmd/benchreport); the analysis at the
end is bench/results/notes.md. Only ratios are reported: the machine is
shared and noisy, so absolute times mean little, while clients measured
side by side, taking turns within each run, share the same noise.

`

const docMethod = `## How to run

` + "```" + `
bash bench/compare.sh                    # everything, ~20 min on 2 cores; rewrites this file
QUICK=1 NODOC=1 bash bench/compare.sh    # small sizes, prints the table only (~4 min)
go test ./bench/ -run '^$' -bench . -count 3 | tee bench/results/gobench.txt   # Go benchmarks (~3 min)
go run ./bench/cmd/benchreport -results bench/results/latest.tsv -machine bench/results/machine.txt \
    -gobench bench/results/gobench.txt -svg bench/results/ratios.svg \
    -doc docs/BENCHMARKS.md -notes bench/results/notes.md   # rebuild this file
` + "```" + `

What runs (all on 127.0.0.1, servers from internal/ftpservers, files on tmpfs):

- **Big file**: one file of BIG bytes (1 GiB) downloaded into a file and
  uploaded from one, plain and over explicit TLS with PROT P (curl
  ` + "`--ssl-reqd --cacert`" + `, lftp ` + "`ftp:ssl-force`/`ftp:ssl-protect-data`" + `,
  all trusting the servers' test CA). vsftpd keeps ` + "`require_ssl_reuse`" + `:
  every client resumes the control session on data connections (Python's
  ftplib through a common three-line override, see bench/peers).
- **Small files**: 2000 files of 1 KiB downloaded (after one NLST or LIST)
  and uploaded, on one connection and on 4 and 8 (our Pool, lftp ` + "`mirror --parallel=N`" + `,
  curl ` + "`-Z --parallel-max N`" + `, N threads or goroutines with their own
  connections for ftplib and jlaffaye/ftp).
- **50 ms RTT**: the same through bench/internal/delayproxy (25 ms each
  way on every byte of control and data connections; TCP handshakes are
  not delayed), every client through the same proxy, vsftpd only, fewer
  files (RTT1 with one connection, RTT8 with eight), one run.
- **Listing**: LIST of a directory of 100 000 entries (vsftpd), and
  parsing 1 000 000 LIST lines in memory.
- **Peak RSS**: /usr/bin/time's maximum resident set size of every
  command.

Exact commands: see ` + "`client_cmd`" + ` in bench/compare.sh, e.g.
` + "`goftpbench -addr A -user U -pass P [-tls -ca CA] get big.bin DST`" + `,
` + "`curl -sS [--ssl-reqd --cacert CA] -o DST ftp://U:P@A/big.bin`" + `,
` + "`lftp -c 'set …; open -u U,P ftp://A; mirror --parallel=8 small DST'`" + `,
` + "`python3 bench/peers/ftplib_bench.py … -p 8 mget small DST`" + `,
` + "`jlaffaye … -p 8 mput SRC up/small`" + `.

`
