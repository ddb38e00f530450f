#!/usr/bin/env bash
# bench/compare.sh: this library beside other FTP clients, in one run, on
# loopback and through an emulated wide-area link (bench/internal/delayproxy:
# 50 ms RTT, TCP handshakes, 8 MB/s per connection), against vsftpd and
# Pure-FTPd (internal/ftpservers), and writes docs/BENCHMARKS.md (table of
# ratios, commands, machine notes, chart).
#
#   bash bench/compare.sh              # full run (~20 min on 2 cores)
#   QUICK=1 bash bench/compare.sh      # small sizes, for development (~3 min)
#
# Knobs (environment): RUNS (runs per measurement, medians are reported),
# RUNS2 (big-file runs on the servers after the first), SERVERS
# ("vsftpd pureftpd"; the proxy and listing runs use the first), BIG (bytes), SMALL (files), RTT1/RTT8
# (files through the proxy with 1 and 8 connections), MANY (listing
# entries), NLINES (LIST lines parsed), DELAY (one-way, default 25ms),
# CONN_RATE (the proxy's cap per connection, bytes/s, default 8000000),
# SEG (bytes of the segmented download through the proxy, 64 MiB; 0
# skips it), SEGN (its segments, 4), RTT_P (connections of the small-file
# runs through the proxy: "8", or "1 8" to add RTT1 files on one), FREE_HANDSHAKE=1 (the proxy's new
# connections cost no round trip, for comparison), RUNS_WAN (runs through
# the proxy), SCENARIOS
# ("loopback wan": which parts run; wan alone is the proxy's scenarios),
# WORK (scratch directory, default on /dev/shm), KEEP=1 keeps it,
# CMD_TIMEOUT (seconds before a client command counts as failed, 60),
# NODOC=1 leaves docs/BENCHMARKS.md and bench/results/ alone, PREVIOUS
# (an earlier run's latest.tsv, copied to bench/results/previous.tsv) adds
# its loopback figures beside the new ones in the targets.
#
# Clients: goftpbench (bench/cmd/goftpbench, this library), the goftp CLI
# (cmd/goftp) when it builds, rawcopy (bench/cmd/rawcopy, the physical
# limit: sendfile → loopback TCP → splice, or crypto/tls), curl, lftp,
# Python's ftplib (/usr/bin/python3, bench/peers/ftplib_bench.py, 64 KiB
# blocks) and github.com/jlaffaye/ftp v0.2.4 (bench/peers, its own module).
# Each run of each client is timed from outside (wall time of the whole
# command: start, login, transfer, quit) and its peak RSS read with
# /usr/bin/time. Clients take turns within each run, so that noise from
# this shared machine spreads over all of them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	: "${BIG:=$((64 << 20))}" "${SMALL:=200}" "${RTT1:=20}" "${RTT8:=200}" "${MANY:=10000}" "${NLINES:=100000}" "${RUNS:=3}" "${RUNS_WAN:=1}"
else
	: "${BIG:=$((1 << 30))}" "${SMALL:=2000}" "${RTT1:=50}" "${RTT8:=200}" "${MANY:=100000}" "${NLINES:=1000000}" "${RUNS:=3}" "${RUNS_WAN:=3}"
fi
: "${SERVERS:=vsftpd pureftpd}" "${DELAY:=25ms}" "${KEEP:=0}" "${NODOC:=0}" "${RUNS2:=2}" "${CMD_TIMEOUT:=60}"
: "${SEG:=$((64 << 20))}" "${SEGN:=4}" "${CONN_RATE:=8000000}" "${SCENARIOS:=loopback wan}"
: "${RTT_P:=8}" "${FREE_HANDSHAKE:=0}"
INVOCATION="$(for v in QUICK BIG SMALL RTT1 RTT8 MANY NLINES RUNS RUNS2 RUNS_WAN SERVERS DELAY CONN_RATE FREE_HANDSHAKE SEG SEGN RTT_P SCENARIOS; do printf '%s=%q ' "$v" "${!v}"; done)bash bench/compare.sh"
has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
PARALLEL="1 4 8"

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# --- tools
need=()
command -v curl >/dev/null || need+=(curl)
command -v lftp >/dev/null || need+=(lftp)
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/python3 ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
bash interop/servers/install.sh >/dev/null

# --- scratch space: tmpfs, so that the disk's writeback is not measured
if [ -z "${WORK:-}" ]; then
	if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt $((4 * (BIG >> 10) + 2097152)) ]; then
		WORK=$(mktemp -d /dev/shm/goftp-bench.XXXXXX)
	else
		WORK=$(mktemp -d)
	fi
fi
chmod 755 "$WORK"
export TMPDIR=$WORK # the servers' roots too (internal/ftpservers)
BIN=$WORK/bin FX=$WORK/fx DL=$WORK/dl RESULTS=$WORK/results.tsv
mkdir -p "$BIN" "$DL"
BS_PID=
cleanup() {
	if [ -n "$BS_PID" ]; then kill "$BS_PID" 2>/dev/null || true; wait "$BS_PID" 2>/dev/null || true; fi
	if [ "$KEEP" != 1 ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

# --- build
log "building into $BIN"
for c in goftpbench benchserver benchfixtures benchreport rawcopy; do
	go build -o "$BIN/$c" "./bench/cmd/$c"
done
(cd bench/peers && go build -o "$BIN/jlaffaye" ./jlaffaye)
HAVE_CLI=0 HAVE_SEG=0 HAVE_PAR=0
if go build -o "$BIN/goftp" ./cmd/goftp 2>/dev/null && "$BIN/goftp" help >/dev/null 2>&1; then
	HAVE_CLI=1
	# Features that may not exist yet: segmented get (-n N), parallel
	# get/put (-P N).
	"$BIN/goftp" get -h 2>&1 | grep -Eq '^ +-n( |$)' && HAVE_SEG=1
	"$BIN/goftp" get -h 2>&1 | grep -Eq '^ +-P( |$)' && "$BIN/goftp" put -h 2>&1 | grep -Eq '^ +-P( |$)' && HAVE_PAR=1
	log "goftp CLI: segmented get -n: $HAVE_SEG, parallel get/put -P: $HAVE_PAR"
else
	log "cmd/goftp does not build (yet): its rows are left out"
fi

log "writing fixtures"
"$BIN/benchfixtures" -dir "$FX" -big "$BIG" -seg "$SEG" -small "$SMALL" -rtt1 "$RTT1" -rtt8 "$RTT8" -many "$MANY" \
	-lines "$WORK/lines.txt" -nlines "$NLINES"
chmod -R a+rX "$FX"

# --- machine notes
RUN_START=$(date -u +%H:%M) RUN_T0=$EPOCHSECONDS
{
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "cpu: $(nproc) × $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
	echo "memory: $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -sr)"
	echo "go: $(go version | awk '{print $3}')"
	echo "curl: $(curl --version | head -1 | awk '{print $2, $4}')"
	echo "lftp: $(lftp --version | head -1 | sed 's/.*Version \([^ ]*\).*/\1/')"
	echo "python: $(/usr/bin/python3 --version 2>&1 | awk '{print $2}')"
	echo "jlaffaye/ftp: $(awk '$2 == "github.com/jlaffaye/ftp" {print $3}' bench/peers/go.mod)"
	echo "servers: vsftpd 3.0.3, Pure-FTPd 1.0.50 (Debian 12 packages via internal/ftpservers)"
	echo "scratch: $(df -PT "$WORK" | awk 'NR==2{print $2}')"
	echo "sizes: BIG=$BIG SMALL=$SMALL RTT1=$RTT1 RTT8=$RTT8 MANY=$MANY NLINES=$NLINES RUNS=$RUNS RUNS2=$RUNS2 RUNS_WAN=$RUNS_WAN QUICK=$QUICK"
	echo "link: DELAY=$DELAY one-way, CONN_RATE=$CONN_RATE B/s per connection and direction, SEG=$SEG SEGN=$SEGN"
	echo "commit: ${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
	echo "command: $INVOCATION"
	echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: other jobs ran during the run)"
} >"$WORK/machine.txt"

printf 'server\tmode\top\tsize\tp\tclient\trun\tseconds\trss_kb\tfloor\tnote\n' >"$RESULTS"
: >"$WORK/commands.tsv"

# --- one measurement
# measure SERVER MODE OP SIZE P CLIENT RUN FLOOR -- command...
# Times the command, records peak RSS, verifies the result, and appends a
# row (seconds "fail" when the command or the check failed).
measure() {
	local server=$1 mode=$2 op=$3 size=$4 p=$5 client=$6 run=$7 floor=$8
	shift 9
	prepare "$op"
	local t0 t1 secs rss note=""
	if [ "$run" = 1 ]; then
		# The command line, for the document: no password, short paths.
		local shown
		shown=$(showcmd "$@")
		shown=${shown//"$FTP_PASS"/PASS}
		shown=${shown//"$BIN/"/}
		shown=${shown//"$WORK"/WORK}
		[ -n "${PROXY_ADDR:-}" ] && shown=${shown//"$PROXY_ADDR"/PROXY:PORT}
		[ -n "${PLAIN_ADDR:-}" ] && shown=${shown//"$PLAIN_ADDR"/SERVER:PORT}
		[ -n "${TLS_ADDR:-}" ] && shown=${shown//"$TLS_ADDR"/SERVER:PORT}
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$mode" "$op" "$size" "$p" "$client" "${shown% }" >>"$WORK/commands.tsv"
	fi
	t0=$EPOCHREALTIME
	if timeout -k 5 "$CMD_TIMEOUT" /usr/bin/time -f %M -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err" &&
		t1=$EPOCHREALTIME && verify "$op"; then
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}')
	else
		secs=fail
		note=$(tr '\n\t' '  ' <"$WORK/err" | cut -c1-200)
		log "FAIL $server $mode $op p=$p $client: $note"
	fi
	rss=$(tail -1 "$WORK/rss" 2>/dev/null || echo 0)
	if [ "$op" = parse ] && [ "$secs" != fail ]; then
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/out")
		note=$(sed -n 's/\(parsed=[0-9]* failed=[0-9]*\).*/\1/p' "$WORK/out")
	fi
	if [ "$op" = list ] && [ "$secs" != fail ]; then
		# The Go and Python programs print the count, the others the lines.
		local n
		n=$(wc -l <"$WORK/out")
		[ "$n" -le 1 ] && n=$(grep -Eo '^[0-9]+$' "$WORK/out" || echo 0)
		note="$n lines"
	fi
	if [ "$mode" = rtt ] && [ -n "${BS_PID:-}" ]; then
		echo stats >&"${BS[1]}"
		local st
		IFS= read -r -u "${BS[0]}" st
		note="$note ${st#STATS }"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$mode" "$op" "$size" "$p" "$client" "$run" \
		"$secs" "$rss" "$floor" "$note" >>"$RESULTS"
}

# showcmd ARGS...: the command line, quoted for a shell where needed.
showcmd() {
	local a out=""
	for a in "$@"; do
		if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+%#-]+$ ]]; then
			out+="$a "
		else
			out+="'${a//\'/\'\\\'\'}' "
		fi
	done
	printf '%s' "$out"
}

# prepare OP: removes what the previous run left (outside the timing).
prepare() {
	case $1 in
	get) rm -f "$DL/big.bin" ;;
	get0) rm -f "$DL/empty.bin" ;;
	seg) rm -f "$DL"/seg.bin "$DL"/.seg.bin* "$DL"/seg.bin.* ;;
	put) rm -f "$SDIR/up/big.bin" ;;
	mget) rm -rf "$DL/m" && mkdir -p "$DL/m" ;;
	mput) find "$SDIR/up/$MDIR" -type f -delete ;;
	esac
}

# verify OP: the transfer really happened.
verify() {
	case $1 in
	get) [ "$(stat -c %s "$DL/big.bin")" = "$BIG" ] ;;
	get0) true ;; # curl does not create a file for 0 bytes
	seg) cmp -s "$FX/seg.bin" "$DL/seg.bin" ;;
	put) [ "$(stat -c %s "$SDIR/up/big.bin")" = "$BIG" ] ;;
	mget) [ "$(find "$DL/m" -type f | wc -l)" = "$MCOUNT" ] ;;
	mput) [ "$(find "$SDIR/up/$MDIR" -type f | wc -l)" = "$MCOUNT" ] ;;
	*) true ;;
	esac
}

LFTP_PLAIN="set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 30; set ftp:ssl-allow no; set xfer:clobber yes"
# Through the proxy, lftp sends commands without waiting for each reply
# where it can (its fastest setting; the default waits).
LFTP_WAN="$LFTP_PLAIN; set ftp:sync-mode off"
lftp_tls() { echo "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 30; set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:ca-file $CAFILE; set ssl:verify-certificate yes; set xfer:clobber yes"; }

# client_cmd CLIENT OP P ADDR TLS(0/1): prints nothing, sets CMD (array).
client_cmd() {
	local client=$1 op=$2 p=$3 addr=$4 tls=$5
	local host=${addr%:*}
	local url="ftp://$FTP_USER:$FTP_PASS@$addr"
	local tlsflags=() curltls=() lset=$LFTP_PLAIN clitls=() cliurl="ftp://$FTP_USER@$addr"
	[ "$addr" = "${PROXY_ADDR:-}" ] && lset=$LFTP_WAN
	CMD=()
	case $client in
	goftp) [ "$HAVE_CLI" = 1 ] || return 0 ;;
	goftp-P) [ "$HAVE_PAR" = 1 ] || return 0 ;;
	goftp-n) [ "$HAVE_SEG" = 1 ] || return 0 ;;
	esac
	if [ "$tls" = 1 ]; then
		clitls=(-ca "$CAFILE")
		cliurl="ftpes://$FTP_USER@$addr"
		tlsflags=(-tls -ca "$CAFILE")
		curltls=(--ssl-reqd --cacert "$CAFILE")
		lset=$(lftp_tls)
	fi
	local remote=big.bin local_dst=$DL/big.bin
	if [ "$op" = get0 ]; then op=get remote=empty.bin local_dst=$DL/empty.bin; fi
	local last=
	[ -n "${MCOUNT:-}" ] && last=$(printf "f%04d.bin" "$MCOUNT")
	case $client:$op in
	batch:seg) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -n "$SEGN" get seg.bin "$DL/seg.bin") ;;
	goftpbench:seg) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" get seg.bin "$DL/seg.bin") ;;
	goftp:seg) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q get -o "$DL/seg.bin" "$cliurl/seg.bin") ;;
	goftp-n:seg) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q get -n "$SEGN" -o "$DL/seg.bin" "$cliurl/seg.bin") ;;
	lftp-pget:seg) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; pget -n $SEGN seg.bin -o $DL/seg.bin") ;;
	curl:seg) CMD=(curl -sS -o "$DL/seg.bin" "$url/seg.bin") ;;
	goftp:mget) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q mirror -P "$p" "$cliurl/$MDIR" "$DL/m") ;;
	goftp:mput) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q mirror -R -P "$p" "$FX/$MDIR" "$cliurl/up/$MDIR") ;;
	goftp-P:mget) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q get -P "$p" -o "$DL/m/" "$cliurl/$MDIR/*") ;;
	goftp-P:mput) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" -q put -P "$p" "$FX/$MDIR"/* "$cliurl/up/$MDIR/") ;;
	goftpbench:get) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" get "$remote" "$local_dst") ;;
	goftpbench:put) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" put "$FX/big.bin" up/big.bin) ;;
	goftpbench:mget) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mget "$MDIR" "$DL/m") ;;
	batch:mget) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" -batch mget "$MDIR" "$DL/m") ;;
	batch:mput) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" -batch mput "$FX/$MDIR" "up/$MDIR") ;;
	goftpbench:mput) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mput "$FX/$MDIR" "up/$MDIR") ;;
	goftpbench:list) CMD=("$BIN/goftpbench" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" list many) ;;
	goftpbench:parse) CMD=("$BIN/goftpbench" parse "$WORK/lines.txt") ;;
	jlaffaye:get) CMD=("$BIN/jlaffaye" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" get "$remote" "$local_dst") ;;
	jlaffaye:put) CMD=("$BIN/jlaffaye" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" put "$FX/big.bin" up/big.bin) ;;
	jlaffaye:mget) CMD=("$BIN/jlaffaye" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mget "$MDIR" "$DL/m") ;;
	jlaffaye:mput) CMD=("$BIN/jlaffaye" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mput "$FX/$MDIR" "up/$MDIR") ;;
	jlaffaye:list) CMD=("$BIN/jlaffaye" -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" list many) ;;
	jlaffaye:parse) CMD=("$BIN/jlaffaye" parse "$WORK/lines.txt") ;;
	ftplib:get) CMD=(/usr/bin/python3 bench/peers/ftplib_bench.py -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" get "$remote" "$local_dst") ;;
	ftplib:put) CMD=(/usr/bin/python3 bench/peers/ftplib_bench.py -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" "${tlsflags[@]}" put "$FX/big.bin" up/big.bin) ;;
	ftplib:mget) CMD=(/usr/bin/python3 bench/peers/ftplib_bench.py -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mget "$MDIR" "$DL/m") ;;
	ftplib:mput) CMD=(/usr/bin/python3 bench/peers/ftplib_bench.py -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" -p "$p" mput "$FX/$MDIR" "up/$MDIR") ;;
	ftplib:list) CMD=(/usr/bin/python3 bench/peers/ftplib_bench.py -addr "$addr" -user "$FTP_USER" -pass "$FTP_PASS" list many) ;;
	curl:get) CMD=(curl -sS "${curltls[@]}" -o "$local_dst" "$url/$remote") ;;
	curl:put) CMD=(curl -sS "${curltls[@]}" -T "$FX/big.bin" "$url/up/big.bin") ;;
	curl:mget | curl:mput)
		local par=()
		[ "$p" -gt 1 ] && par=(-Z --parallel-max "$p")
		if [ "$op" = mget ]; then
			CMD=(curl -sS "${par[@]}" -o "$DL/m/f#1.bin" "$url/$MDIR/f[0001-${last:1:4}].bin")
		else
			CMD=(curl -sS "${par[@]}" -T "$FX/$MDIR/f[0001-${last:1:4}].bin" "$url/up/$MDIR/")
		fi
		;;
	curl:list) CMD=(curl -sS "$url/many/") ;;
	lftp:get) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; get $remote -o $local_dst") ;;
	lftp:put) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; put $FX/big.bin -o up/big.bin") ;;
	lftp:mget) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; mirror --parallel=$p $MDIR $DL/m") ;;
	lftp:mput) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; mirror -R --no-perms --parallel=$p $FX/$MDIR up/$MDIR") ;;
	lftp:list) CMD=(lftp -c "$lset; open -u $FTP_USER,$FTP_PASS ftp://$addr; ls many") ;;
	goftp:get) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" "${clitls[@]}" get -o "$local_dst" "$cliurl/$remote") ;;
	goftp:put) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" "${clitls[@]}" put "$FX/big.bin" "$cliurl/up/big.bin") ;;
	goftp:list) CMD=(env FTP_PASSWORD="$FTP_PASS" "$BIN/goftp" ls "$cliurl/many") ;;
	rawcopy:get) CMD=("$BIN/rawcopy" "${tlsflags[@]:0:1}" "$FX/$remote" "$local_dst") ;;
	rawcopy:put) CMD=("$BIN/rawcopy" "${tlsflags[@]:0:1}" "$FX/big.bin" "$SDIR/up/big.bin") ;;
	esac
}

# round runs every client of the list for one scenario, RUNS times,
# clients taking turns.
# round SERVER MODE OP SIZE P ADDR TLS FLOOR RUNS CLIENTS...
round() {
	local server=$1 mode=$2 op=$3 size=$4 p=$5 addr=$6 tls=$7 floor=$8 runs=$9
	shift 9
	local run client
	local -A failed=()
	for run in $(seq "$runs"); do
		for client in "$@"; do
			# A client that failed is not run again in this scenario (a
			# stall costs CMD_TIMEOUT each time).
			[ -n "${failed[$client]:-}" ] && continue
			client_cmd "$client" "$op" "$p" "$addr" "$tls"
			[ ${#CMD[@]} -gt 0 ] || continue
			measure "$server" "$mode" "$op" "$size" "$p" "$client" "$run" "$floor" -- "${CMD[@]}"
			if [ "$(tail -1 "$RESULTS" | cut -f8)" = fail ]; then failed[$client]=1; fi
		done
	done
}

BIGNAME="$((BIG >> 20)) MiB"
[ "$BIG" -ge $((1 << 30)) ] && BIGNAME="$((BIG >> 30)) GiB"
PEERS_BIG=(goftpbench goftp rawcopy curl lftp ftplib jlaffaye)
PEERS_SMALL=(goftpbench curl lftp ftplib jlaffaye)
PEERS_LIST=(goftpbench goftp curl lftp ftplib jlaffaye)

PEERS_WAN=(goftpbench batch goftp goftp-P lftp ftplib jlaffaye curl)
PEERS_SEG=(goftpbench batch goftp goftp-n lftp-pget curl)

first=1
for server in $SERVERS; do
	if ! has loopback && [ "$first" = 0 ]; then break; fi
	log "== $server: starting"
	coproc BS { exec "$BIN/benchserver" -kind "$server" -delay "$DELAY" -conn-rate "$CONN_RATE" -free-handshake="$([ "$FREE_HANDSHAKE" = 1 ] && echo true || echo false)" -fixtures "$FX" 2>"$WORK/benchserver-$server.err"; }
	BS_PID=$!
	while IFS= read -r -u "${BS[0]}" line; do
		[ "$line" = READY ] && break
		declare "$line"
	done
	[ "$line" = READY ] || { cat "$WORK/benchserver-$server.err" >&2; exit 1; }

	if has loopback; then
		for mode in plain tls; do
			if [ "$mode" = plain ]; then ADDR=$PLAIN_ADDR SDIR=$PLAIN_DIR T=0; else ADDR=$TLS_ADDR SDIR=$TLS_DIR T=1; fi
			# get0 (an empty file) measures what every command costs besides
			# the transfer (start, connect, login, quit), for the net ratios.
			runs=$RUNS
			[ "$first" = 1 ] || runs=$RUNS2
			for op in get0 get put; do
				size=$BIGNAME
				[ "$op" = get0 ] && size="0 B"
				log "$server $mode $op $size"
				round "$server" "$mode" "$op" "$size" 1 "$ADDR" "$T" "" "$runs" "${PEERS_BIG[@]}"
			done
		done

		ADDR=$PLAIN_ADDR SDIR=$PLAIN_DIR MDIR=small MCOUNT=$SMALL
		par=$PARALLEL
		[ "$first" = 1 ] || par="1 8" # P=4 on the first server only (time)
		for p in $par; do
			for op in mget mput; do
				log "$server plain $op ${SMALL}×1KiB p=$p"
				round "$server" plain "$op" "${SMALL} × 1 KiB" "$p" "$ADDR" 0 "" "$RUNS" "${PEERS_SMALL[@]}"
			done
		done
	fi

	if [ "$first" = 1 ] && has wan; then
		# Through the delaying proxy (plain only: it rewrites PASV/EPSV
		# replies): DELAY each way on every byte, a round trip per new
		# connection, CONN_RATE per connection.
		ms=${DELAY%ms}
		SDIR=$PLAIN_DIR
		for p in $RTT_P; do
			if [ "$p" = 1 ]; then MDIR=rtt1 MCOUNT=$RTT1; else MDIR=rtt8 MCOUNT=$RTT8; fi
			floor=$(awk -v n="$MCOUNT" -v d="$ms" -v p="$p" 'BEGIN{printf "%.4f", n*2*d/1000/p}')
			for op in mget mput; do
				log "$server rtt $op ${MCOUNT}×1KiB p=$p (floor ${floor}s)"
				echo stats >&"${BS[1]}"
				IFS= read -r -u "${BS[0]}" _
				round "$server" rtt "$op" "${MCOUNT} × 1 KiB" "$p" "$PROXY_ADDR" 0 "$floor" "$RUNS_WAN" "${PEERS_WAN[@]}"
			done
		done
		# Segmented download: the floor is SEG over SEGN connections at
		# CONN_RATE each.
		if [ "$SEG" -gt 0 ]; then
			floor=$(awk -v s="$SEG" -v n="$SEGN" -v r="$CONN_RATE" 'BEGIN{printf "%.4f", s/(n*r)}')
			log "$server rtt seg $((SEG >> 20)) MiB n=$SEGN (floor ${floor}s)"
			echo stats >&"${BS[1]}"
			IFS= read -r -u "${BS[0]}" _
			round "$server" rtt seg "$((SEG >> 20)) MiB" "$SEGN" "$PROXY_ADDR" 0 "$floor" "$RUNS_WAN" "${PEERS_SEG[@]}"
		fi
	fi
	if [ "$first" = 1 ] && has loopback; then
		log "$server plain list $MANY entries"
		round "$server" plain list "$MANY entries" 1 "$PLAIN_ADDR" 0 "" "$RUNS" "${PEERS_LIST[@]}"
		log "parse $NLINES LIST lines"
		round - - parse "$NLINES lines" 1 - 0 "" "$RUNS" goftpbench jlaffaye
	fi
	first=0

	echo quit >&"${BS[1]}"
	wait "$BS_PID" || true
	BS_PID=
done

{
	echo "run: $RUN_START–$(date -u +%H:%M) UTC, $(((EPOCHSECONDS - RUN_T0) / 60)) min"
	echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$WORK/machine.txt"

if [ "$NODOC" = 1 ]; then
	"$BIN/benchreport" -results "$RESULTS" -commands "$WORK/commands.tsv"
	exit 0
fi
mkdir -p bench/results
cp "$RESULTS" bench/results/latest.tsv
cp "$WORK/machine.txt" bench/results/machine.txt
cp "$WORK/commands.tsv" bench/results/commands.tsv
if [ -n "${PREVIOUS:-}" ]; then
	[ "$PREVIOUS" -ef bench/results/previous.tsv ] || cp "$PREVIOUS" bench/results/previous.tsv
	args_prev=(-previous bench/results/previous.tsv)
else
	args_prev=()
fi
args=(-results bench/results/latest.tsv -machine bench/results/machine.txt -commands bench/results/commands.tsv -svg bench/results/ratios.svg)
args+=(-doc docs/BENCHMARKS.md -notes bench/results/notes.md "${args_prev[@]}")
# The Go benchmarks' table, when bench/results/gobench.txt holds a run.
[ -s bench/results/gobench.txt ] && args+=(-gobench bench/results/gobench.txt)
"$BIN/benchreport" "${args[@]}"
