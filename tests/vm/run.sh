#!/usr/bin/env bash
# Run test files inside a VM with one of two cgroup layouts: only cgroup v2
# (`make test-cgroup2`), or cgroup v1 as systemd mounts it, cpu and cpuacct
# in one hierarchy (`make test-cgroup1`). A stock Debian kernel under qemu
# (KVM where it works, software emulation where it does not), the host's root
# file system shared read-only into it. See tests/vm/README.md.
#
#   tests/vm/run.sh                   the cgroup tests of steps 07-09 on v2:
#                                     tests/07-cgroup.bats with STEP=07, 08
#                                     and 09, and tests/09-*.bats with STEP=09;
#                                     first tests/06-user.bats with STEP=06
#   tests/vm/run.sh --layout v1       the same on systemd's v1 layout
#   tests/vm/run.sh --step 06 tests/06-user.bats
#   tests/vm/run.sh --step 06 tests/0[1-6]-*.bats --step 05 tests/05-net.bats
#   tests/vm/run.sh tests/03-mnt.bats  each file as its own step (no STEP)
#   tests/vm/run.sh --step 07 --filter memory tests/07-cgroup.bats
#
# Each --step NN starts a group: one bats run with STEP=NN, on the files and
# bats options that follow it (a group with no file runs tests/NN-*.bats).
# Options of this script, before or between groups:
#   --layout v2|v1         the VM's cgroups: v2 only (default), or v1 as
#                          systemd mounts it beside an empty v2 tree
#   --accel auto|kvm|tcg   default auto: KVM if it works here, else TCG
#   --timeout SECONDS      for the whole VM run; default 300 plus 60 per test
#                          (20 with KVM)
#   --cgroup PATH          the cgroup the tests run in inside the VM; default
#                          /system.slice/cgroupN-tests.service, / for the root
# Environment: VM_LAYOUT, VM_ACCEL, VM_TIMEOUT, VM_CGROUP, VM_MEMORY (MiB, default 2048),
# VM_CPUS (default 2), VM_KERNEL_PKG (a linux-image-* package; default the
# one linux-image-amd64 depends on). CONTAINER, ROOTFS, USERNS_ROOTFS and the
# variables named in VM_PASS_ENV are passed to the tests.
#
# Prints the VM's console as it runs, then one line per test (PASS, FAIL or
# SKIP) and "N passed, N failed, N skipped". Exits non-zero if a test failed
# or the VM did not boot, timed out or reported nothing. Needs root.
set -u

usage() {
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
}

# Paths the tests get are made absolute from the caller's directory.
abspath() { [ -e "$1" ] && readlink -f "$1" || echo "$1"; }
pass_env=()
for v in CONTAINER ROOTFS USERNS_ROOTFS; do
	[ -n "${!v:-}" ] && pass_env+=("$v=$(abspath "${!v}")")
done
for v in ${VM_PASS_ENV:-}; do
	[ -n "${!v+set}" ] && pass_env+=("$v=${!v}")
done

REPO=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
VM=$REPO/build/vm

layout=${VM_LAYOUT:-v2}
accel=${VM_ACCEL:-auto}
timeout_s=${VM_TIMEOUT:-}
cgroup=${VM_CGROUP:-}
memory=${VM_MEMORY:-2048}
cpus=${VM_CPUS:-2}

# ---- the groups ------------------------------------------------------------

# group_step[i]: NN or empty; group_args_i: the bats arguments; missing: files
# that do not exist yet, reported as skipped.
group_step=()
ngroups=0
missing=()
cur=-1
new_group() {
	cur=$ngroups
	ngroups=$((ngroups + 1))
	group_step[cur]=$1
	eval "group_args_$cur=()"
}
# group_args I: set args to the bats arguments of group I.
group_args() {
	local -n ref=group_args_$1
	args=("${ref[@]}")
}
add_arg() {
	local a=$1
	[ "$cur" -ge 0 ] || new_group ""
	# A test file named from the caller's directory; inside the VM, bats runs
	# in the repository (at the same path as here).
	if [[ $a == *.bats && -f $a ]]; then
		a=$(readlink -f "$a")
		a=${a#"$REPO"/}
	fi
	eval "group_args_$cur+=(\"\$a\")"
}
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage ;;
	--layout) layout=${2:?--layout needs a value}; shift ;;
	--layout=*) layout=${1#*=} ;;
	--accel) accel=${2:?--accel needs a value}; shift ;;
	--accel=*) accel=${1#*=} ;;
	--timeout) timeout_s=${2:?--timeout needs a value}; shift ;;
	--timeout=*) timeout_s=${1#*=} ;;
	--cgroup) cgroup=${2:?--cgroup needs a value}; shift ;;
	--cgroup=*) cgroup=${1#*=} ;;
	--step)
		[[ ${2:-} =~ ^[0-9][0-9] ]] || { echo "run.sh: --step needs a step number, e.g. 07" >&2; exit 2; }
		new_group "${2:0:2}"
		shift
		;;
	--step=*)
		[[ ${1#*=} =~ ^[0-9][0-9] ]] || { echo "run.sh: --step needs a step number, e.g. 07" >&2; exit 2; }
		new_group "${1:7:2}"
		;;
	*) add_arg "$1" ;;
	esac
	shift
done
# By default, the cgroup tests of every step that has a cgroup: 07's file for
# 07, 08 and 09's binaries (step N must still pass step 07's tests), and 09's
# own file for 09's limits. On v2, step 06's file first: its idmapped mounts
# on the guest's older kernel (09's file has the overlay's).
if [ "$ngroups" -eq 0 ]; then
	if [ "$layout" = v2 ]; then
		new_group 06
		add_arg "$REPO/tests/06-user.bats"
	fi
	for step in 07 08 09; do
		new_group "$step"
		add_arg "$REPO/tests/07-cgroup.bats"
	done
	for f in "$REPO"/tests/09-*.bats; do add_arg "$f"; done
fi
cd "$REPO" || exit 1
# A group without a .bats file runs its step's own file, if there is one.
groups=()
for ((i = 0; i < ngroups; i++)); do
	group_args "$i"
	has_file=
	for a in ${args[@]+"${args[@]}"}; do
		[[ $a == *.bats ]] && has_file=1
	done
	if [ -z "$has_file" ]; then
		step=${group_step[i]}
		if [ -z "$step" ]; then
			echo "run.sh: no .bats file given in: ${args[*]}" >&2
			exit 2
		fi
		files=(tests/"$step"-*.bats)
		if [ ! -e "${files[0]}" ]; then
			missing+=("SKIP  $step  tests/$step-*.bats: no such file (step $step has no tests yet)")
			continue
		fi
		eval "group_args_$i+=(\"\${files[@]}\")"
	fi
	groups+=("$i")
done

case $accel in auto | kvm | tcg) ;; *) echo "run.sh: --accel auto, kvm or tcg" >&2; exit 2 ;; esac
# v2: the kernel may not mount a v1 hierarchy at all, as with systemd's
# default since Debian 11; v1: guest.sh mounts systemd's v1 layout.
case $layout in
v2) kernel_cgroup=cgroup_no_v1=all ;;
v1) kernel_cgroup= ;;
*) echo "run.sh: --layout v2 or v1" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (it installs qemu, and the tests need root): sudo $0" >&2
	exit 1
fi

# ---- what the host needs ---------------------------------------------------

export DEBIAN_FRONTEND=noninteractive
apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -q >/dev/null || { echo "run.sh: apt-get update failed" >&2; return 1; }
	apt_updated=1
}
# apt_install PACKAGE...: without the recommended packages (for qemu, those
# are a GUI, firmware and tools the VM does not use).
apt_install() {
	echo "run.sh: installing $* from the distribution's archive" >&2
	apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 ||
		{ apt_update && apt-get install -y -q --no-install-recommends "$@" >/dev/null; } || {
		echo "run.sh: could not install $*" >&2
		exit 1
	}
}
# The tests run inside with the host's own programs.
tests/need.sh bats:bats ip:iproute2 nsenter:util-linux setpriv:util-linux || exit 1
command -v qemu-system-x86_64 >/dev/null || apt_install qemu-system-x86
for c in dpkg-deb apt-get flock timeout; do
	command -v "$c" >/dev/null || { echo "run.sh: $c is missing" >&2; exit 1; }
done

mkdir -p "$VM"
# One run at a time: they share build/vm.
exec 9>"$VM/lock"
if ! flock -n 9; then
	echo "run.sh: another run is using $VM; waiting for it" >&2
	flock 9 || exit 1
fi

# apt_fetch PACKAGE DIR: download PACKAGE's .deb and unpack it into DIR.
apt_fetch() {
	local pkg=$1 dir=$2 dl=$VM/download
	rm -rf "$dl" "$dir"
	mkdir -p "$dl"
	(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
		{ apt_update && (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null); } ||
		{ echo "run.sh: could not download $pkg" >&2; exit 1; }
	dpkg-deb -x "$dl"/*.deb "$dir" || { echo "run.sh: could not unpack $pkg" >&2; exit 1; }
	rm -rf "$dl"
}

# A static BusyBox for the initramfs: the host's if it is static (Debian's
# busybox-static), else one unpacked from that package.
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	busybox=$VM/busybox-static/bin/busybox
	[ -x "$busybox" ] || apt_fetch busybox-static "$VM/busybox-static"
fi
# The guest's stage 2 and its modprobe use /bin/busybox from the host tree.
if [ ! -x /bin/busybox ]; then
	echo "run.sh: the VM needs /bin/busybox on the host: apt-get install busybox-static" >&2
	exit 1
fi

# The stock Debian kernel, unpacked into build/vm/kernel; never installed.
kpkg=${VM_KERNEL_PKG:-}
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
	if [ -z "$kpkg" ] && [ ! -f "$VM/kernel/package" ]; then
		apt_update
		kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
	fi
	# Offline, or no package lists: the kernel unpacked last time will do.
	[ -n "$kpkg" ] || kpkg=$(cat "$VM/kernel/package" 2>/dev/null)
	[ -n "$kpkg" ] || { echo "run.sh: cannot tell which kernel linux-image-amd64 means" >&2; exit 1; }
fi
if [ "$(cat "$VM/kernel/package" 2>/dev/null)" != "$kpkg" ]; then
	echo "run.sh: fetching the kernel $kpkg" >&2
	apt_fetch "$kpkg" "$VM/kernel.new"
	k=$VM/kernel.new
	moddir=$(ls -d "$k"/lib/modules/*/ "$k"/usr/lib/modules/*/ 2>/dev/null | head -n 1)
	[ -n "$moddir" ] || { echo "run.sh: $kpkg has no modules" >&2; exit 1; }
	kver=$(basename "$moddir")
	mkdir -p "$k/tree/lib/modules" "$k/modules"
	mv "$moddir" "$k/tree/lib/modules/$kver"
	cp "$k/boot/vmlinuz-$kver" "$k/vmlinuz"
	cp "$k/boot/config-$kver" "$k/config"
	rm -rf "${k:?}/boot" "${k:?}/lib" "${k:?}/usr" "${k:?}/etc"
	# Only the modules a VM without hardware might load.
	(cd "$k/tree/lib/modules/$kver/kernel" && rm -rf sound drivers/gpu drivers/media \
		drivers/infiniband drivers/scsi drivers/usb drivers/iio drivers/staging drivers/hid \
		drivers/hwmon drivers/platform drivers/input drivers/bluetooth drivers/net/wireless \
		drivers/net/ethernet drivers/net/usb drivers/net/can net/wireless net/mac80211 \
		net/bluetooth)
	# Debian 12's modules are not compressed; later kernels' may be.
	if [ -n "$(find "$k/tree" -name '*.ko.xz' -print -quit)" ]; then
		find "$k/tree" -name '*.ko.xz' -exec xz -d {} + ||
			{ echo "run.sh: cannot decompress the modules (xz-utils)" >&2; exit 1; }
	fi
	if [ -n "$(find "$k/tree" -name '*.ko.zst' -print -quit)" ]; then
		command -v zstd >/dev/null || apt_install zstd
		find "$k/tree" -name '*.ko.zst' -exec zstd -q -d --rm {} + ||
			{ echo "run.sh: cannot decompress the modules (zstd)" >&2; exit 1; }
	fi
	"$busybox" depmod -b "$k/tree" "$kver" 2>/dev/null ||
		{ echo "run.sh: depmod failed for $kpkg" >&2; exit 1; }
	mv "$k/tree/lib/modules/$kver" "$k/modules/$kver"
	rm -rf "$k/tree"
	echo "$kver" >"$k/release"
	echo "$kpkg" >"$k/package"
	rm -rf "$VM/kernel" "$VM/initrd.img"
	mv "$k" "$VM/kernel"
fi
kver=$(cat "$VM/kernel/release")

# The initramfs: BusyBox, tests/vm/init, and the modules that reach the host.
if [ ! -s "$VM/initrd.img" ] || [ tests/vm/init -nt "$VM/initrd.img" ] ||
	[ "$busybox" -nt "$VM/initrd.img" ]; then
	d=$VM/initramfs
	rm -rf "$d"
	mkdir -p "$d/bin" "$d/lib/modules/$kver"
	cp "$busybox" "$d/bin/busybox"
	cp tests/vm/init "$d/init"
	chmod 755 "$d/init"
	dep=$VM/kernel/modules/$kver/modules.dep
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		line=$(grep -E "(^|/)$m\.ko:" "$dep") || { echo "run.sh: the kernel has no module $m" >&2; exit 1; }
		grep "^${line%%:*}:" "$dep" >>"$d/lib/modules/$kver/modules.dep"
		for f in ${line/:/}; do
			mkdir -p "$d/lib/modules/$kver/$(dirname "$f")"
			cp "$VM/kernel/modules/$kver/$f" "$d/lib/modules/$kver/$f"
		done
	done
	# The dependencies' own lines, for modprobe.
	for f in $(cd "$d/lib/modules/$kver" && find kernel -name '*.ko'); do
		grep -q "^$f:" "$d/lib/modules/$kver/modules.dep" || grep "^$f:" "$dep" >>"$d/lib/modules/$kver/modules.dep"
	done
	if ! (cd "$d" && find . | "$busybox" cpio -o -H newc 2>/dev/null) >"$VM/initrd.img.new"; then
		echo "run.sh: cannot build the initramfs" >&2
		exit 1
	fi
	mv "$VM/initrd.img.new" "$VM/initrd.img"
	rm -rf "$d"
fi

# ---- the accelerator -------------------------------------------------------

RUN=$VM/run
rm -rf "$RUN"
mkdir -p "$RUN"

# qemu_cmd ACCEL-OPTIONS... -- KERNEL-ARGS...: set QEMU to the command that
# boots the kernel and the initramfs with the host's root shared read-only
# (9p tag hostroot) and the run directory writable (tag vmrun); no network
# card, the console on stdout.
qemu_cmd() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	QEMU=(qemu-system-x86_64 -M pc "${opts[@]}" -smp "$cpus" -m "$memory"
		-nodefaults -display none -monitor none -serial stdio -nic none -no-reboot
		-kernel "$VM/kernel/vmlinuz" -initrd "$VM/initrd.img"
		-append "console=ttyS0 quiet panic=-1 $kernel_cgroup mitigations=off tsc=reliable init_on_alloc=0 $*"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$RUN,mount_tag=vmrun,security_model=none")
}

# kvm_cpu: the first CPU model with which KVM boots the kernel here, if any.
# /dev/kvm can be there and still fail: some nested hypervisors refuse an MSR
# that `-cpu host` sets (IA32_ARCH_CAPABILITIES), or hang the guest as its
# kernel starts; so the probe boots the kernel for real, to the first line
# of /init, and gives up after 10 s (with KVM that takes a second or two).
kvm_cpu() {
	local cpu
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	for cpu in host host,-arch-capabilities; do
		# Refused at once, before any guest code runs?
		(echo quit | timeout 30 qemu-system-x86_64 -accel kvm -cpu "$cpu" -M pc -nodefaults \
			-display none -monitor stdio -S) >/dev/null 2>&1 || continue
		qemu_cmd -accel kvm -cpu "$cpu" -- vmprobe=1
		if timeout 10 "${QEMU[@]}" </dev/null 2>&1 9>&- | grep -q 'vm-probe: the kernel runs'; then
			echo "$cpu"
			return 0
		fi
		return 1
	done
	return 1
}
cpu=
if [ "$accel" != tcg ]; then
	echo "run.sh: trying KVM" >&2
	cpu=$(kvm_cpu)
	if [ -n "$cpu" ]; then
		accel=kvm
	elif [ "$accel" = kvm ]; then
		echo "run.sh: KVM does not boot the kernel here; --accel tcg emulates instead" >&2
		exit 1
	else
		echo "run.sh: KVM does not boot the kernel here; emulating (TCG)" >&2
		accel=tcg
	fi
fi
case $accel in
kvm) accel_opts=(-accel kvm -cpu "$cpu") ;;
tcg) accel_opts=(-accel tcg,thread=multi -cpu max,-la57) ;;
esac

# ---- the run ---------------------------------------------------------------

if [ -z "$timeout_s" ]; then
	ntests=0
	for i in ${groups[@]+"${groups[@]}"}; do
		group_args "$i"
		for a in "${args[@]}"; do
			[[ $a == *.bats && -f $a ]] && ntests=$((ntests + $(grep -c '^@test' "$a")))
		done
	done
	if [ "$accel" = kvm ]; then per=20; else per=60; fi
	timeout_s=$((300 + per * ntests))
fi

{
	echo "VM_MODULES=$(printf %q "$VM/kernel/modules")"
	echo "VM_LAYOUT=$(printf %q "$layout")"
	echo "VM_CGROUP=$(printf %q "$cgroup")"
	declare -p pass_env | sed 's/^declare -a pass_env=/VM_ENV=/'
	vm_steps=()
	for i in ${groups[@]+"${groups[@]}"}; do vm_steps+=("${group_step[i]}"); done
	declare -p vm_steps | sed 's/^declare -a vm_steps=/VM_GROUP_STEP=/'
	n=0
	for i in ${groups[@]+"${groups[@]}"}; do
		declare -p "group_args_$i" | sed "s/^declare -a group_args_$i=/VM_GROUP_ARGS_$n=/"
		n=$((n + 1))
	done
} >"$RUN/job"

# The repository as it is now, for the guest to unpack into a file system at the
# same path (not the kernel, nor the tests' leftover scratch directories).
tar -C "$REPO" --exclude=./build/vm --exclude='./build/scratch.*' -cf "$RUN/repo.tar" . ||
	{ echo "run.sh: cannot pack the repository" >&2; exit 1; }

guest=$REPO/tests/vm/guest.sh
case $guest in *[[:space:]\"]*)
	echo "run.sh: the repository's path must not contain spaces or quotes: $REPO" >&2
	exit 1
	;;
esac

echo "== cgroup $layout VM: kernel $kpkg, accel $accel${cpu:+ (-cpu $cpu)}, $cpus CPUs, $memory MiB, timeout $timeout_s s"
for i in ${groups[@]+"${groups[@]}"}; do
	group_args "$i"
	echo "== group: ${group_step[i]:+STEP=${group_step[i]} }bats ${args[*]}"
done
qemu_cmd "${accel_opts[@]}" -pidfile "$RUN/qemu.pid" -- "vmguest=$guest"
start=$(date +%s.%N)
# In the background, so that an interrupted run stops the VM too.
{
	timeout "$timeout_s" "${QEMU[@]}" </dev/null 2>&1 9>&-
	echo $? >"$RUN/qemu.status"
} | sed -u 's/\r//g' | tee "$VM/console.log" &
vm_pipeline=$!
trap 'kill "$(cat "$RUN/qemu.pid" 2>/dev/null)" 2>/dev/null; exit 130' INT TERM
wait "$vm_pipeline"
trap - INT TERM
qemu_status=$(cat "$RUN/qemu.status" 2>/dev/null || echo 1)
end=$(date +%s.%N)

# ---- the report ------------------------------------------------------------

passed=0 failed=0 skipped=0
report=()
n=0
for i in ${groups[@]+"${groups[@]}"}; do
	label=${group_step[i]:-"--"}
	tap=$RUN/tap.$n
	n=$((n + 1))
	if [ ! -f "$tap" ]; then
		if [ -f "$RUN/done" ]; then
			report+=("FAIL  $label  (the group produced no output)")
		else
			report+=("FAIL  $label  (the group did not run: the VM stopped first)")
		fi
		failed=$((failed + 1))
		continue
	fi
	while IFS= read -r line; do
		case $line in
		"ok "*" # skip"*)
			report+=("SKIP  $label  $(sed -E 's/^ok [0-9]+ //' <<<"$line")")
			skipped=$((skipped + 1))
			;;
		"ok "*)
			report+=("PASS  $label  $(sed -E 's/^ok [0-9]+ //' <<<"$line")")
			passed=$((passed + 1))
			;;
		"not ok "*)
			report+=("FAIL  $label  $(sed -E 's/^not ok [0-9]+ //' <<<"$line")")
			failed=$((failed + 1))
			;;
		esac
	done <"$tap"
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap" | head -n 1)
	ran=$(grep -c '^\(not \)\?ok ' "$tap")
	if [ -z "$planned" ]; then
		report+=("FAIL  $label  (bats did not start: see $VM/console.log)")
		failed=$((failed + 1))
	elif [ "$planned" -gt "$ran" ]; then
		report+=("FAIL  $label  ($((planned - ran)) planned tests did not run)")
		failed=$((failed + planned - ran))
	fi
done
for m in ${missing[@]+"${missing[@]}"}; do
	report+=("$m")
	skipped=$((skipped + 1))
done

problem=
if [ -f "$RUN/fatal" ]; then
	problem="the VM stopped: $(cat "$RUN/fatal")"
elif [ "$qemu_status" -eq 124 ]; then
	problem="the VM timed out after $timeout_s s (--timeout)"
elif [ ! -f "$RUN/cgroup-check" ]; then
	problem="the VM did not boot (qemu exit status $qemu_status): see $VM/console.log"
elif [ ! -f "$RUN/done" ]; then
	problem="the VM stopped before the tests ended (qemu exit status $qemu_status)"
elif [ $((passed + failed + skipped)) -eq 0 ]; then
	problem="the VM reported no test"
fi

echo
echo "== cgroup $layout VM results (kernel $kver, accel $accel)"
sed 's/^/   /' "$RUN/cgroup-check" 2>/dev/null
for r in ${report[@]+"${report[@]}"}; do echo "$r"; done
if [ -n "$problem" ]; then
	echo "FAIL  --  $problem"
	failed=$((failed + 1))
fi
times=$(cat "$RUN/times" 2>/dev/null)
boot=$(awk '$1 == "boot" {print $2}' <<<"$times")
setup=$(awk '$1 == "boot" {b = $2} $1 == "tests" {printf "%.1f", $2 - b}' <<<"$times")
tests=$(awk '$1 == "tests" {b = $2} $1 == "end" {printf "%.1f", $2 - b}' <<<"$times")
echo "time ($accel): ${boot:-?} s to boot, ${setup:-?} s to set up, ${tests:-?} s of tests;" \
	"$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}') s for the whole VM run"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
