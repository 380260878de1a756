/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xsnd_request_check(), xsnd_hw_param_refine() and the
 * stream state machine. Input: a 16-byte header (state, stream type,
 * formats, rate mode, channels, buffer cap), then a sequence of 64-byte
 * request slots applied in order, as a guest would send them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "hw-param.h"
#include "format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) { fprintf(stderr, "invariant: %s\n", #c); abort(); } } while (0)
#define HDR 16u

static void make_config(const uint8_t *h, struct xsnd_stream_config *cfg, struct xsnd_limits *lim)
{
	uint64_t formats;
	uint32_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->type = h[0] & 1 ? XSND_STREAM_CAPTURE : XSND_STREAM_PLAYBACK;
	memcpy(&formats, h + 1, sizeof(formats));
	cfg->hw.formats = formats & ((UINT64_C(1) << (XENSND_PCM_FORMAT_GSM + 1)) - 1);
	if (cfg->hw.formats == 0)
		cfg->hw.formats = UINT64_C(1) << XENSND_PCM_FORMAT_S16_LE;
	if (h[9] & 1) {
		cfg->hw.rate_continuous = true;
		cfg->hw.rate_min = 5512;
		cfg->hw.rate_max = 48000;
	} else {
		cfg->hw.rates = ((uint32_t)h[9] << 4 | h[10]) & 0xfff;
		if (cfg->hw.rates == 0)
			cfg->hw.rates = 1u << 7;
		for (i = 0; !(cfg->hw.rates & (1u << i)); i++)
			;
		cfg->hw.rate_min = xsnd_known_rates[i];
		for (i = XSND_N_RATES - 1; !(cfg->hw.rates & (1u << i)); i--)
			;
		cfg->hw.rate_max = xsnd_known_rates[i];
	}
	cfg->hw.channels_min = 1 + h[11] % 8;
	cfg->hw.channels_max = cfg->hw.channels_min + h[12];
	cfg->hw.buffer_bytes_max = 128 + ((uint32_t)h[13] << 8 | h[14]) * 64;
	cfg->hw.period_bytes_min = 64;
	cfg->hw.period_bytes_max = cfg->hw.buffer_bytes_max;
	cfg->hw.periods_min = 2;
	cfg->hw.periods_max = cfg->hw.buffer_bytes_max / 64;
	xsnd_limits_init_default(lim);
	if (h[15] & 1)
		lim->buffer_bytes_max = 4096u << (h[15] >> 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_open_params cur;
	enum xsnd_stream_state st = XSND_STATE_CLOSED;
	size_t off;

	if (size < HDR)
		return 0;
	make_config(data, &cfg, &lim);
	memset(&cur, 0, sizeof(cur));

	for (off = HDR; off + sizeof(struct xensnd_req) <= size; off += sizeof(struct xensnd_req)) {
		struct xensnd_req req;
		struct xensnd_resp resp;
		struct xsnd_request out;
		struct xsnd_error err = { 0 };
		int res;

		/* The private copy the module makes of the ring slot. */
		memcpy(&req, data + off, sizeof(req));
		res = xsnd_request_check(&cfg, &lim, st, st == XSND_STATE_CLOSED ? NULL : &cur,
				&req, &out, &err);
		xsnd_response_init(&resp, &req, res);
		ASSERT(resp.id == req.id && resp.operation == req.operation);
		if (res < 0) {
			ASSERT(err.res == res && err.msg[0] != '\0');
			continue;
		}
		switch (out.operation) {
		case XENSND_OP_OPEN: {
			/* in any state: a new OPEN replaces the stream (request.c) */
			const struct xsnd_open_params *o = &out.u.open;
			ASSERT(o->frame_size > 0 && o->buffer_sz % o->frame_size == 0);
			ASSERT(o->buffer_sz <= lim.buffer_bytes_max && o->buffer_sz <= cfg.hw.buffer_bytes_max);
			ASSERT((uint64_t)o->n_pages * XSND_PAGE_SIZE >= o->buffer_sz);
			ASSERT(o->period_sz <= o->buffer_sz);
			ASSERT(o->gref_directory != 0);
			ASSERT(xsnd_format_supported(o->format));
			cur = *o;
			break;
		}
		case XENSND_OP_READ:
		case XENSND_OP_WRITE:
		case XENSND_OP_SET_VOLUME:
		case XENSND_OP_GET_VOLUME:
		case XENSND_OP_MUTE:
		case XENSND_OP_UNMUTE:
			ASSERT(st != XSND_STATE_CLOSED);
			ASSERT((uint64_t)out.u.rw.offset + out.u.rw.length <= cur.buffer_sz);
			break;
		case XENSND_OP_HW_PARAM_QUERY: {
			const struct xensnd_query_hw_param *q = &out.u.hw_param;
			struct xensnd_query_hw_param r;
			if (xsnd_hw_param_refine(&cfg.hw, &lim, q, &r, &err) == 0) {
				ASSERT(r.formats && !(r.formats & ~q->formats));
				ASSERT(q->rates.min <= r.rates.min && r.rates.min <= r.rates.max &&
						r.rates.max <= q->rates.max);
				ASSERT(q->channels.min <= r.channels.min && r.channels.min <= r.channels.max &&
						r.channels.max <= q->channels.max);
				ASSERT(q->buffer.min <= r.buffer.min && r.buffer.min <= r.buffer.max &&
						r.buffer.max <= q->buffer.max);
				ASSERT(q->period.min <= r.period.min && r.period.min <= r.period.max &&
						r.period.max <= q->period.max);
			} else {
				ASSERT(err.msg[0] != '\0');
			}
			break;
		}
		default:
			break;
		}
		st = xsnd_stream_state_next(st, &out);
		ASSERT(st <= XSND_STATE_PAUSED);
	}
	return 0;
}
