/*
 * rusage: run a command and report its peak memory, for the stress tests.
 *
 *   rusage [-n NETNS_PATH] -o FILE COMMAND [ARG...]
 *
 * Runs COMMAND (in the network namespace at NETNS_PATH, if given), waits
 * for it with wait4(2), appends "STATUS MAXRSS_KIB" to FILE and exits with
 * COMMAND's status (128+N if signal N killed it). MAXRSS is the largest
 * resident set of the command or any child it waited for. Root only when
 * -n is used.
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	const char *netns = NULL, *out = NULL;
	struct rusage ru;
	int opt, status, code;
	pid_t pid;
	FILE *f;

	while ((opt = getopt(argc, argv, "+n:o:")) != -1) {
		switch (opt) {
		case 'n':
			netns = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			errx(2, "usage: rusage [-n NETNS_PATH] -o FILE COMMAND [ARG...]");
		}
	}
	if (!out || optind == argc)
		errx(2, "usage: rusage [-n NETNS_PATH] -o FILE COMMAND [ARG...]");
	pid = fork();
	if (pid == -1)
		err(2, "fork");
	if (pid == 0) {
		if (netns) {
			int fd = open(netns, O_RDONLY | O_CLOEXEC);

			if (fd == -1 || setns(fd, CLONE_NEWNET) == -1)
				err(2, "network namespace %s", netns);
			close(fd);
		}
		execvp(argv[optind], &argv[optind]);
		err(127, "%s", argv[optind]);
	}
	if (wait4(pid, &status, 0, &ru) == -1)
		err(2, "wait4");
	code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	f = fopen(out, "a");
	if (!f)
		err(2, "%s", out);
	fprintf(f, "%d %ld\n", code, ru.ru_maxrss);
	fclose(f);
	return code;
}
