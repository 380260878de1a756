/* SPDX-License-Identifier: MIT */
/*
 * Sample formats of the guest application, the test signals it plays
 * (counter pattern, tone, WAV file) and the WAV writer used for capture.
 * The counter pattern is shared with the test backends, which check it.
 */
#ifndef VG_AUDIO_H
#define VG_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Companding of the 8-bit G.711 formats. */
enum vg_law { VG_LAW_NONE, VG_LAW_MU, VG_LAW_A };

struct vg_format {
	uint8_t sndif;		/* XENSND_PCM_FORMAT_* */
	const char *name;	/* sndif name */
	uint8_t width;		/* bytes per sample in memory */
	uint8_t bits;		/* significant bits */
	bool is_signed, is_float, big_endian;
	enum vg_law law;	/* mu_law, a_law: the pattern is the raw byte */
};

/* NULL if the name is unknown or the format carries no samples (IEC958,
 * ADPCM, MPEG, GSM). */
const struct vg_format *vg_format_by_name(const char *name);
const struct vg_format *vg_format_get(uint32_t sndif);

/*
 * Counter pattern: sample (frame, channel) carries the running interleaved
 * sample index frame * channels + channel, truncated to the format's bits
 * (floats: index modulo 2^24 divided by 2^24, exact in float and double).
 */
void vg_pattern_fill(const struct vg_format *f, uint32_t channels, uint64_t first_frame,
		uint32_t frames, void *dst);
/*
 * Checks frames of pattern starting at first_frame. Returns the index of the
 * first wrong frame, or -1 if all are right.
 */
int64_t vg_pattern_check(const struct vg_format *f, uint32_t channels, uint64_t first_frame,
		uint32_t frames, const void *src);

/* Encodes / decodes one sample, x in [-1, 1]. */
void vg_sample_put(const struct vg_format *f, void *dst, double x);
double vg_sample_get(const struct vg_format *f, const void *src);

/* A mono-or-multichannel source of normalized samples. */
struct vg_wav {
	FILE *f;
	uint32_t rate, channels;
	const struct vg_format *format;	/* format of the file's data */
	uint64_t frames;		/* whole frames in the data chunk */
	long data_start;		/* file offset of the samples */
	uint64_t data_left;		/* bytes */
	uint64_t frames_written;	/* writer */
	bool writing;
};

/*
 * Opens a WAV file for reading and checks its header: rate, channels and a
 * format aplay would choose (PCM 8/16/24-in-32/32 bit, float 32/64, A-law,
 * mu-law, also as WAVE_FORMAT_EXTENSIBLE). Returns -errno with err set
 * ("PATH: what is wrong") for anything else or anything inconsistent.
 */
int vg_wav_open_read(struct vg_wav *w, const char *path, char *err, size_t err_size);
/* Back to the first frame. */
int vg_wav_rewind(struct vg_wav *w);
/* Reads up to frames frames, converting to (channels, format) unless they
 * are the file's own (then byte-exact); 0 at end. */
uint32_t vg_wav_read(struct vg_wav *w, const struct vg_format *fmt, uint32_t channels,
		uint32_t frames, void *dst);
int vg_wav_open_write(struct vg_wav *w, const char *path, const struct vg_format *fmt,
		uint32_t rate, uint32_t channels);
int vg_wav_write(struct vg_wav *w, const void *data, uint32_t frames);
int vg_wav_close(struct vg_wav *w);

#endif
