#!/usr/bin/env bash
# bench/hostile/run.sh: curl, lftp and goftp against each misbehaving server
# of bench/hostile (one scenario per server process, on loopback).
#
#   bash bench/hostile/run.sh                 # every scenario
#   bash bench/hostile/run.sh truncated ...   # some
#
# Every client command runs under `timeout 60` (CAP) and /usr/bin/time, with
# its timeout option at 3 s where it has one:
#   curl  -sS --connect-timeout 3 --speed-time 3 --speed-limit 1
#   lftp  set net:timeout 3; set net:max-retries 2; set net:reconnect-interval-base 1
#         (and ftp:ssl-allow no: the server offers no TLS)
#   goftp --timeout 3s (other flags at their defaults: --retries 3)
# Results: $WORK/results.tsv (one row per command: exit code, wall time,
# peak RSS, connections and PASS commands the server saw, files left in the
# command's directory with their sha256 against the served file, the last
# stderr line with control bytes shown as cat -v does) and, per command,
# $WORK/<scenario>/<label>.{out,err,log} (stdout, stderr, server log lines).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
: "${WORK:=/tmp/hostile-peers}" "${CAP:=60}" "${PORT:=22100}"
mkdir -p "$WORK"

command -v lftp >/dev/null || apt-get install -y lftp >&2
go build -o "$WORK/hostile" ./bench/hostile || exit 1
# goftp is built from the last commit (git archive HEAD), not from the work
# tree, which other people may be editing: the results name that commit.
# GOFTP_TREE=1 builds the work tree instead.
REV=$(git rev-parse HEAD)
if [ "${GOFTP_TREE:-0}" = 1 ]; then
	REV="$REV + $(git status --porcelain -- '*.go' ':!bench/hostile' | wc -l) uncommitted .go files"
	go build -o /tmp/goftp-peers ./cmd/goftp || exit 1
else
	rm -rf "$WORK/src" && mkdir -p "$WORK/src" && git archive HEAD | tar -x -C "$WORK/src"
	(cd "$WORK/src" && go build -o /tmp/goftp-peers ./cmd/goftp) || exit 1
fi
"$WORK/hostile" -write-expected "$WORK/expected"
EXP=$(sha256sum <"$WORK/expected" | cut -c1-64)

RES=$WORK/results.tsv
[ -e "$RES" ] || printf 'scenario\tlabel\trc\twall_s\trss_kb\tconns\tpass\tfiles\tstderr_last\tcommand\n' >"$RES"

CURL=(curl -sS --connect-timeout 3 --speed-time 3 --speed-limit 1)
LSET='set net:timeout 3; set net:max-retries 2; set net:reconnect-interval-base 1; set ftp:ssl-allow no'
GOFTP=(/tmp/goftp-peers --timeout 3s)

SCEN= U= SPID= SLOG=
serve() { # serve SCENARIO: start its server on a new port
	SCEN=$1 PORT=$((PORT + 1)) U=ftp://127.0.0.1:$PORT
	SLOG=$WORK/$SCEN/server.log
	rm -rf "${WORK:?}/$SCEN" && mkdir -p "$WORK/$SCEN"
	"$WORK/hostile" -scenario "$SCEN" -addr "127.0.0.1:$PORT" 2>"$SLOG" &
	SPID=$!
	for _ in $(seq 50); do grep -q serving "$SLOG" && return; sleep 0.1; done
	echo "server for $SCEN did not start" >&2
	exit 1
}
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }

files() { # files DIR: "name:size:ok|bad ..." for every regular file below DIR
	local out= f sz h
	while IFS= read -r f; do
		sz=$(stat -c %s "$f")
		h=$(sha256sum <"$f" | cut -c1-64)
		if [ "$h" = "$EXP" ]; then h=ok; elif [ "$sz" -le 100000 ] && cmp -s "$f" <(head -c "$sz" "$WORK/expected"); then h=prefix; else h=bad; fi
		out+="${f#"$1"/}:$sz:$h "
	done < <(find "$1" -type f | sort | head -20)
	n=$(find "$1" -type f | wc -l)
	[ "$n" -gt 20 ] && out+="(+$((n - 20)) more) "
	echo "${out:-none}"
}

# run LABEL [SETUP] -- COMMAND...: run COMMAND in $WORK/$SCEN/LABEL/ (after the
# shell code SETUP, run there) under timeout $CAP and /usr/bin/time.
# OUT=/dev/null discards standard output.
run() {
	local label=$1 setup= d start end rc rss n0
	shift
	[ "$1" != -- ] && { setup=$1; shift; }
	shift
	d=$WORK/$SCEN/$label
	mkdir -p "$d"
	(cd "$d" && eval "$setup")
	n0=$(wc -l <"$SLOG")
	start=$(date +%s.%N)
	(cd "$d" && /usr/bin/time -f 'RSS %M' -o "$WORK/$SCEN/$label.time" timeout -k 5 "$CAP" "$@" \
		>"${OUT:-$WORK/$SCEN/$label.out}" 2>"$WORK/$SCEN/$label.err")
	rc=$?
	end=$(date +%s.%N)
	rc=$(sed -n 's/^Command exited with non-zero status //p' "$WORK/$SCEN/$label.time" | tail -1)
	rc=${rc:-0}
	grep -q 'Command terminated by signal' "$WORK/$SCEN/$label.time" && rc="sig:$(sed -n 's/.*signal //p' "$WORK/$SCEN/$label.time")"
	rss=$(sed -n 's/^RSS //p' "$WORK/$SCEN/$label.time")
	sleep 0.3 # let the server log the end of the session
	tail -n +"$((n0 + 1))" "$SLOG" >"$WORK/$SCEN/$label.log"
	local conns pass
	conns=$(grep -c ' open from' "$WORK/$SCEN/$label.log")
	pass=$(grep -c ' > PASS' "$WORK/$SCEN/$label.log")
	local errl
	errl=$(tr '\r' '\n' <"$WORK/$SCEN/$label.err" | grep -v '^\s*$' | tail -1 | cat -v | cut -c1-160)
	printf '%s\t%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SCEN" "$label" "$rc" "$(echo "$end - $start" | bc)" \
		"$rss" "$conns" "$pass" "$(files "$d")" "$errl" "$*" | tee -a "$RES"
}

partial() { head -c 40000 "$WORK/expected" >"$1"; }
site() { mkdir -p site && for i in 1 2 3; do echo "keep $i" >site/file$i; done; }

scenario() {
	case $1 in
	normal)
		run curl -- "${CURL[@]}" -o f "$U/f"
		run lftp -- lftp -e "$LSET; get f; quit" "$U"
		run goftp -- "${GOFTP[@]}" get -o f "$U/f"
		# the partial that goftp get -c left in rest-ignored (full length, corrupt from byte 40001), resumed here
		run goftp-get-c-after-rest-ignored 'cp ../../rest-ignored/goftp-get-c/.f.goftp-part . 2>/dev/null' -- \
			"${GOFTP[@]}" get -c -o f "$U/f"
		;;
	missing-dir)
		run curl-ls -- "${CURL[@]}" "$U/typo-dir/"
		run curl-ls-nocwd -- "${CURL[@]}" --ftp-method nocwd "$U/typo-dir/"
		run lftp-cls -- lftp -e "$LSET; cls typo-dir; quit" "$U"
		run lftp-mirror-delete site -- lftp -e "$LSET; mirror --delete typo-dir ./site; quit" "$U"
		run goftp-ls -- "${GOFTP[@]}" ls "$U/typo-dir/"
		run goftp-mirror-delete site -- "${GOFTP[@]}" mirror --delete "$U/typo-dir/" ./site
		;;
	rest-ignored)
		run curl-C 'partial f' -- "${CURL[@]}" -C - -o f "$U/f"
		run lftp-get-c 'partial f' -- lftp -e "$LSET; get -c f; quit" "$U"
		run goftp-get-c 'partial .f.goftp-part' -- "${GOFTP[@]}" get -c -o f "$U/f"
		;;
	truncated | too-long | greeting-120-silence | greeting-421 | wrong-password | silence-after-150)
		run curl -- "${CURL[@]}" -o f "$U/f"
		run lftp -- lftp -e "$LSET; get f; quit" "$U"
		run goftp -- "${GOFTP[@]}" get -o f "$U/f"
		if [ "$1" = silence-after-150 ] || [ "$1" = truncated ]; then
			run goftp-retries0 -- "${GOFTP[@]}" --retries 0 get -o f "$U/f"
		fi
		;;
	prelim-flood)
		run curl -- "${CURL[@]}" -o f "$U/f"
		run curl-Q-NOOP -- "${CURL[@]}" -Q NOOP -o f "$U/f"
		run lftp-quote -- lftp -e "$LSET; quote NOOP; quit" "$U"
		run lftp -- lftp -e "$LSET; get f; quit" "$U"
		run goftp -- "${GOFTP[@]}" get -o f "$U/f"
		;;
	abor-refused)
		run curl-r -- "${CURL[@]}" -r 0-10 -o f "$U/f"
		run lftp-head -- lftp -e "$LSET; cat f | head -c 10 >/dev/null; quit" "$U"
		run lftp-SIGINT -- timeout --preserve-status -s INT 2 lftp -e "$LSET; get f; quit" "$U"
		run goftp-head -- bash -c '"$@" | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}' sh "${GOFTP[@]}" cat "$U/f"
		run goftp-SIGINT -- timeout --preserve-status -s INT 2 "${GOFTP[@]}" get -o f "$U/f"
		;;
	escape-in-reply)
		run curl -- "${CURL[@]}" -o f "$U/f"
		run lftp -- lftp -e "$LSET; get f; quit" "$U"
		run goftp -- "${GOFTP[@]}" get -o f "$U/f"
		for t in curl lftp goftp; do
			printf '%s stderr: raw ESC bytes %s, raw BEL bytes %s\n' "$t" \
				"$(tr -cd '\033' <"$WORK/$SCEN/$t.err" | wc -c)" "$(tr -cd '\007' <"$WORK/$SCEN/$t.err" | wc -c)"
			od -c "$WORK/$SCEN/$t.err" | head -8
		done >"$WORK/$SCEN/escape-report.txt"
		cat "$WORK/$SCEN/escape-report.txt"
		;;
	nesting-listing | nesting-list-only)
		run lftp-mirror -- lftp -e "$LSET; mirror top ./m; quit" "$U"
		run goftp-mirror -- "${GOFTP[@]}" mirror "$U/top/" ./m
		for t in lftp-mirror goftp-mirror; do
			echo "$t: $(find "$WORK/$SCEN/$t" -type d | wc -l) directories (incl. its cwd), deepest $(find "$WORK/$SCEN/$t" -type d | awk -F/ '{print NF}' | sort -n | tail -1) path components"
		done | tee "$WORK/$SCEN/dirs.txt"
		;;
	big-listing)
		OUT=/dev/null run curl -- "${CURL[@]}" "$U/big/"
		OUT=/dev/null run lftp-cls -- lftp -e "$LSET; cls -l big > /dev/null; quit" "$U"
		OUT=/dev/null run lftp-ls -- lftp -e "$LSET; ls big > /dev/null; quit" "$U"
		OUT=/dev/null run goftp-ls -- "${GOFTP[@]}" ls "$U/big/"
		OUT=/dev/null run goftp-ls-l -- "${GOFTP[@]}" ls -l "$U/big/"
		;;
	*)
		echo "unknown scenario $1" >&2
		return 1
		;;
	esac
}

ALL="missing-dir rest-ignored normal truncated too-long greeting-120-silence prelim-flood abor-refused
greeting-421 wrong-password escape-in-reply silence-after-150 nesting-listing nesting-list-only big-listing"
{
	echo "# $(date -u +%FT%TZ) goftp built from $REV"
	echo "# $(curl --version | head -1)"
	echo "# $(lftp --version | head -1)"
} >>"$RES"
for s in ${*:-$ALL}; do
	serve "$s"
	scenario "$s"
	stop
done
