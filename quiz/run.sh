#!/usr/bin/env bash
# quiz/run.sh - ask a chapter's quiz in the terminal, or check a quiz file's format.
#
#   quiz/run.sh 03                  the quiz for steps/03-mnt (00 is the general quiz)
#   quiz/run.sh quiz/03-mnt.md      the same, by file
#   printf 'b\na\n' | quiz/run.sh 03
#   quiz/run.sh --check [QUIZ...]   report format problems (every quiz if none is
#                                   named), exit 1 if there are any
#
# One answer is read per line of standard input, so the quiz works at a terminal and
# with answers piped in. The last line printed is "Score: RIGHT/TOTAL".
# Exit status: 0 after a quiz or a clean check, 1 if a file has format problems,
# 2 for a usage error or a quiz that does not exist. The format is in quiz/README.md.
set -u

prog=quiz/run.sh
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	cat <<EOF
usage: $prog STEP|QUIZFILE                  ask the questions, answers on stdin
       $prog --check [STEP|QUIZFILE...]  report format problems (default: every quiz)
STEP is a step number (00 is the general quiz) or a step name such as 03-mnt.
EOF
}

# resolve ARG: print the quiz file that ARG names, or fail.
# ARG is a file, a number (3, 03), or a step name with or without a directory
# (03-mnt, steps/03-mnt, 03-mnt.md).
resolve() {
	local name
	if [ -f "$1" ]; then
		printf '%s\n' "$1"
		return 0
	fi
	name=${1%/}
	name=${name##*/}
	name=${name%.md}
	case $name in
	[0-9] | [0-9][0-9]) set -- "$here/$(printf '%02d' "$((10#$name))")"-*.md ;;
	[0-9][0-9]-*) set -- "$here/$name.md" ;;
	*) return 1 ;;
	esac
	[ $# -eq 1 ] && [ -f "$1" ] || return 1
	printf '%s\n' "$1"
}

unknown() {
	local have f
	have=$(for f in "$here"/[0-9][0-9]-*.md; do
		[ -f "$f" ] && f=${f##*/} && printf ' %s' "${f%%-*}"
	done)
	echo "$prog: no quiz named '$1' (quizzes:${have:- none})" >&2
	exit 2
}

# parse FILE: read a quiz file and write one record per line on stdout.
#   I text        the title (the first "# " heading)
#   Q n           question n starts
#   T text        a line of question text; code block lines come indented by 4
#   C l text      choice l; a further "C l text" for the same l continues it
#   A l           the answer letter
#   E text        a line of explanation
#   P file:line: msg  a format problem
# Lines inside fenced code blocks are never taken for choices, answers or headings.
parse() {
	awk '
	function problem(line, msg) {
		printf "P %s:%d: %s\n", FILENAME, line, msg
	}
	# Print a line of question text or explanation; blank lines are held back so
	# that none are printed before the first line or after the last.
	function text(tag, s) {
		if (s ~ /^[ \t]*$/) {
			if (shown) held++
			return
		}
		for (; held > 0; held--) print tag
		print tag " " s
		shown = 1
	}
	function start(n) {
		state = "body"; qline = NR; nchoice = 0; nanswer = 0; nexpl = 0
		letters = ""; answer = ""; expl = ""; body = 0; shown = 0; held = 0
		print "Q " n
	}
	function finish() {
		if (state == "intro" || state == "outside") return
		where = "Q" nq ": "
		if (!body) problem(qline, where "the question has no text")
		if (nchoice < 2) problem(qline, where "needs at least two choices, lines like \"- a) ...\"")
		if (nanswer == 0) problem(qline, where "has no \"Answer: LETTER\" line")
		if (nanswer == 1 && nchoice >= 2 && index(letters, answer) == 0)
			problem(qline, where "Answer \"" answer "\" is not one of the choices (" letters ")")
		if (nexpl == 0) problem(qline, where "has no \"Explanation:\" line")
		else if (expl !~ /[^ \t]/) problem(qline, where "the explanation is empty")
		else if (expl !~ /\(see /)
			problem(qline, where "the explanation does not point to its chapter, e.g. (see steps/03-mnt/README.md, \"Why pivot_root\")")
	}
	BEGIN { state = "intro"; nq = 0; fence = "" }
	{ sub(/\r$/, "") }

	# Fenced code blocks: the fence lines are dropped, the contents kept as text.
	fence != "" {
		s = $0; sub(/^ */, "", s)
		if (substr(s, 1, 3) == fence) { fence = ""; next }
		if (state == "body") { text("T", "    " $0); body = 1 }
		else if (state == "explanation") { text("E", "    " $0); expl = expl " " $0 }
		next
	}
	/^ ? ? ?(```|~~~)/ {
		fence = $0; sub(/^ */, "", fence); fence = substr(fence, 1, 3)
		fenceline = NR
		if (state == "choices" || state == "answer")
			problem(NR, "Q" nq ": a code block belongs in the question, before the choices")
		next
	}

	/^## Q[0-9]+\./ {
		finish()
		nq++
		num = $0; sub(/^## Q/, "", num); sub(/\..*/, "", num)
		if (num + 0 != nq) problem(NR, "heading says Q" num " but this is question " nq)
		start(nq)
		head = $0; sub(/^## Q[0-9]+\.[ \t]*/, "", head)
		if (head ~ /[^ \t]/) { text("T", head); body = 1 }
		next
	}
	/^##? / {
		finish()
		if (state == "intro" && title == "" && /^# /) {
			title = $0; sub(/^# +/, "", title); print "I " title
		}
		if (state != "intro") state = "outside"
		next
	}
	state == "intro" || state == "outside" { next }

	/^[-*] [a-zA-Z]\)/ && (state == "body" || state == "choices") {
		l = tolower(substr($0, 3, 1))
		want = substr("abcdefghijklmnopqrstuvwxyz", nchoice + 1, 1)
		if (l != want) problem(NR, "Q" nq ": choice " l ") should be " want ")")
		else if (nchoice >= 4) problem(NR, "Q" nq ": at most four choices, a) to d)")
		nchoice++; letters = letters l; state = "choices"
		s = substr($0, 5); sub(/^[ \t]+/, "", s)
		print "C " l " " s
		next
	}
	/^Answer:/ {
		nanswer++
		if (nanswer > 1) { problem(NR, "Q" nq ": more than one Answer line"); next }
		if (state != "choices") problem(NR, "Q" nq ": the Answer line must follow the choices")
		answer = $0; sub(/^Answer:[ \t]*/, "", answer); sub(/[ \t]+$/, "", answer)
		answer = tolower(answer)
		if (answer !~ /^[a-z]$/) problem(NR, "Q" nq ": the Answer must be one letter, found \"" answer "\"")
		else print "A " answer
		state = "answer"
		next
	}
	/^Explanation:/ {
		nexpl++
		if (nexpl > 1) { problem(NR, "Q" nq ": more than one Explanation line"); next }
		if (state != "answer") problem(NR, "Q" nq ": the Explanation line must follow the Answer line")
		state = "explanation"; shown = 0; held = 0
		s = $0; sub(/^Explanation:[ \t]*/, "", s)
		text("E", s); expl = s
		next
	}
	state == "body" { text("T", $0); if ($0 ~ /[^ \t]/) body = 1; next }
	state == "explanation" { text("E", $0); expl = expl " " $0; next }
	/^[ \t]*$/ { next }
	state == "choices" && /^[ \t]/ {
		s = $0; sub(/^[ \t]+/, "", s); print "C " l " " s
		next
	}
	{ problem(NR, "Q" nq ": unexpected text between the " (state == "choices" ? "choices and the Answer line" : "Answer and the Explanation line")) }

	END {
		if (fence != "") problem(fenceline, "code block is never closed")
		finish()
		if (nq < 6 || nq > 10) problem(NR, "has " nq " questions; a quiz has 6 to 10")
	}
	' "$1"
}

# check FILE...: print every format problem; fail if there was one.
check() {
	local f file bad=0 problems
	for f in "$@"; do
		file=$(resolve "$f") || unknown "$f"
		problems=$(parse "$file" | sed -n 's/^P //p')
		if [ -n "$problems" ]; then
			printf '%s\n' "$problems"
			bad=1
		fi
	done
	return $bad
}

# ask FILE: run the quiz on the terminal, answers from stdin.
ask() {
	local file=$1 records problems line tag rest n=0 title="" i k l reply
	local -a body letters answer expl
	local -A choice
	records=$(parse "$file")
	problems=$(printf '%s\n' "$records" | sed -n 's/^P //p')
	if [ -n "$problems" ]; then
		printf '%s\n' "$problems" >&2
		echo "$prog: $file is not a valid quiz (see quiz/README.md)" >&2
		exit 1
	fi
	while IFS= read -r line; do
		tag=${line%% *}
		rest=${line#"$tag"}
		rest=${rest# }
		case $tag in
		I) title=$rest ;;
		Q) n=$rest; body[n]=""; letters[n]=""; expl[n]="" ;;
		T) body[n]+="$rest"$'\n' ;;
		C)
			l=${rest%% *}
			rest=${rest#"$l"}
			rest=${rest# }
			if [ -n "${choice[$n$l]+set}" ]; then
				choice[$n$l]+=$'\n'"     $rest"
			else
				choice[$n$l]=$rest
				letters[n]+=$l
			fi
			;;
		A) answer[n]=$rest ;;
		E) expl[n]+="$rest"$'\n' ;;
		esac
	done <<<"$records"

	[ -n "$title" ] && printf '%s\n\n' "$title"
	printf '%d questions. Type the letter of your answer and press Enter.\n' "$n"

	local score=0 range right
	for ((i = 1; i <= n; i++)); do
		printf '\nQ%d. %s\n' "$i" "${body[i]}"
		for ((k = 0; k < ${#letters[i]}; k++)); do
			l=${letters[i]:k:1}
			printf '  %s) %s\n' "$l" "${choice[$i$l]}"
		done
		range="a-${letters[i]: -1}"
		printf '\nYour answer (%s): ' "$range"
		if ! IFS= read -r reply && [ -z "$reply" ]; then
			echo
			echo "No more answers: $((n - i + 1)) question(s) left unanswered."
			break
		fi
		# Piped answers do not echo; show them so that the transcript reads right.
		[ -t 0 ] || printf '%s\n' "$reply"
		reply=${reply#"${reply%%[![:space:]]*}"}
		reply=${reply%"${reply##*[![:space:]]}"}
		reply=${reply,,}
		right="${answer[i]}) ${choice[$i${answer[i]}]}"
		if [ "$reply" = "${answer[i]}" ]; then
			echo "Right."
			score=$((score + 1))
		elif [ -z "$reply" ]; then
			echo "No answer. The answer is $right"
		elif [ ${#reply} -ne 1 ] || [[ ${letters[i]} != *"$reply"* ]]; then
			echo "'$reply' is not one of the choices ($range). The answer is $right"
		else
			echo "Wrong. The answer is $right"
		fi
		printf '%s' "${expl[i]}"
	done
	printf '\nScore: %d/%d\n' "$score" "$n"
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in
-h | --help) usage ;;
--check)
	shift
	[ $# -ge 1 ] || set -- "$here"/[0-9][0-9]-*.md
	check "$@"
	;;
-*) usage >&2; exit 2 ;;
*)
	[ $# -eq 1 ] || { usage >&2; exit 2; }
	file=$(resolve "$1") || unknown "$1"
	ask "$file"
	;;
esac
