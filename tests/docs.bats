#!/usr/bin/env bats
# The written material against the code: every step has its chapter, quiz and
# slide deck; a chapter cites only DOC: anchors its step's code has; every
# command of a chapter's "Run it" section prints what the chapter shows and
# leaves nothing behind; relative links resolve; every quiz has 6 to 10
# questions; the diagrams are well-formed SVG. tests/run.sh runs this file once,
# as root, after the per-step suites. The Run it check is
# tests/docs-run-it.sh, which also checks one chapter by hand; the check of
# values quoted anywhere else (capability masks, NoNewPrivs, Seccomp, -v
# lines, mount options) is tests/docs-values.sh.

# helpers.bash takes the step under test from the file name. This file is
# about every step, so it names none (no network namespace per test), and
# borrows the leftover sweep: host_state, alive, wait_for.
STEP=00
CONTAINER=/nonexistent
load helpers

setup() {
	# Every process the Run it commands start carries DOCS_RUN_ID=$DOCS_RUN_TAG-...
	export DOCS_RUN_TAG=docs-bats-$$
	run_it=$REPO/tests/docs-run-it.sh
}

# strays: the live processes a Run it command started, whatever their PID
# namespace. Replaces helpers.bash's, which looks for one step's binary.
strays() {
	local f p
	grep -lz "^DOCS_RUN_ID=$DOCS_RUN_TAG-" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%%/*}
		alive "$p" && echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
	return 0
}

# The leftover sweep, for the tests that took a snapshot with sweep_start: no
# process of theirs still running, and no mount, link, network namespace,
# cgroup, IPC object or temp dir on the host that was not there before.
sweep_start() {
	host_state | LC_ALL=C sort >"$BATS_TEST_TMPDIR/state.before"
}

# appeared: what helpers.bash's host_state lists now and did not at sweep_start.
# (Only what appeared: things others remove meanwhile are not this test's.)
appeared() {
	host_state | LC_ALL=C sort | LC_ALL=C comm -13 "$BATS_TEST_TMPDIR/state.before" - | grep -v '^== '
}

teardown() {
	if [ -n "${SELFTEST_MNT:-}" ] && mountpoint -q "$SELFTEST_MNT"; then
		umount "$SELFTEST_MNT"
	fi
	[ -f "$BATS_TEST_TMPDIR/state.before" ] || return 0
	local leaks=
	if ! wait_for '[ -z "$(strays)" ]' 5; then
		leaks+="processes left running:"$'\n'"$(strays)"$'\n'
	fi
	if ! wait_for '[ -z "$(appeared)" ]' 3; then
		leaks+="on the host since the test began:"$'\n'"$(appeared)"
	fi
	if [ -n "$leaks" ]; then
		echo "# left behind: $leaks" >&2
		return 1
	fi
}

# step_dirs: every step, as the name of its directory (NN-name), that has a
# container.c.
step_dirs() {
	local d
	for d in "$REPO"/steps/[0-9][0-9]-*/; do
		d=${d%/}
		[ -f "$d/container.c" ] && echo "${d##*/}"
	done
	return 0
}

# chapters: the steps that have a chapter, one NN-name a line.
chapters() {
	local s
	step_dirs | while read -r s; do
		[ -f "$REPO/steps/$s/README.md" ] && echo "$s"
	done
	return 0
}

# md_files: every Markdown file of the project, relative to the top: the
# tracked ones, and new ones where chapters, quizzes, decks and tests live.
md_files() {
	local f git=(git -c safe.directory="$REPO" -C "$REPO")
	if "${git[@]}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		{
			"${git[@]}" ls-files -- '*.md'
			"${git[@]}" ls-files --others --exclude-standard -- \
				steps quiz slides rootfs-scripts tests | grep '\.md$'
		} | sort -u | while read -r f; do
			[ -f "$REPO/$f" ] && echo "$f"
		done
	else
		(cd "$REPO" && find . -path ./build -prune -o -name '*.md' -print | sed 's|^\./||' | sort)
	fi
	return 0
}

# links FILE: "LINE<TAB>TARGET" for every link and image in a Markdown file:
# [text](target), ![alt](target), [name]: target, and HTML src="" and href="",
# outside fenced code blocks and `code spans`.
links() {
	awk '
	function opens(s) {
		if (match(s, /^ *(```+|~~~+)/)) {
			mark = substr(s, RSTART, RLENGTH)
			sub(/^ */, "", mark)
			return 1
		}
		return 0
	}
	function closes(s) {
		sub(/^ */, "", s)
		sub(/[ \t]+$/, "", s)
		return substr(s, 1, 1) == substr(mark, 1, 1) && s ~ /^(`+|~+)$/ &&
		       length(s) >= length(mark)
	}
	infence { if (closes($0)) infence = 0; next }
	opens($0) { infence = 1; next }
	{
		s = $0
		gsub(/`[^`]*`/, "", s)
		if (match(s, /^ ? ? ?\[[^]^][^]]*\]:[ \t]*/)) {
			t = substr(s, RSTART + RLENGTH)
			sub(/[ \t].*/, "", t)
			gsub(/^<|>$/, "", t)
			print FNR "\t" t
			next
		}
		r = s
		while ((p = index(r, "](")) > 0) {
			r = substr(r, p + 2)
			if (substr(r, 1, 1) == "<") {
				t = substr(r, 2)
				sub(/>.*/, "", t)
			} else {
				match(r, /^[^ \t)]*/)
				t = substr(r, 1, RLENGTH)
			}
			print FNR "\t" t
		}
		r = s
		while (match(r, "(src|href)=(\"[^\"]*\"|\047[^\047]*\047)")) {
			t = substr(r, RSTART, RLENGTH)
			r = substr(r, RSTART + RLENGTH)
			sub(/^[a-z]*=./, "", t)
			print FNR "\t" substr(t, 1, length(t) - 1)
		}
	}' "$1"
}

# questions FILE: the number of "## Q" headings outside fenced code blocks.
questions() {
	awk '/^ *(```|~~~)/ { code = !code } !code && /^## Q/ { n++ } END { print n + 0 }' "$1"
}

@test "docs: every step has a chapter, a quiz and a slide deck; the introduction and its quiz exist" {
	local s f n=0 missing=()
	for f in steps/README.md quiz/00-containers.md; do
		[ -f "$REPO/$f" ] || missing+=("$f")
	done
	while read -r s; do
		for f in "steps/$s/README.md" "quiz/$s.md" "slides/$s.md"; do
			[ -f "$REPO/$f" ] || missing+=("$f")
		done
		n=$((n + 1))
	done < <(step_dirs)
	[ "$n" -ge 1 ]
	printf 'missing: %s\n' "${missing[@]}" >&2
	[ "${#missing[@]}" -eq 0 ]
}

@test "docs: every DOC: anchor a chapter (or a part of one) cites is a comment in its own step's container.c" {
	local s name n=0 missing=()
	while read -r s; do
		while read -r name; do
			grep -Eq "(/\*|//|^[[:space:]]*\*)[[:space:]]*DOC: $name([^a-z0-9-]|$)" \
				"$REPO/steps/$s/container.c" ||
				missing+=("a chapter of steps/$s cites DOC: $name, not in steps/$s/container.c")
		done < <(cat "$REPO/steps/$s/"*.md | grep -oE 'DOC: [a-z0-9-]+' | sed 's/^DOC: //' | sort -u)
		n=$((n + 1))
	done < <(chapters)
	[ "$n" -ge 1 ]
	printf '%s\n' "${missing[@]}" >&2
	[ "${#missing[@]}" -eq 0 ]
}

@test "docs: every command of a chapter's Run it section prints what the chapter shows, and leaves nothing behind" {
	requires root cmd:nsenter cmd:ip cmd:timeout cmd:findmnt
	local s f files=()
	# A chapter's parts too (step 09's 1-overlay.md...): each has a Run it.
	while read -r s; do
		files+=("steps/$s/README.md")
		for f in "$REPO/steps/$s/"[0-9]-*.md; do
			[ -f "$f" ] && files+=("steps/$s/${f##*/}")
		done
	done < <(chapters)
	[ "${#files[@]}" -ge 1 ]
	# The first "ip netns add" ever mounts /run/netns, for good: do it before
	# the snapshot, not in the middle of the run.
	ip netns add "docs-$$-warm-up" && ip netns delete "docs-$$-warm-up"
	sweep_start
	cd "$REPO"
	run "$run_it" "${files[@]}"
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

# fake NAME: a chapter at $BATS_TEST_TMPDIR/steps/NAME/README.md, its text on
# stdin; prints its path.
fake() {
	mkdir -p "$BATS_TEST_TMPDIR/steps/$1"
	cat >"$BATS_TEST_TMPDIR/steps/$1/README.md"
	echo "$BATS_TEST_TMPDIR/steps/$1/README.md"
}

# run_it_fails CHAPTER TEXT...: the Run it check fails on the chapter, and
# names the chapter and says each TEXT.
run_it_fails() {
	local chapter=$1 text
	shift
	run "$run_it" "$chapter"
	echo "# $run_it $chapter: status $status" >&2
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[[ $output == *"$chapter"* ]]
	for text in "$@"; do
		[[ $output == *"$text"* ]]
	done
}

@test "docs: the Run it check passes output of the chapter's shape and fails on any other" {
	requires root cmd:nsenter cmd:ip cmd:timeout cmd:findmnt
	local ok
	# Leftovers are caught at once; no need to wait long for them to go.
	export DOCS_SETTLE=1
	ip netns add "docs-$$-warm-up" && ip netns delete "docs-$$-warm-up"
	sweep_start
	# A step 05 chapter: its commands run in a network namespace of their own,
	# where lo is the only link.
	ok=$(fake 05-fake <<'EOF'
# 05-fake

## Run it

"..." in a line matches any text; "..." alone any lines, none included; a
leading sudo is dropped; stderr is merged; stdin is empty; the directory is
the top.

```console
$ sudo echo "pid 4242 at 12:34:56   "
pid ... at ...:56
$ printf 'a\nb\nc\nd\n'
a
...
d
$ printf 'a\nb\n'
...
a
b
...
$ echo out; echo err >&2; cat; echo "stdin was empty"
out
err
stdin was empty

$ echo one \
    two
one two
```

Text between blocks.

```console
$ ls Makefile tests/docs-run-it.sh
Makefile
tests/docs-run-it.sh
$ ip -o link show | awk -F': ' '{print $2}'
lo
```

```text
$ not-a-console-block
```

## Next

```console
$ echo "not in Run it, never run"
something else
```
EOF
	)
	run "$run_it" "$ok"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	run_it_fails "$(printf '## Run it\n\n```console\n$ echo hello\ngoodbye\n```\n' | fake 01-wrong)" \
		'$ echo hello' '-goodbye' '+hello'
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo a\na\nb\n```\n' | fake 01-short)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ printf "a\\nb\\n"\na\n```\n' | fake 01-long)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ printf "b\\na\\n"\na\nb\n```\n' | fake 01-order)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ printf "a\\nb\\nc\\n"\n...\nx\n```\n' | fake 01-dots)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo 12\nab\n```\n' | fake 01-digits)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo status 125\nstatus 126\n```\n' | fake 01-number)" \
		'-status 126' '+status 125'
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo a-b-c\na...b...d\n```\n' | fake 01-inline)"
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo "  x"\nx\n```\n' | fake 01-indent)"
	# The second command's output is checked too, and not the first's alone.
	run_it_fails "$(printf '## Run it\n\n```console\n$ echo a\na\n```\n\n```console\n$ echo b\nc\n```\n' | fake 01-second)" \
		'$ echo b'
	DOCS_TIMEOUT=1 run_it_fails "$(printf '## Run it\n\n```console\n$ sleep 20; echo done\ndone\n```\n' | fake 01-slow)" \
		'timed out after 1s'
	run_it_fails "$(printf '## Run it\n\n```console\n$ (sleep 60 &)\n```\n' | fake 01-process)" \
		'left behind:' 'process still running (now killed): ' 'sleep 60'
	SELFTEST_MNT=$BATS_TEST_TMPDIR/mnt
	mkdir "$SELFTEST_MNT"
	run_it_fails "$(printf '## Run it\n\n```console\n$ mount -t tmpfs docs-self-test %s\n```\n' "$SELFTEST_MNT" | fake 01-mount)" \
		'left behind:' "mount: $SELFTEST_MNT tmpfs"
	umount "$SELFTEST_MNT"
	run_it_fails "$(printf '## Run it\n\n```console\n$ ip link add docs0 type veth peer name docs1\n```\n' | fake 05-link)" \
		'links left in its network namespace'
	run_it_fails "$(printf '# No section\n\n```console\n$ true\n```\n' | fake 01-none)" \
		'no "## Run it" section'
	run_it_fails "$(printf '## Run it\n\n```console\nhello\n$ echo hello\nhello\n```\n' | fake 01-before)" \
		'output before the first'
	run_it_fails "$(printf '## Run it\n\nJust text.\n\n```sh\ntrue\n```\n' | fake 01-empty)" \
		'no "$ " command'
}

@test "docs: every value a chapter, quiz or deck quotes from the runtime (masks, NoNewPrivs, Seccomp, -v lines, mount options) matches a real run" {
	requires root cmd:nsenter cmd:ip cmd:timeout cmd:unshare
	ip netns add "docs-$$-warm-up" && ip netns delete "docs-$$-warm-up"
	sweep_start
	run "$REPO/tests/docs-values.sh"
	echo "$output" >&2
	[ "$status" -eq 0 ]
}

@test "docs: the quoted-values check passes the runtime's real values and fails on any other" {
	requires root cmd:nsenter cmd:ip cmd:timeout cmd:unshare
	local good f wrong=()
	ip netns add "docs-$$-warm-up" && ip netns delete "docs-$$-warm-up"
	sweep_start
	# The real values, quoted in each way the check knows; in a quiz, an
	# option that is not the answer may be wrong.
	good=$(fake 09-good <<'EOF'
The command shows `CapEff: 00000000a80425fb`, `NoNewPrivs: 1` and `Seccomp: 2`.
Our init, PID 1, shows `CapEff: 00000000a80425fb`, `NoNewPrivs: 0`, `Seccomp: 0`.
A new user namespace gives `CapEff: 000001ffffffffff`.
`capsh --decode=00000000a80425fb` names Docker's fourteen.

```text
[container] seccomp(SECCOMP_SET_MODE_FILTER): 63 instructions, 37 calls refused
[container] prctl(PR_CAPBSET_DROP) for all but 14 capabilities; capset()
[container] mount("proc", "proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, "")
[container] execvp("anything")
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
sysfs /sys sysfs ro,...
```
EOF
	)
	mkdir -p "$BATS_TEST_TMPDIR/quiz"
	printf '## Q1. What does CapEff read?\n\n- a) `CapEff: 000001ffffffffff`\n- b) `CapEff: 00000000a80425fb`\n\nAnswer: b\n' \
		>"$BATS_TEST_TMPDIR/quiz/09-good.md"
	run "$REPO/tests/docs-values.sh" "$good" "$BATS_TEST_TMPDIR/quiz/09-good.md"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -z "$output" ]

	# One wrong value in each file, on its first line: each file is named.
	wrong+=("$(printf 'The command: `CapEff: 000001ffffffffff`.\n' | fake 09-cmd-mask)")
	wrong+=("$(printf 'Our init shows `CapEff: 000001ffffffffff`.\n' | fake 09-init-mask)")
	wrong+=("$(printf 'Its child shows `NoNewPrivs: 0`.\n' | fake 09-nnp)")
	wrong+=("$(printf 'The filter: `Seccomp: 1`.\n' | fake 09-seccomp)")
	wrong+=("$(printf 'Decode `00000000a80425ff`.\n' | fake 09-bare-mask)")
	wrong+=("$(printf '[container] seccomp(SECCOMP_SET_MODE_FILTER): 88 instructions, 37 calls refused\n' | fake 09-verbose)")
	wrong+=("$(printf '[container] mount("proc", "proc", "proc", MS_NOSUID|MS_NODEV, "")\n' | fake 09-verbose-mount)")
	wrong+=("$(printf 'A filter that refuses 36 system calls.\n' | fake 09-refused)")
	wrong+=("$(printf "It keeps Docker's fifteen.\n" | fake 09-kept)")
	wrong+=("$(printf 'Root in step 06 has `CapEff: 00000000a80425fb`.\n' | fake 06-step-mask)")
	printf '## Q1. x\n- a) `CapEff: 00000000a80425fb`\n- b) `CapEff: 000001ffffffffff`\n\nAnswer: b\n' \
		>"$BATS_TEST_TMPDIR/quiz/09-answer.md"
	wrong+=("$BATS_TEST_TMPDIR/quiz/09-answer.md")
	run "$REPO/tests/docs-values.sh" "${wrong[@]}"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	for f in "${wrong[@]}"; do
		[[ $output == *"$f:"[0-9]*": "* ]] || { echo "# not named: $f" >&2; false; }
	done
	# And a mount line in a code block.
	run "$REPO/tests/docs-values.sh" "$(printf '```text\nproc /proc proc rw,nosuid,nodev,relatime 0 0\n```\n' | fake 09-mount)"
	echo "$output" >&2
	[ "$status" -eq 1 ]
	[[ $output == *"the options of /proc"* ]]
}

@test "docs: every relative link and image in the Markdown files leads to a file" {
	local f line target path n=0 broken=()
	while read -r f; do
		while IFS=$'\t' read -r line target; do
			case $target in
			'' | '#'* | [Hh][Tt][Tt][Pp]:* | [Hh][Tt][Tt][Pp][Ss]:* | [Mm][Aa][Ii][Ll][Tt][Oo]:*) continue ;;
			esac
			path=${target%%#*}
			path=${path%%\?*}
			path=$(printf '%b' "${path//%/\\x}")
			case $path in
			/*) path=$REPO$path ;;
			*) path=$REPO/$(dirname "$f")/$path ;;
			esac
			[ -e "$path" ] || broken+=("$f:$line: $target")
			n=$((n + 1))
		done < <(links "$REPO/$f")
	done < <(md_files)
	[ "$n" -ge 1 ]
	printf 'broken link: %s\n' "${broken[@]}" >&2
	[ "${#broken[@]}" -eq 0 ]
}

@test "docs: the general quiz and every step's quiz have 6 to 10 questions" {
	local s f q bad=()
	while read -r s; do
		f=quiz/$s.md
		if [ ! -f "$REPO/$f" ]; then
			bad+=("$f: missing")
			continue
		fi
		q=$(questions "$REPO/$f")
		[ "$q" -ge 6 ] && [ "$q" -le 10 ] || bad+=("$f: $q questions")
	done < <(echo 00-containers; step_dirs)
	printf '%s\n' "${bad[@]}" >&2
	[ "${#bad[@]}" -eq 0 ]
}

@test "docs: every diagram in steps/diagrams is well-formed SVG" {
	command -v xmllint >/dev/null || skip "needs xmllint, from the package libxml2-utils"
	local f n=0 bad=()
	for f in "$REPO"/steps/diagrams/*.svg; do
		[ -f "$f" ] || continue
		xmllint --noout --nonet "$f" || bad+=("${f#"$REPO"/}")
		# The root element is <svg>.
		[ "$(xmllint --nonet --xpath 'local-name(/*)' "$f")" = svg ] || bad+=("${f#"$REPO"/}: root is not <svg>")
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
	printf 'not well-formed: %s\n' "${bad[@]}" >&2
	[ "${#bad[@]}" -eq 0 ]
}
