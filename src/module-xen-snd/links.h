/* SPDX-License-Identifier: MIT */
/* Link watch (links.c): calls ready(data) once, on the main loop, when every
 * port of the named node in the given direction has an active link. */
#ifndef XSND_LINKS_H
#define XSND_LINKS_H

#include <stdbool.h>
#include <pipewire/pipewire.h>

struct xsnd_link_watch;

struct xsnd_link_watch *xsnd_link_watch_new(struct pw_core *core, const char *node_name,
		bool output, void (*ready)(void *data), void *data);
void xsnd_link_watch_destroy(struct xsnd_link_watch *w);

#endif
