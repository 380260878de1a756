/* SPDX-License-Identifier: MIT */
/* Link watch (links.c): calls ready(data) once, on the main loop, when every
 * port of the named node in the given direction has an active link. */
#ifndef XSND_LINKS_H
#define XSND_LINKS_H

#include <stdbool.h>
#include <pipewire/pipewire.h>

struct xsnd_link_hub;
struct xsnd_link_watch;

/* One per VM: the registry its watches share, there only while one waits. */
struct xsnd_link_hub *xsnd_link_hub_new(struct pw_loop *loop);
/* After every watch of the hub is destroyed. */
void xsnd_link_hub_destroy(struct xsnd_link_hub *hub);

/* Call before the node is created, so that its global is seen. */
struct xsnd_link_watch *xsnd_link_watch_new(struct xsnd_link_hub *hub, struct pw_core *core,
		const char *node_name, bool output, void (*ready)(void *data), void *data);
void xsnd_link_watch_destroy(struct xsnd_link_watch *w);

#endif
