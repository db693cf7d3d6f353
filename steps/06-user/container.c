/*
 * 06-user: root inside, an unprivileged user outside.
 *
 * Adds:      CLONE_NEWUSER; the parent writes the child's uid_map and
 *            gid_map, and the child becomes root of its user namespace.
 *            The same binary runs rootless, for an ordinary user.
 * Still shared with the host: cgroups and clocks.
 * Chapter:   steps/06-user/README.md
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
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/rtnetlink.h>
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
		"  --net veth|none    a veth pair to the host (default), or loopback only\n"
		"  --ip ADDR/PREFIX   eth0's address (default: a free 10.200.x.y/30)\n"
		"  --uid-map 0:OUTSIDE:COUNT  container uids 0..COUNT-1 are host uids\n"
		"                     OUTSIDE.. (default " MAP_DEFAULT ", rootless 0:UID:1)\n"
		"  --gid-map 0:OUTSIDE:COUNT  the same for gids (default: as --uid-map)\n"
		"  --idmap yes|no     show the rootfs through an idmapped mount, so that\n"
		"                     root inside owns what host root owns (default yes)\n"
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
	OPT_NET,
	OPT_IP,
	OPT_UID_MAP,
	OPT_GID_MAP,
	OPT_IDMAP,
};

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
	parse_maps(cfg);
	parse_net(cfg);
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

/* The rootfs, made a mount point: the clone the parent idmapped (see
 * idmap), attached here, or else a bind mount of it onto itself. */
static void attach_rootfs(const struct config *cfg)
{
	if (cfg->rootfs_tree == -1) {
		do_mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL);
		return;
	}
	/* T_SYMLINKS: a symlink to the rootfs leads there, as for mount(2). */
	say("move_mount(clone of %s, \"%s\")", cfg->rootfs, cfg->rootfs);
	if (syscall(SYS_move_mount, cfg->rootfs_tree, "", AT_FDCWD, cfg->rootfs,
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) == -1)
		err(EXIT_RUNTIME, "move_mount the rootfs's clone onto %s", cfg->rootfs);
	close(cfg->rootfs_tree);
	/* A clone of a shared mount is in its peer group: leave it, as
	 * everything else (see propagation). */
	do_mount(NULL, cfg->rootfs, NULL, MS_REC | MS_PRIVATE, NULL);
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
 * pivot_root(2) then needs the new root to be a mount point: the rootfs's
 * idmapped clone (06-user), or else a bind mount of it onto itself. /proc,
 * /sys and /dev are mounted before the old root goes: in a user namespace
 * (06-user) the kernel allows a new proc or sysfs only while a full one is
 * still visible.
 */
static void setup_mounts(const struct config *cfg)
{
	/* DOC: propagation */
	do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	/* DOC: bind-rootfs */
	attach_rootfs(cfg); /* 06-user */
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

static pid_t spawn_child(struct config *cfg)
{
	static char stack[STACK_SIZE] __attribute__((aligned(16)));
	pid_t pid;

	/* Buffered output would otherwise be written twice, once per process. */
	fflush(NULL);
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
	warnx("%s, so its files show as nobody, and root inside cannot change them", why);
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
	write_pid_file(cfg);
	setup_id_maps(cfg); /* 06-user */
	idmap_rootfs(cfg);  /* 06-user */
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
	clone_rootfs(&cfg); /* 06-user */
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
