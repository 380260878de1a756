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
 *
 * A registry receives every global of the graph, so the watches of one VM
 * share one (the hub), and it exists only while a watch waits: a card
 * opening 32 streams costs one registry dump, not 32, and a linked stream
 * costs nothing. A watch is created before its node is, so it sees the
 * node's global however long the registry has existed.
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

struct xsnd_link_hub {
	struct pw_loop *loop;
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	struct spa_hook registry_proxy_listener;
	struct spa_list waiting;	/* watches not fired yet */
	struct spa_source *gc;		/* drops the registry once nobody waits */
};

struct xsnd_link_watch {
	struct spa_list link;		/* in hub->waiting until fired */
	struct xsnd_link_hub *hub;
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
	spa_list_remove(&w->link);
	if (spa_list_is_empty(&w->hub->waiting))
		pw_loop_signal_event(w->hub->loop, w->hub->gc);
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
	l->proxy = pw_registry_bind(w->hub->registry, id, PW_TYPE_INTERFACE_Link, PW_VERSION_LINK, 0);
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

static void watch_global(struct xsnd_link_watch *w, uint32_t id, const char *type,
		const struct spa_dict *props)
{
	const char *s;

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

static void registry_global(void *data, uint32_t id, uint32_t permissions,
		const char *type, uint32_t version, const struct spa_dict *props)
{
	struct xsnd_link_hub *hub = data;
	struct xsnd_link_watch *w, *t;

	if (props == NULL)
		return;
	spa_list_for_each_safe(w, t, &hub->waiting, link)
		watch_global(w, id, type, props);
}

static void watch_global_remove(struct xsnd_link_watch *w, uint32_t id)
{
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

static void registry_global_remove(void *data, uint32_t id)
{
	struct xsnd_link_hub *hub = data;
	struct xsnd_link_watch *w, *t;

	/* safe: a watch that fires leaves the list */
	spa_list_for_each_safe(w, t, &hub->waiting, link)
		watch_global_remove(w, id);
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void registry_proxy_destroy(void *data)
{
	struct xsnd_link_hub *hub = data;

	spa_hook_remove(&hub->registry_listener);
	spa_hook_remove(&hub->registry_proxy_listener);
	hub->registry = NULL;
}

static const struct pw_proxy_events registry_proxy_events = {
	PW_VERSION_PROXY_EVENTS,
	.destroy = registry_proxy_destroy,
};

/* Not from a registry callback: the registry would go in its own event. */
static void hub_gc(void *data, uint64_t count)
{
	struct xsnd_link_hub *hub = data;

	if (spa_list_is_empty(&hub->waiting) && hub->registry != NULL)
		pw_proxy_destroy((struct pw_proxy *)hub->registry);
}

struct xsnd_link_hub *xsnd_link_hub_new(struct pw_loop *loop)
{
	struct xsnd_link_hub *hub = calloc(1, sizeof(*hub));

	if (hub == NULL)
		return NULL;
	hub->loop = loop;
	spa_list_init(&hub->waiting);
	hub->gc = pw_loop_add_event(loop, hub_gc, hub);
	if (hub->gc == NULL) {
		free(hub);
		return NULL;
	}
	return hub;
}

void xsnd_link_hub_destroy(struct xsnd_link_hub *hub)
{
	struct xsnd_link_watch *w, *t;

	if (hub == NULL)
		return;
	/* none should wait now; one that does never fires */
	spa_list_for_each_safe(w, t, &hub->waiting, link) {
		spa_list_remove(&w->link);
		w->fired = true;
	}
	if (hub->registry != NULL)
		pw_proxy_destroy((struct pw_proxy *)hub->registry);
	pw_loop_destroy_source(hub->loop, hub->gc);
	free(hub);
}

struct xsnd_link_watch *xsnd_link_watch_new(struct xsnd_link_hub *hub, struct pw_core *core,
		const char *node_name, bool output, void (*ready)(void *data), void *data)
{
	struct xsnd_link_watch *w;

	/* a registry lives as long as its core: a new core, a new registry */
	if (hub->registry == NULL) {
		hub->registry = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
		if (hub->registry == NULL)
			return NULL;
		pw_registry_add_listener(hub->registry, &hub->registry_listener,
				&registry_events, hub);
		pw_proxy_add_listener((struct pw_proxy *)hub->registry,
				&hub->registry_proxy_listener, &registry_proxy_events, hub);
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->hub = hub;
	snprintf(w->node_name, sizeof(w->node_name), "%s", node_name);
	w->direction = output ? "out" : "in";
	w->node_id = SPA_ID_INVALID;
	w->ready = ready;
	w->data = data;
	spa_list_append(&hub->waiting, &w->link);
	return w;
}

void xsnd_link_watch_destroy(struct xsnd_link_watch *w)
{
	if (w == NULL)
		return;
	for (uint32_t i = 0; i < MAX_LINKS; i++)
		if (w->links[i].proxy != NULL)
			pw_proxy_destroy(w->links[i].proxy);
	if (!w->fired) {
		spa_list_remove(&w->link);
		if (spa_list_is_empty(&w->hub->waiting))
			pw_loop_signal_event(w->hub->loop, w->hub->gc);
	}
	free(w);
}
