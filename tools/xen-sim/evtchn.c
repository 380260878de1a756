/* SPDX-License-Identifier: MIT */
/*
 * Event channels. Each end of a channel is an eventfd read by its owner;
 * binding gives each end the other's eventfd to write, so a notification is
 * one write() in the notifier with no daemon hop. The eventfd counter gives
 * Xen's coalescing for free; masking is done by the client library.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim.h"
#include "sim-proto.h"

static void port_clear(struct sim_port *p)
{
	if (p->recv_fd >= 0)
		close(p->recv_fd);
	if (p->peer_fd >= 0)
		close(p->peer_fd);
	*p = (struct sim_port){ .state = PORT_FREE, .recv_fd = -1, .peer_fd = -1 };
}

static int port_find_free(struct sim_domain *d)
{
	for (uint32_t i = 1; i < SIM_PORTS_MAX; i++) {
		if (d->ports[i].state == PORT_FREE) {
			d->ports[i].recv_fd = d->ports[i].peer_fd = -1;
			return (int)i;
		}
	}
	return -ENOSPC;
}

int evtchn_alloc(struct sim *sim, struct sim_domain *d, struct sim_client *c, uint32_t remote,
		int *recv_fd, int *send_fd)
{
	int port = port_find_free(d);
	if (port < 0)
		return port;
	if (sim_domain_find(sim, remote) == NULL)
		return -ESRCH;
	struct sim_port *p = &d->ports[port];
	p->recv_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->peer_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->recv_fd < 0 || p->peer_fd < 0) {
		int r = -errno;
		port_clear(p);
		return r;
	}
	p->state = PORT_UNBOUND;
	p->owner = c;
	p->remote_domid = remote;
	*recv_fd = p->recv_fd;
	*send_fd = p->peer_fd;
	sim_log(sim, 3, "dom%u port %d unbound for dom%u", d->domid, port, remote);
	return port;
}

int evtchn_bind(struct sim *sim, struct sim_domain *d, struct sim_client *c, uint32_t remote,
		uint32_t remote_port, int *recv_fd, int *send_fd)
{
	struct sim_domain *rd = sim_domain_find(sim, remote);
	struct sim_port *rp, *p;
	int port;

	if (rd == NULL)
		return -ESRCH;
	if (remote_port == 0 || remote_port >= SIM_PORTS_MAX)
		return -EINVAL;
	rp = &rd->ports[remote_port];
	if (rp->state != PORT_UNBOUND || rp->remote_domid != d->domid)
		return -EINVAL;
	if ((port = port_find_free(d)) < 0)
		return port;
	if (rd == d && (uint32_t)port == remote_port)
		return -EINVAL;
	p = &d->ports[port];
	p->recv_fd = dup(rp->peer_fd);
	p->peer_fd = dup(rp->recv_fd);
	if (p->recv_fd < 0 || p->peer_fd < 0) {
		int r = -errno;
		port_clear(p);
		return r;
	}
	p->state = PORT_INTERDOMAIN;
	p->owner = c;
	p->remote_domid = remote;
	p->remote_port = remote_port;
	rp->state = PORT_INTERDOMAIN;
	rp->remote_port = (uint32_t)port;
	*recv_fd = p->recv_fd;
	*send_fd = p->peer_fd;
	sim_log(sim, 3, "dom%u port %d bound to dom%u port %u", d->domid, port, remote,
			remote_port);
	return port;
}

int evtchn_close(struct sim *sim, struct sim_domain *d, uint32_t port, struct sim_client *c)
{
	struct sim_port *p;

	if (port == 0 || port >= SIM_PORTS_MAX)
		return -EINVAL;
	p = &d->ports[port];
	if (p->state == PORT_FREE || (c != NULL && p->owner != c))
		return -EINVAL;
	if (p->state == PORT_INTERDOMAIN) {
		/* As on Xen the other end falls back to unbound; its sends go nowhere. */
		struct sim_domain *rd = sim_domain_find(sim, p->remote_domid);
		if (rd != NULL && p->remote_port < SIM_PORTS_MAX) {
			struct sim_port *rp = &rd->ports[p->remote_port];
			if (rp->state == PORT_INTERDOMAIN && rp->remote_domid == d->domid &&
			    rp->remote_port == port) {
				rp->state = PORT_UNBOUND;
				rp->remote_port = 0;
			}
		}
	}
	port_clear(p);
	return 0;
}

void evtchn_close_client(struct sim *sim, struct sim_domain *d, struct sim_client *c)
{
	for (uint32_t i = 1; i < SIM_PORTS_MAX; i++)
		if (d->ports[i].state != PORT_FREE && d->ports[i].owner == c)
			evtchn_close(sim, d, i, NULL);
}

void evtchn_close_all(struct sim *sim, struct sim_domain *d)
{
	for (uint32_t i = 1; i < SIM_PORTS_MAX; i++)
		if (d->ports[i].state != PORT_FREE)
			evtchn_close(sim, d, i, NULL);
}
