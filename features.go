package ftp

import (
	"context"
	"maps"
	"strings"
)

// Features returns the server's extensions from FEAT (RFC 2389), keyed by
// upper-case feature name with its parameters as value, for example
// "MLST" → "type*;size*;modify*;" and "UTF8" → "". FEAT is sent once,
// after login; later calls return the same set. A server that does not
// implement FEAT has an empty set.
func (c *Conn) Features(ctx context.Context) (map[string]string, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	f, err := c.readFeatures(ctx)
	return maps.Clone(f), err
}

func (c *Conn) readFeatures(ctx context.Context) (map[string]string, error) {
	if c.features != nil {
		return c.features, nil
	}
	rep, _, err := c.cmd(ctx, "FEAT", "")
	if err != nil {
		return nil, err
	}
	c.features = parseFeatures(rep)
	return c.features, nil
}

// parseFeatures returns the features a FEAT reply lists (none when FEAT
// was refused).
func parseFeatures(rep *Reply) map[string]string {
	f := map[string]string{}
	if rep.Code == CodeSystemStatus {
		lines := strings.Split(rep.Msg, "\n")
		if len(lines) > 2 {
			for _, l := range lines[1 : len(lines)-1] {
				l = strings.TrimSpace(l)
				if l == "" {
					continue
				}
				name, params, _ := strings.Cut(l, " ")
				f[strings.ToUpper(name)] = params
			}
		}
	}
	return f
}

// hasFeature reports whether FEAT advertised name; it reads FEAT if needed.
func (c *Conn) hasFeature(ctx context.Context, name string) (bool, error) {
	f, err := c.readFeatures(ctx)
	if err != nil {
		return false, err
	}
	_, ok := f[name]
	return ok, nil
}
