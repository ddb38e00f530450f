package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goftplib/ftp"
)

// setting is a session setting of the set command.
type setting struct {
	name, help string
	get        func(s *shell) string
	set        func(s *shell, v string) error
	redial     bool // the connection is made again with the new value
}

func onOff(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }

func parseOnOff(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "yes", "true", "1":
		return true, nil
	case "off", "no", "false", "0":
		return false, nil
	}
	return false, usagef("%q: on or off", v)
}

func boolSetting(name, help string, p func(s *shell) *bool, redial bool) setting {
	return setting{name: name, help: help, redial: redial,
		get: func(s *shell) string { return onOff(*p(s)) },
		set: func(s *shell, v string) error {
			b, err := parseOnOff(v)
			*p(s) = b
			return err
		}}
}

func settings() []setting {
	return []setting{
		{name: "passive", help: "passive mode (the client connects for data); off: active", redial: true,
			get: func(s *shell) string { return onOff(!s.a.g.active) },
			set: func(s *shell, v string) error {
				b, err := parseOnOff(v)
				s.a.g.active = !b
				return err
			}},
		boolSetting("active", "active mode (the server connects to us)", func(s *shell) *bool { return &s.a.g.active }, true),
		{name: "tls", help: "none, explicit (AUTH TLS) or implicit; default: from the URL", redial: true,
			get: func(s *shell) string {
				if s.u != nil {
					m, _ := s.a.tlsMode(s.u)
					return m
				}
				return cmpOr(s.a.g.tls, "(from the URL)")
			},
			set: func(s *shell, v string) error {
				if v != "none" && v != "explicit" && v != "implicit" {
					return usagef("tls: none, explicit or implicit")
				}
				s.a.g.tls = v
				if s.u != nil {
					s.u.Scheme = "ftp" // the mode comes from the setting now
				}
				return nil
			}},
		boolSetting("insecure", "do not verify the server's certificate", func(s *shell) *bool { return &s.a.g.insecure }, true),
		{name: "timeout", help: "give up after this long without activity (seconds or 1m30s)", redial: true,
			get: func(s *shell) string { return time.Duration(cmpOr(s.a.g.timeout, ftp.DefaultTimeout)).String() },
			set: func(s *shell, v string) error {
				d, err := parseSeconds(v)
				s.a.g.timeout = d
				return err
			}},
		{name: "keepalive", help: "NOOP on the control connection during transfers every DURATION; 0: none", redial: true,
			get: func(s *shell) string { return s.a.g.keep.String() },
			set: func(s *shell, v string) error { return s.a.g.keep.Set(v) }},
		{name: "retries", help: "retries of transient failures, resuming transfers; 0: none",
			get: func(s *shell) string { r := retryFlag(s.a.g.retries); return r.String() },
			set: func(s *shell, v string) error {
				r := retryFlag(s.a.g.retries)
				if err := r.Set(v); err != nil {
					return usagef("retries: %v", err)
				}
				s.a.g.retries = int(r)
				s.cfg.Retries = int(r)
				return nil
			}, redial: true},
		{name: "parallel", help: "connections mirror uses at once (its -P; 1 keeps to the session's)",
			get: func(s *shell) string { return strconv.Itoa(s.parallel) },
			set: func(s *shell, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 64 {
					return usagef("parallel: a number from 1 to 64")
				}
				s.parallel = n
				return nil
			}},
		{name: "verbose", help: "0: quiet; 1: the protocol dialogue; 2: every line and data connection",
			get: func(s *shell) string { return s.a.g.verbose.String() },
			set: func(s *shell, v string) error {
				n, err := strconv.Atoi(v)
				if b, berr := parseOnOff(v); err != nil && berr == nil {
					n, err = map[bool]int{true: 1, false: 0}[b], nil
				}
				if err != nil || n < 0 || n > 2 {
					return usagef("verbose: 0, 1 or 2")
				}
				s.a.g.verbose = verbosity(n)
				s.verbose.Store(int32(n))
				return nil
			}},
		boolSetting("quiet", "no progress bars or transfer summaries", func(s *shell) *bool { return &s.a.g.quiet }, false),
		boolSetting("globoff", "*, ? and [ are plain characters, not glob patterns", func(s *shell) *bool { return &s.a.g.globoff }, false),
	}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (s *shell) set(args []string) error {
	all := settings()
	if len(args) == 0 {
		var b strings.Builder
		for _, st := range all {
			fmt.Fprintf(&b, "%-10s %-12s %s\n", st.name, st.get(s), st.help)
		}
		s.a.printf(s.a.stdout, "%s", b.String())
		return nil
	}
	i := slices.IndexFunc(all, func(st setting) bool { return st.name == args[0] })
	if i < 0 {
		return usagef("no setting %q (set lists them)", args[0])
	}
	st := all[i]
	if len(args) == 1 {
		s.a.printf(s.a.stdout, "%s %s\n", st.name, st.get(s))
		return nil
	}
	if len(args) > 2 {
		return usagef("set %s takes one value", st.name)
	}
	g := s.a.g
	if err := st.set(s, args[1]); err != nil {
		s.a.g = g
		var ue *usageError
		if !errors.As(err, &ue) {
			err = usagef("%s: %v", st.name, err)
		}
		return err
	}
	if st.redial && s.u != nil {
		scheme := s.u.Scheme
		if err := s.redial(); err != nil {
			// The session goes on as it was, and so do the settings.
			s.a.g, s.u.Scheme = g, scheme
			return wrapf("set %s %s: %w (setting unchanged)", st.name, args[1], err)
		}
	}
	return nil
}

// redial connects again with the settings as they are now, keeping the
// login (no password asked again) and the remote directory.
func (s *shell) redial() error {
	u := *s.u
	d, err := s.a.dialer(&u)
	if err != nil {
		return err
	}
	cfg := s.cfg
	cfg.Dialer = d
	cfg.Retries = s.a.g.retries
	cwd := s.cwd
	if err := s.connect(&u, cfg); err != nil {
		return err
	}
	if cwd != s.cwd {
		return s.cd(cwd)
	}
	return nil
}
