#!/usr/bin/env bash
# make bench: installs what duban is compared with, makes province-scale load
# with duban-loadgen (deterministic from a seed), measures every row in this
# one run, on the same files, and prints one table. Each figure is the median
# of BENCH_RUNS runs; whole processes are measured with /usr/bin/time, the
# in-process rows with Go's benchmark harness. Generated files are kept in
# BENCH_DIR and reused by the next run; delete it to start from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_DIR:-var/bench}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-1}
PORT=${BENCH_PORT:-18080}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log() { echo "bench: $*" >&2; }

# --- what it compares with -------------------------------------------------
missing=()
for pkg in python3-pandas python3-openpyxl wrk time unzip; do
	dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	log "installing ${missing[*]}"
	$SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
		{ $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
fi
if [ ! -d bench/node_modules/xlsx ]; then
	log "installing SheetJS (xlsx, pinned by bench/package-lock.json)"
	(cd bench && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
PY=/usr/bin/python3 # Debian's, with Debian's pandas

# --- what is measured ------------------------------------------------------
log "building"
go build -o "$OUT/duban" ./cmd/duban
go build -o "$OUT/duban-loadgen" ./cmd/duban-loadgen
go build -o "$OUT/ceiling" ./bench/ceiling
go test -c -o "$OUT/loadgen.test" ./cmd/duban-loadgen
DUBAN=$OUT/duban
LOADGEN=$OUT/duban-loadgen

# make FILE CMD...: run CMD (which writes FILE) unless FILE is there already.
make_once() {
	local file=$1
	shift
	if [ ! -e "$file" ]; then
		"$@" >&2
	fi
}

log "generating load (seed $SEED)"
# The province: 21 cities, 120 counties, 1,600 towns, 20,000 villages, 305 indicators.
make_once "$OUT/province/plan.yaml" "$LOADGEN" plan -out "$OUT/province" -seed "$SEED"
# Growth plans: a city's 100 regions times 1, 10, 100 and 1000 (the last is
# the province with its natural villages: 100,000 regions, the 100,000-row sheet).
declare -A SHAPE=(
	[1x]="-cities 1 -counties 3 -towns 16 -villages 80"
	[10x]="-cities 2 -counties 12 -towns 160 -villages 826"
	[100x]="-cities 5 -counties 40 -towns 800 -villages 9155"
	[1000x]="-cities 21 -counties 120 -towns 1600 -villages 98259"
)
for g in 1x 10x 100x 1000x; do
	# shellcheck disable=SC2086
	make_once "$OUT/g$g/plan.yaml" "$LOADGEN" plan -out "$OUT/g$g" -seed "$SEED" ${SHAPE[$g]}
	make_once "$OUT/g$g.xlsx" "$LOADGEN" xlsx -plan "$OUT/g$g" -out "$OUT/g$g.xlsx" -seed "$SEED"
done
XLSX=$OUT/g1000x.xlsx
make_once "$OUT/obs-1m.db" "$LOADGEN" store -plan "$OUT/province" -db "$OUT/obs-1m.db" -observations 1000000 -seed "$SEED"
make_once "$OUT/obs-5m.db" "$LOADGEN" store -plan "$OUT/province" -db "$OUT/obs-5m.db" -observations 5000000 -seed "$SEED"
# The city: the shipped plan and its nine months of fixtures, as make demo loads them.
if [ ! -e "$OUT/city/duban.db" ]; then
	for m in 01 02 03 04 05 06 07 08 09; do
		next=$(printf '%02d' $((10#$m + 1)))
		"$DUBAN" ingest --plan rules/zhaoqing-2022 --db "$OUT/city/duban.db" --quiet \
			--received "2022-$next-03 10:00" fixtures/submissions/2022-$m/*.xlsx >&2
	done
fi

# --- measuring -------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# timed NAME CMD...: run CMD RUNS times under /usr/bin/time; sets SEC and MB
# to the median wall time and the median peak resident memory.
timed() {
	local name=$1
	shift
	: >"$OUT/$name.times"
	for _ in $(seq "$RUNS"); do
		[ -n "${BEFORE:-}" ] && eval "$BEFORE"
		/usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" ||
			{ log "$name failed:"; cat "$OUT/$name.err" >&2; exit 1; }
		cat "$OUT/$name.time" >>"$OUT/$name.times"
	done
	SEC=$(awk '{print $1}' "$OUT/$name.times" | median | awk '{printf "%.2f", $1}')
	MB=$(awk '{print $2/1024}' "$OUT/$name.times" | median | awk '{printf "%.0f", $1}')
}

# gobench NAME BENCH ENV...: run one Go benchmark RUNS times, one iteration
# each; sets SEC to the median seconds per op and METRIC to the median of
# the unit named in $UNIT (if set).
gobench() {
	local name=$1 bench=$2
	shift 2
	env "$@" "$OUT/loadgen.test" -test.run '^$' -test.bench "^$bench\$" -test.benchtime 1x \
		-test.count "$RUNS" >"$OUT/$name.bench" 2>&1 || { cat "$OUT/$name.bench" >&2; exit 1; }
	SEC=$(grep "^Benchmark" "$OUT/$name.bench" | awk '{print $3/1e9}' | median | awk '{printf "%.3f", $1}')
	METRIC=""
	if [ -n "${UNIT:-}" ]; then
		METRIC=$(grep "^Benchmark" "$OUT/$name.bench" | awk -v u="$UNIT" '{for (i=4;i<NF;i++) if ($(i+1)==u) print $i}' | median | awk '{printf "%.0f", $1}')
	fi
}

ROWS=()
row() { ROWS+=("$(printf '%s\t' "$@")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f×", a/b}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n/s}'; }

LINES=$(("$(unzip -p "$XLSX" xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l)" - 3))
SHEETMB=$(unzip -l "$XLSX" | awk '/sheet1.xml/ {printf "%.0f", $1/1048576}')
log "ingest: $LINES rows × 10 columns, $SHEETMB MB of sheet XML, $RUNS runs each"

timed floor sh -c "unzip -p '$XLSX' xl/worksheets/sheet1.xml | wc -c"
FLOOR=$SEC
row ingest "unzip -p sheet XML | wc -c (floor)" "$SEC s" "$(rate "$LINES" "$SEC") rows/s" "$MB MB" "1.0× floor"

BEFORE="rm -rf '$OUT/ingest'"
timed ingest "$DUBAN" ingest --plan "$OUT/g1000x" --db "$OUT/ingest/duban.db" --received "2022-07-03 10:00" --quiet "$XLSX"
BEFORE=""
WHOLE=$SEC
row ingest "duban ingest: whole process (plan load + parse, validate, commit)" "$SEC s" "$(rate "$LINES" "$SEC") rows/s" "$MB MB" "$(ratio "$SEC" "$FLOOR") floor"

timed planload "$DUBAN" rules check "$OUT/g1000x"
PLANLOAD=$SEC
row ingest "  of which: loading the 100,000-region plan (duban rules check)" "$SEC s" "" "$MB MB" ""

UNIT=peak-heap-MB gobench ingest-inproc BenchmarkIngest DUBAN_BENCH_PLAN="$OUT/g1000x" DUBAN_BENCH_FILE="$XLSX"
INPROC=$SEC
row ingest "duban ingest.Ingest: parse, validate, commit (plan loaded)" "$SEC s" "$(rate "$LINES" "$SEC") rows/s" "heap +$METRIC MB" "$(ratio "$SEC" "$FLOOR") floor"

timed pandas "$PY" bench/pandas_read.py "$XLSX"
PANDAS=$SEC
row ingest "pandas.read_excel (parse only) $("$PY" -c 'import pandas; print(pandas.__version__)')" "$SEC s" "$(rate "$LINES" "$SEC") rows/s" "$MB MB" "$(ratio "$SEC" "$INPROC") duban's Ingest, $(ratio "$SEC" "$WHOLE") whole"

timed sheetjs node bench/sheetjs_read.js "$XLSX"
SHEETJS=$SEC
row ingest "SheetJS xlsx.readFile (parse only) $(node -p 'require("./bench/node_modules/xlsx").version')" "$SEC s" "$(rate "$LINES" "$SEC") rows/s" "$MB MB" "$(ratio "$SEC" "$INPROC") duban's Ingest, $(ratio "$SEC" "$WHOLE") whole"

log "evaluate"
ASOF=2025-12-31
for n in 1m 5m; do
	timed "eval-$n" "$DUBAN" eval --plan "$OUT/province" --db "$OUT/obs-$n.db" --as-of "$ASOF" --color never
	row evaluate "duban eval, $n observations, cold: whole process (plan, query, evaluate)" "$SEC s" "" "$MB MB" ""
	UNIT=evaluations gobench "evalwarm-$n" BenchmarkEvaluate DUBAN_BENCH_PLAN="$OUT/province" DUBAN_BENCH_DB="$OUT/obs-$n.db" DUBAN_BENCH_AS_OF="$ASOF"
	row evaluate "evaluate.Evaluate, $n observations, warm (in memory)" "$SEC s" "$METRIC evaluations" "" ""
done

log "serve"
SERVE_PID=""
CEIL_PID=""
cleanup() {
	[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
	[ -n "$CEIL_PID" ] && kill "$CEIL_PID" 2>/dev/null || true
}
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; log "$1 did not come up"; exit 1; }
# wrkrun NAME URL [HEADER]: sets RPS and P99 (ms), each the median of RUNS 5-second runs of
# 32 connections on 2 threads.
wrkrun() {
	local name=$1 url=$2
	shift 2
	: >"$OUT/$name.wrk"
	for _ in $(seq "$RUNS"); do
		wrk -t2 -c32 -d5s --latency "$@" "$url" >>"$OUT/$name.wrk"
	done
	RPS=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.wrk" | median)
	P99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$OUT/$name.wrk" | median)
}
"$OUT/ceiling" -addr "127.0.0.1:$((PORT + 1))" &
CEIL_PID=$!
wait_up "http://127.0.0.1:$((PORT + 1))/"
wrkrun ceiling "http://127.0.0.1:$((PORT + 1))/"
CEIL=$RPS
row serve "trivial fiber handler (ceiling)" "$RPS req/s" "p99 $P99 ms" "" ""
kill "$CEIL_PID"
CEIL_PID=""

TOKEN=$("$DUBAN" token create --db "$OUT/city/duban.db" --plan rules/zhaoqing-2022 --role viewer --name bench 2>/dev/null | head -1)
"$DUBAN" serve --addr "127.0.0.1:$PORT" --db "$OUT/city/duban.db" --data "$OUT/city" --plan rules/zhaoqing-2022 \
	--as-of 2022-10-15 --schedule=false --log-level error &
SERVE_PID=$!
wait_up "http://127.0.0.1:$PORT/healthz"
for path in /api/v1/board /api/v1/indicators/14.4-kiosk-services; do
	wrkrun "serve$(echo "$path" | tr / -)" "http://127.0.0.1:$PORT$path" -H "Authorization: Bearer $TOKEN"
	row serve "GET $path, the city (Zhaoqing, 9 months of fixtures)" "$RPS req/s" "p99 $P99 ms" "" "$(awk -v a="$RPS" -v b="$CEIL" 'BEGIN {printf "%.2f%% of ceiling", 100*a/b}')"
done
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=""

TOKEN=$("$DUBAN" token create --db "$OUT/obs-1m.db" --plan "$OUT/province" --role viewer --name bench 2>/dev/null | head -1)
# The province: the first /board after a start reads and evaluates a million
# observations (median of RUNS starts); after it, wrk on what the API keeps.
: >"$OUT/board-1m.times"
for i in $(seq "$RUNS"); do
	"$DUBAN" serve --addr "127.0.0.1:$PORT" --db "$OUT/obs-1m.db" --data "$OUT/serve-1m" --plan "$OUT/province" \
		--as-of "$ASOF" --schedule=false --log-level error &
	SERVE_PID=$!
	wait_up "http://127.0.0.1:$PORT/healthz"
	curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/board" >>"$OUT/board-1m.times"
	if [ "$i" = "$RUNS" ]; then
		wrkrun board-1m "http://127.0.0.1:$PORT/api/v1/board" -H "Authorization: Bearer $TOKEN"
	fi
	kill "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=""
done
SEC=$(median <"$OUT/board-1m.times" | awk '{printf "%.2f", $1}')
row serve "GET /api/v1/board, the province, 1m observations: first request after start" "$SEC s" "" "" ""
row serve "GET /api/v1/board, the province, 1m observations: after it" "$RPS req/s" "p99 $P99 ms" "" "$(awk -v a="$RPS" -v b="$CEIL" 'BEGIN {printf "%.2f%% of ceiling", 100*a/b}')"

log "growth"
for g in 1x 10x 100x 1000x; do
	n=$(("$(unzip -p "$OUT/g$g.xlsx" xl/worksheets/sheet1.xml | grep -o '<row ' | wc -l)" - 3))
	UNIT=peak-heap-MB gobench "grow-ingest-$g" BenchmarkIngest DUBAN_BENCH_PLAN="$OUT/g$g" DUBAN_BENCH_FILE="$OUT/g$g.xlsx"
	row growth "ingest.Ingest, $g a city's sheet ($n rows)" "$SEC s" "$(rate "$n" "$SEC") rows/s" "heap +$METRIC MB" ""
done
"$OUT/loadgen.test" -test.run '^$' -test.bench '^BenchmarkEvaluateGrowth$' -test.benchtime 1x -test.count "$RUNS" >"$OUT/grow-eval.bench" 2>&1 ||
	{ cat "$OUT/grow-eval.bench" >&2; exit 1; }
for g in 1x 10x 100x 1000x; do
	lines=$(grep "^BenchmarkEvaluateGrowth/$g-" "$OUT/grow-eval.bench")
	SEC=$(echo "$lines" | awk '{print $3/1e9}' | median | awk '{printf "%.3f", $1}')
	obs=$(echo "$lines" | awk '{for (i=4;i<NF;i++) if ($(i+1)=="observations") print $i}' | median)
	evs=$(echo "$lines" | awk '{for (i=4;i<NF;i++) if ($(i+1)=="evaluations") print $i}' | median)
	row growth "evaluate.Evaluate, $g a city's plan ($obs observations, 3 months)" "$SEC s" "$evs evaluations" "" "$(rate "$obs" "$SEC") obs/s"
done

# --- the table ---------------------------------------------------------------
{
	echo "duban bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs, seed $SEED"
	echo "machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(go version | cut -d' ' -f3)"
	echo
	printf '%s\n' "${ROWS[@]}" | awk -F'\t' 'BEGIN {printf "%-9s %-86s %-14s %-20s %-16s %s\n", "part", "what", "median", "rate", "memory", "ratio"}
		{printf "%-9s %-86s %-14s %-20s %-16s %s\n", $1, $2, $3, $4, $5, $6}'
	echo
	awk -v w="$WHOLE" -v i="$INPROC" -v p="$PANDAS" -v s="$SHEETJS" -v f="$FLOOR" -v l="$PLANLOAD" 'BEGIN {
		printf "ingest goals: Ingest %.1f× faster than pandas (goal ≥ 5×), %.1f× faster than SheetJS (goal > 1×), %.1f× the floor (goal ≤ 3×); whole process %.1f× the floor, %.2f s of it loading the plan\n", p/i, s/i, i/f, w/f, l
	}'
} | tee "$OUT/table.txt"
