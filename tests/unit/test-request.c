/* SPDX-License-Identifier: MIT */
/* Request validation: every operation against configuration and state. */
#include <errno.h>

#include <spa/param/audio/raw.h>

#include "request.h"
#include "format.h"
#include "test.h"

static void default_cfg(struct xsnd_stream_config *cfg, enum xsnd_stream_type type)
{
	uint32_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->type = type;
	cfg->hw.formats = (UINT64_C(1) << XENSND_PCM_FORMAT_U8) | (UINT64_C(1) << XENSND_PCM_FORMAT_S16_LE);
	for (i = 1; i <= 7; i++)
		cfg->hw.rates |= 1u << i;
	cfg->hw.rate_continuous = true;
	cfg->hw.rate_min = 5512;
	cfg->hw.rate_max = 48000;
	cfg->hw.channels_min = 1;
	cfg->hw.channels_max = 2;
	cfg->hw.buffer_bytes_max = 65536;
	cfg->hw.period_bytes_min = 64;
	cfg->hw.period_bytes_max = 65536;
	cfg->hw.periods_min = 2;
	cfg->hw.periods_max = 1024;
}

static struct xensnd_req open_req(uint32_t rate, uint8_t format, uint8_t channels,
		uint32_t buffer_sz, uint32_t period_sz, uint32_t gref)
{
	struct xensnd_req r;

	memset(&r, 0, sizeof(r));
	r.id = 77;
	r.operation = XENSND_OP_OPEN;
	r.op.open.pcm_rate = rate;
	r.op.open.pcm_format = format;
	r.op.open.pcm_channels = channels;
	r.op.open.buffer_sz = buffer_sz;
	r.op.open.period_sz = period_sz;
	r.op.open.gref_directory = gref;
	return r;
}

static struct xensnd_req rw_req(uint8_t op, uint32_t offset, uint32_t length)
{
	struct xensnd_req r;

	memset(&r, 0, sizeof(r));
	r.id = 5;
	r.operation = op;
	r.op.rw.offset = offset;
	r.op.rw.length = length;
	return r;
}

static struct xensnd_req trigger_req(uint8_t type)
{
	struct xensnd_req r;

	memset(&r, 0, sizeof(r));
	r.operation = XENSND_OP_TRIGGER;
	r.op.trigger.type = type;
	return r;
}

static int check(const struct xsnd_stream_config *cfg, const struct xsnd_limits *lim,
		enum xsnd_stream_state st, const struct xsnd_open_params *cur,
		struct xensnd_req r, struct xsnd_request *out, struct xsnd_error *err)
{
	int res;

	memset(err, 0, sizeof(*err));
	res = xsnd_request_check(cfg, lim, st, cur, &r, out, err);
	if (res < 0) {
		CHECK_EQ(err->res, res);
		CHECK(err->msg[0] != '\0');
	}
	CHECK_EQ(out->id, r.id);
	CHECK_EQ(out->operation, r.operation);
	return res;
}

static void test_limits(void)
{
	struct xsnd_limits lim;

	xsnd_limits_init_default(&lim);
	CHECK_EQ(lim.buffer_bytes_max, 4 * 1024 * 1024);
	CHECK_EQ(lim.rate_min, 1);
	CHECK_EQ(lim.rate_max, 768000);
	CHECK_EQ(lim.channels_max, SPA_AUDIO_MAX_CHANNELS);
}

static void test_open(void)
{
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xensnd_req r;

	default_cfg(&cfg, XSND_STREAM_PLAYBACK);
	xsnd_limits_init_default(&lim);

	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), 0);
	CHECK_EQ(out.id, 77);
	CHECK_EQ(out.u.open.rate, 48000);
	CHECK_EQ(out.u.open.format, XENSND_PCM_FORMAT_S16_LE);
	CHECK_EQ(out.u.open.channels, 2);
	CHECK_EQ(out.u.open.frame_size, 4);
	CHECK_EQ(out.u.open.buffer_sz, 16384);
	CHECK_EQ(out.u.open.period_sz, 4096);
	CHECK_EQ(out.u.open.gref_directory, 9);
	CHECK_EQ(out.u.open.n_pages, 4);
	CHECK_EQ(out.u.open.spa_format, SPA_AUDIO_FORMAT_S16_LE);

	/* Odd sizes: 3 frames of U8 mono, 1 page; period 0 = no events. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(5512, XENSND_PCM_FORMAT_U8, 1, 4097, 0, 1), &out, &err), 0);
	CHECK_EQ(out.u.open.n_pages, 2);
	CHECK_EQ(out.u.open.period_sz, 0);
	/* Continuous range: any rate inside [5512, 48000]. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(12345, XENSND_PCM_FORMAT_U8, 1, 4096, 64, 1), &out, &err), 0);
	/* Reserved bytes are ignored. */
	r = open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9);
	r.reserved[0] = 0xff;
	r.op.open.reserved = 0xffff;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL, r, &out, &err), 0);

	/* State: OPEN in any state replaces the stream (Linux's frontend
	 * after a second HW_PARAMS ioctl without HW_FREE frees the buffer
	 * without CLOSE and OPENs again), and is checked as any OPEN. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), 0);
	CHECK_EQ(out.u.open.rate, 48000);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, NULL,
			open_req(96000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_EQ(xsnd_stream_state_next(XSND_STATE_RUNNING, &(struct xsnd_request){
			.operation = XENSND_OP_OPEN }), XSND_STATE_OPEN);

	/* Rate. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(96000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "96000");
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(0, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	cfg.hw.rate_continuous = false;
	cfg.hw.rate_min = 8000;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(12345, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(44100, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), 0);
	lim.rate_max = 32000;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(44100, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	xsnd_limits_init_default(&lim);
	default_cfg(&cfg, XSND_STREAM_PLAYBACK);

	/* Format: configured, known and carried by PipeWire. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S32_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "s32_le");
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, 200, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "200");
	cfg.hw.formats |= UINT64_C(1) << XENSND_PCM_FORMAT_GSM;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_GSM, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	cfg.hw.formats |= UINT64_C(1) << XENSND_PCM_FORMAT_F64_BE;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_F64_BE, 2, 16384, 4096, 9), &out, &err), 0);
	CHECK_EQ(out.u.open.frame_size, 16);
	default_cfg(&cfg, XSND_STREAM_PLAYBACK);

	/* Channels. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 0, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 3, 16386, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "3");
	cfg.hw.channels_max = 255;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_U8, 65, 650, 0, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_U8, 64, 640, 0, 9), &out, &err), 0);
	default_cfg(&cfg, XSND_STREAM_PLAYBACK);

	/* Buffer: non-empty, whole frames, within config and limit. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 0, 0, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16386, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "16386");
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 65536, 4096, 9), &out, &err), 0);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 65540, 4096, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, UINT32_MAX - 3, 4096, 9), &out, &err), -EINVAL);
	lim.buffer_bytes_max = 8192;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 9), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "8192");
	xsnd_limits_init_default(&lim);

	/* Period: inside the buffer. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 16388, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 2, 9), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 16384, 9), &out, &err), 0);

	/* Directory. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL,
			open_req(48000, XENSND_PCM_FORMAT_S16_LE, 2, 16384, 4096, 0), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "gref_directory");
}

static void opened(struct xsnd_open_params *cur)
{
	memset(cur, 0, sizeof(*cur));
	cur->rate = 48000;
	cur->format = XENSND_PCM_FORMAT_S16_LE;
	cur->channels = 2;
	cur->frame_size = 4;
	cur->buffer_sz = 16384;
	cur->period_sz = 4096;
	cur->gref_directory = 9;
	cur->n_pages = 4;
}

static void test_close(void)
{
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xsnd_open_params cur;
	struct xensnd_req r = { .id = 3, .operation = XENSND_OP_CLOSE };

	default_cfg(&cfg, XSND_STREAM_PLAYBACK);
	xsnd_limits_init_default(&lim);
	opened(&cur);
	/* hw_free sends CLOSE without a prior OPEN. */
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL, r, &out, &err), 0);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, &cur, r, &out, &err), 0);
	CHECK_EQ(xsnd_stream_state_next(XSND_STATE_RUNNING, &out), XSND_STATE_CLOSED);
}

static void test_read_write(void)
{
	struct xsnd_stream_config play, cap;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xsnd_open_params cur;

	default_cfg(&play, XSND_STREAM_PLAYBACK);
	default_cfg(&cap, XSND_STREAM_CAPTURE);
	xsnd_limits_init_default(&lim);
	opened(&cur);

	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 0, 16384), &out, &err), 0);
	CHECK_EQ(out.u.rw.offset, 0);
	CHECK_EQ(out.u.rw.length, 16384);
	CHECK_EQ(check(&play, &lim, XSND_STATE_RUNNING, &cur, rw_req(XENSND_OP_WRITE, 16380, 4), &out, &err), 0);
	CHECK_EQ(check(&play, &lim, XSND_STATE_PAUSED, &cur, rw_req(XENSND_OP_WRITE, 4096, 0), &out, &err), 0);
	CHECK_EQ(check(&cap, &lim, XSND_STATE_RUNNING, &cur, rw_req(XENSND_OP_READ, 8192, 8192), &out, &err), 0);

	/* Direction. */
	CHECK_EQ(check(&play, &lim, XSND_STATE_RUNNING, &cur, rw_req(XENSND_OP_READ, 0, 4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "playback");
	CHECK_EQ(check(&cap, &lim, XSND_STATE_RUNNING, &cur, rw_req(XENSND_OP_WRITE, 0, 4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "capture");
	/* Needs an open stream. */
	CHECK_EQ(check(&play, &lim, XSND_STATE_CLOSED, NULL, rw_req(XENSND_OP_WRITE, 0, 4), &out, &err), -EINVAL);
	CHECK_EQ(check(&cap, &lim, XSND_STATE_CLOSED, NULL, rw_req(XENSND_OP_READ, 0, 4), &out, &err), -EINVAL);
	/* Bounds, including u32 wrap of offset + length. */
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 16384, 4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "16384");
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 4, 16384), &out, &err), -EINVAL);
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 0xfffffffcu, 8), &out, &err), -EINVAL);
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 8, 0xfffffffcu), &out, &err), -EINVAL);
	/* Whole frames only. */
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 2, 4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "aligned");
	CHECK_EQ(check(&play, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_WRITE, 0, 6), &out, &err), -EINVAL);
}

static void test_volume_mute(void)
{
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xsnd_open_params cur;

	default_cfg(&cfg, XSND_STREAM_CAPTURE);
	xsnd_limits_init_default(&lim);
	opened(&cur);

	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_SET_VOLUME, 0, 8), &out, &err), 0);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, &cur, rw_req(XENSND_OP_GET_VOLUME, 16376, 8), &out, &err), 0);
	CHECK_EQ(out.u.rw.offset, 16376);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_SET_VOLUME, 0, 4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "length 4");
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_SET_VOLUME, 16380, 8), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_SET_VOLUME, 2, 8), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL, rw_req(XENSND_OP_SET_VOLUME, 0, 8), &out, &err), -EINVAL);

	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_MUTE, 3, 2), &out, &err), 0);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_UNMUTE, 16382, 2), &out, &err), 0);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_MUTE, 0, 8), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_OPEN, &cur, rw_req(XENSND_OP_UNMUTE, 16383, 2), &out, &err), -EINVAL);
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL, rw_req(XENSND_OP_MUTE, 0, 2), &out, &err), -EINVAL);
	/* Volume ops do not change the state. */
	CHECK_EQ(xsnd_stream_state_next(XSND_STATE_PAUSED, &out), XSND_STATE_PAUSED);
}

static void test_trigger(void)
{
	/* expect[state][type] for START, PAUSE, STOP, RESUME. */
	static const int expect[4][4] = {
		[XSND_STATE_CLOSED] = { -EINVAL, -EINVAL, -EINVAL, -EINVAL },
		[XSND_STATE_OPEN] = { 0, -EINVAL, 0, -EINVAL },
		[XSND_STATE_RUNNING] = { -EINVAL, 0, 0, -EINVAL },
		[XSND_STATE_PAUSED] = { 0, -EINVAL, 0, 0 },	/* START after suspend */
	};
	static const enum xsnd_stream_state next[4] = {
		[XENSND_OP_TRIGGER_START] = XSND_STATE_RUNNING,
		[XENSND_OP_TRIGGER_PAUSE] = XSND_STATE_PAUSED,
		[XENSND_OP_TRIGGER_STOP] = XSND_STATE_OPEN,
		[XENSND_OP_TRIGGER_RESUME] = XSND_STATE_RUNNING,
	};
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xsnd_open_params cur;
	int st, type;

	default_cfg(&cfg, XSND_STREAM_PLAYBACK);
	xsnd_limits_init_default(&lim);
	opened(&cur);
	for (st = 0; st < 4; st++)
		for (type = 0; type < 4; type++) {
			int res = check(&cfg, &lim, st, st == XSND_STATE_CLOSED ? NULL : &cur,
					trigger_req(type), &out, &err);
			if (res != expect[st][type]) {
				fprintf(stderr, "state %s type %d: %d\n", xsnd_stream_state_name(st), type, res);
				t_fail(__FILE__, __LINE__, "trigger matrix");
			}
			if (res == 0)
				CHECK_EQ(xsnd_stream_state_next(st, &out), next[type]);
		}
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, &cur, trigger_req(4), &out, &err), -EINVAL);
	CHECK_HAS(err.msg, "4");
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, &cur, trigger_req(255), &out, &err), -EINVAL);
}

static void test_other_ops(void)
{
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xensnd_req r;
	int op;

	default_cfg(&cfg, XSND_STREAM_PLAYBACK);
	xsnd_limits_init_default(&lim);

	memset(&r, 0, sizeof(r));
	r.id = 0xbeef;
	r.operation = XENSND_OP_HW_PARAM_QUERY;
	r.op.hw_param.formats = 6;
	r.op.hw_param.rates.min = 8000;
	r.op.hw_param.period.max = 99;
	CHECK_EQ(check(&cfg, &lim, XSND_STATE_CLOSED, NULL, r, &out, &err), 0);
	CHECK_EQ(out.id, 0xbeef);
	CHECK_EQ(out.u.hw_param.formats, 6);
	CHECK_EQ(out.u.hw_param.rates.min, 8000);
	CHECK_EQ(out.u.hw_param.period.max, 99);
	CHECK_EQ(xsnd_stream_state_next(XSND_STATE_CLOSED, &out), XSND_STATE_CLOSED);

	for (op = 10; op < 256; op++) {
		r.operation = (uint8_t)op;
		CHECK_EQ(check(&cfg, &lim, XSND_STATE_RUNNING, NULL, r, &out, &err), -ENOSYS);
	}
	CHECK_HAS(err.msg, "255");
}

/* Linux zeroes every reserved byte; a hostile guest need not. Fill the
 * header's reserved bytes and the op union beyond each operation's fields
 * with 0xff: the result must be what the zeroed request gives. */
static struct xensnd_req dirty(struct xensnd_req r, size_t used)
{
	memset(r.reserved, 0xff, sizeof(r.reserved));
	memset((uint8_t *)&r.op + used, 0xff, sizeof(r.op) - used);
	return r;
}

static void test_reserved_ignored(void)
{
	struct xsnd_stream_config play, cap;
	struct xsnd_limits lim;
	struct xsnd_request clean, out;
	struct xsnd_error err;
	struct xsnd_open_params cur;
	const struct {
		const struct xsnd_stream_config *cfg;
		enum xsnd_stream_state state;
		struct xensnd_req r;
		size_t used;
		int res;
	} cases[] = {
		{ &play, XSND_STATE_RUNNING, { .id = 1, .operation = XENSND_OP_CLOSE }, 0, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_WRITE, 0, 16384), 8, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_WRITE, 16384, 4), 8, -EINVAL },
		{ &cap, XSND_STATE_RUNNING, rw_req(XENSND_OP_READ, 4096, 8192), 8, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_SET_VOLUME, 0, 8), 8, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_GET_VOLUME, 8, 8), 8, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_MUTE, 0, 2), 8, 0 },
		{ &play, XSND_STATE_OPEN, rw_req(XENSND_OP_UNMUTE, 2, 2), 8, 0 },
		{ &play, XSND_STATE_OPEN, trigger_req(XENSND_OP_TRIGGER_START), 1, 0 },
		{ &play, XSND_STATE_RUNNING, trigger_req(XENSND_OP_TRIGGER_PAUSE), 1, 0 },
		{ &play, XSND_STATE_PAUSED, trigger_req(XENSND_OP_TRIGGER_RESUME), 1, 0 },
		{ &play, XSND_STATE_OPEN, trigger_req(XENSND_OP_TRIGGER_PAUSE), 1, -EINVAL },
	};
	size_t i;

	default_cfg(&play, XSND_STREAM_PLAYBACK);
	default_cfg(&cap, XSND_STREAM_CAPTURE);
	xsnd_limits_init_default(&lim);
	opened(&cur);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int res = check(cases[i].cfg, &lim, cases[i].state, &cur, cases[i].r, &clean, &err);

		CHECK_EQ(res, cases[i].res);
		res = check(cases[i].cfg, &lim, cases[i].state, &cur,
				dirty(cases[i].r, cases[i].used), &out, &err);
		if (res != cases[i].res || (res == 0 && memcmp(&out, &clean, sizeof(out)) != 0)) {
			fprintf(stderr, "case %zu (op %u): %d\n", i, cases[i].r.operation, res);
			t_fail(__FILE__, __LINE__, "reserved bytes changed the outcome");
		}
	}
}

static void test_names_and_response(void)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	CHECK_STR(xsnd_op_name(XENSND_OP_OPEN), "OPEN");
	CHECK_STR(xsnd_op_name(XENSND_OP_HW_PARAM_QUERY), "HW_PARAM_QUERY");
	CHECK_STR(xsnd_op_name(XENSND_OP_UNMUTE), "UNMUTE");
	CHECK_STR(xsnd_op_name(200), "unknown");
	CHECK_STR(xsnd_stream_state_name(XSND_STATE_PAUSED), "paused");
	CHECK_STR(xsnd_stream_state_name((enum xsnd_stream_state)9), "invalid");

	memset(&req, 0x5a, sizeof(req));
	req.id = 1234;
	req.operation = XENSND_OP_WRITE;
	memset(&resp, 0xa5, sizeof(resp));
	xsnd_response_init(&resp, &req, -EINVAL);
	CHECK_EQ(resp.id, 1234);
	CHECK_EQ(resp.operation, XENSND_OP_WRITE);
	CHECK_EQ(resp.status, -22);	/* Xen's EINVAL */
	CHECK_EQ(resp.reserved, 0);
	CHECK_EQ(resp.resp.hw_param.formats, 0);
	CHECK_EQ(sizeof(resp), 64);
	/* Xen errno values the guest receives. */
	CHECK_EQ(EBUSY, 16);
	CHECK_EQ(ENOSYS, 38);
}

static void test_lifecycle(void)
{
	/* The request sequence Linux sends for one playback, with XRUN recovery. */
	struct xsnd_stream_config cfg;
	struct xsnd_limits lim;
	struct xsnd_request out;
	struct xsnd_error err;
	struct xsnd_open_params cur;
	enum xsnd_stream_state st = XSND_STATE_CLOSED;
	struct xensnd_req seq[] = {
		{ .operation = XENSND_OP_CLOSE },
		open_req(44100, XENSND_PCM_FORMAT_S16_LE, 2, 17640, 4410, 3),
		rw_req(XENSND_OP_WRITE, 0, 8820),
		trigger_req(XENSND_OP_TRIGGER_START),
		rw_req(XENSND_OP_WRITE, 8820, 8820),
		trigger_req(XENSND_OP_TRIGGER_STOP),
		rw_req(XENSND_OP_WRITE, 0, 4),
		trigger_req(XENSND_OP_TRIGGER_START),
		trigger_req(XENSND_OP_TRIGGER_PAUSE),
		trigger_req(XENSND_OP_TRIGGER_RESUME),
		trigger_req(XENSND_OP_TRIGGER_STOP),
		{ .operation = XENSND_OP_CLOSE },
		open_req(48000, XENSND_PCM_FORMAT_U8, 1, 4800, 960, 4),
		{ .operation = XENSND_OP_CLOSE },
	};
	size_t i;

	default_cfg(&cfg, XSND_STREAM_PLAYBACK);
	xsnd_limits_init_default(&lim);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		int res = check(&cfg, &lim, st, st == XSND_STATE_CLOSED ? NULL : &cur, seq[i], &out, &err);
		if (res != 0) {
			fprintf(stderr, "step %zu: %s\n", i, err.msg);
			t_fail(__FILE__, __LINE__, "lifecycle step accepted");
		}
		if (out.operation == XENSND_OP_OPEN)
			cur = out.u.open;
		st = xsnd_stream_state_next(st, &out);
	}
	CHECK_EQ(st, XSND_STATE_CLOSED);
}

int main(void)
{
	RUN(test_limits);
	RUN(test_open);
	RUN(test_close);
	RUN(test_read_write);
	RUN(test_volume_mute);
	RUN(test_trigger);
	RUN(test_other_ops);
	RUN(test_reserved_ignored);
	RUN(test_names_and_response);
	RUN(test_lifecycle);
	return 0;
}
