/* SPDX-License-Identifier: MIT */
/*
 * Writes WAV files for the guest simulator's tests: the counter pattern
 * (audio.c) in a given format, so the test backend checks every sample the
 * guest plays from the file, or a header broken in one way.
 *
 * usage: wav-gen OUT FORMAT RATE CHANNELS FRAMES [extensible | truncated |
 *                data-beyond | zero-channels | absurd-rate | packed24]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"

static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

static uint16_t tag_of(const struct vg_format *f)
{
	if (f->is_float)
		return 3;
	if (f->law == VG_LAW_A)
		return 6;
	if (f->law == VG_LAW_MU)
		return 7;
	return 1;
}

int main(int argc, char **argv)
{
	/* KSDATAFORMAT_SUBTYPE_* after the format tag */
	static const uint8_t guid_tail[14] = {
		0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
	};
	const struct vg_format *f;
	const char *mode = argc > 6 ? argv[6] : "";
	bool ext = strcmp(mode, "extensible") == 0;
	uint32_t rate, ch, frames, block, data, fmt_len, hdr_len;
	uint8_t h[80] = { 0 };
	uint8_t *buf;
	FILE *out;

	if (argc < 6 || (f = vg_format_by_name(argv[2])) == NULL || f->big_endian) {
		fprintf(stderr, "usage: wav-gen OUT FORMAT RATE CHANNELS FRAMES [MODE]\n");
		return 2;
	}
	rate = (uint32_t)strtoul(argv[3], NULL, 10);
	ch = (uint32_t)strtoul(argv[4], NULL, 10);
	frames = (uint32_t)strtoul(argv[5], NULL, 10);
	block = f->width * ch;
	data = block * frames;
	fmt_len = ext ? 40 : 16;
	hdr_len = 20 + fmt_len + 8;
	memcpy(h, "RIFF", 4);
	le32(h + 4, hdr_len - 8 + data + (data & 1));
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, fmt_len);
	le16(h + 20, ext ? 0xfffe : tag_of(f));
	le16(h + 22, strcmp(mode, "zero-channels") == 0 ? 0 : ch);
	le32(h + 24, strcmp(mode, "absurd-rate") == 0 ? 4000000000u : rate);
	le32(h + 28, rate * block);
	/* packed24: what a 24-bit packed file says (3 bytes a sample) */
	le16(h + 32, strcmp(mode, "packed24") == 0 ? 3 * ch : block);
	/* a plain header says 24 bits in 4 bytes for s24_le (as arecord writes);
	 * WAVE_FORMAT_EXTENSIBLE gives the container here, valid bits below */
	le16(h + 34, strcmp(mode, "packed24") == 0 ? 24 : !ext && f->bits == 24 ? 24 : f->width * 8);
	if (ext) {
		le16(h + 36, 22);
		le16(h + 38, f->bits);
		le32(h + 40, 0);
		le16(h + 44, tag_of(f));
		memcpy(h + 46, guid_tail, sizeof(guid_tail));
	}
	memcpy(h + 20 + fmt_len, "data", 4);
	le32(h + 24 + fmt_len, strcmp(mode, "data-beyond") == 0 ? data + 4096 : data);
	if ((buf = calloc(1, (size_t)data + 1)) == NULL || (out = fopen(argv[1], "wb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	vg_pattern_fill(f, ch, 0, frames, buf);
	if (strcmp(mode, "truncated") == 0)
		hdr_len = 30;	/* cut inside the fmt chunk */
	if (fwrite(h, 1, hdr_len, out) != hdr_len ||
	    (strcmp(mode, "truncated") != 0 && fwrite(buf, 1, data + (data & 1), out) != data + (data & 1)) ||
	    fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	free(buf);
	return 0;
}
