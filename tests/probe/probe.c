/*
 * probe: try one kernel operation and print what happened, so tests can
 * observe from inside a container what the kernel allows there.
 *
 *   probe NAME [ARG...]
 *
 * prints "NAME: ok" (and a result, where there is one) or "NAME: EPERM" (the
 * errno's name) and exits 0 on success, 1 on failure, 2 on bad usage. Built
 * static, so it runs in any root filesystem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

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

	fprintf(stderr, "probe: unknown probe '%s'\n", name);
	return 2;
}
