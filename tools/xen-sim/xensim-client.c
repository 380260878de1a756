/* SPDX-License-Identifier: MIT */
/*
 * Client side of the simulator's control socket (see xensim.h). Requests
 * are synchronous and belong to one thread; evtchn_notify() only touches
 * the port table and an eventfd, so a real-time thread may call it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xensim.h"
#include "sim-proto.h"

#define PAGE 4096u

struct xensim_port {
	int recv_fd;			/* -1: port not ours */
	int send_fd;
};

/* A live xensim_map_grants() result: unmap must name exactly one of these,
 * as libxengnttab's unmap must match one gntdev mapping. */
struct xensim_mapping {
	struct xensim_mapping *next;
	void *addr;
	uint32_t domid;
	uint32_t count;
	uint32_t refs[];
};

struct xensim {
	int fd;
	int epfd;
	uint32_t domid;
	struct xensim_mapping *mappings;
	struct xensim_port ports[SIM_PORTS_MAX];
};

/* One request, one reply; fds of the reply land in fds[] (closed if too many). */
static int rpc(struct xensim *s, uint32_t op, const void *data, size_t len, int send_fd,
		void *out, size_t out_max, size_t *out_len, int *fds, unsigned max_fds,
		unsigned *n_fds)
{
	struct sim_req req = { op, (uint32_t)len };
	struct iovec iov[2] = { { &req, sizeof(req) }, { (void *)data, len } };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * SIM_FDS_MAX)];
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	struct sim_reply rep;
	ssize_t n;

	if (n_fds)
		*n_fds = 0;
	memset(&u, 0, sizeof(u));
	if (send_fd >= 0) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &send_fd, sizeof(int));
	}
	do {
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	struct iovec riov[2] = { { &rep, sizeof(rep) }, { out, out_max } };
	struct msghdr rh = { .msg_iov = riov, .msg_iovlen = out_max ? 2 : 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	do {
		n = recvmsg(s->fd, &rh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&rh); cm; cm = CMSG_NXTHDR(&rh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nf; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (n_fds && *n_fds < max_fds)
				fds[(*n_fds)++] = fd;
			else
				close(fd);
		}
	}
	if ((size_t)n < sizeof(rep) || (rh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    rep.len != (size_t)n - sizeof(rep)) {
		for (unsigned i = 0; n_fds && i < *n_fds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (out_len)
		*out_len = rep.len;
	if (rep.status < 0 && n_fds) {
		for (unsigned i = 0; i < *n_fds; i++)
			close(fds[i]);
		*n_fds = 0;
	}
	return rep.status;
}

struct xensim *xensim_connect(const char *control_socket, uint32_t domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct xensim *s;
	int r;

	if (strlen(control_socket) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, control_socket);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	for (uint32_t i = 0; i < SIM_PORTS_MAX; i++)
		s->ports[i].recv_fd = s->ports[i].send_fd = -1;
	s->domid = domid;
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->fd < 0 || s->epfd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		goto fail;
	}
	r = rpc(s, SIM_OP_HELLO, &domid, 4, -1, NULL, 0, NULL, NULL, 0, NULL);
	if (r < 0)
		goto fail;
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
	errno = -r;
	return NULL;
}

static void port_drop(struct xensim *s, uint32_t port)
{
	struct xensim_port *p = &s->ports[port];
	if (p->recv_fd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, p->recv_fd, NULL);
		close(p->recv_fd);
	}
	if (p->send_fd >= 0)
		close(p->send_fd);
	p->recv_fd = p->send_fd = -1;
}

void xensim_disconnect(struct xensim *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 1; i < SIM_PORTS_MAX; i++)
		port_drop(s, i);
	/* The pages stay mapped (the caller's to unmap); the daemon drops the
	 * map counts when the connection closes. */
	while (s->mappings) {
		struct xensim_mapping *m = s->mappings;
		s->mappings = m->next;
		free(m);
	}
	close(s->fd);
	close(s->epfd);
	free(s);
}

uint32_t xensim_domid(struct xensim *s)
{
	return s->domid;
}

int xensim_xenstore_path(const char *control_socket, uint32_t domid, char *buf, size_t size)
{
	const char *slash = strrchr(control_socket, '/');
	int dlen = slash ? (int)(slash - control_socket) : 1;
	const char *dir = slash ? control_socket : ".";
	int n = domid == 0 ? snprintf(buf, size, "%.*s/xenstored", dlen, dir)
			   : snprintf(buf, size, "%.*s/xenstored.d%u", dlen, dir, domid);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int xensim_domain_create(struct xensim *s, uint32_t domid, const char *name)
{
	char buf[4 + 64];
	size_t l = strlen(name);
	if (l >= 64)
		return -EINVAL;
	memcpy(buf, &domid, 4);
	memcpy(buf + 4, name, l + 1);
	return rpc(s, SIM_OP_DOMAIN_CREATE, buf, 4 + l + 1, -1, NULL, 0, NULL, NULL, 0, NULL);
}

int xensim_domain_destroy(struct xensim *s, uint32_t domid)
{
	return rpc(s, SIM_OP_DOMAIN_DESTROY, &domid, 4, -1, NULL, 0, NULL, NULL, 0, NULL);
}

int xensim_grant_pages(struct xensim *s, uint32_t to, uint32_t n_pages, bool readonly,
		uint32_t *refs, void **addr)
{
	uint32_t req[3] = { to, n_pages, readonly };
	size_t len = 0;
	void *p;
	int fd, r;

	if (n_pages == 0 || n_pages > SIM_MAP_MAX)
		return -EINVAL;
	fd = memfd_create("xensim-grant", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)n_pages * PAGE) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	p = mmap(NULL, (size_t)n_pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	r = rpc(s, SIM_OP_GRANT, req, sizeof(req), fd, refs, n_pages * 4u, &len, NULL, 0, NULL);
	close(fd);
	if (r == 0 && len != n_pages * 4u)
		r = -EPROTO;
	if (r < 0) {
		munmap(p, (size_t)n_pages * PAGE);
		return r;
	}
	*addr = p;
	return 0;
}

int xensim_grant_end(struct xensim *s, uint32_t ref)
{
	return rpc(s, SIM_OP_GRANT_END, &ref, 4, -1, NULL, 0, NULL, NULL, 0, NULL);
}

int xensim_free_pages(struct xensim *s, void *addr, uint32_t n_pages)
{
	return munmap(addr, (size_t)n_pages * PAGE) < 0 ? -errno : 0;
}

/* Tells the daemon that mapping m is gone, so its grants may end. */
static int unmap_notify(struct xensim *s, const struct xensim_mapping *m)
{
	uint32_t req[2 + SIM_MAP_MAX];

	req[0] = m->domid;
	req[1] = m->count;
	memcpy(req + 2, m->refs, (size_t)m->count * 4);
	return rpc(s, SIM_OP_UNMAP, req, (2 + (size_t)m->count) * 4, -1, NULL, 0, NULL, NULL, 0,
			NULL);
}

void *xensim_map_grants(struct xensim *s, uint32_t domid, uint32_t count,
		const uint32_t *refs, bool writable)
{
	struct xensim_mapping *m = NULL;
	uint32_t *req = NULL, *rep = NULL;
	int fds[SIM_FDS_MAX];
	unsigned n_fds = 0;
	size_t len = 0;
	void *base = NULL;
	bool mapped = false;
	int r;

	if (count == 0 || count > SIM_MAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	req = malloc((3 + (size_t)count) * 4);
	rep = malloc((1 + 2 * (size_t)count) * 4);
	m = malloc(sizeof(*m) + (size_t)count * 4);
	if (req == NULL || rep == NULL || m == NULL) {
		r = -ENOMEM;
		goto out;
	}
	*m = (struct xensim_mapping){ .domid = domid, .count = count };
	memcpy(m->refs, refs, (size_t)count * 4);
	req[0] = domid;
	req[1] = count;
	req[2] = writable;
	memcpy(req + 3, refs, (size_t)count * 4);
	r = rpc(s, SIM_OP_MAP, req, (3 + (size_t)count) * 4, -1, rep, (1 + 2 * (size_t)count) * 4,
			&len, fds, SIM_FDS_MAX, &n_fds);
	if (r < 0)
		goto out;
	mapped = true;
	if (len != (1 + 2 * (size_t)count) * 4 || rep[0] != n_fds) {
		r = -EPROTO;
		goto out;
	}
	/* Reserve the whole range, then put each page in place. */
	base = mmap(NULL, (size_t)count * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		base = NULL;
		r = -errno;
		goto out;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t k = rep[1 + 2 * i], page = rep[2 + 2 * i];
		if (k >= n_fds || page >= SIM_MAP_MAX) {
			r = -EPROTO;
			break;
		}
		void *p = mmap((char *)base + (size_t)i * PAGE, PAGE,
				PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
				fds[k], (off_t)page * PAGE);
		if (p == MAP_FAILED) {
			r = -errno;
			break;
		}
	}
	if (r < 0) {
		munmap(base, (size_t)count * PAGE);
		base = NULL;
	}
out:
	for (unsigned i = 0; i < n_fds; i++)
		close(fds[i]);
	free(req);
	free(rep);
	if (base == NULL) {
		/* The daemon counted a mapping that did not happen here. */
		if (mapped)
			unmap_notify(s, m);
		free(m);
		errno = -r;
		return NULL;
	}
	m->addr = base;
	m->next = s->mappings;
	s->mappings = m;
	return base;
}

int xensim_unmap_grants(struct xensim *s, void *addr, uint32_t count)
{
	struct xensim_mapping **p, *m;
	int r;

	for (p = &s->mappings; *p && (*p)->addr != addr; p = &(*p)->next)
		;
	/* libxengnttab: EINVAL unless addr and count are exactly one mapping. */
	if ((m = *p) == NULL || m->count != count) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (munmap(addr, (size_t)count * PAGE) < 0)
		return -errno;
	*p = m->next;
	r = unmap_notify(s, m);
	free(m);
	/* A lost connection has dropped our map counts already. */
	return r == -ECONNRESET || r == -EPIPE ? 0 : r;
}

static int port_take(struct xensim *s, int r, uint32_t port, size_t len, const int *fds,
		unsigned n_fds)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = port };

	if (r < 0)
		return r;
	if (len != 4 || n_fds != 2 || port == 0 || port >= SIM_PORTS_MAX ||
	    s->ports[port].recv_fd >= 0) {
		for (unsigned i = 0; i < n_fds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	s->ports[port].recv_fd = fds[0];
	s->ports[port].send_fd = fds[1];
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fds[0], &ev) < 0) {
		r = -errno;
		port_drop(s, port);
		return r;
	}
	return (int)port;
}

int xensim_evtchn_alloc_unbound(struct xensim *s, uint32_t remote_domid)
{
	int fds[2];
	unsigned n_fds;
	uint32_t port = 0;
	size_t len = 0;
	int r = rpc(s, SIM_OP_EVTCHN_ALLOC, &remote_domid, 4, -1, &port, 4, &len, fds, 2, &n_fds);
	return port_take(s, r, port, len, fds, n_fds);
}

int xensim_evtchn_bind_interdomain(struct xensim *s, uint32_t remote_domid, uint32_t remote_port)
{
	uint32_t req[2] = { remote_domid, remote_port }, port = 0;
	int fds[2];
	unsigned n_fds;
	size_t len = 0;
	int r = rpc(s, SIM_OP_EVTCHN_BIND, req, sizeof(req), -1, &port, 4, &len, fds, 2, &n_fds);
	return port_take(s, r, port, len, fds, n_fds);
}

int xensim_evtchn_close(struct xensim *s, uint32_t port)
{
	if (port == 0 || port >= SIM_PORTS_MAX || s->ports[port].recv_fd < 0)
		return -EINVAL;
	int r = rpc(s, SIM_OP_EVTCHN_CLOSE, &port, 4, -1, NULL, 0, NULL, NULL, 0, NULL);
	port_drop(s, port);
	return r;
}

int xensim_evtchn_notify(struct xensim *s, uint32_t port)
{
	static const uint64_t one = 1;
	if (port == 0 || port >= SIM_PORTS_MAX || s->ports[port].send_fd < 0)
		return -EINVAL;
	/* EAGAIN would mean the counter is saturated: it is pending anyway. */
	if (write(s->ports[port].send_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int xensim_evtchn_fd(struct xensim *s)
{
	return s->epfd;
}

int xensim_evtchn_pending(struct xensim *s)
{
	struct epoll_event ev;
	uint64_t v;

	for (unsigned tries = 0; tries < SIM_PORTS_MAX; tries++) {
		int n = epoll_wait(s->epfd, &ev, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EAGAIN;
		uint32_t port = ev.data.u32;
		struct xensim_port *p = &s->ports[port < SIM_PORTS_MAX ? port : 0];
		if (port == 0 || port >= SIM_PORTS_MAX || p->recv_fd < 0)
			return -EAGAIN;
		/* Mask: stop watching the port until unmask; notifications meanwhile
		 * accumulate in the eventfd and show up as one after unmask. */
		struct epoll_event off = { .events = 0, .data.u32 = port };
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, p->recv_fd, &off);
		if (read(p->recv_fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return (int)port;
		/* Spurious (drained meanwhile): unmask and look again. */
		xensim_evtchn_unmask(s, port);
	}
	return -EAGAIN;
}

int xensim_evtchn_unmask(struct xensim *s, uint32_t port)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = port };
	if (port == 0 || port >= SIM_PORTS_MAX || s->ports[port].recv_fd < 0)
		return -EINVAL;
	return epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->ports[port].recv_fd, &ev) < 0 ? -errno : 0;
}
