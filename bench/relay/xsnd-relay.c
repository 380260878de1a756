/* SPDX-License-Identifier: MIT */
/*
 * xsnd-relay: the baseline for the benchmarks. It serves vsnd devices the
 * way today's Xen audio backends do (xen-troops snd_be and its PipeWire
 * port, Qubes' pacat-simple-vchan): a separate process that, on WRITE,
 * COPIES the bytes out of the mapped guest buffer into a ring of its own,
 * and a pw_stream per guest stream (client of the daemon) that drains the
 * ring in its process callback; READ copies the other way. Positions go to
 * the guest once per period from a timer, counting what the stream has
 * played, silence included, so the clock runs like a sound card's.
 *
 *   xsnd-relay --control SIM/control [--latency 256/48000] [--report FILE]
 *              [--capture-target NODE]
 *
 * Built from the protocol core (src/sndif) and the Xen access interface
 * (src/xen, simulator backend). One main thread (requests, xenstore,
 * timers) plus PipeWire's data thread (process callbacks).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include <spa/param/audio/format-utils.h>
#include <spa/utils/ringbuffer.h>
#include <spa/utils/result.h>
#include <pipewire/pipewire.h>

#ifndef mb
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include "sndif.h"
#include "card-config.h"
#include "event-ring.h"
#include "hw-param.h"
#include "page-dir.h"
#include "request.h"
#include "xenbus-state.h"
#include "xen-access.h"

#define MAX_DEV		64
#define MAX_PAGES	1024		/* 4 MiB guest buffers, the default limit */

struct relay;
struct rdev;

struct rstream {
	struct relay *r;
	struct rdev *d;
	bool used;
	struct xsnd_stream_config *cfg;
	struct xsnd_stream_transport tr;
	void *ring_page, *evt_page;
	struct xen_sndif_back_ring ring;
	int port, evt_port;
	struct xsnd_event_producer ev;
	enum xsnd_stream_state state;
	struct xsnd_open_params open;
	void *buf;
	uint32_t n_pages;
	/* the relay's own copy of the audio */
	struct pw_stream *pw;
	struct spa_hook listener;
	struct spa_ringbuffer rb;
	uint8_t *data;
	uint32_t size;			/* power of two, bytes */
	uint64_t frames_done;		/* data thread: played or captured */
	uint64_t frames_reported;
	struct spa_source *timer;
};

struct rdev {
	bool used, connected;
	uint32_t domid, devid;
	char be[200], fe[200];
	struct xsnd_card_config card;
	struct rstream s[XSND_MAX_STREAMS];
};

struct relay {
	struct pw_main_loop *main;
	struct pw_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct xsnd_xen *x;
	struct xsnd_limits lim;
	const char *latency;
	const char *capture_target;
	struct rdev dev[MAX_DEV];
	uint32_t grefs[MAX_PAGES];
	uint64_t requests, bad_requests, writes, reads, bytes_copied, underruns, overruns, events;
};

static int xs_read_cb(void *data, const char *path, char *buf, size_t size)
{
	struct relay *r = data;
	unsigned int len;
	char *v = xs_read(r->x->xs, XBT_NULL, path, &len);

	if (v == NULL)
		return errno == ENOENT ? -ENOENT : -errno;
	if (len + 1 > size) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	free(v);
	return (int)len;
}

static int read_int(struct relay *r, const char *path, int def)
{
	char buf[32];

	return xs_read_cb(r, path, buf, sizeof(buf)) < 0 ? def : atoi(buf);
}

static void write_state(struct relay *r, struct rdev *d, int state)
{
	char p[256], v[8];

	snprintf(p, sizeof(p), "%s/state", d->be);
	snprintf(v, sizeof(v), "%d", state);
	xs_write(r->x->xs, XBT_NULL, p, v, strlen(v));
}

/* ---- data thread ---- */

static void on_process(void *data)
{
	struct rstream *s = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(s->pw);
	struct spa_data *d;
	uint32_t idx, n, bytes, fs = s->open.frame_size;
	int32_t avail;

	if (b == NULL)
		return;
	d = &b->buffer->datas[0];
	if (d->data == NULL)
		goto done;
	if (s->cfg->type == XSND_STREAM_PLAYBACK) {
		n = d->maxsize / fs;
		if (b->requested && b->requested < n)
			n = (uint32_t)b->requested;
		bytes = n * fs;
		avail = spa_ringbuffer_get_read_index(&s->rb, &idx);
		if (avail < (int32_t)bytes) {
			/* underrun: play silence, the clock keeps running */
			if (avail < 0)
				avail = 0;
			memset(SPA_PTROFF(d->data, avail, void), 0, bytes - (uint32_t)avail);
			s->r->underruns++;
		}
		avail = SPA_MIN(avail, (int32_t)bytes);
		spa_ringbuffer_read_data(&s->rb, s->data, s->size, idx & (s->size - 1), d->data,
				(uint32_t)avail);
		spa_ringbuffer_read_update(&s->rb, idx + (uint32_t)avail);
		d->chunk->offset = 0;
		d->chunk->stride = (int32_t)fs;
		d->chunk->size = bytes;
	} else {
		bytes = SPA_MIN(d->chunk->size, d->maxsize);
		n = bytes / fs;
		bytes = n * fs;
		avail = spa_ringbuffer_get_write_index(&s->rb, &idx);
		if (avail + bytes > s->size) {
			s->r->overruns++;
		} else {
			spa_ringbuffer_write_data(&s->rb, s->data, s->size, idx & (s->size - 1),
					SPA_PTROFF(d->data, SPA_MIN(d->chunk->offset, d->maxsize - bytes), void),
					bytes);
			spa_ringbuffer_write_update(&s->rb, idx + bytes);
		}
	}
	__atomic_add_fetch(&s->frames_done, n, __ATOMIC_RELEASE);
done:
	pw_stream_queue_buffer(s->pw, b);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
};

/* ---- main thread ---- */

/* The period timer: one CUR_POS per period, as snd_be does. */
static void on_period(void *data, uint64_t expirations)
{
	struct rstream *s = data;
	uint64_t f = __atomic_load_n(&s->frames_done, __ATOMIC_ACQUIRE);

	if (f == s->frames_reported || s->state != XSND_STATE_RUNNING)
		return;
	if (xsnd_event_put_cur_pos(&s->ev, f * s->open.frame_size) < 0)
		return;
	s->frames_reported = f;
	s->r->events++;
	xsnd_xen_evtchn_notify(s->r->x, (uint32_t)s->evt_port);
}

static void set_timer(struct rstream *s, bool on)
{
	struct timespec v = { 0, 0 }, i = { 0, 0 };

	if (on && s->open.period_sz > 0) {
		uint64_t ns = (uint64_t)s->open.period_sz / s->open.frame_size * 1000000000ull / s->open.rate;

		v.tv_sec = i.tv_sec = (time_t)(ns / 1000000000ull);
		v.tv_nsec = i.tv_nsec = (long)(ns % 1000000000ull);
	}
	pw_loop_update_timer(s->r->loop, s->timer, &v, &i, false);
}

static void stream_close(struct rstream *s)
{
	struct relay *r = s->r;

	if (s->timer != NULL)
		pw_loop_destroy_source(r->loop, s->timer);
	s->timer = NULL;
	if (s->pw != NULL)
		pw_stream_destroy(s->pw);
	s->pw = NULL;
	free(s->data);
	s->data = NULL;
	if (s->buf != NULL)
		xsnd_xen_unmap_grants(r->x, s->buf, s->n_pages);
	s->buf = NULL;
	s->n_pages = 0;
	s->state = XSND_STATE_CLOSED;
}

static int stream_open(struct relay *r, struct rstream *s, const struct xsnd_open_params *o)
{
	uint8_t pod_buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod_buf, sizeof(pod_buf));
	struct spa_audio_info_raw info = { .format = o->spa_format, .rate = o->rate, .channels = o->channels };
	const struct spa_pod *params[1];
	struct pw_properties *props;
	bool play = s->cfg->type == XSND_STREAM_PLAYBACK;
	char name[64];

	/* room for the whole guest buffer twice: the guest can never be more
	 * than one buffer ahead */
	s->size = 1;
	while (s->size < 2 * o->buffer_sz)
		s->size <<= 1;
	if ((s->data = calloc(1, s->size)) == NULL)
		return -ENOMEM;
	spa_ringbuffer_init(&s->rb);
	s->frames_done = s->frames_reported = 0;
	if (o->channels == 1) {
		info.position[0] = SPA_AUDIO_CHANNEL_MONO;
	} else if (o->channels == 2) {
		info.position[0] = SPA_AUDIO_CHANNEL_FL;
		info.position[1] = SPA_AUDIO_CHANNEL_FR;
	} else {
		info.flags = SPA_AUDIO_FLAG_UNPOSITIONED;
	}
	snprintf(name, sizeof(name), "xsnd-relay.%u.%u.%u", s->d->domid, s->d->devid, s->cfg->index);
	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
			PW_KEY_MEDIA_CATEGORY, play ? "Playback" : "Capture",
			PW_KEY_NODE_NAME, name, NULL);
	if (r->latency != NULL)
		pw_properties_set(props, PW_KEY_NODE_LATENCY, r->latency);
	if (!play && r->capture_target != NULL)
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, r->capture_target);
	s->pw = pw_stream_new(r->core, name, props);
	if (s->pw == NULL)
		return -errno;
	pw_stream_add_listener(s->pw, &s->listener, &stream_events, s);
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat, &info);
	if (pw_stream_connect(s->pw, play ? PW_DIRECTION_OUTPUT : PW_DIRECTION_INPUT, PW_ID_ANY,
			PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
			PW_STREAM_FLAG_RT_PROCESS | PW_STREAM_FLAG_INACTIVE, params, 1) < 0)
		return -EIO;
	s->timer = pw_loop_add_timer(r->loop, on_period, s);
	return s->timer ? 0 : -ENOMEM;
}

static int dir_page(void *data, uint32_t gref, void *page)
{
	struct rstream *s = data;
	void *p = xsnd_xen_map_grants(s->r->x, s->d->domid, 1, &gref, false);

	if (p == NULL)
		return -errno;
	memcpy(page, p, XSND_PAGE_SIZE);
	xsnd_xen_unmap_grants(s->r->x, p, 1);
	return 0;
}

static int handle(struct relay *r, struct rstream *s, const struct xensnd_req *req,
		struct xensnd_resp *resp)
{
	struct xsnd_request q;
	struct xsnd_error err = { 0 };
	struct xensnd_req fixed;
	int res;

	/* Linux restarts a suspended (paused) stream with START */
	if (s->state == XSND_STATE_PAUSED && req->operation == XENSND_OP_TRIGGER &&
	    req->op.trigger.type == XENSND_OP_TRIGGER_START) {
		fixed = *req;
		fixed.op.trigger.type = XENSND_OP_TRIGGER_RESUME;
		req = &fixed;
	}
	res = xsnd_request_check(s->cfg, &r->lim, s->state,
			s->state == XSND_STATE_CLOSED ? NULL : &s->open, req, &q, &err);
	if (res < 0) {
		r->bad_requests++;
		fprintf(stderr, "xsnd-relay: dom%u stream %u: %s\n", s->d->domid, s->cfg->index, err.msg);
		return res;
	}
	switch (q.operation) {
	case XENSND_OP_HW_PARAM_QUERY:
		return xsnd_hw_param_refine(&s->cfg->hw, &r->lim, &q.u.hw_param, &resp->resp.hw_param, &err);
	case XENSND_OP_OPEN: {
		uint32_t n;

		res = xsnd_page_dir_walk(q.u.open.buffer_sz, q.u.open.gref_directory, r->lim.buffer_bytes_max,
				dir_page, s, r->grefs, MAX_PAGES, &n, &err);
		if (res < 0) {
			fprintf(stderr, "xsnd-relay: open: %s\n", err.msg);
			return res;
		}
		if ((s->buf = xsnd_xen_map_grants(r->x, s->d->domid, n, r->grefs, true)) == NULL)
			return -EIO;
		s->n_pages = n;
		s->open = q.u.open;
		if ((res = stream_open(r, s, &q.u.open)) < 0) {
			stream_close(s);
			return res;
		}
		break;
	}
	case XENSND_OP_CLOSE:
		stream_close(s);
		break;
	case XENSND_OP_WRITE: {
		uint32_t idx;
		int32_t fill = spa_ringbuffer_get_write_index(&s->rb, &idx);

		r->writes++;
		if (fill + q.u.rw.length > s->size)
			return -ENOSPC;
		/* the copy this design makes: guest pages -> our ring */
		spa_ringbuffer_write_data(&s->rb, s->data, s->size, idx & (s->size - 1),
				(uint8_t *)s->buf + q.u.rw.offset, q.u.rw.length);
		spa_ringbuffer_write_update(&s->rb, idx + q.u.rw.length);
		r->bytes_copied += q.u.rw.length;
		break;
	}
	case XENSND_OP_READ: {
		uint32_t idx, len = q.u.rw.length;
		int32_t avail = spa_ringbuffer_get_read_index(&s->rb, &idx);
		uint8_t *dst = (uint8_t *)s->buf + q.u.rw.offset;

		r->reads++;
		if (avail < 0)
			avail = 0;
		if ((uint32_t)avail < len) {
			memset(dst + avail, 0, len - (uint32_t)avail);
			len = (uint32_t)avail;
		}
		spa_ringbuffer_read_data(&s->rb, s->data, s->size, idx & (s->size - 1), dst, len);
		spa_ringbuffer_read_update(&s->rb, idx + len);
		r->bytes_copied += q.u.rw.length;
		break;
	}
	case XENSND_OP_TRIGGER: {
		bool run = q.u.trigger == XENSND_OP_TRIGGER_START || q.u.trigger == XENSND_OP_TRIGGER_RESUME;

		if (q.u.trigger == XENSND_OP_TRIGGER_STOP) {
			/* the next START plays from an empty ring */
			uint32_t idx;
			spa_ringbuffer_get_write_index(&s->rb, &idx);
			pw_stream_set_active(s->pw, false);
			spa_ringbuffer_read_update(&s->rb, idx);
		} else {
			pw_stream_set_active(s->pw, run);
		}
		set_timer(s, run);
		break;
	}
	default:
		return -ENOTSUP;
	}
	s->state = xsnd_stream_state_next(s->state, &q);
	return 0;
}

static void serve(struct relay *r, struct rstream *s)
{
	int more, notify;

	do {
		RING_IDX rc = s->ring.req_cons, rp = s->ring.sring->req_prod;

		rmb();
		if (rp - rc > RING_SIZE(&s->ring)) {
			fprintf(stderr, "xsnd-relay: dom%u: req_prod out of range\n", s->d->domid);
			return;
		}
		for (; rc != rp; rc++) {
			struct xensnd_req req;
			struct xensnd_resp resp;

			memcpy(&req, RING_GET_REQUEST(&s->ring, rc), sizeof(req));
			s->ring.req_cons = rc + 1;
			memset(&resp, 0, sizeof(resp));
			r->requests++;
			resp.status = handle(r, s, &req, &resp);
			resp.id = req.id;
			resp.operation = req.operation;
			memcpy(RING_GET_RESPONSE(&s->ring, s->ring.rsp_prod_pvt), &resp, sizeof(resp));
			s->ring.rsp_prod_pvt++;
		}
		RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&s->ring, notify);
		if (notify)
			xsnd_xen_evtchn_notify(r->x, (uint32_t)s->port);
		RING_FINAL_CHECK_FOR_REQUESTS(&s->ring, more);
	} while (more);
}

/* ---- XenBus ---- */

static void dev_teardown(struct relay *r, struct rdev *d)
{
	for (uint32_t i = 0; i < XSND_MAX_STREAMS; i++) {
		struct rstream *s = &d->s[i];

		if (!s->used)
			continue;
		stream_close(s);
		if (s->ring_page)
			xsnd_xen_unmap_grants(r->x, s->ring_page, 1);
		if (s->evt_page)
			xsnd_xen_unmap_grants(r->x, s->evt_page, 1);
		if (s->port > 0)
			xsnd_xen_evtchn_unbind(r->x, (uint32_t)s->port);
		if (s->evt_port > 0)
			xsnd_xen_evtchn_unbind(r->x, (uint32_t)s->evt_port);
		memset(s, 0, sizeof(*s));
	}
	d->connected = false;
}

static int dev_connect(struct relay *r, struct rdev *d)
{
	struct xsnd_error err = { 0 };

	if (xsnd_card_config_parse(&d->card, d->fe, xs_read_cb, r, &err) < 0) {
		fprintf(stderr, "xsnd-relay: %s: %s\n", d->fe, err.msg);
		return -EINVAL;
	}
	for (uint32_t p = 0; p < d->card.n_pcms; p++) {
		for (uint32_t k = 0; k < d->card.pcms[p].n_streams; k++) {
			struct xsnd_stream_config *c = &d->card.pcms[p].streams[k];
			struct rstream *s = &d->s[c->index];

			memset(s, 0, sizeof(*s));
			s->used = true;
			s->r = r;
			s->d = d;
			s->cfg = c;
			if (xsnd_stream_transport_parse(&s->tr, d->fe, c, xs_read_cb, r, &err) < 0) {
				fprintf(stderr, "xsnd-relay: %s\n", err.msg);
				return -EINVAL;
			}
			s->ring_page = xsnd_xen_map_grants(r->x, d->domid, 1, &s->tr.ring_ref, true);
			s->evt_page = xsnd_xen_map_grants(r->x, d->domid, 1, &s->tr.evt_ring_ref, true);
			if (s->ring_page == NULL || s->evt_page == NULL)
				return -EIO;
			BACK_RING_INIT(&s->ring, (struct xen_sndif_sring *)s->ring_page, XSND_PAGE_SIZE);
			xsnd_event_producer_init(&s->ev, s->evt_page);
			s->port = xsnd_xen_evtchn_bind(r->x, d->domid, s->tr.evtchn);
			s->evt_port = xsnd_xen_evtchn_bind(r->x, d->domid, s->tr.evt_evtchn);
			if (s->port <= 0 || s->evt_port <= 0)
				return -EIO;
		}
	}
	d->connected = true;
	return 0;
}

static void dev_check(struct relay *r, struct rdev *d, bool first)
{
	struct xsnd_xenbus_view v = { .first_look = first, .connected = d->connected };
	struct xsnd_xenbus_step st;
	char p[256];

	snprintf(p, sizeof(p), "%s/online", d->be);
	v.online = read_int(r, p, 1) != 0;
	snprintf(p, sizeof(p), "%s/state", d->be);
	v.be_state = read_int(r, p, XSND_XB_STATE_ABSENT);
	v.be_removed = v.be_state == XSND_XB_STATE_ABSENT;
	snprintf(p, sizeof(p), "%s/state", d->fe);
	v.fe_state = read_int(r, p, XSND_XB_STATE_ABSENT);
	xsnd_xenbus_step(&v, &st);
	if (st.teardown)
		dev_teardown(r, d);
	if (st.connect && dev_connect(r, d) < 0) {
		dev_teardown(r, d);
		write_state(r, d, XenbusStateClosing);
		return;
	}
	for (uint32_t i = 0; i < st.n_writes; i++)
		write_state(r, d, st.writes[i]);
	if (st.forget) {
		dev_teardown(r, d);
		d->used = false;
	}
}

static struct rdev *dev_add(struct relay *r, const char *dp, uint32_t domid, uint32_t devid)
{
	struct rdev *d = NULL;
	char fp[256], *fe;
	unsigned int len;

	for (int k = 0; k < MAX_DEV && d == NULL; k++)
		if (!r->dev[k].used)
			d = &r->dev[k];
	if (d == NULL)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->devid = devid;
	snprintf(d->be, sizeof(d->be), "%s/%u", dp, devid);
	snprintf(fp, sizeof(fp), "%s/frontend", d->be);
	fe = xs_read(r->x->xs, XBT_NULL, fp, &len);
	if (fe == NULL || len >= sizeof(d->fe)) {
		free(fe);
		return NULL;
	}
	snprintf(d->fe, sizeof(d->fe), "%s", fe);
	free(fe);
	snprintf(fp, sizeof(fp), "%s/state", d->fe);
	xs_watch(r->x->xs, fp, "fe");
	d->used = true;
	return d;
}

static void scan_devices(struct relay *r)
{
	char p[128];
	unsigned int nd, ni;
	char **doms, **ids;

	snprintf(p, sizeof(p), "/local/domain/%u/backend/vsnd", r->x->self_domid);
	doms = xs_directory(r->x->xs, XBT_NULL, p, &nd);
	for (unsigned int i = 0; doms && i < nd; i++) {
		char dp[160];

		snprintf(dp, sizeof(dp), "%s/%s", p, doms[i]);
		ids = xs_directory(r->x->xs, XBT_NULL, dp, &ni);
		for (unsigned int j = 0; ids && j < ni; j++) {
			uint32_t domid = (uint32_t)atoi(doms[i]), devid = (uint32_t)atoi(ids[j]);
			bool known = false;

			for (int k = 0; k < MAX_DEV; k++)
				known |= r->dev[k].used && r->dev[k].domid == domid && r->dev[k].devid == devid;
			if (!known) {
				struct rdev *d = dev_add(r, dp, domid, devid);
				if (d != NULL)
					dev_check(r, d, true);
			}
		}
		free(ids);
	}
	free(doms);
	for (int k = 0; k < MAX_DEV; k++)
		if (r->dev[k].used)
			dev_check(r, &r->dev[k], false);
}

static void on_xenstore(void *data, int fd, uint32_t mask)
{
	struct relay *r = data;
	char **vec;
	bool any = false;

	for (int i = 0; i < 256 && (vec = xs_check_watch(r->x->xs)) != NULL; i++) {
		free(vec);
		any = true;
	}
	if (any)
		scan_devices(r);
}

static void on_evtchn(void *data, int fd, uint32_t mask)
{
	struct relay *r = data;
	int port;

	for (int i = 0; i < 4096 && (port = xsnd_xen_evtchn_pending(r->x)) >= 0; i++) {
		for (int k = 0; k < MAX_DEV; k++) {
			struct rdev *d = &r->dev[k];

			for (uint32_t j = 0; d->used && d->connected && j < XSND_MAX_STREAMS; j++)
				if (d->s[j].used && d->s[j].port == port)
					serve(r, &d->s[j]);
		}
		xsnd_xen_evtchn_unmask(r->x, (uint32_t)port);
	}
}

static void do_quit(void *data, int signal_number)
{
	pw_main_loop_quit(((struct relay *)data)->main);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "latency", required_argument, NULL, 'l' },
		{ "report", required_argument, NULL, 'r' },
		{ "capture-target", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct xsnd_xen_config xc = { .backend = "sim" };
	const char *report = NULL;
	struct relay *r = calloc(1, sizeof(*r));
	int c;

	if (r == NULL)
		return 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': xc.sim_socket = optarg; break;
		case 'l': r->latency = optarg; break;
		case 'r': report = optarg; break;
		case 't': r->capture_target = optarg; break;
		default: return 2;
		}
	}
	if (xc.sim_socket == NULL) {
		fprintf(stderr, "usage: xsnd-relay --control SIM/control [--latency N/RATE] [--report FILE] "
				"[--capture-target NODE]\n");
		return 2;
	}
	xsnd_limits_init_default(&r->lim);
	pw_init(&argc, &argv);
	r->main = pw_main_loop_new(NULL);
	r->loop = pw_main_loop_get_loop(r->main);
	/* before the context starts its data thread, which inherits the mask */
	pw_loop_add_signal(r->loop, SIGINT, do_quit, r);
	pw_loop_add_signal(r->loop, SIGTERM, do_quit, r);
	r->context = pw_context_new(r->loop, NULL, 0);
	r->core = pw_context_connect(r->context, NULL, 0);
	if (r->core == NULL) {
		fprintf(stderr, "xsnd-relay: cannot connect to PipeWire: %s\n", strerror(errno));
		return 1;
	}
	r->x = xsnd_xen_open(&xc);
	if (r->x == NULL || !xs_watch(r->x->xs, "/local/domain/0/backend/vsnd", "be")) {
		fprintf(stderr, "xsnd-relay: cannot open the simulator at %s: %s\n", xc.sim_socket,
				strerror(errno));
		return 1;
	}
	pw_loop_add_io(r->loop, xs_fileno(r->x->xs), SPA_IO_IN, false, on_xenstore, r);
	pw_loop_add_io(r->loop, xsnd_xen_evtchn_fd(r->x), SPA_IO_IN, false, on_evtchn, r);
	fprintf(stderr, "xsnd-relay: ready\n");
	pw_main_loop_run(r->main);

	for (int k = 0; k < MAX_DEV; k++)
		if (r->dev[k].used)
			dev_teardown(r, &r->dev[k]);
	fprintf(stderr, "xsnd-relay: %llu requests (%llu rejected), %llu writes, %llu reads, "
			"%llu bytes copied, %llu underruns, %llu overruns, %llu events\n",
			(unsigned long long)r->requests, (unsigned long long)r->bad_requests,
			(unsigned long long)r->writes, (unsigned long long)r->reads,
			(unsigned long long)r->bytes_copied, (unsigned long long)r->underruns,
			(unsigned long long)r->overruns, (unsigned long long)r->events);
	if (report != NULL) {
		FILE *f = fopen(report, "w");
		if (f != NULL) {
			fprintf(f, "{\"requests\": %llu, \"bad_requests\": %llu, \"bytes_copied\": %llu, "
					"\"underruns\": %llu, \"overruns\": %llu}\n",
					(unsigned long long)r->requests, (unsigned long long)r->bad_requests,
					(unsigned long long)r->bytes_copied, (unsigned long long)r->underruns,
					(unsigned long long)r->overruns);
			fclose(f);
		}
	}
	xsnd_xen_close(r->x);
	pw_core_disconnect(r->core);
	pw_context_destroy(r->context);
	pw_main_loop_destroy(r->main);
	pw_deinit();
	free(r);
	return 0;
}
