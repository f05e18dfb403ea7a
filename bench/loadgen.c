/*
 * Loopback TCP load generator for bench/run.sh (not part of the tools).
 *
 *   loadgen bulk  CONNS SECONDS WSIZE   CONNS connections, each streaming
 *                                       WSIZE-byte writes for SECONDS
 *   loadgen small CONNS SECONDS WSIZE   the same with TCP_NODELAY (small writes)
 *   loadgen many  CONNS SECONDS BYTES   CONNS connections held open; every
 *                                       second each sends BYTES (spread over
 *                                       the second in 10 ms ticks) until
 *                                       SECONDS passed or SIGTERM/SIGINT
 *   loadgen connect THREADS SECONDS 1   THREADS threads connecting and
 *                                       closing (with a reset: no
 *                                       TIME_WAIT) as fast as they can
 *
 * Every connection is 127.0.0.1 to 127.0.0.1, both ends in this process.
 * Prints "RUNNING" (flushed) when the traffic starts, then one line
 * "RESULT writes=N bytes=N secs=F" when it is done: writes and bytes are the
 * senders' successful send() calls and the bytes the receivers got, secs the
 * time from the start until every receiver saw end of file (bulk, small) or
 * until the traffic stopped (many). connect prints
 * "RESULT connects=N secs=F" instead. Exit 0, or 1 with a message on stderr.
 * An alarm kills the process SECONDS + 60 s after the start whatever happens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static size_t wsize;
static pthread_barrier_t go;

struct conn {
	int cfd, sfd;	/* client (sender) and server (receiver) ends */
	unsigned long long writes, sent, received;
	pthread_t tx, rx;
};

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static int listener(int backlog, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)addr, &len))
		die("listen on 127.0.0.1");
	return fd;
}

/* One connection: blocking connect, then accept its server end. */
static void connect_pair(int lfd, const struct sockaddr_in *addr, int nodelay,
			 int *cfd, int *sfd)
{
	int one = 1;

	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0)
		die("socket");
	if (connect(*cfd, (const struct sockaddr *)addr, sizeof(*addr)))
		die("connect");
	*sfd = accept(lfd, NULL, NULL);
	if (*sfd < 0)
		die("accept");
	if (nodelay && setsockopt(*cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

static void *sender(void *arg)
{
	struct conn *c = arg;
	char *buf = calloc(1, wsize);

	if (!buf)
		die("calloc");
	pthread_barrier_wait(&go);
	/* Bounded by the stop flag (main sets it after SECONDS) and the alarm. */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		ssize_t n = send(c->cfd, buf, wsize, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		c->writes++;
		c->sent += n;
	}
	shutdown(c->cfd, SHUT_WR);
	free(buf);
	return NULL;
}

static void *receiver(void *arg)
{
	struct conn *c = arg;
	static __thread char buf[256 * 1024];

	pthread_barrier_wait(&go);
	/* Ends at the sender's FIN (the sender stops on the flag). */
	for (;;) {
		ssize_t n = recv(c->sfd, buf, sizeof(buf), 0);

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		c->received += n;
	}
	return NULL;
}

static int stream(int nconns, double secs, int nodelay)
{
	struct conn *c = calloc(nconns, sizeof(*c));
	struct sockaddr_in addr;
	unsigned long long writes = 0, sent = 0, received = 0;
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };
	int i, lfd = listener(nconns, &addr);
	double t0, t1;

	if (!c)
		die("calloc");
	for (i = 0; i < nconns; i++)
		connect_pair(lfd, &addr, nodelay, &c[i].cfd, &c[i].sfd);
	if (pthread_barrier_init(&go, NULL, 2 * nconns + 1))
		die("barrier");
	for (i = 0; i < nconns; i++)
		if (pthread_create(&c[i].tx, NULL, sender, &c[i]) ||
		    pthread_create(&c[i].rx, NULL, receiver, &c[i]))
			die("pthread_create");
	printf("RUNNING\n");
	fflush(stdout);
	pthread_barrier_wait(&go);
	t0 = now();
	while (nanosleep(&ts, &ts) && errno == EINTR && !atomic_load(&stop))
		;
	atomic_store(&stop, 1);
	for (i = 0; i < nconns; i++) {
		pthread_join(c[i].tx, NULL);
		pthread_join(c[i].rx, NULL);
		writes += c[i].writes;
		sent += c[i].sent;
		received += c[i].received;
	}
	t1 = now();
	if (sent != received) {
		fprintf(stderr, "loadgen: sent %llu bytes but received %llu\n", sent, received);
		return 1;
	}
	printf("RESULT writes=%llu bytes=%llu secs=%.6f\n", writes, received, t1 - t0);
	return 0;
}

static int many(int nconns, double secs, size_t bytes)
{
	enum { TICKS = 100 };	/* per second: one tick every 10 ms */
	struct conn *c = calloc(nconns, sizeof(*c));
	struct epoll_event *ev = calloc(nconns, sizeof(*ev));
	static char buf[64 * 1024];
	struct sockaddr_in addr;
	struct rlimit rl;
	unsigned long long writes = 0, received = 0;
	int i, efd, lfd, tick = 0;
	double t0, next;

	if (!c || !ev || bytes > sizeof(buf))
		die("setup");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lfd = listener(4096, &addr);
	efd = epoll_create1(0);
	if (efd < 0)
		die("epoll_create1");
	for (i = 0; i < nconns; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		connect_pair(lfd, &addr, 1, &c[i].cfd, &c[i].sfd);
		fcntl(c[i].cfd, F_SETFL, O_NONBLOCK);
		fcntl(c[i].sfd, F_SETFL, O_NONBLOCK);
		if (epoll_ctl(efd, EPOLL_CTL_ADD, c[i].sfd, &e))
			die("epoll_ctl");
	}
	printf("RUNNING\n");
	fflush(stdout);
	t0 = next = now();
	/* Bounded by SECONDS (and the stop signal, and the alarm). */
	while (!atomic_load(&stop) && now() - t0 < secs) {
		/* This tick's share of the connections sends BYTES each. */
		int from = (long long)nconns * tick / TICKS;
		int to = (long long)nconns * (tick + 1) / TICKS;

		for (i = from; i < to; i++) {
			ssize_t n = send(c[i].cfd, buf, bytes, 0);

			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("send");
			if (n > 0)
				writes++;
		}
		tick = (tick + 1) % TICKS;
		next += 1.0 / TICKS;
		/* Read whatever arrived until the next tick is due. */
		for (;;) {
			int ms = (int)((next - now()) * 1000), k;

			if (ms < 0 || atomic_load(&stop))
				break;
			k = epoll_wait(efd, ev, nconns, ms);
			if (k < 0 && errno != EINTR)
				die("epoll_wait");
			for (int j = 0; j < k; j++) {
				ssize_t n = recv(c[ev[j].data.u32].sfd, buf, sizeof(buf), 0);

				if (n > 0)
					received += n;
			}
			if (k <= 0)
				break;
		}
	}
	printf("RESULT writes=%llu bytes=%llu secs=%.6f\n", writes, received, now() - t0);
	return 0;
}

static struct sockaddr_in connect_to;
static atomic_ullong connects;

static void *connector(void *unused)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	/* A SYN dropped on a full accept queue is resent after 1 s, and up
	 * to 2 minutes once nothing accepts: a stuck connect gives up. */
	struct timeval tmo = { .tv_usec = 100000 };

	(void)unused;
	pthread_barrier_wait(&go);
	while (!atomic_load(&stop)) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
		if (!connect(fd, (struct sockaddr *)&connect_to, sizeof(connect_to)))
			atomic_fetch_add(&connects, 1);
		close(fd);
	}
	return NULL;
}

/* Connects per second, flat out: the accepting end only closes. */
static int connect_storm(int nthreads, double secs)
{
	struct timeval tmo = { .tv_usec = 100000 };
	socklen_t len = sizeof(connect_to);
	pthread_t th[64];
	double t0, t1;
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	connect_to.sin_family = AF_INET;
	connect_to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* accept() wakes up to see the stop flag. */
	setsockopt(ls, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (ls < 0 || bind(ls, (struct sockaddr *)&connect_to, len) ||
	    listen(ls, 4096) || getsockname(ls, (struct sockaddr *)&connect_to, &len))
		die("listen");
	if (nthreads > 64)
		nthreads = 64;
	pthread_barrier_init(&go, NULL, nthreads + 1);
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, connector, NULL);
	puts("RUNNING");
	fflush(stdout);
	pthread_barrier_wait(&go);
	t0 = now();
	while (!atomic_load(&stop) && now() - t0 < secs) {
		int fd = accept(ls, NULL, NULL);

		if (fd >= 0)
			close(fd);
	}
	atomic_store(&stop, 1);
	/* The rate is over the storm, not over the threads' last connects. */
	t1 = now();
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("RESULT connects=%llu secs=%.6f\n",
	       (unsigned long long)atomic_load(&connects), t1 - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	double secs;
	int nconns;
	long arg;

	if (argc != 5) {
		fprintf(stderr, "usage: loadgen bulk|small|many|connect CONNS SECONDS SIZE\n");
		return 2;
	}
	nconns = atoi(argv[2]);
	secs = atof(argv[3]);
	arg = atol(argv[4]);
	if (nconns < 1 || nconns > 10000 || secs <= 0 || secs > 600 ||
	    arg < 1 || arg > 1 << 20) {
		fprintf(stderr, "loadgen: bad arguments\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)secs + 60);	/* default action: terminate */
	wsize = arg;
	if (!strcmp(argv[1], "bulk"))
		return stream(nconns, secs, 0);
	if (!strcmp(argv[1], "small"))
		return stream(nconns, secs, 1);
	if (!strcmp(argv[1], "many"))
		return many(nconns, secs, arg);
	if (!strcmp(argv[1], "connect"))
		return connect_storm(nconns, secs);
	fprintf(stderr, "loadgen: unknown mode %s\n", argv[1]);
	return 2;
}
