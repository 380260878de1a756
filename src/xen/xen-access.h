/* SPDX-License-Identifier: MIT */
/*
 * Everything the backend needs from Xen, behind one interface:
 * grant mapping, event channels and xenstore. Two implementations:
 *   - "xen": libxengnttab, libxenevtchn and libxenstore on a real host;
 *   - "sim": the xen-snd simulator (tools/xen-sim) over a unix socket.
 * In both, xenstore is the real libxenstore: the simulator speaks the
 * xenstored wire protocol, so only the socket differs.
 *
 * Threading: map/unmap, bind/unbind and all xenstore calls belong to the
 * control (main) thread. evtchn_notify() is real-time safe and may be called
 * from the data thread.
 */
#ifndef XSND_XEN_ACCESS_H
#define XSND_XEN_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xs_handle;
struct xsnd_xen;

struct xsnd_xen_config {
	const char *backend;		/* "xen" (default) or "sim" */
	const char *sim_socket;		/* sim: the simulator's control socket */
	const char *xenstore_path;	/* sim: the simulator's xenstored socket (NULL: ask the simulator) */
	uint32_t self_domid;		/* our domain id (sim: identify as this domain) */
};

struct xsnd_xen_methods {
	void (*destroy)(struct xsnd_xen *x);

	/* Maps count grant refs of domain domid contiguously. Returns NULL and sets errno. */
	void *(*map_grants)(struct xsnd_xen *x, uint32_t domid, uint32_t count,
			const uint32_t *refs, bool writable);
	int (*unmap_grants)(struct xsnd_xen *x, void *addr, uint32_t count);

	/* Event channels: one pollable fd for all bound ports. */
	int (*evtchn_fd)(struct xsnd_xen *x);
	/* Returns the local port, or a negative errno. */
	int (*evtchn_bind)(struct xsnd_xen *x, uint32_t domid, uint32_t remote_port);
	int (*evtchn_unbind)(struct xsnd_xen *x, uint32_t local_port);
	int (*evtchn_notify)(struct xsnd_xen *x, uint32_t local_port);
	/* Next pending local port, or -EAGAIN when none. The port stays masked until unmask. */
	int (*evtchn_pending)(struct xsnd_xen *x);
	int (*evtchn_unmask)(struct xsnd_xen *x, uint32_t local_port);
};

struct xsnd_xen {
	const struct xsnd_xen_methods *methods;
	struct xs_handle *xs;		/* libxenstore connection, owned */
	uint32_t self_domid;
	const char *name;		/* "xen" or "sim" */
};

/* Opens the implementation named by cfg->backend. NULL with errno set on error. */
struct xsnd_xen *xsnd_xen_open(const struct xsnd_xen_config *cfg);
void xsnd_xen_close(struct xsnd_xen *x);

struct xsnd_xen *xsnd_xen_open_real(const struct xsnd_xen_config *cfg);
struct xsnd_xen *xsnd_xen_open_sim(const struct xsnd_xen_config *cfg);

static inline void *xsnd_xen_map_grants(struct xsnd_xen *x, uint32_t domid, uint32_t count,
		const uint32_t *refs, bool writable)
{ return x->methods->map_grants(x, domid, count, refs, writable); }
static inline int xsnd_xen_unmap_grants(struct xsnd_xen *x, void *addr, uint32_t count)
{ return x->methods->unmap_grants(x, addr, count); }
static inline int xsnd_xen_evtchn_fd(struct xsnd_xen *x)
{ return x->methods->evtchn_fd(x); }
static inline int xsnd_xen_evtchn_bind(struct xsnd_xen *x, uint32_t domid, uint32_t remote_port)
{ return x->methods->evtchn_bind(x, domid, remote_port); }
static inline int xsnd_xen_evtchn_unbind(struct xsnd_xen *x, uint32_t port)
{ return x->methods->evtchn_unbind(x, port); }
static inline int xsnd_xen_evtchn_notify(struct xsnd_xen *x, uint32_t port)
{ return x->methods->evtchn_notify(x, port); }
static inline int xsnd_xen_evtchn_pending(struct xsnd_xen *x)
{ return x->methods->evtchn_pending(x); }
static inline int xsnd_xen_evtchn_unmask(struct xsnd_xen *x, uint32_t port)
{ return x->methods->evtchn_unmask(x, port); }

#endif
