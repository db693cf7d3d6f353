/*
 * 09-overlay-cgroup-seccomp: a complete small container runtime.
 *
 * Adds:      overlayfs layers (--layer, --upper) over a rootfs that is never
 *            written; --memory, --cpus and --pids-limit in the container's
 *            cgroup; and the hardening real runtimes do: capabilities cut to
 *            Docker's default fourteen, no_new_privs, masked and read-only
 *            paths in /proc and /sys, no inherited descriptors, and a
 *            seccomp filter, installed last, just before exec. And what
 *            users of a runtime do all day: -t, a terminal of the
 *            container's own; --name, with ps, kill, and exec into a
 *            running container (part 5 of the chapter).
 * Still shared with the host: the kernel itself, and the wall clock.
 *            No LSM policy (AppArmor, SELinux) is applied.
 * Chapter:   steps/09-overlay-cgroup-seccomp/README.md
 *
 * The skeleton fixed here carries every later step: the config struct, the
 * option table, the parent/child sync pipe, one cleanup path, and the code
 * that turns the child's end into our exit status.
 *
 * Build: cc -Wall -Wextra -o container container.c
 * Run:   sudo ./container --rootfs ../../build/rootfs --hostname demo -- sh
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/veth.h>

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

/* 08-time: Linux 5.6 added time namespaces; older headers lack the flag. */
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* 05-net: without --ip, container N gets 10.200.0.0/16's N-th /30. */
#define NET_BASE   0x0ac80000 /* 10.200.0.0 */
#define NET_SLOTS  16384
#define NL_BUFSIZE 8192

/* 06-user: as root, container uids 0..65535 are host uids 100000..165535. */
#define MAP_DEFAULT "0:100000:65536"

/* 06-user: idmapped mounts (Linux 5.12), for a glibc older than 2.36. */
#ifndef MOUNT_ATTR_IDMAP
#define MOVE_MOUNT_T_SYMLINKS   0x00000010
#define MOUNT_ATTR_IDMAP        0x00100000
#endif

/* 07-cgroup: container N's cgroup is CGROUP_PARENT/ctr-N in each hierarchy
 * that holds one of controllers[]; inside, they are mounted at CGROUP_ROOT. */
#define CGROUP_ROOT   "/sys/fs/cgroup"
#define CGROUP_PARENT "containers-from-scratch"

/* 07-cgroup: where runtimes hold the locks that say they are alive. */
#define STATE_DIR "/run/containers-from-scratch"

/*
 * 07-cgroup: the controllers we use: on v1 each is in a hierarchy of the
 * host's making, on v2 they are enabled for our cgroups. 09 sets their limits.
 */
static const char *const controllers[] = {"memory", "cpu", "pids"};
#define NCONTROLLERS (sizeof(controllers) / sizeof(controllers[0]))

/* 07-cgroup: one cgroup hierarchy, as the host mounts it. */
struct hierarchy {
	char dir[256];     /* its mount point: /sys/fs/cgroup/cpu,cpuacct */
	char options[256]; /* v1: what mount(2) must ask for: "cpu,cpuacct"; v2: "" */
};

/* 09: at most this many --layer options. */
#define MAX_LAYERS 16

/* 09: --cpus N allows N * CPU_PERIOD_US of CPU time every CPU_PERIOD_US. */
#define CPU_PERIOD_US 100000

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
	char *net;     /* 05-net: "veth" or "none" */
	char *ip;      /* 05-net: --ip ADDR/PREFIX for eth0 */
	struct in_addr host_ip, ctr_ip; /* 05-net [parent] without --ip */
	int prefix;
	char veth[IFNAMSIZ]; /* 05-net [parent]: the host end, once it exists */
	char *uid_map;       /* 06-user: INSIDE:OUTSIDE:COUNT */
	char *gid_map;
	int rootless;        /* 06-user: run by an ordinary user */
	const char *net_note; /* 06-user: why there is no veth */
	char *idmap;          /* 06-user: --idmap yes|no */
	int rootfs_tree;      /* 06-user: a clone of the rootfs's mount, or -1 */
	int idmapped;         /* 06-user [parent]: that clone has the container's map */
	const char *tree_call; /* 06-user [parent]: else the call that failed, and why */
	int tree_errno;
	int cgroup_v2;        /* 07-cgroup: the host's hierarchy is v2 */
	struct hierarchy cgroups[NCONTROLLERS]; /* 07-cgroup: those holding controllers[] */
	size_t ncgroups;      /* 07-cgroup: how many; v2 has one */
	int cgroup_made;      /* 07-cgroup [parent]: our cgroup may exist */
	char name[32];        /* 07-cgroup [parent]: our cgroup's, see take_name() */
	int lock_fd;          /* 07-cgroup [parent]: our lock on STATE_DIR/NAME.lock */
	int cgroup_fd;        /* 07-cgroup [parent]: v2: our cgroup until clone3(), or -1 */
	int born_in_cgroup;   /* 07-cgroup [parent]: clone3() started the child there */
	int cleanup_only;     /* 07-cgroup: --cleanup */
	long uptime;          /* 08-time: the container's clocks start here */
	char *layers[MAX_LAYERS]; /* 09: read-only layers over the rootfs, lowest first */
	int nlayers;
	char *upper;          /* 09: --upper DIR, kept after exit; NULL: a tmpfs */
	char work[PATH_MAX];  /* 09: overlay's work dir beside --upper */
	int layer_trees[MAX_LAYERS]; /* 09: clones of the layers' mounts, or -1 */
	int upper_tree;       /* 09: a clone of the mount of --upper's directory, or -1 */
	int upper_idmapped;   /* 09 [parent]: that clone has the container's map */
	int upper_made;       /* 09 [parent]: we made --upper DIR: remove it if the run fails */
	int upper_fd;         /* 09 [parent]: --upper DIR, locked while we run */
	int work_parent;      /* 09 [parent]: the directory that holds the work dir */
	int work_made;        /* 09 [parent]: the work dir is ours to remove */
	int status;           /* 09 [parent]: the exit status, once known */
	char *memory;         /* 09: the limits as given, for messages */
	char *cpus;
	char *pids_limit;
	long long memory_bytes;
	long cpu_quota_us;    /* per CPU_PERIOD_US */
	long pids_max;
	char *user;           /* 09: --user UID[:GID], as given */
	uid_t uid;            /* 09: ...as numbers */
	gid_t gid;
	char *workdir;        /* 09: --workdir DIR */
	int read_only;        /* 09: --read-only */
	char *tmpfs[MAX_VOLUMES]; /* 09: --tmpfs PATH */
	int ntmpfs;
	unsigned long long cap_add, cap_drop; /* 09: --cap-add, --cap-drop, one bit each */
	int cap_add_all, cap_drop_all;        /* 09: ... ALL */
	char **argv;   /* the command and its arguments */
	char *env[MAX_ENV]; /* -e KEY=VALUE, for the command's environment */
	int nenv;
	const char *term; /* the caller's TERM, if its input is a terminal */
	int tty;              /* 09: -t: the command gets a terminal of its own */
	struct winsize window; /* 09: -t: the caller's window size, at the start */
	char *ctr_name;       /* 09: --name */
	int reports_ready;    /* 09: -t or --name: the child says when it is made */
	int ready_sock[2];    /* 09: it says so on [1], the parent hears it on [0] */
	int master;           /* 09 [parent]: -t: the terminal's master side, or -1 */
	struct termios saved_termios; /* 09 [parent]: our terminal's settings ... */
	int raw;              /* 09 [parent]: ... to restore while this is set */
	int name_fd;          /* 09 [parent]: our lock on STATE_DIR/name-NAME.lock, or -1 */
	const char *join;     /* 09: exec: the name of the container to join */
	sigset_t caller_mask; /* the signal mask we were started with */
	int sync_pipe[2]; /* the child waits on [0]; the parent writes [1] */
	pid_t child;   /* [parent] host PID of the container's first process */
};

static int verbose;
/* 07-cgroup: set in the container's processes. They inherit the runtime's
 * atexit(cleanup), registered before clone(), and must not run it. */
static int in_container;
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
		"  --net veth|none    a veth pair to the host (default), or loopback only\n"
		"  --ip ADDR/PREFIX   eth0's address (default: a free 10.200.x.y/30)\n"
		"  --uid-map 0:OUTSIDE:COUNT  container uids 0..COUNT-1 are host uids\n"
		"                     OUTSIDE.. (default " MAP_DEFAULT ", rootless 0:UID:1)\n"
		"  --gid-map 0:OUTSIDE:COUNT  the same for gids (default: as --uid-map)\n"
		"  --idmap yes|no     show the rootfs through an idmapped mount, so that\n"
		"                     root inside owns what host root owns (default yes)\n"
		"  --cleanup          remove cgroups left by runtimes that were killed, and exit\n"
		"  --uptime SECONDS   the container's monotonic and boot clocks start here (0)\n"
		"  --layer DIR        a read-only layer over the rootfs (repeatable; last on top)\n"
		"  --upper DIR        keep the container's writes in DIR (default: a tmpfs,\n"
		"                     gone at exit); DIR can later be given as a --layer\n"
		"  --memory SIZE      memory limit, e.g. 64M (suffixes K, M, G)\n"
		"  --cpus N           CPU limit in CPUs, fractions allowed, e.g. 0.5\n"
		"  --pids-limit N     at most N processes in the container\n"
		"  --user UID[:GID]   run the command as this user (numbers; GID default 0),\n"
		"                     with no supplementary groups and no capabilities\n"
		"  --workdir DIR      start the command in DIR, made if missing (default /)\n"
		"  --read-only        mount the container's root filesystem read-only\n"
		"  --tmpfs PATH       an empty tmpfs at PATH (repeatable)\n"
		"  --cap-add CAP      give the command capability CAP, e.g. NET_ADMIN, or ALL\n"
		"  --cap-drop CAP     take CAP away, e.g. CHOWN, or ALL (both repeatable)\n"
		"  -e, --env KEY=VALUE  set a variable in the command's environment (repeatable)\n"
		"  -t, --tty          give the command a terminal of its own (stdin must be one)\n"
		"  --name NAME        name the running container, for ps, kill and exec\n"
		"  -v, --verbose      narrate each kernel call on stderr\n"
		"  -h, --help         show this help\n"
		"\n"
		"       container exec [-t] [-e KEY=VALUE]... NAME [--] COMMAND [ARG...]\n"
		"       container ps\n"
		"       container kill [-s SIGNAL] NAME\n"
		"Run COMMAND in the running container NAME; list the running containers\n"
		"that have a name; send one a signal (default KILL).\n"
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
 * DOC: addresses
 * --ip ADDR/PREFIX names eth0's address; the host end takes the first other
 * address of that network. Without it, addresses come from the container's
 * slot, chosen in setup_veth().
 */
static void parse_net(struct config *cfg)
{
	char addr[INET_ADDRSTRLEN], *slash, *end;
	uint32_t ctr, mask, net;
	long prefix;

	if (!cfg->net && cfg->rootless)
		cfg->net_note = "rootless: no veth without root, so loopback only (--net none)";
	if (!cfg->net)
		cfg->net = cfg->rootless ? "none" : "veth";
	if (strcmp(cfg->net, "veth") != 0 && strcmp(cfg->net, "none") != 0)
		errx(EXIT_RUNTIME, "--net %s: expected veth or none", cfg->net);
	if (cfg->rootless && strcmp(cfg->net, "veth") == 0)
		errx(EXIT_RUNTIME, "--net veth needs root: a veth pair is made on the host");
	if (!cfg->ip)
		return;
	if (strcmp(cfg->net, "veth") != 0)
		errx(EXIT_RUNTIME, "--ip needs --net veth");
	slash = strchr(cfg->ip, '/');
	if (!slash || slash - cfg->ip >= (long)sizeof(addr))
		errx(EXIT_RUNTIME, "--ip %s: expected ADDR/PREFIX, e.g. 10.0.3.2/24", cfg->ip);
	memcpy(addr, cfg->ip, slash - cfg->ip);
	addr[slash - cfg->ip] = '\0';
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &cfg->ctr_ip) != 1)
		errx(EXIT_RUNTIME, "--ip %s: %s is not an IPv4 address", cfg->ip, addr);
	if (errno || *end || end == slash + 1 || prefix < 8 || prefix > 30)
		errx(EXIT_RUNTIME, "--ip %s: the prefix must be a number from 8 to 30", cfg->ip);
	cfg->prefix = prefix;
	ctr = ntohl(cfg->ctr_ip.s_addr);
	mask = ~0u << (32 - prefix);
	net = ctr & mask;
	if (ctr == net || ctr == (net | ~mask))
		errx(EXIT_RUNTIME, "--ip %s: that is the network's own or broadcast address", cfg->ip);
	cfg->host_ip.s_addr = htonl(ctr == net + 1 ? net + 2 : net + 1);
}

/* One map, "0:OUTSIDE:COUNT", checked; OPTION names it in errors. */
static void check_map(const char *option, const char *map)
{
	unsigned long inside, outside, count;
	char end;

	/* Digits and colons only: sscanf alone would take " 0", "+5" or "-1". */
	if (strlen(map) > 32 || strspn(map, "0123456789:") != strlen(map) ||
	    sscanf(map, "%lu:%lu:%lu%c", &inside, &outside, &count, &end) != 3)
		errx(EXIT_RUNTIME, "--%s %s: expected INSIDE:OUTSIDE:COUNT, e.g. %s", option, map,
		     MAP_DEFAULT);
	if (inside != 0)
		errx(EXIT_RUNTIME, "--%s %s: the map must start at 0, the container's root", option,
		     map);
	if (count == 0 || outside > UINT32_MAX - 1 || count > UINT32_MAX - outside)
		errx(EXIT_RUNTIME, "--%s %s: COUNT must be 1 or more and fit in 32 bits", option, map);
}

/*
 * DOC: maps
 * Run by root, the container gets a range of host ids nobody else uses.
 * An ordinary user may map just one id, their own, to root inside: the
 * kernel allows more only through the setuid helpers newuidmap(1) and
 * newgidmap(1), which this runtime does not use.
 */
static void parse_maps(struct config *cfg)
{
	static char uid_map[32], gid_map[32];

	cfg->rootless = geteuid() != 0;
	if (cfg->rootless) {
		snprintf(uid_map, sizeof(uid_map), "0:%u:1", (unsigned)geteuid());
		snprintf(gid_map, sizeof(gid_map), "0:%u:1", (unsigned)getegid());
	}
	if (!cfg->uid_map)
		cfg->uid_map = cfg->rootless ? uid_map : MAP_DEFAULT;
	if (!cfg->gid_map)
		cfg->gid_map = cfg->rootless ? gid_map : cfg->uid_map;
	check_map("uid-map", cfg->uid_map);
	check_map("gid-map", cfg->gid_map);
	if (!cfg->idmap)
		cfg->idmap = "yes";
	if (strcmp(cfg->idmap, "yes") != 0 && strcmp(cfg->idmap, "no") != 0)
		errx(EXIT_RUNTIME, "--idmap %s: expected yes or no", cfg->idmap);
}

/* Whether WORD is an item of LIST, items separated by SEP: "cpu" is one
 * of "cpu,cpuacct" but not of "cpuset". */
static int has_item(const char *list, const char *word, char sep)
{
	size_t n = strlen(word);
	const char *p = list;

	for (;;) {
		if (strncmp(p, word, n) == 0 && (p[n] == sep || p[n] == '\0' || p[n] == '\n'))
			return 1;
		p = strchr(p, sep);
		if (!p)
			return 0;
		p++;
	}
}

/* The hierarchy that holds CONTROLLER: v2's only one, or a v1 one; NULL if none. */
static const struct hierarchy *cgroup_holding(const struct config *cfg, const char *controller)
{
	size_t i;

	if (cfg->cgroup_v2)
		return &cfg->cgroups[0];
	for (i = 0; i < cfg->ncgroups; i++)
		if (has_item(cfg->cgroups[i].options, controller, ','))
			return &cfg->cgroups[i];
	return NULL;
}

/* mountinfo writes a space in a path as \040, a backslash as \134: undo it. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++, out++)
		if (s[0] == '\\' && strspn(s + 1, "01234567") >= 3) {
			*out = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 3;
		} else {
			*out = *s;
		}
	*out = '\0';
}

/*
 * Keep the v1 hierarchy mounted at DIR if it holds one of our controllers
 * that no kept one holds, so each is kept once however often it is
 * mounted, and there are never more than NCONTROLLERS. SUPER is its
 * superblock's options: "rw,cpu,cpuacct". A mount of it must name the same
 * set, less "rw", which is the mount's, and "release_agent=", which only
 * the host's root may set.
 */
static void keep_v1_hierarchy(struct config *cfg, const char *dir, char *super)
{
	struct hierarchy *h = &cfg->cgroups[cfg->ncgroups];
	char *opt, *save;
	size_t i;

	for (i = 0; i < NCONTROLLERS; i++)
		if (has_item(super, controllers[i], ',') && !cgroup_holding(cfg, controllers[i]))
			break;
	if (i == NCONTROLLERS)
		return;
	if (snprintf(h->dir, sizeof(h->dir), "%s", dir) >= (int)sizeof(h->dir))
		errx(EXIT_RUNTIME, "cgroup mount point %s: too long", dir);
	for (opt = strtok_r(super, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (!strcmp(opt, "rw") || !strcmp(opt, "ro") || !strncmp(opt, "release_agent=", 14))
			continue;
		if (strlen(h->options) + strlen(opt) + 2 > sizeof(h->options))
			errx(EXIT_RUNTIME, "cgroup hierarchy %s: too many options", dir);
		if (h->options[0])
			strcat(h->options, ",");
		strcat(h->options, opt);
	}
	cfg->ncgroups++;
}

/*
 * DOC: cgroup-version
 * Where the hierarchies are, /proc/self/mountinfo says; their directory
 * names are the host's choice. A line reads
 *   36 25 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid ... - cgroup cgroup rw,cpu,cpuacct
 * with the mount point fifth, and after " - " the type, the source and
 * the superblock's options, which for v1 name the hierarchy's controllers.
 * v1 can put several controllers in one hierarchy: systemd joins cpu with
 * cpuacct, net_cls with net_prio. cgroup v2 has one hierarchy, which holds
 * the controllers v1 does not: we use it when v1 holds none of ours.
 * "Hybrid" hosts mount an empty v2 at /sys/fs/cgroup/unified beside v1's.
 */
static void find_cgroups(struct config *cfg)
{
	char *line = NULL, dir[PATH_MAX], type[32], super[1024], v2[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "r");
	size_t size = 0, i;
	const char *sep;

	if (!f)
		err(EXIT_RUNTIME, "open /proc/self/mountinfo");
	while (getline(&line, &size, f) != -1) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", dir) != 1 ||
		    sscanf(sep + 3, "%31s %*s %1023s", type, super) != 2)
			continue;
		unescape(dir);
		if (strcmp(type, "cgroup") == 0)
			keep_v1_hierarchy(cfg, dir, super);
		else if (strcmp(type, "cgroup2") == 0 && !v2[0])
			snprintf(v2, sizeof(v2), "%s", dir);
	}
	free(line);
	fclose(f);
	if (cfg->ncgroups == 0 && v2[0]) {
		if (snprintf(cfg->cgroups[0].dir, sizeof(cfg->cgroups[0].dir), "%s", v2) >=
		    (int)sizeof(cfg->cgroups[0].dir))
			errx(EXIT_RUNTIME, "cgroup mount point %s: too long", v2);
		cfg->cgroup_v2 = 1;
		cfg->ncgroups = 1;
	}
	for (i = 0; i < NCONTROLLERS; i++)
		if (!cgroup_holding(cfg, controllers[i]))
			errx(EXIT_RUNTIME, "no mounted cgroup hierarchy holds the %s controller "
			     "(see /proc/self/mountinfo)", controllers[i]);
}

/* --uptime: whole seconds, from 0 to ten years. */
static void parse_uptime(struct config *cfg, const char *text)
{
	char *end;

	if (!text)
		return;
	errno = 0;
	cfg->uptime = strtol(text, &end, 10);
	/* strtol alone would also take " 5" and "+5". */
	if (errno || *end || end == text || !isdigit((unsigned char)text[0]) ||
	    cfg->uptime < 0 || cfg->uptime > 315360000)
		errx(EXIT_RUNTIME, "--uptime %s: expected whole seconds from 0 to 315360000", text);
}

/*
 * DOC: limits
 * Docker's spelling: --memory 64M, --cpus 0.5, --pids-limit 100. Checked
 * here, before anything exists, so a typo costs nothing to undo.
 */
static void parse_limits(struct config *cfg)
{
	char *end;
	double cpus;

	if (cfg->rootless && (cfg->memory || cfg->cpus || cfg->pids_limit))
		errx(EXIT_RUNTIME, "--memory, --cpus and --pids-limit need root: cgroups are made "
				   "on the host");
	if (cfg->memory) {
		int shift = 0;

		errno = 0;
		cfg->memory_bytes = strtoll(cfg->memory, &end, 10);
		if (end != cfg->memory && *end && strchr("kKmMgG", *end))
			shift = strchr("kK", *end) ? 10 : strchr("mM", *end) ? 20 : 30, end++;
		/* Compare before shifting, which could overflow. */
		if (errno || end == cfg->memory || *end || !isdigit((unsigned char)cfg->memory[0]) ||
		    cfg->memory_bytes > (1LL << 40) >> shift ||
		    (cfg->memory_bytes <<= shift) < (4LL << 20))
			errx(EXIT_RUNTIME, "--memory %s: expected a size from 4M to 1024G, e.g. 64M",
			     cfg->memory);
	}
	if (cfg->cpus) {
		errno = 0;
		cpus = strtod(cfg->cpus, &end);
		/* Plain decimals: strtod would also take "0x1", "inf" or " 1". */
		if (errno || end == cfg->cpus || *end || strspn(cfg->cpus, "0123456789.") != strlen(cfg->cpus) ||
		    !(cpus >= 0.01 && cpus <= 1024))
			errx(EXIT_RUNTIME, "--cpus %s: expected a number of CPUs from 0.01 to 1024",
			     cfg->cpus);
		cfg->cpu_quota_us = (long)(cpus * CPU_PERIOD_US + 0.5);
	}
	if (cfg->pids_limit) {
		errno = 0;
		cfg->pids_max = strtol(cfg->pids_limit, &end, 10);
		if (errno || end == cfg->pids_limit || *end || !isdigit((unsigned char)cfg->pids_limit[0]) ||
		    cfg->pids_max < 2 ||
		    cfg->pids_max > 4194304)
			errx(EXIT_RUNTIME, "--pids-limit %s: expected a number from 2 (our init and "
					   "the command) to 4194304", cfg->pids_limit);
	}
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

/*
 * DOC: user-parse
 * --user UID[:GID], as numbers: looking a name up would mean reading the
 * container's /etc/passwd, which the container controls. Without GID the
 * group is 0, as Docker makes it for a uid its image does not name.
 */
static void parse_user(struct config *cfg)
{
	unsigned long long uid, gid = 0;
	char end;
	int n;

	if (!cfg->user)
		return;
	n = sscanf(cfg->user, "%llu:%llu%c", &uid, &gid, &end);
	if (strspn(cfg->user, "0123456789:") != strlen(cfg->user) || strlen(cfg->user) > 21 ||
	    !isdigit((unsigned char)cfg->user[0]) || (n != 1 && n != 2) ||
	    (n == 1 && strchr(cfg->user, ':')) || cfg->user[strlen(cfg->user) - 1] == ':')
		errx(EXIT_RUNTIME, "--user %s: expected UID or UID:GID, as numbers", cfg->user);
	if (uid >= UINT32_MAX || gid >= UINT32_MAX)
		errx(EXIT_RUNTIME, "--user %s: ids go up to %u", cfg->user, UINT32_MAX - 1);
	cfg->uid = uid;
	cfg->gid = gid;
}

#ifndef CAP_PERFMON
#define CAP_PERFMON            38 /* Linux 5.8 */
#define CAP_BPF                39
#define CAP_CHECKPOINT_RESTORE 40 /* Linux 5.9 */
#endif

/* The capabilities by number, named as Docker names them. */
#define CAP(name) [CAP_##name] = #name
static const char *const capability_names[] = {
	CAP(CHOWN), CAP(DAC_OVERRIDE), CAP(DAC_READ_SEARCH), CAP(FOWNER), CAP(FSETID),
	CAP(KILL), CAP(SETGID), CAP(SETUID), CAP(SETPCAP), CAP(LINUX_IMMUTABLE),
	CAP(NET_BIND_SERVICE), CAP(NET_BROADCAST), CAP(NET_ADMIN), CAP(NET_RAW), CAP(IPC_LOCK),
	CAP(IPC_OWNER), CAP(SYS_MODULE), CAP(SYS_RAWIO), CAP(SYS_CHROOT), CAP(SYS_PTRACE),
	CAP(SYS_PACCT), CAP(SYS_ADMIN), CAP(SYS_BOOT), CAP(SYS_NICE), CAP(SYS_RESOURCE),
	CAP(SYS_TIME), CAP(SYS_TTY_CONFIG), CAP(MKNOD), CAP(LEASE), CAP(AUDIT_WRITE),
	CAP(AUDIT_CONTROL), CAP(SETFCAP), CAP(MAC_OVERRIDE), CAP(MAC_ADMIN), CAP(SYSLOG),
	CAP(WAKE_ALARM), CAP(BLOCK_SUSPEND), CAP(AUDIT_READ), CAP(PERFMON), CAP(BPF),
	CAP(CHECKPOINT_RESTORE),
};
#undef CAP

/*
 * DOC: cap-names
 * --cap-add and --cap-drop take a capability as Docker does: NET_ADMIN,
 * CAP_NET_ADMIN or net_admin, or ALL. OPTION names it in errors.
 */
static void parse_capability(const char *option, const char *name, unsigned long long *caps,
			     int *all)
{
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	size_t i;

	for (i = 0; i < sizeof(capability_names) / sizeof(capability_names[0]); i++)
		if (capability_names[i] && strcasecmp(bare, capability_names[i]) == 0)
			break;
	if (strcasecmp(name, "ALL") == 0 ? *all : i < 64 && (*caps & (1ULL << i)))
		errx(EXIT_RUNTIME, "--%s %s: given twice", option, name);
	if (strcasecmp(name, "ALL") == 0) {
		*all = 1;
		return;
	}
	if (i < sizeof(capability_names) / sizeof(capability_names[0])) {
		*caps |= 1ULL << i;
		return;
	}
	errx(EXIT_RUNTIME, "--%s %s: no such capability (e.g. NET_ADMIN, SYS_ADMIN, ALL)", option,
	     name);
}

/* Paths inside the container, checked before anything starts. */
static void check_inside_path(const char *option, const char *path)
{
	if (path[0] != '/')
		errx(EXIT_RUNTIME, "--%s %s: the path in the container must start with /", option, path);
	if (strlen(path) >= PATH_MAX)
		errx(EXIT_RUNTIME, "--%s: the path in the container is too long", option);
}

enum {
	OPT_HOSTNAME = 256,
	OPT_PID_FILE,
	OPT_ROOTFS,
	OPT_VOLUME,
	OPT_NET,
	OPT_IP,
	OPT_UID_MAP,
	OPT_GID_MAP,
	OPT_IDMAP,
	OPT_CLEANUP,
	OPT_UPTIME,
	OPT_LAYER,
	OPT_UPPER,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_PIDS_LIMIT,
	OPT_NAME,
	OPT_USER,
	OPT_WORKDIR,
	OPT_READ_ONLY,
	OPT_TMPFS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
};

/* 09: one -e KEY=VALUE, for run and exec alike. */
static void add_env(struct config *cfg, char *arg)
{
	if (cfg->nenv == MAX_ENV)
		errx(EXIT_RUNTIME, "at most %d -e options", MAX_ENV);
	if (arg[0] == '=' || !strchr(arg, '='))
		errx(EXIT_RUNTIME, "--env %s: expected KEY=VALUE", arg);
	cfg->env[cfg->nenv++] = arg;
}

/* 09: a container's name: what Docker allows, less '.', which the state
 * directory's file names use. */
static void check_name(const char *what, const char *name)
{
	if (strlen(name) > 40 || !isalnum((unsigned char)name[0]) ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
		    strlen(name))
		errx(EXIT_RUNTIME, "%s %s: expected a letter or digit, then letters, digits, - or _, "
		     "at most 40", what, name);
}

/* 09: -t needs our input to be a terminal, whose size the command starts with. */
static void check_tty(struct config *cfg)
{
	if (!cfg->tty)
		return;
	if (!isatty(STDIN_FILENO))
		errx(EXIT_RUNTIME, "-t needs a terminal on standard input");
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &cfg->window) == -1)
		err(EXIT_RUNTIME, "read the terminal's window size");
	cfg->reports_ready = 1;
}

static void parse_args(struct config *cfg, int argc, char *argv[])
{
	static const struct option options[] = {
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"rootfs", required_argument, NULL, OPT_ROOTFS},
		{"volume", required_argument, NULL, OPT_VOLUME},
		{"net", required_argument, NULL, OPT_NET},
		{"ip", required_argument, NULL, OPT_IP},
		{"uid-map", required_argument, NULL, OPT_UID_MAP},
		{"gid-map", required_argument, NULL, OPT_GID_MAP},
		{"idmap", required_argument, NULL, OPT_IDMAP},
		{"cleanup", no_argument, NULL, OPT_CLEANUP},
		{"uptime", required_argument, NULL, OPT_UPTIME},
		{"layer", required_argument, NULL, OPT_LAYER},
		{"upper", required_argument, NULL, OPT_UPPER},
		{"memory", required_argument, NULL, OPT_MEMORY},
		{"cpus", required_argument, NULL, OPT_CPUS},
		{"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
		{"name", required_argument, NULL, OPT_NAME},
		{"user", required_argument, NULL, OPT_USER},
		{"workdir", required_argument, NULL, OPT_WORKDIR},
		{"read-only", no_argument, NULL, OPT_READ_ONLY},
		{"tmpfs", required_argument, NULL, OPT_TMPFS},
		{"cap-add", required_argument, NULL, OPT_CAP_ADD},
		{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
		{"env", required_argument, NULL, 'e'},
		{"tty", no_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char *uptime = NULL;
	int opt, i;

	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+:e:tvh", options, NULL)) != -1) {
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
		case OPT_NET:
			set_once(&cfg->net, "net", optarg);
			break;
		case OPT_IP:
			set_once(&cfg->ip, "ip", optarg);
			break;
		case OPT_UID_MAP:
			set_once(&cfg->uid_map, "uid-map", optarg);
			break;
		case OPT_GID_MAP:
			set_once(&cfg->gid_map, "gid-map", optarg);
			break;
		case OPT_IDMAP:
			set_once(&cfg->idmap, "idmap", optarg);
			break;
		case OPT_CLEANUP:
			cfg->cleanup_only = 1;
			break;
		case OPT_UPTIME:
			set_once(&uptime, "uptime", optarg);
			break;
		case OPT_LAYER:
			if (cfg->nlayers == MAX_LAYERS)
				errx(EXIT_RUNTIME, "at most %d --layer options", MAX_LAYERS);
			cfg->layers[cfg->nlayers++] = optarg;
			break;
		case OPT_UPPER:
			set_once(&cfg->upper, "upper", optarg);
			break;
		case OPT_MEMORY:
			set_once(&cfg->memory, "memory", optarg);
			break;
		case OPT_CPUS:
			set_once(&cfg->cpus, "cpus", optarg);
			break;
		case OPT_PIDS_LIMIT:
			set_once(&cfg->pids_limit, "pids-limit", optarg);
			break;
		case OPT_NAME:
			set_once(&cfg->ctr_name, "name", optarg);
			break;
		case OPT_USER:
			set_once(&cfg->user, "user", optarg);
			break;
		case OPT_WORKDIR:
			set_once(&cfg->workdir, "workdir", optarg);
			check_inside_path("workdir", optarg);
			break;
		case OPT_READ_ONLY:
			cfg->read_only = 1;
			break;
		case OPT_TMPFS:
			if (cfg->ntmpfs == MAX_VOLUMES)
				errx(EXIT_RUNTIME, "at most %d --tmpfs options", MAX_VOLUMES);
			check_inside_path("tmpfs", optarg);
			if (strchr(optarg, ':'))
				errx(EXIT_RUNTIME, "--tmpfs %s: takes a path only, without Docker's "
						   ":options", optarg);
			for (i = 0; i < cfg->ntmpfs; i++)
				if (strcmp(cfg->tmpfs[i], optarg) == 0)
					errx(EXIT_RUNTIME, "--tmpfs %s: given twice", optarg);
			cfg->tmpfs[cfg->ntmpfs++] = optarg;
			break;
		case OPT_CAP_ADD:
			parse_capability("cap-add", optarg, &cfg->cap_add, &cfg->cap_add_all);
			break;
		case OPT_CAP_DROP:
			parse_capability("cap-drop", optarg, &cfg->cap_drop, &cfg->cap_drop_all);
			break;
		case 'e':
			add_env(cfg, optarg);
			break;
		case 't':
			cfg->tty = 1;
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
	find_cgroups(cfg);
	if (cfg->cleanup_only && optind < argc)
		errx(EXIT_RUNTIME, "--cleanup takes no command");
	if (cfg->cleanup_only)
		return;
	if (!cfg->rootfs)
		errx(EXIT_RUNTIME, "--rootfs DIR is required (try: make rootfs, then --rootfs build/rootfs)");
	parse_maps(cfg);
	parse_net(cfg);
	parse_uptime(cfg, uptime);
	parse_limits(cfg);
	if (cfg->ctr_name) {
		check_name("--name", cfg->ctr_name);
		if (cfg->rootless)
			errx(EXIT_RUNTIME, "--name needs root: the names are kept in %s", STATE_DIR);
		cfg->reports_ready = 1;
	}
	check_tty(cfg);
	parse_user(cfg);
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
 * rtnetlink, the kernel's network configuration interface, from three small
 * helpers: start a request, append an attribute (nested ones are closed with
 * nl_nest_end), and send it and turn the kernel's answer into an errno.
 */

/* Start a request of TYPE whose fixed part (ifinfomsg, ifaddrmsg, rtmsg) is FIXED. */
static struct nlmsghdr *nl_new(void *buf, int type, int flags, const void *fixed, size_t len)
{
	struct nlmsghdr *n = buf;

	memset(buf, 0, NL_BUFSIZE);
	n->nlmsg_len = NLMSG_LENGTH(len);
	n->nlmsg_type = type;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(n), fixed, len);
	return n;
}

/* Append attribute TYPE holding LEN bytes of DATA; returns it, for nesting. */
static struct rtattr *nl_attr(struct nlmsghdr *n, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	if (NLMSG_ALIGN(n->nlmsg_len) + RTA_SPACE(len) > NL_BUFSIZE)
		errx(EXIT_RUNTIME, "netlink request too long");
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

/* A nested attribute holds every attribute appended since it was opened. */
static void nl_nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/*
 * DOC: netlink-errors
 * Send a request and read the kernel's acknowledgement: an NLMSG_ERROR whose
 * error is 0 for success or a negative errno. Returns 0, or -1 with errno set.
 */
static int nl_talk(int fd, struct nlmsghdr *n)
{
	static char reply[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nlmsghdr *r = (struct nlmsghdr *)reply;
	static unsigned int seq;
	ssize_t len;

	n->nlmsg_seq = ++seq;
	if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -1;
	do
		len = recv(fd, reply, sizeof(reply), 0);
	while (len == -1 && errno == EINTR);
	if (len == -1)
		return -1;
	if (!NLMSG_OK(r, (size_t)len) || r->nlmsg_type != NLMSG_ERROR) {
		errno = EPROTO;
		return -1;
	}
	if (((struct nlmsgerr *)NLMSG_DATA(r))->error) {
		errno = -((struct nlmsgerr *)NLMSG_DATA(r))->error;
		return -1;
	}
	return 0;
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd == -1)
		err(EXIT_RUNTIME, "netlink socket");
	return fd;
}

/* The index of interface NAME in this network namespace. */
static int ifindex(const char *name)
{
	unsigned int index = if_nametoindex(name);

	if (index == 0)
		err(EXIT_RUNTIME, "interface %s", name);
	return index;
}

static void link_up(int fd, const char *name)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex(name),
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};
	char buf[NL_BUFSIZE];

	say("netlink RTM_NEWLINK %s up", name);
	if (nl_talk(fd, nl_new(buf, RTM_NEWLINK, 0, &ifi, sizeof(ifi))) == -1)
		err(EXIT_RUNTIME, "bring up %s", name);
}

static void add_address(int fd, const char *name, struct in_addr addr, int prefix)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = prefix,
		.ifa_index = ifindex(name),
	};
	char buf[NL_BUFSIZE];
	struct nlmsghdr *n;

	say("netlink RTM_NEWADDR %s/%d on %s", inet_ntoa(addr), prefix, name);
	n = nl_new(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	nl_attr(n, IFA_LOCAL, &addr, sizeof(addr));
	nl_attr(n, IFA_ADDRESS, &addr, sizeof(addr));
	if (nl_talk(fd, n) == -1)
		err(EXIT_RUNTIME, "add address %s/%d to %s", inet_ntoa(addr), prefix, name);
}

static void add_default_route(int fd, const char *name, struct in_addr gateway)
{
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	int oif = ifindex(name);
	char buf[NL_BUFSIZE];
	struct nlmsghdr *n;

	say("netlink RTM_NEWROUTE default via %s dev %s", inet_ntoa(gateway), name);
	n = nl_new(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
	nl_attr(n, RTA_GATEWAY, &gateway, sizeof(gateway));
	nl_attr(n, RTA_OIF, &oif, sizeof(oif));
	if (nl_talk(fd, n) == -1)
		err(EXIT_RUNTIME, "add default route via %s", inet_ntoa(gateway));
}

/*
 * DOC: veth-create
 * One request makes both ends: NAME here, and its peer, eth0, created
 * directly in the network namespace of process PID. Returns -1 with errno
 * set (EEXIST when NAME is taken).
 */
static int add_veth(int fd, const char *name, pid_t pid)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct rtattr *linkinfo, *data, *peer;
	char buf[NL_BUFSIZE];
	struct nlmsghdr *n;

	say("netlink RTM_NEWLINK %s type veth peer eth0 netns %d", name, pid);
	n = nl_new(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr(n, IFLA_IFNAME, name, strlen(name) + 1);
	linkinfo = nl_attr(n, IFLA_LINKINFO, NULL, 0);
	nl_attr(n, IFLA_INFO_KIND, "veth", strlen("veth"));
	data = nl_attr(n, IFLA_INFO_DATA, NULL, 0);
	peer = nl_attr(n, VETH_INFO_PEER, &ifi, sizeof(ifi));
	nl_attr(n, IFLA_IFNAME, "eth0", strlen("eth0") + 1);
	nl_attr(n, IFLA_NET_NS_PID, &pid, sizeof(pid));
	nl_nest_end(n, peer);
	nl_nest_end(n, data);
	nl_nest_end(n, linkinfo);
	return nl_talk(fd, n);
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

/* An O_PATH descriptor for DIR (relative to AT), as a path overlayfs can
 * take: /proc/self/fd/N. */
static int fd_path(char *buf, size_t len, int at, const char *dir)
{
	int fd = openat(at, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		err(EXIT_RUNTIME, "open %s", dir);
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* The same for TREE, the idmapped clone of DIR's mount: overlayfs takes
 * no detached mount, so it is attached at STAGE first. */
static int tree_path(char *buf, size_t len, int tree, const char *dir, const char *stage)
{
	if (mkdir(stage, 0700) == -1)
		err(EXIT_RUNTIME, "mkdir %s", stage);
	say("move_mount(clone of %s, \"%s\")", dir, stage);
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) == -1)
		err(EXIT_RUNTIME, "move_mount the clone of %s onto %s", dir, stage);
	snprintf(buf, len, "/proc/self/fd/%d", tree);
	return tree;
}

/*
 * DOC: overlay
 * The container sees one tree merged from read-only lower layers (the
 * rootfs at the bottom, each --layer above it) and one writable upper
 * layer. Writes go to the upper; changing a lower file first copies it up;
 * deleting one leaves a whiteout (a 0/0 character device) in the upper.
 * The overlay is mounted over the rootfs path, in our mount namespace
 * only, so what follows (pivot_root) works as in 03-mnt. The lower layers
 * are named through descriptors opened before that mount hides them. The
 * default upper is a tmpfs in this namespace: the host never sees it, and
 * it goes away with the container.
 */
/* Append to the overlay's options; the kernel takes at most a page of them. */
static void add_option(char *options, size_t size, const char *a, const char *b, const char *c)
{
	size_t used = strlen(options);

	if ((size_t)snprintf(options + used, size - used, "%s%s%s", a, b, c) >= size - used)
		errx(EXIT_RUNTIME, "overlay options longer than %zu bytes", size - 1);
}

/*
 * DOC: scratch
 * A rootfs that root inside does not own (no idmap: see no_idmap()) shows
 * its files as nobody's, and overlayfs cannot copy up a file whose owner
 * has no id here (EOVERFLOW): not even /tmp would take a new file. Empty
 * tmpfs mounts on /tmp and /root give root inside somewhere to write.
 */
static void scratch_space(const struct config *cfg)
{
	static const char *const dirs[][2] = {{"tmp", "mode=1777"}, {"root", "mode=700"}};
	char path[PATH_MAX + 8];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cfg->rootfs, dirs[i][0]);
		/* mount(2) would follow a symlink out of the rootfs. */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			do_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, dirs[i][1]);
	}
}

static void setup_overlay(const struct config *cfg)
{
	static const char *const dirs[] = {"proc", "sys", "dev"};
	char options[4096] = "", lower[MAX_LAYERS + 1][64], upper[PATH_MAX + 8], work[PATH_MAX + 8];
	char path[PATH_MAX + 16];
	const char *names[MAX_LAYERS + 1];
	int i, fds[MAX_LAYERS + 4], trees[MAX_LAYERS + 1], at = AT_FDCWD;
	struct stat st;

	/* [0] is the rootfs, [i + 1] the i-th layer. Plain directories are
	 * opened first: the tmpfs below hides the rootfs. */
	names[0] = cfg->rootfs, trees[0] = cfg->rootfs_tree;
	for (i = 0; i < cfg->nlayers; i++)
		names[i + 1] = cfg->layers[i], trees[i + 1] = cfg->layer_trees[i];
	for (i = 0; i <= cfg->nlayers; i++)
		if (trees[i] == -1)
			fds[i] = fd_path(lower[i], sizeof(lower[i]), AT_FDCWD, names[i]);
	/* The default upper layer, and where idmapped clones are attached. */
	if (!cfg->upper || cfg->rootfs_tree != -1)
		do_mount("tmpfs", cfg->rootfs, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
	for (i = 0; i <= cfg->nlayers; i++)
		if (trees[i] != -1) {
			snprintf(path, sizeof(path), "%s/lower%d", cfg->rootfs, i);
			fds[i] = tree_path(lower[i], sizeof(lower[i]), trees[i], names[i], path);
		}
	for (i = cfg->nlayers; i >= 0; i--)
		add_option(options, sizeof(options), options[0] ? ":" : "lowerdir=", lower[i], "");
	fds[cfg->nlayers + 3] = -1;
	if (cfg->upper && cfg->upper_tree != -1) {
		snprintf(path, sizeof(path), "%s/upper", cfg->rootfs);
		at = fds[cfg->nlayers + 3] = tree_path(upper, sizeof(upper), cfg->upper_tree,
						       cfg->upper, path);
		snprintf(upper, sizeof(upper), "%s", strrchr(cfg->upper, '/') + 1);
		snprintf(work, sizeof(work), "%s", strrchr(cfg->work, '/') + 1);
	} else if (cfg->upper) {
		snprintf(upper, sizeof(upper), "%s", cfg->upper);
		snprintf(work, sizeof(work), "%s", cfg->work);
	} else {
		snprintf(upper, sizeof(upper), "%s/upper", cfg->rootfs);
		snprintf(work, sizeof(work), "%s/work", cfg->rootfs);
		if (mkdir(upper, 0755) == -1 || mkdir(work, 0700) == -1)
			err(EXIT_RUNTIME, "mkdir in the upper layer's tmpfs");
	}
	/* userxattr: in a user namespace overlayfs keeps its own metadata
	 * (opaque directories, redirects) in user.overlay.* xattrs. */
	fds[cfg->nlayers + 1] = fd_path(path, sizeof(path), at, upper);
	add_option(options, sizeof(options), ",upperdir=", path, "");
	fds[cfg->nlayers + 2] = fd_path(path, sizeof(path), at, work);
	add_option(options, sizeof(options), ",workdir=", path, ",userxattr");
	if (!cfg->upper) {
		do_mount("overlay", cfg->rootfs, "overlay", 0, options);
	} else {
		/* Here a refusal is most likely about the user's --upper DIR. */
		say("mount(\"overlay\", \"%s\", \"overlay\", 0, \"%s\")", cfg->rootfs, options);
		if (mount("overlay", cfg->rootfs, "overlay", 0, options) == -1)
			err(EXIT_RUNTIME, "mount overlay with --upper %s", cfg->upper);
	}
	if (fstat(fds[0], &st) == -1)
		err(EXIT_RUNTIME, "stat the rootfs");
	for (i = 0; i <= cfg->nlayers + 3; i++)
		if (fds[i] != -1)
			close(fds[i]);
	if (st.st_uid != 0 && strcmp(cfg->idmap, "yes") == 0)
		scratch_space(cfg);
	/* A layer or the upper can turn /proc, /sys or /dev into a symlink in
	 * the merged tree, which check_rootfs() could not see: look again. */
	for (i = 0; i < 3; i++) {
		snprintf(upper, sizeof(upper), "%s/%s", cfg->rootfs, dirs[i]);
		if (lstat(upper, &st) == -1)
			err(EXIT_RUNTIME, "the merged layers have no /%s", dirs[i]);
		if (!S_ISDIR(st.st_mode))
			errx(EXIT_RUNTIME, "the layers make /%s %s", dirs[i],
			     S_ISLNK(st.st_mode) ? "a symlink" : "something other than a directory");
	}
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
		tree = v->tree != -1 ? v->tree : clone_volume(v); /* 06-user: rootless */
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

/*
 * DOC: tmpfs
 * --tmpfs PATH: an empty tmpfs, nosuid, nodev and noexec, as docker run
 * --tmpfs mounts it, at a target found as a volume's is. mount(2) takes a
 * path, not a descriptor: /proc/self/fd/N (the host's /proc, still there
 * until pivot_root) names what volume_target() opened, and the kernel
 * mounts on that, not on whatever the path now holds.
 */
static void mount_tmpfs(const struct config *cfg)
{
	char path[64];
	int i, root, target;

	if (cfg->ntmpfs == 0)
		return;
	root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root == -1)
		err(EXIT_RUNTIME, "open the rootfs");
	for (i = 0; i < cfg->ntmpfs; i++) {
		target = volume_target(root, "--tmpfs", cfg->tmpfs[i], 1);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
		do_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
		close(target);
	}
	close(root);
}

/* --workdir DIR is made now, as root and inside the rootfs, if missing:
 * the command, maybe another user, enters it later (see user). */
static void make_workdir(const struct config *cfg)
{
	int root;

	if (!cfg->workdir)
		return;
	root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root == -1)
		err(EXIT_RUNTIME, "open the rootfs");
	close(volume_target(root, "--workdir", cfg->workdir, 1));
	close(root);
}

/*
 * DOC: read-only
 * --read-only: the root filesystem's mount, the bind mount of the overlay,
 * is made read-only once the mount points above it are made. /proc, /sys,
 * /dev, the volumes and each --tmpfs are mounts of their own: what they
 * allow stays as it was.
 */
static void read_only_rootfs(const struct config *cfg)
{
	if (cfg->read_only)
		do_mount(NULL, ".", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
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
	setup_overlay(cfg); /* 09 */
	/* DOC: bind-rootfs */
	do_mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL);
	say("chdir(\"%s\")", cfg->rootfs);
	if (chdir(cfg->rootfs) == -1)
		err(EXIT_RUNTIME, "chdir %s", cfg->rootfs);
	do_mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	setup_dev();
	attach_volumes(cfg); /* 03-mnt: --volume */
	mount_tmpfs(cfg);      /* 09: --tmpfs */
	make_workdir(cfg);     /* 09: --workdir */
	read_only_rootfs(cfg); /* 09: --read-only */
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
 * DOC: loopback
 * A new network namespace has only a loopback device, and it is down. The
 * parent has already configured eth0, if there is one.
 */
static void setup_network(void)
{
	int fd = nl_open();

	link_up(fd, "lo");
	close(fd);
}

/*
 * DOC: cgroup-v1-mount
 * In a cgroup namespace the kernel mounts a v1 hierarchy only if it
 * exists, and only when asked for exactly its controllers
 * (cgroup1_root_to_use() in kernel/cgroup/cgroup-v1.c): "cpu" alone is
 * refused where the host joined cpu and cpuacct. So each goes where the
 * host has it, with the host's options, and like systemd and runc we give
 * each controller of a joined name a symlink to it: cpu -> cpu,cpuacct.
 */
static void mount_hierarchy(const struct hierarchy *h, unsigned long flags)
{
	const char *base = strrchr(h->dir, '/') + 1;
	char dir[PATH_MAX], link[PATH_MAX], name[256], *c, *save;

	snprintf(dir, sizeof(dir), "%s/%s", CGROUP_ROOT, base);
	if (mkdir(dir, 0755) == -1)
		err(EXIT_RUNTIME, "mkdir %s", dir);
	do_mount("cgroup", dir, "cgroup", flags, h->options);
	if (!strchr(base, ','))
		return;
	snprintf(name, sizeof(name), "%s", base);
	for (c = strtok_r(name, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		snprintf(link, sizeof(link), "%s/%s", CGROUP_ROOT, c);
		say("symlink(\"%s\", \"%s\")", base, link);
		if (symlink(base, link) == -1)
			err(EXIT_RUNTIME, "symlink %s", link);
	}
}

/*
 * DOC: cgroupns
 * The parent has moved us into our cgroup, so a cgroup namespace made now
 * has it as its root: /proc/self/cgroup reads "/" and a cgroup filesystem
 * mounted here shows our cgroup as the top of the tree. Read-only, so the
 * container can read its cgroup's files but not change them.
 */
static void setup_cgroupns(const struct config *cfg)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	size_t i;

	say("unshare(CLONE_NEWCGROUP)");
	if (unshare(CLONE_NEWCGROUP) == -1)
		err(EXIT_RUNTIME, "unshare CLONE_NEWCGROUP");
	if (cfg->cgroup_v2) {
		do_mount("cgroup2", CGROUP_ROOT, "cgroup2", ro, NULL);
		return;
	}
	do_mount("tmpfs", CGROUP_ROOT, "tmpfs", ro & ~MS_RDONLY, "mode=755,size=64k");
	for (i = 0; i < cfg->ncgroups; i++)
		mount_hierarchy(&cfg->cgroups[i], ro);
	do_mount(NULL, CGROUP_ROOT, NULL, MS_REMOUNT | MS_BIND | ro, NULL);
}

/*
 * DOC: timens
 * A time namespace holds offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME.
 * unshare(CLONE_NEWTIME) makes one for our future children only, and its
 * offsets can be written just until a process enters it. We write offsets
 * that turn "now" into --uptime, then enter it ourselves through
 * /proc/self/ns/time_for_children, so PID 1 and all it starts use it.
 * CLOCK_REALTIME, the wall clock, is not namespaced.
 */
static void setup_time(const struct config *cfg)
{
	struct timespec mono, boot;
	char offsets[128];
	int fd;

	if (clock_gettime(CLOCK_MONOTONIC, &mono) == -1 || clock_gettime(CLOCK_BOOTTIME, &boot) == -1)
		err(EXIT_RUNTIME, "clock_gettime");
	say("unshare(CLONE_NEWTIME)");
	if (unshare(CLONE_NEWTIME) == -1)
		err(EXIT_RUNTIME, "unshare CLONE_NEWTIME (Linux 5.6 or later is needed)");
	snprintf(offsets, sizeof(offsets), "monotonic %ld 0\nboottime %ld 0\n",
		 cfg->uptime - (long)mono.tv_sec, cfg->uptime - (long)boot.tv_sec);
	say("write \"%.*s\" to /proc/self/timens_offsets", (int)strcspn(offsets, "\n"), offsets);
	/* setresuid() in setup_user() left us non-dumpable, which gives our
	 * /proc/self files to the host's root, a uid our namespace does not
	 * map: we could not open them. Dumpable just for this write. */
	if (prctl(PR_SET_DUMPABLE, 1) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_DUMPABLE");
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, offsets, strlen(offsets)) != (ssize_t)strlen(offsets))
		err(EXIT_RUNTIME, "write /proc/self/timens_offsets");
	close(fd);
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_DUMPABLE");
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		err(EXIT_RUNTIME, "open /proc/self/ns/time_for_children");
	say("setns(time_for_children, CLONE_NEWTIME)");
	if (setns(fd, CLONE_NEWTIME) == -1)
		err(EXIT_RUNTIME, "enter the new time namespace");
	close(fd);
}

/*
 * DOC: masked-paths
 * Parts of /proc and /sys describe or control the host, not the container.
 * Masked ones get /dev/null (files) or an empty read-only tmpfs
 * (directories) mounted over them; read-only ones are bound onto
 * themselves and remounted read-only. The lists are Docker's.
 */
static void mask_paths(void)
{
	static const char *const masked[] = {
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
		"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
	};
	static const char *const read_only[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		if (stat(masked[i], &st) == -1)
			continue; /* not on this kernel: nothing to hide */
		if (S_ISDIR(st.st_mode))
			do_mount("tmpfs", masked[i], "tmpfs", ro, "size=0");
		else
			do_mount("/dev/null", masked[i], NULL, MS_BIND, NULL);
	}
	for (i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		if (stat(read_only[i], &st) == -1)
			continue;
		do_mount(read_only[i], read_only[i], NULL, MS_BIND | MS_REC, NULL);
		do_mount(NULL, read_only[i], NULL, MS_REMOUNT | MS_BIND | ro, NULL);
	}
}

#ifndef SYS_close_range
#define SYS_close_range 436 /* Linux 5.9 */
#endif

/*
 * DOC: close-fds
 * Descriptors the runtime inherited would pass into the container, and an
 * open directory of the host is a way out of any root filesystem.
 */
static void close_descriptors(void)
{
	say("close_range(3, ~0U, 0)");
	if (syscall(SYS_close_range, 3, ~0U, 0) == 0)
		return;
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
}

/*
 * DOC: capabilities
 * Docker's default set: what a typical service needs as root, and nothing
 * that reaches past the container (CAP_SYS_ADMIN, CAP_NET_ADMIN,
 * CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_SYS_TIME and, on Linux 6.x, twenty-two more).
 * The chapter says why each one is kept.
 */
static const int kept_capabilities[] = {
	CAP_CHOWN,            /* chown files in the container */
	CAP_DAC_OVERRIDE,     /* root reads and writes any file it maps */
	CAP_FOWNER,           /* chmod, utime on files it does not own */
	CAP_FSETID,           /* keep setuid bits when writing */
	CAP_KILL,             /* signal any process in the container */
	CAP_SETGID,           /* switch group, as su and daemons do */
	CAP_SETUID,           /* switch user */
	CAP_SETPCAP,          /* drop capabilities further */
	CAP_NET_BIND_SERVICE, /* bind ports below 1024 */
	CAP_NET_RAW,          /* ping */
	CAP_SYS_CHROOT,       /* chroot, which some packages use */
	CAP_MKNOD,            /* mknod, still limited by the user namespace */
	CAP_AUDIT_WRITE,      /* write to the audit log, as login does */
	CAP_SETFCAP,          /* set file capabilities */
};

/*
 * DOC: cap-add
 * --cap-add and --cap-drop change the set as Docker does: ALL added is
 * every capability but those dropped; ALL dropped leaves only those added;
 * otherwise the default set, less those dropped, plus those added.
 */
static unsigned long long capability_set(const struct config *cfg)
{
	unsigned long long keep = 0;
	size_t i;

	if (cfg->cap_add_all)
		return ~cfg->cap_drop;
	if (cfg->cap_drop_all)
		return cfg->cap_add;
	for (i = 0; i < sizeof(kept_capabilities) / sizeof(kept_capabilities[0]); i++)
		keep |= 1ULL << kept_capabilities[i];
	return (keep & ~cfg->cap_drop) | cfg->cap_add;
}

/*
 * The bounding set limits what any later execve() can grant; the
 * permitted and effective sets are what we hold now. The inheritable and
 * ambient sets, which would pass capabilities through execve() to a
 * non-root program, are emptied, except for a --user that was given
 * capabilities with --cap-add (see user).
 */
static void drop_capabilities(const struct config *cfg)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	unsigned long long bound = capability_set(cfg), keep;
	int cap, in;

	/* PID 1 keeps what the command needs to become --user, and to drop
	 * these three afterwards if they are not in the set. */
	if (cfg->user && getpid() == 1)
		bound |= 1ULL << CAP_SETUID | 1ULL << CAP_SETGID | 1ULL << CAP_SETPCAP;
	say("prctl(PR_CAPBSET_DROP) for all but %d capabilities; capset()",
	    __builtin_popcountll(bound & ((1ULL << (CAP_LAST_CAP + 1)) - 1)));
	/* EINVAL: past the last capability this kernel knows. */
	for (cap = 0; cap < 64 && (in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) != -1; cap++)
		if (in && !(bound & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			err(EXIT_RUNTIME, "drop capability %d from the bounding set", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		err(EXIT_RUNTIME, "clear the ambient capabilities");
	if (syscall(SYS_capget, &header, data) == -1)
		err(EXIT_RUNTIME, "capget");
	keep = bound & (data[0].permitted | (unsigned long long)data[1].permitted << 32);
	/* A user other than root holds only what --cap-add gave it. */
	if (geteuid() != 0)
		keep &= cfg->cap_add_all ? ~0ULL : cfg->cap_add;
	data[0].permitted = data[0].effective = (unsigned int)keep;
	data[1].permitted = data[1].effective = (unsigned int)(keep >> 32);
	data[0].inheritable = geteuid() != 0 ? data[0].permitted : 0;
	data[1].inheritable = geteuid() != 0 ? data[1].permitted : 0;
	if (syscall(SYS_capset, &header, data) == -1)
		err(EXIT_RUNTIME, "capset");
	for (cap = 0; cap < 64 && geteuid() != 0; cap++)
		if ((keep & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1)
			err(EXIT_RUNTIME, "raise ambient capability %d", cap);
}

#if defined(__x86_64__)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp: add this architecture's AUDIT_ARCH_* value"
#endif
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000 /* x86_64's x32 ABI; unused elsewhere */
#endif

/* Each one's reason is in the chapter, in the same order. */
static const long blocked_syscalls[] = {
	SYS_add_key, SYS_keyctl, SYS_request_key, /* keyrings are not namespaced */
	SYS_ptrace,                                /* read and steer other processes */
	SYS_mount, SYS_umount2, SYS_pivot_root,    /* the mount table is set up for good */
	SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
	SYS_mount_setattr,                         /* ... also through the new mount API */
	SYS_unshare, SYS_setns,                    /* no new or other namespaces */
	SYS_kexec_load, SYS_kexec_file_load,       /* replace the running kernel */
	SYS_init_module, SYS_finit_module, SYS_delete_module, /* kernel modules */
	SYS_bpf, SYS_perf_event_open,              /* kernel programs and tracing */
	SYS_userfaultfd,                           /* stalls the kernel: exploit helper */
	SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, /* bypasses this filter */
	SYS_open_by_handle_at,                     /* the "shocker" escape */
	SYS_swapon, SYS_swapoff, SYS_reboot, SYS_acct,
	SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime, SYS_adjtimex, /* the wall clock */
	SYS_syslog,                                /* the kernel log */
};

/* The clone(2) flags that would make namespaces. */
#define CLONE_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

/*
 * The highest system call number this filter was reviewed against: Linux
 * 6.6's map_shadow_stack (the numbers from 424 on are the same on every
 * architecture). A newer call is one nobody here has weighed, so it gets
 * ENOSYS, "not implemented", which programs already handle: a new kernel
 * does not quietly widen what the container may do.
 */
#define LAST_REVIEWED_SYSCALL 453

/* personality(2) values allowed, as in Docker's profile: Linux, 32-bit
 * Linux, UNAME26 with either, and 0xffffffff, which only asks. */
static const unsigned int allowed_personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* ioctl(2) requests refused on any descriptor: pushing input into a
 * terminal (TIOCSTI), and the virtual console's paste (TIOCLINUX). */
static const unsigned int blocked_ioctls[] = {TIOCSTI, TIOCLINUX};

/*
 * The filter under construction. A jump names its target by a label, and
 * link_filter() turns labels into offsets once every instruction is in
 * place: inserting a line never breaks a count made by hand.
 */
enum label { NEXT, ALLOW, REFUSE, UNKNOWN, KILL, CLONE, PERSONALITY, IOCTL, LABELS };
static struct sock_filter filter[128];
static enum label filter_jt[128], filter_jf[128];
static size_t filter_len, label_at[LABELS];

static void emit(struct sock_filter insn, enum label jt, enum label jf)
{
	if (filter_len == sizeof(filter) / sizeof(filter[0]))
		errx(EXIT_RUNTIME, "seccomp filter longer than %zu instructions", filter_len);
	filter_jt[filter_len] = jt;
	filter_jf[filter_len] = jf;
	filter[filter_len++] = insn;
}

static void place(enum label label)
{
	label_at[label] = filter_len;
}

/* Classic BPF jumps only forward, at most 255 instructions. */
static void link_filter(void)
{
	size_t i, to;

	for (i = 0; i < filter_len; i++) {
		if (BPF_CLASS(filter[i].code) != BPF_JMP)
			continue;
		to = filter_jt[i] == NEXT ? i + 1 : label_at[filter_jt[i]];
		if (to <= i || to - i - 1 > 255)
			errx(EXIT_RUNTIME, "seccomp: jump from %zu to %zu", i, to);
		filter[i].jt = to - i - 1;
		to = filter_jf[i] == NEXT ? i + 1 : label_at[filter_jf[i]];
		if (to <= i || to - i - 1 > 255)
			errx(EXIT_RUNTIME, "seccomp: jump from %zu to %zu", i, to);
		filter[i].jf = to - i - 1;
	}
}

/* One instruction each; the offsets of jumps are filled in by link_filter(). */
#define INSN(insn)  ((struct sock_filter)insn)
#define LOAD(field) INSN(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field)))
#define RET(value)  INSN(BPF_STMT(BPF_RET | BPF_K, value))
#define JEQ(k)      INSN(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0))
#define JGE(k)      INSN(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, k, 0, 0))
#define JGT(k)      INSN(BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, k, 0, 0))
#define JSET(k)     INSN(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, k, 0, 0))

/*
 * DOC: seccomp
 * A classic BPF program the kernel runs on every system call, reading a
 * struct seccomp_data. A wrong architecture would decode every number
 * differently, so it is killed outright; x32 numbers (the same calls
 * under other numbers) are refused, and numbers past the last one
 * reviewed get ENOSYS. clone3() gets ENOSYS too, so libc falls back to
 * clone(), whose flags, unlike clone3's, the filter can read. Three calls
 * are refused only for some arguments (clone, personality, ioctl): the
 * filter reads the low 32 bits of the argument, all the kernel uses.
 * Everything else is allowed: this is a deny-list (see the chapter).
 */
static void install_seccomp(void)
{
	struct sock_fprog prog = {.filter = filter};
	size_t i;

	/* 0 */ emit(LOAD(arch), NEXT, NEXT);
	/* 1 */ emit(JEQ(SECCOMP_AUDIT_ARCH), NEXT, KILL);
	/* 2 */ emit(LOAD(nr), NEXT, NEXT);
	/* 3 */ emit(JGE(__X32_SYSCALL_BIT), REFUSE, NEXT);
	/* 4 */ emit(JGT(LAST_REVIEWED_SYSCALL), UNKNOWN, NEXT);
	/* 5 */ emit(JEQ(SYS_clone3), UNKNOWN, NEXT);
	/* 6 */ emit(JEQ(SYS_clone), CLONE, NEXT);
	/* 7 */ emit(JEQ(SYS_personality), PERSONALITY, NEXT);
	/* 8 */ emit(JEQ(SYS_ioctl), IOCTL, NEXT);
	/* 9.. one a blocked call */
	for (i = 0; i < sizeof(blocked_syscalls) / sizeof(blocked_syscalls[0]); i++)
		emit(JEQ(blocked_syscalls[i]), REFUSE, NEXT);
	emit(RET(SECCOMP_RET_ALLOW), NEXT, NEXT);
	place(CLONE); /* clone(flags, ...): no namespace flag */
	emit(LOAD(args[0]), NEXT, NEXT);
	emit(JSET(CLONE_NAMESPACES), REFUSE, ALLOW);
	place(PERSONALITY); /* personality(persona): one of Docker's values */
	emit(LOAD(args[0]), NEXT, NEXT);
	for (i = 0; i < sizeof(allowed_personalities) / sizeof(allowed_personalities[0]); i++)
		emit(JEQ(allowed_personalities[i]), ALLOW, NEXT);
	emit(RET(SECCOMP_RET_ERRNO | EPERM), NEXT, NEXT);
	place(IOCTL); /* ioctl(fd, request, ...): not a blocked request */
	emit(LOAD(args[1]), NEXT, NEXT);
	for (i = 0; i < sizeof(blocked_ioctls) / sizeof(blocked_ioctls[0]); i++)
		emit(JEQ(blocked_ioctls[i]), REFUSE, NEXT);
	place(ALLOW);
	emit(RET(SECCOMP_RET_ALLOW), NEXT, NEXT);
	place(REFUSE);
	emit(RET(SECCOMP_RET_ERRNO | EPERM), NEXT, NEXT);
	place(UNKNOWN);
	emit(RET(SECCOMP_RET_ERRNO | ENOSYS), NEXT, NEXT);
	place(KILL);
	emit(RET(SECCOMP_RET_KILL_PROCESS), NEXT, NEXT);
	link_filter();
	prog.len = filter_len;
	say("seccomp(SECCOMP_SET_MODE_FILTER): %zu instructions, %zu calls refused", filter_len,
	    sizeof(blocked_syscalls) / sizeof(blocked_syscalls[0]));
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == -1)
		err(EXIT_RUNTIME, "install the seccomp filter");
}

/*
 * DOC: user
 * --user: the command runs as that uid and gid, with no supplementary
 * groups (root's would carry over). Changing uid from 0 empties the
 * permitted and effective sets, as it should: a user other than root
 * holds no capability, in Docker too. PR_SET_KEEPCAPS keeps them across
 * setresuid() for drop_capabilities(), which then leaves only those of
 * --cap-add and makes them ambient, the set execve() passes on to a
 * program that is neither setuid nor has file capabilities. Docker does
 * not: it gives a non-root user's command no capability even with
 * --cap-add, only a bounding set that a file with capabilities can use.
 * Rootless, setgroups(2) is denied (see id-maps), and only uid 0 is mapped.
 */
static void switch_user(const struct config *cfg)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (!cfg->user)
		return;
	say("setgroups(0, NULL); setresgid(%u, %u, %u); setresuid(%u, %u, %u)", (unsigned)cfg->gid,
	    (unsigned)cfg->gid, (unsigned)cfg->gid, (unsigned)cfg->uid, (unsigned)cfg->uid,
	    (unsigned)cfg->uid);
	if (!cfg->rootless && setgroups(0, NULL) == -1)
		err(EXIT_RUNTIME, "setgroups");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_KEEPCAPS");
	if (setresgid(cfg->gid, cfg->gid, cfg->gid) == -1)
		err(EXIT_RUNTIME, "--user %s: setresgid (is gid %u mapped?)", cfg->user, (unsigned)cfg->gid);
	if (setresuid(cfg->uid, cfg->uid, cfg->uid) == -1)
		err(EXIT_RUNTIME, "--user %s: setresuid (is uid %u mapped?)", cfg->user, (unsigned)cfg->uid);
	/* The effective set back from the permitted one, for what follows. */
	if (syscall(SYS_capget, &header, data) == -1)
		err(EXIT_RUNTIME, "capget");
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &header, data) == -1)
		err(EXIT_RUNTIME, "capset");
}

/* The command starts in --workdir, entered as its user: a directory it
 * may not enter is an error, as in Docker. */
static void enter_workdir(const struct config *cfg)
{
	if (!cfg->workdir)
		return;
	say("chdir(\"%s\")", cfg->workdir);
	if (chdir(cfg->workdir) == -1)
		err(EXIT_RUNTIME, "--workdir %s", cfg->workdir);
}

/*
 * DOC: harden
 * The command's last steps before execve(): nothing inherited, fewer
 * capabilities, no way to gain privileges back through a setuid binary
 * (no_new_privs, which also lets an unprivileged process install a
 * filter), and the filter last, so our own set-up is not subject to it.
 */
static void harden_command(const struct config *cfg)
{
	struct stat st;
	int fd;

	/* An open directory of the host is a way out of any root: refuse one
	 * given to us as standard input, output or error. */
	for (fd = 0; fd <= 2; fd++)
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			errx(EXIT_RUNTIME, "descriptor %d is a directory: it would lead out of the "
					   "container", fd);
	close_descriptors();
	switch_user(cfg);       /* --user */
	drop_capabilities(cfg);
	enter_workdir(cfg);     /* --workdir */
	say("prctl(PR_SET_NO_NEW_PRIVS, 1)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_NO_NEW_PRIVS");
	install_seccomp();
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

/* ------------------------------------------------------------------------
 * 09: a terminal of the container's own (-t), and telling the runtime
 * that the container is made.
 */

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41) /* Linux 4.13 */
#endif

/*
 * DOC: console
 * With -t the command gets a pseudo-terminal made by the container's own
 * devpts (03-mnt mounts it with newinstance): its number, its owner and
 * its /dev/pts entry are the container's, and the host's terminals stay
 * out of sight. /dev/pts/ptmx gives the master side, the end a terminal
 * emulator holds; a new one is locked until TIOCSPTLCK unlocks it.
 * TIOCGPTPEER opens the slave side, the end programs use, without a
 * path lookup in /dev/pts that could be steered elsewhere. The slave
 * becomes our standard input, output and error, which the command
 * inherits. Returns the master, for the runtime.
 */
static int open_terminal(const struct config *cfg)
{
	int master, slave, unlock = 0;

	say("open(\"/dev/pts/ptmx\"); ioctl(TIOCSPTLCK); ioctl(TIOCGPTPEER); dup2() onto 0, 1, 2");
	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		err(EXIT_RUNTIME, "open /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) == -1)
		err(EXIT_RUNTIME, "unlock the pseudo-terminal");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave == -1)
		err(EXIT_RUNTIME, "open the pseudo-terminal's slave side");
	if (ioctl(slave, TIOCSWINSZ, &cfg->window) == -1)
		err(EXIT_RUNTIME, "set the terminal's window size");
	if (dup2(slave, 0) == -1 || dup2(slave, 1) == -1 || dup2(slave, 2) == -1)
		err(EXIT_RUNTIME, "dup2 the terminal");
	if (slave > 2)
		close(slave);
	return master;
}

/*
 * The container's terminal is also its /dev/console, as runc makes it:
 * the slave's /dev/pts entry bound onto an empty file. Returns the master
 * side, or -1 without -t.
 */
static int setup_console(const struct config *cfg)
{
	char pts[32];
	int master, n, fd;

	if (!cfg->tty)
		return -1;
	master = open_terminal(cfg);
	if (ioctl(master, TIOCGPTN, &n) == -1)
		err(EXIT_RUNTIME, "ioctl TIOCGPTN");
	snprintf(pts, sizeof(pts), "/dev/pts/%d", n);
	fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		err(EXIT_RUNTIME, "create /dev/console");
	close(fd);
	do_mount(pts, "/dev/console", NULL, MS_BIND, NULL);
	return master;
}

/*
 * DOC: ready
 * Tell the runtime that the container is made: --name registers it only
 * now, so that exec never joins a half-built one. With -t, MASTER goes
 * along: a descriptor sent over a Unix socket as SCM_RIGHTS arrives as a
 * new descriptor of the receiver's for the same open file. runc's
 * --console-socket does the same.
 */
static void report_ready(const struct config *cfg, int master)
{
	char control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = "1", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cmsg;

	if (!cfg->reports_ready)
		return;
	if (master != -1) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	}
	say("sendmsg(\"ready\"%s)", master != -1 ? ", SCM_RIGHTS: the terminal's master side" : "");
	if (sendmsg(cfg->ready_sock[1], &msg, MSG_NOSIGNAL) != 1)
		err(EXIT_RUNTIME, "tell the runtime the container is ready");
	if (master != -1)
		close(master);
	close(cfg->ready_sock[1]);
}

/*
 * DOC: ctty
 * A terminal becomes the controlling terminal of a session when the
 * session's leader asks with TIOCSCTTY. From then on the kernel sends its
 * foreground process group SIGINT for Ctrl-C, SIGTSTP for Ctrl-Z, SIGQUIT
 * for Ctrl-\ and SIGWINCH when the window changes, and a shell on it can
 * do job control. So with -t the command leads a session of its own,
 * whose terminal is the one on its standard input.
 */
static void take_terminal(void)
{
	say("setsid(); ioctl(0, TIOCSCTTY, 0)");
	if (setsid() == -1)
		err(EXIT_RUNTIME, "setsid");
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) == -1)
		err(EXIT_RUNTIME, "make the terminal the controlling terminal");
}

/*
 * exec: the command is a child of a process outside its PID namespace,
 * which passes signals on and reports its status. If that process dies,
 * so does the command, rather than live on in the container unseen.
 */
static void die_with_parent(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_PDEATHSIG");
	/* Our parent is in no PID namespace we see: 0 until it dies. */
	if (getppid() != 0)
		_exit(EXIT_RUNTIME);
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
	/* 09: exec: no new process in a PID namespace whose init is gone. */
	if (pid == -1 && errno == ENOMEM && cfg->join)
		errx(EXIT_RUNTIME, "container %s is exiting", cfg->join);
	if (pid == -1)
		err(EXIT_RUNTIME, "fork");
	if (pid == 0) {
		if (cfg->join)
			die_with_parent(); /* 09: exec */
		/* A process group of its own, for the signals we pass on;
		 * with -t, a session (09). */
		if (cfg->tty)
			take_terminal();
		else if (setpgid(0, 0) == -1)
			err(EXIT_RUNTIME, "setpgid");
		harden_command(cfg); /* 09 */
		exec_command(cfg);
	}
	/* The same from this side, whichever of us runs first. Once the
	 * command has called execve() we may not (EACCES), nor once it is
	 * gone (ESRCH), but by then it has done it itself. With -t it makes
	 * a session, which a group leader cannot: we leave it alone. */
	if (!cfg->tty && setpgid(pid, pid) == -1 && errno != EACCES && errno != ESRCH)
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

/* Read a one-number file such as a sysctl; -1 if it cannot be read. */
static long read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * DOC: userns-refused
 * Distributions can refuse user namespaces to ordinary users. Name the
 * setting that does it, and how to change it, rather than just "EPERM".
 * Returns NULL when none of them is set.
 */
static const char *userns_refusal(void)
{
	if (read_number("/proc/sys/user/max_user_namespaces") == 0)
		return "user.max_user_namespaces is 0 "
		       "(sudo sysctl -w user.max_user_namespaces=15000)";
	if (read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
		return "AppArmor restricts them for ordinary users "
		       "(sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)";
	if (read_number("/proc/sys/kernel/unprivileged_userns_clone") == 0)
		return "kernel.unprivileged_userns_clone is 0 "
		       "(sudo sysctl -w kernel.unprivileged_userns_clone=1)";
	return NULL;
}

/* Whether CAP is in our effective set. */
static int have_capability(int cap)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &header, data) == -1)
		err(EXIT_RUNTIME, "capget");
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

/*
 * DOC: become-root
 * Once the parent has written our maps, uid 0 exists in our user namespace
 * and we switch to it: until then we run as the unmapped "nobody". Changing
 * credentials clears the parent-death signal, so we set it again, then
 * check that the parent did not die in between: its end of the sync pipe
 * closes when it exits.
 */
static void setup_user(const struct config *cfg)
{
	struct pollfd parent = {.fd = cfg->sync_pipe[0], .events = POLLIN};
	int ready;

	say("setgroups(0, NULL); setresgid(0, 0, 0); setresuid(0, 0, 0)");
	/* A rootless parent had to deny setgroups(2) to write the gid map. */
	if (!cfg->rootless && setgroups(0, NULL) == -1)
		err(EXIT_RUNTIME, "setgroups");
	if (setresgid(0, 0, 0) == -1)
		err(EXIT_RUNTIME, "setresgid to the container's root");
	if (setresuid(0, 0, 0) == -1)
		err(EXIT_RUNTIME, "setresuid to the container's root");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_PDEATHSIG");
	while ((ready = poll(&parent, 1, 0)) == -1 && errno == EINTR)
		;
	if (ready != 0)
		_exit(EXIT_RUNTIME);
	/* AppArmor may let the namespace be made but withhold its capabilities. */
	if (cfg->rootless && !have_capability(CAP_SYS_ADMIN))
		errx(EXIT_RUNTIME, "no capabilities in the new user namespace: %s",
		     userns_refusal() ? userns_refusal() : "a security module refused them");
	/* We are now an unprivileged uid on the host, which must be able to
	 * walk down to the rootfs: a private home directory stops it. */
	if (access(cfg->rootfs, X_OK) == -1)
		err(EXIT_RUNTIME, "rootfs %s is out of reach of uid %lu, the container's root on the host "
		    "(every directory above it must let others through)",
		    cfg->rootfs, strtoul(strchr(cfg->uid_map, ':') + 1, NULL, 10));
}

static int child(void *arg)
{
	struct config *cfg = arg;
	int master;

	in_container = 1; /* 07-cgroup */
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
	setup_user(cfg);    /* 06-user */
	setup_hostname(cfg);
	setup_mounts(cfg); /* 03-mnt */
	setup_ipc();       /* 04-ipc */
	setup_network();   /* 05-net */
	setup_cgroupns(cfg); /* 07-cgroup */
	setup_time(cfg);     /* 08-time */
	mask_paths();        /* 09 */
	master = setup_console(cfg); /* 09: -t */
	report_ready(cfg, master);   /* 09: -t, --name */
	close_descriptors(); /* 09: PID 1 keeps nothing it inherited */
	drop_capabilities(cfg); /* 09: nor more privilege than the command */
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
	flags |= CLONE_NEWNET; /* 05-net */
	flags |= CLONE_NEWUSER; /* 06-user */
	return flags;
}

/*
 * Explain a failed clone(2): a refused user namespace names its setting;
 * ENOSPC means a limit such as user.max_user_namespaces was reached.
 */
static void explain_clone_failure(const struct config *cfg)
{
	const char *why = NULL;
	int saved = errno;

	if (saved == ENOSPC || (saved == EPERM && cfg->rootless))
		why = userns_refusal();
	if (why)
		errx(EXIT_RUNTIME, "clone: user namespaces are refused here: %s", why);
	errno = saved;
	err(EXIT_RUNTIME, "clone");
}

/*
 * DOC: clone3
 * On cgroup v2, clone3(2) (Linux 5.3) with CLONE_INTO_CGROUP (5.7) starts
 * the child in the cgroup whose directory args.cgroup is open on. clone(2)
 * starts it in ours, and the parent must then move it (join_cgroup()),
 * which waits for the kernel to be done with the old cgroup. Without a
 * stack, clone3() returns twice, as fork() does, on a copy of our stack.
 * Returns -1 where the kernel cannot (ENOSYS before 5.3 or under a seccomp
 * filter, E2BIG before 5.7): the caller falls back to clone(), which also
 * explains a failure that is not clone3()'s own.
 */
static pid_t clone_into_cgroup(struct config *cfg)
{
	struct clone_args args = {
		.flags = (clone_flags() & ~CSIGNAL) | CLONE_INTO_CGROUP,
		.exit_signal = SIGCHLD,
		.cgroup = cfg->cgroup_fd,
	};
	pid_t pid;

	if (cfg->cgroup_fd == -1)
		return -1;
	say("clone3(%s | CLONE_INTO_CGROUP)", flag_names(clone_flags()));
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		close(cfg->cgroup_fd);
		_exit(child(cfg));
	}
	if (pid == -1)
		say("clone3: %s; clone() and a move instead", strerror(errno));
	else
		cfg->born_in_cgroup = 1;
	close(cfg->cgroup_fd);
	cfg->cgroup_fd = -1;
	return pid;
}

static pid_t spawn_child(struct config *cfg)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	pid_t pid;

	/* Buffered output would otherwise be written twice, once per process. */
	fflush(NULL);
	pid = clone_into_cgroup(cfg); /* 07-cgroup */
	if (pid != -1)
		return pid;
	say("clone(%s)", flag_names(clone_flags()));
	pid = clone(child, stack + STACK_SIZE, clone_flags(), cfg);
	if (pid == -1)
		explain_clone_failure(cfg);
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

/* Whether the directory PATH (which may not exist yet) lies in or at DIR. */
static int inside(const char *path, const char *dir)
{
	char p[PATH_MAX], d[PATH_MAX], copy[PATH_MAX];
	size_t n;

	snprintf(copy, sizeof(copy), "%s", path);
	if (!realpath(path, p) && (!realpath(dirname(copy), p) || strlen(p) + 2 > sizeof(p)))
		return 0;
	if (!realpath(dir, d))
		return 0;
	n = strlen(d);
	return !strncmp(p, d, n) && (p[n] == '/' || p[n] == '\0' || n == 1);
}

/* No layer twice, and the upper layer not in or at a lower one: the
 * rootfs and the layers are never written. */
static void check_overlap(const struct config *cfg)
{
	int i, j;

	for (i = 0; i < cfg->nlayers; i++)
		for (j = i + 1; j < cfg->nlayers; j++)
			if (inside(cfg->layers[i], cfg->layers[j]) && inside(cfg->layers[j], cfg->layers[i]))
				errx(EXIT_RUNTIME, "--layer %s given twice", cfg->layers[i]);
	for (i = 0; i < cfg->nlayers; i++)
		if (inside(cfg->layers[i], cfg->rootfs) || inside(cfg->rootfs, cfg->layers[i]))
			errx(EXIT_RUNTIME, "--layer %s and the rootfs %s lie one inside the other, which "
					   "overlayfs refuses", cfg->layers[i], cfg->rootfs);
	if (!cfg->upper)
		return;
	if (inside(cfg->upper, cfg->rootfs))
		errx(EXIT_RUNTIME, "--upper %s is inside the rootfs, which is never written",
		     cfg->upper);
	for (i = 0; i < cfg->nlayers; i++)
		if (inside(cfg->upper, cfg->layers[i]))
			errx(EXIT_RUNTIME, "--upper %s is inside --layer %s", cfg->upper,
			     cfg->layers[i]);
}

/*
 * --upper DIR as the directory itself, not a symlink to it, since the work
 * directory must sit beside it, on its filesystem. Both are named before
 * clone(), so the child's copy of cfg has them.
 */
static void name_work_dir(struct config *cfg)
{
	static char upper[PATH_MAX];
	char copy[PATH_MAX], copy2[PATH_MAX], dir[PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", cfg->upper);
	snprintf(copy2, sizeof(copy2), "%s", cfg->upper);
	if (!realpath(cfg->upper, upper)) {
		if (errno != ENOENT || !realpath(dirname(copy), dir))
			err(EXIT_RUNTIME, "--upper %s", cfg->upper);
		if ((size_t)snprintf(upper, sizeof(upper), "%s/%s", strcmp(dir, "/") ? dir : "",
				     basename(copy2)) >= sizeof(upper))
			errx(EXIT_RUNTIME, "--upper %s: path too long", cfg->upper);
	}
	if (!strcmp(upper, "/"))
		errx(EXIT_RUNTIME, "--upper /: the upper layer needs a directory of its own");
	cfg->upper = upper;
	snprintf(copy, sizeof(copy), "%s", upper);
	snprintf(copy2, sizeof(copy2), "%s", upper);
	snprintf(dir, sizeof(dir), "%s", dirname(copy));
	if ((size_t)snprintf(cfg->work, sizeof(cfg->work), "%s/.%s.work", strcmp(dir, "/") ? dir : "",
			     basename(copy2)) >= sizeof(cfg->work))
		errx(EXIT_RUNTIME, "--upper %s: path too long", cfg->upper);
}

/*
 * DOC: check-layers
 * Layers must be directories. overlayfs takes its options as one string in
 * which ':' and ',' separate layers and options, so no path is put in it as
 * given: each layer is passed as /proc/self/fd/N (see setup_overlay()).
 */
static void check_layers(struct config *cfg)
{
	struct stat st;
	int i;

	for (i = 0; i < cfg->nlayers; i++) {
		if (stat(cfg->layers[i], &st) == -1)
			err(EXIT_RUNTIME, "layer %s", cfg->layers[i]);
		if (!S_ISDIR(st.st_mode))
			errx(EXIT_RUNTIME, "layer %s is not a directory", cfg->layers[i]);
	}
	if (cfg->upper && stat(cfg->upper, &st) == 0 && !S_ISDIR(st.st_mode))
		errx(EXIT_RUNTIME, "--upper %s is not a directory", cfg->upper);
	check_overlap(cfg);
	if (cfg->upper)
		name_work_dir(cfg);
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

/* Run FN in the network namespace of process PID, then come back. */
static void in_netns_of(pid_t pid, void (*fn)(struct config *), struct config *cfg)
{
	char path[64];
	int self, target;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self == -1 || target == -1)
		err(EXIT_RUNTIME, "open network namespace");
	say("setns(%s, CLONE_NEWNET)", path);
	if (setns(target, CLONE_NEWNET) == -1)
		err(EXIT_RUNTIME, "setns into the container's network namespace");
	fn(cfg);
	if (setns(self, CLONE_NEWNET) == -1)
		err(EXIT_RUNTIME, "setns back to the host's network namespace");
	close(self);
	close(target);
}

/* The container's end: runs in its network namespace. */
static void setup_eth0(struct config *cfg)
{
	int fd = nl_open();

	add_address(fd, "eth0", cfg->ctr_ip, cfg->prefix);
	link_up(fd, "eth0");
	add_default_route(fd, "eth0", cfg->host_ip);
	close(fd);
}

/*
 * DOC: veth
 * A veth pair is a virtual cable: what goes in one end comes out of the
 * other. The host end is named after a free slot, ctrN; a name already
 * taken means another container holds that slot, so we try the next. The
 * slot also gives the default addresses, so they are unique too.
 */
static void setup_veth(struct config *cfg)
{
	char name[IFNAMSIZ];
	int fd, slot, tries;

	if (cfg->net_note)
		warnx("%s", cfg->net_note);
	if (strcmp(cfg->net, "veth") != 0)
		return;
	fd = nl_open();
	for (tries = 0;; tries++) {
		if (tries == 100)
			errx(EXIT_RUNTIME, "no free veth name (ctr0..ctr%d all taken?)", NET_SLOTS - 1);
		slot = (cfg->child + tries) % NET_SLOTS;
		snprintf(name, sizeof(name), "ctr%d", slot);
		if (add_veth(fd, name, cfg->child) == 0)
			break;
		if (errno != EEXIST)
			err(EXIT_RUNTIME, "create veth pair %s", name);
	}
	memcpy(cfg->veth, name, sizeof(name));
	if (!cfg->ip) {
		cfg->host_ip.s_addr = htonl(NET_BASE + slot * 4 + 1);
		cfg->ctr_ip.s_addr = htonl(NET_BASE + slot * 4 + 2);
		cfg->prefix = 30;
	}
	add_address(fd, name, cfg->host_ip, cfg->prefix);
	link_up(fd, name);
	close(fd);
	in_netns_of(cfg->child, setup_eth0, cfg);
}

static void write_proc_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	say("write \"%s\" to %s", text, path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		err(EXIT_RUNTIME, "open %s", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (errno == EPERM && strcmp(name, "setgroups") != 0)
			errx(EXIT_RUNTIME, "%s \"%s\": not allowed (an ordinary user may map only "
					   "their own id, e.g. 0:%u:1)",
			     name, text, (unsigned)(name[0] == 'u' ? geteuid() : getegid()));
		err(EXIT_RUNTIME, "write \"%s\" to %s", text, path);
	}
	close(fd);
}

/*
 * DOC: id-maps
 * A map line is "INSIDE OUTSIDE COUNT". Each file can be written once, by
 * a process with the right capabilities over the child's user namespace,
 * which its parent has. Without CAP_SETGID in the parent namespace the
 * kernel wants setgroups(2) denied first: otherwise dropping a group by
 * setgroups could grant access that a "deny" ACL on that group refuses.
 */
static void setup_id_maps(const struct config *cfg)
{
	char map[64];

	snprintf(map, sizeof(map), "%s", cfg->uid_map);
	*strchr(map, ':') = ' ', *strchr(map, ':') = ' ';
	write_proc_file(cfg->child, "uid_map", map);
	if (cfg->rootless)
		write_proc_file(cfg->child, "setgroups", "deny");
	snprintf(map, sizeof(map), "%s", cfg->gid_map);
	*strchr(map, ':') = ' ', *strchr(map, ':') = ' ';
	write_proc_file(cfg->child, "gid_map", map);
}

/* The host id that id 0 in MAP ("0:OUTSIDE:COUNT") stands for. */
static unsigned int mapped_root(const char *map)
{
	return (unsigned int)strtoul(strchr(map, ':') + 1, NULL, 10);
}

/*
 * DOC: idmap
 * Root in the container is uid 100000 on the host, and the rootfs belongs
 * to host root: inside, its files would belong to nobody, and root could
 * change none of them. An idmapped mount (Linux 5.12) mends that without
 * changing a file on disk. The mount carries the container's user
 * namespace, and the kernel translates every owner through its map, both
 * ways: uid 0 on disk reads as 100000, root inside, and a file root inside
 * creates is written as uid 0. We clone the rootfs's mount before clone()
 * (open_tree), give the clone the map once it is written (mount_setattr,
 * from the host: the filesystem belongs to it), and the child puts it in
 * its own mount namespace (move_mount, in attach_rootfs()). The host sees
 * no new mount: the clone is detached until then.
 */
/* The uid the rootfs belongs to on the host. */
static uid_t rootfs_owner(const struct config *cfg)
{
	struct stat st;

	if (stat(cfg->rootfs, &st) == -1)
		err(EXIT_RUNTIME, "rootfs %s", cfg->rootfs);
	return st.st_uid;
}

static void clone_rootfs(struct config *cfg)
{
	cfg->rootfs_tree = -1;
	if (strcmp(cfg->idmap, "no") == 0 || cfg->rootless ||
	    rootfs_owner(cfg) == mapped_root(cfg->uid_map))
		return;
	say("open_tree(\"%s\", OPEN_TREE_CLONE | AT_RECURSIVE)", cfg->rootfs);
	/* glibc before 2.36 has no wrappers for the new mount API. */
	cfg->rootfs_tree = syscall(SYS_open_tree, AT_FDCWD, cfg->rootfs,
				   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (cfg->rootfs_tree == -1)
		cfg->tree_call = "open_tree", cfg->tree_errno = errno;
}

/* Give TREE, a clone of DIR's mount, the container's map: 0, or -1. */
static int idmap_tree(const struct config *cfg, int tree, const char *dir)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
	char path[64];
	int fd, ret, saved;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", cfg->child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		err(EXIT_RUNTIME, "open %s", path);
	attr.userns_fd = fd;
	say("mount_setattr(clone of %s, AT_RECURSIVE, MOUNT_ATTR_IDMAP of %s)", dir, path);
	ret = syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static void idmap_rootfs(struct config *cfg)
{
	if (cfg->rootfs_tree == -1)
		return;
	cfg->idmapped = idmap_tree(cfg, cfg->rootfs_tree, cfg->rootfs) == 0;
	if (!cfg->idmapped)
		cfg->tree_call = "mount_setattr", cfg->tree_errno = errno;
	close(cfg->rootfs_tree); /* the child has its own descriptor for it */
	cfg->rootfs_tree = -1;
}

/* Where there is no idmap, why, and what that means, in one line. Said
 * once the set-up has gone through, so that an error is the one line. A
 * rootfs that root inside owns already needs none: -v says so. */
static void idmap_note(const struct config *cfg)
{
	uid_t owner = rootfs_owner(cfg);
	char why[PATH_MAX + 128];

	if (strcmp(cfg->idmap, "no") == 0 || cfg->idmapped)
		return;
	if (owner == mapped_root(cfg->uid_map)) {
		say("%s already belongs to uid %u, root in the container: no idmapped mount needed",
		    cfg->rootfs, (unsigned)owner);
		return;
	}
	if (cfg->rootless)
		snprintf(why, sizeof(why), "rootless: no idmapped mount without root, and %s belongs "
			 "to uid %u", cfg->rootfs, (unsigned)owner);
	else
		snprintf(why, sizeof(why), "%s: no idmapped mount here (%s: %s)", cfg->rootfs,
			 cfg->tree_call, strerror(cfg->tree_errno));
	warnx("%s, so its files show as nobody, and root inside cannot change them (/tmp and "
	      "/root are empty tmpfs)", why);
}

/*
 * DOC: idmap-layers
 * With the rootfs idmapped, so is every --layer, and the mount that holds
 * --upper: on disk they all hold the ids the container sees, as image
 * layers do, so a kept upper comes back as a --layer with its owners as
 * they were inside. overlayfs wants the upper and its work directory on
 * one mount, hence a clone of the directory that holds both.
 */
static int clone_tree(const char *dir, unsigned int flags)
{
	int tree;

	say("open_tree(\"%s\", OPEN_TREE_CLONE%s)", dir, flags & AT_RECURSIVE ? " | AT_RECURSIVE" : "");
	tree = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
	if (tree == -1)
		err(EXIT_RUNTIME, "open_tree %s", dir);
	return tree;
}

/* Whether overlayfs takes idmapped layers: from Linux 5.19 on. */
static int overlay_takes_idmaps(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) == -1 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 1; /* let the mount say */
	return major > 5 || (major == 5 && minor >= 19);
}

static void clone_layers(struct config *cfg)
{
	char dir[PATH_MAX];
	int i;

	cfg->upper_tree = -1;
	if (cfg->rootfs_tree != -1 && !overlay_takes_idmaps()) {
		close(cfg->rootfs_tree);
		cfg->rootfs_tree = -1;
		cfg->tree_call = "overlayfs before Linux 5.19", cfg->tree_errno = EINVAL;
	}
	for (i = 0; i < cfg->nlayers; i++)
		cfg->layer_trees[i] = cfg->rootfs_tree == -1 ? -1 : clone_tree(cfg->layers[i], AT_RECURSIVE);
	if (cfg->rootfs_tree == -1 || !cfg->upper)
		return;
	snprintf(dir, sizeof(dir), "%s", cfg->work);
	*strrchr(dir, '/') = '\0';
	cfg->upper_tree = clone_tree(dir[0] ? dir : "/", 0);
}

static void idmap_layers(struct config *cfg)
{
	int i;

	/* All or none: a layer or upper stored the other way would mix the
	 * two ways of storing ids. */
	for (i = 0; i < cfg->nlayers; i++) {
		if (cfg->layer_trees[i] == -1)
			continue;
		if (cfg->idmapped && idmap_tree(cfg, cfg->layer_trees[i], cfg->layers[i]) == -1)
			err(EXIT_RUNTIME, "--layer %s: its filesystem takes no idmapped mount (try "
					  "--idmap no)", cfg->layers[i]);
		close(cfg->layer_trees[i]);
		cfg->layer_trees[i] = -1;
	}
	if (cfg->upper_tree == -1)
		return;
	if (cfg->idmapped && idmap_tree(cfg, cfg->upper_tree, cfg->upper) == -1)
		err(EXIT_RUNTIME, "--upper %s: its filesystem takes no idmapped mount (try --idmap no, "
				  "or an upper elsewhere)", cfg->upper);
	cfg->upper_idmapped = cfg->idmapped;
	close(cfg->upper_tree);
	cfg->upper_tree = -1;
}

/* Write TEXT to the file at PATH; returns 0, or -1 with errno set. */
static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	/* cgroup v1 refuses a memory limit with EINTR while any signal is
	 * pending. Ours are blocked during set-up (see main()); should one
	 * get through all the same, the write is tried again. */
	do
		n = write(fd, text, strlen(text));
	while (n == -1 && errno == EINTR);
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * DOC: cgroup-path
 * The one place that spells where a container's cgroup is: in hierarchy
 * H, H/containers-from-scratch/NAME/FILE; without FILE the directory,
 * without NAME the shared parent. PATH_MAX always suffices: a mount point
 * is kept only if shorter than 256 bytes (keep_v1_hierarchy()).
 */
static void cgroup_path(char *path, size_t len, const struct hierarchy *h, const char *name,
			const char *file)
{
	snprintf(path, len, "%s/%s%s%s%s%s", h->dir, CGROUP_PARENT, name ? "/" : "",
		 name ? name : "", file ? "/" : "", file ? file : "");
}

/*
 * DOC: cgroup-cleanup
 * Remove the cgroup DIR once its processes are gone. They may still be
 * exiting when we get here, so rmdir(2) can say EBUSY for a moment. On v2
 * cgroup.kill (Linux 5.14) kills whatever is left first.
 */
static int remove_cgroup_dir(const char *dir)
{
	char path[PATH_MAX];
	int tries;

	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	write_text(path, "1");
	for (tries = 0; tries < 200; tries++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		usleep(5000);
	}
	return -1;
}

/*
 * DOC: owner-lock
 * A runtime killed with SIGKILL cannot remove its cgroup; the next run, or
 * --cleanup, does, but only once that runtime is surely gone. Its PID
 * cannot tell: PIDs are reused, and a runtime in another PID namespace has
 * a PID we do not see. A lock can. Each runtime holds an exclusive
 * flock(2) on STATE_DIR/NAME.lock, NAME being its cgroup's, for as long as
 * it runs; the kernel lets go of the lock when the runtime dies, however
 * it dies. Whoever can take the lock knows its owner is gone.
 */
static int lock_name(const char *name, int create)
{
	char path[PATH_MAX];
	struct stat st, linked;
	int fd, saved;

	snprintf(path, sizeof(path), "%s/%s.lock", STATE_DIR, name);
	for (;;) {
		if (create && mkdir(STATE_DIR, 0700) == -1 && errno != EEXIST)
			err(EXIT_RUNTIME, "mkdir %s", STATE_DIR);
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
		if (fd == -1 && errno == ENOENT && create)
			continue; /* another runtime removed STATE_DIR just now */
		if (fd == -1)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		/* Whoever held it before may have removed it since we opened it. */
		if (fstat(fd, &st) == 0 && stat(path, &linked) == 0 && st.st_ino == linked.st_ino &&
		    st.st_dev == linked.st_dev)
			return fd;
		close(fd);
		if (!create) {
			errno = ENOENT;
			return -1;
		}
	}
}

/* [parent] Our cgroup's name, and its lock for as long as we run: ctr-PID,
 * or ctr-PID-N while runtimes in other PID namespaces hold the first. */
static void take_name(struct config *cfg)
{
	int n;

	for (n = 1; n <= 100; n++) {
		if (n == 1)
			snprintf(cfg->name, sizeof(cfg->name), "ctr-%d", getpid());
		else
			snprintf(cfg->name, sizeof(cfg->name), "ctr-%d-%d", getpid(), n);
		say("flock(\"%s/%s.lock\", LOCK_EX | LOCK_NB)", STATE_DIR, cfg->name);
		cfg->lock_fd = lock_name(cfg->name, 1);
		if (cfg->lock_fd != -1)
			return;
		if (errno != EWOULDBLOCK)
			err(EXIT_RUNTIME, "lock %s/%s.lock", STATE_DIR, cfg->name);
	}
	errx(EXIT_RUNTIME, "no free name in %s", STATE_DIR);
}

/* Remove the lock file FD is the lock of, and STATE_DIR once it is empty. */
static void drop_lock(const char *name, int fd)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.lock", STATE_DIR, name);
	if (unlink(path) == -1)
		warn("remove %s", path);
	close(fd);
	rmdir(STATE_DIR); /* fails while other runtimes use it: fine */
}

/* What a runtime that is gone left under NAME: its cgroups, then its lock. */
static void reclaim(const struct config *cfg, const char *name)
{
	char path[PATH_MAX];
	int fd = lock_name(name, 0);
	size_t i;

	if (fd == -1 && errno != ENOENT)
		return; /* its runtime is alive, or it is our own */
	for (i = 0; i < cfg->ncgroups; i++) {
		cgroup_path(path, sizeof(path), &cfg->cgroups[i], name, NULL);
		if (access(path, F_OK) == -1)
			continue;
		say("rmdir(\"%s\"): its runtime is gone", path);
		if (remove_cgroup_dir(path) == -1)
			warn("remove stale cgroup %s", path);
	}
	if (fd != -1)
		drop_lock(name, fd);
}

/* Reclaim every cgroup and lock whose runtime is gone, and only those. */
static void remove_stale_cgroups(const struct config *cfg)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	struct dirent *d;
	size_t i;
	DIR *parent;

	for (i = 0; i <= cfg->ncgroups; i++) {
		if (i < cfg->ncgroups)
			cgroup_path(dir, sizeof(dir), &cfg->cgroups[i], NULL, NULL);
		else
			snprintf(dir, sizeof(dir), "%s", STATE_DIR);
		parent = opendir(dir);
		if (!parent)
			continue;
		while ((d = readdir(parent))) {
			if (strncmp(d->d_name, "ctr-", 4) != 0 && strncmp(d->d_name, "name-", 5) != 0)
				continue; /* 09: and the names of containers */
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(d->d_name, "."), d->d_name);
			reclaim(cfg, name);
		}
		closedir(parent);
		rmdir(dir); /* fails while other containers use it: fine */
	}
}

/* On v2, let our cgroups use the controllers, where the host has them. */
static void enable_controllers(const char *dir)
{
	char path[PATH_MAX], available[256] = "", op[32];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	f = fopen(path, "r");
	if (!f || !fgets(available, sizeof(available), f))
		err(EXIT_RUNTIME, "read %s", path);
	fclose(f);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (i = 0; i < NCONTROLLERS; i++) {
		if (!has_item(available, controllers[i], ' '))
			continue;
		snprintf(op, sizeof(op), "+%s", controllers[i]);
		say("write \"%s\" to %s", op, path);
		if (write_text(path, op) == -1)
			err(EXIT_RUNTIME, "enable %s in %s", controllers[i], path);
	}
}

/*
 * DOC: cgroup
 * Make the container's cgroup, before clone(), so that on v2 the child can
 * start in it (DOC: clone3). Another runtime may remove the shared parent
 * directory when it empties, hence the retry.
 */
static void setup_cgroup(struct config *cfg)
{
	char parent[PATH_MAX], dir[PATH_MAX];
	const struct hierarchy *h;
	size_t i;
	int tries;

	cfg->cgroup_fd = -1;
	if (cfg->rootless)
		return; /* join_cgroup() says so, once the id maps are written */
	take_name(cfg);
	remove_stale_cgroups(cfg);
	for (i = 0; i < cfg->ncgroups; i++) {
		h = &cfg->cgroups[i];
		cgroup_path(parent, sizeof(parent), h, NULL, NULL);
		cgroup_path(dir, sizeof(dir), h, cfg->name, NULL);
		cfg->cgroup_made = 1;
		for (tries = 0;; tries++) {
			if (mkdir(parent, 0755) == -1 && errno != EEXIST)
				err(EXIT_RUNTIME, "create cgroup %s", parent);
			if (cfg->cgroup_v2) {
				enable_controllers(h->dir);
				enable_controllers(parent);
			}
			say("mkdir(\"%s\")", dir);
			if (mkdir(dir, 0755) == 0)
				break;
			/* EEXIST: a runtime killed earlier had our name; its
			 * cgroup is stale, since we hold the name's lock. */
			if (errno == EEXIST && tries < 10 && remove_cgroup_dir(dir) == 0)
				continue;
			if (errno != ENOENT || tries == 10)
				err(EXIT_RUNTIME, "create cgroup %s", dir);
		}
		if (cfg->cgroup_v2) {
			cfg->cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cfg->cgroup_fd == -1)
				err(EXIT_RUNTIME, "open cgroup %s", dir);
		}
	}
}

/*
 * DOC: cgroup-join
 * Move the child into its cgroup, unless it started there, before it may
 * go on and make its cgroup namespace. Its children, the command and
 * everything it starts, are born into it.
 */
static void join_cgroup(const struct config *cfg)
{
	char dir[PATH_MAX], procs[PATH_MAX], pid[16];
	size_t i;

	if (cfg->rootless) {
		warnx("rootless: no cgroup of its own without root");
		return;
	}
	if (!cfg->cgroup_made || cfg->born_in_cgroup)
		return;
	snprintf(pid, sizeof(pid), "%d", cfg->child);
	for (i = 0; i < cfg->ncgroups; i++) {
		cgroup_path(dir, sizeof(dir), &cfg->cgroups[i], cfg->name, NULL);
		cgroup_path(procs, sizeof(procs), &cfg->cgroups[i], cfg->name, "cgroup.procs");
		say("write \"%s\" to %s", pid, procs);
		if (write_text(procs, pid) == -1)
			err(EXIT_RUNTIME, "move the container into %s", dir);
	}
}

/* Remove our cgroup, and the shared parent if it is now empty. */
static void remove_cgroup(const struct config *cfg)
{
	char parent[PATH_MAX], dir[PATH_MAX];
	size_t i;

	for (i = 0; i < cfg->ncgroups; i++) {
		cgroup_path(parent, sizeof(parent), &cfg->cgroups[i], NULL, NULL);
		cgroup_path(dir, sizeof(dir), &cfg->cgroups[i], cfg->name, NULL);
		say("rmdir(\"%s\")", dir);
		if (remove_cgroup_dir(dir) == -1)
			warn("remove cgroup %s", dir);
		rmdir(parent); /* fails while other containers use it: fine */
	}
}

/*
 * rm -rf NAME in the directory DIRFD, on its filesystem only. Every step
 * is relative to a directory already open and never follows a symlink, so
 * a symlink planted in a shared directory cannot steer it elsewhere.
 */
static void remove_tree_at(int dirfd, const char *name, dev_t dev)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			warn("remove %s", name);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) == -1)
			warn("remove %s", name);
		return;
	}
	if (st.st_dev != dev)
		return; /* a mount point: not ours to empty */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 && (dir = fdopendir(fd))) {
		while ((d = readdir(dir)))
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				remove_tree_at(fd, d->d_name, dev);
		closedir(dir);
	} else if (fd != -1) {
		close(fd);
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
		warn("remove %s", name);
}

/*
 * DOC: upper
 * overlayfs needs a work directory on the same filesystem as the upper
 * one, and empty: we make one beside DIR, and remove it at exit. Two
 * overlays must never share an upper directory, so we hold an exclusive
 * flock(2) on DIR while we run. Holding it also tells us that a work
 * directory found beside DIR is a leftover of a runtime killed with
 * SIGKILL, to remove. Both belong to the container's root: host uid 0
 * seen through the idmap (see idmap-layers), or its own host uid.
 */
static void setup_upper(struct config *cfg)
{
	unsigned int uid = cfg->upper_idmapped ? 0 : mapped_root(cfg->uid_map);
	unsigned int gid = cfg->upper_idmapped ? 0 : mapped_root(cfg->gid_map);
	char parent[PATH_MAX], *name;
	struct dirent *d;
	struct stat st;
	size_t len;
	DIR *dir;

	if (!cfg->upper)
		return;
	if (mkdir(cfg->upper, 0755) == 0)
		cfg->upper_made = 1;
	else if (errno != EEXIST)
		err(EXIT_RUNTIME, "create --upper %s", cfg->upper);
	if (cfg->upper_made && chown(cfg->upper, uid, gid) == -1)
		err(EXIT_RUNTIME, "chown %s", cfg->upper);
	cfg->upper_fd = open(cfg->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg->upper_fd == -1)
		err(EXIT_RUNTIME, "--upper %s", cfg->upper);
	say("flock(\"%s\", LOCK_EX | LOCK_NB)", cfg->upper);
	if (flock(cfg->upper_fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			errx(EXIT_RUNTIME, "--upper %s is in use by another container", cfg->upper);
		err(EXIT_RUNTIME, "lock --upper %s", cfg->upper);
	}
	/* cfg->work is PARENT/.NAME.work (older runtimes added -PID). */
	snprintf(parent, sizeof(parent), "%s", cfg->work);
	name = strrchr(parent, '/');
	*name++ = '\0';
	len = strlen(name);
	cfg->work_parent = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfg->work_parent == -1 || fstat(cfg->work_parent, &st) == -1)
		err(EXIT_RUNTIME, "open %s", parent);
	dir = fdopendir(fcntl(cfg->work_parent, F_DUPFD_CLOEXEC, 0));
	if (!dir)
		err(EXIT_RUNTIME, "open %s", parent);
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, name, len) && (!d->d_name[len] || d->d_name[len] == '-')) {
			say("remove %s/%s: its runtime is gone", parent, d->d_name);
			remove_tree_at(cfg->work_parent, d->d_name, st.st_dev);
		}
	closedir(dir);
	say("mkdir(\"%s\")", cfg->work);
	if (mkdirat(cfg->work_parent, name, 0700) == -1)
		err(EXIT_RUNTIME, "create overlay work directory %s", cfg->work);
	cfg->work_made = 1;
	if (fchownat(cfg->work_parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) == -1)
		err(EXIT_RUNTIME, "chown %s", cfg->work);
}

/* The path of FILE in our cgroup, in the hierarchy that holds CONTROLLER. */
static void cgroup_file(char *path, size_t len, const struct config *cfg, const char *controller,
			const char *file)
{
	cgroup_path(path, len, cgroup_holding(cfg, controller), cfg->name, file);
}

/* Write TEXT to FILE in our cgroup, if it exists there (OPTIONAL) or always. */
static void write_cgroup(const struct config *cfg, const char *controller, const char *file,
			 const char *text, int optional)
{
	char path[PATH_MAX];

	cgroup_file(path, sizeof(path), cfg, controller, file);
	if (optional && access(path, F_OK) == -1)
		return;
	say("write \"%s\" to %s", text, path);
	if (write_text(path, text) == -1)
		err(EXIT_RUNTIME, "set %s to %s", path, text);
}

/*
 * DOC: cgroup-limits
 * The same three limits in v2's and v1's words. The CPU limit is CFS
 * bandwidth control: at most QUOTA microseconds of CPU time in every
 * PERIOD. Swap is switched off for the cgroup, so going over --memory
 * means the OOM killer, not a slow crawl through swap.
 */
static void setup_limits(const struct config *cfg)
{
	char value[64];

	if (cfg->memory) {
		snprintf(value, sizeof(value), "%lld", cfg->memory_bytes);
		if (cfg->cgroup_v2) {
			write_cgroup(cfg, "memory", "memory.max", value, 0);
			write_cgroup(cfg, "memory", "memory.swap.max", "0", 1);
		} else {
			write_cgroup(cfg, "memory", "memory.limit_in_bytes", value, 0);
			write_cgroup(cfg, "memory", "memory.memsw.limit_in_bytes", value, 1);
		}
	}
	if (cfg->cpus && cfg->cgroup_v2) {
		snprintf(value, sizeof(value), "%ld %d", cfg->cpu_quota_us, CPU_PERIOD_US);
		write_cgroup(cfg, "cpu", "cpu.max", value, 0);
	} else if (cfg->cpus) {
		snprintf(value, sizeof(value), "%d", CPU_PERIOD_US);
		write_cgroup(cfg, "cpu", "cpu.cfs_period_us", value, 0);
		snprintf(value, sizeof(value), "%ld", cfg->cpu_quota_us);
		write_cgroup(cfg, "cpu", "cpu.cfs_quota_us", value, 0);
	}
	if (cfg->pids_limit) {
		snprintf(value, sizeof(value), "%ld", cfg->pids_max);
		write_cgroup(cfg, "pids", "pids.max", value, 0);
	}
}

/*
 * DOC: oom
 * A command killed by the OOM killer just dies of SIGKILL (status 137);
 * the cgroup's oom_kill counter tells that apart from a kill -9.
 */
static int report_oom(const struct config *cfg, int status)
{
	char path[PATH_MAX], line[128];
	long kills = 0;
	FILE *f;

	if (!cfg->memory || status != 128 + SIGKILL)
		return status;
	cgroup_file(path, sizeof(path), cfg, "memory",
		    cfg->cgroup_v2 ? "memory.events" : "memory.oom_control");
	if ((f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f))
			sscanf(line, "oom_kill %ld", &kills);
		fclose(f);
	}
	if (kills > 0)
		warnx("the command was killed by the OOM killer: it went over --memory %s",
		      cfg->memory);
	return status;
}

/* ------------------------------------------------------------------------
 * 09: names (--name), and the terminal's other end (-t).
 */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* Linux 5.3 */
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424 /* Linux 5.1 */
#endif

/* When process PID started, in clock ticks since boot (/proc/PID/stat's
 * 22nd field): with the PID, it names one process for good. 0 if PID is
 * gone or a zombie. */
static unsigned long long start_time(pid_t pid)
{
	unsigned long long start = 0;
	char path[64], buf[1024], state;
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name, in parentheses, may itself hold ") ". */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			 "%*s %*s %*s %*s %llu", &state, &start) != 2 || state == 'Z' || state == 'X')
		return 0;
	return start;
}

/* The lock file name of container NAME, for lock_name(): name-NAME. */
static void name_lock(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "name-%s", name);
}

/*
 * DOC: names
 * --name NAME registers the container in STATE_DIR/name-NAME.lock, a
 * lock like the cgroup's (see owner-lock): we hold it for as long as we
 * run, so a second container cannot take the name, and whoever can take
 * the lock knows we are gone and removes the file. It is empty until the
 * container is made; then it says where the container is.
 */
static void take_container_name(struct config *cfg)
{
	char lock[64];

	if (!cfg->ctr_name)
		return;
	name_lock(lock, sizeof(lock), cfg->ctr_name);
	say("flock(\"%s/%s.lock\", LOCK_EX | LOCK_NB)", STATE_DIR, lock);
	cfg->name_fd = lock_name(lock, 1);
	if (cfg->name_fd == -1 && errno == EWOULDBLOCK)
		errx(EXIT_RUNTIME, "--name %s: a running container has that name", cfg->ctr_name);
	if (cfg->name_fd == -1)
		err(EXIT_RUNTIME, "lock %s/%s.lock", STATE_DIR, lock);
	/* A runtime killed with SIGKILL may have left it full. */
	if (ftruncate(cfg->name_fd, 0) == -1)
		err(EXIT_RUNTIME, "empty %s/%s.lock", STATE_DIR, lock);
}

/*
 * The state file, one "KEY VALUE" a line: the container's first process
 * (pid, and start, its start time, see start_time()), its cgroup, when it
 * started (wall clock, seconds), the --cap-add and --cap-drop sets and
 * the --user, for exec to give its command what the container's has, and
 * the command.
 */
static void describe_container(const struct config *cfg)
{
	char state[1024];
	size_t len, command, i, room;

	if (!cfg->ctr_name)
		return;
	command = snprintf(state, sizeof(state),
			   "pid %d\nstart %llu\ncgroup %s\nstarted %lld\ncapabilities %llx %llx %d %d\n"
			   "user %s\ncommand",
			   cfg->child, start_time(cfg->child), cfg->name, (long long)time(NULL),
			   cfg->cap_add, cfg->cap_drop, cfg->cap_add_all, cfg->cap_drop_all,
			   cfg->user ? cfg->user : "0");
	/* The command on one line, cut to fit. */
	for (len = command, i = 0; cfg->argv[i] && len < sizeof(state) - 2; i++) {
		room = sizeof(state) - 2 - len;
		len += snprintf(state + len, room + 1, " %s", cfg->argv[i]);
		len = len < sizeof(state) - 2 ? len : sizeof(state) - 2;
	}
	for (i = command; i < len; i++)
		if (state[i] == '\n')
			state[i] = ' ';
	state[len++] = '\n';
	say("write the state of %s to %s/name-%s.lock", cfg->ctr_name, STATE_DIR, cfg->ctr_name);
	if (pwrite(cfg->name_fd, state, len, 0) != (ssize_t)len)
		err(EXIT_RUNTIME, "write %s/name-%s.lock", STATE_DIR, cfg->ctr_name);
}

/* Wait for the child to say the container is made (see ready); with -t,
 * take the terminal's master side. -1 if it ended first: it said why. */
static int receive_ready(struct config *cfg)
{
	char control[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	do
		n = recvmsg(cfg->ready_sock[0], &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		err(EXIT_RUNTIME, "wait for the container to be ready");
	close(cfg->ready_sock[0]);
	if (n == 0)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(&cfg->master, CMSG_DATA(cmsg), sizeof(int));
	if (cfg->tty && cfg->master == -1)
		errx(EXIT_RUNTIME, "the container sent no terminal");
	return 0;
}

/*
 * DOC: raw
 * While the container has a terminal of its own, ours must pass every key
 * through untouched: no line editing and no echo (the container's terminal
 * does both), and no Ctrl-C turned into a signal for us (the container's
 * terminal turns it into one for its foreground job). That is raw mode.
 * cleanup() puts the settings back, on every way out but SIGKILL, after
 * which `reset` does.
 */
static void enter_raw_mode(struct config *cfg)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &cfg->saved_termios) == -1)
		err(EXIT_RUNTIME, "tcgetattr");
	raw = cfg->saved_termios;
	cfmakeraw(&raw);
	say("tcsetattr(0, TCSADRAIN, raw mode)");
	cfg->raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == -1)
		err(EXIT_RUNTIME, "put the terminal in raw mode");
}

static volatile sig_atomic_t window_changed;

static void note_window_change(int sig)
{
	(void)sig;
	window_changed = 1;
}

/* Our window's size, passed on: the kernel sends the container's
 * foreground job SIGWINCH. */
static void pass_window_size(const struct config *cfg)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == -1)
		err(EXIT_RUNTIME, "read the terminal's window size");
	say("ioctl(master, TIOCSWINSZ, %u rows, %u columns)", ws.ws_row, ws.ws_col);
	if (ioctl(cfg->master, TIOCSWINSZ, &ws) == -1)
		err(EXIT_RUNTIME, "set the container's window size");
}

/* Copy what FROM has to TO: 1 if some was, 0 at its end (for the master,
 * EIO: no one has the slave open), -1 if nothing was there just now. */
static int relay(int from, int to)
{
	char buf[4096];
	ssize_t n, done, w;

	n = read(from, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return -1;
	if (n <= 0)
		return 0;
	for (done = 0; done < n; done += w) {
		w = write(to, buf + done, n - done);
		if (w == -1 && errno == EINTR)
			w = 0;
		else if (w == -1)
			return 0;
	}
	return 1;
}

/*
 * DOC: relay
 * The runtime sits between the two terminals, as a terminal emulator or
 * sshd does: keys from ours go to the master side, the container's output
 * comes back, and a new window size (SIGWINCH) is passed on. It ends when
 * the container's first process does: a pidfd (Linux 5.3) is a descriptor
 * that poll(2) reports readable then, so one poll waits for all three.
 * SIGWINCH is let through only inside ppoll(2), so none comes between the
 * check of window_changed and the wait. The master is non-blocking, and
 * keys the container is not reading yet wait in KEYS: a write that blocked
 * would stop the output too, and a program that prints without reading
 * would then wait for us while we wait for it.
 */
static void relay_terminal(struct config *cfg)
{
	struct pollfd fds[3] = {
		{.fd = cfg->master},
		{.fd = STDIN_FILENO},
		{.fd = (int)syscall(SYS_pidfd_open, cfg->child, 0), .events = POLLIN},
	};
	sigset_t winch, during_poll;
	size_t nkeys = 0;
	char keys[4096];
	ssize_t n;

	if (fds[2].fd == -1)
		err(EXIT_RUNTIME, "pidfd_open %d", cfg->child);
	if (fcntl(cfg->master, F_SETFL, O_NONBLOCK) == -1)
		err(EXIT_RUNTIME, "fcntl");
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &winch, &during_poll) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	sigdelset(&during_poll, SIGWINCH);
	handle_signal(SIGWINCH, note_window_change);
	enter_raw_mode(cfg);
	window_changed = 1; /* it may have changed since the start */
	while (!fds[2].revents) {
		if (window_changed) {
			window_changed = 0;
			pass_window_size(cfg);
		}
		fds[0].events = POLLIN | (nkeys ? POLLOUT : 0);
		fds[1].events = nkeys ? 0 : POLLIN;
		if (ppoll(fds, 3, NULL, &during_poll) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_RUNTIME, "poll");
		}
		if ((fds[0].revents & ~POLLOUT) && relay(cfg->master, STDOUT_FILENO) == 0)
			fds[0].fd = -1;
		if ((fds[0].revents & POLLOUT) && (n = write(cfg->master, keys, nkeys)) > 0) {
			nkeys -= n;
			memmove(keys, keys + n, nkeys);
		}
		if (fds[1].revents && !nkeys) {
			n = read(STDIN_FILENO, keys, sizeof(keys));
			if (n > 0)
				nkeys = n;
			else if (n == 0 || errno != EINTR)
				fds[1].fd = -1; /* end of our input */
		}
	}
	/* What the container wrote last may still wait in the terminal. */
	while (relay(cfg->master, STDOUT_FILENO) == 1)
		;
	close(fds[2].fd);
}

/* After the child is released: with -t or --name, wait until the
 * container is made, register it, and with -t be its terminal. */
static void await_ready(struct config *cfg)
{
	if (!cfg->reports_ready || receive_ready(cfg) == -1)
		return;
	describe_container(cfg);
	if (cfg->tty)
		relay_terminal(cfg);
}

/* Clone each volume's mounts, on the host, before clone(): see volume.
 * Rootless, we may not (06-user): the child clones them, in its own mount
 * namespace, where it may. */
static void clone_volumes(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nvolumes; i++)
		cfg->volumes[i].tree = cfg->rootless ? -1 : clone_volume(&cfg->volumes[i]);
}

/*
 * DOC: idmap-volumes
 * A volume's files keep their owners inside: the clone gets the
 * container's map, as the rootfs does (see idmap), so that a file of host
 * uid 1000 shows as uid 1000 in the container, and one of host root as
 * root's. Without it they would all show as nobody. Unlike the rootfs and
 * the layers, a volume is the host's own data, so this holds whatever the
 * rootfs needed: with --idmap no, or rootless, there is no map.
 */
/* The child has its own descriptors for the clones: ours go. */
static void hand_over_volumes(struct config *cfg)
{
	int i;

	for (i = 0; i < cfg->nvolumes; i++) {
		if (cfg->volumes[i].tree == -1)
			continue;
		if (strcmp(cfg->idmap, "yes") == 0 &&
		    idmap_tree(cfg, cfg->volumes[i].tree, cfg->volumes[i].host) == -1)
			err(EXIT_RUNTIME, "--volume %s: its filesystem takes no idmapped mount (try "
					  "--idmap no)", cfg->volumes[i].host);
		close(cfg->volumes[i].tree);
		cfg->volumes[i].tree = -1;
	}
}

/* Everything the parent must do before the child may go on. */
static void prepare_child(struct config *cfg)
{
	take_container_name(cfg); /* 09 */
	write_pid_file(cfg);
	setup_id_maps(cfg); /* 06-user */
	idmap_rootfs(cfg);  /* 06-user */
	idmap_layers(cfg);  /* 09 */
	join_cgroup(cfg);   /* 07-cgroup */
	setup_limits(cfg);  /* 09 */
	setup_upper(cfg);   /* 09 */
	setup_veth(cfg); /* 05-net */
	hand_over_volumes(cfg); /* 03-mnt */
	idmap_note(cfg);    /* 06-user */
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

	if (in_container)
		return; /* 07-cgroup: the clean-up is the runtime's alone */
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
	/* DOC: veth-cleanup
	 * The veth pair is left to the kernel. The container's processes are
	 * gone (a PID namespace ends with its first process), so nothing of
	 * ours holds its network namespace any more: the kernel destroys it
	 * in a work queue of its own, and the pair with it, a moment after we
	 * exit. Deleting the host end ourselves would make us wait in the
	 * kernel for its RCU clean-up, most of a run's time. A process that
	 * entered the namespace from outside (nsenter) keeps it, and the pair,
	 * until it leaves. */
	if (cfg->veth[0])
		say("leave %s to the kernel: it goes with the network namespace", cfg->veth);
	cfg->veth[0] = '\0';
	if (cfg->cgroup_made)
		remove_cgroup(cfg);
	cfg->cgroup_made = 0;
	if (cfg->name[0])
		drop_lock(cfg->name, cfg->lock_fd);
	cfg->name[0] = '\0';
	if (cfg->work_made) {
		struct stat st;

		say("remove %s", cfg->work);
		if (fstat(cfg->work_parent, &st) == 0)
			remove_tree_at(cfg->work_parent, strrchr(cfg->work, '/') + 1, st.st_dev);
	}
	cfg->work_made = 0;
	if (cfg->upper_made && cfg->status == EXIT_RUNTIME)
		rmdir(cfg->upper); /* only if still empty */
	cfg->upper_made = 0;
	if (cfg->name_fd != -1) {
		char lock[64];

		name_lock(lock, sizeof(lock), cfg->ctr_name);
		drop_lock(lock, cfg->name_fd);
	}
	cfg->name_fd = -1;
	if (cfg->raw && tcsetattr(STDIN_FILENO, TCSADRAIN, &cfg->saved_termios) == -1)
		warn("restore the terminal's settings");
	cfg->raw = 0;
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

/* ------------------------------------------------------------------------
 * 09: ps, kill and exec: the running containers that have a name.
 */

/* What a container's state file says (see describe_container()). */
struct running {
	pid_t pid;
	unsigned long long start;
	char cgroup[32];
	long long started;
	unsigned long long cap_add, cap_drop;
	int cap_add_all, cap_drop_all;
	char user[24];
	char command[1024];
};

/*
 * The state of container NAME, if its runtime is alive: 0, or -1 with
 * errno ENOENT (no such container) or EAGAIN (still being made). A file
 * whose lock we can take is a dead runtime's: we remove it.
 */
static int read_running(const char *name, struct running *r)
{
	char lock[64], path[PATH_MAX], line[1100];
	FILE *f;
	int fd;

	name_lock(lock, sizeof(lock), name);
	fd = lock_name(lock, 0);
	if (fd != -1) {
		say("remove %s/%s.lock: its runtime is gone", STATE_DIR, lock);
		drop_lock(lock, fd);
		errno = ENOENT;
		return -1;
	}
	if (errno != EWOULDBLOCK)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.lock", STATE_DIR, lock);
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		sscanf(line, "pid %d", &r->pid);
		sscanf(line, "start %llu", &r->start);
		sscanf(line, "cgroup %31s", r->cgroup);
		sscanf(line, "started %lld", &r->started);
		sscanf(line, "capabilities %llx %llx %d %d", &r->cap_add, &r->cap_drop, &r->cap_add_all,
		       &r->cap_drop_all);
		sscanf(line, "user %23s", r->user);
		if (!strncmp(line, "command ", 8))
			snprintf(r->command, sizeof(r->command), "%.*s", (int)sizeof(r->command) - 1,
				 line + 8);
	}
	fclose(f);
	if (r->pid <= 0 || !r->start || !r->cgroup[0] || !r->user[0]) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/*
 * DOC: pidfd
 * A PID names a process only while it lives: once it is reaped, the
 * number can go to another. A pidfd (pidfd_open, Linux 5.3) names one
 * process for good. We open one for the PID the state file gives, then
 * check that the process is still the one registered: its start time
 * matches. From then on whatever we do through the pidfd reaches that
 * process or fails with ESRCH, never another.
 */
static int open_container(const char *name, struct running *r)
{
	int pidfd;

	if (read_running(name, r) == -1) {
		if (errno == ENOENT)
			errx(EXIT_RUNTIME, "no running container is named %s (see: container ps)", name);
		if (errno == EAGAIN)
			errx(EXIT_RUNTIME, "container %s is still starting", name);
		err(EXIT_RUNTIME, "read the state of container %s", name);
	}
	say("pidfd_open(%d, 0)", r->pid);
	pidfd = syscall(SYS_pidfd_open, r->pid, 0);
	if (pidfd == -1 && errno != ESRCH)
		err(EXIT_RUNTIME, "pidfd_open %d", r->pid);
	if (pidfd == -1 || start_time(r->pid) != r->start)
		errx(EXIT_RUNTIME, "container %s is exiting", name);
	return pidfd;
}

/* The subcommands need what only root may read. */
static void need_root(const char *command)
{
	if (geteuid() != 0)
		errx(EXIT_RUNTIME, "container %s needs root: the names are kept in %s", command,
		     STATE_DIR);
}

/* Which names are names of containers: name-NAME.lock. */
static int is_name(const struct dirent *d)
{
	return !strncmp(d->d_name, "name-", 5) && strchr(d->d_name, '.');
}

/* container ps: NAME, host PID, uptime and command of each named one. */
static int list_containers(int argc, char *argv[])
{
	struct dirent **names;
	char *name, uptime[32];
	struct running r;
	long long up;
	int n, i;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (argc > 1)
		errx(EXIT_RUNTIME, "ps takes no arguments: %s", argv[1]);
	need_root("ps");
	n = scandir(STATE_DIR, &names, is_name, alphasort);
	if (n == -1 && errno != ENOENT)
		err(EXIT_RUNTIME, "read %s", STATE_DIR);
	printf("%-20s %-8s %-10s %s\n", "NAME", "PID", "UPTIME", "COMMAND");
	for (i = 0; i < n; i++) {
		name = names[i]->d_name + 5;
		*strchr(name, '.') = '\0';
		if (read_running(name, &r) == 0) {
			up = time(NULL) - r.started;
			snprintf(uptime, sizeof(uptime), "%lld:%02lld:%02lld", up / 3600, up / 60 % 60,
				 up % 60);
			printf("%-20s %-8d %-10s %s\n", name, r.pid, uptime, r.command);
		}
		free(names[i]);
	}
	if (n > 0)
		free(names);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_RUNTIME;
}

/* The options every subcommand knows, and its errors, as parse_args() has them. */
static void subcommand_option(int opt, char *argv[])
{
	if (opt == 'v')
		verbose = 1;
	else if (opt == 'h')
		usage(stdout), exit(EXIT_SUCCESS);
	else if (opt == ':')
		errx(EXIT_RUNTIME, "option %s needs a value", argv[optind - 1]);
	else
		errx(EXIT_RUNTIME, "unknown option %s (try --help)", argv[optind - 1]);
}

/* A signal by number or name: 9, KILL or SIGKILL. */
static int parse_signal(const char *text)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGKILL, "KILL"},
		{SIGUSR1, "USR1"}, {SIGUSR2, "USR2"}, {SIGTERM, "TERM"}, {SIGCONT, "CONT"},
		{SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"}, {SIGWINCH, "WINCH"},
	};
	const char *bare = strncmp(text, "SIG", 3) ? text : text + 3;
	char *end;
	size_t i;
	long n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(bare, names[i].name))
			return names[i].sig;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || !isdigit((unsigned char)text[0]) || n < 1 || n >= NSIG)
		errx(EXIT_RUNTIME, "-s %s: expected a signal, e.g. TERM or 15", text);
	return n;
}

/*
 * container kill: signal the container's first process, through a pidfd.
 * It passes the signals its runtime forwards on to the command; SIGKILL
 * ends the container, and its runtime cleans up.
 */
static int kill_container(int argc, char *argv[])
{
	static const struct option options[] = {
		{"signal", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct running r;
	int opt, sig = SIGKILL, pidfd;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:vh", options, NULL)) != -1) {
		if (opt == 's')
			sig = parse_signal(optarg);
		else
			subcommand_option(opt, argv);
	}
	if (argc - optind != 1)
		errx(EXIT_RUNTIME, "kill: say which container, and only one (try --help)");
	check_name("kill", argv[optind]);
	need_root("kill");
	pidfd = open_container(argv[optind], &r);
	say("pidfd_send_signal(pidfd, %d)", sig);
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == -1) {
		if (errno == ESRCH)
			errx(EXIT_RUNTIME, "container %s is exiting", argv[optind]);
		err(EXIT_RUNTIME, "signal container %s", argv[optind]);
	}
	close(pidfd);
	return EXIT_SUCCESS;
}

/* All eight, for setns(2) on a pidfd. */
#define JOINED_NAMESPACES                                                                          \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID |  \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

/*
 * DOC: exec
 * The process the runtime forks to run a command in container R. It
 * joins the container's cgroup first, while it still sees the host's
 * cgroup files, then all eight namespaces at once: setns(2) on a pidfd
 * (Linux 5.8) takes several CLONE_NEW* flags and either joins them all
 * or none, the user namespace first, since the others belong to it. In
 * the container's user namespace we are still the host's uid 0, which it
 * does not map: we become its root. The mount namespace gives us its root
 * directory. Joining a PID namespace moves only our future children into
 * it, so from here on we are what PID 1 is to a run: the command's
 * parent, which passes signals on and reports its status (run_init()).
 * The command is hardened as the container's own was.
 */
/* exec: if the runtime dies, even by SIGKILL, so do we (and then the
 * command, see die_with_parent()). */
static void die_with_runtime(pid_t runtime)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_PDEATHSIG");
	if (getppid() != runtime)
		_exit(EXIT_RUNTIME); /* it is gone already */
}

static void join_container(struct config *cfg, int pidfd, const struct running *r, pid_t runtime)
{
	static char hostname[HOST_NAME_MAX + 1];
	char procs[PATH_MAX];
	size_t i;

	die_with_runtime(runtime);
	/* A session of our own, out of reach of the caller's terminal. */
	if (setsid() == -1)
		err(EXIT_RUNTIME, "setsid");
	for (i = 0; i < cfg->ncgroups; i++) {
		cgroup_path(procs, sizeof(procs), &cfg->cgroups[i], r->cgroup, "cgroup.procs");
		say("write \"0\" (ourselves) to %s", procs);
		if (write_text(procs, "0") == 0)
			continue;
		/* ENOENT: its runtime has removed it, or is removing it. */
		if (errno == ENOENT || access(procs, F_OK) == -1)
			errx(EXIT_RUNTIME, "container %s is exiting", cfg->join);
		err(EXIT_RUNTIME, "join the container's cgroup %s", procs);
	}
	say("setns(pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | "
	    "CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME)");
	if (setns(pidfd, JOINED_NAMESPACES) == -1) {
		if (errno == ESRCH)
			errx(EXIT_RUNTIME, "container %s is exiting", cfg->join);
		if (errno == EINVAL)
			err(EXIT_RUNTIME, "setns with a pidfd (Linux 5.8 or later is needed)");
		err(EXIT_RUNTIME, "setns into container %s", cfg->join);
	}
	close(pidfd);
	say("setgroups(0, NULL); setresgid(0, 0, 0); setresuid(0, 0, 0)");
	if (setgroups(0, NULL) == -1 || setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1)
		err(EXIT_RUNTIME, "become the container's root");
	/* Changing credentials cleared the parent-death signal (see become-root). */
	die_with_runtime(runtime);
	if (chdir("/") == -1)
		err(EXIT_RUNTIME, "chdir /");
	if (gethostname(hostname, sizeof(hostname) - 1) == -1)
		err(EXIT_RUNTIME, "gethostname");
	cfg->hostname = hostname;
	if (cfg->tty)
		report_ready(cfg, open_terminal(cfg));
	exit(run_init(cfg));
}

/* exec's options, up to the first word that is not one, or "--". */
static void exec_options(struct config *cfg, int argc, char *argv[])
{
	static const struct option options[] = {
		{"env", required_argument, NULL, 'e'},
		{"tty", no_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:e:tvh", options, NULL)) != -1) {
		if (opt == 'e')
			add_env(cfg, optarg);
		else if (opt == 't')
			cfg->tty = 1;
		else
			subcommand_option(opt, argv);
	}
}

/*
 * container exec [OPTIONS] NAME [OPTIONS] [--] COMMAND [ARG...]: the
 * options may come before NAME, as docker exec has them, or after it.
 */
static void parse_exec(struct config *cfg, int argc, char *argv[])
{
	exec_options(cfg, argc, argv);
	if (optind == argc)
		errx(EXIT_RUNTIME, "exec: say which container, then the command (try --help)");
	cfg->join = argv[optind++];
	check_name("exec", cfg->join);
	exec_options(cfg, argc, argv);
	if (optind == argc)
		errx(EXIT_RUNTIME, "exec %s: say which command to run", cfg->join);
	cfg->argv = &argv[optind];
	if (isatty(STDIN_FILENO))
		cfg->term = getenv("TERM");
	check_tty(cfg);
	need_root("exec");
	find_cgroups(cfg);
}

/* container exec: the runtime's side, on the host, as main() is for a run. */
static int exec_in_container(struct config *cfg, int argc, char *argv[])
{
	pid_t runtime = getpid();
	struct running r;
	int pidfd;

	parse_exec(cfg, argc, argv);
	pidfd = open_container(cfg->join, &r);
	/* The capabilities and user of the container's command (see cap-add). */
	cfg->cap_add = r.cap_add, cfg->cap_drop = r.cap_drop;
	cfg->cap_add_all = r.cap_add_all, cfg->cap_drop_all = r.cap_drop_all;
	if (strcmp(r.user, "0") != 0) {
		cfg->user = r.user;
		parse_user(cfg);
	}
	if (cfg->tty && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cfg->ready_sock) == -1)
		err(EXIT_RUNTIME, "socketpair");
	fflush(NULL);
	say("fork() the process that joins container %s", cfg->join);
	cfg->child = fork();
	if (cfg->child == -1)
		err(EXIT_RUNTIME, "fork");
	if (cfg->child == 0)
		join_container(cfg, pidfd, &r, runtime);
	close(pidfd);
	cleanup_cfg = cfg;
	if (atexit(cleanup) != 0)
		errx(EXIT_RUNTIME, "atexit failed");
	forward_to = cfg->child;
	runtime_signals();
	if (cfg->tty)
		close(cfg->ready_sock[1]);
	if (sigprocmask(SIG_SETMASK, &cfg->caller_mask, NULL) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	await_ready(cfg);
	cfg->status = wait_child(cfg);
	return finish(cfg->status);
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
	cfg.status = EXIT_RUNTIME; /* 09: until the container has run */
	cfg.master = cfg.name_fd = -1; /* 09 */
	/* DOC: block-signals
	 * Until their handlers are in place in every process (see signals). */
	handled_signals(&handled);
	if (sigprocmask(SIG_BLOCK, &handled, &cfg.caller_mask) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	/* 09: the running containers that have a name. */
	if (argc > 1 && !strcmp(argv[1], "exec"))
		return exec_in_container(&cfg, argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "ps"))
		return list_containers(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "kill"))
		return kill_container(argc - 1, argv + 1);
	parse_args(&cfg, argc, argv);
	if (cfg.cleanup_only) {
		remove_stale_cgroups(&cfg); /* 07-cgroup */
		return EXIT_SUCCESS;
	}
	check_rootfs(&cfg); /* 03-mnt */
	clone_volumes(&cfg); /* 03-mnt */
	clone_rootfs(&cfg); /* 06-user */
	check_layers(&cfg); /* 09 */
	clone_layers(&cfg); /* 09 */
	if (pipe2(cfg.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_RUNTIME, "pipe2");
	if (cfg.reports_ready &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cfg.ready_sock) == -1)
		err(EXIT_RUNTIME, "socketpair"); /* 09 */
	/* Registered before the cgroup is made, for it is one more thing to
	 * undo; the container inherits it (see in_container). */
	cleanup_cfg = &cfg;
	if (atexit(cleanup) != 0)
		errx(EXIT_RUNTIME, "atexit failed");
	setup_cgroup(&cfg); /* 07-cgroup: before clone(), to start the child in it */
	cfg.child = spawn_child(&cfg);
	forward_to = cfg.child;
	runtime_signals();
	close(cfg.sync_pipe[0]);
	if (cfg.reports_ready)
		close(cfg.ready_sock[1]); /* 09 */
	prepare_child(&cfg);
	release_child(cfg.sync_pipe[1]);
	/* The container is ready for signals: let them come. */
	if (sigprocmask(SIG_SETMASK, &cfg.caller_mask, NULL) == -1)
		err(EXIT_RUNTIME, "sigprocmask");
	await_ready(&cfg); /* 09: -t, --name */
	cfg.status = report_oom(&cfg, wait_child(&cfg)); /* 09 */
	return finish(cfg.status);
}
