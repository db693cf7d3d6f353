#!/usr/bin/env bash
# The long tests, kept out of `make test`: fifty containers at once, five
# hundred one after another (tests/stress/*.bats), and a few thousand cases
# of the command-line fuzz (tests/fuzz-args.sh). Needs root.
#
#   tests/stress/run.sh
#   FUZZ_CASES=10000 FUZZ_SEED=5 tests/stress/run.sh
#   LOAD_CONTAINERS=100 LOAD_RUNS=2000 tests/stress/run.sh
#
# The last line is "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
tests/need.sh bats:bats ip:iproute2 nsenter:util-linux || exit 1
[ "$(id -u)" -eq 0 ] || { echo "stress: needs root" >&2; exit 1; }

# The helper that reports a run's peak memory.
mkdir -p build/stress
if [ ! build/stress/rusage -nt tests/stress/rusage.c ]; then
	${CC:-cc} -O2 -Wall -Wextra -o build/stress/rusage tests/stress/rusage.c || exit 1
fi

passed=0 failed=0
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT

started=$SECONDS
echo "== load: tests/stress/*.bats"
bats --tap --timing tests/stress/*.bats | tee "$tap"
passed=$((passed + $(grep -c '^ok ' "$tap") - $(grep -c '^ok .* # skip' "$tap")))
failed=$((failed + $(grep -c '^not ok ' "$tap")))
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
ran=$(grep -c '^\(not \)\?ok ' "$tap")
[ "${planned:-0}" -gt "$ran" ] && failed=$((failed + planned - ran))
[ -n "$planned" ] || failed=$((failed + 1))
echo "# load: $((SECONDS - started)) s"

started=$SECONDS
echo "== fuzz: ${FUZZ_CASES:-3000} cases, seed ${FUZZ_SEED:-2}"
tests/fuzz-args.sh -n "${FUZZ_CASES:-3000}" -s "${FUZZ_SEED:-2}" | tee "$tap"
fuzz_passed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$tap")
fuzz_failed=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$tap")
if [ -z "$fuzz_passed" ]; then
	echo "stress: the fuzz did not finish" >&2
	failed=$((failed + 1))
else
	passed=$((passed + fuzz_passed))
	failed=$((failed + fuzz_failed))
fi
echo "# fuzz: $((SECONDS - started)) s"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
