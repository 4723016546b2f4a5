#!/usr/bin/env bash
# The performance figures of ringscript, each side by side with its reference measured in the same run:
# C programs over liburing (bench/*.c) and fio. Every figure is the median of REPS runs, the ringscript
# side and the reference side alternating so that machine noise hits both. Prints one table: figure,
# ringscript, reference, ratio, target, met.
#
#   bench/run.sh            the full run (release build; a few minutes)
#   bench/run.sh --quick    the same code paths with tiny counts (CI: proves the benchmark still runs)
#   options: --reps N (default 5; 2 with --quick), --strict (exit 1 when a target is missed),
#            --release / --debug (the build to measure; --quick defaults to debug, which `swift test`
#            has mostly built already, everything else to release)
#
# Needs a C compiler, liburing-dev and fio; as root it installs the missing ones with apt, otherwise it
# prints the apt-get line. Inputs (scenarios, the 256 MiB data file) and binaries go to bench/out/.
# Exits 1 on any error (a build, a run that fails or prints nothing); a missed target is not an error
# unless --strict.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

quick=0
reps=
strict=0
config=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps=$2; shift ;;
    --strict) strict=1 ;;
    --release) config=release ;;
    --debug) config=debug ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  reps=${reps:-2}; config=${config:-debug}
  nop_count=20000; scenario_nops=20480; reads=20000; data_mib=16; setup_count=100
  process_runs=5; small_count=20; synthetic_small=1000; synthetic_big=10000; rss_iterations=10000
else
  reps=${reps:-5}; config=${config:-release}
  nop_count=2000000; scenario_nops=2000000; reads=1000000; data_mib=256; setup_count=2000
  process_runs=40; small_count=1000; synthetic_small=100000; synthetic_big=1000000; rss_iterations=1000000
fi

log() { echo "bench: $*" >&2; }
fail() { echo "bench/run.sh: $*" >&2; exit 1; }

# --- What it needs --------------------------------------------------------------------------------------
missing=()
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ -f /usr/include/liburing.h ] || missing+=(liburing-dev)
command -v fio >/dev/null 2>&1 || missing+=(fio)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null; }
  else
    fail "missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}"
  fi
fi
scripts/ensure-deps

out=bench/out
mkdir -p "$out"
log "building ringscript ($config) and the C references"
swift build -c "$config" --product ringscript >&2
ringscript="$(swift build -c "$config" --show-bin-path)/ringscript"
[ -x "$ringscript" ] || fail "no binary at $ringscript"
for program in nop setup one-nop randread; do
  cc -O2 -Wall -o "$out/$program" "bench/$program.c" -luring
done
cc -O2 -Wall -o "$out/spawn" bench/spawn.c

# --- Inputs ---------------------------------------------------------------------------------------------
data="$out/randread-${data_mib}M.dat"
data_bytes=$((data_mib * 1048576))
if [ "$(stat -c %s "$data" 2>/dev/null || echo 0)" != "$data_bytes" ]; then
  log "writing $data"
  head -c "$data_bytes" /dev/urandom > "$data.tmp" && mv "$data.tmp" "$data"
fi
cat "$data" > /dev/null   # page-cached from here on
data_path="$(cd "$(dirname "$data")" && pwd)/$(basename "$data")"

scenarios="$out/scenarios"
rm -rf "$scenarios"
mkdir -p "$scenarios/small"

# The engine's nop loop as a scenario: `repeat` over a batch of nops, each batch submitted with one
# io_uring_enter that waits for the whole batch, as bench/nop.c does.
nop_scenario() {  # batch
  cat > "$scenarios/nop-$1.yaml" <<EOF
name: nops in batches of $1
ring: { entries: $1 }
steps:
  - repeat: $((scenario_nops / $1))
    steps:
      - repeat: $1
        steps:
          - nop: {}
            expect: 0
      - submit: { wait: $1 }
EOF
}
nop_scenario 32
nop_scenario 128

# 4 KiB reads at random 4 KiB-aligned offsets of the page-cached data file, 32 per io_uring_enter, each
# into its own 4 KiB of the buffer (as bench/randread.c keeps 32 in flight, each with its own buffer).
{
  echo "name: 4 KiB random reads, QD 32, from a page-cached ${data_mib} MiB file"
  echo "allow_outside_sandbox: true"
  echo "ring: { entries: 32 }"
  echo "resources:"
  echo "  buf: { buffer: { size: 131072, align: 4096 } }"
  echo "steps:"
  echo "  - openat: { path: \"$data_path\" }"
  echo "    capture: fd"
  echo "  - repeat: $((reads / 32))"
  echo "    steps:"
  for slot in $(seq 0 31); do
    echo "      - read: { fd: \$fd, buf: { buffer: buf, offset: $((slot * 4096)) }, len: 4096, offset: { random: $data_bytes, align: 4096 } }"
    echo "        expect: 4096"
  done
  echo "      - submit: { wait: 32 }"
} > "$scenarios/randread.yaml"

cat > "$scenarios/one.yaml" <<'EOF'
name: one nop
steps:
  - nop: {}
    expect: 0
EOF

# Small scenarios as a corpus has them: a resource or two, a few requests, expectations.
for i in $(seq 1 "$small_count"); do
  cat > "$scenarios/small/s$i.yaml" <<EOF
name: small scenario $i
resources:
  data: { file: { content: "0123456789" } }
  buf:  { buffer: { size: 10 } }
steps:
  - read: { fd: data, buf: buf, offset: 0 }
    id: r
    link: true
  - write: { fd: data, data: "$((i % 10))", offset: 0 }
    id: w
  - nop
expect:
  r: 10
  w: 1
  order: [r, w]
  buffers: { buf: { equals: "0123456789" } }
EOF
done

cat > "$scenarios/rss.yaml" <<EOF
name: a repeat of $rss_iterations iterations
ring: { entries: 64 }
steps:
  - repeat: $rss_iterations
    steps:
      - nop: {}
        id: "n{i}"
expect:
  "n{i}": 0
EOF

# --- Measuring ------------------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
number() {  # fail unless $1 is a number; print it
  [[ "$1" =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] || fail "$2 printed '$1', not a number"
  echo "$1"
}
# The seconds a scenario run took; fails unless it passed.
scenario_seconds() {  # the run's own duration from the text report (JSON would also record a trace)
  local line
  line=$("$ringscript" run "$1" | head -n 1) || fail "ringscript run $1 failed: $line"
  [[ "$line" == PASS* ]] || fail "$1 did not pass: $line"
  [[ "$line" =~ \(([0-9.]+)\ (µs|ms|s)\)$ ]] || fail "ringscript run $1 printed '$line', not a duration"
  local value=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
  case $unit in
    µs) number "$(awk -v v="$value" 'BEGIN { printf "%.9f", v / 1e6 }')" "ringscript run $1" ;;
    ms) number "$(awk -v v="$value" 'BEGIN { printf "%.9f", v / 1e3 }')" "ringscript run $1" ;;
    s) number "$value" "ringscript run $1" ;;
  esac
}
engine_nop() { number "$("$ringscript" bench nop --count "$nop_count" --batch "$1" | sed -E 's/.*: ([0-9.]+) ns\/op.*/\1/')" "ringscript bench nop"; }
c_nop() { number "$("$out/nop" "$nop_count" "$1")" "bench/nop"; }
scenario_nop() { awk -v s="$(scenario_seconds "$scenarios/nop-$1.yaml")" -v n="$scenario_nops" 'BEGIN { printf "%.1f", s * 1e9 / n }'; }
scenario_iops() { awk -v s="$(scenario_seconds "$scenarios/randread.yaml")" -v n="$(( reads / 32 * 32 ))" 'BEGIN { printf "%.0f", n / s }'; }
c_iops() { number "$("$out/randread" "$data" "$reads" 32)" "bench/randread"; }
fio_iops() {  # extra fio options
  local json
  json=$(fio --name=randread --filename="$data" --rw=randread --bs=4k --size="${data_mib}M" --io_size="$((reads * 4))k" \
             --invalidate=0 --ioengine=io_uring --iodepth=32 "$@" --output-format=json 2>/dev/null) || fail "fio failed"
  number "$(grep -o '"iops" : [0-9.]*' <<<"$json" | head -1 | awk '{ printf "%.0f", $3 }')" "fio"
}
fio_batched() { fio_iops --iodepth_batch_submit=32 --iodepth_batch_complete_min=1 --iodepth_batch_complete_max=32 --norandommap --randrepeat=0; }
fio_default() { fio_iops; }
engine_setup() { number "$("$ringscript" bench setup --count "$setup_count" | sed -E 's/.*: ([0-9.]+) .s median.*/\1/')" "ringscript bench setup"; }
c_setup() { number "$("$out/setup" "$setup_count" 256)" "bench/setup"; }
spawned() { "$out/spawn" "$@" || fail "spawn $* failed"; }
process_ms() { spawned "$process_runs" "$ringscript" run "$scenarios/one.yaml" | cut -d' ' -f1; }
c_process_ms() { spawned "$process_runs" "$out/one-nop" | cut -d' ' -f1; }
small_ms() { spawned 1 "$ringscript" run "$scenarios/small" | awk -v n="$small_count" '{ printf "%.3f", $1 / n }'; }
plan_seconds() {  # requests
  local line
  line=$("$ringscript" check --timing --synthetic "$1" 2>/dev/null) || fail "ringscript check --synthetic $1 failed"
  number "$(sed -E 's/.*total ([0-9.]+) ms.*/\1/' <<<"$line" | awk '{ printf "%.4f", $1 / 1000 }')" "ringscript check --timing"
}
rss_mib() { spawned 1 "$ringscript" run "$scenarios/rss.yaml" | awk '{ printf "%.1f", $2 / 1024 }'; }

# Medians of REPS runs of each side, alternating: `measure VAR_A "command a" VAR_B "command b"` (the
# second pair may be empty).
measure() {
  local a=() b=() i
  for i in $(seq "$reps"); do
    a+=("$($2)")
    if [ -n "$4" ]; then b+=("$($4)"); fi
  done
  printf -v "$1" '%s' "$(printf '%s\n' "${a[@]}" | median)"
  if [ -n "$4" ]; then printf -v "$3" '%s' "$(printf '%s\n' "${b[@]}" | median)"; fi
}

rows=()
missed=0
# row FIGURE FORMAT RINGSCRIPT REFERENCE COMPARE TARGET. COMPARE: ratio<= / ratio>= compare ringscript ÷
# reference with TARGET; value<= compares the ringscript figure alone (the reference is then for
# information); info sets no target. FORMAT is the printf format of both figures.
row() {
  local figure=$1 format=$2 value=$3 reference=$4 compare=$5 target=$6 ratio met
  value=$(printf "$format" "$value")
  [ "$reference" = - ] || reference=$(printf "$format" "$reference")
  ratio=$(awk -v a="$value" -v b="$reference" 'BEGIN { if (b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }')
  case "$compare" in
    'ratio<=') met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r != "-" && r + 0 <= t + 0) ? "yes" : "NO" }'); target="ratio ≤ $target" ;;
    'ratio>=') met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r != "-" && r + 0 >= t + 0) ? "yes" : "NO" }'); target="ratio ≥ $target" ;;
    'value<=') met=$(awk -v v="$value" -v t="${target%% *}" 'BEGIN { print (v + 0 <= t + 0) ? "yes" : "NO" }'); target="≤ $target" ;;
    *) met="-"; target="-" ;;
  esac
  [ "$met" != NO ] || missed=$((missed + 1))
  rows+=("$figure|$value|$reference|$ratio|$target|$met")
}

log "engine nops: $nop_count per run, $reps runs of each side"
for batch in 1 32 128; do
  measure swift "engine_nop $batch" c "c_nop $batch"
  row "engine nop, batch $batch (ns/op; ref. liburing)" %.1f "$swift" "$c" 'ratio<=' 1.10
done

log "scenario nops: $scenario_nops per run"
for batch in 32 128; do
  measure swift "scenario_nop $batch" c "c_nop $batch"
  row "scenario nops (repeat), batch $batch (ns/op; ref. liburing)" %.1f "$swift" "$c" 'ratio<=' 1.25
done

log "random 4 KiB reads, QD 32: $reads per run"
for i in $(seq "$reps"); do
  swift_runs+=("$(scenario_iops)"); c_runs+=("$(c_iops)"); fio_runs+=("$(fio_batched)")
done
swift=$(printf '%s\n' "${swift_runs[@]}" | median)
c=$(printf '%s\n' "${c_runs[@]}" | median)
fio_b=$(printf '%s\n' "${fio_runs[@]}" | median)
row "randread scenario (IOPS; ref. liburing C)" %.0f "$swift" "$c" 'ratio>=' 0.90
row "randread scenario (IOPS; ref. fio io_uring, batched)" %.0f "$swift" "$fio_b" 'ratio>=' 1.00
measure fio_d "fio_default" "" ""
row "  fio io_uring, default settings (IOPS; ref. fio batched)" %.0f "$fio_d" "$fio_b" info -

log "ring setup + teardown: $setup_count rings per run"
measure swift "engine_setup" c "c_setup"
row "ring setup + teardown, 256 entries (µs; ref. liburing)" %.1f "$swift" "$c" 'ratio<=' 1.20

log "whole processes: $process_runs runs of each per sample"
measure swift "process_ms" c "c_process_ms"
row "1-op scenario as a process (ms median; ref. C one nop)" %.2f "$swift" "$c" 'value<=' "8 ms"

log "$small_count small scenarios in one run"
measure swift "small_ms" "" ""
row "$small_count small scenarios in one run (ms each)" %.3f "$swift" - 'value<=' "1 ms"

log "load + validate + plan: $synthetic_small and $synthetic_big SQEs"
measure small "plan_seconds $synthetic_small" big "plan_seconds $synthetic_big"
row "load+validate+plan, $synthetic_small SQEs (s)" %.3f "$small" - 'value<=' "0.3 s"
linear=$(awk -v s="$small" -v b="$synthetic_big" -v a="$synthetic_small" 'BEGIN { printf "%.4f", s * b / a }')
row "load+validate+plan, $synthetic_big SQEs (s; ref. 10 × the $synthetic_small figure)" %.3f "$big" "$linear" 'ratio<=' 1.00

log "peak RSS of a $rss_iterations-iteration repeat"
measure rss "rss_mib" "" ""
row "peak RSS, $rss_iterations-iteration repeat (MiB)" %.1f "$rss" - 'value<=' "50 MiB"

# --- The table ------------------------------------------------------------------------------------------
mode=$([ "$quick" = 1 ] && echo "quick mode: tiny counts, figures not meaningful" || echo "medians of $reps runs")
echo
echo "ringscript benchmark ($config build, $mode; $(uname -r), $(nproc) CPUs)"
echo
{
  echo "figure|ringscript|reference|ratio|target|met"
  for line in "${rows[@]}"; do echo "$line"; done
} | awk -F'|' '
  function chars(text,  copy) { copy = text; return length(text) - gsub(/[\200-\277]/, "", copy) }  # UTF-8 aware
  { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; w = chars($i); if (w > width[i]) width[i] = w } rows = NR; cols = NF }
  END {
    for (r = 1; r <= rows; r++) {
      line = "|"
      for (i = 1; i <= cols; i++) {
        text = cell[r, i]; pad = width[i] - chars(text)
        line = line " " (i == 1 ? text sprintf("%" pad "s", "") : sprintf("%" pad "s", "") text) " |"
      }
      print line
      if (r == 1) { line = "|"; for (i = 1; i <= cols; i++) { dashes = sprintf("%" width[i] "s", ""); gsub(/ /, "-", dashes); line = line " " dashes (i == 1 ? " |" : ":|") } print line }
    }
  }'
echo
if [ "$missed" -gt 0 ]; then
  echo "$missed target(s) not met."
  [ "$strict" = 0 ] || exit 1
else
  echo "Every target met."
fi
