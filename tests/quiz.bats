#!/usr/bin/env bats
# The quizzes: every quiz file is well formed, and quiz/run.sh scores answers right.
# Needs no root and no step binary. The correct answers are read from each file's
# Answer: lines, so quizzes can be added or changed without touching this file.

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	quiz=$top/quiz/run.sh
}

# quizzes: every quiz file, one per line.
quizzes() {
	local f
	for f in "$top"/quiz/[0-9][0-9]-*.md; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
}

# answers FILE: the correct letters, one per line, taken from the Answer: lines outside
# fenced code blocks. Written apart from run.sh's parser so that it checks the runner.
answers() {
	awk '/^ *(```|~~~)/ { code = !code } !code && /^Answer:/ { print tolower($2) }' "$1"
}

# wrong LETTER: a letter that is a choice (every question has a and b) but not LETTER.
wrong() {
	if [ "$1" = a ]; then echo b; else echo a; fi
}

# take QUIZ [ANSWER...]: run the quiz with one answer per line on stdin; with no
# answers, stdin is empty.
take() {
	local q=$1
	shift
	if [ $# -eq 0 ]; then
		run "$quiz" "$q" </dev/null
	else
		run "$quiz" "$q" < <(printf '%s\n' "$@")
	fi
	echo "$ $quiz $q <<< '$*'  (status $status)" >&2
	echo "$output" >&2
}

# write_quiz FILE N: a valid quiz of N questions whose answers are a, b, c, a, b, c, ...
# The first question holds a code block with lines that look like choices and an
# answer, which the runner must take for question text.
write_quiz() {
	local i ans
	{
		echo "# Test quiz"
		echo
		echo "Text before the first question is for readers."
		for ((i = 1; i <= $2; i++)); do
			ans=$(echo c a b | cut -d' ' -f$((i % 3 + 1)))
			echo
			echo "## Q$i. Question number $i?"
			if [ "$i" -eq 1 ]; then
				printf '\n```\n# comment\n- a) not a choice\nAnswer: d\n```\n'
			fi
			echo
			echo "- a) first"
			echo "- b) second"
			echo "- c) third,"
			echo "  continued"
			echo
			echo "Answer: $ans"
			echo
			echo "Explanation: Because $ans."
			echo "(see steps/README.md, \"Test\")"
		done
	} >"$1"
}

@test "quiz: the general quiz exists and every quiz file passes --check" {
	[ -f "$top/quiz/00-containers.md" ]
	local f n=0
	while read -r f; do
		run "$quiz" --check "$f" </dev/null
		echo "$f: $output" >&2
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		n=$((n + 1))
	done < <(quizzes)
	[ "$n" -ge 1 ]
	run -0 "$quiz" --check
}

@test "quiz: each step quiz is named exactly like its step directory" {
	local f name
	while read -r f; do
		name=$(basename "$f" .md)
		[ "$name" = 00-containers ] && continue
		echo "no directory steps/$name for quiz/$name.md" >&2
		[ -d "$top/steps/$name" ]
	done < <(quizzes)
}

@test "quiz: every chapter and section an explanation points to exists" {
	local f path section n=0
	while read -r f; do
		# Pointers may wrap across lines: join the file into one line first.
		while IFS='|' read -r path section; do
			echo "${f##*/}: (see $path, \"$section\")" >&2
			[ -f "$top/$path" ]
			if [ -n "$section" ]; then
				grep -E '^#+ ' "$top/$path" | grep -qiF -- "$section"
			fi
			n=$((n + 1))
		done < <(tr '\n' ' ' <"$f" | tr -s ' ' |
			grep -o '(see [^ ,)]*\(, "[^"]*"\)\?' |
			sed 's/^(see \([^,]*\)\(, "\(.*\)"\)\{0,1\}$/\1|\3/')
	done < <(quizzes)
	[ "$n" -ge 1 ]
}

@test "quiz: --check accepts a well-formed quiz with code blocks and long choices" {
	write_quiz "$BATS_TEST_TMPDIR/ok.md" 7
	run -0 "$quiz" --check "$BATS_TEST_TMPDIR/ok.md"
	[ -z "$output" ]
}

@test "quiz: --check reports each kind of format problem and exits 1" {
	local t=$BATS_TEST_TMPDIR
	write_quiz "$t/ok.md" 7

	# The code block in Q1 holds "Answer: d"; the real answers are a, b or c.
	sed '/^Answer: [abc]$/{x;s/^/x/;/^xxx$/{x;d};x}' "$t/ok.md" >"$t/no-answer.md"
	run -1 "$quiz" --check "$t/no-answer.md"
	[[ $output == *"Q3: has no \"Answer: LETTER\" line"* ]]

	sed '0,/^Answer: \([abc]\)$/s//Answer: a\nAnswer: \1/' "$t/ok.md" >"$t/two-answers.md"
	run -1 "$quiz" --check "$t/two-answers.md"
	[[ $output == *"more than one Answer line"* ]]

	sed '0,/^Answer: [abc]$/s//Answer: d/' "$t/ok.md" >"$t/bad-letter.md"
	run -1 "$quiz" --check "$t/bad-letter.md"
	[[ $output == *"Answer \"d\" is not one of the choices (abc)"* ]]

	sed '0,/^Explanation: .*/s//Later./' "$t/ok.md" >"$t/no-explanation.md"
	run -1 "$quiz" --check "$t/no-explanation.md"
	[[ $output == *"Q1: has no \"Explanation:\" line"* ]]

	sed '0,/^(see .*/s///' "$t/ok.md" >"$t/no-pointer.md"
	run -1 "$quiz" --check "$t/no-pointer.md"
	[[ $output == *"Q1: the explanation does not point to its chapter"* ]]

	sed '/^- [abc])/d' "$t/ok.md" >"$t/no-choices.md"
	run -1 "$quiz" --check "$t/no-choices.md"
	[[ $output == *"needs at least two choices"* ]]

	write_quiz "$t/short.md" 5
	run -1 "$quiz" --check "$t/short.md"
	[[ $output == *"has 5 questions; a quiz has 6 to 10"* ]]

	write_quiz "$t/long.md" 11
	run -1 "$quiz" --check "$t/long.md"
	[[ $output == *"has 11 questions; a quiz has 6 to 10"* ]]

	# A broken quiz is not asked either.
	run -1 "$quiz" "$t/no-answer.md" </dev/null
}

@test "quiz: all answers right scores N/N" {
	write_quiz "$BATS_TEST_TMPDIR/ok.md" 7
	local f
	while read -r f; do
		mapfile -t right < <(answers "$f")
		[ "${#right[@]}" -ge 6 ]
		take "$f" "${right[@]}"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "Score: ${#right[@]}/${#right[@]}" ]
	done < <(quizzes; echo "$BATS_TEST_TMPDIR/ok.md")
}

@test "quiz: all answers wrong scores 0/N" {
	write_quiz "$BATS_TEST_TMPDIR/ok.md" 7
	local f a
	while read -r f; do
		mapfile -t right < <(answers "$f")
		local -a given=()
		for a in "${right[@]}"; do given+=("$(wrong "$a")"); done
		take "$f" "${given[@]}"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "Score: 0/${#right[@]}" ]
		[[ $output == *"Wrong. The answer is ${right[0]})"* ]]
	done < <(quizzes; echo "$BATS_TEST_TMPDIR/ok.md")
}

@test "quiz: a mix of answers scores only the right ones; case and spaces do not matter" {
	write_quiz "$BATS_TEST_TMPDIR/ok.md" 7
	local f i expect
	while read -r f; do
		mapfile -t right < <(answers "$f")
		local -a given=()
		expect=0
		for ((i = 0; i < ${#right[@]}; i++)); do
			case $((i % 4)) in
			0) given+=("$(printf ' \t%s  ' "${right[i]^^}")") expect=$((expect + 1)) ;;
			1) given+=("$(wrong "${right[i]}")") ;;
			2) given+=("z") ;;
			3) given+=("${right[i]}") expect=$((expect + 1)) ;;
			esac
		done
		take "$f" "${given[@]}"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "Score: $expect/${#right[@]}" ]
		[[ $output == *"'z' is not one of the choices"* ]]
	done < <(quizzes; echo "$BATS_TEST_TMPDIR/ok.md")
}

@test "quiz: input that ends early leaves the rest unanswered and still prints the score" {
	local f n
	f=$top/quiz/00-containers.md
	mapfile -t right < <(answers "$f")
	n=${#right[@]}

	take 00 "${right[@]:0:3}"
	[ "$status" -eq 0 ]
	[[ $output == *"$((n - 3)) question(s) left unanswered"* ]]
	[ "${lines[-1]}" = "Score: 3/$n" ]

	take 00
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Score: 0/$n" ]

	# A last answer without a newline still counts.
	run "$quiz" 00 < <(printf '%s\n' "${right[@]:0:1}"; printf '%s' "${right[1]}")
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Score: 2/$n" ]
}

@test "quiz: a quiz is found by number, by step name or by file, from any directory" {
	local f=$top/quiz/00-containers.md arg
	mapfile -t right < <(answers "$f")
	cd "$BATS_TEST_TMPDIR"
	for arg in 00 0 00-containers steps/00-containers "$f"; do
		take "$arg" "${right[@]}"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "Score: ${#right[@]}/${#right[@]}" ]
	done
}

@test "quiz: an unknown quiz is refused in one line that names it, with status 2" {
	run -2 "$quiz" 99 </dev/null
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *"'99'"* ]]

	run -2 "$quiz" quiz/no-such-quiz.md </dev/null
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *"no-such-quiz"* ]]

	run -2 "$quiz" --check 99
	[ "${#lines[@]}" -eq 1 ]

	run -2 "$quiz"
}
