/* SPDX-License-Identifier: MIT */
/*
 * HW_PARAM_QUERY. Linux's alsa_hw_rule() refines each ALSA parameter with
 * [resp.min, resp.max] (snd_interval_refine) and the formats with
 * snd_mask_refine; both fail with -EINVAL when the result is empty. So each
 * dimension of the answer is the request intersected with a superset of
 * what we can really open: never empty while a valid configuration exists,
 * always inside the request. ALSA's own rules narrow the rest.
 */
#include <errno.h>
#include <string.h>

#include "hw-param.h"
#include "format.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static int intersect(const char *what, uint32_t req_min, uint32_t req_max,
		uint32_t lo, uint32_t hi, uint32_t *out_min, uint32_t *out_max,
		struct xsnd_error *err)
{
	uint32_t a = MAX(req_min, lo), b = MIN(req_max, hi);

	if (a > b)
		return xsnd_error_set(err, -EINVAL,
				"HW_PARAM_QUERY: %s [%u, %u] outside supported [%u, %u]",
				what, req_min, req_max, lo, hi);
	*out_min = a;
	*out_max = b;
	return 0;
}

static int refine_rates(const struct xsnd_pcm_hw *hw, const struct xsnd_limits *lim,
		const struct xensnd_query_hw_param *req, struct xensnd_query_hw_param *resp,
		struct xsnd_error *err)
{
	uint32_t lo = MAX(hw->rate_min, lim->rate_min);
	uint32_t hi = MIN(hw->rate_max, lim->rate_max);
	uint32_t i, a = 0, b = 0;
	bool found = false;

	if (hw->rate_continuous)
		return intersect("rates", req->rates.min, req->rates.max, lo, hi,
				&resp->rates.min, &resp->rates.max, err);

	/* Discrete rates: tighten to the allowed rates inside the window, so
	 * the answer's ends are rates OPEN will accept. */
	lo = MAX(lo, req->rates.min);
	hi = MIN(hi, req->rates.max);
	for (i = 0; i < XSND_N_RATES; i++) {
		uint32_t r = xsnd_known_rates[i];
		if (!(hw->rates & (1u << i)) || r < lo || r > hi)
			continue;
		if (!found)
			a = r;
		b = r;
		found = true;
	}
	if (!found)
		return xsnd_error_set(err, -EINVAL,
				"HW_PARAM_QUERY: no configured rate in [%u, %u]",
				req->rates.min, req->rates.max);
	resp->rates.min = a;
	resp->rates.max = b;
	return 0;
}

int xsnd_hw_param_refine(const struct xsnd_pcm_hw *hw,
		const struct xsnd_limits *lim,
		const struct xensnd_query_hw_param *req,
		struct xensnd_query_hw_param *resp,
		struct xsnd_error *err)
{
	struct xensnd_query_hw_param q = *req;	/* req may alias resp */
	uint32_t smin = UINT32_MAX, smax = 0, fmin, fmax, cap, i;
	uint64_t formats;
	int res;

	memset(resp, 0, sizeof(*resp));

	if (q.rates.min > q.rates.max || q.channels.min > q.channels.max ||
	    q.buffer.min > q.buffer.max || q.period.min > q.period.max)
		return xsnd_error_set(err, -EINVAL,
				"HW_PARAM_QUERY: empty request range (rates %u-%u channels %u-%u buffer %u-%u period %u-%u)",
				q.rates.min, q.rates.max, q.channels.min, q.channels.max,
				q.buffer.min, q.buffer.max, q.period.min, q.period.max);

	formats = q.formats & hw->formats & xsnd_format_supported_mask();
	if (formats == 0)
		return xsnd_error_set(err, -EINVAL,
				"HW_PARAM_QUERY: formats 0x%llx: none configured and supported (0x%llx)",
				(unsigned long long)q.formats,
				(unsigned long long)(hw->formats & xsnd_format_supported_mask()));
	resp->formats = formats;
	for (i = 0; i < 64; i++) {
		const struct xsnd_format_info *f;
		if (!(formats & (UINT64_C(1) << i)) || (f = xsnd_format_get(i)) == NULL)
			continue;
		smin = MIN(smin, f->sample_bytes);
		smax = MAX(smax, f->sample_bytes);
	}

	if ((res = refine_rates(hw, lim, &q, resp, err)) < 0)
		return res;
	if ((res = intersect("channels", q.channels.min, q.channels.max,
			MAX(hw->channels_min, 1u), MIN(MIN(hw->channels_max, lim->channels_max), 255u),
			&resp->channels.min, &resp->channels.max, err)) < 0)
		return res;

	/* Byte limits to frames: the smallest frame gives the most frames. */
	fmin = smin * resp->channels.min;
	fmax = smax * resp->channels.max;
	cap = MIN(hw->buffer_bytes_max, lim->buffer_bytes_max);
	if ((uint64_t)hw->period_bytes_min * hw->periods_min > cap)
		return xsnd_error_set(err, -EINVAL,
				"HW_PARAM_QUERY: buffer cap %u below %u periods of %u bytes",
				cap, hw->periods_min, hw->period_bytes_min);

	if ((res = intersect("buffer frames", q.buffer.min, q.buffer.max,
			MAX(1u, (uint32_t)(((uint64_t)hw->period_bytes_min * hw->periods_min + fmax - 1) / fmax)),
			cap / fmin,
			&resp->buffer.min, &resp->buffer.max, err)) < 0)
		return res;
	if ((res = intersect("period frames", q.period.min, q.period.max,
			MAX(1u, (hw->period_bytes_min + fmax - 1) / fmax),
			MIN(hw->period_bytes_max, cap / MAX(hw->periods_min, 1u)) / fmin,
			&resp->period.min, &resp->period.max, err)) < 0)
		return res;
	return 0;
}
