/*
 * 01-uts: a process with a hostname of its own.
 *
 * Adds:      clone(2) with CLONE_NEWUTS; the child sets its own hostname.
 * Still shared with the host: process IDs, mounts, IPC, network, users,
 *            cgroups and clocks. `ps` inside shows every host process.
 * Chapter:   steps/01-uts/README.md
 *
 * The skeleton fixed here carries every later step: the config struct, the
 * option table, the parent/child sync pipe, one cleanup path, and the code
 * that turns the child's end into our exit status.
 *
 * Build: cc -Wall -Wextra -o container container.c
 * Run:   sudo ./container --hostname demo -- sh -c 'hostname; exec sh'
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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit statuses, as docker(1) and the shell use them. */
#define EXIT_RUNTIME   125 /* the runtime itself failed */
#define EXIT_CANNOT_EXEC 126 /* the command exists but cannot be run */
#define EXIT_NOT_FOUND 127 /* the command does not exist */

#define STACK_SIZE (1024 * 1024)

struct config {
	char *hostname;
	char *pid_file;
	int pid_written; /* parent: the pid file is ours to remove */
	char **argv;   /* the command and its arguments */
	int sync_pipe[2]; /* the child waits on [0]; the parent writes [1] */
	pid_t child;   /* parent: host PID of the container's first process */
};

static int verbose;
static char *default_command[] = {"/bin/sh", NULL};

/* Narrate one kernel call on stderr, for learners (-v). */
static void say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	fputs("[container] ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: container [OPTIONS] [--] [COMMAND [ARG...]]\n"
		"Run COMMAND (default /bin/sh) in new namespaces.\n"
		"\n"
		"  --hostname NAME    hostname inside the container (default: container)\n"
		"  --pid-file FILE    write the host PID of the container's first process\n"
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

enum {
	OPT_HOSTNAME = 256,
	OPT_PID_FILE,
};

static void parse_args(struct config *cfg, int argc, char *argv[])
{
	static const struct option options[] = {
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+:vh", options, NULL)) != -1) {
		switch (opt) {
		case OPT_HOSTNAME:
			set_once(&cfg->hostname, "hostname", optarg);
			break;
		case OPT_PID_FILE:
			set_once(&cfg->pid_file, "pid-file", optarg);
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
	if (strlen(cfg->hostname) > HOST_NAME_MAX)
		errx(EXIT_RUNTIME, "hostname '%s' is longer than %d bytes", cfg->hostname,
		     HOST_NAME_MAX);
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
 * The runtime forwards these signals to the container, so that `kill -TERM`
 * of the runtime reaches the command. forward_to is 0 until there is
 * someone to forward to (kill(0, sig) would signal our whole process
 * group): until then the signal is kept, and the command gets it the
 * moment it starts (see exec_command()).
 */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
static volatile pid_t forward_to;
static volatile sig_atomic_t pending_signal;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
	else
		pending_signal = sig;
}

static void forward_signals(void)
{
	struct sigaction sa = {.sa_handler = forward_signal};
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		if (sigaction(forwarded_signals[i], &sa, NULL) == -1)
			err(EXIT_RUNTIME, "sigaction");
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

/* Replace this process with the command. Never returns. */
static void exec_command(const struct config *cfg)
{
	size_t i;

	/* The command starts with default dispositions, whatever we inherited:
	 * a shell cannot trap a signal that was ignored when it started. */
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		signal(forwarded_signals[i], SIG_DFL);
	/* A signal that came while the container was being made. */
	if (pending_signal)
		raise(pending_signal);
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

static int child(void *arg)
{
	struct config *cfg = arg;

	/* clone() gave us both ends; with the write end open here we would
	 * never see end-of-file if the parent died. */
	close(cfg->sync_pipe[1]);
	/* From here on a signal for the container is kept, not lost: as PID 1
	 * of a new PID namespace (02-pid) we would get only those we handle. */
	forward_signals();
	/* DOC: pdeathsig
	 * If the runtime dies, even by SIGKILL, the kernel kills us too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_RUNTIME, "prctl PR_SET_PDEATHSIG");
	await_parent(cfg);
	setup_hostname(cfg);
	exec_command(cfg);
	return EXIT_RUNTIME;
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
 * A regular file, or nothing: not a symlink to follow, not a FIFO to block
 * on, not a device that cleanup() would later unlink.
 */
static void write_pid_file(struct config *cfg)
{
	struct stat st;
	int fd;

	if (!cfg->pid_file)
		return;
	fd = open(cfg->pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		  0644);
	if (fd == -1)
		err(EXIT_RUNTIME, "pid file %s", cfg->pid_file);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		errx(EXIT_RUNTIME, "pid file %s is not a regular file", cfg->pid_file);
	cfg->pid_written = 1;
	if (dprintf(fd, "%d\n", cfg->child) < 0 || close(fd) == -1)
		err(EXIT_RUNTIME, "pid file %s", cfg->pid_file);
}

/* Everything the parent must do before the child may go on. */
static void prepare_child(struct config *cfg)
{
	write_pid_file(cfg);
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

	if (cfg->child > 0) {
		kill(cfg->child, SIGKILL);
		waitpid(cfg->child, NULL, 0);
		cfg->child = 0;
	}
	if (cfg->pid_written)
		unlink(cfg->pid_file);
}

int main(int argc, char *argv[])
{
	static struct config cfg; /* static: cleanup() runs after main returns */

	parse_args(&cfg, argc, argv);
	if (pipe2(cfg.sync_pipe, O_CLOEXEC) == -1)
		err(EXIT_RUNTIME, "pipe2");
	cfg.child = spawn_child(&cfg);
	/* Registered after clone(), so the child does not inherit it. */
	cleanup_cfg = &cfg;
	if (atexit(cleanup) != 0)
		errx(EXIT_RUNTIME, "atexit failed");
	forward_to = cfg.child;
	forward_signals();
	close(cfg.sync_pipe[0]);
	prepare_child(&cfg);
	release_child(cfg.sync_pipe[1]);
	return wait_child(&cfg);
}
