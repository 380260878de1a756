/* SPDX-License-Identifier: MIT */
/* xen-snd: Xen paravirtual sound (vsnd) backend as a PipeWire module. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/result.h>
#include <spa/utils/string.h>
#include <pipewire/impl.h>

#include <xenstore.h>

#include "xen-snd.h"

/** \page page_module_xen_snd Xen paravirtual sound backend
 *
 * Serves the `vsnd` devices of Xen guests (protocol `xen/io/sndif.h`,
 * guest driver `snd_xen_front` in mainline Linux). Every guest PCM stream
 * becomes a stream node of the graph, owned by one client per VM that
 * carries the VM's name, so per-VM volume and routing work like for any
 * application. The guest's buffer is mapped once at OPEN and the process
 * callback converts straight between its pages and the graph's buffer.
 * Positions go back to the guest every graph cycle. A stream node joins
 * the graph when it is linked (`node.always-process` is set then); until
 * the graph runs it, its own timer moves the guest's pointer.
 *
 * ## Module Options
 *
 * - `xen.backend`: `xen` (default, libxengnttab/libxenevtchn/libxenstore)
 *   or `sim` (the xen-snd simulator, for tests and demos)
 * - `xen.sim.dir`: the simulator's directory (with `xen.backend = sim`)
 * - `xen.domid`: the domain this backend runs in, default 0
 * - `buffer.max-bytes`: the largest guest buffer mapped per stream,
 *   default 4194304 (4 MiB)
 * - `max-cards-per-domain`: vsnd devices served per guest, default 4
 * - `remote.name`: the PipeWire daemon the VM clients connect to
 *   (default: the one this process uses, or `$PIPEWIRE_REMOTE`)
 * - `node.latency`: fixed latency for every guest stream, e.g. `256/48000`;
 *   by default half of the guest's period, so the guest gets at least two
 *   position updates per period
 * - `stream.link-wait`: milliseconds after START a new stream holds the
 *   guest's DMA pointer until the session manager has linked every port of
 *   its node, so that a guest starting at once loses nothing (default 1000,
 *   and less than the 1.1 buffer times after which Linux guests give up;
 *   0: do not wait). A stream still unlinked then runs on its own clock:
 *   its playback is not heard, its capture records silence
 * - `vm.open-rate`: stream OPENs per second one VM gets answered (default 8;
 *   0: no limit). Every OPEN makes a node; beyond `vm.open-burst` (default
 *   64, a whole card) a VM's OPENs wait in its ring, so a guest looping
 *   OPEN/CLOSE cannot make the graph churn
 * - `vm.icon-name`: icon of the VM clients, default `computer`
 * - `stream.props = { }`: extra properties for every guest stream node
 * - `stream.rules = [ ]`: match rules on the stream properties, with an
 *   `update-props` action (see below)
 *
 * ## Stream properties
 *
 * Each stream node has `node.name = xen-snd.<vm>.<card>.<pcm>.<stream>`,
 * `media.name` (the guest's PCM name), `application.name` (the VM name),
 * `xen.domain.id`, `xen.domain.name`, `xen.vsnd.card`, `xen.vsnd.pcm`,
 * `xen.vsnd.stream` and, when the xl configuration gives one,
 * `xen.vsnd.unique-id`. A `unique-id` of the form `target:<node>` links the
 * stream to that node (`target.object`).
 *
 * ## Example configuration
 *
 *\code{.unparsed}
 * # ~/.config/pipewire/pipewire.conf.d/50-xen-snd.conf
 * context.modules = [
 * {   name = libpipewire-module-xen-snd
 *     args = {
 *         #xen.backend = xen
 *         #buffer.max-bytes = 4194304
 *         stream.rules = [
 *             {   matches = [ { xen.domain.name = "~untrusted-.*" } ]
 *                 actions = { update-props = { target.object = "null-sink" } }
 *             }
 *         ]
 *     }
 * }
 * ]
 *\endcode
 *
 * The recommended set-up runs the backend in its own process with
 * `pipewire -c xen-snd.conf` (see docs/user-guide.md): it needs the Xen
 * devices, the desktop daemon does not.
 */

#define NAME "xen-snd"

PW_LOG_TOPIC(xsnd_log_topic, "mod." NAME);

#define DEFAULT_BUFFER_MAX	(4u * 1024u * 1024u)
#define DEFAULT_LINK_WAIT_MS	1000u
#define DEFAULT_MAX_CARDS	4u
#define DEFAULT_OPEN_RATE	8u	/* per second and VM */
#define DEFAULT_OPEN_BURST	64u	/* a whole card opening at once */

static const struct spa_dict_item module_props[] = {
	{ PW_KEY_MODULE_AUTHOR, "The xen-snd developers" },
	{ PW_KEY_MODULE_DESCRIPTION, "Xen paravirtual sound (vsnd) backend" },
	{ PW_KEY_MODULE_USAGE,
		"( xen.backend=<xen|sim> ) "
		"( xen.sim.dir=<simulator directory> ) "
		"( xen.domid=<backend domain id, default 0> ) "
		"( buffer.max-bytes=<largest guest buffer, default 4194304> ) "
		"( max-cards-per-domain=<default 4> ) "
		"( remote.name=<daemon for the VM clients> ) "
		"( node.latency=<fixed latency, default: half the guest period> ) "
		"( stream.link-wait=<ms, default 1000> ) "
		"( vm.open-rate=<OPENs per second per VM, default 8> ) "
		"( vm.open-burst=<default 64> ) "
		"( vm.icon-name=<icon, default computer> ) "
		"( stream.props={ <properties> } ) "
		"( stream.rules=[ <rules> ] )" },
	{ PW_KEY_MODULE_VERSION, "0.1.0" },
};

static struct xsnd_stream *find_stream_by_port(struct impl *impl, int port, bool *is_evt)
{
	struct xsnd_card *c;
	struct xsnd_stream *s;

	spa_list_for_each(c, &impl->cards, link) {
		spa_list_for_each(s, &c->streams, link) {
			if (s->ring_port == port) {
				*is_evt = false;
				return s;
			}
			if (s->evt_port == port) {
				*is_evt = true;
				return s;
			}
		}
	}
	return NULL;
}

/* Every bound event channel shares one fd. Work per wake-up is bounded:
 * a guest that keeps notifying gets its ring served once per pass. */
static void on_evtchn(void *data, int fd, uint32_t mask)
{
	struct impl *impl = data;
	int port, n;

	for (n = 0; n < 256; n++) {
		struct xsnd_stream *s;
		bool is_evt = false;

		port = xsnd_xen_evtchn_pending(impl->xen);
		if (port < 0)
			break;
		s = find_stream_by_port(impl, port, &is_evt);
		if (s != NULL && !is_evt)
			xsnd_stream_ring_kick(s);
		/* the event page's channel is back-to-front only; a guest that
		 * notifies on it just gets unmasked */
		xsnd_xen_evtchn_unmask(impl->xen, port);
	}
}

static void on_xenstore(void *data, int fd, uint32_t mask)
{
	struct impl *impl = data;
	int n;

	/* bounded: a flood of watch events is served over several wake-ups */
	for (n = 0; n < 1024; n++) {
		char **w = xs_check_watch(impl->xen->xs);
		if (w == NULL)
			break;
		xsnd_backend_handle_watch(impl, w[XS_WATCH_PATH], w[XS_WATCH_TOKEN]);
		free(w);
	}
}

static void impl_destroy(struct impl *impl)
{
	xsnd_backend_stop(impl);
	xsnd_clock_stop(impl);
	if (impl->evtchn_source)
		pw_loop_destroy_source(impl->main_loop, impl->evtchn_source);
	if (impl->xs_source)
		pw_loop_destroy_source(impl->main_loop, impl->xs_source);
	if (impl->xen)
		xsnd_xen_close(impl->xen);
	pw_properties_free(impl->props);
	free(impl);
}

static void module_destroy(void *data)
{
	struct impl *impl = data;
	spa_hook_remove(&impl->module_listener);
	impl_destroy(impl);
}

static const struct pw_impl_module_events module_events = {
	PW_VERSION_IMPL_MODULE_EVENTS,
	.destroy = module_destroy,
};

static int parse_args(struct impl *impl, struct xsnd_xen_config *xcfg, char *sock, size_t sock_size)
{
	struct pw_properties *p = impl->props;
	const char *str;
	uint32_t rate;

	xcfg->backend = pw_properties_get(p, "xen.backend");
	if (xcfg->backend == NULL)
		xcfg->backend = "xen";
	if (!spa_streq(xcfg->backend, "xen") && !spa_streq(xcfg->backend, "sim")) {
		pw_log_error("xen.backend must be 'xen' or 'sim', not '%s'", xcfg->backend);
		return -EINVAL;
	}
	if (spa_streq(xcfg->backend, "sim")) {
		str = pw_properties_get(p, "xen.sim.dir");
		if (str == NULL) {
			pw_log_error("xen.backend=sim needs xen.sim.dir");
			return -EINVAL;
		}
		if ((size_t)snprintf(sock, sock_size, "%s/control", str) >= sock_size)
			return -ENAMETOOLONG;
		xcfg->sim_socket = sock;
	}
	impl->self_domid = pw_properties_get_uint32(p, "xen.domid", 0);
	xcfg->self_domid = impl->self_domid;

	xsnd_limits_init_default(&impl->limits);
	impl->limits.buffer_bytes_max = pw_properties_get_uint32(p, "buffer.max-bytes", DEFAULT_BUFFER_MAX);
	if (impl->limits.buffer_bytes_max < XSND_PAGE_SIZE ||
	    impl->limits.buffer_bytes_max > 64u * 1024u * 1024u) {
		pw_log_error("buffer.max-bytes %u is outside [4096, 64 MiB]", impl->limits.buffer_bytes_max);
		return -EINVAL;
	}
	impl->max_cards_per_domain = pw_properties_get_uint32(p, "max-cards-per-domain", DEFAULT_MAX_CARDS);
	impl->remote_name = pw_properties_get(p, PW_KEY_REMOTE_NAME);
	impl->node_latency = pw_properties_get(p, PW_KEY_NODE_LATENCY);
	impl->link_wait_ms = SPA_MIN(pw_properties_get_uint32(p, "stream.link-wait",
				DEFAULT_LINK_WAIT_MS), 60000u);
	rate = pw_properties_get_uint32(p, "vm.open-rate", DEFAULT_OPEN_RATE);
	impl->open_interval_ns = rate ? SPA_NSEC_PER_SEC / SPA_MIN(rate, 1000000u) : 0;
	impl->open_burst = SPA_CLAMP(pw_properties_get_uint32(p, "vm.open-burst",
				DEFAULT_OPEN_BURST), 1u, 4096u);
	impl->stream_props = pw_properties_get(p, "stream.props");
	impl->stream_rules = pw_properties_get(p, "stream.rules");
	impl->icon_name = pw_properties_get(p, "vm.icon-name");
	if (impl->icon_name == NULL)
		impl->icon_name = "computer";
	snprintf(impl->be_root, sizeof(impl->be_root), "/local/domain/%u/backend/vsnd", impl->self_domid);
	return 0;
}

int pipewire__module_init(struct pw_impl_module *module, const char *args);

SPA_EXPORT
int pipewire__module_init(struct pw_impl_module *module, const char *args)
{
	struct pw_context *context = pw_impl_module_get_context(module);
	struct xsnd_xen_config xcfg = { 0 };
	char sock[256];
	struct impl *impl;
	int res;

	PW_LOG_TOPIC_INIT(xsnd_log_topic);

	impl = calloc(1, sizeof(*impl));
	if (impl == NULL)
		return -errno;
	spa_list_init(&impl->vms);
	spa_list_init(&impl->cards);
	impl->module = module;
	impl->context = context;
	impl->main_loop = pw_context_get_main_loop(context);
	impl->data_loop = pw_data_loop_get_loop(pw_context_get_data_loop(context));
	xsnd_clock_start(impl);
	if (impl->clock_timer == NULL) {
		res = errno ? -errno : -EIO;
		pw_log_error("cannot create the streams' clock timer: %s", spa_strerror(res));
		goto error;
	}

	impl->props = pw_properties_new_string(args ? args : "");
	if (impl->props == NULL) {
		res = -errno;
		goto error;
	}
	if ((res = parse_args(impl, &xcfg, sock, sizeof(sock))) < 0)
		goto error;

	impl->xen = xsnd_xen_open(&xcfg);
	if (impl->xen == NULL) {
		res = -errno;
		pw_log_error("cannot open Xen access '%s': %s", xcfg.backend, spa_strerror(res));
		goto error;
	}
	impl->xs_source = pw_loop_add_io(impl->main_loop, xs_fileno(impl->xen->xs),
			SPA_IO_IN, false, on_xenstore, impl);
	impl->evtchn_source = pw_loop_add_io(impl->main_loop, xsnd_xen_evtchn_fd(impl->xen),
			SPA_IO_IN, false, on_evtchn, impl);
	if (impl->xs_source == NULL || impl->evtchn_source == NULL) {
		res = -errno;
		goto error;
	}

	pw_impl_module_add_listener(module, &impl->module_listener, &module_events, impl);
	pw_impl_module_update_properties(module, &SPA_DICT_INIT_ARRAY(module_props));

	xsnd_backend_start(impl);
	pw_log_info("serving %s/* through %s", impl->be_root, impl->xen->name);
	return 0;

error:
	impl_destroy(impl);
	return res;
}
