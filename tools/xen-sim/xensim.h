/* SPDX-License-Identifier: MIT */
/*
 * Client library of the xen-snd Xen simulator (tools/xen-sim).
 *
 * A client connects to the simulator's control socket and identifies as one
 * domain. It can then do what that domain could do on Xen: grant its pages
 * to another domain (guest side), map another domain's grants (backend
 * side), and use event channels. Domain 0 may also create and destroy
 * domains (the toolstack's job).
 *
 * Threading: one thread makes the requests (everything but notify);
 * xensim_evtchn_notify() may be called from another thread, e.g. a
 * real-time one, as long as the port is not closed meanwhile.
 *
 * xenstore is not in this API: the simulator serves the xenstored wire
 * protocol on unix sockets, one per domain, and clients use the real
 * libxenstore (XENSTORED_PATH=xensim_xenstore_path(...)) or xenstore-utils.
 */
#ifndef XENSIM_H
#define XENSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xensim;

/* Connects as domain `domid`. NULL with errno set on failure. */
struct xensim *xensim_connect(const char *control_socket, uint32_t domid);
void xensim_disconnect(struct xensim *s);
uint32_t xensim_domid(struct xensim *s);

/*
 * The xenstored socket a client of domain `domid` must use so that the
 * simulator applies that domain's permissions. Writes into buf.
 */
int xensim_xenstore_path(const char *control_socket, uint32_t domid, char *buf, size_t size);

/* Toolstack (domain 0 only). Creating a domain writes /local/domain/N/name
 * and fires @introduceDomain; destroying it fires @releaseDomain, closes its
 * event channels and ends its grants (existing mappings stay, as on Xen). */
int xensim_domain_create(struct xensim *s, uint32_t domid, const char *name);
int xensim_domain_destroy(struct xensim *s, uint32_t domid);

/* Guest side: allocates n_pages fresh zeroed pages, maps them contiguously
 * at *addr, and grants each one to domain `to` (read-only if readonly).
 * refs[i] receives the grant ref of page i (never 0). */
int xensim_grant_pages(struct xensim *s, uint32_t to, uint32_t n_pages, bool readonly,
		uint32_t *refs, void **addr);
/* Ends access to one grant (gnttab_end_foreign_access_ref). As on Xen it
 * fails while the grantee has the page mapped (-EBUSY here; Linux's
 * frontends then defer freeing the page and retry later), and the grant
 * stays valid. -ENOENT if ref is not an active grant of ours. */
int xensim_grant_end(struct xensim *s, uint32_t ref);
/* Unmaps pages obtained with xensim_grant_pages (after ending the grants). */
int xensim_free_pages(struct xensim *s, void *addr, uint32_t n_pages);

/* Backend side: maps grants of domain `domid` contiguously. NULL with errno
 * EINVAL, as libxengnttab on Linux gives, if a ref was never granted, is
 * granted to another domain, or is read-only and writable was asked (the
 * simulator's log says which). Until unmapped, the grants cannot be ended. */
void *xensim_map_grants(struct xensim *s, uint32_t domid, uint32_t count,
		const uint32_t *refs, bool writable);
/* Unmaps exactly one earlier mapping: addr and count as returned and asked.
 * -EINVAL (errno too) and nothing unmapped otherwise, as libxengnttab. */
int xensim_unmap_grants(struct xensim *s, void *addr, uint32_t count);

/* Event channels, with Xen's semantics: notifications coalesce while a port
 * is pending; a delivered port is masked until unmasked. */
int xensim_evtchn_alloc_unbound(struct xensim *s, uint32_t remote_domid);	/* local port or -errno */
int xensim_evtchn_bind_interdomain(struct xensim *s, uint32_t remote_domid, uint32_t remote_port);
int xensim_evtchn_close(struct xensim *s, uint32_t port);
int xensim_evtchn_notify(struct xensim *s, uint32_t port);	/* real-time safe: no allocation, one syscall */
int xensim_evtchn_fd(struct xensim *s);				/* pollable, readable when a port is pending */
int xensim_evtchn_pending(struct xensim *s);			/* next pending port, or -EAGAIN */
int xensim_evtchn_unmask(struct xensim *s, uint32_t port);

#endif
