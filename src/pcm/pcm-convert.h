/* SPDX-License-Identifier: MIT */
/*
 * Sample conversion between every sndif PCM format and interleaved float32.
 *
 * The module hands the graph float32 and does this one conversion pass
 * itself, straight between the guest's granted pages and the graph's
 * buffer. Owning this pass lets it sanitize what a guest sends (NaN, Inf and
 * out-of-range floats would otherwise reach the host mix and silence every
 * other VM) and apply the guest's own volume in the same loop. Each source
 * sample is loaded exactly once, so a guest rewriting its pages under us can
 * only change the sound it gets, never our control flow.
 *
 * Real-time safe: no allocation, no system calls. Pure C.
 */
#ifndef XSND_PCM_CONVERT_H
#define XSND_PCM_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

/* n_samples = frames * channels. src/dst may be unaligned. */
typedef void (*xsnd_pcm_to_f32_func_t)(float *dst, const void *src, uint32_t n_samples);
typedef void (*xsnd_pcm_from_f32_func_t)(void *dst, const float *src, uint32_t n_samples);

struct xsnd_pcm_convert {
	uint8_t format;			/* XENSND_PCM_FORMAT_* */
	uint32_t sample_bytes;
	xsnd_pcm_to_f32_func_t to_f32;
	xsnd_pcm_from_f32_func_t from_f32;
};

/* NULL for formats that are not plain PCM (IEC958, ADPCM, MPEG, GSM) or unknown. */
const struct xsnd_pcm_convert *xsnd_pcm_convert_get(uint32_t sndif_format);

/* Scales interleaved frames by a per-channel gain (gain[c], c < channels). */
void xsnd_pcm_apply_gain(float *buf, uint32_t n_frames, uint32_t channels, const float *gain);

/* sndif volume unit (0.001 dB) to a linear gain in [0, 1]: a guest can only
 * attenuate; <= -100 dB is 0. */
float xsnd_pcm_gain_from_millidb(int32_t millidb);

#endif
