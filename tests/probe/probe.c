/*
 * probe: try one kernel operation and print what happened, so tests can
 * observe from inside a container what the kernel allows there.
 *
 *   probe NAME [ARG...]
 *
 * prints "NAME: ok" (and a result, where there is one) or "NAME: EPERM" (the
 * errno's name) and exits 0 on success, 1 on failure, 2 on bad usage. Built
 * static, so it runs in any root filesystem.
 *
 * System calls are made directly, with arguments that would do no harm even
 * if allowed, so a test sees the kernel's (or the seccomp filter's) answer:
 * probe syscall NAME (or syscall-nr N).  Resource probes: alloc MIB, fork N,
 * spin SECONDS.  Terminals: tiocsti TEXT pushes TEXT and a newline into the
 * input of the terminal on descriptor 0; tiocsti-own does it on a pty of its own.
 * On the host, as root: idmap DIR tries to give a clone of DIR's mount a user
 * namespace's map, as the runtime does from step 06 on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/personality.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/sched.h>

static int report(const char *name, long ret)
{
	if (ret == -1) {
		printf("%s: %s\n", name, strerrorname_np(errno));
		return 1;
	}
	printf("%s: ok %ld\n", name, ret);
	return 0;
}

static key_t key_arg(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "probe: %s needs a key\n", argv[1]);
		exit(2);
	}
	return (key_t)strtol(argv[2], NULL, 0);
}

static const char *str_arg(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "probe: %s needs an argument\n", argv[1]);
		exit(2);
	}
	return argv[2];
}

/* A system call by name, made with harmless arguments; -1 and errno on failure. */
static long try_syscall(const char *name)
{
	static const struct {
		const char *name;
		long nr;
		long a, b, c, d, e;
	} calls[] = {
		{"add_key", SYS_add_key, 0, 0, 0, 0, 0},
		{"keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0, 0, 0},
		{"request_key", SYS_request_key, 0, 0, 0, 0, 0},
		{"ptrace", SYS_ptrace, PTRACE_PEEKDATA, 1, 0, 0, 0},
		{"mount", SYS_mount, (long)"none", (long)"/tmp", (long)"tmpfs", 0, 0},
		{"umount2", SYS_umount2, (long)"/proc", MNT_DETACH, 0, 0, 0},
		{"pivot_root", SYS_pivot_root, (long)"/tmp", (long)"/tmp", 0, 0, 0},
		{"open_tree", SYS_open_tree, AT_FDCWD, (long)"/", 0, 0, 0},
		{"move_mount", SYS_move_mount, -1, (long)"", -1, (long)"", 0},
		{"fsopen", SYS_fsopen, (long)"tmpfs", 0, 0, 0, 0},
		{"fsconfig", SYS_fsconfig, -1, 0, 0, 0, 0},
		{"fsmount", SYS_fsmount, -1, 0, 0, 0, 0},
		{"fspick", SYS_fspick, AT_FDCWD, (long)"/", 0, 0, 0},
		{"mount_setattr", SYS_mount_setattr, AT_FDCWD, (long)"/", 0, 0, 0},
		{"unshare", SYS_unshare, CLONE_NEWUTS, 0, 0, 0, 0},
		{"setns", SYS_setns, -1, 0, 0, 0, 0},
		{"kexec_load", SYS_kexec_load, 0, 0, 0, 0, 0},
		{"kexec_file_load", SYS_kexec_file_load, -1, -1, 0, 0, 0},
		{"init_module", SYS_init_module, 0, 0, (long)"", 0, 0},
		{"finit_module", SYS_finit_module, -1, (long)"", 0, 0, 0},
		{"delete_module", SYS_delete_module, (long)"no_such_module", 0, 0, 0, 0},
		{"bpf", SYS_bpf, -1, 0, 0, 0, 0},
		{"perf_event_open", SYS_perf_event_open, 0, 0, -1, -1, 0},
		{"userfaultfd", SYS_userfaultfd, 0, 0, 0, 0, 0},
		{"io_uring_setup", SYS_io_uring_setup, 0, 0, 0, 0, 0},
		{"io_uring_enter", SYS_io_uring_enter, -1, 0, 0, 0, 0},
		{"io_uring_register", SYS_io_uring_register, -1, 0, 0, 0, 0},
		{"open_by_handle_at", SYS_open_by_handle_at, -1, 0, 0, 0, 0},
		{"swapon", SYS_swapon, (long)"/no/such/file", 0, 0, 0, 0},
		{"swapoff", SYS_swapoff, (long)"/no/such/file", 0, 0, 0, 0},
		{"reboot", SYS_reboot, 0, 0, 0 /* bad magic: EINVAL if allowed */, 0, 0},
		{"acct", SYS_acct, 0, 0, 0, 0, 0},
		{"settimeofday", SYS_settimeofday, 0, 0, 0, 0, 0},
		{"clock_settime", SYS_clock_settime, CLOCK_REALTIME, 0, 0, 0, 0},
		{"clock_adjtime", SYS_clock_adjtime, CLOCK_REALTIME, 0, 0, 0, 0},
		{"adjtimex", SYS_adjtimex, 0, 0, 0, 0, 0},
		{"syslog", SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, 0, 0, 0, 0},
		{"clone3", SYS_clone3, 0, 0, 0, 0, 0},
		{"sethostname", SYS_sethostname, (long)"x", 1, 0, 0, 0},
		{"chroot", SYS_chroot, (long)"/", 0, 0, 0, 0},
		{"getpid", SYS_getpid, 0, 0, 0, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!strcmp(name, calls[i].name))
			return syscall(calls[i].nr, calls[i].a, calls[i].b, calls[i].c, calls[i].d,
				       calls[i].e);
	fprintf(stderr, "probe: no syscall probe '%s'\n", name);
	exit(2);
}

/* clone(2) with FLAGS; the child exits at once. */
/* open_tree(2) DIR and mount_setattr(2) MOUNT_ATTR_IDMAP on the clone, with
 * the user namespace of a child that maps 0 to host 100000. */
static long try_idmap(const char *dir)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
	int go[2], tree, userns = -1;
	char path[64];
	long ret = -1;
	pid_t pid;

	if (pipe(go) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		if (unshare(CLONE_NEWUSER) == -1)
			_exit(1);
		close(go[1]);
		read(go[0], &c, 1); /* until the parent is done */
		_exit(0);
	}
	close(go[0]);
	if (pid == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	for (int i = 0; i < 1000 && userns == -1; i++) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		/* Written once the child is in its namespace. */
		if (fd != -1 && write(fd, "0 100000 65536", 14) == 14) {
			close(fd);
			snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd != -1 && write(fd, "0 100000 65536", 14) != 14)
				break;
			snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
			userns = open(path, O_RDONLY | O_CLOEXEC);
		} else {
			usleep(1000);
		}
		if (fd != -1)
			close(fd);
	}
	tree = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (userns != -1 && tree != -1) {
		attr.userns_fd = userns;
		ret = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr));
	}
	int saved = errno;
	close(go[1]);
	waitpid(pid, NULL, 0);
	errno = saved;
	return ret;
}

static long try_clone(int flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid > 0 ? 0 : pid;
}

/* Touch MIB mebibytes, one at a time, saying how far it got. */
static int alloc(long mib)
{
	long i;

	for (i = 1; i <= mib; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return report("alloc", -1);
		memset(p, 1, 1 << 20);
		if (i % 16 == 0)
			printf("alloc: %ld MiB\n", i), fflush(stdout);
	}
	printf("alloc: ok %ld MiB\n", mib);
	return 0;
}

/* Fork up to N children that wait; report how many there were. */
static int forks(long n)
{
	static pid_t pids[65536];
	long made = 0, i;
	int saved = 0;

	while (made < n && made < (long)(sizeof(pids) / sizeof(pids[0]))) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid == -1) {
			saved = errno;
			break;
		}
		pids[made++] = pid;
	}
	printf("fork: %ld made%s%s\n", made, saved ? ", then " : "",
	       saved ? strerrorname_np(saved) : "");
	for (i = 0; i < made; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < made; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}

/* Spin for SECONDS of wall time; print the CPU time it got, in ms. */
static int spin(double seconds)
{
	struct timespec start, now;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
	getrusage(RUSAGE_SELF, &ru);
	printf("spin: %ld ms of CPU in %.0f ms\n",
	       ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 +
		       ru.ru_stime.tv_usec / 1000,
	       seconds * 1000);
	return 0;
}

/* The Nth argument (argv[N]), or exit 2. */
static const char *nth_arg(int argc, char *argv[], int n)
{
	if (argc <= n) {
		fprintf(stderr, "probe: %s needs %d arguments\n", argv[1], n - 1);
		exit(2);
	}
	return argv[n];
}

/*
 * The classic chroot escape: chroot into a subdirectory without entering
 * it, climb out with chdir(".."), and make wherever that leads the root.
 * Then try MARKER, a path only the host has: ENOENT means still inside.
 */
static int chroot_escape(const char *marker)
{
	int i;

	if (mkdir("/dev/shm/.chroot-escape", 0700) == -1 && errno != EEXIST)
		return report("chroot-escape", -1);
	if (chroot("/dev/shm/.chroot-escape") == -1)
		return report("chroot-escape", -1);
	for (i = 0; i < 256; i++)
		if (chdir("..") == -1)
			return report("chroot-escape", -1);
	if (chroot(".") == -1)
		return report("chroot-escape", -1);
	return report("chroot-escape", access(marker, F_OK));
}

/* PTRACE_ATTACH to PID, and let go again if that worked. */
static long ptrace_attach(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) == -1)
		return -1;
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

/*
 * The "shocker" escape: open_by_handle_at(2) with a handle made up rather
 * than obtained, here inode 2 (an ext4 root directory), generation 0.
 */
static long shocker(void)
{
	struct {
		struct file_handle h;
		unsigned char bytes[8];
	} fh = {.h = {.handle_bytes = 8, .handle_type = 1 /* FILEID_INO32_GEN */}, .bytes = {2}};
	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir == -1)
		return -1;
	return open_by_handle_at(dir, &fh.h, O_RDONLY);
}

/* Push TEXT and a newline into the input of the terminal on descriptor 0,
 * byte by byte, as if typed: what the caller's shell would read once we exit. */
static long tiocsti(const char *text)
{
	for (; *text; text++)
		if (ioctl(0, TIOCSTI, text) == -1)
			return -1;
	return ioctl(0, TIOCSTI, "\n");
}

/* TIOCSTI into a terminal of our own: a new pty made our controlling
 * terminal, where the kernel itself allows it without CAP_SYS_ADMIN. */
static long tiocsti_own(void)
{
	int master, slave, status;
	pid_t pid;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master == -1 || grantpt(master) == -1 || unlockpt(master) == -1)
		return -1;
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid == 0) {
		slave = open(ptsname(master), O_RDWR);
		if (setsid() == -1 || slave == -1 || ioctl(slave, TIOCSCTTY, 0) == -1)
			_exit(100 + errno);
		_exit(ioctl(slave, TIOCSTI, "x") == -1 ? errno : 0);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return -1;
	errno = WEXITSTATUS(status);
	if (errno >= 100) {
		fprintf(stderr, "probe: could not make a terminal of our own: %s\n",
			strerrorname_np(errno - 100));
		exit(2);
	}
	return errno ? -1 : 0;
}

int main(int argc, char *argv[])
{
	const char *name = argc > 1 ? argv[1] : "";

	/* System V IPC: "-create" makes the object, the plain name looks it up. */
	if (!strcmp(name, "msgget-create"))
		return report(name, msgget(key_arg(argc, argv), IPC_CREAT | 0600));
	if (!strcmp(name, "msgget"))
		return report(name, msgget(key_arg(argc, argv), 0));
	if (!strcmp(name, "semget-create"))
		return report(name, semget(key_arg(argc, argv), 1, IPC_CREAT | 0600));
	if (!strcmp(name, "semget"))
		return report(name, semget(key_arg(argc, argv), 0, 0));
	if (!strcmp(name, "shmget-create"))
		return report(name, shmget(key_arg(argc, argv), 4096, IPC_CREAT | 0600));
	if (!strcmp(name, "shmget"))
		return report(name, shmget(key_arg(argc, argv), 0, 0));
	/* POSIX message queues. */
	if (!strcmp(name, "mq_open-create"))
		return report(name, mq_open(str_arg(argc, argv), O_RDWR | O_CREAT, 0600, NULL));
	if (!strcmp(name, "mq_open"))
		return report(name, mq_open(str_arg(argc, argv), O_RDWR));
	if (!strcmp(name, "mq_unlink"))
		return report(name, mq_unlink(str_arg(argc, argv)));

	/* Kernel calls and resources. */
	if (!strcmp(name, "syscall"))
		return report(str_arg(argc, argv), try_syscall(str_arg(argc, argv)));
	if (!strcmp(name, "syscall-nr")) /* by number, all arguments 0 */
		return report(name, syscall(strtol(str_arg(argc, argv), NULL, 0), 0, 0, 0, 0, 0, 0));
	if (!strcmp(name, "personality"))
		return report(name, personality(strtoul(str_arg(argc, argv), NULL, 0)));
	if (!strcmp(name, "clone-newns"))
		return report(name, try_clone(CLONE_NEWNS));
	if (!strcmp(name, "clone-newuser"))
		return report(name, try_clone(CLONE_NEWUSER));
	if (!strcmp(name, "clone"))
		return report(name, try_clone(0));
	if (!strcmp(name, "mknod-block"))
		return report(name, mknod(str_arg(argc, argv), S_IFBLK | 0600, makedev(8, 0)));
	if (!strcmp(name, "alloc"))
		return alloc(strtol(str_arg(argc, argv), NULL, 10));
	if (!strcmp(name, "fork"))
		return forks(strtol(str_arg(argc, argv), NULL, 10));
	if (!strcmp(name, "spin"))
		return spin(strtod(str_arg(argc, argv), NULL));

	/* Ways out of a container: each should fail. */
	if (!strcmp(name, "chroot-escape"))
		return chroot_escape(str_arg(argc, argv));
	if (!strcmp(name, "mount-fs"))
		return report(name, mount(nth_arg(argc, argv, 2), nth_arg(argc, argv, 3),
					  nth_arg(argc, argv, 2), 0, argc > 4 ? argv[4] : NULL));
	if (!strcmp(name, "open-read"))
		return report(name, open(str_arg(argc, argv), O_RDONLY | O_CLOEXEC));
	if (!strcmp(name, "open-write"))
		return report(name, open(str_arg(argc, argv), O_WRONLY | O_CLOEXEC));
	if (!strcmp(name, "openat"))
		return report(name, openat(atoi(nth_arg(argc, argv, 2)), nth_arg(argc, argv, 3),
					   O_RDONLY | O_CLOEXEC));
	if (!strcmp(name, "ptrace-attach"))
		return report(name, ptrace_attach(atoi(str_arg(argc, argv))));
	if (!strcmp(name, "shocker"))
		return report(name, shocker());
	if (!strcmp(name, "tiocsti"))
		return report(name, tiocsti(str_arg(argc, argv)));
	if (!strcmp(name, "tiocsti-own"))
		return report(name, tiocsti_own());
	if (!strcmp(name, "tioclinux")) {
		char subcode = 2; /* TIOCL_SETSEL: set the selection, a step to pasting */
		return report(name, ioctl(0, TIOCLINUX, &subcode));
	}
	if (!strcmp(name, "ctty"))
		return report(name, open("/dev/tty", O_RDWR | O_CLOEXEC));
	if (!strcmp(name, "unshare-user"))
		return report(name, unshare(CLONE_NEWUSER));
	if (!strcmp(name, "idmap"))
		return report(name, try_idmap(str_arg(argc, argv)));

	fprintf(stderr, "probe: unknown probe '%s'\n", name);
	return 2;
}
