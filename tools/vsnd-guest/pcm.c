/* SPDX-License-Identifier: MIT */
/*
 * One guest PCM substream, end to end: the ALSA application (aplay-like
 * blocking read/write), the parts of the ALSA core that decide what the
 * driver sees (hw-param refinement, start threshold, xrun and drain
 * detection, period wakeups), and snd_xen_front's PCM ops
 * (xen_snd_front_alsa.c, xen_snd_front.c): synchronous requests with a
 * 3 s timeout, the page-directory buffer, and the CUR_POS arithmetic.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "vg.h"
#include "xensim.h"

/*
 * wait_for_avail() and drain give up after 1.1 buffer times without a period
 * wakeup, at least 100 ms: Linux 6.1 as Debian ships it (6.1.0-56; upstream
 * "ALSA: pcm: use a more sensible timeout", the 10 s of older kernels before).
 * A backend that holds positions longer than that makes aplay fail with EIO.
 */
static int64_t alsa_wait_ms(const struct vg_pcm *pcm)
{
	int64_t t = pcm->rate ? (int64_t)pcm->buffer_size * 1100 / pcm->rate : 0;
	return t > 100 ? t : 100;
}

static struct vg_ctx *pcm_ctx(struct vg_pcm *pcm)
{
	return pcm->app->guest->ctx;
}

static void core_update_hw_ptr(struct vg_pcm *pcm);
static int64_t jiffies_now(void);

static void trace(struct vg_pcm *pcm, const char *what, uint64_t a, uint64_t b)
{
	FILE *f = pcm_ctx(pcm)->trace;

	if (f == NULL)
		return;
	/* time, stream, event, value, hw_ptr (frames), appl_ptr (frames), delay (frames:
	 * playback delay as snd_pcm_delay() computes it, with the extension's delay) */
	fprintf(f, "%lld,%s,%s,%llu,%llu,%llu,%llu,%lld\n", (long long)vg_now_ns(),
			pcm->app->stats.name, what, (unsigned long long)a, (unsigned long long)b,
			(unsigned long long)pcm->core_hw, (unsigned long long)pcm->appl,
			(long long)(pcm->appl - pcm->core_hw) + pcm->ext_delay);
}

/*
 * Timing markers (source=marker): pulses of amplitude `amp` whose rising
 * edge crosses amp/2 exactly at the marker frame, also after resampling.
 * For every marker frame the application writes (playback) or reads
 * (capture) the trace gets a `mark` line: value = the frame since prepare,
 * value2 = the delay in ns that snd_pcm_delay() tells for that frame at
 * that moment. Only while running: before START the delay has no timing
 * meaning.
 */
static void trace_marks(struct vg_pcm *pcm, const uint8_t *data, uint64_t frames)
{
	struct vg_app *app = pcm->app;
	const double thr = app->cfg.amp / 2;
	uint32_t step = pcm->channels * pcm->fmt->width;

	if (app->cfg.source != VG_SRC_MARKER || pcm->state != VG_ST_RUNNING)
		return;
	/* snd_pcm_delay() syncs the pointer first */
	core_update_hw_ptr(pcm);
	for (uint64_t n = 0; n < frames; n++) {
		double x = vg_sample_get(pcm->fmt, data + n * step);
		int64_t told;

		if (x >= thr && app->mark_prev < thr) {
			/* playback: frames queued before it; capture: frames since it was captured */
			told = app->cfg.playback ? (int64_t)(pcm->appl + n) - (int64_t)pcm->core_hw :
				(int64_t)pcm->core_hw - (int64_t)(pcm->appl + n);
			told += pcm->ext_delay;
			told = told * 1000000000 / (int64_t)pcm->rate;
			app->marks++;
			if (pcm_ctx(pcm)->trace != NULL)
				fprintf(pcm_ctx(pcm)->trace, "%lld,%s,mark,%llu,%lld,%llu,%llu,%lld\n",
						(long long)vg_now_ns(), app->stats.name,
						(unsigned long long)(pcm->appl + n), (long long)told,
						(unsigned long long)pcm->core_hw,
						(unsigned long long)pcm->appl,
						(long long)(pcm->appl - pcm->core_hw) + pcm->ext_delay);
		}
		app->mark_prev = x;
	}
}

/* ---- xen_snd_front.c: requests ---- */

static bool chan_done(void *data)
{
	return ((struct vg_chan *)data)->done;
}

static bool card_alive(struct vg_pcm *pcm)
{
	return pcm->front->card && pcm->card_gen == pcm->front->card_gen;
}

static int stream_request(struct vg_pcm *pcm, uint8_t op, const struct xensnd_req *in,
		struct xensnd_query_hw_param *hw_resp)
{
	struct vg_app *app = pcm->app;
	struct vg_chan *c;
	struct xensnd_req *req;
	int64_t t0;
	int notify, res;

	if (!card_alive(pcm))
		return -EIO;
	c = &pcm->pair->req;
	if (!c->allocated)
		return -EIO;
	/* be_stream_prepare_req: the slot is not cleared, as in Linux, so the
	 * reserved bytes keep whatever the previous response left there. */
	req = RING_GET_REQUEST(&c->ring, c->ring.req_prod_pvt);
	req->operation = op;
	req->id = c->evt_next_id++;
	c->evt_id = req->id;
	switch (op) {
	case XENSND_OP_OPEN:
		req->op.open.pcm_format = in->op.open.pcm_format;
		req->op.open.pcm_channels = in->op.open.pcm_channels;
		req->op.open.pcm_rate = in->op.open.pcm_rate;
		req->op.open.buffer_sz = in->op.open.buffer_sz;
		req->op.open.period_sz = in->op.open.period_sz;
		req->op.open.gref_directory = in->op.open.gref_directory;
		break;
	case XENSND_OP_READ:
	case XENSND_OP_WRITE:
		req->op.rw.length = in->op.rw.length;
		req->op.rw.offset = in->op.rw.offset;
		break;
	case XENSND_OP_TRIGGER:
		req->op.trigger.type = in->op.trigger.type;
		break;
	case XENSND_OP_HW_PARAM_QUERY:
		req->op.hw_param = in->op.hw_param;
		break;
	default:
		break;
	}
	/* be_stream_do_io */
	if (!c->connected)
		return -EIO;
	c->done = false;
	c->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&c->ring, notify);
	if (notify)
		xensim_evtchn_notify(app->guest->sim, (uint32_t)c->port);
	t0 = vg_now_ns();
	/* be_stream_wait_io */
	res = vg_co_wait(&app->co, chan_done, c, t0 + (int64_t)VG_REQ_TIMEOUT_MS * 1000000);
	if (res == 0)
		res = c->resp_status;
	vg_stats_record(&app->stats, op, res, res == -ETIMEDOUT ? 0 :
			(uint64_t)((c->done_ns > t0 ? c->done_ns - t0 : 0) / 1000));
	if (res == -ETIMEDOUT)
		vg_err("vm%u: %s: %s timed out after %d ms", app->guest->domid, app->stats.name,
				vg_op_name(op), VG_REQ_TIMEOUT_MS);
	if (res == 0 && hw_resp != NULL)
		*hw_resp = c->resp_hw;
	return res;
}

static int trigger(struct vg_pcm *pcm, uint8_t type)
{
	struct xensnd_req r = { .op.trigger.type = type };

	return stream_request(pcm, XENSND_OP_TRIGGER, &r, NULL);
}

/* ---- shared buffer (xen-front-pgdir-shbuf, frontend-allocated) ---- */

static void shbuf_free(struct vg_pcm *pcm)
{
	struct vg_guest *g = pcm->app->guest;

	/* xen_front_pgdir_shbuf_free: the backend may still map pages (Linux
	 * frees the buffer at hw_params without a CLOSE first): defer those. */
	if (pcm->dir != NULL)
		vg_grant_end_free(g, pcm->grefs, pcm->dir, pcm->n_dir);
	if (pcm->buf != NULL)
		vg_grant_end_free(g, pcm->grefs + pcm->n_dir, pcm->buf, pcm->n_data);
	free(pcm->grefs);
	pcm->grefs = NULL;
	pcm->dir = pcm->buf = NULL;
	pcm->n_dir = pcm->n_data = pcm->buffer_sz = 0;
}

static int shbuf_alloc(struct vg_pcm *pcm, uint32_t bytes)
{
	struct xensim *sim = pcm->app->guest->sim;
	uint32_t be = pcm->front->be_domid;
	int res;

	pcm->n_data = (bytes + XSND_PAGE_SIZE - 1) / XSND_PAGE_SIZE;
	pcm->n_dir = (pcm->n_data + XSND_GREFS_PER_DIR_PAGE - 1) / XSND_GREFS_PER_DIR_PAGE;
	pcm->grefs = calloc(pcm->n_dir + pcm->n_data, sizeof(uint32_t));
	if (pcm->grefs == NULL)
		return -ENOMEM;
	res = xensim_grant_pages(sim, be, pcm->n_dir, false, pcm->grefs, &pcm->dir);
	if (res < 0) {
		pcm->dir = NULL;
		return res;
	}
	res = xensim_grant_pages(sim, be, pcm->n_data, false, pcm->grefs + pcm->n_dir, &pcm->buf);
	if (res < 0) {
		pcm->buf = NULL;
		return res;
	}
	pcm->buffer_sz = bytes;
	/* Each directory page: next directory gref (0 ends), then up to 1023 data grefs. */
	for (uint32_t i = 0, left = pcm->n_data; i < pcm->n_dir; i++) {
		uint32_t *page = (uint32_t *)((uint8_t *)pcm->dir + (size_t)i * XSND_PAGE_SIZE);
		uint32_t n = left < XSND_GREFS_PER_DIR_PAGE ? left : (uint32_t)XSND_GREFS_PER_DIR_PAGE;

		page[0] = left <= XSND_GREFS_PER_DIR_PAGE ? 0 : pcm->grefs[i + 1];
		memcpy(&page[1], &pcm->grefs[pcm->n_dir + (pcm->n_data - left)], n * sizeof(uint32_t));
		left -= n;
	}
	return 0;
}

/* stream_clear(): at open, hw_params and hw_free, never at prepare. */
static void stream_clear(struct vg_pcm *pcm)
{
	pcm->is_open = false;
	pcm->be_cur_frame = 0;
	pcm->out_frames = 0;
	pcm->hw_ptr = 0;
	pcm->ext_delay = 0;
	if (pcm->pair != NULL) {
		pcm->pair->req.evt_next_id = 0;
		pcm->pair->evt.evt_next_id = 0;
	}
}

static void stream_free(struct vg_pcm *pcm)
{
	shbuf_free(pcm);
	stream_clear(pcm);
}

/* ---- ALSA core: pointer, state, period wakeups ---- */

/* Linux's CONFIG_HZ on Debian: the core's time checks count in jiffies. */
#define VG_HZ 250

static int64_t jiffies_now(void)
{
	return vg_now_ns() / (1000000000 / VG_HZ);
}

/* snd_pcm_update_hw_ptr0. In interrupt context (period_elapsed) a pointer
 * that did not advance by a period is taken as a whole buffer wrap when more
 * than half a buffer's time passed, as Linux does; from a process context
 * only a pointer that went backwards counts as a wrap. */
static void core_update_hw_ptr_ctx(struct vg_pcm *pcm, bool in_interrupt)
{
	uint64_t pos = (uint64_t)(int64_t)pcm->hw_ptr, new_hw;
	int64_t now = jiffies_now();

	if (pcm->buffer_size == 0)
		return;
	if (pos >= pcm->buffer_size)
		pos = 0;	/* "invalid position" */
	new_hw = pcm->hw_base + pos;
	if (in_interrupt && pcm->hw_ptr_interrupt + pcm->period_size > new_hw && pcm->rate) {
		int64_t buffer_jiffies = (int64_t)pcm->buffer_size * VG_HZ / pcm->rate;
		if (now - pcm->hw_ptr_jiffies > buffer_jiffies / 2 + 1) {
			pcm->hw_base += pcm->buffer_size;
			new_hw += pcm->buffer_size;
			goto done;
		}
	}
	if (new_hw < pcm->core_hw) {
		pcm->hw_base += pcm->buffer_size;
		new_hw += pcm->buffer_size;
	}
done:
	if (new_hw != pcm->core_hw)
		pcm->hw_ptr_jiffies = now;
	if (in_interrupt && pcm->period_size)
		pcm->hw_ptr_interrupt = new_hw - new_hw % pcm->period_size;
	pcm->core_hw = new_hw;
}

static void core_update_hw_ptr(struct vg_pcm *pcm)
{
	core_update_hw_ptr_ctx(pcm, false);
}

static int64_t core_avail(struct vg_pcm *pcm)
{
	if (pcm->app->cfg.playback)
		return (int64_t)pcm->buffer_size + (int64_t)pcm->core_hw - (int64_t)pcm->appl;
	return (int64_t)pcm->core_hw - (int64_t)pcm->appl;
}

/* snd_pcm_stop() from interrupt context: the TRIGGER STOP request is sent
 * by the task as soon as it runs (the kernel sends it from the IRQ thread). */
static void core_stop(struct vg_pcm *pcm, enum vg_alsa_state to)
{
	if (pcm->state == VG_ST_RUNNING || pcm->state == VG_ST_DRAINING)
		pcm->stop_pending = true;
	pcm->state = to;
}

/* snd_pcm_update_state */
static void core_update_state(struct vg_pcm *pcm)
{
	int64_t avail = core_avail(pcm);

	if (pcm->state == VG_ST_DRAINING) {
		if (avail >= (int64_t)pcm->buffer_size)
			core_stop(pcm, VG_ST_SETUP);
	} else if (pcm->state == VG_ST_RUNNING && avail >= (int64_t)pcm->buffer_size) {
		pcm->app->stats.xruns++;
		vg_log(pcm_ctx(pcm), "vm%u: %s: XRUN (hw_ptr %llu, appl_ptr %llu)",
				pcm->app->guest->domid, pcm->app->stats.name,
				(unsigned long long)pcm->core_hw, (unsigned long long)pcm->appl);
		core_stop(pcm, VG_ST_XRUN);
	}
}

static void period_elapsed(struct vg_pcm *pcm)
{
	pcm->app->stats.period_elapsed++;
	if (pcm->state != VG_ST_RUNNING && pcm->state != VG_ST_DRAINING)
		return;
	core_update_hw_ptr_ctx(pcm, true);
	core_update_state(pcm);
	pcm->period_seq++;
}

/* xen_snd_front_alsa_handle_cur_pos, with Linux's unsigned arithmetic. */
void vg_pcm_cur_pos(struct vg_pcm *pcm, uint64_t pos_bytes)
{
	struct vg_stream_stats *st = &pcm->app->stats;
	uint64_t cur_frame, delta, new_hw_ptr;

	st->cur_pos_events++;
	st->last_position = pos_bytes;
	if (pcm->frame_bytes == 0 || pcm->buffer_size == 0) {
		/* Linux would divide by zero here (no hw_params yet). */
		if (pcm->pair)
			pcm->pair->evt.protocol_errors++;
		vg_err("vm%u: %s: CUR_POS before hw_params (the guest kernel would divide by zero)",
				pcm->app->guest->domid, st->name);
		return;
	}
	/* bytes_to_frames(); unsigned here so a hostile position cannot overflow */
	cur_frame = pos_bytes * 8 / ((uint64_t)pcm->frame_bytes * 8);
	delta = cur_frame - pcm->be_cur_frame;
	pcm->be_cur_frame = cur_frame;
	new_hw_ptr = (uint64_t)(int64_t)pcm->hw_ptr;
	new_hw_ptr = (new_hw_ptr + delta) % pcm->buffer_size;
	pcm->hw_ptr = (int)new_hw_ptr;
	pcm->out_frames += (uint32_t)delta;
	trace(pcm, "pos", pos_bytes, (uint64_t)pcm->hw_ptr);
	if (pcm->out_frames > pcm->period_size) {
		pcm->out_frames %= pcm->period_size;
		period_elapsed(pcm);
	}
}

/* The delay extension's runtime->delay: what a frontend that negotiated it
 * adds to appl_ptr - hw_ptr (playback) or hw_ptr - appl_ptr (capture).
 * Not corrected for the time since the event: a guest cannot relate the
 * backend's timestamp to its own clock. */
void vg_pcm_ext_delay(struct vg_pcm *pcm, int32_t delay_frames)
{
	pcm->ext_delay = delay_frames > 0 ? delay_frames : 0;
}

/* Sends a STOP the interrupt path decided on (xrun, end of drain). */
static void service(struct vg_pcm *pcm)
{
	if (pcm->stop_pending) {
		pcm->stop_pending = false;
		trigger(pcm, XENSND_OP_TRIGGER_STOP);
	}
}

static int state_error(struct vg_pcm *pcm)
{
	if (!card_alive(pcm))
		return -ENODEV;
	switch (pcm->state) {
	case VG_ST_XRUN:
		return -EPIPE;
	case VG_ST_SUSPENDED:
		return -ESTRPIPE;
	case VG_ST_OPEN:
	case VG_ST_SETUP:
	case VG_ST_DISCONNECTED:
		return -EBADFD;
	default:
		return 0;
	}
}

/* ---- hw_params refinement ---- */

struct iv {
	uint32_t min, max;
};

struct space {
	uint64_t formats;
	struct iv rate, ch, period, buffer;
};

enum { P_FORMAT = 1, P_RATE = 2, P_CH = 4, P_PERIOD = 8, P_BUFFER = 16, P_ALL = 31 };

static const uint32_t known_rates[12] = {
	5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000,
};

static int iv_set(struct iv *i, uint32_t min, uint32_t max, int bit, int *changed)
{
	if (min > i->min) {
		i->min = min;
		*changed |= bit;
	}
	if (max < i->max) {
		i->max = max;
		*changed |= bit;
	}
	return i->min > i->max ? -EINVAL : 0;
}

static uint32_t fmt_width(uint32_t f)
{
	const struct vg_format *vf = vg_format_get(f);

	return vf ? vf->width : 1;
}

/* The constraints the ALSA core adds from runtime->hw (snd_pcm_hw_constraints_complete). */
static int core_refine(struct space *sp, const struct vg_hw *hw, int *changed)
{
	uint32_t wmin = UINT32_MAX, wmax = 0, fbmin, fbmax;
	uint64_t f = sp->formats & hw->formats;

	if (f != sp->formats) {
		sp->formats = f;
		*changed |= P_FORMAT;
	}
	if (f == 0)
		return -EINVAL;
	if (iv_set(&sp->rate, hw->rate_min, hw->rate_max, P_RATE, changed) < 0 ||
	    iv_set(&sp->ch, hw->channels_min, hw->channels_max, P_CH, changed) < 0)
		return -EINVAL;
	if (!hw->continuous) {
		uint32_t lo = UINT32_MAX, hi = 0;

		for (int i = 0; i < 12; i++) {
			if (!(hw->rates & (1u << i)))
				continue;
			if (known_rates[i] >= sp->rate.min && known_rates[i] <= sp->rate.max) {
				if (known_rates[i] < lo)
					lo = known_rates[i];
				if (known_rates[i] > hi)
					hi = known_rates[i];
			}
		}
		if (lo > hi || iv_set(&sp->rate, lo, hi, P_RATE, changed) < 0)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < 64; i++) {
		if (f & (1ull << i)) {
			uint32_t w = fmt_width(i);
			if (w < wmin)
				wmin = w;
			if (w > wmax)
				wmax = w;
		}
	}
	fbmin = wmin * sp->ch.min;
	fbmax = wmax * sp->ch.max;
	if (fbmin == 0 || fbmax == 0)
		return -EINVAL;
	if (iv_set(&sp->period, (hw->period_bytes_min + fbmax - 1) / fbmax,
			hw->period_bytes_max / fbmin, P_PERIOD, changed) < 0)
		return -EINVAL;
	if (iv_set(&sp->buffer, sp->period.min * hw->periods_min, hw->buffer_bytes_max / fbmin,
			P_BUFFER, changed) < 0)
		return -EINVAL;
	if (iv_set(&sp->period, 0, sp->buffer.max / hw->periods_min, P_PERIOD, changed) < 0)
		return -EINVAL;
	return 0;
}

/* alsa_hw_rule: one HW_PARAM_QUERY, then narrow every dimension by the answer. */
static int hw_rule(struct vg_pcm *pcm, struct space *sp, int *changed)
{
	struct xensnd_req r;
	struct xensnd_query_hw_param resp;
	uint64_t f;
	int res;

	memset(&r, 0, sizeof(r));
	r.op.hw_param.formats = sp->formats;
	r.op.hw_param.rates.min = sp->rate.min;
	r.op.hw_param.rates.max = sp->rate.max;
	r.op.hw_param.channels.min = sp->ch.min;
	r.op.hw_param.channels.max = sp->ch.max;
	r.op.hw_param.buffer.min = sp->buffer.min;
	r.op.hw_param.buffer.max = sp->buffer.max;
	r.op.hw_param.period.min = sp->period.min;
	r.op.hw_param.period.max = sp->period.max;
	res = stream_request(pcm, XENSND_OP_HW_PARAM_QUERY, &r, &resp);
	if (res < 0) {
		if (res == -EIO || res == -ETIMEDOUT)
			vg_err("vm%u: %s: Failed to query ALSA HW parameters", pcm->app->guest->domid,
					pcm->app->stats.name);
		return res;
	}
	/* to_alsa_formats_mask only keeps the 25 formats of its table */
	f = sp->formats & resp.formats & ((1ull << 25) - 1);
	if (f != sp->formats) {
		sp->formats = f;
		*changed |= P_FORMAT;
	}
	if (f == 0)
		return -EINVAL;
	if (iv_set(&sp->rate, resp.rates.min, resp.rates.max, P_RATE, changed) < 0 ||
	    iv_set(&sp->ch, resp.channels.min, resp.channels.max, P_CH, changed) < 0 ||
	    iv_set(&sp->buffer, resp.buffer.min, resp.buffer.max, P_BUFFER, changed) < 0 ||
	    iv_set(&sp->period, resp.period.min, resp.period.max, P_PERIOD, changed) < 0)
		return -EINVAL;
	return 0;
}

/*
 * snd_pcm_hw_refine: the driver registers one rule per parameter (format,
 * rate, channels, period size, buffer size), each depending on its own
 * parameter; rules run again while the parameters they depend on change.
 */
static int refine(struct vg_pcm *pcm, struct space *sp, int mask)
{
	int res, changed = 0;

	if ((res = core_refine(sp, &pcm->cfg->hw, &changed)) < 0)
		return res;
	mask |= changed;
	for (int pass = 0; pass < 8 && mask; pass++) {
		int next = 0;

		for (int bit = 1; bit <= P_BUFFER; bit <<= 1) {
			int ch = 0;

			if (!(mask & bit))
				continue;
			if ((res = hw_rule(pcm, sp, &ch)) < 0)
				return res;
			next |= ch & ~bit;
		}
		changed = 0;
		if ((res = core_refine(sp, &pcm->cfg->hw, &changed)) < 0)
			return res;
		mask = next | changed;
	}
	return 0;
}

static uint32_t near(const struct iv *i, uint32_t want)
{
	return want < i->min ? i->min : want > i->max ? i->max : want;
}

/* aplay's set_params: any, format, channels, rate near, period near, buffer near, then hw_params. */
static int hw_params(struct vg_pcm *pcm, char *why, size_t why_size)
{
	const struct vg_app_cfg *cfg = &pcm->app->cfg;
	const struct vg_hw *hw = &pcm->cfg->hw;
	struct space sp = {
		.formats = ~0ull,
		.rate = { 1, UINT32_MAX }, .ch = { 1, UINT32_MAX },
		.period = { 1, UINT32_MAX }, .buffer = { 1, UINT32_MAX },
	};
	uint32_t v;
	int res;

	(void)hw;
#define STEP(what, expr) do { if ((res = (expr)) < 0) { \
		snprintf(why, why_size, "hw_params: %s: %s", what, strerror(-res)); return res; } } while (0)
	STEP("any", refine(pcm, &sp, P_ALL));
	if (!(sp.formats & (1ull << cfg->format->sndif))) {
		snprintf(why, why_size, "hw_params: Sample format %s not available", cfg->format->name);
		return -EINVAL;
	}
	sp.formats = 1ull << cfg->format->sndif;
	STEP("format", refine(pcm, &sp, P_FORMAT));
	if (cfg->channels < sp.ch.min || cfg->channels > sp.ch.max) {
		snprintf(why, why_size, "hw_params: Channels count (%u) not available", cfg->channels);
		return -EINVAL;
	}
	sp.ch.min = sp.ch.max = cfg->channels;
	STEP("channels", refine(pcm, &sp, P_CH));
	v = near(&sp.rate, cfg->rate);
	if (!hw->continuous) {
		uint32_t best = 0, dist = UINT32_MAX;

		for (int i = 0; i < 12; i++) {
			uint32_t r = known_rates[i], d = r > cfg->rate ? r - cfg->rate : cfg->rate - r;

			if ((hw->rates & (1u << i)) && r >= sp.rate.min && r <= sp.rate.max && d < dist) {
				best = r;
				dist = d;
			}
		}
		if (best)
			v = best;
	}
	sp.rate.min = sp.rate.max = v;
	STEP("rate", refine(pcm, &sp, P_RATE));
	v = near(&sp.period, cfg->period);
	sp.period.min = sp.period.max = v;
	STEP("period", refine(pcm, &sp, P_PERIOD));
	/* PERIODS is an integer: the buffer is a whole number of periods. */
	v = near(&sp.buffer, cfg->buffer);
	v = (v + sp.period.min / 2) / sp.period.min * sp.period.min;
	if (v < sp.buffer.min)
		v += sp.period.min;
	if (v > sp.buffer.max)
		v -= sp.period.min;
	if (v < sp.buffer.min || v > sp.buffer.max || v == 0) {
		snprintf(why, why_size, "hw_params: no buffer size that is a multiple of %u frames "
				"in [%u, %u]", sp.period.min, sp.buffer.min, sp.buffer.max);
		return -EINVAL;
	}
	sp.buffer.min = sp.buffer.max = v;
	STEP("buffer", refine(pcm, &sp, P_BUFFER));
	/* The kernel's HW_PARAMS ioctl refines everything once more. */
	STEP("final", refine(pcm, &sp, P_ALL));
#undef STEP
	if (sp.rate.min != sp.rate.max || sp.ch.min != sp.ch.max || sp.period.min != sp.period.max ||
	    sp.buffer.min != sp.buffer.max || (sp.formats & (sp.formats - 1))) {
		snprintf(why, why_size, "hw_params: configuration not fully determined");
		return -EINVAL;
	}
	pcm->fmt = cfg->format;
	pcm->rate = sp.rate.min;
	/* aplay's set_params: the card's nearest rate is taken, with a warning
	 * beyond 5 % (a WAV file then plays at the wrong speed) */
	if ((double)cfg->rate * 1.05 < pcm->rate || (double)cfg->rate * 0.95 > pcm->rate)
		vg_log(pcm_ctx(pcm), "vm%u: %s: Warning: rate is not accurate (requested = %uHz, "
				"got = %uHz)", pcm->app->guest->domid, pcm->app->stats.name, cfg->rate,
				pcm->rate);
	pcm->channels = sp.ch.min;
	pcm->frame_bytes = pcm->fmt->width * pcm->channels;
	pcm->period_size = sp.period.min;
	pcm->buffer_size = sp.buffer.min;
	/* alsa_hw_params */
	stream_free(pcm);
	res = shbuf_alloc(pcm, pcm->buffer_size * pcm->frame_bytes);
	if (res < 0) {
		stream_free(pcm);
		snprintf(why, why_size, "hw_params: Failed to allocate buffers: %s", strerror(-res));
		return res;
	}
	pcm->state = VG_ST_SETUP;
	/* aplay: start when the buffer is full; arecord-like capture: at once */
	pcm->start_threshold = cfg->playback ? pcm->buffer_size : 1;
	return 0;
}

/* ---- PCM ops ---- */

static int pcm_open(struct vg_app *app, char *why, size_t why_size)
{
	struct vg_pcm *pcm = &app->pcm;
	struct vg_front *fe = NULL;

	for (uint32_t i = 0; i < app->guest->n_cards; i++) {
		if (app->guest->fronts[i].devid == app->cfg.devid)
			fe = &app->guest->fronts[i];
	}
	memset(pcm, 0, sizeof(*pcm));
	pcm->app = app;
	if (fe == NULL || (pcm->pair = vg_front_pair(fe, app->cfg.pcm, app->cfg.sub,
					app->cfg.playback, &pcm->cfg)) == NULL) {
		snprintf(why, why_size, "open: no such PCM (card %u device %u %s subdevice %u)",
				app->cfg.devid, app->cfg.pcm, app->cfg.playback ? "playback" : "capture",
				app->cfg.sub);
		return -ENODEV;
	}
	pcm->front = fe;
	pcm->card_gen = fe->card_gen;
	pcm->pair->evt.pcm = pcm;
	stream_clear(pcm);
	pcm->pair->req.connected = true;
	pcm->pair->evt.connected = true;
	pcm->state = VG_ST_OPEN;
	return 0;
}

static void pcm_close(struct vg_pcm *pcm)
{
	if (pcm->pair != NULL && card_alive(pcm)) {
		pcm->pair->req.connected = false;
		pcm->pair->evt.connected = false;
	}
	pcm->state = VG_ST_DISCONNECTED;
}

static int pcm_hw_free(struct vg_pcm *pcm)
{
	struct xensnd_req r = { 0 };
	int res = stream_request(pcm, XENSND_OP_CLOSE, &r, NULL);

	stream_free(pcm);
	pcm->state = VG_ST_OPEN;
	return res;
}

/* snd_pcm_prepare: alsa_prepare sends OPEN only once per hw_params. */
static int pcm_prepare(struct vg_pcm *pcm)
{
	service(pcm);
	if (!card_alive(pcm))
		return -ENODEV;
	if (pcm->state == VG_ST_OPEN || pcm->state == VG_ST_DISCONNECTED)
		return -EBADFD;
	if (pcm->state == VG_ST_RUNNING || pcm->state == VG_ST_DRAINING)
		return -EBUSY;
	if (!pcm->is_open) {
		struct xensnd_req r = { 0 };
		int res;

		r.op.open.pcm_format = pcm->fmt->sndif;
		r.op.open.pcm_channels = (uint8_t)pcm->channels;
		r.op.open.pcm_rate = pcm->rate;
		r.op.open.buffer_sz = pcm->buffer_size * pcm->frame_bytes;
		r.op.open.period_sz = pcm->period_size * pcm->frame_bytes;
		r.op.open.gref_directory = pcm->grefs[0];
		res = stream_request(pcm, XENSND_OP_OPEN, &r, NULL);
		if (res < 0)
			return res;
		pcm->is_open = true;
	}
	/* snd_pcm_lib_ioctl_reset (not running): the core's hw_ptr restarts
	 * at 0 while the driver's pointer keeps its old offset. */
	pcm->hw_base = 0;
	pcm->core_hw = 0;
	pcm->appl = 0;
	pcm->hw_ptr_interrupt = 0;
	pcm->state = VG_ST_PREPARED;
	return 0;
}

static int pcm_start(struct vg_pcm *pcm, enum vg_alsa_state to)
{
	int res = trigger(pcm, XENSND_OP_TRIGGER_START);

	if (res < 0)
		return res;
	pcm->state = to;
	pcm->hw_ptr_jiffies = jiffies_now();	/* snd_pcm_post_start */
	if (pcm->app->t0 == 0)
		pcm->app->t0 = vg_now_ns();
	return 0;
}

/* snd_pcm_drop: STOP reaches the driver only if the stream runs. */
static void pcm_drop(struct vg_pcm *pcm)
{
	service(pcm);
	if (pcm->state == VG_ST_RUNNING || pcm->state == VG_ST_DRAINING)
		trigger(pcm, XENSND_OP_TRIGGER_STOP);
	if (pcm->state != VG_ST_OPEN && pcm->state != VG_ST_DISCONNECTED)
		pcm->state = VG_ST_SETUP;
}

struct wake {
	struct vg_pcm *pcm;
	uint64_t seq;
	enum vg_alsa_state state;
};

static bool woken(void *data)
{
	struct wake *w = data;

	return w->pcm->period_seq != w->seq || w->pcm->state != w->state ||
		w->pcm->stop_pending || !card_alive(w->pcm);
}

/* wait_for_avail: sleeps until a period wakeup leaves at least twake frames. */
static int wait_for_avail(struct vg_pcm *pcm, uint64_t twake)
{
	struct wake w = { .pcm = pcm };
	int res;

	for (;;) {
		w.seq = pcm->period_seq;
		w.state = pcm->state;
		res = vg_co_wait(&pcm->app->co, woken, &w, vg_now_ns() + alsa_wait_ms(pcm) * 1000000);
		service(pcm);
		if ((res = state_error(pcm)) < 0)
			return res;
		if (core_avail(pcm) >= (int64_t)twake)
			return 0;
		if (w.seq == pcm->period_seq && w.state == pcm->state) {
			vg_err("vm%u: %s: %s timeout (DMA or IRQ trouble?): no position event for %d ms",
					pcm->app->guest->domid, pcm->app->stats.name,
					pcm->app->cfg.playback ? "playback write" : "capture read", (int)alsa_wait_ms(pcm));
			return -EIO;
		}
	}
}

/* __snd_pcm_lib_xfer for RW interleaved, blocking. Returns frames or -errno. */
static int64_t pcm_xfer(struct vg_pcm *pcm, uint8_t *data, uint32_t size)
{
	bool playback = pcm->app->cfg.playback;
	uint64_t xfer = 0;
	int res;

	service(pcm);
	if ((res = state_error(pcm)) < 0)
		return res;
	if (pcm->state == VG_ST_RUNNING) {
		core_update_hw_ptr(pcm);
		core_update_state(pcm);
		service(pcm);
		if ((res = state_error(pcm)) < 0)
			return res;
	}
	if (!playback && pcm->state == VG_ST_PREPARED && size >= pcm->start_threshold) {
		if ((res = pcm_start(pcm, VG_ST_RUNNING)) < 0)
			return res;
	}
	while (size > 0) {
		int64_t avail = core_avail(pcm);
		uint64_t ofs, frames, cont;
		struct xensnd_req r;

		if (avail <= 0) {
			uint64_t twake = size < pcm->period_size ? size : pcm->period_size;

			res = wait_for_avail(pcm, twake);
			if (res < 0)
				return xfer ? (int64_t)xfer : res;
			continue;
		}
		frames = (uint64_t)avail < size ? (uint64_t)avail : size;
		ofs = pcm->appl % pcm->buffer_size;
		cont = pcm->buffer_size - ofs;
		if (frames > cont)
			frames = cont;
		memset(&r, 0, sizeof(r));
		r.op.rw.offset = (uint32_t)(ofs * pcm->frame_bytes);
		r.op.rw.length = (uint32_t)(frames * pcm->frame_bytes);
		if (r.op.rw.offset + r.op.rw.length > pcm->buffer_sz)
			return -EINVAL;
		if (playback) {
			memcpy((uint8_t *)pcm->buf + r.op.rw.offset, data, r.op.rw.length);
			trace_marks(pcm, data, frames);
			trace(pcm, "write", r.op.rw.offset, frames);
			res = stream_request(pcm, XENSND_OP_WRITE, &r, NULL);
		} else {
			res = stream_request(pcm, XENSND_OP_READ, &r, NULL);
			if (res == 0) {
				memcpy(data, (uint8_t *)pcm->buf + r.op.rw.offset, r.op.rw.length);
				trace_marks(pcm, data, frames);
			}
			trace(pcm, "read", r.op.rw.offset, frames);
		}
		if (res < 0)
			return xfer ? (int64_t)xfer : res;
		pcm->appl += frames;
		pcm->app->stats.bytes += r.op.rw.length;
		pcm->app->stats.frames += frames;
		data += r.op.rw.length;
		size -= (uint32_t)frames;
		xfer += frames;
		if (playback && pcm->state == VG_ST_PREPARED &&
		    pcm->appl - pcm->core_hw >= pcm->start_threshold) {
			if ((res = pcm_start(pcm, VG_ST_RUNNING)) < 0)
				return xfer ? (int64_t)xfer : res;
		}
	}
	return (int64_t)xfer;
}

/* snd_pcm_drain for playback */
static int pcm_drain(struct vg_pcm *pcm)
{
	struct wake w = { .pcm = pcm };
	int res;

	service(pcm);
	if ((res = state_error(pcm)) < 0 && res != -EPIPE)
		return res;
	if (pcm->state == VG_ST_XRUN) {
		pcm->state = VG_ST_SETUP;
		return 0;
	}
	if (pcm->state == VG_ST_PREPARED) {
		if (pcm->appl == pcm->core_hw) {
			pcm->state = VG_ST_SETUP;
			return 0;
		}
		if ((res = pcm_start(pcm, VG_ST_DRAINING)) < 0)
			return res;
	} else if (pcm->state == VG_ST_RUNNING) {
		pcm->state = VG_ST_DRAINING;
	}
	while (pcm->state == VG_ST_DRAINING && card_alive(pcm)) {
		w.seq = pcm->period_seq;
		w.state = pcm->state;
		res = vg_co_wait(&pcm->app->co, woken, &w, vg_now_ns() + alsa_wait_ms(pcm) * 1000000);
		if (res == -ETIMEDOUT) {
			vg_err("vm%u: %s: playback drain timeout (DMA or IRQ trouble?): hw_ptr %llu, "
					"appl_ptr %llu, last position %llu bytes",
					pcm->app->guest->domid, pcm->app->stats.name,
					(unsigned long long)pcm->core_hw, (unsigned long long)pcm->appl,
					(unsigned long long)pcm->app->stats.last_position);
			pcm_drop(pcm);
			return -EIO;
		}
	}
	service(pcm);
	return card_alive(pcm) ? 0 : -ENODEV;
}

/* ---- the application ---- */

static void fill(struct vg_app *app, uint8_t *buf, uint32_t frames)
{
	const struct vg_app_cfg *cfg = &app->cfg;
	const struct vg_format *f = app->pcm.fmt;
	uint32_t ch = app->pcm.channels;

	switch (cfg->source) {
	case VG_SRC_COUNTER:
		vg_pattern_fill(f, ch, app->frame_counter, frames, buf);
		break;
	case VG_SRC_TONE:
		for (uint32_t n = 0; n < frames; n++) {
			double x = cfg->amp * sin(2.0 * M_PI * cfg->freq *
					(double)(app->frame_counter + n) / app->pcm.rate);
			for (uint32_t c = 0; c < ch; c++)
				vg_sample_put(f, buf + ((size_t)n * ch + c) * f->width, x);
		}
		break;
	case VG_SRC_WAV: {
		uint32_t got = vg_wav_read(&app->wav, f, ch, frames, buf);
		for (uint32_t n = got; n < frames; n++)
			for (uint32_t c = 0; c < ch; c++)
				vg_sample_put(f, buf + ((size_t)n * ch + c) * f->width, 0.0);
		break;
	}
	case VG_SRC_SILENCE:
		for (uint32_t n = 0; n < frames * ch; n++)
			vg_sample_put(f, buf + (size_t)n * f->width, 0.0);
		break;
	case VG_SRC_MARKER: {
		/* a pulse in the middle of every interval, so a marker never
		 * straddles the start */
		uint64_t every = (uint64_t)app->pcm.rate * cfg->mark_every_ms / 1000;
		uint64_t len = cfg->mark_len ? cfg->mark_len : (app->pcm.rate + 999) / 1000;

		for (uint32_t n = 0; n < frames; n++) {
			uint64_t ph = (app->frame_counter + n) % every;
			double x = ph >= every / 2 && ph < every / 2 + len ? cfg->amp : 0.0;
			for (uint32_t c = 0; c < ch; c++)
				vg_sample_put(f, buf + ((size_t)n * ch + c) * f->width, x);
		}
		break;
	}
	}
	app->frame_counter += frames;
}

static bool due(const struct vg_app *app, int64_t at_ms, bool *done)
{
	if (at_ms < 0 || *done || app->t0 == 0)
		return false;
	if (vg_now_ns() - app->t0 < at_ms * 1000000)
		return false;
	*done = true;
	return true;
}

static void sleep_ms(struct vg_app *app, int64_t ms)
{
	vg_co_sleep_until(&app->co, vg_now_ns() + ms * 1000000);
}

/* Once per run, not per file: the pause, suspend and stop of the options. */
struct run_events {
	bool pause, presume, stop;
};

/* One file of aplay: `total` frames through the PCM, then drain (or drop).
 * Returns 0, or a negative errno with `why` set. */
static int play_file(struct vg_app *app, uint8_t *buf, uint64_t total, struct run_events *ev,
		char *why, size_t why_size)
{
	struct vg_app_cfg *cfg = &app->cfg;
	struct vg_pcm *pcm = &app->pcm;
	uint64_t done = 0;
	int res;

	while (done < total) {
		uint32_t n = (uint32_t)(total - done < pcm->period_size ? total - done : pcm->period_size);
		int64_t got;

		if (due(app, cfg->pause_at_ms, &ev->pause) && pcm->state == VG_ST_RUNNING) {
			/* System suspend: SUSPEND -> PAUSE. Without INFO_RESUME the
			 * application's snd_pcm_resume() fails, so it prepares and restarts. */
			service(pcm);
			trigger(pcm, XENSND_OP_TRIGGER_PAUSE);
			pcm->state = VG_ST_SUSPENDED;
			sleep_ms(app, cfg->pause_len_ms);
			pcm->state = VG_ST_SETUP;
			if ((res = pcm_prepare(pcm)) < 0) {
				snprintf(why, why_size, "prepare after suspend: %s", strerror(-res));
				return res;
			}
		}
		if (due(app, cfg->presume_at_ms, &ev->presume) && pcm->state == VG_ST_RUNNING) {
			/* Wire-level PAUSE/RESUME (mainline never sends RESUME). */
			service(pcm);
			if ((res = trigger(pcm, XENSND_OP_TRIGGER_PAUSE)) < 0) {
				snprintf(why, why_size, "trigger pause: %s", strerror(-res));
				return res;
			}
			pcm->state = VG_ST_SUSPENDED;
			sleep_ms(app, cfg->presume_len_ms);
			if ((res = trigger(pcm, XENSND_OP_TRIGGER_RESUME)) < 0) {
				snprintf(why, why_size, "trigger resume: %s", strerror(-res));
				return res;
			}
			pcm->state = VG_ST_RUNNING;
		}
		if (due(app, cfg->stop_at_ms, &ev->stop)) {
			pcm_drop(pcm);
			sleep_ms(app, cfg->stop_len_ms);
			if ((res = pcm_prepare(pcm)) < 0) {
				snprintf(why, why_size, "prepare after stop: %s", strerror(-res));
				return res;
			}
		}
		if (cfg->playback)
			fill(app, buf, n);
		got = pcm_xfer(pcm, buf, n);
		if (got == -EPIPE) {
			/* aplay's xrun(): prepare and go on with the same data */
			if ((res = pcm_prepare(pcm)) < 0) {
				snprintf(why, why_size, "prepare after xrun: %s", strerror(-res));
				return res;
			}
			got = pcm_xfer(pcm, buf, n);
		}
		if (got < 0) {
			res = (int)got;
			snprintf(why, why_size, "%s: %s", cfg->playback ? "write" : "read", strerror(-res));
			return res;
		}
		if (!cfg->playback && app->wav.f != NULL)
			vg_wav_write(&app->wav, buf, (uint32_t)got);
		if (!cfg->playback && cfg->source == VG_SRC_COUNTER) {
			int64_t bad = vg_pattern_check(pcm->fmt, pcm->channels, app->frame_counter,
					(uint32_t)got, buf);

			if (bad >= 0) {
				res = -EILSEQ;
				snprintf(why, why_size, "capture: counter pattern wrong at frame %llu",
						(unsigned long long)(app->frame_counter + (uint64_t)bad));
				return res;
			}
			app->frame_counter += (uint64_t)got;
		}
		if ((uint64_t)got < n && cfg->playback) {
			/* partial write: the rest is written again with the next chunk */
			app->frame_counter -= n - (uint64_t)got;
			if (cfg->source == VG_SRC_WAV)
				n = (uint32_t)got;	/* file data is gone; accept the loss */
		}
		done += (uint64_t)got;
	}
	if (cfg->playback && !cfg->no_drain) {
		if ((res = pcm_drain(pcm)) < 0) {
			snprintf(why, why_size, "drain: %s", strerror(-res));
			return res;
		}
	} else {
		pcm_drop(pcm);
	}
	return 0;
}

/* aplay's next file: set_params. alsa-lib frees the setup first (HW_FREE:
 * CLOSE); a program issuing HW_PARAMS itself need not, and alsa_hw_params
 * then frees the buffer without CLOSE. Either way prepare OPENs again. */
static int next_file(struct vg_app *app, uint32_t nr, char *why, size_t why_size)
{
	struct vg_pcm *pcm = &app->pcm;
	int res;

	if (!app->cfg.no_hw_free && (res = pcm_hw_free(pcm)) < 0) {
		snprintf(why, why_size, "hw_free (CLOSE) before file %u: %s", nr, strerror(-res));
		return res;
	}
	if ((res = hw_params(pcm, why, why_size)) < 0)
		return res;
	if ((res = pcm_prepare(pcm)) < 0) {
		snprintf(why, why_size, "prepare (OPEN) for file %u: %s", nr, strerror(-res));
		return res;
	}
	return 0;
}

static int run_once(struct vg_app *app, char *why, size_t why_size)
{
	struct vg_app_cfg *cfg = &app->cfg;
	struct vg_pcm *pcm = &app->pcm;
	struct run_events ev = { false, false, false };
	uint64_t total;
	uint8_t *buf = NULL;
	int res;

	if ((res = pcm_open(app, why, why_size)) < 0)
		return res;
	if ((res = hw_params(pcm, why, why_size)) < 0)
		goto out_close;
	if ((res = pcm_prepare(pcm)) < 0) {
		snprintf(why, why_size, "prepare (OPEN): %s", strerror(-res));
		goto out_free;
	}
	total = cfg->frames ? cfg->frames : (uint64_t)llround(cfg->duration * pcm->rate);
	/* aplay plays the whole file; a length given explicitly may cut it short */
	if (cfg->playback && cfg->source == VG_SRC_WAV && (!cfg->length_set || total > app->wav.frames))
		total = app->wav.frames;
	/* arecord writes the rate it got */
	if (!cfg->playback && app->wav.f != NULL)
		app->wav.rate = pcm->rate;
	buf = malloc((size_t)pcm->period_size * pcm->frame_bytes);
	if (buf == NULL) {
		res = -ENOMEM;
		goto out_free;
	}
	app->t0 = 0;
	for (uint32_t file = 0; file < cfg->files; file++) {
		if (file > 0 && (res = next_file(app, file + 1, why, why_size)) < 0)
			goto out_free;
		if (cfg->playback && cfg->source == VG_SRC_WAV && (res = vg_wav_rewind(&app->wav)) < 0) {
			snprintf(why, why_size, "%s: %s", cfg->file, strerror(-res));
			goto out_free;
		}
		if ((res = play_file(app, buf, total, &ev, why, why_size)) < 0)
			goto out_free;
	}
	res = 0;
out_free:
	free(buf);
	/* snd_pcm_release: a running stream is dropped (STOP) before hw_free */
	pcm_drop(pcm);
	{
		int r2 = pcm_hw_free(pcm);
		if (res == 0 && r2 < 0) {
			res = r2;
			snprintf(why, why_size, "hw_free (CLOSE): %s", strerror(-r2));
		}
	}
out_close:
	pcm_close(pcm);
	return res;
}

static bool card_ready(void *data)
{
	struct vg_app *app = data;

	for (uint32_t i = 0; i < app->guest->n_cards; i++) {
		if (app->guest->fronts[i].devid == app->cfg.devid && app->guest->fronts[i].card)
			return true;
	}
	return false;
}

void vg_app_main(struct vg_co *co, void *data)
{
	struct vg_app *app = data;
	struct vg_app_cfg *cfg = &app->cfg;
	char why[400] = "";
	int res = 0;

	if (cfg->start_delay_ms > 0)
		sleep_ms(app, cfg->start_delay_ms);
	/* The application runs once the card exists (frontend Connected). */
	if (vg_co_wait(co, card_ready, app, vg_now_ns() + 30 * 1000000000ll) < 0) {
		res = -ENODEV;
		snprintf(why, sizeof(why), "no sound card after 30 s (backend never connected)");
	}
	if (res == 0 && !cfg->playback && cfg->file[0]) {
		if ((res = vg_wav_open_write(&app->wav, cfg->file, cfg->format, cfg->rate, cfg->channels)) < 0)
			snprintf(why, sizeof(why), "%s: cannot write WAV: %s", cfg->file, strerror(-res));
	}
	for (uint32_t i = 0; res == 0 && i < cfg->cycles; i++)
		res = run_once(app, why, sizeof(why));
	if (app->wav.f != NULL)
		vg_wav_close(&app->wav);
	app->stats.ok = (res == 0) != cfg->expect_fail;
	if (res == 0)
		snprintf(app->stats.result, sizeof(app->stats.result), "ok");
	else
		snprintf(app->stats.result, sizeof(app->stats.result), "%s", why[0] ? why : strerror(-res));
	if (res < 0)
		vg_err("vm%u: %s: %s%s", app->guest->domid, app->stats.name, app->stats.result,
				cfg->expect_fail ? " (expected)" : "");
	app->finished = true;
}
