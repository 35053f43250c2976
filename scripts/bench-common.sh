# Shared by the scripts/bench-* benchmarks: build, data, a quiet-disk timer with peak RSS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ROWS="${ROWS:-10000000}"
work="${BENCH_DIR:-/tmp/churn-bench}"
mkdir -p "$work"
# CHURN_BIN=PATH measures another build (e.g. main's, for a before/after) instead of building this one.
churn="${CHURN_BIN:-$root/.build/release/churn}"

bench_setup() {
  scripts/install-deps --bench
  if [ -n "${CHURN_BIN:-}" ]; then
    echo "== measuring $churn (CHURN_BIN; not building)"
    [ -x "$churn" ] || { echo "CHURN_BIN=$churn is not an executable"; exit 1; }
  else
    echo "== building release"
    swift build -c release --product churn 2>&1 | grep -E "error:|Compiling churn|Build complete" || true
    [ -x "$churn" ] || { echo "release build failed"; exit 1; }
  fi
  if [ "${SCHEMA:-seed}" = "wide" ]; then
    # 17 columns churn was not built around (5 categorical, 11 numeric): scripts/py/gen_wide.py.
    [ -s "$work/wide-train.csv" ] || python3 scripts/py/gen_wide.py 20000 7 "$work/wide-train.csv" --label
    "$churn" train "$work/wide-train.csv" --label churned --out "$work/model.json" > /dev/null
    if [ ! -s "$work/wide-$ROWS.csv" ]; then
      echo "== generating $ROWS customers of the wide schema"
      python3 scripts/py/gen_wide.py "$ROWS" 42 "$work/wide-$ROWS.csv"
    fi
    input="$work/wide-$ROWS.csv"
  else
    "$churn" train scripts/data/train.csv --label churn_label --out "$work/model.json" > /dev/null
    if [ ! -s "$work/customers-$ROWS.csv" ]; then
      echo "== generating $ROWS customers"
      "$churn" generate --rows "$ROWS" --seed 42 --no-label --out "$work/customers-$ROWS.csv"
    fi
    input="$work/customers-$ROWS.csv"
  fi
  echo "input: $input ($(du -hL "$input" | cut -f1), $(head -1 "$input" | tr ',' '\n' | wc -l) columns), $(nproc) cores"
}

# timed NAME COMMAND…: runs RUNS times (default 2) on a quiet disk (no writeback pending) and keeps
# the fastest, with its CPU time (user + sys of the process and its children, e.g. --local workers),
# its peak RSS (MB; the largest single process) and the load average before it
# started. Every tool gets the same treatment. On a shared machine compare CPU times: wall times
# follow the other processes' load.
declare -A SECONDS_OF RSS_OF CPU_OF
timed() {
  local name=$1; shift
  local best="" best_rss="" best_cpu="" best_load="" t s r c l
  for _ in $(seq 1 "${RUNS:-2}"); do
    rm -f "$work"/out-*.csv
    sync; sleep 2
    l=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e %M %U %S" "$@" > "$work/last.stdout" 2> "$work/last.stderr" || { echo "  $name FAILED:"; tail -5 "$work/last.stderr"; return 1; }
    t=$(tail -1 "$work/last.stderr")
    s=$(echo "$t" | awk '{print $1}'); r=$(echo "$t" | awk '{printf "%.0f", $2/1024}'); c=$(echo "$t" | awk '{printf "%.2f", $3 + $4}')
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" -eq 1 ]; then best=$s; best_rss=$r; best_cpu=$c; best_load=$l; fi
  done
  SECONDS_OF[$name]=$best
  RSS_OF[$name]=$best_rss
  CPU_OF[$name]=$best_cpu
  printf "  %-40s %7.2f s   CPU %7.2f s   peak RSS %6s MB   load %s\n" "$name" "$best" "$best_cpu" "$best_rss" "$best_load"
}

ratio() { echo "scale=2; $1 / $2" | bc; }

# The peers' numpy must not run the slowed OpenBLAS kernels set up for old CPUs (env skill notes).
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/py/peer_score.py "$@"; }

# build_c_loop: the hand-written C parse-and-score loop (scripts/c/parse_score.c, gcc -O2) and the
# model as it reads it (one line per CSV column of $input, in file order): $work/parse_score and
# $work/model.flat.
build_c_loop() {
  echo "== building the C loop (gcc -O2)"
  gcc -O2 -o "$work/parse_score" scripts/c/parse_score.c -lm
  python3 - "$work/model.json" "$input" > "$work/model.flat" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
header = open(sys.argv[2]).readline().rstrip("\r\n").split(",")
num = {f["column"]: f for f in m["numeric"]}
cat = {f["column"]: f for f in m["categorical"]}
print("intercept", repr(m["intercept"]))
for col in header:
    if col in num:
        f = num[col]
        print("num", repr(f["mean"]), repr(f["std"]), repr(f["median"]), repr(f["coefficient"]))
    elif col in cat:
        f = cat[col]
        print("cat", len(f["categories"]), " ".join(f'{c["value"]} {c["coefficient"]!r}' for c in f["categories"]))
    else:
        print("skip")
PY
}
