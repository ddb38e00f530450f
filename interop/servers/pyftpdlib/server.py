#!/usr/bin/python3
"""pyftpdlib server for the goftplib interop tests (internal/ftpservers).

Run with Debian's /usr/bin/python3 (python3-pyftpdlib, python3-openssl).
Serves one write user and (optionally) anonymous read-only access on one
loopback address. Passive ports are chosen by the kernel; active mode
(PORT/EPRT) is allowed. With --tls, AUTH TLS is offered (explicit TLS,
plaintext still allowed: tls_control_required/tls_data_required are off).
"""

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--home", required=True)
    p.add_argument("--anon-home", default="")
    p.add_argument("--log", default="")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--tls12", action="store_true", help="cap TLS at 1.2")
    p.add_argument("--max-cons", type=int, default=50)
    a = p.parse_args()

    logging.basicConfig(
        filename=a.log or None,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )

    auth = DummyAuthorizer()
    auth.add_user(a.user, a.password, a.home, perm="elradfmwMT")
    if a.anon_home:
        auth.add_anonymous(a.anon_home)

    if a.tls:
        from OpenSSL import SSL
        from pyftpdlib.handlers import TLS_FTPHandler

        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.set_options(SSL.OP_NO_SSLv2 | SSL.OP_NO_SSLv3 | SSL.OP_NO_COMPRESSION)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        if a.tls12:
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_certificate_chain_file(a.cert)
        ctx.use_privatekey_file(a.key)
        ctx.check_privatekey()

        class Handler(TLS_FTPHandler):
            pass

        Handler.ssl_context = ctx
        Handler.tls_control_required = False
        Handler.tls_data_required = False
    else:
        class Handler(FTPHandler):
            pass

    Handler.authorizer = auth
    Handler.banner = "goftplib interop pyftpdlib ready."
    Handler.permit_foreign_addresses = False
    Handler.permit_privileged_ports = False
    Handler.passive_ports = None  # kernel-chosen
    Handler.log_cmds_list = list(Handler.proto_cmds)

    server = FTPServer((a.host, a.port), Handler)
    server.max_cons = a.max_cons
    server.max_cons_per_ip = a.max_cons
    print("READY %s:%d" % (a.host, a.port), flush=True)
    try:
        server.serve_forever(handle_exit=True)
    finally:
        server.close_all()


if __name__ == "__main__":
    sys.exit(main())
