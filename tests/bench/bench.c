/*
 * bench: start-to-exit latency of a command, for `make bench`.
 *
 *   bench [-n RUNS] [-w WARMUP] [-j AT_ONCE] [-t SECONDS] [-o FILE] -- COMMAND [ARG...]
 *   bench -s [-j AT_ONCE] FILE...
 *
 * Runs COMMAND WARMUP times unmeasured, then RUNS times measured, each with
 * fork(), execvp() and wait4(), timed on CLOCK_MONOTONIC from just before
 * fork() to just after wait4() returns. With -j K every sample starts K
 * copies at once and lasts until the last of them has exited.
 *
 * Peak memory is wait4()'s ru_maxrss: the largest resident set of the child
 * (the runtime) or of any process it waited for itself (its helpers, the
 * container's processes), in KiB. CPU time is wait4()'s ru_utime + ru_stime,
 * of the same processes: what they ran themselves, not the kernel's
 * deferred work (kworkers, RCU callbacks) that they left behind.
 *
 * "%i" in an argument becomes a number unique to that start (from 0, warm-up
 * runs included), for runtimes that want a fresh container name each time.
 * The command's stdin and stdout are /dev/null; its stderr is ours. A run
 * that exits non-zero, dies of a signal, or outlasts -t SECONDS (it is then
 * killed) counts as failed; the first failure is described on stderr.
 *
 * -o FILE appends each measured sample to FILE as "MS RSS_KB FAILED CPU_MS", so
 * that samples taken in several rounds can be summed up together with -s,
 * which reads such files and runs nothing.
 *
 * Output, one line on stdout:
 *   runs=N at_once=K median_ms= p90_ms= min_ms= max_ms= mean_ms= per_ms=
 *   [first10_ms= last10_ms=] rss_kb= rss_max_kb= cpu_ms= failed=N
 * per_ms is the median divided by K: the time per container. first10 and
 * last10 (20 samples or more) are the medians of the first and last ten
 * samples, to show whether the time per container grows. rss_kb is the
 * median of the samples' peaks, rss_max_kb the largest; cpu_ms the median
 * CPU time per container. p90 is by nearest rank. Exit status: 0 if no run failed, 1 if one did, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_AT_ONCE 1024

struct sample {
	double ms;
	long rss_kb;
	int failed; /* how many of its runs failed */
	double cpu_ms; /* user + system time of all its runs */
};

static pid_t live[MAX_AT_ONCE];
static int nlive;
static volatile sig_atomic_t timed_out;
static int reported; /* the first failure is described, the others counted */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: bench [-n RUNS] [-w WARMUP] [-j AT_ONCE] [-t SECONDS] [-o FILE] -- COMMAND [ARG...]\n"
		"       bench -s [-j AT_ONCE] FILE...\n"
		"Time COMMAND from fork() to wait4(); see the comment at the top of bench.c.\n"
		"  -n RUNS     measured samples (default 50)\n"
		"  -w WARMUP   unmeasured samples first (default 5)\n"
		"  -j AT_ONCE  start this many copies per sample (default 1)\n"
		"  -t SECONDS  kill a sample's commands after this long (default 60)\n"
		"  -o FILE     also append each sample to FILE\n"
		"  -s          sum up the samples in FILEs (from -o); run nothing\n");
}

static void *alloc(size_t n)
{
	void *p = calloc(n ? n : 1, 1);

	if (!p) {
		perror("bench: calloc");
		exit(2);
	}
	return p;
}

static long number(const char *opt, const char *text, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno || end == text || *end || n < min || n > max) {
		fprintf(stderr, "bench: -%s %s: expected a number from %ld to %ld\n", opt, text, min,
			max);
		exit(2);
	}
	return n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A sample that runs too long: kill what is left of it. */
static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	for (int i = 0; i < nlive; i++)
		if (live[i] > 0)
			kill(live[i], SIGKILL);
}

/* ARGV with every "%i" replaced by SEQ, into OUT (freshly allocated strings). */
static void with_seq(char **argv, int argc, long seq, char **out)
{
	char num[24];

	snprintf(num, sizeof(num), "%ld", seq);
	for (int i = 0; i < argc; i++) {
		const char *p;
		size_t n = 0;
		char *s;

		for (p = argv[i]; (p = strstr(p, "%i")); p += 2)
			n++;
		s = out[i] = alloc(strlen(argv[i]) + 1 + n * strlen(num));
		for (p = argv[i]; *p;) {
			if (p[0] == '%' && p[1] == 'i') {
				s = stpcpy(s, num);
				p += 2;
			} else {
				*s++ = *p++;
			}
		}
	}
	out[argc] = NULL;
}

static pid_t start(char **argv, int argc, long seq, char **scratch)
{
	pid_t pid;

	with_seq(argv, argc, seq, scratch);
	pid = fork();
	if (pid == -1) {
		perror("bench: fork");
		exit(2);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null != -1) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execvp(scratch[0], scratch);
		fprintf(stderr, "bench: cannot run %s: %s\n", scratch[0], strerror(errno));
		_exit(127);
	}
	for (int i = 0; i < argc; i++)
		free(scratch[i]);
	return pid;
}

static void describe_failure(const char *cmd, int status)
{
	if (reported++)
		return;
	if (WIFEXITED(status))
		fprintf(stderr, "bench: %s exited with %d\n", cmd, WEXITSTATUS(status));
	else
		fprintf(stderr, "bench: %s was killed by signal %d%s\n", cmd, WTERMSIG(status),
			timed_out ? " (it ran longer than -t)" : "");
}

/* One sample: start AT_ONCE copies and wait for all of them. */
static struct sample run_sample(char **argv, int argc, int at_once, long *seq, int timeout,
				char **scratch)
{
	struct sample s = {0};
	struct rusage ru;
	double t0;
	int status;

	timed_out = 0;
	t0 = now_ms();
	for (nlive = 0; nlive < at_once; nlive++)
		live[nlive] = start(argv, argc, (*seq)++, scratch);
	alarm(timeout);
	for (int left = at_once; left > 0;) {
		pid_t pid = wait4(-1, &status, 0, &ru);

		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1) {
			perror("bench: wait4");
			exit(2);
		}
		for (int i = 0; i < nlive; i++) {
			if (live[i] != pid)
				continue;
			live[i] = 0;
			left--;
			if (ru.ru_maxrss > s.rss_kb)
				s.rss_kb = ru.ru_maxrss;
			s.cpu_ms += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
				    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				s.failed++;
				describe_failure(argv[0], status);
			}
		}
	}
	s.ms = now_ms() - t0;
	alarm(0);
	nlive = 0;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The median of the N times in S (not changed). */
static double median_ms(const struct sample *s, int n)
{
	double *v = alloc(n * sizeof(*v)), m;

	for (int i = 0; i < n; i++)
		v[i] = s[i].ms;
	qsort(v, n, sizeof(*v), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

static int report(const struct sample *s, int n, int at_once)
{
	double *ms = alloc(n * sizeof(*ms)), *cpu = alloc(n * sizeof(*cpu)), sum = 0, median;
	long *rss = alloc(n * sizeof(*rss));
	int failed = 0, rank = (90 * n + 99) / 100;

	if (n == 0) {
		fprintf(stderr, "bench: no samples\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		ms[i] = s[i].ms;
		cpu[i] = s[i].cpu_ms / at_once;
		rss[i] = s[i].rss_kb;
		sum += s[i].ms;
		failed += s[i].failed;
	}
	qsort(ms, n, sizeof(*ms), cmp_double);
	qsort(cpu, n, sizeof(*cpu), cmp_double);
	qsort(rss, n, sizeof(*rss), cmp_long);
	median = median_ms(s, n);
	printf("runs=%d at_once=%d median_ms=%.3f p90_ms=%.3f min_ms=%.3f max_ms=%.3f "
	       "mean_ms=%.3f per_ms=%.3f",
	       n, at_once, median, ms[rank - 1], ms[0], ms[n - 1], sum / n, median / at_once);
	if (n >= 20)
		printf(" first10_ms=%.3f last10_ms=%.3f", median_ms(s, 10), median_ms(s + n - 10, 10));
	printf(" rss_kb=%ld rss_max_kb=%ld cpu_ms=%.3f failed=%d\n", rss[n / 2], rss[n - 1],
	       n % 2 ? cpu[n / 2] : (cpu[n / 2 - 1] + cpu[n / 2]) / 2, failed);
	free(ms);
	free(cpu);
	free(rss);
	return failed ? 1 : 0;
}

/* -s: read the samples -o wrote. */
static int summarize(char **files, int nfiles, int at_once)
{
	struct sample *s = NULL, one;
	int n = 0, cap = 0;

	for (int i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");
		char line[256];

		if (!f) {
			fprintf(stderr, "bench: %s: %s\n", files[i], strerror(errno));
			return 2;
		}
		while (fgets(line, sizeof(line), f)) {
			one.cpu_ms = 0;
			if (sscanf(line, "%lf %ld %d %lf", &one.ms, &one.rss_kb, &one.failed,
				   &one.cpu_ms) < 3)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				s = realloc(s, cap * sizeof(*s));
				if (!s) {
					perror("bench: realloc");
					return 2;
				}
			}
			s[n++] = one;
		}
		fclose(f);
	}
	return report(s, n, at_once);
}

int main(int argc, char *argv[])
{
	struct sigaction sa = {.sa_handler = on_alarm};
	int runs = 50, warmup = 5, at_once = 1, timeout = 60, sum_up = 0, opt, cargc;
	char **cargv, **scratch, *out_path = NULL;
	struct sample *s;
	FILE *out = NULL;
	long seq = 0;

	while ((opt = getopt(argc, argv, "+n:w:j:t:o:sh")) != -1) {
		switch (opt) {
		case 'n': runs = number("n", optarg, 1, 1000000); break;
		case 'w': warmup = number("w", optarg, 0, 1000000); break;
		case 'j': at_once = number("j", optarg, 1, MAX_AT_ONCE); break;
		case 't': timeout = number("t", optarg, 1, 86400); break;
		case 'o': out_path = optarg; break;
		case 's': sum_up = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (sum_up)
		return summarize(&argv[optind], argc - optind, at_once);
	cargv = &argv[optind];
	cargc = argc - optind;
	if (out_path && !(out = fopen(out_path, "a"))) {
		fprintf(stderr, "bench: %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	s = alloc(runs * sizeof(*s));
	scratch = alloc((cargc + 1) * sizeof(*scratch));
	for (int i = 0; i < warmup; i++)
		run_sample(cargv, cargc, at_once, &seq, timeout, scratch);
	for (int i = 0; i < runs; i++) {
		s[i] = run_sample(cargv, cargc, at_once, &seq, timeout, scratch);
		if (out)
			fprintf(out, "%.3f %ld %d %.3f\n", s[i].ms, s[i].rss_kb, s[i].failed, s[i].cpu_ms);
	}
	if (out && fclose(out) == EOF) {
		fprintf(stderr, "bench: %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	return report(s, runs, at_once);
}
