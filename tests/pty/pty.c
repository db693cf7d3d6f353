/*
 * pty: run a command on a pseudo-terminal of its own, the way a terminal
 * emulator runs a shell, and type into it from a script, the way a person
 * at the keyboard would. The tests use it to see what a container does to
 * the terminal it was started from.
 *
 *   pty [-t SECONDS] COMMAND [ARG...] <SCRIPT
 *
 * COMMAND runs in a new session whose controlling terminal is the pty's
 * slave side, 24 rows by 80 columns. Everything it writes to the terminal
 * is copied to our standard output. SCRIPT has one directive a line:
 *
 *   send TEXT        type TEXT; \n \r \t \\ and \xHH are escapes
 *                    (\x03 is Ctrl-C, \x1a Ctrl-Z, \x04 Ctrl-D)
 *   expect TEXT      wait until TEXT appears in the output after the
 *                    end of the last match (same escapes)
 *   sleep SECONDS    let time pass
 *   resize ROWS COLS change the window size (the kernel sends SIGWINCH)
 *   termios          print "pty: termios" and the slave's icanon, echo
 *                    and isig flags, each as NAME or -NAME
 *
 * After the script, it waits for COMMAND to end and prints "pty: exit N"
 * or "pty: signal N". Exit status: 0 when COMMAND ended and every expect
 * matched; 1 when an expect or the end took longer than SECONDS (default
 * 10; COMMAND's session is then killed); 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1;
static pid_t child;
static double timeout = 10;
static char *seen;          /* everything COMMAND wrote */
static size_t seen_len, seen_cap, matched; /* matched: where the next expect looks from */

static void die(const char *what)
{
	fprintf(stderr, "pty: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read what COMMAND wrote, for up to MS milliseconds. Returns 0 once the
 * slave side is closed by everyone (EIO), else 1. */
static int pump(int ms)
{
	struct pollfd p = {.fd = master, .events = POLLIN};
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	n = read(master, buf, sizeof(buf));
	if (n <= 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	fwrite(buf, 1, n, stdout);
	fflush(stdout);
	if (seen_len + n + 1 > seen_cap) {
		seen_cap = (seen_len + n + 1) * 2;
		seen = realloc(seen, seen_cap);
		if (!seen)
			die("realloc");
	}
	memcpy(seen + seen_len, buf, n);
	seen_len += n;
	seen[seen_len] = '\0';
	return 1;
}

/* Decode the escapes of TEXT in place; returns the decoded length. */
static size_t unescape(char *text)
{
	char *in = text, *out = text;

	while (*in) {
		if (*in != '\\' || !in[1]) {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'n': *out++ = '\n'; in++; break;
		case 'r': *out++ = '\r'; in++; break;
		case 't': *out++ = '\t'; in++; break;
		case 'x': {
			char hex[3] = {in[1], in[1] ? in[2] : 0, 0};

			*out++ = (char)strtol(hex, NULL, 16);
			in += 1 + strlen(hex);
			break;
		}
		default: *out++ = *in++; break;
		}
	}
	*out = '\0';
	return out - text;
}

static void give_up(const char *why, const char *what)
{
	fflush(stdout);
	printf("\npty: timed out %s '%s'\n", why, what);
	kill(-child, SIGKILL);
	waitpid(child, NULL, 0);
	exit(1);
}

static void expect(char *text)
{
	double end = now() + timeout;
	char *at;

	unescape(text);
	for (;;) {
		if (seen && (at = memmem(seen + matched, seen_len - matched, text, strlen(text)))) {
			matched = at - seen + strlen(text);
			return;
		}
		/* Nothing more can come once the terminal is closed. */
		if (now() > end || !pump(50))
			give_up("waiting for", text);
	}
}

static void send_text(char *text)
{
	size_t len = unescape(text), done = 0;
	ssize_t n;

	while (done < len) {
		n = write(master, text + done, len - done);
		if (n == -1 && errno != EINTR)
			die("write");
		if (n > 0)
			done += n;
	}
}

static void print_termios(void)
{
	struct termios t;
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);

	if (slave == -1 || tcgetattr(slave, &t) == -1)
		die("tcgetattr");
	close(slave);
	printf("\npty: termios %sicanon %secho %sisig\n", t.c_lflag & ICANON ? "" : "-",
	       t.c_lflag & ECHO ? "" : "-", t.c_lflag & ISIG ? "" : "-");
	fflush(stdout);
}

static void sleep_for(double seconds)
{
	double end = now() + seconds;

	while (now() < end)
		pump((int)((end - now()) * 1000) + 1);
}

int main(int argc, char *argv[])
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	char line[4096];
	double end;
	int status, opt;

	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't' || (timeout = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: pty [-t SECONDS] COMMAND [ARG...] <SCRIPT\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: pty [-t SECONDS] COMMAND [ARG...] <SCRIPT\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1 || grantpt(master) == -1 || unlockpt(master) == -1)
		die("posix_openpt");
	if (ioctl(master, TIOCSWINSZ, &ws) == -1)
		die("TIOCSWINSZ");
	child = fork();
	if (child == -1)
		die("fork");
	if (child == 0) {
		sigset_t none;
		int slave, sig;

		/* As a terminal emulator starts its shell: every signal at
		 * its default, none blocked, whatever our caller ignored. */
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (setsid() == -1)
			die("setsid");
		slave = open(ptsname(master), O_RDWR);
		if (slave == -1 || ioctl(slave, TIOCSCTTY, 0) == -1)
			die("open the terminal");
		if (dup2(slave, 0) == -1 || dup2(slave, 1) == -1 || dup2(slave, 2) == -1)
			die("dup2");
		if (slave > 2)
			close(slave);
		execvp(argv[optind], argv + optind);
		die(argv[optind]);
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "send ", 5))
			send_text(line + 5);
		else if (!strncmp(line, "expect ", 7))
			expect(line + 7);
		else if (!strncmp(line, "sleep ", 6))
			sleep_for(atof(line + 6));
		else if (!strncmp(line, "resize ", 7)) {
			if (sscanf(line + 7, "%hu %hu", &ws.ws_row, &ws.ws_col) != 2 ||
			    ioctl(master, TIOCSWINSZ, &ws) == -1)
				die("resize");
		} else if (!strcmp(line, "termios"))
			print_termios();
		else if (line[0] && line[0] != '#') {
			fprintf(stderr, "pty: unknown directive: %s\n", line);
			kill(-child, SIGKILL);
			return 2;
		}
	}
	end = now() + timeout;
	while (waitpid(child, &status, WNOHANG) == 0) {
		if (now() > end)
			give_up("waiting for the end of", argv[optind]);
		pump(50);
	}
	while (pump(10))
		if (now() > end)
			break;
	if (WIFSIGNALED(status))
		printf("\npty: signal %d\n", WTERMSIG(status));
	else
		printf("\npty: exit %d\n", WEXITSTATUS(status));
	return 0;
}
