package ftp

import (
	"compress/zlib"
	"io"
	"net"
)

// zconn is a data connection in MODE Z: reads inflate and writes deflate
// a zlib stream (RFC 1950) over the underlying connection.
type zconn struct {
	net.Conn
	zr io.ReadCloser
	zw *zlib.Writer
}

func (z *zconn) Read(p []byte) (int, error) {
	if z.zr == nil {
		zr, err := zlib.NewReader(z.Conn)
		if err != nil {
			if err == io.EOF {
				return 0, io.EOF // an empty transfer
			}
			return 0, err
		}
		z.zr = zr
	}
	return z.zr.Read(p)
}

func (z *zconn) Write(p []byte) (int, error) {
	if z.zw == nil {
		z.zw = zlib.NewWriter(z.Conn)
	}
	return z.zw.Write(p)
}

// finish ends the compressed stream of an upload. An upload that wrote
// nothing still sends a valid empty stream.
func (z *zconn) finish() error {
	if z.zw == nil {
		z.zw = zlib.NewWriter(z.Conn)
	}
	return z.zw.Close()
}
