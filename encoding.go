package ftp

import (
	"fmt"
	"io/fs"
)

// encode converts s from UTF-8 to the wire encoding.
func (c *Conn) encode(s string) (string, error) {
	if c.d.Encoding == nil || s == "" {
		return s, nil
	}
	out, err := c.d.Encoding.NewEncoder().String(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q cannot be encoded: %w", fs.ErrInvalid, s, err)
	}
	return out, nil
}

// decode converts s from the wire encoding to UTF-8. Bytes that cannot be
// decoded become U+FFFD.
func (c *Conn) decode(s string) string {
	if c.d.Encoding == nil || s == "" {
		return s
	}
	out, err := c.d.Encoding.NewDecoder().String(s)
	if err != nil {
		return s
	}
	return out
}
