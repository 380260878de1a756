/* SPDX-License-Identifier: MIT */
/*
 * The control socket: what a domain would ask the hypervisor (grant tables,
 * event channels) and the toolstack's domain create/destroy.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim.h"
#include "sim-proto.h"

#define CLIENTS_MAX 256u

/* One SIM_OP_MAP a client still holds, like a gntdev mapping. */
struct sim_mapping {
	struct sim_mapping *next;
	struct sim_domain *d;		/* granting domain; NULL once destroyed */
	uint32_t domid;
	uint32_t count;
	uint32_t refs[];
};

struct sim_client {
	struct sim_client *next;
	struct sim_io io;
	uint32_t domid;
	bool hello;
	bool dead;
	struct sim_mapping *mappings;
	uint32_t mapped_pages;
};

struct msg {
	struct sim_req hdr;
	unsigned char body[SIM_MSG_MAX];
	int fd;				/* received fd or -1 */
};

static void mapping_free(struct sim_client *c, struct sim_mapping *m)
{
	/* The domain's grants all exist while it lives: mapped grants cannot end. */
	for (uint32_t i = 0; m->d != NULL && i < m->count; i++)
		m->d->grants[m->refs[i]].maps--;
	c->mapped_pages -= m->count;
	free(m);
}

static void client_kill(struct sim *sim, struct sim_client *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		sim_log(sim, 2, "control: dom%u client dropped: %s", c->domid, why);
	if (c->hello) {
		struct sim_domain *d = sim_domain_find(sim, c->domid);
		if (d)
			evtchn_close_client(sim, d, c);
	}
	/* Like gntdev's release: a gone mapper's maps no longer pin the grants. */
	while (c->mappings) {
		struct sim_mapping *m = c->mappings;
		c->mappings = m->next;
		mapping_free(c, m);
	}
	c->dead = true;
	sim_io_del(sim, &c->io);
	close(c->io.fd);
	c->io.fd = -1;
}

static void send_reply(struct sim *sim, struct sim_client *c, int status, const void *data,
		size_t len, const int *fds, unsigned n_fds)
{
	struct sim_reply rep = { status, (uint32_t)len };
	struct iovec iov[2] = { { &rep, sizeof(rep) }, { (void *)data, len } };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * SIM_FDS_MAX)];
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	/* The client waits for this reply; a full socket buffer means it is broken. */
	if (sendmsg(c->io.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		client_kill(sim, c, "cannot send reply");
}

static void send_status(struct sim *sim, struct sim_client *c, int status)
{
	send_reply(sim, c, status, NULL, 0, NULL, 0);
}

static uint32_t u32_at(const struct msg *m, size_t i)
{
	uint32_t v;
	memcpy(&v, m->body + i * 4, 4);
	return v;
}

static void op_map(struct sim *sim, struct sim_client *c, struct msg *m)
{
	struct sim_domain *d;
	struct sim_memory *mems[SIM_FDS_MAX];
	struct sim_mapping *map;
	int fds[SIM_FDS_MAX];
	uint32_t out[1 + 2 * SIM_MAP_MAX];
	uint32_t n_fds = 0;
	char why[64];

	if (m->hdr.len < 12) {
		send_status(sim, c, -EINVAL);
		return;
	}
	uint32_t domid = u32_at(m, 0), count = u32_at(m, 1);
	bool writable = u32_at(m, 2) != 0;
	if (count == 0 || count > SIM_MAP_MAX || m->hdr.len != 12 + 4 * (size_t)count) {
		send_status(sim, c, -EINVAL);
		return;
	}
	if (c->mapped_pages + count > SIM_MAPPED_MAX) {
		send_status(sim, c, -ENOMEM);
		return;
	}
	/* Linux's gntdev fails the whole mmap with EINVAL whatever the grant
	 * status was; the log keeps the reason. */
	if ((d = sim_domain_find(sim, domid)) == NULL) {
		sim_log(sim, 2, "control: dom%u map refused: dom%u does not exist", c->domid, domid);
		send_status(sim, c, -EINVAL);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint32_t k, ref = u32_at(m, 3 + i);
		struct sim_grant *g = grant_lookup(d, ref, c->domid, writable, why, sizeof(why));
		if (g == NULL) {
			sim_log(sim, 2, "control: dom%u map refused: dom%u ref %u %s", c->domid,
					domid, ref, why);
			send_status(sim, c, -EINVAL);
			return;
		}
		for (k = 0; k < n_fds && mems[k] != g->mem; k++)
			;
		if (k == n_fds) {
			if (n_fds == SIM_FDS_MAX) {
				send_status(sim, c, -E2BIG);
				return;
			}
			mems[n_fds] = g->mem;
			fds[n_fds++] = writable ? g->mem->fd_rw : g->mem->fd_ro;
		}
		out[1 + 2 * i] = k;
		out[2 + 2 * i] = g->page;
	}
	map = malloc(sizeof(*map) + (size_t)count * 4);
	if (map == NULL) {
		send_status(sim, c, -ENOMEM);
		return;
	}
	*map = (struct sim_mapping){ .next = c->mappings, .d = d, .domid = domid, .count = count };
	memcpy(map->refs, m->body + 12, (size_t)count * 4);
	for (uint32_t i = 0; i < count; i++)
		d->grants[map->refs[i]].maps++;
	c->mappings = map;
	c->mapped_pages += count;
	out[0] = n_fds;
	send_reply(sim, c, 0, out, (1 + 2 * (size_t)count) * 4, fds, n_fds);
}

/* The client unmapped: the mapping is named by what it mapped, not by address. */
static void op_unmap(struct sim *sim, struct sim_client *c, struct msg *m)
{
	uint32_t count = m->hdr.len >= 8 ? u32_at(m, 1) : 0;

	if (count == 0 || count > SIM_MAP_MAX || m->hdr.len != 8 + 4 * (size_t)count) {
		send_status(sim, c, -EINVAL);
		return;
	}
	for (struct sim_mapping **p = &c->mappings; *p; p = &(*p)->next) {
		struct sim_mapping *map = *p;
		if (map->domid != u32_at(m, 0) || map->count != count ||
		    memcmp(map->refs, m->body + 8, (size_t)count * 4) != 0)
			continue;
		*p = map->next;
		mapping_free(c, map);
		send_status(sim, c, 0);
		return;
	}
	send_status(sim, c, -EINVAL);
}

static void handle(struct sim *sim, struct sim_client *c, struct msg *m)
{
	struct sim_domain *self = c->hello ? sim_domain_find(sim, c->domid) : NULL;
	int r, fds[2];

	if (!c->hello && m->hdr.op != SIM_OP_HELLO) {
		send_status(sim, c, -EPERM);
		return;
	}
	if (c->hello && self == NULL) {
		client_kill(sim, c, "domain is gone");
		return;
	}

	switch (m->hdr.op) {
	case SIM_OP_HELLO:
		if (c->hello || m->hdr.len != 4) {
			send_status(sim, c, -EINVAL);
			return;
		}
		c->domid = u32_at(m, 0);
		if (sim_domain_find(sim, c->domid) == NULL) {
			send_status(sim, c, -ESRCH);
			return;
		}
		c->hello = true;
		sim_log(sim, 3, "control: client for dom%u", c->domid);
		send_status(sim, c, 0);
		return;
	case SIM_OP_DOMAIN_CREATE: {
		char name[64];
		if (c->domid != 0) {
			send_status(sim, c, -EPERM);
			return;
		}
		if (m->hdr.len < 5 || m->hdr.len > 4 + sizeof(name) || m->body[m->hdr.len - 1] != '\0') {
			send_status(sim, c, -EINVAL);
			return;
		}
		memcpy(name, m->body + 4, m->hdr.len - 4);
		send_status(sim, c, sim_domain_create(sim, u32_at(m, 0), name));
		return;
	}
	case SIM_OP_DOMAIN_DESTROY:
		if (c->domid != 0) {
			send_status(sim, c, -EPERM);
			return;
		}
		if (m->hdr.len != 4) {
			send_status(sim, c, -EINVAL);
			return;
		}
		send_status(sim, c, u32_at(m, 0) == 0 ? -EINVAL :
				sim_domain_destroy(sim, u32_at(m, 0)));
		return;
	case SIM_OP_GRANT: {
		uint32_t refs[SIM_MAP_MAX];
		if (m->hdr.len != 12 || m->fd < 0) {
			send_status(sim, c, -EINVAL);
			return;
		}
		uint32_t to = u32_at(m, 0), n = u32_at(m, 1);
		if (sim_domain_find(sim, to) == NULL) {
			send_status(sim, c, -ESRCH);
			return;
		}
		r = grant_add(sim, self, to, m->fd, n, u32_at(m, 2) != 0, refs);
		if (r < 0) {
			send_status(sim, c, r);
			return;
		}
		send_reply(sim, c, 0, refs, n * 4u, NULL, 0);
		return;
	}
	case SIM_OP_GRANT_END:
		if (m->hdr.len != 4) {
			send_status(sim, c, -EINVAL);
			return;
		}
		send_status(sim, c, grant_end(self, u32_at(m, 0)));
		return;
	case SIM_OP_MAP:
		op_map(sim, c, m);
		return;
	case SIM_OP_UNMAP:
		op_unmap(sim, c, m);
		return;
	case SIM_OP_EVTCHN_ALLOC:
	case SIM_OP_EVTCHN_BIND: {
		uint32_t port;
		if (m->hdr.len != (m->hdr.op == SIM_OP_EVTCHN_ALLOC ? 4u : 8u)) {
			send_status(sim, c, -EINVAL);
			return;
		}
		if (m->hdr.op == SIM_OP_EVTCHN_ALLOC)
			r = evtchn_alloc(sim, self, c, u32_at(m, 0), &fds[0], &fds[1]);
		else
			r = evtchn_bind(sim, self, c, u32_at(m, 0), u32_at(m, 1), &fds[0], &fds[1]);
		if (r < 0) {
			send_status(sim, c, r);
			return;
		}
		port = (uint32_t)r;
		send_reply(sim, c, 0, &port, 4, fds, 2);
		return;
	}
	case SIM_OP_EVTCHN_CLOSE:
		if (m->hdr.len != 4) {
			send_status(sim, c, -EINVAL);
			return;
		}
		send_status(sim, c, evtchn_close(sim, self, u32_at(m, 0), c));
		return;
	default:
		send_status(sim, c, -ENOSYS);
		return;
	}
}

static void client_on_event(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct sim_client *c = (struct sim_client *)((char *)io - offsetof(struct sim_client, io));
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} u;
	struct msg *m = malloc(sizeof(*m));
	struct iovec iov = { m, sizeof(m->hdr) + sizeof(m->body) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	if (m == NULL) {
		client_kill(sim, c, "out of memory");
		return;
	}
	m->fd = -1;
	n = recvmsg(c->io.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			client_kill(sim, c, NULL);
		free(m);
		return;
	}
	/* Take every fd that came along, so none leaks into the daemon. */
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nf; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (m->fd < 0)
				m->fd = fd;
			else
				close(fd);
		}
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof(m->hdr) ||
	    m->hdr.len != (size_t)n - sizeof(m->hdr))
		client_kill(sim, c, "malformed message");
	else
		handle(sim, c, m);
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

static void listen_on_event(struct sim *sim, struct sim_io *io, uint32_t events)
{
	uint32_t n = 0;
	int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (struct sim_client *c = sim->clients; c; c = c->next)
		n += !c->dead;
	struct sim_client *c = n < CLIENTS_MAX ? calloc(1, sizeof(*c)) : NULL;
	if (c == NULL) {
		sim_log(sim, 1, "control: refusing a client (limit or memory)");
		close(fd);
		return;
	}
	c->io.fd = fd;
	c->io.on_event = client_on_event;
	if (sim_io_add(sim, &c->io, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = sim->clients;
	sim->clients = c;
}

void control_domain_gone(struct sim *sim, uint32_t domid)
{
	/* Its grants are gone; the mappings stay, as on Xen, until unmapped. */
	for (struct sim_client *c = sim->clients; c; c = c->next)
		for (struct sim_mapping *m = c->mappings; m; m = m->next)
			if (m->domid == domid)
				m->d = NULL;
	for (struct sim_client *c = sim->clients; c; c = c->next)
		if (c->hello && c->domid == domid)
			client_kill(sim, c, NULL);
}

void control_reap(struct sim *sim)
{
	for (struct sim_client **p = &sim->clients; *p;) {
		struct sim_client *c = *p;
		if (c->dead) {
			*p = c->next;
			free(c);
		} else {
			p = &c->next;
		}
	}
}

int control_init(struct sim *sim)
{
	sim->control.fd = sim_listen(sim, "control", SOCK_SEQPACKET);
	if (sim->control.fd < 0)
		return sim->control.fd;
	sim->control.on_event = listen_on_event;
	return sim_io_add(sim, &sim->control, EPOLLIN);
}

void control_fini(struct sim *sim)
{
	for (struct sim_client *c = sim->clients; c; c = c->next)
		client_kill(sim, c, NULL);
	control_reap(sim);
	if (sim->control.fd >= 0) {
		sim_io_del(sim, &sim->control);
		close(sim->control.fd);
	}
}
