package ftp

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"strings"
)

// HashAlgorithm names a checksum algorithm as the HASH extension
// (draft-bryan-ftpext-hash) writes it, in upper case.
type HashAlgorithm string

// The checksum algorithms Checksum and Dialer.VerifyChecksums know.
const (
	SHA256 HashAlgorithm = "SHA-256"
	SHA512 HashAlgorithm = "SHA-512"
	SHA1   HashAlgorithm = "SHA-1"
	MD5    HashAlgorithm = "MD5"
	CRC32  HashAlgorithm = "CRC32"
)

// ErrNoChecksum is returned when the server offers no checksum command for
// the algorithm asked for.
var ErrNoChecksum = errors.New("ftp: server has no checksum command for this algorithm")

// ErrChecksumMismatch is returned by a verified transfer whose bytes do not
// match the server's checksum.
var ErrChecksumMismatch = errors.New("ftp: checksum mismatch")

// xcmd maps an algorithm to its older single-purpose command.
var xcmd = map[HashAlgorithm]string{SHA256: "XSHA256", SHA512: "XSHA512", SHA1: "XSHA1", MD5: "XMD5", CRC32: "XCRC"}

// preference is the order in which Dialer.VerifyChecksums picks an
// algorithm among those the server offers.
var preference = []HashAlgorithm{SHA256, SHA512, SHA1, MD5, CRC32}

func newHash(algo HashAlgorithm) hash.Hash {
	switch algo {
	case SHA256:
		return sha256.New()
	case SHA512:
		return sha512.New()
	case SHA1:
		return sha1.New()
	case MD5:
		return md5.New()
	case CRC32:
		return crc32.NewIEEE()
	}
	return nil
}

// hashAlgos returns the algorithms of the HASH feature and the one in
// effect (marked with "*").
func hashAlgos(param string) (algos []HashAlgorithm, current HashAlgorithm) {
	for a := range strings.SplitSeq(param, ";") {
		if a == "" {
			continue
		}
		if name, ok := strings.CutSuffix(a, "*"); ok {
			current = HashAlgorithm(strings.ToUpper(name))
			algos = append(algos, current)
			continue
		}
		algos = append(algos, HashAlgorithm(strings.ToUpper(a)))
	}
	return algos, current
}

// checksumCmd tells how the server computes algo: HASH (after OPTS HASH
// if needed) or an X command. Empty when unsupported.
func (c *Conn) checksumCmd(ctx context.Context, algo HashAlgorithm) (string, error) {
	feats, err := c.readFeatures(ctx)
	if err != nil {
		return "", err
	}
	if p, ok := feats["HASH"]; ok {
		algos, _ := hashAlgos(p)
		for _, a := range algos {
			if a == algo {
				return "HASH", nil
			}
		}
	}
	if x := xcmd[algo]; x != "" {
		if _, ok := feats[x]; ok {
			return x, nil
		}
	}
	return "", nil
}

// Checksum returns the server's checksum of the whole file path, in
// lower-case hex, for algo (SHA256, SHA512, SHA1, MD5 or CRC32; the case
// of the name does not matter). It uses
// HASH (switching algorithm with OPTS HASH) when FEAT lists it with algo,
// else XSHA256/XSHA512/XSHA1/XMD5/XCRC, else it fails with ErrNoChecksum.
func (c *Conn) Checksum(ctx context.Context, path string, algo HashAlgorithm) (string, error) {
	if err := c.begin(); err != nil {
		return "", err
	}
	defer c.end()
	return c.checksum(ctx, path, HashAlgorithm(strings.ToUpper(string(algo))))
}

func (c *Conn) checksum(ctx context.Context, path string, algo HashAlgorithm) (string, error) {
	cmd, err := c.checksumCmd(ctx, algo)
	if err != nil {
		return "", err
	}
	switch cmd {
	case "":
		return "", fmt.Errorf("%w: %s", ErrNoChecksum, algo)
	case "HASH":
		_, current := hashAlgos(c.features["HASH"])
		if current != algo {
			if _, err := c.expect(ctx, "OPTS", "HASH "+string(algo), 2); err != nil {
				return "", err
			}
			c.features["HASH"] = markCurrent(c.features["HASH"], algo)
		}
		rep, err := c.expectPath(ctx, "HASH", path, 2)
		if err != nil {
			return "", err
		}
		// "SHA-256 0-1234 <hex> <name>" on the last line.
		f := strings.Fields(lastLine(rep.Msg))
		if len(f) < 3 || !strings.EqualFold(f[0], string(algo)) || !isHex(f[2]) {
			return "", &ProtocolError{Cmd: "HASH " + path, Msg: fmt.Sprintf("unexpected HASH reply %q", rep.Msg)}
		}
		return strings.ToLower(f[2]), nil
	default:
		rep, err := c.expectPath(ctx, cmd, path, 2)
		if err != nil {
			return "", err
		}
		f := strings.Fields(lastLine(rep.Msg))
		if len(f) == 0 || !isHex(f[0]) {
			return "", &ProtocolError{Cmd: cmd + " " + path, Msg: fmt.Sprintf("unexpected reply %q", rep.Msg)}
		}
		sum := strings.ToLower(f[0])
		if algo == CRC32 && len(sum) < 8 {
			sum = strings.Repeat("0", 8-len(sum)) + sum
		}
		return sum, nil
	}
}

func markCurrent(param string, algo HashAlgorithm) string {
	algos, _ := hashAlgos(param)
	var b strings.Builder
	for _, a := range algos {
		b.WriteString(string(a))
		if a == algo {
			b.WriteByte('*')
		}
		b.WriteByte(';')
	}
	return b.String()
}

func lastLine(msg string) string {
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		return msg[i+1:]
	}
	return msg
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	_, err := hex.DecodeString(strings.Repeat("0", len(s)%2) + s)
	return err == nil
}

// verifyAlgo picks the checksum algorithm for a verified transfer, or "".
func (c *Conn) verifyAlgo(ctx context.Context) (HashAlgorithm, error) {
	if !c.d.VerifyChecksums {
		return "", nil
	}
	for _, a := range preference {
		cmd, err := c.checksumCmd(ctx, a)
		if err != nil {
			return "", err
		}
		if cmd != "" {
			return a, nil
		}
	}
	return "", nil
}

// verify compares a local digest with the server's checksum of path.
func (c *Conn) verify(ctx context.Context, path string, algo HashAlgorithm, h hash.Hash) error {
	local := hex.EncodeToString(h.Sum(nil))
	remote, err := c.Checksum(ctx, path, algo)
	if err != nil {
		return errorf("%w (verifying the transfer of %s)", err, path)
	}
	if local != remote {
		return fmt.Errorf("%w: %s %s: local %s, server %s", ErrChecksumMismatch, algo, path, local, remote)
	}
	return nil
}
