/* SPDX-License-Identifier: MIT */
/* Unit checks of the guest simulator's pure parts: xl vsnd syntax, sample
 * formats and the counter pattern, WAV round trip, percentiles. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "stats.h"
#include "xl-spec.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static const char *key(const struct vg_vsnd_spec *s, const char *k)
{
	for (uint32_t i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].key, k) == 0)
			return s->keys[i].value;
	return NULL;
}

static void test_spec(void)
{
	struct vg_vsnd_spec s;
	char buf[512], err[256];
	const char *items[16];
	int n;

	n = vg_vsnd_spec_split("['CARD, sample-rates=44100;48000, backend=3', 'PCM, name=Main',"
			" 'STREAM, unique-id=pb0, type=p', \"stream, type=C\"]", buf, sizeof(buf), items, 16);
	CHECK(n == 4);
	CHECK(vg_vsnd_spec_parse(&s, items, (size_t)n, err, sizeof(err)) == 0);
	CHECK(s.backend_domid == 3);
	CHECK(key(&s, "sample-rates") && strcmp(key(&s, "sample-rates"), "44100,48000") == 0);
	CHECK(key(&s, "0/name") && strcmp(key(&s, "0/name"), "Main") == 0);
	CHECK(key(&s, "0/0/unique-id") && strcmp(key(&s, "0/0/unique-id"), "pb0") == 0);
	CHECK(key(&s, "0/1/type") && strcmp(key(&s, "0/1/type"), "c") == 0);
	CHECK(key(&s, "0/1/unique-id") == NULL);
	CHECK(key(&s, "backend") == NULL);

	/* A STREAM without PCM implies PCM 0; channels-min=0 means "not set". */
	items[0] = "STREAM, channels-min=0, channels-max=2";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == 0);
	CHECK(key(&s, "0/0/channels-max") != NULL && key(&s, "0/0/channels-min") == NULL);

	/* xl's rejections */
	items[0] = "CARD, id=0";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "Invalid parameter: id") != NULL);
	items[0] = "CARD, sample-formats=float_le";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == -EINVAL);
	items[0] = "CARD, sample-formats=F32_LE;s16_le";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == 0);
	CHECK(strcmp(key(&s, "sample-formats"), "f32_le,s16_le") == 0);
	items[0] = "STREAM, type=x";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == -EINVAL);
	items[0] = "VKBD, x=1";
	CHECK(vg_vsnd_spec_parse(&s, items, 1, err, sizeof(err)) == -EINVAL);
	CHECK(vg_vsnd_spec_split("['unterminated", buf, sizeof(buf), items, 16) == -EINVAL);
}

static void test_pattern(void)
{
	static const char *names[] = { "s8", "u8", "s16_le", "s16_be", "s24_le", "u24_be",
		"s32_le", "float_le", "float64_be" };
	uint8_t buf[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct vg_format *f = vg_format_by_name(names[i]);

		CHECK(f != NULL);
		if (f == NULL)
			continue;
		vg_pattern_fill(f, 3, 100000, 100, buf);
		CHECK(vg_pattern_check(f, 3, 100000, 100, buf) == -1);
		CHECK(vg_pattern_check(f, 3, 100001, 100, buf) == 0);
		buf[50 * 3 * f->width + f->width] ^= 1;	/* frame 50, channel 1 */
		CHECK(vg_pattern_check(f, 3, 100000, 100, buf) == 50);
	}
	/* s24_le is 24 in 32, sign extended */
	{
		const struct vg_format *f = vg_format_by_name("s24_le");
		vg_pattern_fill(f, 1, 0x800000, 1, buf);
		CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0x80 && buf[3] == 0xff);
	}
	CHECK(vg_format_by_name("iec958_subframe_le") == NULL && vg_format_get(18) == NULL);
	CHECK(vg_format_by_name("mu_law") == vg_format_get(20) && vg_format_get(21) != NULL);
	CHECK(vg_format_by_name("FLOAT_LE") != NULL);
}

static void test_samples(void)
{
	const struct vg_format *f16 = vg_format_by_name("s16_le"), *fu8 = vg_format_by_name("u8");
	uint8_t b[8];

	vg_sample_put(f16, b, 1.0);
	CHECK(b[0] == 0xff && b[1] == 0x7f);
	vg_sample_put(fu8, b, 0.0);
	CHECK(b[0] == 0x80);
	vg_sample_put(f16, b, -0.5);
	CHECK(fabs(vg_sample_get(f16, b) + 0.5) < 1e-4);
	/* G.711: the reference values of Sun's g711.c, and a round trip */
	{
		const struct vg_format *mu = vg_format_by_name("mu_law"), *a = vg_format_by_name("a_law");

		vg_sample_put(mu, b, 0.0);
		CHECK(b[0] == 0xff);
		vg_sample_put(a, b, 0.0);
		CHECK(b[0] == 0xd5);
		b[0] = 0x00;
		CHECK(vg_sample_get(mu, b) == -32124.0 / 32768);
		b[0] = 0xaa;
		CHECK(vg_sample_get(a, b) == 32256.0 / 32768);
		vg_sample_put(mu, b, 0.3);
		CHECK(fabs(vg_sample_get(mu, b) - 0.3) < 0.01);
		vg_sample_put(a, b, -0.3);
		CHECK(fabs(vg_sample_get(a, b) + 0.3) < 0.01);
	}
}

static void test_wav(void)
{
	char path[] = "/tmp/vg-unit-XXXXXX";
	const struct vg_format *f = vg_format_by_name("s16_le");
	struct vg_wav w;
	int16_t in[8] = { 0, 1000, -1000, 32767, -32767, 5, 6, 7 }, out[8];
	char err[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK(vg_wav_open_write(&w, path, f, 48000, 2) == 0);
	CHECK(vg_wav_write(&w, in, 4) == 0);
	CHECK(vg_wav_close(&w) == 0);
	CHECK(vg_wav_open_read(&w, path, err, sizeof(err)) == 0);
	CHECK(w.rate == 48000 && w.channels == 2 && w.format == f);
	CHECK(vg_wav_read(&w, f, 2, 8, out) == 4);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK(vg_wav_rewind(&w) == 0 && vg_wav_read(&w, f, 2, 8, out) == 4);
	vg_wav_close(&w);
	/* arecord's S24_LE header (24 bits in 4 bytes) reads back as s24_le;
	 * an odd-sized data chunk gets its pad byte */
	{
		const struct vg_format *f24 = vg_format_by_name("s24_le"), *mu = vg_format_by_name("mu_law");
		uint8_t hdr[44];
		FILE *fp;

		CHECK(vg_wav_open_write(&w, path, f24, 44100, 1) == 0);
		CHECK(vg_wav_write(&w, in, 3) == 0);
		CHECK(vg_wav_close(&w) == 0);
		CHECK(vg_wav_open_read(&w, path, err, sizeof(err)) == 0);
		CHECK(w.format == f24 && w.rate == 44100 && w.frames == 3);
		vg_wav_close(&w);
		CHECK(vg_wav_open_write(&w, path, mu, 8000, 1) == 0);
		CHECK(vg_wav_write(&w, in, 3) == 0);
		CHECK(vg_wav_close(&w) == 0);
		fp = fopen(path, "rb");
		CHECK(fp != NULL && fread(hdr, 1, 44, fp) == 44);
		if (fp != NULL) {
			fseek(fp, 0, SEEK_END);
			CHECK(ftell(fp) == 48 && hdr[4] == 40 && hdr[20] == 7 && hdr[40] == 3);
			fclose(fp);
		}
		CHECK(vg_wav_open_read(&w, path, err, sizeof(err)) == 0 && w.format == mu && w.frames == 3);
		vg_wav_close(&w);
	}
	unlink(path);
}

static void test_stats(void)
{
	struct vg_stream_stats s;

	memset(&s, 0, sizeof(s));
	for (int i = 1; i <= 100; i++)
		vg_stats_record(&s, 3, 0, (uint64_t)i);
	vg_stats_record(&s, 3, -ETIMEDOUT, 0);
	vg_stats_record(&s, 3, -EINVAL, 7);
	CHECK(s.ops[3].count == 102 && s.ops[3].timeouts == 1 && s.ops[3].errors == 1);
	CHECK(vg_stats_percentile(&s.ops[3], 50) == 50);
	CHECK(vg_stats_percentile(&s.ops[3], 99) == 99);
	CHECK(vg_stats_percentile(&s.ops[3], 100) == 100);
	CHECK(strcmp(vg_op_name(9), "hw_param_query") == 0);
	vg_stats_free(&s);
}

int main(void)
{
	test_spec();
	test_pattern();
	test_samples();
	test_wav();
	test_stats();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("all checks passed\n");
	return failures ? 1 : 0;
}
