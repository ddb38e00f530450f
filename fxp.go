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
	// The first reply of each side; then, when both started, their final
	// replies. A source that refuses RETR never sends the data the target
	// waits for: the target's STOR is aborted rather than waited for.
	first := func(c *Conn, cmd string) (*Reply, error) { return c.readReply(ctx, cmd) }
	final := func(c *Conn, cmd string, rep *Reply) error {
		var err error
		for i := 0; rep.Code < 200; i++ {
			if i >= maxPreliminary {
				c.Close()
				return &ProtocolError{Cmd: cmd, Msg: "too many preliminary replies"}
			}
			if rep, err = c.readReply(ctx, cmd); err != nil {
				return err
			}
		}
		if rep.Code/100 != 2 {
			return c.unexpected(cmd, rep)
		}
		return nil
	}
	dstRep, dstErr := first(dst, dstCmd)
	srcRep, srcErr := first(src, srcCmd)
	refused := func(c *Conn, cmd string, rep *Reply) error {
		re := c.unexpected(cmd, rep)
		re.pathCmd = true // a 550 to RETR or STOR: fs.ErrNotExist
		return re
	}
	if srcErr == nil && srcRep.Code >= 400 {
		srcErr = refused(src, srcCmd, srcRep)
	}
	if dstErr == nil && dstRep.Code >= 400 {
		dstErr = refused(dst, dstCmd, dstRep)
	}
	switch {
	case srcErr != nil && dstErr == nil:
		// The target is waiting for data that will not come.
		return errors.Join(srcErr, dst.abort(ctx, nil, 0))
	case dstErr != nil && srcErr == nil:
		return errors.Join(dstErr, src.abort(ctx, nil, 0))
	case srcErr != nil:
		return errors.Join(dstErr, srcErr)
	}
	return errors.Join(final(dst, dstCmd, dstRep), final(src, srcCmd, srcRep))
}
