/* SPDX-License-Identifier: MIT */
/*
 * The guest's xenbus side of snd_xen_front: reacting to the backend's state
 * (sndback_changed), reading the card configuration (xen_snd_front_cfg.c),
 * allocating and publishing the per-stream channels
 * (xen_snd_front_evtchnl.c) and handling their interrupts.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>
#include <xenstore.h>

#include "delay-ext.h"
#include "vg.h"
#include "xensim.h"

/* The 12 rate strings Linux recognises (CFG_HW_SUPPORTED_RATES). */
static const uint32_t known_rates[12] = {
	5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000,
};

static const char *const sndif_format_names[] = {
	"s8", "u8", "s16_le", "s16_be", "u16_le", "u16_be", "s24_le", "s24_be",
	"u24_le", "u24_be", "s32_le", "s32_be", "u32_le", "u32_be", "float_le",
	"float_be", "float64_le", "float64_be", "iec958_subframe_le",
	"iec958_subframe_be", "mu_law", "a_law", "ima_adpcm", "mpeg", "gsm",
};

/* Linux 6.1's gnttab_end_foreign_access: a page the backend still maps
 * cannot be ended (nor freed: the backend could still write it), so it goes
 * on a deferred list. */
static bool end_or_defer(struct vg_guest *g, uint32_t ref, void *page)
{
	struct vg_deferred *d;

	if (xensim_grant_end(g->sim, ref) != -EBUSY || (d = malloc(sizeof(*d))) == NULL)
		return false;
	*d = (struct vg_deferred){ .next = g->deferred, .ref = ref, .page = page };
	g->deferred = d;
	return true;
}

void vg_grant_end_free(struct vg_guest *g, const uint32_t *refs, void *pages, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		void *page = (uint8_t *)pages + (size_t)i * XSND_PAGE_SIZE;

		if (!end_or_defer(g, refs[i], page))
			xensim_free_pages(g->sim, page, 1);
	}
}

void vg_grant_retry(struct vg_guest *g)
{
	int64_t now = vg_now_ns();

	if (g->deferred == NULL || now - g->deferred_ns < 1000000000)
		return;
	g->deferred_ns = now;
	/* Anything but "still mapped" (ended, or the domain is gone) frees the page. */
	for (struct vg_deferred **p = &g->deferred; *p;) {
		struct vg_deferred *d = *p;

		if (xensim_grant_end(g->sim, d->ref) == -EBUSY) {
			p = &d->next;
			continue;
		}
		xensim_free_pages(g->sim, d->page, 1);
		*p = d->next;
		free(d);
	}
}

static void hw_default(struct vg_hw *hw)
{
	memset(hw, 0, sizeof(*hw));
	hw->formats = (1ull << XENSND_PCM_FORMAT_U8) | (1ull << XENSND_PCM_FORMAT_S16_LE);
	hw->continuous = true;
	hw->rates = 0xff;	/* 5512..48000 (SNDRV_PCM_RATE_8000_48000 plus 5512) */
	hw->rate_min = 5512;
	hw->rate_max = 48000;
	hw->channels_min = 1;
	hw->channels_max = 2;
	hw->buffer_bytes_max = 64 * 1024;
	hw->period_bytes_min = 64;
	hw->period_bytes_max = 64 * 1024;
	hw->periods_min = 2;
	hw->periods_max = 64 * 1024 / 64;
}

static void read_hw(struct xs_handle *xs, const char *path, struct vg_hw *hw)
{
	char p[VG_PATH_MAX + 32], *v, *save, *tok;
	int x;

	snprintf(p, sizeof(p), "%s/sample-rates", path);
	if ((v = vg_xs_read(xs, p)) != NULL) {
		uint32_t rates = 0, rmin = UINT32_MAX, rmax = 0;

		for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			for (int i = 0; i < 12; i++) {
				char name[16];

				snprintf(name, sizeof(name), "%u", known_rates[i]);
				if (strncasecmp(tok, name, XENSND_SAMPLE_RATE_MAX_LEN) == 0) {
					rates |= 1u << i;
					if (known_rates[i] < rmin)
						rmin = known_rates[i];
					if (known_rates[i] > rmax)
						rmax = known_rates[i];
				}
			}
		}
		if (rates) {
			hw->rates = rates;
			hw->continuous = false;
			hw->rate_min = rmin;
			hw->rate_max = rmax;
		}
		free(v);
	}
	snprintf(p, sizeof(p), "%s/sample-formats", path);
	if ((v = vg_xs_read(xs, p)) != NULL) {
		uint64_t formats = 0;

		for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			for (uint32_t i = 0; i < sizeof(sndif_format_names) / sizeof(sndif_format_names[0]); i++) {
				if (strncasecmp(tok, sndif_format_names[i], XENSND_SAMPLE_FORMAT_MAX_LEN) == 0)
					formats |= 1ull << i;
			}
		}
		if (formats)
			hw->formats = formats;
		free(v);
	}
	snprintf(p, sizeof(p), "%s/channels-min", path);
	if ((x = vg_xs_read_int(xs, p, -1)) >= 0)
		hw->channels_min = (uint32_t)x;
	snprintf(p, sizeof(p), "%s/channels-max", path);
	if ((x = vg_xs_read_int(xs, p, -1)) >= 0)
		hw->channels_max = (uint32_t)x;
	snprintf(p, sizeof(p), "%s/buffer-size", path);
	if ((x = vg_xs_read_int(xs, p, -1)) > 0) {
		hw->buffer_bytes_max = (uint32_t)x;
		hw->period_bytes_max = (uint32_t)x;
		hw->periods_max = (uint32_t)x / hw->period_bytes_min;
	}
}

static bool xs_exists(struct xs_handle *xs, const char *path)
{
	unsigned int n;
	char **d = xs_directory(xs, XBT_NULL, path, &n);

	if (d == NULL)
		return false;
	free(d);
	return true;
}

/* xen_snd_front_cfg_card */
static int cfg_card(struct vg_front *fe)
{
	struct xs_handle *xs = fe->guest->xs;
	uint32_t index = 0;

	fe->n_pcms = 0;
	hw_default(&fe->card_hw);
	read_hw(xs, fe->path, &fe->card_hw);
	for (uint32_t d = 0; d < XSND_MAX_PCMS; d++) {
		struct vg_pcm_cfg *pc = &fe->pcms[d];
		char p[VG_PATH_MAX + 16];
		char *name;

		snprintf(p, sizeof(p), "%s/%u", fe->path, d);
		if (!xs_exists(xs, p))
			break;
		memset(pc, 0, sizeof(*pc));
		pc->hw = fe->card_hw;
		read_hw(xs, p, &pc->hw);
		snprintf(p, sizeof(p), "%s/%u/name", fe->path, d);
		if ((name = vg_xs_read(xs, p)) != NULL) {
			snprintf(pc->name, sizeof(pc->name), "%s", name);
			free(name);
		}
		/* cfg_stream: indexes are card-wide, in xenstore order. */
		for (uint32_t s = 0; s < XSND_MAX_STREAMS_PER_PCM; s++) {
			struct vg_stream_cfg *sc;
			char *type;

			snprintf(p, sizeof(p), "%s/%u/%u", fe->path, d, s);
			if (!xs_exists(xs, p))
				break;
			snprintf(p, sizeof(p), "%s/%u/%u/type", fe->path, d, s);
			type = vg_xs_read(xs, p);
			if (type == NULL) {
				vg_err("vm%u: vsnd %u: stream %u/%u has no type", fe->guest->domid, fe->devid, d, s);
				return -EINVAL;
			}
			if (strncasecmp(type, "p", 2) == 0) {
				sc = &pc->pb[pc->n_pb++];
				sc->playback = true;
			} else if (strncasecmp(type, "c", 2) == 0) {
				sc = &pc->cap[pc->n_cap++];
				sc->playback = false;
			} else {
				vg_err("vm%u: vsnd %u: stream %u/%u has bad type '%s'", fe->guest->domid,
						fe->devid, d, s, type);
				free(type);
				return -EINVAL;
			}
			free(type);
			snprintf(sc->path, sizeof(sc->path), "%s/%u/%u", fe->path, d, s);
			sc->index = index++;
			sc->hw = pc->hw;
			read_hw(xs, sc->path, &sc->hw);
		}
		fe->n_pcms++;
	}
	if (fe->n_pcms == 0) {
		vg_err("vm%u: vsnd %u: No devices configured", fe->guest->domid, fe->devid);
		return -ENODEV;
	}
	fe->n_streams = index;
	return 0;
}

static void chan_free(struct vg_front *fe, struct vg_chan *c)
{
	struct xensim *sim = fe->guest->sim;

	if (!c->allocated)
		return;
	c->connected = false;
	if (c->is_req) {
		/* Release whoever still waits for a response. */
		c->resp_status = -EIO;
		c->done = true;
	}
	if (c->port > 0)
		xensim_evtchn_close(sim, (uint32_t)c->port);
	if (c->gref)
		vg_grant_end_free(fe->guest, &c->gref, c->page, 1);
	/* Keep done/resp_status so a waiting request sees -EIO. */
	{
		bool done = c->done;
		int32_t st = c->resp_status;
		memset(c, 0, sizeof(*c));
		c->done = done;
		c->resp_status = st;
	}
}

static void chan_free_all(struct vg_front *fe)
{
	for (uint32_t i = 0; i < fe->n_pairs; i++) {
		chan_free(fe, &fe->pairs[i].req);
		chan_free(fe, &fe->pairs[i].evt);
	}
	fe->n_pairs = 0;
}

static int chan_alloc(struct vg_front *fe, struct vg_chan *c, bool is_req)
{
	struct xensim *sim = fe->guest->sim;
	int res;

	memset(c, 0, sizeof(*c));
	c->front = fe;
	c->is_req = is_req;
	res = xensim_grant_pages(sim, fe->be_domid, 1, false, &c->gref, &c->page);
	if (res < 0)
		return res;
	c->allocated = true;
	if (is_req) {
		struct xen_sndif_sring *sring = c->page;

		SHARED_RING_INIT(sring);
		FRONT_RING_INIT(&c->ring, sring, XSND_PAGE_SIZE);
	}
	res = xensim_evtchn_alloc_unbound(sim, fe->be_domid);
	if (res < 0)
		return res;
	c->port = res;
	return 0;
}

static int chan_create_all(struct vg_front *fe)
{
	int res;

	fe->n_pairs = fe->n_streams;
	for (uint32_t i = 0; i < fe->n_pairs; i++) {
		if ((res = chan_alloc(fe, &fe->pairs[i].req, true)) < 0 ||
		    (res = chan_alloc(fe, &fe->pairs[i].evt, false)) < 0) {
			vg_err("vm%u: vsnd %u: Failed to allocate ring: %s", fe->guest->domid, fe->devid,
					strerror(-res));
			chan_free_all(fe);
			return res;
		}
	}
	return 0;
}

static int write_u(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *key,
		uint32_t v)
{
	char p[VG_PATH_MAX + 32], val[16];

	snprintf(p, sizeof(p), "%s/%s", dir, key);
	snprintf(val, sizeof(val), "%u", v);
	return xs_write(xs, t, p, val, strlen(val)) ? 0 : -errno;
}

static const struct vg_stream_cfg *stream_by_index(struct vg_front *fe, uint32_t index)
{
	for (uint32_t d = 0; d < fe->n_pcms; d++) {
		for (uint32_t s = 0; s < fe->pcms[d].n_pb; s++)
			if (fe->pcms[d].pb[s].index == index)
				return &fe->pcms[d].pb[s];
		for (uint32_t s = 0; s < fe->pcms[d].n_cap; s++)
			if (fe->pcms[d].cap[s].index == index)
				return &fe->pcms[d].cap[s];
	}
	return NULL;
}

/* The delay extension (docs/protocol-delay.md): asked for only when the
 * VM wants it and the backend offers it. */
static bool want_delay_ext(struct vg_front *fe)
{
	char p[VG_PATH_MAX + 32], *v;
	bool on;

	if (!fe->guest->delay_report)
		return false;
	snprintf(p, sizeof(p), "%s/%s", fe->be_path, XSND_FIELD_FEATURE_DELAY);
	v = vg_xs_read(fe->guest->xs, p);
	on = v != NULL && strcmp(v, "1") == 0;
	free(v);
	return on;
}

/* xen_snd_front_evtchnl_publish_all: every stream's four keys, one transaction. */
static int publish_all(struct vg_front *fe)
{
	struct xs_handle *xs = fe->guest->xs;

	fe->delay_ext = want_delay_ext(fe);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(xs);
		int res = 0;

		if (t == XBT_NULL)
			return -errno;
		for (uint32_t i = 0; i < fe->n_pairs && res == 0; i++) {
			const struct vg_stream_cfg *sc = stream_by_index(fe, i);

			if (sc == NULL) {
				res = -EINVAL;
				break;
			}
			if ((res = write_u(xs, t, sc->path, XENSND_FIELD_RING_REF, fe->pairs[i].req.gref)) ||
			    (res = write_u(xs, t, sc->path, XENSND_FIELD_EVT_CHNL, (uint32_t)fe->pairs[i].req.port)) ||
			    (res = write_u(xs, t, sc->path, XENSND_FIELD_EVT_RING_REF, fe->pairs[i].evt.gref)) ||
			    (res = write_u(xs, t, sc->path, XENSND_FIELD_EVT_EVT_CHNL, (uint32_t)fe->pairs[i].evt.port)))
				break;
		}
		if (res == 0 && fe->delay_ext) {
			char p[VG_PATH_MAX + 32];

			snprintf(p, sizeof(p), "%s/%s", fe->path, XSND_FIELD_REQUEST_DELAY);
			if (!xs_write(xs, t, p, "1", 1))
				res = -errno;
		}
		if (res < 0) {
			xs_transaction_end(xs, t, true);
			vg_err("vm%u: vsnd %u: writing XenStore: %s", fe->guest->domid, fe->devid, strerror(-res));
			return res;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* xenbus_switch_state: only while the state node exists. */
static void switch_state(struct vg_front *fe, int state)
{
	struct xs_handle *xs = fe->guest->xs;
	char p[VG_PATH_MAX + 8], val[8];

	if (state == fe->state)
		return;
	snprintf(p, sizeof(p), "%s/state", fe->path);
	for (int attempt = 0; attempt < 100; attempt++) {
		xs_transaction_t t = xs_transaction_start(xs);
		unsigned int len;
		char *cur;

		if (t == XBT_NULL)
			break;
		cur = xs_read(xs, t, p, &len);
		if (cur == NULL) {
			xs_transaction_end(xs, t, true);
			return;		/* device is being removed */
		}
		free(cur);
		snprintf(val, sizeof(val), "%d", state);
		if (!xs_write(xs, t, p, val, strlen(val))) {
			xs_transaction_end(xs, t, true);
			break;
		}
		if (xs_transaction_end(xs, t, false)) {
			fe->state = state;
			return;
		}
		if (errno != EAGAIN)
			break;
	}
	vg_err("vm%u: vsnd %u: cannot write state %d: %s", fe->guest->domid, fe->devid, state,
			strerror(errno));
}

static void card_fini(struct vg_front *fe)
{
	if (fe->card) {
		fe->card = false;
		fe->card_gen++;
	}
}

/* sndback_disconnect */
static void disconnect(struct vg_front *fe)
{
	card_fini(fe);
	chan_free_all(fe);
	switch_state(fe, XenbusStateInitialising);
}

static void backend_changed(struct vg_front *fe, int be_state)
{
	struct vg_ctx *ctx = fe->guest->ctx;
	int res;

	vg_log(ctx, "vm%u: vsnd %u: backend state %d, frontend %d", fe->guest->domid, fe->devid,
			be_state, fe->state);
	switch (be_state) {
	case XenbusStateReconfiguring:
	case XenbusStateReconfigured:
	case XenbusStateInitialised:
		break;
	case XenbusStateInitialising:
		disconnect(fe);
		break;
	case XenbusStateInitWait:
		disconnect(fe);
		if ((res = cfg_card(fe)) < 0 || (res = chan_create_all(fe)) < 0 ||
		    (res = publish_all(fe)) < 0) {
			/* xenbus_dev_fatal: error logged, device goes Closing */
			vg_err("vm%u: vsnd %u: initializing frontend: %s", fe->guest->domid, fe->devid,
					strerror(-res));
			switch_state(fe, XenbusStateClosing);
		} else {
			switch_state(fe, XenbusStateInitialised);
		}
		break;
	case XenbusStateConnected:
		if (fe->state != XenbusStateInitialised)
			break;
		fe->card = true;
		fe->card_gen++;
		switch_state(fe, XenbusStateConnected);
		break;
	case XenbusStateClosing:
		break;
	case XenbusStateUnknown:
	case XenbusStateClosed:
	default:
		if (fe->state == XenbusStateClosed)
			break;
		disconnect(fe);
		break;
	}
}

int vg_front_probe(struct vg_front *fe)
{
	struct vg_guest *g = fe->guest;
	char p[VG_PATH_MAX + 16], *v;

	snprintf(fe->path, sizeof(fe->path), "/local/domain/%u/device/vsnd/%u", g->domid, fe->devid);
	snprintf(p, sizeof(p), "%s/backend", fe->path);
	v = vg_xs_read(g->xs, p);
	if (v == NULL || strlen(v) >= sizeof(fe->be_path)) {
		vg_err("vm%u: vsnd %u: reading backend path: %s", g->domid, fe->devid, strerror(errno));
		free(v);
		return -ENOENT;
	}
	snprintf(fe->be_path, sizeof(fe->be_path), "%s", v);
	free(v);
	snprintf(p, sizeof(p), "%s/backend-id", fe->path);
	fe->be_domid = (uint32_t)vg_xs_read_int(g->xs, p, 0);
	fe->state = XenbusStateInitialising;	/* xen_drv_probe: no change needed */
	fe->probed = true;
	fe->removed = false;
	/* watch_otherend: the watch fires once at once, like on Linux. */
	snprintf(fe->watch_token, sizeof(fe->watch_token), "fe/%u/%u", g->domid, fe->devid);
	snprintf(p, sizeof(p), "%s/state", fe->be_path);
	if (!xs_watch(g->xs, p, fe->watch_token))
		return -errno;
	snprintf(p, sizeof(p), "%s", fe->path);
	if (!xs_watch(g->xs, p, fe->watch_token))
		return -errno;
	return 0;
}

/* xen_drv_remove, without the 1 s wait for InitWait (the node is gone). */
void vg_front_remove(struct vg_front *fe)
{
	struct vg_guest *g = fe->guest;
	char p[VG_PATH_MAX + 16];

	if (!fe->probed)
		return;
	switch_state(fe, XenbusStateClosing);
	card_fini(fe);
	chan_free_all(fe);
	snprintf(p, sizeof(p), "%s/state", fe->be_path);
	xs_unwatch(g->xs, p, fe->watch_token);
	xs_unwatch(g->xs, fe->path, fe->watch_token);
	fe->probed = false;
	fe->removed = true;
}

void vg_front_watch_fired(struct vg_guest *g, const char *path, const char *token)
{
	for (uint32_t i = 0; i < g->n_cards; i++) {
		struct vg_front *fe = &g->fronts[i];
		char p[VG_PATH_MAX + 8];
		size_t bl = strlen(fe->be_path);

		if (!fe->probed || strcmp(token, fe->watch_token) != 0)
			continue;
		if (strncmp(path, fe->path, strlen(fe->path)) == 0) {
			/* Our own directory: only its disappearance matters (unplug). */
			snprintf(p, sizeof(p), "%s/state", fe->path);
			if (vg_xs_read_int(g->xs, p, -1) < 0)
				vg_front_remove(fe);
			continue;
		}
		if (strncmp(path, fe->be_path, bl) != 0)
			continue;
		snprintf(p, sizeof(p), "%s/state", fe->be_path);
		backend_changed(fe, vg_xs_read_int(g->xs, p, XenbusStateUnknown));
	}
}

/* evtchnl_interrupt_req */
static void irq_req(struct vg_chan *c)
{
	RING_IDX i, rp;
	int more;

	if (!c->connected)
		return;
again:
	rp = c->ring.sring->rsp_prod;
	rmb();
	/* Linux trusts the backend here; we bound the walk so a broken one cannot hang us. */
	if (rp - c->ring.rsp_cons > RING_SIZE(&c->ring)) {
		if (c->protocol_errors++ == 0)
			vg_err("vm%u: vsnd %u: backend rsp_prod %u out of range (rsp_cons %u)",
					c->front->guest->domid, c->front->devid, rp, c->ring.rsp_cons);
		return;
	}
	for (i = c->ring.rsp_cons; i != rp; i++) {
		struct xensnd_resp resp;

		memcpy(&resp, RING_GET_RESPONSE(&c->ring, i), sizeof(resp));
		if (resp.id != c->evt_id)
			continue;
		switch (resp.operation) {
		case XENSND_OP_OPEN:
		case XENSND_OP_CLOSE:
		case XENSND_OP_READ:
		case XENSND_OP_WRITE:
		case XENSND_OP_TRIGGER:
			c->resp_status = resp.status;
			c->done = true;
			c->done_ns = vg_now_ns();
			break;
		case XENSND_OP_HW_PARAM_QUERY:
			c->resp_status = resp.status;
			c->resp_hw = resp.resp.hw_param;
			c->done = true;
			c->done_ns = vg_now_ns();
			break;
		default:
			vg_err("vm%u: vsnd %u: Operation %d is not supported", c->front->guest->domid,
					c->front->devid, resp.operation);
			break;
		}
	}
	c->ring.rsp_cons = i;
	if (i != c->ring.req_prod_pvt) {
		RING_FINAL_CHECK_FOR_RESPONSES(&c->ring, more);
		if (more)
			goto again;
	} else {
		c->ring.sring->rsp_event = i + 1;
	}
}

/* evtchnl_interrupt_evt */
static void irq_evt(struct vg_chan *c)
{
	struct xensnd_event_page *page = c->page;
	uint32_t cons, prod;

	if (!c->connected)
		return;
	prod = page->in_prod;
	rmb();
	if (prod == page->in_cons)
		return;
	cons = page->in_cons;
	if (prod - cons > XENSND_IN_RING_LEN) {
		if (c->protocol_errors++ == 0)
			vg_err("vm%u: vsnd %u: backend in_prod %u out of range (in_cons %u)",
					c->front->guest->domid, c->front->devid, prod, cons);
		return;
	}
	for (; cons != prod; cons++) {
		struct xensnd_evt ev;

		memcpy(&ev, &XENSND_IN_RING_REF(page, cons), sizeof(ev));
		if (ev.id != c->evt_id++) {
			/* Linux drops it silently; we count it. */
			if (c->pcm != NULL) {
				struct vg_stream_stats *st = &c->pcm->app->stats;

				if (st->id_errors++ == 0) {
					st->first_bad_id_expected = (uint16_t)(c->evt_id - 1);
					st->first_bad_id_got = ev.id;
					vg_err("vm%u: vsnd %u: %s: event id %u, expected %u: dropped "
							"(and so will be every later event)",
							c->front->guest->domid, c->front->devid, st->name,
							ev.id, (uint16_t)(c->evt_id - 1));
				}
			}
			continue;
		}
		if (ev.type == XENSND_EVT_CUR_POS && c->pcm != NULL) {
			if (c->front->delay_ext) {
				struct xsnd_cur_pos_ext x;

				memcpy(&x, &ev.op, sizeof(x));
				if (x.flags & XSND_CUR_POS_DELAY_VALID)
					vg_pcm_ext_delay(c->pcm, x.delay_frames);
			}
			vg_pcm_cur_pos(c->pcm, ev.op.cur_pos.position);
		}
	}
	page->in_cons = cons;
	wmb();
}

void vg_front_evtchn(struct vg_guest *g, int port)
{
	for (uint32_t i = 0; i < g->n_cards; i++) {
		struct vg_front *fe = &g->fronts[i];

		for (uint32_t j = 0; j < fe->n_pairs; j++) {
			if (fe->pairs[j].req.allocated && fe->pairs[j].req.port == port) {
				irq_req(&fe->pairs[j].req);
				return;
			}
			if (fe->pairs[j].evt.allocated && fe->pairs[j].evt.port == port) {
				irq_evt(&fe->pairs[j].evt);
				return;
			}
		}
	}
}

struct vg_pair *vg_front_pair(struct vg_front *fe, uint32_t pcm, uint32_t sub, bool playback,
		const struct vg_stream_cfg **cfg)
{
	const struct vg_stream_cfg *sc;

	if (!fe->card || pcm >= fe->n_pcms)
		return NULL;
	if (playback) {
		if (sub >= fe->pcms[pcm].n_pb)
			return NULL;
		sc = &fe->pcms[pcm].pb[sub];
	} else {
		if (sub >= fe->pcms[pcm].n_cap)
			return NULL;
		sc = &fe->pcms[pcm].cap[sub];
	}
	if (sc->index >= fe->n_pairs)
		return NULL;
	*cfg = sc;
	return &fe->pairs[sc->index];
}
