/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>

#include "../sndif/sndif.h"
#include "pcm-convert.h"

/* Loads go through memcpy: unaligned-safe and exactly one read per sample. */
static inline uint16_t ld16(const uint8_t *p, bool be)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return be ? __builtin_bswap16(v) : v;
}
static inline uint32_t ld32(const uint8_t *p, bool be)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be ? __builtin_bswap32(v) : v;
}
static inline uint64_t ld64(const uint8_t *p, bool be)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be ? __builtin_bswap64(v) : v;
}
static inline void st16(uint8_t *p, uint16_t v, bool be)
{
	if (be)
		v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
}
static inline void st32(uint8_t *p, uint32_t v, bool be)
{
	if (be)
		v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}
static inline void st64(uint8_t *p, uint64_t v, bool be)
{
	if (be)
		v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

/* A guest float may be anything: NaN and Inf become silence, the rest is
 * clipped to full scale. */
static inline float sanitize(double v)
{
	if (!(v == v) || isinf(v))
		return 0.0f;
	if (v > 1.0)
		return 1.0f;
	if (v < -1.0)
		return -1.0f;
	return (float)v;
}

/* float -> integer of `bits` bits, clipped, rounded to nearest. */
static inline int32_t quantize(float v, uint32_t bits)
{
	const double scale = (double)(1u << (bits - 1));
	double s = (double)sanitize(v) * scale;
	s = s < 0 ? s - 0.5 : s + 0.5;
	if (s >= scale - 1.0)
		return (int32_t)(scale - 1.0);
	if (s <= -scale)
		return (int32_t)-scale;
	return (int32_t)s;
}

static void s8_to_f32(float *d, const void *src, uint32_t n)
{
	const int8_t *s = src;
	for (uint32_t i = 0; i < n; i++)
		d[i] = s[i] / 128.0f;
}
static void s8_from_f32(void *dst, const float *s, uint32_t n)
{
	int8_t *d = dst;
	for (uint32_t i = 0; i < n; i++)
		d[i] = (int8_t)quantize(s[i], 8);
}
static void u8_to_f32(float *d, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	for (uint32_t i = 0; i < n; i++)
		d[i] = ((int)s[i] - 128) / 128.0f;
}
static void u8_from_f32(void *dst, const float *s, uint32_t n)
{
	uint8_t *d = dst;
	for (uint32_t i = 0; i < n; i++)
		d[i] = (uint8_t)(quantize(s[i], 8) + 128);
}

#define DEFINE_INT16(name, be, sgn)						\
static void name##_to_f32(float *d, const void *src, uint32_t n)		\
{										\
	const uint8_t *s = src;							\
	for (uint32_t i = 0; i < n; i++, s += 2) {				\
		uint16_t v = ld16(s, be);					\
		d[i] = (sgn ? (int16_t)v : (int32_t)v - 32768) / 32768.0f;	\
	}									\
}										\
static void name##_from_f32(void *dst, const float *s, uint32_t n)		\
{										\
	uint8_t *d = dst;							\
	for (uint32_t i = 0; i < n; i++, d += 2) {				\
		int32_t v = quantize(s[i], 16);					\
		st16(d, (uint16_t)(sgn ? v : v + 32768), be);			\
	}									\
}
DEFINE_INT16(s16le, false, true)
DEFINE_INT16(s16be, true, true)
DEFINE_INT16(u16le, false, false)
DEFINE_INT16(u16be, true, false)

/* 24 bits in the low three bytes of a 32-bit container (ALSA S24_LE). */
#define DEFINE_INT24(name, be, sgn)						\
static void name##_to_f32(float *d, const void *src, uint32_t n)		\
{										\
	const uint8_t *s = src;							\
	for (uint32_t i = 0; i < n; i++, s += 4) {				\
		uint32_t v = ld32(s, be) & 0xffffffu;				\
		int32_t x = sgn ? (int32_t)(v << 8) >> 8 : (int32_t)v - 0x800000; \
		d[i] = x / 8388608.0f;						\
	}									\
}										\
static void name##_from_f32(void *dst, const float *s, uint32_t n)		\
{										\
	uint8_t *d = dst;							\
	for (uint32_t i = 0; i < n; i++, d += 4) {				\
		int32_t v = quantize(s[i], 24);					\
		st32(d, (uint32_t)(sgn ? v : v + 0x800000) & 0xffffffu, be);	\
	}									\
}
DEFINE_INT24(s24le, false, true)
DEFINE_INT24(s24be, true, true)
DEFINE_INT24(u24le, false, false)
DEFINE_INT24(u24be, true, false)

#define DEFINE_INT32(name, be, sgn)						\
static void name##_to_f32(float *d, const void *src, uint32_t n)		\
{										\
	const uint8_t *s = src;							\
	for (uint32_t i = 0; i < n; i++, s += 4) {				\
		uint32_t v = ld32(s, be);					\
		double x = sgn ? (double)(int32_t)v : (double)v - 2147483648.0;	\
		d[i] = (float)(x / 2147483648.0);				\
	}									\
}										\
static void name##_from_f32(void *dst, const float *s, uint32_t n)		\
{										\
	uint8_t *d = dst;							\
	for (uint32_t i = 0; i < n; i++, d += 4) {				\
		int64_t v = quantize(s[i], 32);					\
		st32(d, (uint32_t)(sgn ? v : v + 2147483648LL), be);		\
	}									\
}
DEFINE_INT32(s32le, false, true)
DEFINE_INT32(s32be, true, true)
DEFINE_INT32(u32le, false, false)
DEFINE_INT32(u32be, true, false)

#define DEFINE_FLOAT(name, be)							\
static void name##_to_f32(float *d, const void *src, uint32_t n)		\
{										\
	const uint8_t *s = src;							\
	for (uint32_t i = 0; i < n; i++, s += 4) {				\
		uint32_t v = ld32(s, be);					\
		float f;							\
		memcpy(&f, &v, 4);						\
		d[i] = sanitize(f);						\
	}									\
}										\
static void name##_from_f32(void *dst, const float *s, uint32_t n)		\
{										\
	uint8_t *d = dst;							\
	for (uint32_t i = 0; i < n; i++, d += 4) {				\
		float f = sanitize(s[i]);					\
		uint32_t v;							\
		memcpy(&v, &f, 4);						\
		st32(d, v, be);							\
	}									\
}
DEFINE_FLOAT(f32le, false)
DEFINE_FLOAT(f32be, true)

#define DEFINE_DOUBLE(name, be)							\
static void name##_to_f32(float *d, const void *src, uint32_t n)		\
{										\
	const uint8_t *s = src;							\
	for (uint32_t i = 0; i < n; i++, s += 8) {				\
		uint64_t v = ld64(s, be);					\
		double f;							\
		memcpy(&f, &v, 8);						\
		d[i] = sanitize(f);						\
	}									\
}										\
static void name##_from_f32(void *dst, const float *s, uint32_t n)		\
{										\
	uint8_t *d = dst;							\
	for (uint32_t i = 0; i < n; i++, d += 8) {				\
		double f = sanitize(s[i]);					\
		uint64_t v;							\
		memcpy(&v, &f, 8);						\
		st64(d, v, be);							\
	}									\
}
DEFINE_DOUBLE(f64le, false)
DEFINE_DOUBLE(f64be, true)

/*
 * G.711 companding, written from the ITU-T G.711 description: a sign bit,
 * a 3-bit segment (exponent) and a 4-bit step; mu-law is biased by 0x84 and
 * stored inverted, A-law stored with even bits inverted.
 */
static int16_t ulaw_decode(uint8_t u)
{
	u = ~u;
	int t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}
static uint8_t ulaw_encode(int16_t pcm)
{
	int v = pcm, sign = 0;
	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > 32635)
		v = 32635;
	v += 0x84;
	int seg = 7;
	for (int mask = 0x4000; seg > 0 && !(v & mask); mask >>= 1)
		seg--;
	return (uint8_t)~(sign | (seg << 4) | ((v >> (seg + 3)) & 0x0f));
}
static int16_t alaw_decode(uint8_t a)
{
	a ^= 0x55;
	int seg = (a & 0x70) >> 4;
	int t = (a & 0x0f) << 4;
	t = seg == 0 ? t + 8 : (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}
static uint8_t alaw_encode(int16_t pcm)
{
	/* 12-bit magnitude; segment s >= 1 covers [32 << (s - 1), 32 << s). */
	int m = (pcm < 0 ? -(int)pcm - 1 : pcm) >> 3;
	int seg = 0;
	while (seg < 7 && m >= (32 << seg))
		seg++;
	int mant = seg == 0 ? m >> 1 : (m >> seg) & 0x0f;
	return (uint8_t)(((pcm < 0 ? 0 : 0x80) | (seg << 4) | mant) ^ 0x55);
}

static void ulaw_to_f32(float *d, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	for (uint32_t i = 0; i < n; i++)
		d[i] = ulaw_decode(s[i]) / 32768.0f;
}
static void ulaw_from_f32(void *dst, const float *s, uint32_t n)
{
	uint8_t *d = dst;
	for (uint32_t i = 0; i < n; i++)
		d[i] = ulaw_encode((int16_t)quantize(s[i], 16));
}
static void alaw_to_f32(float *d, const void *src, uint32_t n)
{
	const uint8_t *s = src;
	for (uint32_t i = 0; i < n; i++)
		d[i] = alaw_decode(s[i]) / 32768.0f;
}
static void alaw_from_f32(void *dst, const float *s, uint32_t n)
{
	uint8_t *d = dst;
	for (uint32_t i = 0; i < n; i++)
		d[i] = alaw_encode((int16_t)quantize(s[i], 16));
}

#define OPS(fmt, bytes, name) \
	[XENSND_PCM_FORMAT_##fmt] = { XENSND_PCM_FORMAT_##fmt, bytes, name##_to_f32, name##_from_f32 }

static const struct xsnd_pcm_convert convert_table[] = {
	OPS(S8, 1, s8),
	OPS(U8, 1, u8),
	OPS(S16_LE, 2, s16le),
	OPS(S16_BE, 2, s16be),
	OPS(U16_LE, 2, u16le),
	OPS(U16_BE, 2, u16be),
	OPS(S24_LE, 4, s24le),
	OPS(S24_BE, 4, s24be),
	OPS(U24_LE, 4, u24le),
	OPS(U24_BE, 4, u24be),
	OPS(S32_LE, 4, s32le),
	OPS(S32_BE, 4, s32be),
	OPS(U32_LE, 4, u32le),
	OPS(U32_BE, 4, u32be),
	OPS(F32_LE, 4, f32le),
	OPS(F32_BE, 4, f32be),
	OPS(F64_LE, 8, f64le),
	OPS(F64_BE, 8, f64be),
	OPS(MU_LAW, 1, ulaw),
	OPS(A_LAW, 1, alaw),
};

const struct xsnd_pcm_convert *xsnd_pcm_convert_get(uint32_t fmt)
{
	if (fmt >= sizeof(convert_table) / sizeof(convert_table[0]) ||
	    convert_table[fmt].to_f32 == NULL)
		return NULL;
	return &convert_table[fmt];
}

void xsnd_pcm_apply_gain(float *buf, uint32_t n_frames, uint32_t channels, const float *gain)
{
	for (uint32_t f = 0; f < n_frames; f++, buf += channels)
		for (uint32_t c = 0; c < channels; c++)
			buf[c] *= gain[c];
}

float xsnd_pcm_gain_from_millidb(int32_t millidb)
{
	if (millidb <= -100000)
		return 0.0f;
	/* A guest may only attenuate: a gain above unity would lift its
	 * (already clipped) samples above full scale in the host mix. */
	if (millidb >= 0)
		return 1.0f;
	return powf(10.0f, (float)millidb / 20000.0f);
}
