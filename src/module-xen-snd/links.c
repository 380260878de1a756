/* SPDX-License-Identifier: MIT */
/*
 * Link watch: tells a stream when every port of its node has an active
 * link, i.e. when what the node produces is heard.
 *
 * The session manager links a new VM stream a few tens of milliseconds
 * after it appears (up to a second on a slow host), one channel at a time.
 * A guest that starts playing at once would lose its first frames into the
 * unlinked node, and one that records at once would get silence; so a
 * stream holds its DMA pointer until this watch fires (or its deadline
 * passes, see stream.c), and only then joins the graph for good
 * (node.always-process).
 *
 * The watch follows the VM's registry: our node (by its unique node.name),
 * its ports in the stream's direction, and the links on those ports, whose
 * state it learns by binding them. Tables are bounded; what does not fit is
 * ignored, which can only delay the watch to its deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include <spa/param/audio/raw.h>
#include <spa/utils/string.h>

#include "links.h"

#define MAX_PORTS	SPA_AUDIO_MAX_CHANNELS
#define MAX_LINKS	(2 * MAX_PORTS)

struct watched_link {
	struct xsnd_link_watch *w;
	uint32_t id;
	uint32_t port;
	bool active;
	struct pw_proxy *proxy;
	struct spa_hook link_listener;
	struct spa_hook proxy_listener;
};

struct xsnd_link_watch {
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	struct spa_hook registry_proxy_listener;
	char node_name[160];
	const char *direction;		/* "out" or "in": our ports */
	uint32_t node_id;
	uint32_t ports[MAX_PORTS];
	uint32_t n_ports;
	struct watched_link links[MAX_LINKS];
	void (*ready)(void *data);
	void *data;
	bool fired;
};

static bool is_our_port(struct xsnd_link_watch *w, uint32_t id)
{
	for (uint32_t i = 0; i < w->n_ports; i++)
		if (w->ports[i] == id)
			return true;
	return false;
}

static void check(struct xsnd_link_watch *w)
{
	if (w->fired || w->n_ports == 0)
		return;
	for (uint32_t i = 0; i < w->n_ports; i++) {
		bool linked = false;
		for (uint32_t j = 0; j < MAX_LINKS && !linked; j++)
			linked = w->links[j].proxy != NULL && w->links[j].port == w->ports[i] &&
				w->links[j].active;
		if (!linked)
			return;
	}
	w->fired = true;
	w->ready(w->data);
}

static void link_info(void *data, const struct pw_link_info *info)
{
	struct watched_link *l = data;

	l->active = info->state == PW_LINK_STATE_ACTIVE;
	check(l->w);
}

static const struct pw_link_events link_events = {
	PW_VERSION_LINK_EVENTS,
	.info = link_info,
};

static void link_proxy_destroy(void *data)
{
	struct watched_link *l = data;

	spa_hook_remove(&l->link_listener);
	spa_hook_remove(&l->proxy_listener);
	l->proxy = NULL;
}

static const struct pw_proxy_events link_proxy_events = {
	PW_VERSION_PROXY_EVENTS,
	.destroy = link_proxy_destroy,
};

static void watch_link(struct xsnd_link_watch *w, uint32_t id, uint32_t port)
{
	struct watched_link *l = NULL;

	for (uint32_t i = 0; i < MAX_LINKS && l == NULL; i++)
		if (w->links[i].proxy == NULL)
			l = &w->links[i];
	if (l == NULL)
		return;
	l->proxy = pw_registry_bind(w->registry, id, PW_TYPE_INTERFACE_Link, PW_VERSION_LINK, 0);
	if (l->proxy == NULL)
		return;
	l->w = w;
	l->id = id;
	l->port = port;
	l->active = false;
	pw_link_add_listener((struct pw_link *)l->proxy, &l->link_listener, &link_events, l);
	pw_proxy_add_listener(l->proxy, &l->proxy_listener, &link_proxy_events, l);
}

static uint32_t prop_id(const struct spa_dict *props, const char *key)
{
	const char *s = props ? spa_dict_lookup(props, key) : NULL;
	uint32_t v;

	return s != NULL && spa_atou32(s, &v, 10) ? v : SPA_ID_INVALID;
}

static void registry_global(void *data, uint32_t id, uint32_t permissions,
		const char *type, uint32_t version, const struct spa_dict *props)
{
	struct xsnd_link_watch *w = data;
	const char *s;

	if (w->fired || props == NULL)
		return;
	if (spa_streq(type, PW_TYPE_INTERFACE_Node)) {
		if (spa_streq(spa_dict_lookup(props, PW_KEY_NODE_NAME), w->node_name))
			w->node_id = id;
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Port)) {
		s = spa_dict_lookup(props, PW_KEY_PORT_DIRECTION);
		if (w->node_id != SPA_ID_INVALID && prop_id(props, PW_KEY_NODE_ID) == w->node_id &&
		    spa_streq(s, w->direction) && w->n_ports < MAX_PORTS &&
		    !spa_streq(spa_dict_lookup(props, PW_KEY_PORT_MONITOR), "true"))
			w->ports[w->n_ports++] = id;
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Link)) {
		uint32_t port = prop_id(props, spa_streq(w->direction, "out") ?
				PW_KEY_LINK_OUTPUT_PORT : PW_KEY_LINK_INPUT_PORT);
		if (port != SPA_ID_INVALID && is_our_port(w, port))
			watch_link(w, id, port);
	}
}

static void registry_global_remove(void *data, uint32_t id)
{
	struct xsnd_link_watch *w = data;

	for (uint32_t i = 0; i < w->n_ports; i++) {
		if (w->ports[i] == id) {
			w->ports[i] = w->ports[--w->n_ports];
			check(w);	/* the ports left may all be linked */
			return;
		}
	}
	for (uint32_t i = 0; i < MAX_LINKS; i++) {
		if (w->links[i].proxy != NULL && w->links[i].id == id) {
			pw_proxy_destroy(w->links[i].proxy);
			return;
		}
	}
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void registry_proxy_destroy(void *data)
{
	struct xsnd_link_watch *w = data;

	spa_hook_remove(&w->registry_listener);
	spa_hook_remove(&w->registry_proxy_listener);
	w->registry = NULL;
}

static const struct pw_proxy_events registry_proxy_events = {
	PW_VERSION_PROXY_EVENTS,
	.destroy = registry_proxy_destroy,
};

struct xsnd_link_watch *xsnd_link_watch_new(struct pw_core *core, const char *node_name,
		bool output, void (*ready)(void *data), void *data)
{
	struct xsnd_link_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	snprintf(w->node_name, sizeof(w->node_name), "%s", node_name);
	w->direction = output ? "out" : "in";
	w->node_id = SPA_ID_INVALID;
	w->ready = ready;
	w->data = data;
	w->registry = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
	if (w->registry == NULL) {
		free(w);
		return NULL;
	}
	pw_registry_add_listener(w->registry, &w->registry_listener, &registry_events, w);
	pw_proxy_add_listener((struct pw_proxy *)w->registry, &w->registry_proxy_listener,
			&registry_proxy_events, w);
	return w;
}

void xsnd_link_watch_destroy(struct xsnd_link_watch *w)
{
	if (w == NULL)
		return;
	for (uint32_t i = 0; i < MAX_LINKS; i++)
		if (w->links[i].proxy != NULL)
			pw_proxy_destroy(w->links[i].proxy);
	if (w->registry != NULL)
		pw_proxy_destroy((struct pw_proxy *)w->registry);
	free(w);
}
