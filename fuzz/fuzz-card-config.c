/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for xsnd_card_config_parse() and
 * xsnd_stream_transport_parse(). Input: a fake frontend xenstore tree as
 * text, one "relative/path=value" per line (e.g. "0/0/type=p"). Besides
 * memory errors it checks the invariants the module relies on.
 */
#include <stdio.h>
#include <stdlib.h>

#include "card-config.h"
#include "hw-param.h"
#include "fake-xenstore.h"

#define FE "/fe"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASSERT(c) do { if (!(c)) { fprintf(stderr, "invariant: %s\n", #c); abort(); } } while (0)

static void check_hw(const struct xsnd_pcm_hw *hw)
{
	ASSERT(hw->formats != 0);
	ASSERT(hw->rate_continuous || hw->rates != 0);
	ASSERT(hw->rate_min <= hw->rate_max);
	ASSERT(hw->channels_min >= 1 && hw->channels_min <= hw->channels_max);
	ASSERT(hw->channels_max <= 255);
	ASSERT(hw->buffer_bytes_max >= 128);
	ASSERT(hw->period_bytes_max == hw->buffer_bytes_max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake_xs xs;
	struct xsnd_card_config cfg;
	struct xsnd_error err = { 0 };
	char *text, *line, *save = NULL, *paths[FAKE_XS_MAX];
	size_t n_paths = 0, i;
	uint32_t p, s, index = 0;
	int res;

	if (size > 64 * 1024)
		return 0;
	memset(&xs, 0, sizeof(xs));
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	for (line = strtok_r(text, "\n", &save); line && n_paths < FAKE_XS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (asprintf(&paths[n_paths], FE "/%s", line) < 0)
			abort();
		fake_xs_set(&xs, paths[n_paths++], eq + 1);
	}

	res = xsnd_card_config_parse(&cfg, FE, fake_xs_read, &xs, &err);
	if (res < 0) {
		ASSERT(err.res == res);
		ASSERT(err.msg[0] != '\0');
		ASSERT(cfg.n_pcms == 0);
		goto out;
	}
	ASSERT(res == 0);
	ASSERT(cfg.n_pcms >= 1 && cfg.n_pcms <= XSND_MAX_PCMS);
	ASSERT(cfg.n_streams >= 1 && cfg.n_streams <= XSND_MAX_STREAMS);
	for (i = 0; i < cfg.n_warnings && i < XSND_CONFIG_WARNINGS_MAX; i++)
		ASSERT(memchr(cfg.warnings[i], '\0', XSND_ERROR_MSG_MAX) != NULL);
	check_hw(&cfg.hw);
	for (p = 0; p < cfg.n_pcms; p++) {
		const struct xsnd_pcm_config *pcm = &cfg.pcms[p];
		ASSERT(pcm->n_streams <= XSND_MAX_STREAMS_PER_PCM);	/* 0: an empty PCM */
		ASSERT(strlen(pcm->name) <= XSND_PCM_NAME_MAX);
		check_hw(&pcm->hw);
		for (s = 0; s < pcm->n_streams; s++) {
			const struct xsnd_stream_config *st = &pcm->streams[s];
			struct xsnd_stream_transport t;
			struct xsnd_limits lim;
			struct xensnd_query_hw_param q = {
				.formats = ~UINT64_C(0), .rates = { 0, UINT32_MAX },
				.channels = { 0, UINT32_MAX }, .buffer = { 0, UINT32_MAX },
				.period = { 0, UINT32_MAX },
			}, r;

			ASSERT(st->pcm == p && st->stream == s && st->index == index++);
			ASSERT(!st->has_unique_id || strlen(st->unique_id) <= XSND_UNIQUE_ID_MAX);
			check_hw(&st->hw);
			res = xsnd_stream_transport_parse(&t, FE, st, fake_xs_read, &xs, &err);
			ASSERT(res <= 0);
			if (res == 0)
				ASSERT(t.ring_ref && t.evtchn && t.evt_ring_ref && t.evt_evtchn);
			xsnd_limits_init_default(&lim);
			if (xsnd_hw_param_refine(&st->hw, &lim, &q, &r, &err) == 0)
				ASSERT(r.formats && r.rates.min <= r.rates.max &&
						r.channels.min <= r.channels.max &&
						r.buffer.min <= r.buffer.max && r.period.min <= r.period.max);
		}
	}
	ASSERT(index == cfg.n_streams);
out:
	for (i = 0; i < n_paths; i++)
		free(paths[i]);
	free(text);
	return 0;
}
