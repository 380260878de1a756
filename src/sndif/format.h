/* SPDX-License-Identifier: MIT */
/* sndif PCM formats and their PipeWire (SPA) equivalents. */
#ifndef XSND_FORMAT_H
#define XSND_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

struct xsnd_format_info {
	uint8_t sndif;		/* XENSND_PCM_FORMAT_* */
	const char *name;	/* sndif string, e.g. "s16_le" */
	uint32_t spa_format;	/* enum spa_audio_format, SPA_AUDIO_FORMAT_UNKNOWN if PipeWire cannot carry it */
	uint32_t sample_bytes;	/* bytes per sample in the shared buffer (0 if not PCM) */
	bool is_float;
};

/* Returns NULL for values outside the sndif enum. */
const struct xsnd_format_info *xsnd_format_get(uint32_t sndif_format);
/* Case-insensitive lookup of a sndif format name; NULL if unknown. */
const struct xsnd_format_info *xsnd_format_by_name(const char *name);
/* True if PipeWire can carry the format (it has an SPA audio format). */
bool xsnd_format_supported(uint32_t sndif_format);
/* Bit mask (1 << XENSND_PCM_FORMAT_x) of every supported format. */
uint64_t xsnd_format_supported_mask(void);

#endif
