/* SPDX-License-Identifier: MIT */
/*
 * Request validation. Error statuses (Xen errno values, passed unchanged to
 * ALSA by Linux): -EINVAL for a malformed request or one that does not fit
 * the stream's configuration or state, -ENOSYS for an unknown operation.
 * OPEN is valid in every state: Linux's frontend frees the buffer at a
 * second HW_PARAMS ioctl without CLOSE (alsa-lib sends HW_FREE first, a
 * program calling the ioctl itself need not) and OPENs again at the next
 * prepare, so a new OPEN replaces the stream (the caller closes the old one).
 */
#include <errno.h>
#include <string.h>

#include <spa/param/audio/raw.h>

#include "request.h"
#include "format.h"

void xsnd_limits_init_default(struct xsnd_limits *lim)
{
	lim->buffer_bytes_max = 4u * 1024u * 1024u;
	lim->rate_min = 1;
	lim->rate_max = 768000;
	lim->channels_max = SPA_AUDIO_MAX_CHANNELS;
}

const char *xsnd_op_name(uint32_t operation)
{
	switch (operation) {
	case XENSND_OP_OPEN: return "OPEN";
	case XENSND_OP_CLOSE: return "CLOSE";
	case XENSND_OP_READ: return "READ";
	case XENSND_OP_WRITE: return "WRITE";
	case XENSND_OP_SET_VOLUME: return "SET_VOLUME";
	case XENSND_OP_GET_VOLUME: return "GET_VOLUME";
	case XENSND_OP_MUTE: return "MUTE";
	case XENSND_OP_UNMUTE: return "UNMUTE";
	case XENSND_OP_TRIGGER: return "TRIGGER";
	case XENSND_OP_HW_PARAM_QUERY: return "HW_PARAM_QUERY";
	default: return "unknown";
	}
}

const char *xsnd_stream_state_name(enum xsnd_stream_state state)
{
	switch (state) {
	case XSND_STATE_CLOSED: return "closed";
	case XSND_STATE_OPEN: return "open";
	case XSND_STATE_RUNNING: return "running";
	case XSND_STATE_PAUSED: return "paused";
	default: return "invalid";
	}
}

static const char *trigger_name(uint32_t type)
{
	switch (type) {
	case XENSND_OP_TRIGGER_START: return "START";
	case XENSND_OP_TRIGGER_PAUSE: return "PAUSE";
	case XENSND_OP_TRIGGER_STOP: return "STOP";
	case XENSND_OP_TRIGGER_RESUME: return "RESUME";
	default: return "unknown";
	}
}

void xsnd_response_init(struct xensnd_resp *resp, const struct xensnd_req *req, int32_t status)
{
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	resp->operation = req->operation;
	resp->status = status;
}

/* A rate the configuration (as ALSA in the guest sees it) allows. */
static bool rate_allowed(const struct xsnd_pcm_hw *hw, uint32_t rate)
{
	uint32_t i;

	if (rate < hw->rate_min || rate > hw->rate_max)
		return false;
	if (hw->rate_continuous)
		return true;
	for (i = 0; i < XSND_N_RATES; i++)
		if ((hw->rates & (1u << i)) && xsnd_known_rates[i] == rate)
			return true;
	return false;
}

static int check_open(const struct xsnd_stream_config *cfg, const struct xsnd_limits *lim,
		const struct xensnd_open_req *r, struct xsnd_open_params *o, struct xsnd_error *err)
{
	const struct xsnd_pcm_hw *hw = &cfg->hw;
	const struct xsnd_format_info *f = xsnd_format_get(r->pcm_format);
	uint32_t cap = hw->buffer_bytes_max < lim->buffer_bytes_max ?
		hw->buffer_bytes_max : lim->buffer_bytes_max;

	if (!rate_allowed(hw, r->pcm_rate) || r->pcm_rate < lim->rate_min || r->pcm_rate > lim->rate_max)
		return xsnd_error_set(err, -EINVAL, "OPEN: pcm_rate %u not allowed", r->pcm_rate);
	if (f == NULL || !(hw->formats & (UINT64_C(1) << r->pcm_format)) ||
	    f->spa_format == SPA_AUDIO_FORMAT_UNKNOWN)
		return xsnd_error_set(err, -EINVAL, "OPEN: pcm_format %u (%s) not allowed",
				r->pcm_format, f ? f->name : "invalid");
	if (r->pcm_channels < hw->channels_min || r->pcm_channels > hw->channels_max ||
	    r->pcm_channels == 0 || r->pcm_channels > lim->channels_max)
		return xsnd_error_set(err, -EINVAL, "OPEN: pcm_channels %u not allowed", r->pcm_channels);

	o->rate = r->pcm_rate;
	o->format = r->pcm_format;
	o->channels = r->pcm_channels;
	o->spa_format = f->spa_format;
	o->frame_size = f->sample_bytes * r->pcm_channels;

	if (r->buffer_sz == 0 || r->buffer_sz > cap)
		return xsnd_error_set(err, -EINVAL, "OPEN: buffer_sz %u outside [1, %u]",
				r->buffer_sz, cap);
	if (r->buffer_sz % o->frame_size != 0)
		return xsnd_error_set(err, -EINVAL, "OPEN: buffer_sz %u is not a multiple of the frame size %u",
				r->buffer_sz, o->frame_size);
	/* 0 means "no CUR_POS". ALSA guarantees at least periods_min periods,
	 * but we only need a period to fit the buffer and hold a frame. */
	if (r->period_sz != 0 && (r->period_sz < o->frame_size || r->period_sz > r->buffer_sz))
		return xsnd_error_set(err, -EINVAL, "OPEN: period_sz %u outside [%u, buffer_sz %u]",
				r->period_sz, o->frame_size, r->buffer_sz);
	if (r->gref_directory == 0)
		return xsnd_error_set(err, -EINVAL, "OPEN: gref_directory is 0");

	o->buffer_sz = r->buffer_sz;
	o->period_sz = r->period_sz;
	o->gref_directory = r->gref_directory;
	o->n_pages = (uint32_t)(((uint64_t)r->buffer_sz + XSND_PAGE_SIZE - 1) / XSND_PAGE_SIZE);
	return 0;
}

/* [offset, offset + length) inside the buffer, aligned to `align` bytes. */
static int check_range(const char *op, const struct xsnd_open_params *cur,
		uint32_t offset, uint32_t length, uint32_t align, struct xsnd_error *err)
{
	if ((uint64_t)offset + length > cur->buffer_sz)
		return xsnd_error_set(err, -EINVAL, "%s: offset %u + length %u beyond buffer_sz %u",
				op, offset, length, cur->buffer_sz);
	if (offset % align != 0 || length % align != 0)
		return xsnd_error_set(err, -EINVAL, "%s: offset %u / length %u not aligned to %u bytes",
				op, offset, length, align);
	return 0;
}

static int check_trigger(enum xsnd_stream_state state, uint8_t type, struct xsnd_error *err)
{
	bool ok;

	switch (type) {
	case XENSND_OP_TRIGGER_START:
		/* From PAUSED too: Linux turns a system suspend into PAUSE and,
		 * lacking RESUME support, recovers with prepare + START. */
		ok = state == XSND_STATE_OPEN || state == XSND_STATE_PAUSED;
		break;
	case XENSND_OP_TRIGGER_STOP:
		ok = state != XSND_STATE_CLOSED;
		break;
	case XENSND_OP_TRIGGER_PAUSE:
		ok = state == XSND_STATE_RUNNING;
		break;
	case XENSND_OP_TRIGGER_RESUME:
		ok = state == XSND_STATE_PAUSED;
		break;
	default:
		return xsnd_error_set(err, -EINVAL, "TRIGGER: unknown type %u", type);
	}
	if (!ok)
		return xsnd_error_set(err, -EINVAL, "TRIGGER %s: not allowed on a %s stream",
				trigger_name(type), xsnd_stream_state_name(state));
	return 0;
}

int xsnd_request_check(const struct xsnd_stream_config *cfg,
		const struct xsnd_limits *lim,
		enum xsnd_stream_state state,
		const struct xsnd_open_params *cur,
		const struct xensnd_req *req,
		struct xsnd_request *out,
		struct xsnd_error *err)
{
	uint8_t op = req->operation;
	const char *name = xsnd_op_name(op);
	bool is_open = state != XSND_STATE_CLOSED && cur != NULL;

	memset(out, 0, sizeof(*out));
	out->id = req->id;
	out->operation = op;

	switch (op) {
	case XENSND_OP_OPEN:
		return check_open(cfg, lim, &req->op.open, &out->u.open, err);

	case XENSND_OP_CLOSE:
		/* ALSA's hw_free sends CLOSE even when no OPEN was sent. */
		return 0;

	case XENSND_OP_READ:
	case XENSND_OP_WRITE:
		if ((op == XENSND_OP_READ) != (cfg->type == XSND_STREAM_CAPTURE))
			return xsnd_error_set(err, -EINVAL, "%s: not allowed on a %s stream", name,
					cfg->type == XSND_STREAM_CAPTURE ? "capture" : "playback");
		if (!is_open)
			return xsnd_error_set(err, -EINVAL, "%s: stream is not open", name);
		out->u.rw.offset = req->op.rw.offset;
		out->u.rw.length = req->op.rw.length;
		return check_range(name, cur, req->op.rw.offset, req->op.rw.length,
				cur->frame_size, err);

	case XENSND_OP_SET_VOLUME:
	case XENSND_OP_GET_VOLUME:
	case XENSND_OP_MUTE:
	case XENSND_OP_UNMUTE: {
		/* Values live in the buffer: s32 (0.001 dB) or u8 per channel. */
		uint32_t each = (op == XENSND_OP_SET_VOLUME || op == XENSND_OP_GET_VOLUME) ? 4 : 1;
		int res;

		if (!is_open)
			return xsnd_error_set(err, -EINVAL, "%s: stream is not open", name);
		if (req->op.rw.length != each * cur->channels)
			return xsnd_error_set(err, -EINVAL, "%s: length %u is not %u bytes x %u channels",
					name, req->op.rw.length, each, cur->channels);
		if ((res = check_range(name, cur, req->op.rw.offset, req->op.rw.length, each, err)) < 0)
			return res;
		out->u.rw.offset = req->op.rw.offset;
		out->u.rw.length = req->op.rw.length;
		return 0;
	}

	case XENSND_OP_TRIGGER:
		out->u.trigger = req->op.trigger.type;
		return check_trigger(state, req->op.trigger.type, err);

	case XENSND_OP_HW_PARAM_QUERY:
		/* Allowed in any state; xsnd_hw_param_refine() does the work. */
		out->u.hw_param = req->op.hw_param;
		return 0;

	default:
		return xsnd_error_set(err, -ENOSYS, "unknown operation %u", op);
	}
}

enum xsnd_stream_state xsnd_stream_state_next(enum xsnd_stream_state state,
		const struct xsnd_request *req)
{
	switch (req->operation) {
	case XENSND_OP_OPEN:
		return XSND_STATE_OPEN;
	case XENSND_OP_CLOSE:
		return XSND_STATE_CLOSED;
	case XENSND_OP_TRIGGER:
		switch (req->u.trigger) {
		case XENSND_OP_TRIGGER_START:
		case XENSND_OP_TRIGGER_RESUME:
			return XSND_STATE_RUNNING;
		case XENSND_OP_TRIGGER_PAUSE:
			return XSND_STATE_PAUSED;
		case XENSND_OP_TRIGGER_STOP:
			return XSND_STATE_OPEN;
		}
		return state;
	default:
		return state;
	}
}
