/* SPDX-License-Identifier: MIT */
#include <stddef.h>
#include <strings.h>

#include <spa/param/audio/raw.h>

#include "sndif.h"
#include "format.h"

#define FMT(id, str, spa, bytes, flt) \
	[XENSND_PCM_FORMAT_##id] = { XENSND_PCM_FORMAT_##id, str, spa, bytes, flt }

/* Indexed by the sndif value. S24/U24 are 24-in-32 in ALSA (and so in the
 * guest's buffer), hence the *_32 SPA formats. */
static const struct xsnd_format_info formats[] = {
	FMT(S8, XENSND_PCM_FORMAT_S8_STR, SPA_AUDIO_FORMAT_S8, 1, false),
	FMT(U8, XENSND_PCM_FORMAT_U8_STR, SPA_AUDIO_FORMAT_U8, 1, false),
	FMT(S16_LE, XENSND_PCM_FORMAT_S16_LE_STR, SPA_AUDIO_FORMAT_S16_LE, 2, false),
	FMT(S16_BE, XENSND_PCM_FORMAT_S16_BE_STR, SPA_AUDIO_FORMAT_S16_BE, 2, false),
	FMT(U16_LE, XENSND_PCM_FORMAT_U16_LE_STR, SPA_AUDIO_FORMAT_U16_LE, 2, false),
	FMT(U16_BE, XENSND_PCM_FORMAT_U16_BE_STR, SPA_AUDIO_FORMAT_U16_BE, 2, false),
	FMT(S24_LE, XENSND_PCM_FORMAT_S24_LE_STR, SPA_AUDIO_FORMAT_S24_32_LE, 4, false),
	FMT(S24_BE, XENSND_PCM_FORMAT_S24_BE_STR, SPA_AUDIO_FORMAT_S24_32_BE, 4, false),
	FMT(U24_LE, XENSND_PCM_FORMAT_U24_LE_STR, SPA_AUDIO_FORMAT_U24_32_LE, 4, false),
	FMT(U24_BE, XENSND_PCM_FORMAT_U24_BE_STR, SPA_AUDIO_FORMAT_U24_32_BE, 4, false),
	FMT(S32_LE, XENSND_PCM_FORMAT_S32_LE_STR, SPA_AUDIO_FORMAT_S32_LE, 4, false),
	FMT(S32_BE, XENSND_PCM_FORMAT_S32_BE_STR, SPA_AUDIO_FORMAT_S32_BE, 4, false),
	FMT(U32_LE, XENSND_PCM_FORMAT_U32_LE_STR, SPA_AUDIO_FORMAT_U32_LE, 4, false),
	FMT(U32_BE, XENSND_PCM_FORMAT_U32_BE_STR, SPA_AUDIO_FORMAT_U32_BE, 4, false),
	FMT(F32_LE, XENSND_PCM_FORMAT_F32_LE_STR, SPA_AUDIO_FORMAT_F32_LE, 4, true),
	FMT(F32_BE, XENSND_PCM_FORMAT_F32_BE_STR, SPA_AUDIO_FORMAT_F32_BE, 4, true),
	FMT(F64_LE, XENSND_PCM_FORMAT_F64_LE_STR, SPA_AUDIO_FORMAT_F64_LE, 8, true),
	FMT(F64_BE, XENSND_PCM_FORMAT_F64_BE_STR, SPA_AUDIO_FORMAT_F64_BE, 8, true),
	/* IEC958 subframes are 32 bit but carry no PCM PipeWire could mix. */
	FMT(IEC958_SUBFRAME_LE, XENSND_PCM_FORMAT_IEC958_SUBFRAME_LE_STR, SPA_AUDIO_FORMAT_UNKNOWN, 4, false),
	FMT(IEC958_SUBFRAME_BE, XENSND_PCM_FORMAT_IEC958_SUBFRAME_BE_STR, SPA_AUDIO_FORMAT_UNKNOWN, 4, false),
	FMT(MU_LAW, XENSND_PCM_FORMAT_MU_LAW_STR, SPA_AUDIO_FORMAT_ULAW, 1, false),
	FMT(A_LAW, XENSND_PCM_FORMAT_A_LAW_STR, SPA_AUDIO_FORMAT_ALAW, 1, false),
	FMT(IMA_ADPCM, XENSND_PCM_FORMAT_IMA_ADPCM_STR, SPA_AUDIO_FORMAT_UNKNOWN, 0, false),
	FMT(MPEG, XENSND_PCM_FORMAT_MPEG_STR, SPA_AUDIO_FORMAT_UNKNOWN, 0, false),
	FMT(GSM, XENSND_PCM_FORMAT_GSM_STR, SPA_AUDIO_FORMAT_UNKNOWN, 0, false),
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const struct xsnd_format_info *xsnd_format_get(uint32_t sndif_format)
{
	if (sndif_format >= N_FORMATS)
		return NULL;
	return &formats[sndif_format];
}

const struct xsnd_format_info *xsnd_format_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_FORMATS; i++)
		if (strcasecmp(name, formats[i].name) == 0)
			return &formats[i];
	return NULL;
}

bool xsnd_format_supported(uint32_t sndif_format)
{
	const struct xsnd_format_info *f = xsnd_format_get(sndif_format);

	return f != NULL && f->spa_format != SPA_AUDIO_FORMAT_UNKNOWN;
}

uint64_t xsnd_format_supported_mask(void)
{
	uint64_t mask = 0;
	uint32_t i;

	for (i = 0; i < N_FORMATS; i++)
		if (xsnd_format_supported(i))
			mask |= UINT64_C(1) << i;
	return mask;
}
