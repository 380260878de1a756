/* SPDX-License-Identifier: MIT */
/* xen-access.h on a real Xen host: libxengnttab, libxenevtchn, libxenstore. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xen-access.h"

struct xen_real {
	struct xsnd_xen base;
	xengnttab_handle *gnt;
	xenevtchn_handle *evt;
};

static void real_destroy(struct xsnd_xen *x)
{
	struct xen_real *r = (struct xen_real *)x;
	if (r->evt)
		xenevtchn_close(r->evt);
	if (r->gnt)
		xengnttab_close(r->gnt);
	if (x->xs)
		xs_close(x->xs);
	free(r);
}

static void *real_map_grants(struct xsnd_xen *x, uint32_t domid, uint32_t count,
		const uint32_t *refs, bool writable)
{
	struct xen_real *r = (struct xen_real *)x;
	return xengnttab_map_domain_grant_refs(r->gnt, count, domid, (uint32_t *)refs,
			PROT_READ | (writable ? PROT_WRITE : 0));
}

static int real_unmap_grants(struct xsnd_xen *x, void *addr, uint32_t count)
{
	struct xen_real *r = (struct xen_real *)x;
	return xengnttab_unmap(r->gnt, addr, count) < 0 ? -errno : 0;
}

static int real_evtchn_fd(struct xsnd_xen *x)
{
	return xenevtchn_fd(((struct xen_real *)x)->evt);
}

static int real_evtchn_bind(struct xsnd_xen *x, uint32_t domid, uint32_t remote_port)
{
	xenevtchn_port_or_error_t p =
		xenevtchn_bind_interdomain(((struct xen_real *)x)->evt, domid, remote_port);
	return p < 0 ? -errno : (int)p;
}

static int real_evtchn_unbind(struct xsnd_xen *x, uint32_t port)
{
	return xenevtchn_unbind(((struct xen_real *)x)->evt, port) < 0 ? -errno : 0;
}

static int real_evtchn_notify(struct xsnd_xen *x, uint32_t port)
{
	return xenevtchn_notify(((struct xen_real *)x)->evt, port) < 0 ? -errno : 0;
}

static int real_evtchn_pending(struct xsnd_xen *x)
{
	struct xen_real *r = (struct xen_real *)x;
	struct pollfd pfd = { .fd = xenevtchn_fd(r->evt), .events = POLLIN };

	/* The evtchn device read blocks when nothing is pending: look first. */
	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
		return -EAGAIN;
	xenevtchn_port_or_error_t p = xenevtchn_pending(r->evt);
	return p < 0 ? -errno : (int)p;
}

static int real_evtchn_unmask(struct xsnd_xen *x, uint32_t port)
{
	return xenevtchn_unmask(((struct xen_real *)x)->evt, port) < 0 ? -errno : 0;
}

static const struct xsnd_xen_methods real_methods = {
	.destroy = real_destroy,
	.map_grants = real_map_grants,
	.unmap_grants = real_unmap_grants,
	.evtchn_fd = real_evtchn_fd,
	.evtchn_bind = real_evtchn_bind,
	.evtchn_unbind = real_evtchn_unbind,
	.evtchn_notify = real_evtchn_notify,
	.evtchn_pending = real_evtchn_pending,
	.evtchn_unmask = real_evtchn_unmask,
};

struct xsnd_xen *xsnd_xen_open_real(const struct xsnd_xen_config *cfg)
{
	struct xen_real *r = calloc(1, sizeof(*r));
	int e;

	if (r == NULL)
		return NULL;
	r->base.methods = &real_methods;
	r->base.self_domid = cfg->self_domid;
	r->base.name = "xen";
	r->gnt = xengnttab_open(NULL, 0);
	r->evt = r->gnt ? xenevtchn_open(NULL, 0) : NULL;
	r->base.xs = r->evt ? xs_open(0) : NULL;
	if (r->base.xs == NULL) {
		e = errno ? errno : ENODEV;
		real_destroy(&r->base);
		errno = e;
		return NULL;
	}
	return &r->base;
}
