/*
 * 04-ipc: System V IPC objects and POSIX message queues of its own.
 *
 * Adds:      CLONE_NEWIPC, and a fresh mqueue filesystem at /dev/mqueue.
 * Still shared with the host: network, users, cgroups and clocks.
 * Chapter:   steps/04-ipc/README.md
 *
 * The skeleton fixed here carries every later step: the config struct, the
 * option table, the parent/child sync pipe, one cleanup path, and the code
 * that turns the child's end into our exit status.
 *
 * Build: cc -Wall -Wextra -o container container.c
 * Run:   sudo ./container --rootfs ../../build/rootfs --hostname demo -- sh
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/openat2.h>

/* Exit statuses, as docker(1) and the shell use them. */
#define EXIT_RUNTIME   125 /* the runtime itself failed */
#define EXIT_CANNOT_EXEC 126 /* the command exists but cannot be run */
#define EXIT_NOT_FOUND 127 /* the command does not exist */

#define STACK_SIZE (1024 * 1024)

/* At most this many -e options. */
#define MAX_ENV 64

/* The command's PATH: the usual directories. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* 03-mnt: the new mount API (Linux 5.2; mount_setattr 5.12), for a glibc
 * older than 2.36, whose <sys/mount.h> lacks it. */
#ifndef MOUNT_ATTR_RDONLY
#define OPEN_TREE_CLONE         1
#define OPEN_TREE_CLOEXEC       O_CLOEXEC
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define MOUNT_ATTR_RDONLY       0x00000001
struct mount_attr {
	__u64 attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* 03-mnt: at most this many --volume options. */
#define MAX_VOLUMES 16

/* 03-mnt: one --volume HOST:CONTAINER[:ro]. */
struct volume {
	char *host;   /* the host path, absolute, its symlinks resolved */
	char *target; /* where it goes: a path inside the rootfs */
	int read_only;
	int is_dir;
	int tree;     /* [parent, then child] a clone of the host path's mounts, or -1 */
};

/*
 * One run's settings and state. Who writes what: the runtime (the parent,
 * on the host) fills in everything before clone(); the container's
 * processes get a copy with the child's memory and only read it. Fields
 * marked [parent] are written by the runtime after clone(), so the
 * container's copy of them means nothing. Signal handlers touch none of
 * it: they use forward_to and ending_signal (see DOC: signals).
 */
struct config {
	char *hostname;
	char *pid_file;
	dev_t pid_dev;   /* [parent] the pid file we wrote, to remove at exit */
	ino_t pid_ino;
	char *rootfs;  /* 03-mnt */
	struct volume volumes[MAX_VOLUMES]; /* 03-mnt: --volume, in order */
	int nvolumes;
	char **argv;   /* the command and its arguments */
	char *env[MAX_ENV]; /* -e KEY=VALUE, for the command's environment */
	int nenv;
	const char *term; /* the caller's TERM, if its input is a terminal */
	sigset_t caller_mask; /* the signal mask we were started with */
	int sync_pipe[2]; /* the child waits on [0]; the parent writes [1] */
	pid_t child;   /* [parent] host PID of the container's first process */
};

static int verbose;
static char *default_command[] = {"/bin/sh", NULL};

/* Narrate one kernel call on stderr, for learners (-v). One write(2) a
 * line: the container narrates too, and its lines must not cut into ours. */
static void say(const char *fmt, ...)
{
	char line[1024] = "[container] ";
	size_t n = strlen(line);
	va_list ap;
	int len;

	if (!verbose)
		return;
	va_start(ap, fmt);
	len = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	n = len < 0 ? n : n + len < sizeof(line) - 1 ? n + len : sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) == -1)
		return; /* nowhere to narrate to */
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: container [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND (default /bin/sh) in new namespaces.\n"
		"\n"
		"  --hostname NAME    hostname inside the container (default: container)\n"
		"  --pid-file FILE    write the host PID of the container's first process\n"
		"  --rootfs DIR       root filesystem for the container (required)\n"
		"  --volume HOST:PATH[:ro]  bind mount HOST at PATH in the container,\n"
		"                     read-only with :ro (repeatable)\n"
		"  -e, --env KEY=VALUE  set a variable in the command's environment (repeatable)\n"
		"  -v, --verbose      narrate each kernel call on stderr\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: the command's; 128+N if it was killed by signal N;\n"
		"125 if the runtime failed; 126 if COMMAND cannot be run; 127 if not found.\n");
}

/* An option given twice is a mistake, not a silent override. */
static void set_once(char **slot, const char *name, char *value)
{
	if (*slot)
		errx(EXIT_RUNTIME, "option --%s given more than once", name);
	if (*value == '\0')
		errx(EXIT_RUNTIME, "option --%s needs a non-empty value", name);
	*slot = value;
}

/*
 * DOC: volume-parse
 * --volume HOST:PATH[:ro|:rw], as docker run -v spells it. HOST is looked
 * up now, on the host, where its symlinks are the caller's to follow;
 * PATH only later, inside the rootfs (see volume_target()).
 */
static void parse_volume(struct config *cfg, const char *arg)
{
	struct volume *v = &cfg->volumes[cfg->nvolumes];
	char *host, *target, *mode;
	struct stat st;
	int i;

	if (cfg->nvolumes == MAX_VOLUMES)
		errx(EXIT_RUNTIME, "at most %d --volume options", MAX_VOLUMES);
	host = strdup(arg);
	if (!host)
		err(EXIT_RUNTIME, "--volume");
	target = strchr(host, ':');
	if (!target || target == host || target[1] == '\0')
		errx(EXIT_RUNTIME, "--volume %s: expected HOST:PATH[:ro]", arg);
	*target++ = '\0';
	mode = strchr(target, ':');
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			errx(EXIT_RUNTIME, "--volume %s: expected :ro or :rw at the end", arg);
		v->read_only = strcmp(mode, "ro") == 0;
	}
	if (target[0] != '/')
		errx(EXIT_RUNTIME, "--volume %s: the path in the container must start with /", arg);
	if (strlen(target) >= PATH_MAX)
		errx(EXIT_RUNTIME, "--volume %s: the path in the container is too long", arg);
	for (i = 0; i < cfg->nvolumes; i++)
		if (strcmp(cfg->volumes[i].target, target) == 0)
			errx(EXIT_RUNTIME, "--volume %s: %s is given twice", arg, target);
	v->host = realpath(host, NULL);
	if (!v->host || stat(v->host, &st) == -1)
		err(EXIT_RUNTIME, "--volume: host path %s", host);
	v->is_dir = S_ISDIR(st.st_mode);
	v->target = target;
	v->tree = -1;
	cfg->nvolumes++;
}

enum {
	OPT_HOSTNAME = 256,
	OPT_PID_FILE,
	OPT_ROOTFS,
	OPT_VOLUME,
};

static void parse_args(struct config *cfg, int argc, char *argv[])
{
	static const struct option options[] = {
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"rootfs", required_argument, NULL, OPT_ROOTFS},
		{"volume", required_argument, NULL, OPT_VOLUME},
		{"env", required_argument, NULL, 'e'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+:e:vh", options, NULL)) != -1) {
		switch (opt) {
		case OPT_HOSTNAME:
			set_once(&cfg->hostname, "hostname", optarg);
			break;
		case OPT_PID_FILE:
			set_once(&cfg->pid_file, "pid-file", optarg);
			break;
		case OPT_ROOTFS:
			set_once(&cfg->rootfs, "rootfs", optarg);
			break;
		case OPT_VOLUME:
			parse_volume(cfg, optarg);
			break;
		case 'e':
			if (cfg->nenv == MAX_ENV)
				errx(EXIT_RUNTIME, "at most %d -e options", MAX_ENV);
			if (optarg[0] == '=' || !strchr(optarg, '='))
				errx(EXIT_RUNTIME, "--env %s: expected KEY=VALUE", optarg);
			cfg->env[cfg->nenv++] = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case ':':
			errx(EXIT_RUNTIME, "option %s needs a value", argv[optind - 1]);
		default:
			errx(EXIT_RUNTIME, "unknown option %s (try --help)", argv[optind - 1]);
		}
	}
	if (!cfg->hostname)
		cfg->hostname = "container";
	if (isatty(STDIN_FILENO))
		cfg->term = getenv("TERM");
	if (strlen(cfg->hostname) > HOST_NAME_MAX)
		errx(EXIT_RUNTIME, "hostname '%s' is longer than %d bytes", cfg->hostname,
		     HOST_NAME_MAX);
	if (!cfg->rootfs)
		errx(EXIT_RUNTIME, "--rootfs DIR is required (try: make rootfs, then --rootfs build/rootfs)");
	cfg->argv = optind < argc ? &argv[optind] : default_command;
}

/* A wait status as a shell reports it: the exit code, or 128+N for signal N. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * DOC: signals
 * The runtime passes these signals on to the container, so that `kill` of
 * the runtime, or Ctrl-C at its terminal, reaches the command. The
 * container has a session of its own (see child()), out of reach of the
 * caller's terminal, so we do what the terminal did: signal the command's
 * whole process group.
 *
 * Every signal we handle is blocked from the start of main() until the
 * process that must handle it has its handler in place: a blocked signal
 * waits in the kernel, where one that came too early would be lost
 * (02-pid) or would cut a system call short with EINTR (07-cgroup). A
 * signal the caller ignored, as nohup(1) does SIGHUP, stays ignored, by
 * us and by the command.
 */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
					SIGTSTP, SIGCONT};
/*
 * Signals that would end the runtime before its clean-up. They end the
 * container instead; main() cleans up, then ends the way the signal would
 * have ended it. The real-time signals are added in handled_signals().
 */
static const int ending_signals[] = {SIGPIPE, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
				     SIGIO,   SIGPWR,  SIGSTKFLT};

/* Set by the handlers; forward_to is 0 while there is no one to signal
 * (kill(-0, sig) would signal our own process group). */
static volatile pid_t forward_to;
static volatile sig_atomic_t ending_signal;

/* Every signal we handle: for blocking them all at once. */
static void handled_signals(sigset_t *set)
{
	size_t i;
	int sig;

	sigemptyset(set);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(set, forwarded_signals[i]);
	for (i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++)
		sigaddset(set, ending_signals[i]);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

/*
 * Signal the command's process group, as a terminal does, and the
 * command alone until it leads one. Ctrl-Z's SIGTSTP becomes SIGSTOP,
 * which an interactive shell cannot ignore.
 */
static void signal_command(pid_t pid, int sig)
{
	if (sig == SIGTSTP)
		sig = SIGSTOP;
	if (kill(-pid, sig) == -1 && errno == ESRCH)
		kill(pid, sig);
}

/* A handler saves errno: the code it interrupted may be about to read it. */
static void forward_signal(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		kill(forward_to, sig); /* our init, which passes it on (02-pid) */
	/* Ctrl-Z stopped the container; now stop ourselves, as the terminal
	 * would have, so the caller's shell gets its prompt back. Its `fg`
	 * sends us SIGCONT, which we pass on like the others. */
	if (sig == SIGTSTP)
		raise(SIGSTOP);
	errno = saved;
}

static void end_on_signal(int sig)
{
	int saved = errno;

	ending_signal = sig;
	if (forward_to > 0)
		signal_command(forward_to, SIGKILL);
	errno = saved;
}

/* Install HANDLER for SIG, unless the caller ignored SIG. */
static void handle_signal(int sig, void (*handler)(int))
{
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, NULL, &old) == -1)
		err(EXIT_RUNTIME, "sigaction %d", sig);
	if (old.sa_handler != SIG_IGN && sigaction(sig, &sa, NULL) == -1)
		err(EXIT_RUNTIME, "sigaction %d", sig);
}

/* The runtime's handlers: forward some signals, end cleanly on the rest. */
static void runtime_signals(void)
{
	size_t i;
	int sig;

	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		handle_signal(forwarded_signals[i], forward_signal);
	for (i = 0; i < sizeof(ending_signals) / sizeof(ending_signals[0]); i++)
		handle_signal(ending_signals[i], end_on_signal);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		handle_signal(sig, end_on_signal);
}

/* ------------------------------------------------------------------------
 * The child: runs inside the new namespaces.
 */

/* DOC: hostname */
static void setup_hostname(const struct config *cfg)
{
	say("sethostname(\"%s\")", cfg->hostname);
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1)
		err(EXIT_RUNTIME, "sethostname %s", cfg->hostname);
}

/* The names of the mount flags in FLAGS, for -v. */
static const char *mount_flag_names(unsigned long flags)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = {
		{MS_RDONLY, "MS_RDONLY"}, {MS_NOSUID, "MS_NOSUID"}, {MS_NODEV, "MS_NODEV"},
		{MS_NOEXEC, "MS_NOEXEC"}, {MS_REMOUNT, "MS_REMOUNT"}, {MS_BIND, "MS_BIND"},
		{MS_REC, "MS_REC"},       {MS_PRIVATE, "MS_PRIVATE"},
	};
	static char buf[128];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
				 buf[0] ? "|" : "", names[i].name);
	return buf[0] ? buf : "0";
}

/* mount(2), narrated, and fatal on failure. */
static void do_mount(const char *source, const char *target, const char *fstype,
		     unsigned long flags, const char *data)
{
	say("mount(\"%s\", \"%s\", \"%s\", %s, \"%s\")", source ? source : "", target,
	    fstype ? fstype : "", mount_flag_names(flags), data ? data : "");
	if (mount(source, target, fstype, flags, data) == -1)
		err(EXIT_RUNTIME, "mount %s on %s", fstype ? fstype : source, target);
}

/*
 * DOC: dev
 * A fresh tmpfs /dev with only the devices a program expects. The nodes are
 * bind mounts of the host's rather than mknod(2), which a user namespace
 * (06-user) refuses; nodev on the tmpfs keeps any mknod'ed node inert.
 */
static void setup_dev(void)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *const links[][2] = {
		{"pts/ptmx", "dev/ptmx"},
		{"/proc/self/fd", "dev/fd"},
		{"/proc/self/fd/0", "dev/stdin"},
		{"/proc/self/fd/1", "dev/stdout"},
		{"/proc/self/fd/2", "dev/stderr"},
	};
	char host[64], target[64];
	size_t i;
	int fd;

	do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k");
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		snprintf(target, sizeof(target), "dev/%s", nodes[i]);
		fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd == -1)
			err(EXIT_RUNTIME, "create %s", target);
		close(fd);
		do_mount(host, target, NULL, MS_BIND, NULL);
	}
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) == -1)
			err(EXIT_RUNTIME, "symlink %s", links[i][1]);
	if (mkdir("dev/pts", 0755) == -1 || mkdir("dev/shm", 01777) == -1)
		err(EXIT_RUNTIME, "mkdir in dev");
	do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=0620");
	/* Like Docker's: shared memory is for data, not for programs. */
	do_mount("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m");
}

/*
 * DOC: in-root
 * PATH looked up inside the directory ROOT as if ROOT were /: ".." stops
 * at ROOT, and a symlink, even an absolute one, resolves inside it
 * (RESOLVE_IN_ROOT, openat2(2), Linux 5.6, which glibc does not wrap).
 * A plain lookup would take a rootfs's "data -> /etc" to the host's /etc.
 * Returns an O_PATH descriptor, or -1 with errno set.
 */
static int open_in_root(int root, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return syscall(SYS_openat2, root, path, &how, sizeof(how));
}

/*
 * DOC: volume-target
 * Where a mount goes in the rootfs (ROOT): PATH, with what is missing made
 * one name at a time, each in its parent as open_in_root() found it, as
 * a directory, or the last one as an empty file when DIR is 0. mkdirat(2)
 * and O_CREAT | O_EXCL never follow a symlink, so one swapped in meanwhile
 * only makes the name exist already; the next lookup is again inside
 * ROOT. The mount then goes onto the descriptor returned, never onto a
 * path that could be swapped after this check. OPTION names it in errors.
 */
static int volume_target(int root, const char *option, const char *path, int dir)
{
	char sofar[PATH_MAX] = "", name[NAME_MAX + 1];
	struct stat st, root_st;
	const char *p = path;
	size_t len;
	int fd, parent = open_in_root(root, "/");

	for (p += strspn(p, "/"); parent != -1 && *p != '\0'; p += strspn(p, "/")) {
		len = strcspn(p, "/");
		if (len > NAME_MAX)
			errx(EXIT_RUNTIME, "%s %s: a name longer than %d bytes", option, path, NAME_MAX);
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "/%s", name);
		p += len;
		fd = open_in_root(root, sofar);
		if (fd == -1 && errno == ENOENT) {
			if (dir || p[strspn(p, "/")] != '\0')
				fd = mkdirat(parent, name, 0755);
			else if ((fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) != -1)
				close(fd);
			if (fd == -1 && errno != EEXIST)
				err(EXIT_RUNTIME, "%s %s: create %s in the rootfs", option, path, sofar);
			fd = open_in_root(root, sofar);
		}
		close(parent);
		parent = fd;
	}
	if (parent == -1)
		err(EXIT_RUNTIME, "%s %s: %s in the rootfs", option, path, sofar[0] ? sofar : "/");
	if (fstat(parent, &st) == -1 || fstat(root, &root_st) == -1)
		err(EXIT_RUNTIME, "%s %s: stat", option, path);
	if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino)
		errx(EXIT_RUNTIME, "%s %s: that is the container's /", option, path);
	if (dir && !S_ISDIR(st.st_mode))
		errx(EXIT_RUNTIME, "%s %s: not a directory in the rootfs", option, path);
	if (!dir && S_ISDIR(st.st_mode))
		errx(EXIT_RUNTIME, "%s %s: a directory in the rootfs, and the host path is not", option,
		     path);
	return parent;
}

/*
 * DOC: volume
 * A volume is a bind mount of a host path, made the new way: open_tree(2)
 * with OPEN_TREE_CLONE copies the path's mounts (AT_RECURSIVE: those
 * below it too, as MS_REC would) into a tree attached nowhere yet, held
 * by a descriptor. For :ro, mount_setattr(2) makes every mount in it
 * read-only (AT_RECURSIVE again: a remount with MS_RDONLY changes one
 * mount, and a mount below would stay writable).
 */
static int clone_volume(const struct volume *v)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	int tree;

	say("open_tree(\"%s\", OPEN_TREE_CLONE | AT_RECURSIVE)", v->host);
	tree = syscall(SYS_open_tree, AT_FDCWD, v->host,
		       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree == -1)
		err(EXIT_RUNTIME, "--volume %s: open_tree", v->host);
	if (!v->read_only)
		return tree;
	say("mount_setattr(clone of %s, AT_RECURSIVE, MOUNT_ATTR_RDONLY)", v->host);
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == -1)
		err(EXIT_RUNTIME, "--volume %s:%s:ro: mount_setattr (Linux 5.12)", v->host, v->target);
	return tree;
}

/*
 * DOC: attach-volumes
 * Each clone goes onto its target's descriptor: move_mount(2) with
 * MOVE_MOUNT_T_EMPTY_PATH looks up no path again. A clone of a shared
 * mount is in its peer group: it leaves it, as everything else did (see
 * propagation), or a mount made under the volume would show on the host.
 * mount(2) takes a path, and /proc/self/fd/N (the host's /proc, still
 * there until pivot_root) names the clone itself. Done after /proc, /sys
 * and /dev, so that a volume can go there too.
 */
static void attach_volumes(const struct config *cfg)
{
	const struct volume *v;
	char path[64];
	int i, root, target, tree;

	if (cfg->nvolumes == 0)
		return;
	root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root == -1)
		err(EXIT_RUNTIME, "open the rootfs");
	for (i = 0; i < cfg->nvolumes; i++) {
		v = &cfg->volumes[i];
		tree = v->tree;
		target = volume_target(root, "--volume", v->target, v->is_dir);
		say("move_mount(clone of %s, \"%s\" in the rootfs)", v->host, v->target);
		if (syscall(SYS_move_mount, tree, "", target, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1)
			err(EXIT_RUNTIME, "--volume %s: move_mount onto %s", v->host, v->target);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", tree);
		do_mount(NULL, path, NULL, MS_REC | MS_PRIVATE, NULL);
		close(target);
		close(tree);
	}
	close(root);
}

/* glibc has no wrapper for pivot_root(2). */
static int pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

/*
 * DOC: mounts
 * Our new mount namespace starts as a copy of the host's, with the same
 * propagation: on a systemd host / is shared, so our mounts would appear on
 * the host. Making everything private first stops that both ways.
 * pivot_root(2) then needs the new root to be a mount point, hence the bind
 * mount of the rootfs onto itself. /proc, /sys and /dev are mounted before
 * the old root goes: in a user namespace (06-user) the kernel allows a new
 * proc or sysfs only while a full one is still visible.
 */
static void setup_mounts(const struct config *cfg)
{
	/* DOC: propagation */
	do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* DOC: bind-rootfs */
	do_mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL);
	say("chdir(\"%s\")", cfg->rootfs);
	if (chdir(cfg->rootfs) == -1)
		err(EXIT_RUNTIME, "chdir %s", cfg->rootfs);
	do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	setup_dev();
	attach_volumes(cfg); /* 03-mnt: --volume */
	/* DOC: pivot
	 * pivot_root(".", ".") stacks the old root on top of the new one;
	 * detaching "." then removes the old root, and with it every way
	 * back to the host's files. */
	say("pivot_root(\".\", \".\")");
	if (pivot_root(".", ".") == -1)
		err(EXIT_RUNTIME, "pivot_root into %s", cfg->rootfs);
	say("umount2(\".\", MNT_DETACH)");
	if (umount2(".", MNT_DETACH) == -1)
		err(EXIT_RUNTIME, "detach the old root");
	if (chdir("/") == -1)
		err(EXIT_RUNTIME, "chdir /");
}

/*
 * DOC: mqueue
 * POSIX message queues are files in an mqueue filesystem, and each mount of
 * it shows the queues of the IPC namespace that mounted it. System V
 * message queues, semaphores and shared memory need no mount: the kernel
 * looks them up in the caller's IPC namespace.
 */
static void setup_ipc(void)
{
	say("mkdir(\"/dev/mqueue\")");
	if (mkdir("/dev/mqueue", 01777) == -1)
		err(EXIT_RUNTIME, "mkdir /dev/mqueue");
	do_mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/*
 * DOC: environment
 * The command starts with a small environment of its own, as docker run
 * gives it, not with ours: the host's variables describe the host, and
 * some are keys to it (SSH_AUTH_SOCK reaches an agent that signs as the
 * user; SUDO_USER names them). TERM is kept when the caller's input is a
 * terminal, for programs that draw on it; -e KEY=VALUE adds more. New
 * files get mode 0644 whatever the caller's umask was.
 */
static void set_environment(const struct config *cfg)
{
	int i;

	if (clearenv() != 0)
		errx(EXIT_RUNTIME, "clearenv failed");
	if (setenv("PATH", DEFAULT_PATH, 1) == -1 || setenv("HOSTNAME", cfg->hostname, 1) == -1 ||
	    setenv("HOME", "/root", 1) == -1 || (cfg->term && setenv("TERM", cfg->term, 1) == -1))
		err(EXIT_RUNTIME, "setenv");
	for (i = 0; i < cfg->nenv; i++)
		if (putenv(cfg->env[i]) != 0)
			err(EXIT_RUNTIME, "putenv %s", cfg->env[i]);
	umask(022);
}

/* Replace this process with the command. Never returns. */
static void exec_command(const struct config *cfg)
{
	size_t i;

	/* What we handled starts with its default action; what the caller
	 * ignored stays ignored (see handle_signal()). */
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		handle_signal(forwarded_signals[i], SIG_DFL);
	set_environment(cfg);
	/* A signal that came while the container was being made is delivered
	 * now, and does to the command what it would have done. */
	if (sigprocmask(SIG_SETMASK, &cfg->caller_mask, NULL) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	say("execvp(\"%s\")", cfg->argv[0]);
	execvp(cfg->argv[0], cfg->argv);
	if (errno == ENOENT) {
		warnx("%s: command not found", cfg->argv[0]);
		_exit(EXIT_NOT_FOUND);
	}
	warn("cannot execute %s", cfg->argv[0]);
	_exit(EXIT_CANNOT_EXEC);
}

/*
 * DOC: sync
 * Wait until the parent has prepared everything the child needs from the
 * host side. The parent writes one byte; end-of-file without that byte means
 * the parent died or gave up, so we do too. Our end of the pipe is closed
 * on exec (O_CLOEXEC).
 */
static void await_parent(const struct config *cfg)
{
	char go;
	ssize_t n;

	do
		n = read(cfg->sync_pipe[0], &go, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		_exit(EXIT_RUNTIME);
}

/*
 * DOC: init
 * In a new PID namespace our first process is PID 1 and has PID 1's duties:
 * orphans are re-parented to it and only it can reap them, and the kernel
 * delivers it only the signals it has a handler for. So PID 1 is a small init
 * of our own: it runs the command as its child, forwards signals to it, reaps
 * every zombie, and exits with the command's status. When PID 1 exits, the
 * kernel kills whatever else is left in the namespace.
 */
/* PID 1's handler: pass the signal on to the command's process group. */
static void pass_on_signal(int sig)
{
	int saved = errno;

	if (forward_to > 0)
		signal_command(forward_to, sig);
	errno = saved;
}

static int run_init(const struct config *cfg)
{
	size_t i;
	pid_t pid;
	int status;

	/* Our signals are still blocked (see main()): they wait for these
	 * handlers, and for forward_to to name the command. */
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		handle_signal(forwarded_signals[i], pass_on_signal);
	say("fork() the command");
	pid = fork();
	if (pid == -1)
		err(EXIT_RUNTIME, "fork");
	if (pid == 0) {
		/* A process group of its own, for the signals we pass on. */
		if (setpgid(0, 0) == -1)
			err(EXIT_RUNTIME, "setpgid");
		exec_command(cfg);
	}
	/* The same from this side, whichever of us runs first. Once the
	 * command has called execve() we may not (EACCES), nor once it is
	 * gone (ESRCH), but by then it has done it itself. */
	if (setpgid(pid, pid) == -1 && errno != EACCES && errno != ESRCH)
		err(EXIT_RUNTIME, "setpgid");
	forward_to = pid;
	if (sigprocmask(SIG_SETMASK, &cfg->caller_mask, NULL) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	/* DOC: reap */
	for (;;) {
		pid_t done = wait(&status);

		if (done == -1 && errno == EINTR)
			continue;
		if (done == -1)
			err(EXIT_RUNTIME, "wait");
		if (done == pid)
			return exit_status(status);
	}
}

static int child(void *arg)
{
	struct config *cfg = arg;

	/* clone() gave us both ends; with the write end open here we would
	 * never see end-of-file if the parent died. */
	close(cfg->sync_pipe[1]);
	/* DOC: session
	 * A session of our own, with no controlling terminal. In the caller's
	 * session we could push input into its terminal (ioctl TIOCSTI), which
	 * its shell would read as typed once we exit; outside it, only a
	 * process with CAP_SYS_ADMIN on the host can, and root in a user
	 * namespace (06-user) has no capability on the host. */
	say("setsid()");
	if (setsid() == -1)
		err(EXIT_RUNTIME, "setsid");
	/* DOC: pdeathsig
	 * If the runtime dies, even by SIGKILL, the kernel kills us too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_PDEATHSIG");
	await_parent(cfg);
	setup_hostname(cfg);
	setup_mounts(cfg); /* 03-mnt */
	setup_ipc();       /* 04-ipc */
	return run_init(cfg);
}

/* ------------------------------------------------------------------------
 * The parent: stays on the host, prepares, waits, and cleans up.
 */

/* The names of the namespace flags in FLAGS, for -v. */
static const char *flag_names(int flags)
{
	static const struct {
		int flag;
		const char *name;
	} names[] = {
		{CLONE_NEWUTS, "CLONE_NEWUTS"},
		{CLONE_NEWPID, "CLONE_NEWPID"},
		{CLONE_NEWNS, "CLONE_NEWNS"},
		{CLONE_NEWIPC, "CLONE_NEWIPC"},
		{CLONE_NEWNET, "CLONE_NEWNET"},
		{CLONE_NEWUSER, "CLONE_NEWUSER"},
		{CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
	};
	static char buf[256];
	size_t i;

	snprintf(buf, sizeof(buf), "SIGCHLD");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " | %s",
				 names[i].name);
	return buf;
}

/* DOC: clone-flags
 * One namespace per step, one line per namespace. */
static int clone_flags(void)
{
	int flags = SIGCHLD;

	flags |= CLONE_NEWUTS; /* 01-uts */
	flags |= CLONE_NEWPID; /* 02-pid */
	flags |= CLONE_NEWNS;  /* 03-mnt */
	flags |= CLONE_NEWIPC; /* 04-ipc */
	return flags;
}

static pid_t spawn_child(struct config *cfg)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	pid_t pid;

	/* Buffered output would otherwise be written twice, once per process. */
	fflush(NULL);
	say("clone(%s)", flag_names(clone_flags()));
	pid = clone(child, stack + STACK_SIZE, clone_flags(), cfg);
	if (pid == -1 && errno == EPERM)
		errx(EXIT_RUNTIME, "clone: creating namespaces needs root (try sudo)");
	if (pid == -1)
		err(EXIT_RUNTIME, "clone");
	return pid;
}

/*
 * DOC: check-rootfs
 * Checked before anything is created. The mount points must be real
 * directories: mount(2) follows symlinks, so a /proc that points to /
 * would mount over the host's root instead of the container's.
 */
static void check_rootfs(const struct config *cfg)
{
	static const char *const dirs[] = {"proc", "sys", "dev"};
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (stat(cfg->rootfs, &st) == -1)
		err(EXIT_RUNTIME, "rootfs %s", cfg->rootfs);
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_RUNTIME, "rootfs %s is not a directory", cfg->rootfs);
	/* pivot_root(2) needs a new root other than the one we have. */
	if (realpath(cfg->rootfs, path) && strcmp(path, "/") == 0)
		errx(EXIT_RUNTIME, "rootfs %s is the host's own root: the container needs one of its own",
		     cfg->rootfs);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->rootfs, dirs[i]);
		if (lstat(path, &st) == -1)
			err(EXIT_RUNTIME, "rootfs %s has no /%s", cfg->rootfs, dirs[i]);
		if (S_ISLNK(st.st_mode))
			errx(EXIT_RUNTIME, "rootfs %s: /%s is a symlink", cfg->rootfs, dirs[i]);
		if (!S_ISDIR(st.st_mode))
			errx(EXIT_RUNTIME, "rootfs %s: /%s is not a directory", cfg->rootfs, dirs[i]);
	}
}

/*
 * DOC: pid-file
 * A regular file, or nothing: not a symlink, a FIFO or a device, which
 * would be replaced. It is written whole, into a new file beside it that
 * is then renamed over it, so a reader never finds it empty or half
 * written. At exit it is removed only if it is still the file we wrote.
 */
static void write_pid_file(struct config *cfg)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd, saved;

	if (!cfg->pid_file)
		return;
	if (lstat(cfg->pid_file, &st) == 0 && !S_ISREG(st.st_mode))
		errx(EXIT_RUNTIME, "pid file %s is not a regular file", cfg->pid_file);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", cfg->pid_file) >= sizeof(tmp))
		errx(EXIT_RUNTIME, "pid file %s: path too long", cfg->pid_file);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1)
		err(EXIT_RUNTIME, "pid file %s", cfg->pid_file);
	if (fchmod(fd, 0644) == -1 || dprintf(fd, "%d\n", cfg->child) < 0 || fstat(fd, &st) == -1 ||
	    close(fd) == -1 || rename(tmp, cfg->pid_file) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		err(EXIT_RUNTIME, "pid file %s", cfg->pid_file);
	}
	cfg->pid_dev = st.st_dev;
	cfg->pid_ino = st.st_ino;
}

/* Remove the pid file if it is still the one we wrote. */
static void remove_pid_file(struct config *cfg)
{
	struct stat st;

	if (cfg->pid_ino && lstat(cfg->pid_file, &st) == 0 && st.st_dev == cfg->pid_dev &&
	    st.st_ino == cfg->pid_ino && unlink(cfg->pid_file) == -1)
		warn("remove pid file %s", cfg->pid_file);
	cfg->pid_ino = 0;
}

/* Clone each volume's mounts, on the host, before clone(): see volume. */
static void clone_volumes(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nvolumes; i++)
		cfg->volumes[i].tree = clone_volume(&cfg->volumes[i]);
}

/* The child has its own descriptors for the clones: ours go. */
static void hand_over_volumes(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nvolumes; i++) {
		if (cfg->volumes[i].tree == -1)
			continue;
		close(cfg->volumes[i].tree);
		cfg->volumes[i].tree = -1;
	}
}

/* Everything the parent must do before the child may go on. */
static void prepare_child(struct config *cfg)
{
	write_pid_file(cfg);
	hand_over_volumes(cfg); /* 03-mnt */
}

/*
 * Our end stays open until we exit, so the child can also use the pipe to
 * tell whether we are still alive: it reads end-of-file once we are gone.
 */
static void release_child(int sync_fd)
{
	say("release the child (write to the sync pipe)");
	if (write(sync_fd, "1", 1) != 1)
		err(EXIT_RUNTIME, "write to sync pipe");
}

/* Wait for the child; its end becomes our exit status. */
static int wait_child(struct config *cfg)
{
	int status;

	while (waitpid(cfg->child, &status, 0) == -1)
		if (errno != EINTR)
			err(EXIT_RUNTIME, "waitpid");
	cfg->child = 0;
	forward_to = 0;
	return exit_status(status);
}

/*
 * DOC: cleanup
 * The one place that undoes host state. It runs at every exit of the
 * parent once the child exists, including err() on a failed setup: the
 * child is killed and reaped first, then what the parent created goes.
 */
static struct config *cleanup_cfg;

static void cleanup(void)
{
	struct config *cfg = cleanup_cfg;
	sigset_t handled;

	/* Nothing interrupts the clean-up: a signal that comes now waits. */
	handled_signals(&handled);
	if (sigprocmask(SIG_BLOCK, &handled, NULL) == -1)
		warn("sigprocmask");
	if (cfg->child > 0) {
		/* Its whole group: in 01-uts, with no PID 1 to take them along,
		 * the command's children would outlive it. */
		signal_command(cfg->child, SIGKILL);
		while (waitpid(cfg->child, NULL, 0) == -1 && errno == EINTR)
			;
		cfg->child = 0;
	}
	remove_pid_file(cfg);
}

/*
 * Our exit status. After an ending signal (see ending_signals) the
 * container is gone: clean up, then end the way the signal would have
 * ended us, so the caller sees what happened.
 */
static int finish(int status)
{
	sigset_t sig;

	if (!ending_signal)
		return status;
	cleanup();
	sigemptyset(&sig);
	sigaddset(&sig, ending_signal);
	if (signal(ending_signal, SIG_DFL) == SIG_ERR || raise(ending_signal) != 0 ||
	    sigprocmask(SIG_UNBLOCK, &sig, NULL) == -1)
		warn("raise signal %d", ending_signal);
	return 128 + ending_signal;
}

int main(int argc, char *argv[])
{
	static struct config cfg; /* static: cleanup() runs after main returns */
	sigset_t handled;

	/* err(3) writes a message in pieces; buffered to the end of its line,
	 * it leaves in one write(2), which the container, narrating on the
	 * same stderr (-v), cannot cut into. */
	if (setvbuf(stderr, NULL, _IOLBF, BUFSIZ) != 0)
		errx(EXIT_RUNTIME, "setvbuf failed");
	/* DOC: block-signals
	 * Until their handlers are in place in every process (see signals). */
	handled_signals(&handled);
	if (sigprocmask(SIG_BLOCK, &handled, &cfg.caller_mask) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	parse_args(&cfg, argc, argv);
	check_rootfs(&cfg); /* 03-mnt */
	clone_volumes(&cfg); /* 03-mnt */
	if (pipe2(cfg.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_RUNTIME, "pipe2");
	cfg.child = spawn_child(&cfg);
	/* Registered after clone(), so the child does not inherit it. */
	cleanup_cfg = &cfg;
	if (atexit(cleanup) != 0)
		errx(EXIT_RUNTIME, "atexit failed");
	forward_to = cfg.child;
	runtime_signals();
	close(cfg.sync_pipe[0]);
	prepare_child(&cfg);
	release_child(cfg.sync_pipe[1]);
	/* The container is ready for signals: let them come. */
	if (sigprocmask(SIG_SETMASK, &cfg.caller_mask, NULL) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	return finish(wait_child(&cfg));
}
