/* SPDX-License-Identifier: MIT */
/*
 * Card configuration read from the frontend's xenstore tree
 * (<fe>/..., <fe>/<pcm>/..., <fe>/<pcm>/<stream>/...), with the inheritance
 * rules, defaults and limits of Linux's xen_snd_front_cfg.c. All of it is
 * written by libxl in a directory the guest owns: hostile input.
 */
#ifndef XSND_CARD_CONFIG_H
#define XSND_CARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sndif.h"
#include "xsnd-error.h"

#define XSND_N_RATES		12u
#define XSND_SHORT_NAME_MAX	32u
#define XSND_LONG_NAME_MAX	80u
#define XSND_PCM_NAME_MAX	80u
#define XSND_UNIQUE_ID_MAX	127u
#define XSND_VALUE_MAX		1024u	/* longest xenstore value we accept */
#define XSND_CONFIG_WARNINGS_MAX	4u	/* warnings kept; all are counted */

/* The 12 rates Linux recognises, ascending. */
extern const uint32_t xsnd_known_rates[XSND_N_RATES];

/* Linux defaults (xen_snd_front_cfg.c) when a key is absent everywhere. */
#define XSND_DEFAULT_RATE_MIN		5512u
#define XSND_DEFAULT_RATE_MAX		48000u
#define XSND_DEFAULT_CHANNELS_MIN	1u
#define XSND_DEFAULT_CHANNELS_MAX	2u
#define XSND_DEFAULT_BUFFER_BYTES_MAX	(64u * 1024u)
#define XSND_PERIOD_BYTES_MIN		64u
#define XSND_PERIODS_MIN		2u

/* What a level of the tree allows; lower levels inherit, then override. */
struct xsnd_pcm_hw {
	uint64_t formats;		/* 1 << XENSND_PCM_FORMAT_x */
	uint32_t rates;			/* bit i = xsnd_known_rates[i] */
	bool rate_continuous;		/* Linux default only: any rate in [rate_min, rate_max] */
	uint32_t rate_min, rate_max;
	uint32_t channels_min, channels_max;
	uint32_t buffer_bytes_max;
	uint32_t period_bytes_min, period_bytes_max;
	uint32_t periods_min, periods_max;
};

enum xsnd_stream_type {
	XSND_STREAM_PLAYBACK,
	XSND_STREAM_CAPTURE,
};

struct xsnd_stream_config {
	enum xsnd_stream_type type;
	uint32_t pcm;			/* PCM device index */
	uint32_t stream;		/* stream index inside the PCM device */
	uint32_t index;			/* card-wide contiguous index, xenstore order */
	bool has_unique_id;
	char unique_id[XSND_UNIQUE_ID_MAX + 1];
	struct xsnd_pcm_hw hw;
};

struct xsnd_pcm_config {
	char name[XSND_PCM_NAME_MAX + 1];
	uint32_t n_streams;
	struct xsnd_stream_config streams[XSND_MAX_STREAMS_PER_PCM];
	struct xsnd_pcm_hw hw;
};

struct xsnd_card_config {
	char short_name[XSND_SHORT_NAME_MAX + 1];
	char long_name[XSND_LONG_NAME_MAX + 1];
	struct xsnd_pcm_hw hw;
	uint32_t n_pcms;
	uint32_t n_streams;		/* total over all PCM devices */
	struct xsnd_pcm_config pcms[XSND_MAX_PCMS];
	/* Values Linux tolerates (it ignores or clamps them), so we do the
	 * same to offer what the guest's driver believes it has, and say so. */
	uint32_t n_warnings;
	char warnings[XSND_CONFIG_WARNINGS_MAX][XSND_ERROR_MSG_MAX];
};

/*
 * Reads one xenstore value at an absolute path into buf (size bytes,
 * NUL terminated). Returns the value length, -ENOENT if the key does not
 * exist, -E2BIG if it does not fit or holds a NUL byte (buf then holds a
 * NUL terminated prefix of the value, for the error message), or another
 * negative errno.
 */
typedef int (*xsnd_read_func_t)(void *data, const char *path, char *buf, size_t size);

/* Parses the whole card below fe_path. Returns 0 (cfg->warnings may say
 * what was ignored or clamped) or a negative errno with err set. */
int xsnd_card_config_parse(struct xsnd_card_config *cfg, const char *fe_path,
		xsnd_read_func_t read, void *data, struct xsnd_error *err);

/* Transport keys of one stream, written by the frontend before Initialised. */
struct xsnd_stream_transport {
	uint32_t ring_ref;		/* grant of the request ring page */
	uint32_t evtchn;		/* remote port of the request ring */
	uint32_t evt_ring_ref;		/* grant of the event page */
	uint32_t evt_evtchn;		/* remote port of the event page */
};

int xsnd_stream_transport_parse(struct xsnd_stream_transport *t, const char *fe_path,
		const struct xsnd_stream_config *s,
		xsnd_read_func_t read, void *data, struct xsnd_error *err);

/* Parses a decimal u32 in [min, max]; "key" is used in the error message. */
int xsnd_parse_u32(const char *key, const char *value, uint32_t min, uint32_t max,
		uint32_t *out, struct xsnd_error *err);

#endif
