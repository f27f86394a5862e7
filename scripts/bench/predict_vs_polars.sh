#!/usr/bin/env bash
# End-to-end churn-predict benchmark (issue 7): score every customer of a >= 10M-event simulated
# log with churn-predict, alternated in one run with polars merely reading, sorting and grouping
# the same file (scripts/bench/polars_group.py: the same polars operations as data_layer.sh).
# Each side is a separate process timed with /usr/bin/time -v (wall clock, user+sys, peak RSS);
# the table shows medians over the rounds.
#
# usage: scripts/bench/predict_vs_polars.sh [ROUNDS]        (default 3)
#   BENCH_DIR  work directory for the log and outputs   (default /tmp/churn-predictbench)
#   CUSTOMERS  customers to simulate (raised if the log has < 10M events) (default 34000)
#   GZ=0       skip the second row pair on the same log gzip-compressed  (default 1)
#   SHUFFLED=1 add a row pair on the same rows shuffled (the simulator writes them sorted by
#              customer and time, which makes polars' sort cheap)      (default 0)
#   MODEL      model file                                (default models/default.safetensors)
# Builds churn-predict and churn-simulate (release) if they are missing; installs polars into
# scripts/.venv if no python with polars is found. Needs /usr/bin/time (Debian package 'time').
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-3}"
work="${BENCH_DIR:-/tmp/churn-predictbench}"
customers="${CUSTOMERS:-34000}"
model="${MODEL:-$repo/models/default.safetensors}"
min_events=10000000
mkdir -p "$work"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# --- binaries: build if missing, then copy so a concurrent rebuild cannot swap them mid-run.
rel="$repo/.build/release"
if [ ! -x "$rel/churn-predict" ] || [ ! -x "$rel/churn-simulate" ]; then
    (cd "$repo" && swift build -c release --product churn-predict --product churn-simulate >&2)
fi
mkdir -p "$work/bin"
cp -p "$rel/churn-predict" "$rel/churn-simulate" "$work/bin/"
predict="$work/bin/churn-predict"
simulate="$work/bin/churn-simulate"

# --- python with polars.
python=""
for p in "$repo/scripts/.venv/bin/python" python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "import polars" 2>/dev/null; then python="$p"; break; fi
done
if [ -z "$python" ]; then
    [ -x "$repo/scripts/.venv/bin/python" ] || python3 -m venv --system-site-packages "$repo/scripts/.venv"
    "$repo/scripts/.venv/bin/pip" install -q polars >&2
    python="$repo/scripts/.venv/bin/python"
fi
polars_version="$("$python" -c 'import polars; print(polars.__version__)')"

# --- the log (plain CSV, and the same bytes gzip -1 compressed), at least 10M events.
log="$work/events.csv"
requested="$customers"
gen() {  # gen CUSTOMERS (events.customers remembers the requested count, to reuse the log)
    "$simulate" --customers "$1" --days 366 --seed 3 --output "$log.tmp" --quiet
    mv "$log.tmp" "$log"
    echo "$requested" > "$work/events.customers"
}
if [ ! -f "$log" ] || [ "$(cat "$work/events.customers" 2>/dev/null)" != "$customers" ]; then
    echo "generating: churn-simulate --customers $customers --days 366 --seed 3" >&2
    gen "$customers"
fi
events=$(( $(wc -l < "$log") - 1 ))
if [ "$events" -lt "$min_events" ]; then
    customers=$(( customers * min_events / events + customers / 50 + 1 ))
    echo "only $events events; regenerating with --customers $customers" >&2
    gen "$customers"
    events=$(( $(wc -l < "$log") - 1 ))
fi
files=("$log")
if [ "${GZ:-1}" != 0 ]; then
    if [ ! -f "$log.gz" ] || [ "$log.gz" -ot "$log" ]; then
        gzip -1 -c "$log" > "$log.gz.tmp" && mv "$log.gz.tmp" "$log.gz"
    fi
    files+=("$log.gz")
fi
if [ "${SHUFFLED:-0}" != 0 ]; then  # extra row: the same rows in random order (fixed shuffle)
    if [ ! -f "$work/events_shuffled.csv" ] || [ "$work/events_shuffled.csv" -ot "$log" ]; then
        { head -n 1 "$log"; tail -n +2 "$log" | shuf --random-source=<(yes); } > "$work/events_shuffled.csv.tmp"
        mv "$work/events_shuffled.csv.tmp" "$work/events_shuffled.csv"
    fi
    files+=("$work/events_shuffled.csv")
fi

# --- rounds, alternating the two sides (and which goes first) on each file.
raw="$work/results.tsv"
printf 'file\tside\tround\twall_s\tcpu_s\tpeak_rss_kib\tcustomers\tload1\n' > "$raw"
elapsed() {  # "h:mm:ss" or "m:ss.cc" -> seconds
    awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"
}
field() { awk -F': ' -v k="$2" 'index($0,k) {print $2}' "$1"; }
run_side() {  # run_side FILE SIDE ROUND
    local f="$1" side="$2" r="$3" t="$work/time.txt" n load
    load="$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$side" = churn-predict ]; then
        /usr/bin/time -v -o "$t" "$predict" --model "$model" --events "$f" --output "$work/pred.csv" 2> "$work/predict.err" \
            || { cat "$work/predict.err" >&2; exit 1; }
        n=$(( $(wc -l < "$work/pred.csv") - 1 ))
        echo "  $(basename "$f") round $r churn-predict: $(grep '^scored' "$work/predict.err")" >&2
    else
        /usr/bin/time -v -o "$t" "$python" "$repo/scripts/bench/polars_group.py" "$f" > "$work/polars.out"
        n="$(sed -n 's/.*customers=\([0-9]*\).*/\1/p' "$work/polars.out")"
        echo "  $(basename "$f") round $r $(cat "$work/polars.out")" >&2
    fi
    local cpu
    cpu="$(awk -v u="$(field "$t" 'User time (seconds)')" -v s="$(field "$t" 'System time (seconds)')" 'BEGIN{print u+s}')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$side" "$r" "$(elapsed "$t")" "$cpu" \
        "$(field "$t" 'Maximum resident set size (kbytes)')" "$n" "$load" >> "$raw"
}

echo "log: $log ($events events); files: $(du -h "${files[@]}" | awk '{printf "%s %s  ", $2, $1}')" >&2
echo "polars $polars_version via $python; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
for f in "${files[@]}"; do
    cat "$f" > /dev/null   # same page-cache state for both sides
    for r in $(seq 1 "$rounds"); do
        if [ $((r % 2)) = 1 ]; then order="churn-predict polars"; else order="polars churn-predict"; fi
        for side in $order; do run_side "$f" "$side" "$r"; done
    done
done

# --- table of medians.
"$python" - "$raw" "$events" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
events = int(sys.argv[2])
print(f"\n{events:,} events; medians over {max(int(r['round']) for r in rows)} alternated rounds "
      "(peak RSS: largest of the rounds)\n")
print("| file | side | median wall s | median CPU s (user+sys) | events/s | customers/s | peak RSS MiB | wall ratio vs polars |")
print("|---|---|---|---|---|---|---|---|")
for f in dict.fromkeys(r["file"] for r in rows):
    med = {}
    for side in ("churn-predict", "polars"):
        rs = [r for r in rows if r["file"] == f and r["side"] == side]
        med[side] = (statistics.median(float(r["wall_s"]) for r in rs),
                     statistics.median(float(r["cpu_s"]) for r in rs),
                     max(int(r["peak_rss_kib"]) for r in rs) / 1024,
                     int(rs[0]["customers"]))
    for side, (w, c, rss, n) in med.items():
        print(f"| {f} | {side} | {w:.2f} | {c:.2f} | {events / w / 1e6:.2f} M | {n / w:,.0f} | {rss:,.0f} | "
              f"{w / med['polars'][0]:.2f} |")
PY
echo >&2
echo "per-round numbers: $raw" >&2
