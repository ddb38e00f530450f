package ftp

import (
	"context"
	"errors"
	"fmt"
)

// FXP copies srcPath on the server of src to dstPath on the server of dst
// without the bytes passing through the client (server-to-server or "FXP"
// transfer; ftplib's ftpcp). The source is put in passive mode (EPSV, or
// PASV) and the target in active mode towards it (EPRT, or PORT); the
// passive address is the source's control-connection peer, never the host
// a PASV reply names. Then STOR is sent to the target and RETR to the
// source, and both final replies are read.
//
// Both servers must allow it: many refuse a PORT to an address other than
// the client's (FXP protection), and data connections protected with TLS
// would need SSCN, so FXP refuses Conns with PROT P in effect. src and
// dst must be different Conns; both are busy until FXP returns.
func FXP(ctx context.Context, src *Conn, srcPath string, dst *Conn, dstPath string) error {
	if src == dst {
		return errors.New("ftp: FXP needs two different connections")
	}
	if err := src.begin(); err != nil {
		return err
	}
	defer src.end()
	if err := dst.begin(); err != nil {
		return err
	}
	defer dst.end()
	if src.protP || dst.protP {
		return fmt.Errorf("ftp: FXP: server-to-server transfers with PROT P need SSCN, which is not supported; use ProtC on both")
	}
	stopS := src.watch(ctx, src.nc)
	defer stopS()
	stopD := dst.watch(ctx, dst.nc)
	defer stopD()
	if err := src.setType(ctx, "I"); err != nil {
		return err
	}
	if err := dst.setType(ctx, "I"); err != nil {
		return err
	}
	host := src.peerIP()
	if host == nil {
		return fmt.Errorf("ftp: FXP: the source server's IP address is unknown (its name was resolved by the proxy): use a socks5:// proxy or dial it by IP address")
	}
	_, port, err := src.passivePort(ctx)
	if err != nil {
		return err
	}
	if v4 := host.To4(); v4 != nil && (dst.noEPRT || dst.d.DisableEPSV) {
		arg := fmt.Sprintf("%d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff)
		if _, err := dst.expect(ctx, "PORT", arg, 2); err != nil {
			return err
		}
	} else {
		proto := "2"
		if host.To4() != nil {
			proto = "1"
		}
		if _, err := dst.expect(ctx, "EPRT", fmt.Sprintf("|%s|%s|%d|", proto, host, port), 2); err != nil {
			return err
		}
	}
	dstCmd, err := dst.writeCmd(ctx, "STOR", dstPath)
	if err != nil {
		return err
	}
	srcCmd, err := src.writeCmd(ctx, "RETR", srcPath)
	if err != nil {
		dst.abort(ctx, nil, 0)
		return err
	}
	// Preliminary replies, then final ones, from both.
	var errs []error
	for _, side := range []struct {
		c   *Conn
		cmd string
	}{{dst, dstCmd}, {src, srcCmd}} {
		rep, err := side.c.readReply(ctx, side.cmd)
		for err == nil && rep.Code < 200 {
			rep, err = side.c.readReply(ctx, side.cmd)
		}
		if err == nil && rep.Code/100 != 2 {
			err = side.c.unexpected(side.cmd, rep)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
