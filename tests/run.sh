#!/usr/bin/env bash
# Run the test suite. Each step's binary runs its own file and every earlier
# step's: step N is step N-1 plus one feature, and this checks it. Then the
# suites that are not about one step (quiz, docs) run once.
#
#   tests/run.sh                 every step, then the other suites
#   tests/run.sh 03-mnt          step 03's binary against files 01..03 only
#   CONTAINER=$PWD/mine tests/run.sh 03   your own binary as step 03
#
# The last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
tests/need.sh bats:bats ip:iproute2 nsenter:util-linux setpriv:util-linux xmllint:libxml2-utils || exit 1
# The first `ip netns add` on a machine mounts /run/netns; do it here, so the
# leftover sweep of the first network test does not take it for a leak.
ip netns add ctrtest-prime && ip netns delete ctrtest-prime

all_steps=()
for d in steps/[0-9][0-9]-*/; do
	d=${d%/}
	all_steps+=("${d#steps/}")
done
steps=("$@")
others=()
if [ "${#steps[@]}" -eq 0 ]; then
	steps=("${all_steps[@]}")
	for f in tests/*.bats; do
		case $(basename "$f") in [0-9][0-9]-*) ;; *) others+=("$f") ;; esac
	done
fi

# From step 06 on, container root is uid 100000 on the host and the rootless
# tests run as uid 1000: both must reach the test rootfs.
for step in "${steps[@]}"; do
	if [ "$((10#${step:0:2}))" -ge 6 ]; then
		rootfs-scripts/reachable.sh "$PWD" 100000 1000 || exit 1
		break
	fi
done

passed=0 failed=0 skipped=0
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT

# run_bats LABEL FILE...: run bats on FILES and add up the results.
run_bats() {
	local label=$1
	shift
	echo "== $label: $*"
	bats --tap "$@" | tee "$tap"
	passed=$((passed + $(grep -c '^ok .*' "$tap" | tr -d ' ') - $(grep -c '^ok .* # skip' "$tap")))
	skipped=$((skipped + $(grep -c '^ok .* # skip' "$tap")))
	failed=$((failed + $(grep -c '^not ok ' "$tap")))
	# Tests planned but never run (a file that did not load) count as failed.
	local planned ran
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
	ran=$(grep -c '^\(not \)\?ok ' "$tap")
	if [ "${planned:-0}" -gt "$ran" ]; then
		echo "run.sh: $((planned - ran)) planned tests did not run" >&2
		failed=$((failed + planned - ran))
	fi
	[ -n "$planned" ] || failed=$((failed + 1))
	return 0
}

for step in "${steps[@]}"; do
	n=${step:0:2}
	files=()
	for f in tests/[0-9][0-9]-*.bats; do
		[ "$((10#$(basename "$f" | cut -c1-2)))" -le "$((10#$n))" ] && files+=("$f")
	done
	STEP=$n run_bats "step $n" "${files[@]}"
done
if [ "${#others[@]}" -gt 0 ]; then
	run_bats "other suites" "${others[@]}"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
