#!/usr/bin/env bash
# Runs the nop loop in ringscript's engine and in C over liburing, in the same run, and prints ns/op for
# each and their ratio (Swift / C). Medians of REPS runs, alternating the two so machine noise hits both.
# Usage: bench/compare.sh [COUNT] [REPS] [BATCH...]   (defaults: 2000000 5 1 8 32 128 512)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000000}
reps=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
batches=("$@")
[ ${#batches[@]} -gt 0 ] || batches=(1 8 32 128 512)

if ! [ -f /usr/include/liburing.h ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liburing-dev >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liburing-dev >/dev/null; }
  else
    echo "compare.sh: liburing-dev is missing; install with: sudo apt-get install liburing-dev" >&2; exit 1
  fi
fi
scripts/ensure-deps
mkdir -p bench/out
cc -O2 -o bench/out/nop bench/nop.c -luring
swift build -c release --product ringscript >&2
swift_bin=.build/release/ringscript

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf "%-8s %12s %12s %8s\n" batch "swift ns/op" "liburing" ratio
for batch in "${batches[@]}"; do
  swift_runs=(); c_runs=()
  for _ in $(seq "$reps"); do
    swift_runs+=("$("$swift_bin" bench nop --count "$count" --batch "$batch" | sed -E 's/.*: ([0-9.]+) ns\/op.*/\1/')")
    c_runs+=("$(bench/out/nop "$count" "$batch")")
  done
  s=$(printf "%s\n" "${swift_runs[@]}" | median)
  c=$(printf "%s\n" "${c_runs[@]}" | median)
  printf "%-8s %12.1f %12.1f %8.3f\n" "$batch" "$s" "$c" "$(awk -v s="$s" -v c="$c" 'BEGIN {print s / c}')"
done
