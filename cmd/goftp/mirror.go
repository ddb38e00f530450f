package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/mirror"
)

func (a *app) mirror(args []string) error {
	fs := a.subFlags("mirror")
	upload := fs.Bool("R", false, "reverse: upload the local SRC directory to the DST URL")
	del := fs.Bool("delete", false, "delete files and directories at the destination that the source does not have")
	parallel := fs.Int("P", 4, "transfer with `N` connections at once")
	dry := fs.Bool("dry-run", false, "show what would be done, change nothing")
	maxDepth := fs.Int("max-depth", mirror.DefaultMaxDepth, "enter at most `N` levels of directories below SRC (a server can list an endless tree)")
	segments := fs.Int("n", 4, "download files of --segment-min or more in `N` ranges at once (as get -n; 1: off)")
	segMin := sizeFlag(mirror.DefaultSegmentMin)
	fs.Var(&segMin, "segment-min", "the smallest file downloaded in ranges (`SIZE`: 64M, 1G; K = 1024)")
	var limit, total rateFlag
	fs.Var(&limit, "limit-rate", "limit each transfer to `RATE` bytes a second (500K, 2M, 1G; K = 1024)")
	fs.Var(&total, "limit-total", "limit all transfers together to `RATE` bytes a second")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("mirror needs SRC and DST")
	}
	if *parallel < 1 || *parallel > 64 {
		return usagef("-P must be between 1 and 64")
	}
	if *segments < 1 || *segments > maxConns {
		return usagef("-n must be between 1 and %d", maxConns)
	}
	if *maxDepth < 1 {
		return usagef("--max-depth must be at least 1")
	}
	rawURL, local := pos[0], pos[1]
	if *upload {
		rawURL, local = pos[1], pos[0]
	}
	u, err := a.parseURL(rawURL)
	if err != nil {
		return err
	}
	conns := *parallel
	if !*upload {
		conns = max(conns, *segments) // a large file gets them all
	}
	cfg, err := a.poolConfig(u, conns)
	if err != nil {
		return err
	}
	cfg.RateLimit, cfg.TotalRateLimit = int64(limit), int64(total)
	p := ftp.NewPool(u.Host, cfg)
	defer p.Close()
	prog := a.newProgress(a.progressOut())
	// What mirror did goes to standard error with the progress (-q
	// silences it); a dry run's list of what it would do is its output.
	report := a.progressOut()
	if *dry {
		report = a.stdout
	}
	verb := map[bool]string{false: "", true: "would "}[*dry]
	// source names the top directory as the user gave it, in messages.
	source := u.Path()
	if *upload {
		source = local
	}
	source = displayPath(source)
	opts := &mirror.Options{
		Delete:     *del,
		DryRun:     *dry,
		Parallel:   *parallel,
		Segments:   *segments,
		SegmentMin: int64(segMin),
		MaxDepth:   *maxDepth,
		Report: func(act mirror.Action) {
			p := quoteName(act.Path) // server names reach the terminal escaped
			if act.Path == "" {
				p = source
			}
			switch {
			case errors.Is(act.Err, ftp.ErrTooDeep):
				a.printError(fmt.Errorf("%s: not entered: more than %d levels below %s (--max-depth)", p, *maxDepth, source))
			case act.Err != nil:
				a.printError(wrapf("%s %s: %w", act.Op, p, act.Err))
			case (act.Op == mirror.OpGet || act.Op == mirror.OpPut) && !*dry:
				// The progress line says it.
			case act.Op == mirror.OpGet || act.Op == mirror.OpPut:
				a.printf(report, "%s%s %s (%s, %s)\n", verb, act.Op, p, act.Reason, sizeText(act.Size))
			case act.Op == mirror.OpSkip:
				a.printf(report, "skip %s (%s)\n", p, act.Reason)
			case act.Op == mirror.OpDelete:
				a.printf(report, "%sdelete %s (%s)\n", verb, p, act.Reason)
			default:
				a.printf(report, "%s%s %s\n", verb, act.Op, p)
			}
		},
		Meter: func(act mirror.Action, size, offset int64) mirror.Meter {
			return prog.start(fmt.Sprintf("%s %s", act.Op, quoteName(act.Path)), size, offset)
		},
	}
	remote := strings.TrimSuffix(u.Path(), "/")
	if remote == "" && strings.HasPrefix(u.Path(), "/") {
		remote = "/"
	}
	// Nothing follows on p: its connections end with their last batch
	// (QUIT sent with its last commands).
	p.Finishing()
	var res mirror.Result
	if *upload {
		res, err = mirror.Upload(a.ctx, p, local, remote, opts)
	} else {
		res, err = mirror.Download(a.ctx, p, remote, local, opts)
	}
	if *dry {
		a.printf(report, "mirror (dry run): %d files (%s) to transfer, %d up to date, %d to delete, %d directories to create",
			res.Files, humanBytes(float64(res.Bytes)), res.UpToDate, res.Deleted, res.Dirs)
	} else {
		a.printf(report, "mirror: %d files (%s) transferred, %d up to date, %d deleted, %d directories created",
			res.Files, humanBytes(float64(res.Bytes)), res.UpToDate, res.Deleted, res.Dirs)
	}
	if res.Failed > 0 {
		a.printf(report, ", %d failed", res.Failed)
	}
	a.printf(report, "\n")
	if err != nil {
		if a.ctx.Err() != nil {
			return a.ctx.Err()
		}
		if res.Failed > 0 {
			return errReported // each failure was printed
		}
		return wrapf("mirror %s: %w", source, err)
	}
	return nil
}

func sizeText(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return humanBytes(float64(n))
}

// sizeFlag is a size in bytes with an optional binary suffix (64M, 1G;
// K = 1024), as rateFlag reads rates.
type sizeFlag int64

func (s *sizeFlag) String() string { return (*rateFlag)(s).String() }

func (s *sizeFlag) Set(v string) error {
	if err := (*rateFlag)(s).Set(v); err != nil {
		return errors.New("not a size: write bytes, as 512K, 64M or 1G")
	}
	return nil
}
