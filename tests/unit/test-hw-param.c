/* SPDX-License-Identifier: MIT */
/*
 * HW_PARAM_QUERY: the answer is inside the request and never empty while a
 * configuration OPEN would accept lies inside the request.
 */
#include <errno.h>

#include "hw-param.h"
#include "format.h"
#include "test.h"

#define FMT_BIT(x) (UINT64_C(1) << XENSND_PCM_FORMAT_##x)

static void default_hw(struct xsnd_pcm_hw *hw)
{
	uint32_t i;

	memset(hw, 0, sizeof(*hw));
	hw->formats = FMT_BIT(U8) | FMT_BIT(S16_LE);
	for (i = 1; i <= 7; i++)
		hw->rates |= 1u << i;
	hw->rate_continuous = true;
	hw->rate_min = 5512;
	hw->rate_max = 48000;
	hw->channels_min = 1;
	hw->channels_max = 2;
	hw->buffer_bytes_max = 65536;
	hw->period_bytes_min = 64;
	hw->period_bytes_max = 65536;
	hw->periods_min = 2;
	hw->periods_max = 1024;
}

static struct xensnd_query_hw_param wide(void)
{
	struct xensnd_query_hw_param q = {
		.formats = ~UINT64_C(0),
		.rates = { 0, UINT32_MAX },
		.channels = { 0, UINT32_MAX },
		.buffer = { 0, UINT32_MAX },
		.period = { 0, UINT32_MAX },
	};
	return q;
}

static void test_defaults(void)
{
	struct xsnd_pcm_hw hw;
	struct xsnd_limits lim;
	struct xensnd_query_hw_param q = wide(), r;
	struct xsnd_error err = { 0 };

	default_hw(&hw);
	xsnd_limits_init_default(&lim);
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), 0);
	CHECK_EQ(r.formats, FMT_BIT(U8) | FMT_BIT(S16_LE));
	CHECK_EQ(r.rates.min, 5512);
	CHECK_EQ(r.rates.max, 48000);
	CHECK_EQ(r.channels.min, 1);
	CHECK_EQ(r.channels.max, 2);
	/* 128 bytes of the largest frame (S16 stereo) .. 64 KiB of the smallest (U8 mono). */
	CHECK_EQ(r.buffer.min, 32);
	CHECK_EQ(r.buffer.max, 65536);
	CHECK_EQ(r.period.min, 16);
	CHECK_EQ(r.period.max, 32768);

	/* Narrow the request the way ALSA does after choosing S16_LE stereo. */
	q.formats = FMT_BIT(S16_LE);
	q.channels.min = q.channels.max = 2;
	q.rates.min = q.rates.max = 44100;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), 0);
	CHECK_EQ(r.formats, FMT_BIT(S16_LE));
	CHECK_EQ(r.rates.min, 44100);
	CHECK_EQ(r.rates.max, 44100);
	CHECK_EQ(r.buffer.max, 16384);
	CHECK_EQ(r.period.max, 8192);

	/* In place (resp aliases req). */
	q = wide();
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &q, &err), 0);
	CHECK_EQ(q.formats, FMT_BIT(U8) | FMT_BIT(S16_LE));
	CHECK_EQ(q.buffer.max, 65536);
}

static void test_discrete_rates(void)
{
	struct xsnd_pcm_hw hw;
	struct xsnd_limits lim;
	struct xensnd_query_hw_param q = wide(), r;
	struct xsnd_error err = { 0 };

	default_hw(&hw);
	xsnd_limits_init_default(&lim);
	hw.rate_continuous = false;
	hw.rates = (1u << 6) | (1u << 7) | (1u << 11);	/* 44100, 48000, 192000 */
	hw.rate_min = 44100;
	hw.rate_max = 192000;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), 0);
	CHECK_EQ(r.rates.min, 44100);
	CHECK_EQ(r.rates.max, 192000);
	q.rates.min = 44101;
	q.rates.max = 100000;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), 0);
	CHECK_EQ(r.rates.min, 48000);
	CHECK_EQ(r.rates.max, 48000);
	q.rates.min = 45000;
	q.rates.max = 47000;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "45000");
	/* The backend limit removes 192000. */
	lim.rate_max = 96000;
	q = wide();
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), 0);
	CHECK_EQ(r.rates.max, 48000);
}

static void test_empty(void)
{
	struct xsnd_pcm_hw hw;
	struct xsnd_limits lim;
	struct xensnd_query_hw_param q, r;
	struct xsnd_error err = { 0 };

	default_hw(&hw);
	xsnd_limits_init_default(&lim);

	q = wide();
	q.rates.min = 48001;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "rates");
	q = wide();
	q.formats = FMT_BIT(S32_LE);
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "formats");
	q = wide();
	q.formats = 0;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	/* Configured, but PipeWire cannot carry it. */
	hw.formats = FMT_BIT(GSM) | FMT_BIT(MPEG);
	q = wide();
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	default_hw(&hw);
	q = wide();
	q.channels.min = 3;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "channels");
	q = wide();
	q.buffer.max = 31;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "buffer");
	q = wide();
	q.period.min = 32769;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "period");
	/* Degenerate requests: min above max in any dimension. */
	q = wide();
	q.rates.min = 48000;
	q.rates.max = 8000;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	CHECK_HAS(err.msg, "empty request");
	q = wide();
	q.period.min = 2;
	q.period.max = 1;
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
	/* A limit below the smallest possible buffer. */
	lim.buffer_bytes_max = 64;
	q = wide();
	CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &q, &r, &err), -EINVAL);
}

static uint32_t pick_rate(uint64_t *s, const struct xsnd_pcm_hw *hw, const struct xsnd_limits *lim)
{
	uint32_t i, n = 0, list[XSND_N_RATES];

	if (hw->rate_continuous)
		return t_range(s, hw->rate_min > lim->rate_min ? hw->rate_min : lim->rate_min,
				hw->rate_max < lim->rate_max ? hw->rate_max : lim->rate_max);
	for (i = 0; i < XSND_N_RATES; i++)
		if ((hw->rates & (1u << i)) && xsnd_known_rates[i] >= hw->rate_min &&
		    xsnd_known_rates[i] <= hw->rate_max)
			list[n++] = xsnd_known_rates[i];
	return list[t_rand(s) % n];
}

static void below_above(uint64_t *s, uint32_t v, uint32_t *lo, uint32_t *hi)
{
	*lo = t_rand(s) % 4 == 0 ? 0 : t_range(s, 0, v);
	*hi = t_rand(s) % 4 == 0 ? UINT32_MAX : t_range(s, v, v + (UINT32_MAX - v) / (1 + (uint32_t)(t_rand(s) % 1000)));
}

/*
 * Property: pick a random stream config and a random configuration OPEN
 * accepts for it (the OPEN check is the judge), then a random request that
 * contains it. The answer must succeed, be inside the request and still
 * contain the configuration.
 */
static void test_property(void)
{
	static const uint8_t fmts[] = {
		XENSND_PCM_FORMAT_U8, XENSND_PCM_FORMAT_S16_LE, XENSND_PCM_FORMAT_S24_BE,
		XENSND_PCM_FORMAT_F64_LE, XENSND_PCM_FORMAT_MU_LAW, XENSND_PCM_FORMAT_S32_LE,
		XENSND_PCM_FORMAT_GSM,
	};
	uint64_t seed = 0x1234567;
	uint32_t iter, hits = 0;

	for (iter = 0; iter < 200000; iter++) {
		struct xsnd_stream_config cfg = { .type = XSND_STREAM_PLAYBACK };
		struct xsnd_pcm_hw *hw = &cfg.hw;
		struct xsnd_limits lim;
		struct xensnd_query_hw_param q, r;
		struct xsnd_error err = { 0 };
		struct xensnd_req open = { .operation = XENSND_OP_OPEN };
		struct xsnd_request out;
		uint32_t i, frame, frames, pframes, fmt;
		int res;

		default_hw(hw);
		xsnd_limits_init_default(&lim);
		hw->formats = 0;
		for (i = 0; i < sizeof(fmts); i++)
			if (t_rand(&seed) % 2)
				hw->formats |= UINT64_C(1) << fmts[i];
		if ((hw->formats & xsnd_format_supported_mask()) == 0)
			continue;
		if (t_rand(&seed) % 2) {
			hw->rate_continuous = false;
			hw->rates = (uint32_t)t_rand(&seed) & 0xfff;
			if (hw->rates == 0)
				continue;
			for (i = 0; !(hw->rates & (1u << i)); i++)
				;
			hw->rate_min = xsnd_known_rates[i];
			for (i = XSND_N_RATES - 1; !(hw->rates & (1u << i)); i--)
				;
			hw->rate_max = xsnd_known_rates[i];
		}
		hw->channels_min = t_range(&seed, 1, 8);
		hw->channels_max = t_range(&seed, hw->channels_min, 70);
		if (t_rand(&seed) % 2) {
			hw->buffer_bytes_max = t_range(&seed, 128, 1 << 22);
			hw->period_bytes_max = hw->buffer_bytes_max;
			hw->periods_max = hw->buffer_bytes_max / 64;
		}
		if (t_rand(&seed) % 4 == 0)
			lim.buffer_bytes_max = t_range(&seed, 128, 1 << 20);

		/* A configuration ALSA could choose. */
		do
			fmt = fmts[t_rand(&seed) % sizeof(fmts)];
		while (!(hw->formats & xsnd_format_supported_mask() & (UINT64_C(1) << fmt)));
		open.op.open.pcm_format = (uint8_t)fmt;
		open.op.open.pcm_rate = pick_rate(&seed, hw, &lim);
		open.op.open.pcm_channels = (uint8_t)t_range(&seed, hw->channels_min,
				hw->channels_max < lim.channels_max ? hw->channels_max : lim.channels_max);
		frame = xsnd_format_get(fmt)->sample_bytes * open.op.open.pcm_channels;
		{
			uint32_t cap = hw->buffer_bytes_max < lim.buffer_bytes_max ?
				hw->buffer_bytes_max : lim.buffer_bytes_max;
			uint32_t fmin = (128 + frame - 1) / frame, fmax = cap / frame;
			if (fmin > fmax)
				continue;
			frames = t_range(&seed, fmin, fmax);
		}
		{
			uint32_t pmin = (64 + frame - 1) / frame, pmax = frames / 2;
			if (pmin > pmax)
				continue;
			pframes = t_range(&seed, pmin, pmax);
		}
		open.op.open.buffer_sz = frames * frame;
		open.op.open.period_sz = pframes * frame;
		open.op.open.gref_directory = 1;
		res = xsnd_request_check(&cfg, &lim, XSND_STATE_CLOSED, NULL, &open, &out, &err);
		if (res != 0) {
			fprintf(stderr, "iter %u: OPEN refused: %s\n", iter, err.msg);
			t_fail(__FILE__, __LINE__, "generated configuration is valid");
		}

		q.formats = (t_rand(&seed) | t_rand(&seed)) | (UINT64_C(1) << fmt);
		below_above(&seed, open.op.open.pcm_rate, &q.rates.min, &q.rates.max);
		below_above(&seed, open.op.open.pcm_channels, &q.channels.min, &q.channels.max);
		below_above(&seed, frames, &q.buffer.min, &q.buffer.max);
		below_above(&seed, pframes, &q.period.min, &q.period.max);

		res = xsnd_hw_param_refine(hw, &lim, &q, &r, &err);
		if (res != 0) {
			fprintf(stderr, "iter %u: %s\n", iter, err.msg);
			t_fail(__FILE__, __LINE__, "query containing a valid configuration succeeds");
		}
		CHECK((r.formats & ~q.formats) == 0);
		CHECK(r.formats & (UINT64_C(1) << fmt));
		CHECK(q.rates.min <= r.rates.min && r.rates.min <= open.op.open.pcm_rate);
		CHECK(open.op.open.pcm_rate <= r.rates.max && r.rates.max <= q.rates.max);
		CHECK(q.channels.min <= r.channels.min && r.channels.min <= open.op.open.pcm_channels);
		CHECK(open.op.open.pcm_channels <= r.channels.max && r.channels.max <= q.channels.max);
		CHECK(q.buffer.min <= r.buffer.min && r.buffer.min <= frames);
		CHECK(frames <= r.buffer.max && r.buffer.max <= q.buffer.max);
		CHECK(q.period.min <= r.period.min && r.period.min <= pframes);
		CHECK(pframes <= r.period.max && r.period.max <= q.period.max);
		hits++;
	}
	CHECK(hits > 50000);
}

/* Any request at all: either an error, or an answer inside the request. */
static void test_random_requests(void)
{
	uint64_t seed = 42;
	uint32_t iter;

	for (iter = 0; iter < 200000; iter++) {
		struct xsnd_pcm_hw hw;
		struct xsnd_limits lim;
		struct xensnd_query_hw_param q, r;
		struct xsnd_error err = { 0 };
		uint32_t *w = (uint32_t *)&q;
		size_t i;

		default_hw(&hw);
		xsnd_limits_init_default(&lim);
		for (i = 0; i < sizeof(q) / 4; i++) {
			uint32_t v = (uint32_t)t_rand(&seed);
			w[i] = t_rand(&seed) % 2 ? v % 70000 : v;
		}
		if (xsnd_hw_param_refine(&hw, &lim, &q, &r, &err) < 0) {
			CHECK(err.msg[0] != '\0');
			continue;
		}
		CHECK(r.formats != 0 && (r.formats & ~q.formats) == 0);
		CHECK(q.rates.min <= r.rates.min && r.rates.min <= r.rates.max && r.rates.max <= q.rates.max);
		CHECK(q.channels.min <= r.channels.min && r.channels.min <= r.channels.max &&
				r.channels.max <= q.channels.max);
		CHECK(q.buffer.min <= r.buffer.min && r.buffer.min <= r.buffer.max && r.buffer.max <= q.buffer.max);
		CHECK(q.period.min <= r.period.min && r.period.min <= r.period.max && r.period.max <= q.period.max);
		/* Refining the answer again changes nothing. */
		{
			struct xensnd_query_hw_param r2;
			CHECK_EQ(xsnd_hw_param_refine(&hw, &lim, &r, &r2, &err), 0);
			CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
		}
	}
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_discrete_rates);
	RUN(test_empty);
	RUN(test_property);
	RUN(test_random_requests);
	return 0;
}
