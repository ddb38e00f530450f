package ftp

import "log/slog"

// LevelTrace is the slog level of the most detailed records: every line on
// the control connection and every data connection event (ftplib's debug
// level 2).
const LevelTrace = slog.LevelDebug - 4

// The messages and attribute keys of the records a Conn writes to
// Dialer.Logger, for handlers that render the dialogue (such as goftp -v).
// Every record carries KeyConn, set once per Conn with Logger.With.
// Passwords and accounts are already masked ("PASS ****") in KeyCmd and
// KeyLine; server text (KeyMsg, KeyLine) is as received and may hold
// control characters: escape it (EscapeText) before printing it.
const (
	// LogSend: a command was sent (slog.LevelDebug). Attribute: KeyCmd.
	LogSend = "send"
	// LogRecv: a whole reply was read (slog.LevelDebug). Attributes:
	// KeyCode and KeyMsg (all lines, joined by "\n", as Reply.Msg).
	LogRecv = "recv"
	// LogRecvLine: one raw line of a reply was read (LevelTrace).
	// Attribute: KeyLine.
	LogRecvLine = "recv line"
	// LogClose: the control connection was closed (LevelTrace).
	LogClose = "close"
	// LogTLS: the control connection's TLS handshake completed
	// (LevelTrace). Attributes: KeyTLSVersion, KeyCipher.
	LogTLS = "tls"
	// LogPASVHostIgnored: a PASV reply named a host other than the
	// server's, which is dialled instead (LevelTrace). Attributes:
	// KeyPASVHost, KeyUsing.
	LogPASVHostIgnored = "ignoring PASV host"
	// LogMLSDFallback: MLSD or MLST, though advertised, was refused
	// (500, 502) or answered with nothing parsable, so the Conn lists with
	// LIST from then on (slog.LevelWarn). Attributes: KeyCmd, KeyMsg.
	LogMLSDFallback = "MLSD unusable, using LIST"
	// LogListHiddenRefused: "LIST -a dir" (Dialer.ListHidden) was
	// refused and "LIST dir" worked, so the Conn lists named directories
	// without "-a" from then on (slog.LevelWarn). Attribute: KeyCmd.
	LogListHiddenRefused = "LIST -a refused, listing without -a"
	// LogDataDial: a passive data connection is being dialled
	// (LevelTrace). Attribute: KeyAddr.
	LogDataDial = "data dial"
	// LogDataRefused: an active data connection from an address other
	// than the server's was refused (slog.LevelWarn). Attribute: KeyAddr.
	LogDataRefused = "refused data connection from foreign address"
	// LogDataTLS: the data connection's TLS handshake completed
	// (LevelTrace). Attribute: KeyResumed.
	LogDataTLS = "data tls"
	// LogDataOpen: a transfer's data connection is open (LevelTrace).
	// Attribute: KeyAddr.
	LogDataOpen = "data open"
	// LogDataCloseError: closing a finished transfer's data connection
	// failed, which did not affect the transfer (LevelTrace). Attribute:
	// KeyErr.
	LogDataCloseError = "data close"
	// LogDataClosed: a transfer ended successfully (LevelTrace).
	// Attribute: KeyBytes.
	LogDataClosed = "data closed"

	KeyConn       = "conn"    // uint64: the Conn's number, unique in the process
	KeyCmd        = "cmd"     // string: the command line sent, secrets masked
	KeyCode       = "code"    // int: the reply code
	KeyMsg        = "msg"     // string: the reply text
	KeyLine       = "line"    // string: one raw reply line, without CRLF
	KeyAddr       = "addr"    // string: a data connection's host:port
	KeyErr        = "err"     // string: an error's text
	KeyBytes      = "bytes"   // int64: bytes moved by a transfer
	KeyResumed    = "resumed" // bool: the TLS session was resumed
	KeyTLSVersion = "version" // string: the TLS version, such as "TLS 1.3"
	KeyCipher     = "cipher"  // string: the TLS cipher suite
	KeyPASVHost   = "pasv"    // string: the host a PASV reply named
	KeyUsing      = "using"   // string: the host dialled instead
)
