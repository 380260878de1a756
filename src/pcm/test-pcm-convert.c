/* SPDX-License-Identifier: MIT */
/* Unit test: every PCM conversion round-trips, sanitizes and clips. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sndif/sndif.h"
#include "pcm-convert.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void test_roundtrip_exact(void)
{
	/* Integer formats of <= 24 bits survive int -> float -> int exactly. */
	static const uint8_t fmts[] = {
		XENSND_PCM_FORMAT_S8, XENSND_PCM_FORMAT_U8, XENSND_PCM_FORMAT_S16_LE,
		XENSND_PCM_FORMAT_S16_BE, XENSND_PCM_FORMAT_U16_LE, XENSND_PCM_FORMAT_U16_BE,
		XENSND_PCM_FORMAT_S24_LE, XENSND_PCM_FORMAT_S24_BE, XENSND_PCM_FORMAT_U24_LE,
		XENSND_PCM_FORMAT_U24_BE, XENSND_PCM_FORMAT_F32_LE, XENSND_PCM_FORMAT_F32_BE,
		XENSND_PCM_FORMAT_F64_LE, XENSND_PCM_FORMAT_F64_BE,
	};
	for (size_t f = 0; f < sizeof(fmts); f++) {
		const struct xsnd_pcm_convert *c = xsnd_pcm_convert_get(fmts[f]);
		CHECK(c != NULL, "format %u has no converter", fmts[f]);
		if (!c)
			continue;
		enum { N = 4096 };
		float in[N], mid[N], out[N];
		uint8_t raw[N * 8];
		for (int i = 0; i < N; i++) {
			/* values on the format's own grid */
			uint32_t bits = c->sample_bytes == 1 ? 8 : c->sample_bytes == 2 ? 16 : 24;
			int32_t q = (int32_t)((i * 2654435761u) >> (32 - bits)) - (1 << (bits - 1));
			in[i] = q / (float)(1u << (bits - 1));
		}
		c->from_f32(raw, in, N);
		c->to_f32(mid, raw, N);
		c->from_f32(raw, mid, N);
		c->to_f32(out, raw, N);
		int bad = 0;
		for (int i = 0; i < N; i++)
			bad += mid[i] != in[i] || out[i] != in[i];
		CHECK(bad == 0, "format %u: %d samples changed in a round trip", fmts[f], bad);
	}
}

static void test_s16_values(void)
{
	const struct xsnd_pcm_convert *c = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_S16_LE);
	int16_t s[4] = { 0, 16384, -32768, 32767 };
	float f[4];
	c->to_f32(f, s, 4);
	CHECK(f[0] == 0.0f && f[1] == 0.5f && f[2] == -1.0f, "s16 decode %f %f %f", f[0], f[1], f[2]);
	float clip[3] = { 2.0f, -2.0f, 1.0f };
	int16_t o[3];
	c->from_f32(o, clip, 3);
	CHECK(o[0] == 32767 && o[1] == -32768 && o[2] == 32767, "s16 clip %d %d %d", o[0], o[1], o[2]);
	uint8_t be[2] = { 0x12, 0x34 };
	c = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_S16_BE);
	c->to_f32(f, be, 1);
	CHECK(f[0] == 0x1234 / 32768.0f, "s16be byte order");
}

static void test_float_sanitize(void)
{
	const struct xsnd_pcm_convert *c = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_F32_LE);
	float in[6] = { NAN, INFINITY, -INFINITY, 1e30f, -3.0f, 0.25f }, out[6];
	c->to_f32(out, in, 6);
	CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0, "NaN/Inf must become silence");
	CHECK(out[3] == 1.0f && out[4] == -1.0f && out[5] == 0.25f, "clip %f %f %f", out[3], out[4], out[5]);
	double din[3] = { NAN, -1e300, 0.5 };
	c = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_F64_LE);
	c->to_f32(out, din, 3);
	CHECK(out[0] == 0 && out[1] == -1.0f && out[2] == 0.5f, "f64 sanitize");
}

static void test_s24_in_32(void)
{
	const struct xsnd_pcm_convert *c = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_S24_LE);
	/* the top byte of the container is ignored, the 24 bits are sign-extended */
	uint32_t v[2] = { 0xff800000u, 0x007fffffu };
	float f[2];
	c->to_f32(f, v, 2);
	CHECK(f[0] == -1.0f, "s24 negative full scale: %f", f[0]);
	CHECK(fabsf(f[1] - 8388607 / 8388608.0f) < 1e-9, "s24 positive full scale");
}

static void test_g711(void)
{
	/* Every code decodes to a value that encodes back to the same code
	 * (except the two zero codes of mu-law, which are equivalent). */
	const struct xsnd_pcm_convert *u = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_MU_LAW);
	const struct xsnd_pcm_convert *a = xsnd_pcm_convert_get(XENSND_PCM_FORMAT_A_LAW);
	int bad_u = 0, bad_a = 0;
	for (int i = 0; i < 256; i++) {
		uint8_t code = (uint8_t)i, back;
		float f;
		u->to_f32(&f, &code, 1);
		u->from_f32(&back, &f, 1);
		if (back != code && !(f == 0.0f))
			bad_u++;
		a->to_f32(&f, &code, 1);
		a->from_f32(&back, &f, 1);
		if (back != code)
			bad_a++;
	}
	CHECK(bad_u == 0, "mu-law: %d codes do not round trip", bad_u);
	CHECK(bad_a == 0, "a-law: %d codes do not round trip", bad_a);
	/* monotonic decoding over the positive half */
	float prev = -2;
	int nonmono = 0;
	for (int i = 0; i < 128; i++) {
		uint8_t code = (uint8_t)(0xff - i);	/* mu-law: 0xff = +0, 0x80 = max */
		float f;
		u->to_f32(&f, &code, 1);
		nonmono += f < prev;
		prev = f;
	}
	CHECK(nonmono == 0, "mu-law positive codes not monotonic");
}

static void test_unsupported_and_gain(void)
{
	CHECK(xsnd_pcm_convert_get(XENSND_PCM_FORMAT_GSM) == NULL, "GSM is not PCM");
	CHECK(xsnd_pcm_convert_get(XENSND_PCM_FORMAT_IEC958_SUBFRAME_LE) == NULL, "IEC958 is not PCM");
	CHECK(xsnd_pcm_convert_get(200) == NULL, "out of range format");
	CHECK(xsnd_pcm_gain_from_millidb(0) == 1.0f, "0 dB");
	CHECK(fabsf(xsnd_pcm_gain_from_millidb(-6021) - 0.5f) < 1e-3, "-6.02 dB");
	CHECK(xsnd_pcm_gain_from_millidb(-200000) == 0.0f, "-200 dB is mute");
	CHECK(xsnd_pcm_gain_from_millidb(INT32_MAX) == 1.0f, "a guest cannot amplify");
	CHECK(xsnd_pcm_gain_from_millidb(24000) == 1.0f, "a guest cannot amplify");
	float buf[4] = { 1, 1, 1, 1 }, g[2] = { 0.5f, 0.0f };
	xsnd_pcm_apply_gain(buf, 2, 2, g);
	CHECK(buf[0] == 0.5f && buf[1] == 0 && buf[2] == 0.5f && buf[3] == 0, "per-channel gain");
}

int main(void)
{
	test_roundtrip_exact();
	test_s16_values();
	test_float_sanitize();
	test_s24_in_32();
	test_g711();
	test_unsupported_and_gain();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("pcm-convert: all checks passed\n");
	return failures ? 1 : 0;
}
