/*
 * connbench: connect() latency, the client and the server of bench/datapath/run.sh.
 *
 *   connbench serve PORT            accept and close, forever (until killed)
 *   connbench connect ADDR PORT N   N sequential TCP connects to ADDR:PORT; only the
 *                                   connect() call is timed; the socket is closed
 *                                   with RST (no TIME_WAIT). Prints
 *                                   "n=N p50=.. p90=.. p99=.. mean=.. (us)"
 * The first 200 connections warm up and are not counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 200

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, 4096) != 0) {
		perror("connbench serve");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}

static int client(const char *addr, int port, int n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	struct linger lg = { 1, 0 };
	double *t = calloc((size_t)n, sizeof(*t)), sum = 0;
	int failed = 0;

	if (t == NULL || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "connbench: bad address %s\n", addr);
		return 1;
	}
	for (int i = -WARMUP; i < n; i++) {
		struct timespec a, b;
		int s = socket(AF_INET, SOCK_STREAM, 0), rc;

		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
		clock_gettime(CLOCK_MONOTONIC, &b);
		close(s);
		if (rc != 0) {
			failed++;
			if (failed > 10) {
				fprintf(stderr, "connbench: connect %s:%d: %s\n", addr, port, strerror(errno));
				return 1;
			}
			i--;
			continue;
		}
		if (i >= 0)
			t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("n=%d p50=%.1f p90=%.1f p99=%.1f mean=%.1f\n", n, t[n / 2], t[n * 9 / 10], t[n * 99 / 100], sum / n);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "connect") == 0 && atoi(argv[4]) > 0)
		return client(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: connbench serve PORT | connbench connect ADDR PORT N\n");
	return 2;
}
