/* SPDX-License-Identifier: MIT */
/*
 * Validation of sndif requests against a stream's configuration and state.
 * Input is a private copy of the ring slot (never the shared page: the guest
 * could change it while we look). Output is a typed request, or a negative
 * errno for the response status plus a message naming the field and value.
 */
#ifndef XSND_REQUEST_H
#define XSND_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "sndif.h"
#include "card-config.h"
#include "xsnd-error.h"

enum xsnd_stream_state {
	XSND_STATE_CLOSED,	/* no buffer: before OPEN or after CLOSE */
	XSND_STATE_OPEN,	/* buffer mapped, not running (after OPEN or STOP) */
	XSND_STATE_RUNNING,	/* after START or RESUME */
	XSND_STATE_PAUSED,	/* after PAUSE */
};

/* Backend limits that apply on top of the guest's configuration. */
struct xsnd_limits {
	uint32_t buffer_bytes_max;	/* module argument, caps guest buffer_sz */
	uint32_t rate_min, rate_max;	/* what the graph can resample from/to */
	uint32_t channels_max;		/* SPA_AUDIO_MAX_CHANNELS */
};
void xsnd_limits_init_default(struct xsnd_limits *lim);

/* Parameters fixed by a successful OPEN. */
struct xsnd_open_params {
	uint32_t rate;
	uint8_t format;			/* XENSND_PCM_FORMAT_* */
	uint8_t channels;
	uint32_t buffer_sz;		/* bytes, multiple of frame_size */
	uint32_t period_sz;		/* bytes, 0 = guest wants no CUR_POS */
	uint32_t gref_directory;
	uint32_t frame_size;		/* bytes per frame */
	uint32_t spa_format;		/* enum spa_audio_format */
	uint32_t n_pages;		/* ceil(buffer_sz / XSND_PAGE_SIZE) */
};

struct xsnd_request {
	uint16_t id;
	uint8_t operation;		/* XENSND_OP_* */
	union {
		struct xsnd_open_params open;
		struct {
			uint32_t offset;
			uint32_t length;
		} rw;				/* READ, WRITE, volume and mute ops */
		uint8_t trigger;		/* XENSND_OP_TRIGGER_* */
		struct xensnd_query_hw_param hw_param;
	} u;
};

/*
 * Checks *req for a stream with configuration cfg in state `state`; `cur` are
 * the current OPEN parameters (NULL when CLOSED). Returns 0 and fills *out,
 * or a negative errno (the response status) and sets *err.
 */
int xsnd_request_check(const struct xsnd_stream_config *cfg,
		const struct xsnd_limits *lim,
		enum xsnd_stream_state state,
		const struct xsnd_open_params *cur,
		const struct xensnd_req *req,
		struct xsnd_request *out,
		struct xsnd_error *err);

/* State after a checked request has been carried out successfully. */
enum xsnd_stream_state xsnd_stream_state_next(enum xsnd_stream_state state,
		const struct xsnd_request *req);

const char *xsnd_op_name(uint32_t operation);
const char *xsnd_stream_state_name(enum xsnd_stream_state state);

/* Fills a response for req with status (0 or negative errno). */
void xsnd_response_init(struct xensnd_resp *resp, const struct xensnd_req *req, int32_t status);

#endif
