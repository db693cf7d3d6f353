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

/* At most this many -e options. */
#define MAX_ENV 64

/* The command's PATH: the usual directories. */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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

enum {
	OPT_HOSTNAME = 256,
	OPT_PID_FILE,
};

static void parse_args(struct config *cfg, int argc, char *argv[])
{
	static const struct option options[] = {
		{"hostname", required_argument, NULL, OPT_HOSTNAME},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
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
		signal_command(forward_to, sig);
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
