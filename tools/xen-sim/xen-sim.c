/* SPDX-License-Identifier: MIT */
/*
 * xen-sim: a user-space stand-in for the parts of Xen a dom0 backend uses
 * (xenstored, grant tables, event channels, domain lifecycle), so the
 * backend can be tested without a hypervisor. See docs/simulator.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"

void sim_log(struct sim *sim, int level, const char *fmt, ...)
{
	va_list ap;
	if (level > sim->log_level)
		return;
	fprintf(stderr, "xen-sim[%c]: ", "EWIDT"[level < 0 ? 0 : level > 4 ? 4 : level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sim_io_add(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };
	return epoll_ctl(sim->epfd, EPOLL_CTL_ADD, io->fd, &ev) < 0 ? -errno : 0;
}

int sim_io_mod(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };
	return epoll_ctl(sim->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0 ? -errno : 0;
}

void sim_io_del(struct sim *sim, struct sim_io *io)
{
	if (io->fd >= 0)
		epoll_ctl(sim->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

int sim_listen(struct sim *sim, const char *name, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", sim->dir, name) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		sim_log(sim, 0, "cannot listen on %s: %s", sa.sun_path, strerror(-r));
		return r;
	}
	return fd;
}

static void on_signal(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct signalfd_siginfo si;
	if (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		sim_log(sim, 3, "signal %u, exiting", si.ssi_signo);
		sim->quit = true;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xen-sim --dir DIR [--foreground] [--log-level N]\n"
		   "Serves DIR/control, DIR/xenstored and DIR/xenstored.d<N>; writes DIR/ready.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sim *sim = calloc(1, sizeof(*sim));
	const char *dir = NULL;
	bool foreground = false;
	char ready[PATH_MAX];
	sigset_t mask;
	int c, rc = 1;

	if (sim == NULL)
		return 1;
	sim->log_level = 2;
	while ((c = getopt_long(argc, argv, "d:fl:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'f': foreground = true; break;
		case 'l': sim->log_level = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (dir == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strlen(dir) >= sizeof(sim->dir) || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		fprintf(stderr, "xen-sim: bad directory %s\n", dir);
		return 1;
	}
	snprintf(sim->dir, sizeof(sim->dir), "%s", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	unlink(ready);

	int sync[2] = { -1, -1 };
	if (!foreground) {
		/* Detach, keeping stderr for the log; the parent returns once
		 * DIR/ready exists, so scripts can go on at once. Fork before
		 * the signalfd and epoll exist: they belong to their creator. */
		char b;
		if (pipe2(sync, O_CLOEXEC) < 0)
			goto out;
		pid_t pid = fork();
		if (pid < 0)
			goto out;
		if (pid > 0) {
			close(sync[1]);
			_exit(read(sync[0], &b, 1) == 1 ? 0 : 1);
		}
		close(sync[0]);
		setsid();
	}

	/* Every channel end and grant allocation holds descriptors. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	sim->epfd = epoll_create1(EPOLL_CLOEXEC);
	sim->signals.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sim->signals.on_event = on_signal;
	sim->control.fd = -1;
	if (sim->epfd < 0 || sim->signals.fd < 0 || sim_io_add(sim, &sim->signals, EPOLLIN) < 0 ||
	    xs_server_init(sim) < 0 || control_init(sim) < 0 ||
	    sim_domain_create(sim, 0, "Domain-0") < 0) {
		sim_log(sim, 0, "startup failed");
		goto out;
	}
	int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sim_log(sim, 0, "cannot write %s: %s", ready, strerror(errno));
		goto out;
	}
	dprintf(fd, "%d\n", (int)getpid());
	close(fd);
	if (sync[1] >= 0) {
		if (write(sync[1], "r", 1) != 1)
			goto out;
		close(sync[1]);
	}
	sim_log(sim, 3, "ready in %s", dir);

	while (!sim->quit) {
		struct epoll_event ev[32];
		int n = epoll_wait(sim->epfd, ev, 32, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct sim_io *io = ev[i].data.ptr;
			/* A handler may have closed this object already in the batch. */
			if (io->fd >= 0)
				io->on_event(sim, io, ev[i].events);
			/* Objects closed by this handler may still be pending in ev[]: free
			 * them only after the whole batch. */
		}
		xs_server_reap(sim);
		control_reap(sim);
		sim_domain_reap(sim);
	}
	rc = 0;
out:
	control_fini(sim);
	while (sim->domains) {
		uint32_t domid = sim->domains->domid;
		if (domid == 0) {	/* dom0 is never destroyed by a client: do it here */
			struct sim_domain *d = sim->domains;
			sim->domains = d->next;
			evtchn_close_all(sim, d);
			grant_end_all(d);
			xs_server_domain_gone(sim, d);
			free(d);
		} else {
			sim_domain_destroy(sim, domid);
		}
	}
	xs_server_fini(sim);
	sim_domain_reap(sim);
	unlink(ready);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/control", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/xenstored", dir);
	unlink(path);
	free(sim);
	return rc;
}
