/*
 * linger: how long the network devices a command made outlive it, for
 * `make bench`.
 *
 *   linger [-n RUNS] -- COMMAND [ARG...]
 *
 * Runs COMMAND RUNS times, one after another, listening to the link events
 * of the caller's network namespace (rtnetlink's RTMGRP_LINK). A link that
 * is created while COMMAND runs is its own. A sample is the time from
 * COMMAND's exit (wait4) until the last of its links is deleted, 0 if none
 * was left. Step 05 on leaves its veth pair to the kernel, which deletes it
 * with the container's network namespace: this is how long that takes. A
 * run that fails, or whose links are still there 10 s after it exited,
 * counts as failed.
 *
 * Output, one line on stdout:
 *   runs=N median_ms= p90_ms= max_ms= failed=N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#define MAX_OURS 64
#define GIVE_UP_MS 10000.0

static int links[MAX_OURS]; /* the indexes of the links the command made */
static int nlinks;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Keep track of the links created and deleted, from one batch of events. */
static void read_events(int fd)
{
	char buf[65536];
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	ssize_t len;
	int i;

	len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (len == -1 && errno == ENOBUFS) {
		fprintf(stderr, "linger: the kernel dropped link events (socket buffer full)\n");
		exit(1);
	}
	if (len == -1)
		return;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
			continue;
		ifi = NLMSG_DATA(h);
		/* A new device is announced with every attribute "changed". */
		if (h->nlmsg_type == RTM_NEWLINK && ifi->ifi_change == ~0u && nlinks < MAX_OURS) {
			links[nlinks++] = ifi->ifi_index;
			continue;
		}
		if (h->nlmsg_type != RTM_DELLINK)
			continue;
		for (i = 0; i < nlinks; i++)
			if (links[i] == ifi->ifi_index) {
				links[i] = links[--nlinks];
				break;
			}
	}
}

/* One run: -1 if it failed, else how long its links outlived it, in ms. */
static double run_once(int fd, char *argv[])
{
	struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.events = POLLIN}};
	double exited = 0;
	int status, failed = 0;
	pid_t pid;

	nlinks = 0;
	pid = fork();
	if (pid == -1) {
		perror("linger: fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null == -1 || dup2(null, 0) == -1 || dup2(null, 1) == -1)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	pfd[1].fd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd[1].fd == -1) {
		perror("linger: pidfd_open");
		exit(1);
	}
	for (;;) {
		if (poll(pfd, exited ? 1 : 2, exited ? 100 : -1) == -1 && errno != EINTR) {
			perror("linger: poll");
			exit(1);
		}
		if (pfd[0].revents & POLLIN)
			read_events(fd);
		if (!exited && (pfd[1].revents & POLLIN)) {
			if (waitpid(pid, &status, 0) == -1) {
				perror("linger: waitpid");
				exit(1);
			}
			exited = now_ms();
			failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
			close(pfd[1].fd);
		}
		if (exited && nlinks == 0)
			break;
		if (exited && now_ms() - exited > GIVE_UP_MS)
			return -1;
	}
	return failed ? -1 : now_ms() - exited;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char *argv[])
{
	struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd, opt, runs = 20, i, n = 0, failed = 0, size = 1 << 20;
	double *ms, t;

	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt != 'n' || (runs = atoi(optarg)) < 1) {
			fprintf(stderr, "usage: linger [-n RUNS] -- COMMAND [ARG...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: linger [-n RUNS] -- COMMAND [ARG...]\n");
		return 2;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == -1 ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local)) == -1) {
		perror("linger: netlink socket");
		return 1;
	}
	ms = calloc(runs, sizeof(*ms));
	if (!ms) {
		perror("linger");
		return 1;
	}
	for (i = 0; i < runs; i++) {
		t = run_once(fd, argv + optind);
		if (t < 0)
			failed++;
		else
			ms[n++] = t;
	}
	if (n == 0) {
		printf("runs=%d failed=%d\n", runs, failed);
		return 1;
	}
	qsort(ms, n, sizeof(*ms), by_value);
	printf("runs=%d median_ms=%.3f p90_ms=%.3f max_ms=%.3f failed=%d\n", runs, ms[n / 2],
	       ms[(n * 9 + 9) / 10 - 1], ms[n - 1], failed);
	return failed ? 1 : 0;
}
