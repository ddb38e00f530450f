#!/usr/bin/env bash
# install.sh - install the real FTP servers used by the interop tests
# (package internal/ftpservers) on a Debian 12 machine.
#
#   * python3-pyftpdlib + python3-openssl   : installed normally with apt-get
#   * vsftpd, proftpd-core + proftpd-mod-crypto, pure-ftpd:
#       these packages all "Conflict: ftp-server", so only one could be
#       installed normally (and installing them would start a service on
#       port 21). Instead each .deb is fetched with `apt-get download` and
#       unpacked with `dpkg-deb -x` into a private prefix
#       ($FTPSERVERS_PREFIX, default /opt/goftplib-servers/<name>). Their
#       shared-library dependencies are installed normally with apt-get.
#   * openssl (certificate tooling, `openssl passwd`)
#   * microsocks (SOCKS5) and tinyproxy (HTTP CONNECT), the real proxies
#     of the proxy tests (internal/proxies)
#   * a system user "goftp" (password "s3cret-Pass", home
#     /var/lib/goftplib-ftp) and the PAM service /etc/pam.d/goftplib-vsftpd,
#     used by vsftpd (which only knows system accounts; it also runs its
#     anonymous sessions as that user); the other servers map their virtual
#     user to that uid.
#
# The script is idempotent and returns quickly when everything is present.
# No service is started or enabled, nothing listens on port 21.
#
# Usage: bash interop/servers/install.sh   (as root)
set -euo pipefail

PREFIX="${FTPSERVERS_PREFIX:-/opt/goftplib-servers}"
FTP_USER="goftp"
FTP_PASS="s3cret-Pass"
PAM_SERVICE="goftplib-vsftpd"

log() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, useradd, /etc/pam.d)"
command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian/Ubuntu"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- helpers

# is_installed PKG: true if the Debian package PKG is installed.
is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

APT_UPDATED=0
apt_update_once() {
	if [ "$APT_UPDATED" = 0 ]; then
		log "running apt-get update"
		apt-get update -qq || die "apt-get update failed"
		APT_UPDATED=1
	fi
}

# Make sure that apt never starts a service while we install packages.
POLICY=/usr/sbin/policy-rc.d
POLICY_CREATED=0
cleanup() {
	if [ "$POLICY_CREATED" = 1 ]; then rm -f "$POLICY"; fi
	if [ -n "${WORK:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
block_services() {
	if [ ! -e "$POLICY" ]; then
		printf '#!/bin/sh\n# temporary, created by goftplib interop/servers/install.sh\nexit 101\n' >"$POLICY"
		chmod 755 "$POLICY"
		POLICY_CREATED=1
	fi
}

# apt_install PKG...: install the packages that are not yet installed.
apt_install() {
	local missing=() p
	for p in "$@"; do is_installed "$p" || missing+=("$p"); done
	[ "${#missing[@]}" = 0 ] && return 0
	block_services
	log "apt-get install ${missing[*]}"
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		apt_update_once
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
}

# apt_download PKG...: download .deb files into the current directory.
apt_download() {
	if ! apt-get download -qq "$@" >/dev/null 2>&1; then
		apt_update_once
		apt-get download -qq "$@" >/dev/null || die "apt-get download $* failed"
	fi
}

# candidate_version PKG: the version apt would install ("" if unknown).
candidate_version() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'
}

# check_libs DIR: fail if a binary or module under DIR misses a shared library.
check_libs() {
	local f missing=""
	while IFS= read -r f; do
		if ldd "$f" 2>/dev/null | grep -q 'not found'; then
			missing+="$f: $(ldd "$f" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"$'\n'
		fi
	done < <(find "$1/usr/sbin" "$1/usr/bin" "$1/usr/lib" -type f \( -perm -u+x -o -name '*.so' \) 2>/dev/null)
	if [ -n "$missing" ]; then
		printf '%s' "$missing" >&2
		return 1
	fi
}

# ------------------------------------------------- 1. normally installed packages

T0=$(date +%s)
apt_install openssl python3-pyftpdlib python3-openssl passwd
# The proxies of interop/proxy_test.go (internal/proxies starts them on
# loopback; the packaged tinyproxy service is never started).
apt_install microsocks tinyproxy
/usr/bin/python3 -c 'import pyftpdlib, OpenSSL' ||
	die "/usr/bin/python3 cannot import pyftpdlib/OpenSSL after installing them"

# ------------------------------------------------- 2. unpacked FTP servers
#
# name|packages to unpack|binary that proves it is there
SERVERS=(
	"vsftpd|vsftpd|usr/sbin/vsftpd"
	"proftpd|proftpd-core proftpd-mod-crypto|usr/sbin/proftpd usr/lib/proftpd/mod_tls.so"
	"pureftpd|pure-ftpd|usr/sbin/pure-ftpd usr/bin/pure-pw"
)

WORK=""
for entry in "${SERVERS[@]}"; do
	IFS='|' read -r name pkgs bins <<<"$entry"
	dest="$PREFIX/$name"
	stamp="$dest/.installed"
	ok=1
	[ -f "$stamp" ] || ok=0
	for b in $bins; do
		[ -e "$dest/$b" ] || ok=0
		# a library dependency may have been removed since
		if [ "$ok" = 1 ] && ldd "$dest/$b" 2>/dev/null | grep -q 'not found'; then ok=0; fi
	done
	if [ "$ok" = 1 ]; then
		log "$name: already installed in $dest ($(tr '\n' ' ' <"$stamp"))"
		continue
	fi

	log "$name: downloading $pkgs"
	[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/goftplib-install.XXXXXX)
	dl="$WORK/$name"
	mkdir -p "$dl"
	chmod 777 "$WORK" "$dl" # apt's sandbox user _apt writes the downloads
	(cd "$dl" && apt_download $pkgs)

	# Install the library dependencies (lib*, zlib*) normally.
	deps=()
	for deb in "$dl"/*.deb; do
		while IFS= read -r d; do
			d="${d%%|*}"     # first alternative
			d="${d%%(*}"     # drop version constraint
			d="${d//[[:space:]]/}"
			d="${d%%:*}"     # drop :any
			case "$d" in lib* | zlib*) deps+=("$d") ;; esac
		done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n')
	done
	if [ "${#deps[@]}" -gt 0 ]; then
		mapfile -t deps < <(printf '%s\n' "${deps[@]}" | sort -u)
		apt_install "${deps[@]}"
	fi

	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dest.tmp"
	done
	# The unpacked /etc, init scripts and systemd units are never used.
	rm -rf "$dest.tmp/etc/init.d" "$dest.tmp/lib/systemd" "$dest.tmp/usr/share/doc" "$dest.tmp/usr/share/man"
	check_libs "$dest.tmp" || die "$name: shared libraries missing after installing dependencies"
	for deb in "$dl"/*.deb; do
		printf '%s=%s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)"
	done >"$dest.tmp/.installed"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	log "$name: installed in $dest ($(tr '\n' ' ' <"$dest/.installed"))"
done

# ------------------------------------------------- 3. account + PAM for vsftpd

# vsftpd changes into the account's home directory before local_root /
# anon_root, so the home must exist (it is not used otherwise).
FTP_HOME=/var/lib/goftplib-ftp
if ! id "$FTP_USER" >/dev/null 2>&1; then
	log "creating system user $FTP_USER"
	useradd --system --no-create-home --home-dir "$FTP_HOME" --shell /usr/sbin/nologin "$FTP_USER" ||
		die "useradd $FTP_USER failed"
fi
if [ "$(getent passwd "$FTP_USER" | cut -d: -f6)" != "$FTP_HOME" ]; then
	log "setting home of $FTP_USER to $FTP_HOME"
	usermod --home "$FTP_HOME" "$FTP_USER" || die "usermod $FTP_USER failed"
fi
if [ ! -d "$FTP_HOME" ]; then
	install -d -m 0755 -o root -g root "$FTP_HOME" || die "cannot create $FTP_HOME"
fi
# Set the password only if it differs (chpasswd rewrites /etc/shadow).
if ! /usr/bin/python3 - "$FTP_USER" "$FTP_PASS" <<'EOF' 2>/dev/null; then
import sys, crypt, spwd
h = spwd.getspnam(sys.argv[1]).sp_pwdp
sys.exit(0 if h and crypt.crypt(sys.argv[2], h) == h else 1)
EOF
	log "setting password of $FTP_USER"
	printf '%s:%s\n' "$FTP_USER" "$FTP_PASS" | chpasswd || die "chpasswd failed"
fi

PAM_FILE="/etc/pam.d/$PAM_SERVICE"
PAM_WANT='# PAM service of the goftplib interop test vsftpd (internal/ftpservers).
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_permit.so'
if [ "$(cat "$PAM_FILE" 2>/dev/null || true)" != "$PAM_WANT" ]; then
	log "writing $PAM_FILE"
	printf '%s\n' "$PAM_WANT" >"$PAM_FILE"
fi

log "done in $(($(date +%s) - T0))s (prefix $PREFIX)"
