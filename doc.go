// Package ftp is an FTP and FTPS client: the Go counterpart of Python's
// ftplib, with contexts, streaming io.Reader/io.Writer transfers, typed
// errors, structured logging and TLS that resumes sessions on data
// connections as strict servers require.
//
// # Quick start
//
//	c, err := ftp.Dial(ctx, "ftp.example.com")
//	if err != nil { … }
//	defer c.Quit(ctx)
//	if _, err := c.Login(ctx, "anonymous", ""); err != nil { … }
//	if _, err := c.Cwd(ctx, "pub"); err != nil { … }
//	lines, err := c.List(ctx)
//	f, _ := os.Create("README")
//	_, err = c.RetrBinary(ctx, "README", f, 0)
//
// All settings live in a [Dialer]; its zero value is ready to use.
//
// # Names
//
// One rule names everything exported by this module:
//
//   - ftplib's methods keep their names, Go-cased the way net/smtp writes
//     protocol verbs (Rcpt, Noop): retrbinary → RetrBinary, nlst → Nlst,
//     mlsd → Mlsd, mkd → Mkd, pwd → Pwd, set_pasv → SetPasv, and so do the
//     other FTP verbs (Appe, Syst, Site, Mlst). A verb whose Go name is
//     taken by a Go-native operation gets a plain English one: STAT is
//     ServerStat, since Stat is the io/fs-like one.
//   - Initialisms stay upper case: CCC, AuthTLS, ProtP, URL, FXP.
//   - Operations Go programs already know take the names os, io and io/fs
//     give them, with their meaning: ReadDir, ReadDirSeq, Stat, Walk,
//     MkdirAll, RemoveAll, ModTime, Close. A name never mimics a standard
//     one with another meaning (the server-to-server copy is FXP, not
//     Copy).
//   - Configuration structs (Dialer, PoolConfig, Pools, ftphttp.Transport,
//     mirror.Options) read a zero value as the documented default and a
//     negative duration or count as "no limit" / "off".
//
// # Standards
//
// RFC 959 (FTP), RFC 2228 (security extensions: AUTH, PBSZ, PROT, CCC),
// RFC 2389 (FEAT, OPTS), RFC 2428 (EPSV, EPRT, IPv6), RFC 2640 (UTF-8
// names), RFC 3659 (SIZE, MDTM, REST STREAM, MLSD, MLST), RFC 4217 (FTP
// over TLS), and the MFMT draft (draft-somers-ftp-mfxx).
//
// # From ftplib
//
//	FTP(host, user, passwd, acct, timeout, source_address, encoding)
//	                          Dialer{Timeout, LocalAddr, Encoding}.Dial, then Login/LoginAccount
//	FTP_TLS(…, context)       Dialer{TLS: &tls.Config{…}} (explicit), plus ImplicitTLS
//	with FTP(…) as ftp:       defer c.Quit(ctx) or defer c.Close()
//	connect(host, port)       Dial(ctx, "host:port"), Dialer.NewConn for an existing net.Conn
//	getwelcome()              Conn.Welcome
//	set_debuglevel(1 / 2)     Dialer.Logger at slog.LevelDebug / LevelTrace
//	login(user, passwd, acct) Conn.Login, Conn.LoginAccount; Conn.Acct
//	abort()                   Reader.Close before EOF, Writer.Abort, DataConn.Abort
//	sendcmd / voidcmd         Conn.SendCmd / Conn.VoidCmd
//	retrbinary(cmd, cb, blocksize, rest)
//	                          Conn.RetrBinary(ctx, path, w, offset); Conn.Retr for a Reader
//	retrlines(cmd, cb)        Conn.RetrLines(ctx, path, fn); Conn.List / Conn.Nlst for listings
//	set_pasv(val)             Conn.SetPasv; Dialer.Active (inverted) before dialling
//	storbinary(cmd, fp, blocksize, cb, rest)
//	                          Conn.StorBinary(ctx, path, r, offset); Conn.Stor for a Writer
//	storlines(cmd, fp, cb)    Conn.StorLines
//	transfercmd / ntransfercmd Conn.Transfer (DataConn.Size is the 150 size)
//	mlsd(path, facts)         Conn.Mlsd, as listing.Entry values (and Conn.Mlst)
//	nlst(args…)               Conn.Nlst
//	dir(args…)                Conn.List
//	rename / delete / cwd / mkd / pwd / rmd / size
//	                          Conn.Rename / Delete / Cwd / Mkd / Pwd / Rmd / Size
//	quit() / close()          Conn.Quit / Conn.Close
//	auth() / ccc()            Conn.AuthTLS / Conn.CCC
//	prot_p() / prot_c()       Conn.ProtP / Conn.ProtC
//	error_reply               errors.Is(err, ErrUnexpectedReply)
//	error_temp / error_perm   errors.Is(err, ErrTemporary) / errors.Is(err, ErrPermanent)
//	error_proto               errors.As(err, new(*ProtocolError)), errors.Is(err, ErrProtocol)
//	all_errors                any non-nil error; *ReplyError, *ProtocolError, net.Error and ctx errors
//
// # Safety
//
// Arguments containing CR, LF or NUL are refused with an error matching
// fs.ErrInvalid before anything is sent. Reply lines are limited to 8 KiB
// and replies to 1 MiB. The host in a PASV reply is ignored unless
// Dialer.TrustPASVHost is set. In active mode only the server's address
// may connect. TLS certificates are verified, and once TLS is asked for the
// password is never sent in clear. The arguments of PASS and ACCT never
// reach a log record or an error.
//
// # Concurrency
//
// A Conn serves one caller at a time; concurrent misuse returns ErrBusy.
// Close may be called from any goroutine.
package ftp
