package ftptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
)

// TLSMode selects whether and how a [Server] offers FTPS.
type TLSMode int

const (
	// TLSNone serves plain FTP only; AUTH TLS is refused with 550 and
	// not advertised in FEAT.
	TLSNone TLSMode = iota
	// TLSExplicit offers explicit FTPS (RFC 4217): clients may upgrade
	// with AUTH TLS and protect data connections with PBSZ 0 / PROT P,
	// but plain sessions are allowed too.
	TLSExplicit
	// TLSExplicitRequired is like TLSExplicit but refuses USER with 421
	// (and closes the connection) before AUTH TLS, and refuses data
	// transfers with 421 unless PROT P is in effect.
	TLSExplicitRequired
	// TLSImplicit serves implicit FTPS: TLS starts right after the TCP
	// connection is established, and data connections are always
	// protected.
	TLSImplicit
)

// String returns the mode's name, such as "explicit".
func (m TLSMode) String() string {
	switch m {
	case TLSNone:
		return "none"
	case TLSExplicit:
		return "explicit"
	case TLSExplicitRequired:
		return "explicit-required"
	case TLSImplicit:
		return "implicit"
	}
	return fmt.Sprintf("TLSMode(%d)", int(m))
}

func (m TLSMode) scheme() string {
	switch m {
	case TLSExplicit, TLSExplicitRequired:
		return "ftpes"
	case TLSImplicit:
		return "ftps"
	}
	return "ftp"
}

func (m TLSMode) requirement() ftpserver.TLSRequirement {
	switch m {
	case TLSExplicitRequired:
		return ftpserver.MandatoryEncryption
	case TLSImplicit:
		return ftpserver.ImplicitEncryption
	}
	return ftpserver.ClearOrEncrypted
}

// newCertificate generates a self-signed ECDSA P-256 certificate, usable
// as its own root, for 127.0.0.1, ::1, localhost and, if it is not nil
// or unspecified, ip.
func newCertificate(ip net.IP) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ftptest"}, CommonName: "ftptest"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	if ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
