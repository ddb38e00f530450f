package main

import (
	"errors"
	"time"

	"github.com/goftplib/ftp"
)

// keepAliveFlag is --keepalive DURATION: the interval of the NOOPs sent on
// the control connection during transfers (ftp.Dialer.ControlKeepAlive),
// so that a NAT box or firewall does not drop it while a long transfer
// runs. It is stored the way the Dialer takes it: 0 (flag absent) is the
// default (ftp.DefaultControlKeepAlive, 30 s), and the user's 0 ("none")
// is stored as -1.
type keepAliveFlag time.Duration

func (k *keepAliveFlag) String() string {
	switch {
	case *k == 0:
		return ftp.DefaultControlKeepAlive.String()
	case *k < 0:
		return "0"
	}
	return time.Duration(*k).String()
}

func (k *keepAliveFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration (such as 30s or 2m)")
	}
	if d < 0 {
		return errors.New("must not be negative (0 turns the keep-alive off)")
	}
	if d == 0 {
		d = -1
	}
	*k = keepAliveFlag(d)
	return nil
}
