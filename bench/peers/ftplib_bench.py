#!/usr/bin/python3
"""Python ftplib peer for bench/compare.sh (run with Debian's /usr/bin/python3).

Same command line as bench/cmd/goftpbench:

    ftplib_bench.py -addr HOST:PORT -user U -pass P [-tls -ca FILE] [-p N] OP ARGS

OP is one of: get REMOTE LOCAL, put LOCAL REMOTE, mget REMOTEDIR LOCALDIR,
mput LOCALDIR REMOTEDIR, list REMOTEDIR. Blocks are 64 KiB. With -p N the
many-file operations use N threads, each with its own connection.

With TLS, data connections resume the control connection's TLS session
(servers such as vsftpd require it; plain ftplib does not do it, a known
limitation, so FTP_TLS.ntransfercmd is overridden as users commonly do).
"""
import argparse
import ftplib
import os
import posixpath
import ssl
import sys
import threading

BLOCK = 64 * 1024


class ReusingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
        return conn, size


def connect(a):
    host, port = a.addr.rsplit(":", 1)
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.ca)
        f = ReusingFTP_TLS(context=ctx, timeout=60)
        f.connect(host, int(port))
        f.login(a.user, a.password)
        f.prot_p()
    else:
        f = ftplib.FTP(timeout=60)
        f.connect(host, int(port))
        f.login(a.user, a.password)
    return f


def get(f, remote, local):
    with open(local, "wb") as out:
        f.retrbinary("RETR " + remote, out.write, blocksize=BLOCK)


def put(f, local, remote):
    with open(local, "rb") as src:
        f.storbinary("STOR " + remote, src, blocksize=BLOCK)


def many(a, jobs, fn):
    """Runs fn(conn, job) for every job on a.p connections."""
    if a.p <= 1:
        f = connect(a)
        for j in jobs:
            fn(f, j)
        f.quit()
        return
    lock = threading.Lock()
    it = iter(jobs)
    errors = []

    def worker():
        try:
            f = connect(a)
            while True:
                with lock:
                    j = next(it, None)
                if j is None:
                    break
                fn(f, j)
            f.quit()
        except Exception as e:  # report after join
            errors.append(e)

    ts = [threading.Thread(target=worker) for _ in range(a.p)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-addr", required=True)
    ap.add_argument("-user", default="anonymous")
    ap.add_argument("-pass", dest="password", default="")
    ap.add_argument("-tls", action="store_true")
    ap.add_argument("-ca")
    ap.add_argument("-p", type=int, default=1)
    ap.add_argument("op")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.op == "get":
        f = connect(a)
        get(f, a.args[0], a.args[1])
        f.quit()
    elif a.op == "put":
        f = connect(a)
        put(f, a.args[0], a.args[1])
        f.quit()
    elif a.op == "mget":
        rdir, ldir = a.args
        f = connect(a)
        names = [b for b in (posixpath.basename(n) for n in f.nlst(rdir))
                 if b not in (".", "..")]
        f.quit()
        os.makedirs(ldir, exist_ok=True)
        many(a, names, lambda f, n: get(f, rdir + "/" + n, os.path.join(ldir, n)))
    elif a.op == "mput":
        ldir, rdir = a.args
        names = sorted(os.listdir(ldir))
        many(a, names, lambda f, n: put(f, os.path.join(ldir, n), rdir + "/" + n))
    elif a.op == "list":
        f = connect(a)
        lines = []
        f.retrlines("LIST " + a.args[0], lines.append)
        f.quit()
        print(len(lines))
    else:
        sys.exit("unknown op " + a.op)


if __name__ == "__main__":
    main()
