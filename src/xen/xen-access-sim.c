/* SPDX-License-Identifier: MIT */
/* xen-access.h on the simulator (tools/xen-sim); xenstore is real libxenstore. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "xen-access.h"
#include "xensim.h"

struct xen_sim {
	struct xsnd_xen base;
	struct xensim *sim;
};

static struct xensim *S(struct xsnd_xen *x)
{
	return ((struct xen_sim *)x)->sim;
}

static void sim_destroy(struct xsnd_xen *x)
{
	if (x->xs)
		xs_close(x->xs);
	xensim_disconnect(S(x));
	free(x);
}

static void *sim_map_grants(struct xsnd_xen *x, uint32_t domid, uint32_t count,
		const uint32_t *refs, bool writable)
{
	return xensim_map_grants(S(x), domid, count, refs, writable);
}

static int sim_unmap_grants(struct xsnd_xen *x, void *addr, uint32_t count)
{
	return xensim_unmap_grants(S(x), addr, count);
}

static int sim_evtchn_fd(struct xsnd_xen *x)
{
	return xensim_evtchn_fd(S(x));
}

static int sim_evtchn_bind(struct xsnd_xen *x, uint32_t domid, uint32_t remote_port)
{
	return xensim_evtchn_bind_interdomain(S(x), domid, remote_port);
}

static int sim_evtchn_unbind(struct xsnd_xen *x, uint32_t port)
{
	return xensim_evtchn_close(S(x), port);
}

static int sim_evtchn_notify(struct xsnd_xen *x, uint32_t port)
{
	return xensim_evtchn_notify(S(x), port);
}

static int sim_evtchn_pending(struct xsnd_xen *x)
{
	return xensim_evtchn_pending(S(x));
}

static int sim_evtchn_unmask(struct xsnd_xen *x, uint32_t port)
{
	return xensim_evtchn_unmask(S(x), port);
}

static const struct xsnd_xen_methods sim_methods = {
	.destroy = sim_destroy,
	.map_grants = sim_map_grants,
	.unmap_grants = sim_unmap_grants,
	.evtchn_fd = sim_evtchn_fd,
	.evtchn_bind = sim_evtchn_bind,
	.evtchn_unbind = sim_evtchn_unbind,
	.evtchn_notify = sim_evtchn_notify,
	.evtchn_pending = sim_evtchn_pending,
	.evtchn_unmask = sim_evtchn_unmask,
};

/* libxenstore 4.17 reads XENSTORED_PATH in xs_open(): point it at the
 * simulator just for that call and put the caller's environment back. */
static struct xs_handle *open_xenstore(const char *path)
{
	const char *old = getenv("XENSTORED_PATH");
	char *saved = old ? strdup(old) : NULL;
	struct xs_handle *xs;
	int e;

	if (old && saved == NULL)
		return NULL;
	setenv("XENSTORED_PATH", path, 1);
	xs = xs_open(0);
	e = errno;
	if (saved) {
		setenv("XENSTORED_PATH", saved, 1);
		free(saved);
	} else {
		unsetenv("XENSTORED_PATH");
	}
	errno = e;
	return xs;
}

struct xsnd_xen *xsnd_xen_open_sim(const struct xsnd_xen_config *cfg)
{
	struct xen_sim *s;
	char path[4096];
	int e;

	if (cfg->sim_socket == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (cfg->xenstore_path == NULL &&
	    xensim_xenstore_path(cfg->sim_socket, cfg->self_domid, path, sizeof(path)) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->base.methods = &sim_methods;
	s->base.self_domid = cfg->self_domid;
	s->base.name = "sim";
	s->sim = xensim_connect(cfg->sim_socket, cfg->self_domid);
	if (s->sim == NULL) {
		e = errno;
		free(s);
		errno = e;
		return NULL;
	}
	s->base.xs = open_xenstore(cfg->xenstore_path ? cfg->xenstore_path : path);
	if (s->base.xs == NULL) {
		e = errno ? errno : ECONNREFUSED;
		sim_destroy(&s->base);
		errno = e;
		return NULL;
	}
	return &s->base;
}
