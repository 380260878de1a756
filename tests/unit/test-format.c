/* SPDX-License-Identifier: MIT */
#include <spa/param/audio/raw.h>

#include "format.h"
#include "sndif.h"
#include "test.h"

static void test_table(void)
{
	static const struct {
		uint32_t sndif;
		const char *name;
		uint32_t spa;
		uint32_t bytes;
	} expect[] = {
		{ XENSND_PCM_FORMAT_S8, "s8", SPA_AUDIO_FORMAT_S8, 1 },
		{ XENSND_PCM_FORMAT_U8, "u8", SPA_AUDIO_FORMAT_U8, 1 },
		{ XENSND_PCM_FORMAT_S16_LE, "s16_le", SPA_AUDIO_FORMAT_S16_LE, 2 },
		{ XENSND_PCM_FORMAT_S16_BE, "s16_be", SPA_AUDIO_FORMAT_S16_BE, 2 },
		{ XENSND_PCM_FORMAT_U16_LE, "u16_le", SPA_AUDIO_FORMAT_U16_LE, 2 },
		{ XENSND_PCM_FORMAT_U16_BE, "u16_be", SPA_AUDIO_FORMAT_U16_BE, 2 },
		{ XENSND_PCM_FORMAT_S24_LE, "s24_le", SPA_AUDIO_FORMAT_S24_32_LE, 4 },
		{ XENSND_PCM_FORMAT_S24_BE, "s24_be", SPA_AUDIO_FORMAT_S24_32_BE, 4 },
		{ XENSND_PCM_FORMAT_U24_LE, "u24_le", SPA_AUDIO_FORMAT_U24_32_LE, 4 },
		{ XENSND_PCM_FORMAT_U24_BE, "u24_be", SPA_AUDIO_FORMAT_U24_32_BE, 4 },
		{ XENSND_PCM_FORMAT_S32_LE, "s32_le", SPA_AUDIO_FORMAT_S32_LE, 4 },
		{ XENSND_PCM_FORMAT_S32_BE, "s32_be", SPA_AUDIO_FORMAT_S32_BE, 4 },
		{ XENSND_PCM_FORMAT_U32_LE, "u32_le", SPA_AUDIO_FORMAT_U32_LE, 4 },
		{ XENSND_PCM_FORMAT_U32_BE, "u32_be", SPA_AUDIO_FORMAT_U32_BE, 4 },
		{ XENSND_PCM_FORMAT_F32_LE, "float_le", SPA_AUDIO_FORMAT_F32_LE, 4 },
		{ XENSND_PCM_FORMAT_F32_BE, "float_be", SPA_AUDIO_FORMAT_F32_BE, 4 },
		{ XENSND_PCM_FORMAT_F64_LE, "float64_le", SPA_AUDIO_FORMAT_F64_LE, 8 },
		{ XENSND_PCM_FORMAT_F64_BE, "float64_be", SPA_AUDIO_FORMAT_F64_BE, 8 },
		{ XENSND_PCM_FORMAT_IEC958_SUBFRAME_LE, "iec958_subframe_le", SPA_AUDIO_FORMAT_UNKNOWN, 4 },
		{ XENSND_PCM_FORMAT_IEC958_SUBFRAME_BE, "iec958_subframe_be", SPA_AUDIO_FORMAT_UNKNOWN, 4 },
		{ XENSND_PCM_FORMAT_MU_LAW, "mu_law", SPA_AUDIO_FORMAT_ULAW, 1 },
		{ XENSND_PCM_FORMAT_A_LAW, "a_law", SPA_AUDIO_FORMAT_ALAW, 1 },
		{ XENSND_PCM_FORMAT_IMA_ADPCM, "ima_adpcm", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
		{ XENSND_PCM_FORMAT_MPEG, "mpeg", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
		{ XENSND_PCM_FORMAT_GSM, "gsm", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
	};
	uint64_t mask = 0;
	size_t i;

	CHECK_EQ(sizeof(expect) / sizeof(expect[0]), XENSND_PCM_FORMAT_GSM + 1);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		const struct xsnd_format_info *f = xsnd_format_get(expect[i].sndif);
		CHECK(f != NULL);
		CHECK_EQ(f->sndif, expect[i].sndif);
		CHECK_STR(f->name, expect[i].name);
		CHECK_EQ(f->spa_format, expect[i].spa);
		CHECK_EQ(f->sample_bytes, expect[i].bytes);
		CHECK_EQ(f->is_float, expect[i].sndif >= XENSND_PCM_FORMAT_F32_LE &&
				expect[i].sndif <= XENSND_PCM_FORMAT_F64_BE);
		CHECK_EQ(xsnd_format_supported(expect[i].sndif), expect[i].spa != SPA_AUDIO_FORMAT_UNKNOWN);
		CHECK(xsnd_format_by_name(expect[i].name) == f);
		if (expect[i].spa != SPA_AUDIO_FORMAT_UNKNOWN)
			mask |= UINT64_C(1) << expect[i].sndif;
	}
	CHECK_EQ(xsnd_format_supported_mask(), mask);
	CHECK_EQ(mask, 0x3fffff & ~(UINT64_C(3) << 18));
}

static void test_lookup(void)
{
	CHECK(xsnd_format_get(XENSND_PCM_FORMAT_GSM + 1) == NULL);
	CHECK(xsnd_format_get(UINT32_MAX) == NULL);
	CHECK(!xsnd_format_supported(63));
	CHECK(xsnd_format_by_name("S16_LE") == xsnd_format_get(XENSND_PCM_FORMAT_S16_LE));
	CHECK(xsnd_format_by_name("Float64_Be") == xsnd_format_get(XENSND_PCM_FORMAT_F64_BE));
	/* libxl writes f32_le; Linux does not know it, neither do we. */
	CHECK(xsnd_format_by_name("f32_le") == NULL);
	CHECK(xsnd_format_by_name("s16_le ") == NULL);
	CHECK(xsnd_format_by_name("") == NULL);
	CHECK(xsnd_format_by_name(NULL) == NULL);
}

int main(void)
{
	RUN(test_table);
	RUN(test_lookup);
	return 0;
}
