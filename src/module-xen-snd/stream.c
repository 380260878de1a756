/* SPDX-License-Identifier: MIT */
/*
 * A guest PCM stream's control plane, on the main loop: serves the request
 * ring, maps the guest's buffer at OPEN, creates the stream node, and turns
 * TRIGGER into node activation. Every request is copied out of the shared
 * ring and validated by src/sndif/request.c before it is acted on.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spa/utils/result.h>
#include <spa/utils/string.h>
#include <spa/param/audio/format-utils.h>
#include <pipewire/conf.h>

#include "xen-snd.h"
#include "../sndif/hw-param.h"
#include "../sndif/page-dir.h"

/* Requests served per pass; the rest waits for the next loop iteration so
 * one guest cannot monopolise the main loop. */
#define MAX_REQUESTS_PER_PASS	32u

static void log_bad_request(struct xsnd_stream *s, const struct xensnd_req *req,
		const struct xsnd_error *err, int res)
{
	struct xsnd_card *c = s->card;
	pw_log_warn("domain %u (%s) vsnd %u stream %u: %s refused (%s): %s",
			c->domid, c->vm->name, c->devid, s->cfg->index,
			xsnd_op_name(req->operation), spa_strerror(res), err->msg);
}

static void respond(struct xsnd_stream *s, const struct xensnd_resp *resp)
{
	int notify;

	*RING_GET_RESPONSE(&s->ring, s->ring.rsp_prod_pvt) = *resp;
	s->ring.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&s->ring, notify);
	if (notify)
		xsnd_xen_evtchn_notify(s->card->impl->xen, (uint32_t)s->ring_port);
}

static void respond_status(struct xsnd_stream *s, const struct xensnd_req *req, int status)
{
	struct xensnd_resp resp;
	xsnd_response_init(&resp, req, status);
	respond(s, &resp);
}

/* ---- changes to the data thread's state, applied between two cycles ---- */

struct rt_change {
	enum { RT_RUN, RT_STOP, RT_GAIN, RT_LINKED } what;
	bool flag;		/* RT_STOP: forget what the guest queued;
				 * RT_LINKED: the wait ran out, nothing links the node */
	int64_t now;
};

static int do_rt_change(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct xsnd_stream *s = user_data;
	const struct rt_change *c = data;
	struct xsnd_stream_rt *rt = &s->rt;
	uint32_t i;

	switch (c->what) {
	case RT_RUN:
		rt->running = true;
		rt->run_ns = c->now;
		rt->run_pos = rt->pos;
		xsnd_clock_reset(&rt->clock, c->now);
		break;
	case RT_STOP:
		rt->running = false;
		if (c->flag)
			__atomic_store_n(&rt->valid, rt->pos, __ATOMIC_RELEASE);
		break;
	case RT_LINKED:
		/* the data thread may have given up first (stream-data.c) */
		if (c->flag && !rt->linked)
			xsnd_stream_links_late(s, c->now);
		else if (!c->flag)
			xsnd_clock_reset(&rt->clock, c->now);
		rt->linked = true;
		break;
	case RT_GAIN:
		rt->unity = true;
		for (i = 0; i < s->params.channels; i++) {
			rt->gain[i] = s->vol_gain[i] * s->mute_gain[i];
			rt->unity &= rt->gain[i] == 1.0f;
		}
		break;
	}
	return 0;
}

static void rt_change(struct xsnd_stream *s, int what, bool flag)
{
	struct rt_change c = { .what = what, .flag = flag };
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	c.now = SPA_TIMESPEC_TO_NSEC(&ts);
	pw_loop_invoke(s->card->impl->data_loop, do_rt_change, 0, &c, sizeof(c), true, s);
}

/* ---- the node ---- */

static void on_stream_destroy(void *data)
{
	struct xsnd_stream *s = data;
	spa_hook_remove(&s->pw_listener);
	s->pw = NULL;
}

static void on_stream_state_changed(void *data, enum pw_stream_state old,
		enum pw_stream_state state, const char *error)
{
	struct xsnd_stream *s = data;
	if (state == PW_STREAM_STATE_ERROR)
		pw_log_warn("%s: stream error: %s", s->node_name, error ? error : "unknown");
	else
		pw_log_debug("%s: %s -> %s", s->node_name, pw_stream_state_as_string(old),
				pw_stream_state_as_string(state));
}

static void on_stream_io_changed(void *data, uint32_t id, void *area, uint32_t size)
{
	struct xsnd_stream *s = data;
	if (id == SPA_IO_Position)
		s->io_position = area;
}

static const struct pw_stream_events playback_events = {
	PW_VERSION_STREAM_EVENTS,
	.destroy = on_stream_destroy,
	.state_changed = on_stream_state_changed,
	.io_changed = on_stream_io_changed,
	.process = xsnd_stream_playback_process,
};

static const struct pw_stream_events capture_events = {
	PW_VERSION_STREAM_EVENTS,
	.destroy = on_stream_destroy,
	.state_changed = on_stream_state_changed,
	.io_changed = on_stream_io_changed,
	.process = xsnd_stream_capture_process,
};

static int rule_matched(void *data, const char *location, const char *action,
		const char *str, size_t len)
{
	struct pw_properties *props = data;
	if (spa_streq(action, "update-props"))
		pw_properties_update_string(props, str, len);
	return 0;
}

static void set_positions(struct spa_audio_info_raw *info)
{
	static const uint32_t pos[8] = {
		SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
		SPA_AUDIO_CHANNEL_RR, SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE,
		SPA_AUDIO_CHANNEL_SL, SPA_AUDIO_CHANNEL_SR,
	};
	uint32_t i;

	if (info->channels == 1) {
		info->position[0] = SPA_AUDIO_CHANNEL_MONO;
		return;
	}
	for (i = 0; i < info->channels; i++)
		info->position[i] = i < 8 ? pos[i] : SPA_AUDIO_CHANNEL_AUX0 + i - 8;
}

static struct pw_properties *stream_properties(struct xsnd_stream *s)
{
	struct xsnd_card *c = s->card;
	struct impl *impl = c->impl;
	const struct xsnd_pcm_config *pcm = &c->cfg->pcms[s->cfg->pcm];
	bool playback = s->cfg->type == XSND_STREAM_PLAYBACK;
	struct pw_properties *props;
	char media_name[128];

	if (pcm->name[0])
		snprintf(media_name, sizeof(media_name), "%s", pcm->name);
	else
		snprintf(media_name, sizeof(media_name), "PCM %u", s->cfg->pcm);

	props = pw_properties_new(
			PW_KEY_MEDIA_TYPE, "Audio",
			PW_KEY_MEDIA_CATEGORY, playback ? "Playback" : "Capture",
			PW_KEY_NODE_NAME, s->node_name,
			PW_KEY_MEDIA_NAME, media_name,
			PW_KEY_APP_NAME, c->vm->name,
			PW_KEY_APP_ICON_NAME, impl->icon_name,
			/* Not scheduled before it is linked (link_wait_end): a node
			 * that wants a driver joins the busiest running graph at once,
			 * and there its arrival cost that graph's other followers a
			 * cycle now and then (docs/design.md, "Joining the graph"). */
			"node.always-process", "false",
			PW_KEY_NODE_WANT_DRIVER, "false",
			"xen.domain.name", c->vm->name,
			NULL);
	if (props == NULL)
		return NULL;
	pw_properties_setf(props, PW_KEY_NODE_DESCRIPTION, "%s: %s", c->vm->name, media_name);
	pw_properties_setf(props, "xen.domain.id", "%u", c->domid);
	pw_properties_setf(props, "xen.vsnd.card", "%u", c->devid);
	pw_properties_setf(props, "xen.vsnd.pcm", "%u", s->cfg->pcm);
	pw_properties_setf(props, "xen.vsnd.stream", "%u", s->cfg->stream);
	if (s->cfg->has_unique_id) {
		pw_properties_set(props, "xen.vsnd.unique-id", s->cfg->unique_id);
		if (spa_strstartswith(s->cfg->unique_id, "target:") && s->cfg->unique_id[7])
			pw_properties_set(props, PW_KEY_TARGET_OBJECT, s->cfg->unique_id + 7);
	}
	if (impl->node_latency) {
		pw_properties_set(props, PW_KEY_NODE_LATENCY, impl->node_latency);
	} else if (s->params.period_sz) {
		/* half a guest period: at least two positions per period, as the
		 * frontend's strict '>' period test needs */
		uint32_t frames = s->params.period_sz / s->params.frame_size / 2;
		pw_properties_setf(props, PW_KEY_NODE_LATENCY, "%u/%u",
				SPA_CLAMP(frames, 32u, 8192u), s->params.rate);
	}
	if (impl->stream_props)
		pw_properties_update_string(props, impl->stream_props, strlen(impl->stream_props));
	if (impl->stream_rules)
		pw_conf_match_rules(impl->stream_rules, strlen(impl->stream_rules), "xen-snd",
				&props->dict, rule_matched, props);
	return props;
}

/* ---- start: wait until the node is heard (playback) or fed (capture) ---- */

static void link_wait_end(struct xsnd_stream *s, bool heard)
{
	static const struct spa_dict_item always[] = { { "node.always-process", "true" } };

	if (s->link_timer) {
		pw_loop_destroy_source(s->card->impl->main_loop, s->link_timer);
		s->link_timer = NULL;
	}
	/* Linked: from now on the graph runs the node even if it is unlinked
	 * later (it stays where it is, in its driver's graph). Never linked:
	 * the stream's own clock runs it (stream-clock.c), and it does not
	 * join a graph it has nothing to do with. */
	if (s->pw && heard)
		pw_stream_update_properties(s->pw, &SPA_DICT_INIT_ARRAY(always));
	rt_change(s, RT_LINKED, !heard);
}

static void on_linked(void *data)
{
	struct xsnd_stream *s = data;
	struct timespec ts;
	int64_t ms = -1;

	/* run_ns was set at START by a blocking invoke: safe to read here */
	if (s->link_timer_armed) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ms = (SPA_TIMESPEC_TO_NSEC(&ts) - s->rt.run_ns) / (int64_t)SPA_NSEC_PER_MSEC;
	}
	if (ms >= (int64_t)s->link_wait_ms)
		pw_log_info("%s: linked %" PRIi64 " ms after START, later than the %u ms "
				"its guest allows: the time between ran on its own clock",
				s->node_name, ms, s->link_wait_ms);
	else
		pw_log_debug("%s: every port linked, %" PRIi64 " ms after START", s->node_name, ms);
	link_wait_end(s, true);
}

static void on_link_timeout(void *data, uint64_t expirations)
{
	struct xsnd_stream *s = data;
	pw_log_info("%s: not linked after %u ms, playing unheard", s->node_name, s->link_wait_ms);
	link_wait_end(s, false);
}

static void link_wait_start(struct xsnd_stream *s, struct pw_core *core)
{
	struct impl *impl = s->card->impl;

	if (s->link_wait_ms == 0 ||
	    (s->links = xsnd_link_watch_new(s->card->vm->links, core, s->node_name,
			s->cfg->type == XSND_STREAM_PLAYBACK, on_linked, s)) == NULL ||
	    (s->link_timer = pw_loop_add_timer(impl->main_loop, on_link_timeout, s)) == NULL) {
		link_wait_end(s, true);
		return;
	}
	s->link_timer_armed = false;
}

/* START: the guest now waits for positions; the clock starts. Before, a
 * stopped stream loses nothing by waiting. */
static void link_wait_arm(struct xsnd_stream *s)
{
	struct timespec ts;

	if (s->link_timer == NULL || s->link_timer_armed)
		return;
	ts.tv_sec = s->link_wait_ms / 1000;
	ts.tv_nsec = (long)(s->link_wait_ms % 1000) * 1000000L;
	pw_loop_update_timer(s->card->impl->main_loop, s->link_timer, &ts, NULL, false);
	s->link_timer_armed = true;
}

static void link_wait_stop(struct xsnd_stream *s)
{
	if (s->link_timer) {
		pw_loop_destroy_source(s->card->impl->main_loop, s->link_timer);
		s->link_timer = NULL;
	}
	xsnd_link_watch_destroy(s->links);
	s->links = NULL;
}

static int create_node(struct xsnd_stream *s)
{
	struct pw_core *core = xsnd_vm_core(s->card->vm);
	bool playback = s->cfg->type == XSND_STREAM_PLAYBACK;
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	const struct spa_pod *params[1];
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32,
		.rate = s->params.rate,
		.channels = s->params.channels,
	};
	struct pw_properties *props;
	int res;

	if (core == NULL)
		return -EIO;
	if ((props = stream_properties(s)) == NULL)
		return -errno;
	s->pw = pw_stream_new(core, s->node_name, props);
	if (s->pw == NULL)
		return -errno;
	s->rt.pw = s->pw;	/* before connect: the data thread cannot see it yet */
	pw_stream_add_listener(s->pw, &s->pw_listener,
			playback ? &playback_events : &capture_events, s);

	set_positions(&info);
	params[0] = spa_format_audio_raw_build(&b, SPA_PARAM_EnumFormat, &info);
	res = pw_stream_connect(s->pw, playback ? PW_DIRECTION_OUTPUT : PW_DIRECTION_INPUT,
			PW_ID_ANY,
			PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
			PW_STREAM_FLAG_RT_PROCESS,
			params, 1);
	if (res < 0) {
		pw_stream_destroy(s->pw);
		return res;
	}
	link_wait_start(s, core);
	xsnd_stream_clock_add(s);
	return 0;
}

/* ---- requests ----
 *
 * TRIGGER does not (de)activate the node: it stays streaming from OPEN to
 * CLOSE and plays silence while the guest is stopped. Activating a node
 * takes effect a cycle late in PipeWire and would drop the guest's first
 * quantum; it also reshuffles the graph under every other VM. */

static int read_dir_page(void *data, uint32_t gref, void *page)
{
	struct xsnd_stream *s = data;
	struct xsnd_xen *xen = s->card->impl->xen;
	void *p = xsnd_xen_map_grants(xen, s->card->domid, 1, &gref, false);

	if (p == NULL)
		return -errno;
	memcpy(page, p, XSND_PAGE_SIZE);	/* a private copy: the guest may change its page */
	xsnd_xen_unmap_grants(xen, p, 1);
	return 0;
}

static int do_open(struct xsnd_stream *s, const struct xsnd_open_params *op, struct xsnd_error *err)
{
	struct xsnd_xen *xen = s->card->impl->xen;
	uint32_t *grefs, n = 0;
	uint32_t i;
	int res;

	grefs = calloc(op->n_pages, sizeof(*grefs));
	if (grefs == NULL)
		return xsnd_error_set(err, -ENOMEM, "no memory for %u grant refs", op->n_pages);
	res = xsnd_page_dir_walk(op->buffer_sz, op->gref_directory,
			s->card->impl->limits.buffer_bytes_max, read_dir_page, s,
			grefs, op->n_pages, &n, err);
	if (res < 0)
		goto out;
	s->buffer = xsnd_xen_map_grants(xen, s->card->domid, n, grefs, true);
	if (s->buffer == NULL) {
		res = xsnd_error_set(err, -errno, "cannot map the %u pages of the buffer", n);
		goto out;
	}
	s->n_pages = n;
	s->params = *op;
	s->conv = xsnd_pcm_convert_get(op->format);
	for (i = 0; i < SPA_AUDIO_MAX_CHANNELS; i++) {
		s->vol_gain[i] = s->mute_gain[i] = 1.0f;
		s->vol_millidb[i] = 0;
	}
	s->read_pending = false;
	memset(&s->rt, 0, sizeof(s->rt));	/* no node yet: the data thread cannot see it */
	/* what the guest tolerates after START (position.h) */
	s->link_wait_ms = xsnd_link_wait_ms(op->rate, op->buffer_sz / op->frame_size,
			op->period_sz / op->frame_size, XSND_CLOCK_TICK_MS, s->card->impl->link_wait_ms);
	s->rt.link_wait_ns = (int64_t)s->link_wait_ms * SPA_NSEC_PER_MSEC;
	s->rt.first_period_ns = (int64_t)xsnd_first_period_ms(op->rate,
			op->buffer_sz / op->frame_size, op->period_sz / op->frame_size,
			XSND_CLOCK_TICK_MS) * SPA_NSEC_PER_MSEC;
	/* the graph may pause this long before the stream's own clock runs */
	s->clock_after_ns = SPA_MAX((int64_t)50 * SPA_NSEC_PER_MSEC,
			(int64_t)(op->period_sz / op->frame_size) * SPA_NSEC_PER_SEC / op->rate);
	xsnd_position_init(&s->rt.position, op->period_sz / op->frame_size);
	xsnd_history_reset(&s->rt.history);
	rt_change(s, RT_GAIN, false);

	if ((res = create_node(s)) < 0) {
		xsnd_error_set(err, res, "cannot create the stream node: %s", spa_strerror(res));
		xsnd_xen_unmap_grants(xen, s->buffer, s->n_pages);
		s->buffer = NULL;
		s->n_pages = 0;
		goto out;
	}
	pw_log_info("%s: open %u Hz, format %u, %u channels, buffer %u, period %u",
			s->node_name, op->rate, op->format, op->channels, op->buffer_sz, op->period_sz);
out:
	free(grefs);
	return res;
}

void xsnd_stream_close(struct xsnd_stream *s)
{
	if (s->read_pending) {
		respond_status(s, &s->read_req, -EIO);
		s->read_pending = false;
	}
	link_wait_stop(s);
	/* Off the clock list and the node off the data loop before we return,
	 * so the buffer can go away afterwards. */
	xsnd_stream_clock_remove(s);
	if (s->pw) {
		/* pw_stream_destroy() emits `destroy` (on_stream_destroy clears
		 * s->pw) before it takes the node off the data loop; a process
		 * callback running then would read s->pw as NULL. Disconnecting
		 * first removes the node from the data loop and waits for it. */
		pw_stream_disconnect(s->pw);
		pw_stream_destroy(s->pw);
		pw_log_info("%s: closed at position %" PRIu64 " (reported %" PRIu64 " frames), "
				"%u cycles (%u repeated), %u underruns, %u empty, %" PRIu64
				" frames on its own clock",
				s->node_name, s->rt.pos, s->rt.position.reported, s->rt.cycles,
				s->rt.repeats, s->rt.xruns, s->rt.empty, s->rt.clock_frames);
		/* a full page is a slow guest; a corrupt in_cons a broken one */
		if (s->evt.n_full || s->evt.n_corrupt)
			pw_log(s->evt.n_corrupt ? SPA_LOG_LEVEL_WARN : SPA_LOG_LEVEL_INFO,
					"%s: %u position events not sent: %u on a full event page, "
					"%u with a corrupt in_cons (last %u, in_prod %u)",
					s->node_name, s->evt.n_full + s->evt.n_corrupt,
					s->evt.n_full, s->evt.n_corrupt, s->evt.bad_cons,
					s->evt.prod);
		s->evt.n_full = s->evt.n_corrupt = 0;
	}
	if (s->buffer) {
		xsnd_xen_unmap_grants(s->card->impl->xen, s->buffer, s->n_pages);
		s->buffer = NULL;
		s->n_pages = 0;
	}
	s->state = XSND_STATE_CLOSED;
}

/*
 * The guest's buffer is a ring that the data thread reads (playback) or
 * writes (capture) at `pos` modulo its size, like a sound card's DMA. A
 * request names a region by its offset; where that region lies relative to
 * the DMA pointer says how far the guest's data reaches. Keeping to the
 * pointer, instead of following the guest's offsets, is what keeps Linux's
 * frontend consistent after an xrun: its ALSA core restarts at 0 while the
 * frontend's hw pointer does not, and the data follows the latter.
 */
static void do_write(struct xsnd_stream *s, uint32_t offset, uint32_t length)
{
	uint32_t bsz = s->params.buffer_sz;
	uint64_t pos = __atomic_load_n(&s->rt.pos, __ATOMIC_ACQUIRE);
	uint32_t ptr = (uint32_t)(pos % bsz);
	/* the end of the written region, as the first counter past pos */
	uint64_t end = pos + ((uint64_t)offset + length + bsz - ptr - 1) % bsz + 1;

	pw_log_trace("%s: WRITE %u+%u, pos %" PRIu64 ": data up to %" PRIu64,
			s->node_name, offset, length, pos, end);
	if (length > 0)
		__atomic_store_n(&s->rt.valid, end, __ATOMIC_RELEASE);
}

/* Returns 0 to answer now, 1 when the answer waits for captured data. */
static int do_read(struct xsnd_stream *s, const struct xensnd_req *req, uint32_t offset, uint32_t length)
{
	uint32_t bsz = s->params.buffer_sz;
	uint64_t pos = __atomic_load_n(&s->rt.pos, __ATOMIC_ACQUIRE);
	uint32_t ptr = (uint32_t)(pos % bsz);
	/* how far the end of the region lies behind the DMA pointer */
	uint32_t behind = (uint32_t)((ptr + (uint64_t)bsz - ((uint64_t)offset + length) % bsz) % bsz);

	if ((uint64_t)behind + length <= bsz)
		return 0;	/* captured already */
	if (s->read_pending)
		return -EBUSY;
	s->read_pending = true;
	s->read_req = *req;
	s->read_target = pos + (bsz - behind);
	__atomic_store_n(&s->rt.read_wait, s->read_target, __ATOMIC_RELEASE);
	return 1;
}

void xsnd_stream_read_ready(struct xsnd_stream *s)
{
	if (!s->read_pending ||
	    __atomic_load_n(&s->rt.pos, __ATOMIC_ACQUIRE) < s->read_target)
		return;
	s->read_pending = false;
	__atomic_store_n(&s->rt.read_wait, 0, __ATOMIC_RELEASE);
	respond_status(s, &s->read_req, 0);
}

static int do_volume(struct xsnd_stream *s, uint8_t op, uint32_t offset)
{
	uint32_t i, ch = s->params.channels;
	uint8_t *p = s->buffer + offset;

	for (i = 0; i < ch; i++) {
		int32_t v;
		uint8_t m;
		switch (op) {
		case XENSND_OP_SET_VOLUME:
			memcpy(&v, p + 4 * i, 4);	/* one load: the page is the guest's */
			s->vol_millidb[i] = v;
			s->vol_gain[i] = xsnd_pcm_gain_from_millidb(v);
			break;
		case XENSND_OP_GET_VOLUME:
			memcpy(p + 4 * i, &s->vol_millidb[i], 4);
			break;
		case XENSND_OP_MUTE:
		case XENSND_OP_UNMUTE:
			m = p[i];
			if (m)
				s->mute_gain[i] = op == XENSND_OP_MUTE ? 0.0f : 1.0f;
			break;
		}
	}
	if (op != XENSND_OP_GET_VOLUME)
		rt_change(s, RT_GAIN, false);
	return 0;
}

static int do_trigger(struct xsnd_stream *s, uint8_t type)
{
	pw_log_debug("%s: TRIGGER %u at pos %" PRIu64 " valid %" PRIu64 ", reported %" PRIu64 " frames",
			s->node_name, type, s->rt.pos, s->rt.valid, s->rt.position.reported);
	switch (type) {
	case XENSND_OP_TRIGGER_START:
	case XENSND_OP_TRIGGER_RESUME:
		link_wait_arm(s);
		rt_change(s, RT_RUN, false);
		break;
	case XENSND_OP_TRIGGER_STOP:
	case XENSND_OP_TRIGGER_PAUSE:
		/* STOP drops what the guest queued, PAUSE keeps it */
		rt_change(s, RT_STOP, type == XENSND_OP_TRIGGER_STOP &&
				s->cfg->type == XSND_STREAM_PLAYBACK);
		break;
	}
	return 0;
}

static void handle_request(struct xsnd_stream *s, const struct xensnd_req *req)
{
	struct impl *impl = s->card->impl;
	struct xsnd_error err = { 0 };
	struct xsnd_request r;
	struct xensnd_resp resp;
	int res;

	res = xsnd_request_check(s->cfg, &impl->limits, s->state,
			s->state != XSND_STATE_CLOSED ? &s->params : NULL, req, &r, &err);
	if (res < 0) {
		log_bad_request(s, req, &err, res);
		respond_status(s, req, res);
		return;
	}
	xsnd_response_init(&resp, req, 0);

	switch (r.operation) {
	case XENSND_OP_OPEN:
		if (s->state != XSND_STATE_CLOSED) {
			/* Linux's frontend after a second HW_PARAMS ioctl without
			 * HW_FREE: it freed the old buffer without CLOSE */
			pw_log_info("%s: OPEN on the %s stream: the guest set it up again, "
					"the old one closes", s->node_name,
					xsnd_stream_state_name(s->state));
			xsnd_stream_close(s);
			s->state = XSND_STATE_CLOSED;
		}
		res = do_open(s, &r.u.open, &err);
		break;
	case XENSND_OP_CLOSE:
		xsnd_stream_close(s);
		break;
	case XENSND_OP_WRITE:
		do_write(s, r.u.rw.offset, r.u.rw.length);
		break;
	case XENSND_OP_READ:
		res = do_read(s, req, r.u.rw.offset, r.u.rw.length);
		if (res == 1) {
			s->state = xsnd_stream_state_next(s->state, &r);
			return;		/* answered when the data is there */
		}
		break;
	case XENSND_OP_SET_VOLUME:
	case XENSND_OP_GET_VOLUME:
	case XENSND_OP_MUTE:
	case XENSND_OP_UNMUTE:
		res = do_volume(s, r.operation, r.u.rw.offset);
		break;
	case XENSND_OP_TRIGGER:
		res = do_trigger(s, r.u.trigger);
		break;
	case XENSND_OP_HW_PARAM_QUERY:
		res = xsnd_hw_param_refine(&s->cfg->hw, &impl->limits, &r.u.hw_param,
				&resp.resp.hw_param, &err);
		break;
	}
	if (res < 0) {
		log_bad_request(s, req, &err, res);
		memset(&resp.resp, 0, sizeof(resp.resp));
	} else {
		s->state = xsnd_stream_state_next(s->state, &r);
	}
	resp.status = res;
	respond(s, &resp);
}

/*
 * Every OPEN makes a node, so a VM's OPENs are rate limited (vm.open-rate):
 * one over the limit stays in the ring, unanswered, and a timer serves the
 * ring again when it is due. Linux's frontend waits 3 s for an answer; with
 * the default burst a whole card opening at once is never held.
 */
static bool open_admitted(struct xsnd_stream *s)
{
	struct impl *impl = s->card->impl;
	struct xsnd_vm *vm = s->card->vm;
	struct timespec ts;
	int64_t now, wait;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = SPA_TIMESPEC_TO_NSEC(&ts);
	wait = xsnd_rate_limit_take(&vm->opens, now, impl->open_interval_ns, impl->open_burst);
	if (wait == 0) {
		s->open_held = false;
		return true;
	}
	/* asked again on every notification while it waits: count it once */
	if (!s->open_held)
		vm->opens_held++;
	s->open_held = true;
	if (vm->opens_logged_ns == 0 || now - vm->opens_logged_ns >= 10 * SPA_NSEC_PER_SEC) {
		pw_log_warn("domain %u (%s): more than %" PRIi64 " stream OPENs a second "
				"(vm.open-rate), %u held back since the last report",
				vm->domid, vm->name, (int64_t)(SPA_NSEC_PER_SEC / impl->open_interval_ns),
				vm->opens_held);
		vm->opens_logged_ns = now;
		vm->opens_held = 0;
	}
	ts.tv_sec = wait / SPA_NSEC_PER_SEC;
	ts.tv_nsec = wait % SPA_NSEC_PER_SEC;
	pw_loop_update_timer(impl->main_loop, s->open_retry, &ts, NULL, false);
	return false;
}

static void on_open_retry(void *data, uint64_t expirations)
{
	xsnd_stream_ring_kick(data);
}

/* Signalled by the main loop (more requests than one pass serves) and by
 * the data thread (a pending READ's bytes are there). */
static void on_kick(void *data, uint64_t count)
{
	xsnd_stream_read_ready(data);
	xsnd_stream_ring_kick(data);
}

void xsnd_stream_ring_kick(struct xsnd_stream *s)
{
	uint32_t n = 0;
	RING_IDX rp;
	int more;

	if (s->ring_page == NULL || s->ring_broken)
		return;
	do {
		rp = s->ring.sring->req_prod;
		xen_rmb();	/* read req_prod before the requests it covers */
		if (RING_REQUEST_PROD_OVERFLOW(&s->ring, rp)) {
			pw_log_warn("domain %u (%s) vsnd %u stream %u: ring indices corrupt "
					"(req_prod %u, rsp_prod %u): stream disabled",
					s->card->domid, s->card->vm->name, s->card->devid,
					s->cfg->index, rp, s->ring.rsp_prod_pvt);
			s->ring_broken = true;
			xsnd_stream_close(s);
			return;
		}
		while (s->ring.req_cons != rp) {
			struct xensnd_req req;

			if (n++ == MAX_REQUESTS_PER_PASS) {
				pw_loop_signal_event(s->card->impl->main_loop, s->kick);
				return;
			}
			RING_COPY_REQUEST(&s->ring, s->ring.req_cons, &req);
			if (req.operation == XENSND_OP_OPEN && !open_admitted(s))
				return;		/* stays in the ring: open_retry serves it */
			s->ring.req_cons++;
			handle_request(s, &req);
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&s->ring, more);
	} while (more);
}

struct xsnd_stream *xsnd_stream_new(struct xsnd_card *card, const struct xsnd_stream_config *cfg)
{
	struct xsnd_stream *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->card = card;
	s->cfg = cfg;
	s->ring_port = s->evt_port = -1;
	s->state = XSND_STATE_CLOSED;
	snprintf(s->node_name, sizeof(s->node_name), "xen-snd.%s.%u.%u.%u",
			card->vm->name, card->devid, cfg->pcm, cfg->stream);
	s->kick = pw_loop_add_event(card->impl->main_loop, on_kick, s);
	s->open_retry = pw_loop_add_timer(card->impl->main_loop, on_open_retry, s);
	if (s->kick == NULL || s->open_retry == NULL) {
		if (s->kick)
			pw_loop_destroy_source(card->impl->main_loop, s->kick);
		if (s->open_retry)
			pw_loop_destroy_source(card->impl->main_loop, s->open_retry);
		free(s);
		return NULL;
	}
	spa_list_append(&card->streams, &s->link);
	return s;
}

void xsnd_stream_destroy(struct xsnd_stream *s)
{
	struct xsnd_xen *xen = s->card->impl->xen;

	xsnd_stream_close(s);
	if (s->ring_port >= 0)
		xsnd_xen_evtchn_unbind(xen, (uint32_t)s->ring_port);
	if (s->evt_port >= 0)
		xsnd_xen_evtchn_unbind(xen, (uint32_t)s->evt_port);
	if (s->ring_page)
		xsnd_xen_unmap_grants(xen, s->ring_page, 1);
	if (s->evt_page)
		xsnd_xen_unmap_grants(xen, s->evt_page, 1);
	pw_loop_destroy_source(s->card->impl->main_loop, s->kick);
	pw_loop_destroy_source(s->card->impl->main_loop, s->open_retry);
	spa_list_remove(&s->link);
	free(s);
}
