#!/usr/bin/env bash
# docs-values.sh [FILE...]: every value the runtime prints that a chapter, a
# quiz or a slide deck quotes, checked against a real run of that step. With
# no FILE: steps/README.md, every steps/NN-*/*.md, quiz/*.md and slides/*.md.
# tests/docs.bats runs it; run it by hand after changing a chapter or a step:
#
#   sudo tests/docs-values.sh steps/09-overlay-cgroup-seccomp/*.md
#
# The "Run it" check (docs-run-it.sh) runs the commands a chapter shows. This
# one looks at values quoted anywhere else, in prose, text blocks, slides and
# quiz explanations, where nothing runs them. It first runs each step's binary
# (as root, in a network namespace of its own, on build/rootfs) and records:
#
#   - the Cap*, NoNewPrivs and Seccomp lines of /proc/self/status of the
#     command, and of /proc/1/status, the container's init (steps 03 on, whose
#     /proc is the container's own); and those of a process in a new user
#     namespace made by `unshare --user --map-root-user` on the host;
#   - every line `-v` prints, for `true` and, from step 09, with --memory,
#     --cpus and --pids-limit;
#   - /proc/mounts inside (steps 03 on).
#
# It then reads each file. The step a file is about comes from its name
# (steps/NN-*/, quiz/NN-*.md, slides/NN-*.md); the introduction, quiz 00 and
# decks 00 and 10 may quote any step. What it checks:
#
#  1. "CapEff: MASK", "NoNewPrivs: N", "Seccomp: N" (any of the seven fields,
#     with ":", "=", spaces, tabs or backticks between name and value): the
#     value of the step's command; of its init if the line says "init" or
#     "PID 1"; of a new user namespace if the line says "new user namespace",
#     "unshare --user" or "--map-root-user". (The host's own values are not
#     the runtime's, and differ from machine to machine: a chapter describes
#     them in words.)
#  2. Any other 16-digit hex mask: one that some subject of the step shows.
#  3. A "[container] ..." line (the -v narration): one of the step's real
#     lines, where "..." in the quote stands for any text and these vary from
#     run to run: PIDs (after "ctr", "ctr-", "/proc/", "netns "), the
#     descriptor in /proc/self/fd/N, IPv4 addresses, the PID written to
#     cgroup.procs, the time offsets, and the command and hostname given.
#     A cgroup line for a version or v1 layout this host does not have
#     (v2; cpu,cpuacct joined or apart) is skipped and counted: the VMs of
#     tests/vm run the other layouts. So is the way steps 07-09 start the
#     child on the other version: clone3(... CLONE_INTO_CGROUP) on v2,
#     clone(...) on v1.
#  4. A /proc/mounts line "TYPE /PATH TYPE OPTIONS [0 0]" in a code block:
#     the options of /PATH inside ("..." for any text).
#  5. The filter's size, in step 09's files: "N instructions, M calls
#     refused", "refuses M", "deny-list of M", "among the M"; and the kept
#     capabilities: "all but N capabilities", "Docker's N" or "the N" in
#     words or digits, with N the step-09 command's count of capabilities.
#
# In a quiz, the options other than the answer are meant to be wrong: only
# the answer's line, the question and the explanation are checked.
#
# Exit status 0 when every quoted value matches; 1 otherwise, with
# FILE:LINE, what was quoted and what the run printed. DOCS_VERBOSE=1 also
# prints each value checked. Needs root; run it under the tests' lock
# (flock /tmp/cfs-tests.lock), like every run of containers.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "$0: running the steps needs root" >&2
	exit 2
fi
cd "$repo" || exit 2

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	files=(steps/README.md steps/[0-9][0-9]-*/*.md quiz/[0-9][0-9]-*.md slides/[0-9][0-9]-*.md)
fi

work=$(mktemp -d)
netns=docs-values-$$
cleanup() {
	ip netns delete "$netns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

steps=()
for d in steps/[0-9][0-9]-*/; do
	d=${d%/}
	[ -f "$d/container.c" ] && steps+=("${d#steps/}")
done
make -s all >&2 || exit 2
[ -f build/rootfs/etc/os-release ] || make -s rootfs >&2 || exit 2
ip netns add "$netns" || exit 2
in_netns=(nsenter --net="/run/netns/$netns")

fields='^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):'
# facts: "STEP KIND KEY VALUE", one a line. KIND status: KEY is
# cmd.FIELD, init.FIELD or userns.FIELD; verbose: a -v line; mount: KEY a
# mount point, VALUE its options; count: KEY kept, refused or instructions.
facts=$work/facts
: >"$facts"

# status SUBJECT STEP: the status fields on stdin, as facts.
status() {
	awk -v subj="$1" -v step="$2" -F':[ \t]*' '{print step " status " subj "." $1 " " $2}' >>"$facts"
}

unshare --user --map-root-user grep -E "$fields" /proc/self/status | status userns 00

for s in "${steps[@]}"; do
	n=${s:0:2}
	bin=steps/$s/container
	root=()
	[ "$((10#$n))" -ge 3 ] && root=(--rootfs build/rootfs)
	run=("${in_netns[@]}" timeout 30 "$bin" ${root[@]+"${root[@]}"})
	"${run[@]}" grep -E "$fields" /proc/self/status | status cmd "$n"
	if [ "$((10#$n))" -ge 3 ]; then
		"${run[@]}" grep -E "$fields" /proc/1/status | status init "$n"
		"${run[@]}" cat /proc/mounts |
			awk -v step="$n" '{print step " mount " $2 " " $4}' >>"$facts"
	fi
	{
		"${run[@]}" -v true 2>&1
		if [ "$n" -ge 09 ]; then
			"${run[@]}" -v --memory 64M --cpus 0.5 --pids-limit 20 true 2>&1
		fi
	} | grep '^\[container\] ' | sed "s/^/$n verbose - /" >>"$facts"
done

# The filter and the capabilities of the last step, as counts.
last=${steps[${#steps[@]} - 1]:0:2}
awk -v step="$last" '
	$1 == step && $2 == "verbose" && /seccomp\(SECCOMP_SET_MODE_FILTER\)/ {
		for (i = 1; i <= NF; i++) {
			if ($(i + 1) == "instructions,") print step " count instructions " $i
			if ($(i + 1) == "calls" && $(i + 2) == "refused") print step " count refused " $i
		}
	}
	$1 == step && $2 == "status" && $3 == "cmd.CapEff" {
		v = $4; n = 0
		for (i = 1; i <= length(v); i++) {
			d = index("0123456789abcdef", substr(v, i, 1)) - 1
			for (; d > 0; d = int(d / 2)) n += d % 2
		}
		print step " count kept " n
	}' "$facts" >>"$facts.counts"
cat "$facts.counts" >>"$facts"
cgroup_version=1
[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] && cgroup_version=2
# systemd's v1 layout joins cpu and cpuacct in one hierarchy; chapters
# quote -v lines of both v1 layouts, and only this host's can be checked.
joined=0
grep -q ' - cgroup [^ ]* [^ ]*cpu,cpuacct' /proc/self/mountinfo && joined=1

if ! grep -q ' status cmd.CapEff ' "$facts" || ! grep -q ' verbose ' "$facts"; then
	echo "$0: the runs printed nothing to check against" >&2
	exit 2
fi

failed=0
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "$f: no such file"; failed=1; continue; }
	step=$(echo "$f" | sed -nE 's,.*(^|/)(steps|quiz|slides)/([0-9][0-9])-[^/]*(/|\.md$).*,\3,p')
	case $step in '' | 00 | 10) step=any ;; esac
	awk -v step="$step" -v file="$f" -v cgv="$cgroup_version" -v joined="$joined" \
		-v last="$last" -v verbose="${DOCS_VERBOSE:-}" '
	FILENAME == ARGV[1] {
		if ($2 == "verbose") {
			line = $0
			sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", line)
			vline[$1, norm(line)] = 1
		} else if ($2 == "mount") {
			mnt[$1, $3] = $4
		} else {
			fact[$1, $2, $3] = $4
			if ($2 == "status" && $4 ~ /^[0-9a-f]+$/ && length($4) == 16) mask[$1, $4] = 1
			if ($2 == "status") stepsof[$1] = 1
		}
		next
	}
	# norm(S): S with what varies from run to run made "#".
	function norm(s) {
		gsub(/ctr-?[0-9]+/, "ctr#", s)
		gsub(/\/proc\/[0-9]+\//, "/proc/#/", s)
		gsub(/netns [0-9]+/, "netns #", s)
		gsub(/fd\/[0-9]+/, "fd/#", s)
		gsub(/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/, "#.#.#.#", s)
		gsub(/"[0-9]+" to [^ ]*cgroup\.procs/, "\"#\" to cgroup.procs", s)
		gsub(/(monotonic|boottime) -?[0-9]+ [0-9]+/, "clock #", s)
		sub(/^\[container\] execvp\("[^"]*"\)/, "[container] execvp(#)", s)
		sub(/^\[container\] sethostname\("[^"]*"\)/, "[container] sethostname(#)", s)
		sub(/[ \t\r]+$/, "", s)
		return s
	}
	# like(E, A): line A has the shape of E, where "..." in E is any text.
	function like(e, a,    n, p, i, pos, k) {
		if (index(e, "...") == 0) return e == a
		n = split(e, p, /\.\.\./)
		if (substr(a, 1, length(p[1])) != p[1]) return 0
		pos = length(p[1]) + 1
		for (i = 2; i < n; i++) {
			k = index(substr(a, pos), p[i])
			if (k == 0) return 0
			pos += k - 1 + length(p[i])
		}
		return length(a) - length(p[n]) + 1 >= pos &&
		    substr(a, length(a) - length(p[n]) + 1) == p[n]
	}
	# steps_to_try: the steps a value of this file may come from.
	function try_steps(    s, n) {
		n = 0
		if (step != "any") { tried[++n] = step; return n }
		for (s in stepsof) if (s != "00") tried[++n] = s
		return n
	}
	function bad(what, real) {
		printf "%s:%d: %s\n  quoted: %s\n  a real run: %s\n", file, curnr, what, quoted, real
		failed = 1
	}
	function ok(what) {
		checked++
		if (verbose) printf "%s:%d: %s: %s\n", file, curnr, what, quoted
	}
	function subject(s) {
		if (s ~ /new user namespace|unshare --user|--map-root-user|unshare -U/) return "userns"
		if (s ~ /(^|[^a-z_])init([^a-z_]|$)|PID 1([^0-9]|$)/) return "init"
		return "cmd"
	}
	function words(w,    i) {
		if (w ~ /^[0-9]+$/) return w + 0
		split("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen", names, " ")
		for (i = 1; i <= 16; i++) if (tolower(w) == names[i]) return i
		return -1
	}
	# Each line of the file, whether it is in a code block, and in a quiz
	# whether it is an option other than the answer.
	{
		L[FNR] = $0
		if ($0 ~ /^ *(```|~~~)/) { fence = !fence; F[FNR] = -1 } else F[FNR] = fence
		if (file ~ /(^|\/)quiz\//) {
			if ($0 ~ /^## Q/) nq++
			if ($0 ~ /^- [a-z]\) /) { Q[FNR] = nq; O[FNR] = substr($0, 3, 1) }
			if ($0 ~ /^Answer: /) A[nq] = substr($0, 9, 1)
		}
		nl = FNR
	}
	function check(text, nr,    rest, m, fld, val, subj, s, n, k, hit, real, e, p, opts, mp, cnt, w, ws) {
		curnr = nr
		# 1. status fields.
		rest = text
		subj = subject(text)
		while (match(rest, /(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp)[`:= \t]+[0-9a-f]+/)) {
			m = substr(rest, RSTART, RLENGTH)
			rest = substr(rest, RSTART + RLENGTH)
			if (rest ~ /^[0-9a-zA-Z_]/) continue
			fld = m; sub(/[`:= \t].*/, "", fld)
			val = m; sub(/.*[`:= \t]/, "", val)
			if (fld ~ /^Cap/ && length(val) != 16) continue
			if (fld !~ /^Cap/ && val !~ /^[0-9]+$/) continue
			quoted = fld " " val " (" subj ")"
			n = try_steps(); hit = 0; real = ""
			for (k = 1; k <= n; k++) {
				s = (subj == "userns") ? "00" : tried[k]
				if ((s, "status", subj "." fld) in fact) {
					real = real (real == "" ? "" : ", ") fact[s, "status", subj "." fld]
					if (fact[s, "status", subj "." fld] == val) hit = 1
				}
			}
			if (real == "") continue
			if (hit) ok("status field"); else bad("the " subj "'"'"'s " fld, real)
			masked[nr, val] = 1
		}
		# 2. any other capability mask.
		rest = text
		while (match(rest, /(^|[^0-9a-zA-Z])[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]([^0-9a-zA-Z]|$)/)) {
			val = substr(rest, RSTART, RLENGTH)
			rest = substr(rest, RSTART + RLENGTH - 1)
			gsub(/[^0-9a-f]/, "", val)
			if (length(val) != 16 || ((nr, val) in masked)) continue
			quoted = val
			n = try_steps(); hit = (val == "0000000000000000") || (("00", val) in mask)
			for (k = 1; k <= n; k++) if ((tried[k], val) in mask) hit = 1
			if (hit) ok("mask"); else bad("a capability mask no subject of the step shows", "see the facts with DOCS_VERBOSE=1")
		}
		# 3. the -v narration.
		if (match(text, /\[container\] .*/)) {
			e = substr(text, RSTART)
			sub(/[`]+[ \t.,;:)]*$/, "", e)
			e = norm(e)
			quoted = e
			if (e ~ /\/sys\/fs\/cgroup\/(containers-from-scratch|cgroup\.)|"cgroup2"/ && cgv == 1 ||
			    e ~ /\/sys\/fs\/cgroup\/[a-z_,]+\/|"cgroup", "\/sys/ && cgv == 2 ||
			    e ~ /cpu,cpuacct|net_cls,net_prio/ && !joined ||
			    e ~ /\/sys\/fs\/cgroup\/cpu[\/"]/ && joined ||
			    e ~ /CLONE_INTO_CGROUP/ && cgv == 1 ||
			    e ~ /\] clone\(/ && cgv == 2 && step != "any" && step + 0 >= 7) {
				skipped++
			} else {
				n = try_steps(); hit = 0
				for (k = 1; k <= n && !hit; k++)
					for (p in vline) {
						split(p, pp, SUBSEP)
						if (pp[1] == tried[k] && like(e, pp[2])) { hit = 1; break }
					}
				if (hit) ok("-v line"); else bad("a -v line the step does not print", "(no line of that shape; DOCS_VERBOSE=1 lists them)")
			}
		}
		# 4. /proc/mounts lines, in code blocks.
		if (fence && text ~ /^(proc|sysfs|tmpfs|devpts|mqueue|overlay|cgroup|cgroup2|devtmpfs) \/[^ ]* [a-z0-9]+ [^ ]+( 0 0)?[ \t]*$/) {
			split(text, w, " ")
			mp = w[2]; opts = w[4]; quoted = text
			n = try_steps(); hit = 0; real = ""
			for (k = 1; k <= n; k++)
				if ((tried[k], mp) in mnt) {
					real = real (real == "" ? "" : " | ") mnt[tried[k], mp]
					if (like(opts, mnt[tried[k], mp])) hit = 1
				}
			if (real == "") { }
			else if (hit) ok("mount options")
			else bad("the options of " mp, real)
		}
		# 5. the filter'"'"'s size and the capabilities kept (the last step).
		if (step == last || step == "any") {
			rest = text
			while (match(rest, /[0-9]+ instructions, [0-9]+ calls refused|refuses [0-9]+|deny-list of [0-9]+|among the [0-9]+/)) {
				m = substr(rest, RSTART, RLENGTH)
				rest = substr(rest, RSTART + RLENGTH)
				quoted = m
				if (m ~ /instructions/) {
					split(m, ws, " ")
					if (ws[1] == fact[last, "count", "instructions"] && ws[3] == fact[last, "count", "refused"]) ok("filter size")
					else bad("the filter'"'"'s size", fact[last, "count", "instructions"] " instructions, " fact[last, "count", "refused"] " calls refused")
					continue
				}
				cnt = m; sub(/.* /, "", cnt)
				if (cnt == fact[last, "count", "refused"]) ok("calls refused")
				else bad("the number of calls the filter refuses", fact[last, "count", "refused"])
			}
			rest = text
			while (match(rest, /(all but|Docker.s( default)?|the) ([0-9]+|[a-z]+teen|[a-z]+) (capabilities|kept)|Docker.s( default)? ([0-9]+|[a-z]+teen)([^0-9a-z]|$)/)) {
				m = substr(rest, RSTART, RLENGTH)
				rest = substr(rest, RSTART + RLENGTH)
				w_ = m; sub(/^(all but|Docker.s( default)?|the) /, "", w_); sub(/[^0-9a-zA-Z].*$/, "", w_)
				cnt = words(w_)
				if (cnt < 0) continue
				quoted = m
				if (cnt == fact[last, "count", "kept"]) ok("capabilities kept")
				else bad("the number of capabilities kept", fact[last, "count", "kept"])
			}
		}
	}
	END {
		for (i = 1; i <= nl; i++) {
			if (F[i] < 0 || ((i in Q) && O[i] != A[Q[i]])) continue
			fence = F[i]
			check(L[i], i)
		}
		if (verbose) printf "%s: %d values checked, %d lines of another cgroup layout skipped\n", file, checked, skipped
		exit failed
	}' "$facts" "$f" || failed=1
done
if [ -n "${DOCS_VERBOSE:-}" ]; then
	echo "== what the runs printed"
	cat "$facts"
fi
exit "$failed"
