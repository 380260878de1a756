/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "audio.h"

/* XENSND_PCM_FORMAT_* values (xen/io/sndif.h), the same numbers as ALSA's. */
static const struct vg_format formats[] = {
	[0] = { 0, "s8", 1, 8, true, false, false, VG_LAW_NONE },
	[1] = { 1, "u8", 1, 8, false, false, false, VG_LAW_NONE },
	[2] = { 2, "s16_le", 2, 16, true, false, false, VG_LAW_NONE },
	[3] = { 3, "s16_be", 2, 16, true, false, true, VG_LAW_NONE },
	[4] = { 4, "u16_le", 2, 16, false, false, false, VG_LAW_NONE },
	[5] = { 5, "u16_be", 2, 16, false, false, true, VG_LAW_NONE },
	[6] = { 6, "s24_le", 4, 24, true, false, false, VG_LAW_NONE },	/* 24 in 32, like ALSA S24_LE */
	[7] = { 7, "s24_be", 4, 24, true, false, true, VG_LAW_NONE },
	[8] = { 8, "u24_le", 4, 24, false, false, false, VG_LAW_NONE },
	[9] = { 9, "u24_be", 4, 24, false, false, true, VG_LAW_NONE },
	[10] = { 10, "s32_le", 4, 32, true, false, false, VG_LAW_NONE },
	[11] = { 11, "s32_be", 4, 32, true, false, true, VG_LAW_NONE },
	[12] = { 12, "u32_le", 4, 32, false, false, false, VG_LAW_NONE },
	[13] = { 13, "u32_be", 4, 32, false, false, true, VG_LAW_NONE },
	[14] = { 14, "float_le", 4, 32, true, true, false, VG_LAW_NONE },
	[15] = { 15, "float_be", 4, 32, true, true, true, VG_LAW_NONE },
	[16] = { 16, "float64_le", 8, 64, true, true, false, VG_LAW_NONE },
	[17] = { 17, "float64_be", 8, 64, true, true, true, VG_LAW_NONE },
	/* 18, 19: IEC958 subframes carry no samples we could make */
	[20] = { 20, "mu_law", 1, 8, false, false, false, VG_LAW_MU },
	[21] = { 21, "a_law", 1, 8, false, false, false, VG_LAW_A },
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const struct vg_format *vg_format_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < N_FORMATS; i++) {
		if (formats[i].name != NULL && strcasecmp(formats[i].name, name) == 0)
			return &formats[i];
	}
	return NULL;
}

const struct vg_format *vg_format_get(uint32_t sndif)
{
	return sndif < N_FORMATS && formats[sndif].name != NULL ? &formats[sndif] : NULL;
}

static void put_raw(const struct vg_format *f, uint8_t *dst, uint64_t v)
{
	uint32_t i;

	for (i = 0; i < f->width; i++) {
		uint32_t shift = 8 * (f->big_endian ? f->width - 1 - i : i);
		dst[i] = (uint8_t)(v >> shift);
	}
}

static uint64_t get_raw(const struct vg_format *f, const uint8_t *src)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < f->width; i++) {
		uint32_t shift = 8 * (f->big_endian ? f->width - 1 - i : i);
		v |= (uint64_t)src[i] << shift;
	}
	return v;
}

/* Integer container value for a pattern index: sign-extended for signed 24-in-32. */
static uint64_t pattern_raw(const struct vg_format *f, uint64_t idx)
{
	uint64_t mask = f->bits == 64 ? UINT64_MAX : ((1ull << f->bits) - 1);
	uint64_t v = idx & mask;

	if (f->is_float) {
		double x = (double)(idx & 0xffffff) / 16777216.0;
		if (f->width == 4) {
			float fx = (float)x;
			uint32_t u;
			memcpy(&u, &fx, 4);
			return u;
		} else {
			uint64_t u;
			memcpy(&u, &x, 8);
			return u;
		}
	}
	if (f->is_signed && f->bits < f->width * 8u && (v >> (f->bits - 1)) & 1)
		v |= ~mask & ((f->width == 8) ? UINT64_MAX : ((1ull << (f->width * 8)) - 1));
	return v;
}

void vg_pattern_fill(const struct vg_format *f, uint32_t channels, uint64_t first_frame,
		uint32_t frames, void *dst)
{
	uint8_t *p = dst;
	uint64_t idx = first_frame * channels;
	uint64_t n = (uint64_t)frames * channels, i;

	for (i = 0; i < n; i++, p += f->width)
		put_raw(f, p, pattern_raw(f, idx + i));
}

int64_t vg_pattern_check(const struct vg_format *f, uint32_t channels, uint64_t first_frame,
		uint32_t frames, const void *src)
{
	const uint8_t *p = src;
	uint64_t idx = first_frame * channels;
	uint64_t n = (uint64_t)frames * channels, i;

	for (i = 0; i < n; i++, p += f->width) {
		if (get_raw(f, p) != pattern_raw(f, idx + i))
			return (int64_t)(i / channels);
	}
	return -1;
}

/* G.711 (the classic Sun g711.c), on 16-bit linear samples. */
static uint8_t law_encode(enum vg_law law, int16_t pcm)
{
	static const int16_t seg_end[8] = { 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff };
	int v = pcm, mask, seg;

	if (law == VG_LAW_MU) {
		v >>= 2;
		mask = v < 0 ? 0x7f : 0xff;
		v = v < 0 ? -v : v;
		v = (v > 8159 ? 8159 : v) + (0x84 >> 2);
		for (seg = 0; seg < 8 && v > seg_end[seg] >> 2; seg++)
			;
		if (seg >= 8)
			return (uint8_t)(0x7f ^ mask);
		return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask);
	}
	v >>= 3;
	if (v >= 0) {
		mask = 0xd5;
	} else {
		mask = 0x55;
		v = -v - 1;
	}
	for (seg = 0; seg < 8 && v > seg_end[seg] >> 3; seg++)
		;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg < 2 ? 1 : seg)) & 0xf)) ^ mask);
}

static int16_t law_decode(enum vg_law law, uint8_t c)
{
	int t, seg;

	if (law == VG_LAW_MU) {
		c = (uint8_t)~c;
		t = (((c & 0x0f) << 3) + 0x84) << ((c & 0x70) >> 4);
		return (int16_t)((c & 0x80) ? 0x84 - t : t - 0x84);
	}
	c ^= 0x55;
	t = (c & 0x0f) << 4;
	seg = (c & 0x70) >> 4;
	t += seg == 0 ? 8 : 0x108;
	if (seg > 1)
		t <<= seg - 1;
	return (int16_t)((c & 0x80) ? t : -t);
}

void vg_sample_put(const struct vg_format *f, void *dst, double x)
{
	if (x > 1.0)
		x = 1.0;
	if (x < -1.0)
		x = -1.0;
	if (f->law != VG_LAW_NONE) {
		double y = nearbyint(x * 32768.0);
		*(uint8_t *)dst = law_encode(f->law, (int16_t)(y > 32767.0 ? 32767.0 : y));
		return;
	}
	if (f->is_float) {
		if (f->width == 4) {
			float fx = (float)x;
			uint32_t u;
			memcpy(&u, &fx, 4);
			put_raw(f, dst, u);
		} else {
			uint64_t u;
			memcpy(&u, &x, 8);
			put_raw(f, dst, u);
		}
		return;
	}
	{
		/* Same scale as vg_sample_get, so integer samples survive a round trip. */
		double full = (double)(1ull << (f->bits - 1));
		double y = nearbyint(x * full);
		int64_t s, hi = (int64_t)(1ull << (f->bits - 1)) - 1;
		uint64_t mask = (f->bits == 64) ? UINT64_MAX : ((1ull << f->bits) - 1);
		uint64_t v;

		s = y > (double)hi ? hi : (int64_t)y;
		if (!f->is_signed)
			s += (int64_t)(1ull << (f->bits - 1));
		v = (uint64_t)s & mask;
		if (f->is_signed && f->bits < f->width * 8u && s < 0)
			v |= ~mask & ((1ull << (f->width * 8)) - 1);
		put_raw(f, dst, v);
	}
}

double vg_sample_get(const struct vg_format *f, const void *src)
{
	uint64_t v = get_raw(f, src);

	if (f->law != VG_LAW_NONE)
		return law_decode(f->law, (uint8_t)v) / 32768.0;
	if (f->is_float) {
		if (f->width == 4) {
			uint32_t u = (uint32_t)v;
			float fx;
			memcpy(&fx, &u, 4);
			return fx;
		} else {
			double x;
			memcpy(&x, &v, 8);
			return x;
		}
	}
	{
		uint64_t mask = (1ull << f->bits) - 1;
		int64_t s;

		v &= mask;
		if (f->is_signed)
			s = (v >> (f->bits - 1)) ? (int64_t)(v | ~mask) : (int64_t)v;
		else
			s = (int64_t)v - (int64_t)(1ull << (f->bits - 1));
		return (double)s / (double)(1ull << (f->bits - 1));
	}
}

/* ---- WAV ---- */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

enum { WAV_PCM = 1, WAV_FLOAT = 3, WAV_ALAW = 6, WAV_MULAW = 7, WAV_EXTENSIBLE = 0xfffe };

/* KSDATAFORMAT_SUBTYPE_*: the format tag, then these 14 bytes. */
static const uint8_t wav_guid_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

/*
 * aplay's choice of sample format: by tag, bits per sample and container
 * (block align / channels). WAVE_FORMAT_EXTENSIBLE samples are
 * left-justified in their container, so 24 valid bits in 32 play as s32_le;
 * a plain header with 24 bits in 4 bytes is what arecord writes for S24_LE.
 */
static const char *wav_format_name(uint16_t tag, uint16_t bits, uint32_t container)
{
	static const struct {
		uint16_t tag, bits, container;
		const char *name;
	} map[] = {
		{ WAV_PCM, 8, 1, "u8" }, { WAV_PCM, 16, 2, "s16_le" },
		{ WAV_PCM, 24, 4, "s24_le" }, { WAV_PCM, 32, 4, "s32_le" },
		{ WAV_FLOAT, 32, 4, "float_le" }, { WAV_FLOAT, 64, 8, "float64_le" },
		{ WAV_ALAW, 8, 1, "a_law" }, { WAV_MULAW, 8, 1, "mu_law" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].tag == tag && map[i].bits == bits && map[i].container == container)
			return map[i].name;
	}
	return NULL;
}

/* Checks the fmt chunk and picks the format; 0 or -errno with err set. */
static int wav_parse_fmt(struct vg_wav *w, const uint8_t *fmt, uint32_t len, char *err,
		size_t err_size)
{
	uint16_t tag = le16(fmt), block = le16(fmt + 12), bits = le16(fmt + 14);
	const char *name;

	w->channels = le16(fmt + 2);
	w->rate = le32(fmt + 4);
	if (w->channels == 0 || w->channels > 64) {
		snprintf(err, err_size, "%u channels (1 to 64 are possible)", w->channels);
		return -EINVAL;
	}
	if (w->rate == 0 || w->rate > 768000) {
		snprintf(err, err_size, "sample rate %u Hz (1 to 768000 Hz are plausible)", w->rate);
		return -EINVAL;
	}
	if (block == 0 || block % w->channels != 0) {
		snprintf(err, err_size, "block align %u does not fit %u channels", block, w->channels);
		return -EINVAL;
	}
	if (tag == WAV_EXTENSIBLE) {
		uint16_t valid;

		if (len < 40 || le16(fmt + 16) < 22) {
			snprintf(err, err_size, "WAVE_FORMAT_EXTENSIBLE fmt chunk of %u bytes (needs 40)", len);
			return -EINVAL;
		}
		valid = le16(fmt + 18);
		if (memcmp(fmt + 26, wav_guid_tail, sizeof(wav_guid_tail)) != 0) {
			snprintf(err, err_size, "WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID");
			return -ENOTSUP;
		}
		tag = le16(fmt + 24);
		if (valid > bits) {
			snprintf(err, err_size, "%u valid bits in %u-bit samples", valid, bits);
			return -EINVAL;
		}
	}
	name = wav_format_name(tag, bits, block / w->channels);
	if (name == NULL && tag == WAV_PCM && bits == 24 && block / w->channels == 3) {
		snprintf(err, err_size, "24-bit packed samples (S24_3LE): snd_xen_front has no such "
				"format, so aplay on the card fails too (alsa-lib's plug is not modelled)");
		return -ENOTSUP;
	}
	if (name == NULL) {
		snprintf(err, err_size, "unsupported WAV encoding: format tag 0x%04x, %u bits in "
				"%u bytes", tag, bits, block / w->channels);
		return -ENOTSUP;
	}
	w->format = vg_format_by_name(name);
	return 0;
}

int vg_wav_open_read(struct vg_wav *w, const char *path, char *err, size_t err_size)
{
	uint8_t hdr[12], ck[8], fmt[40];
	bool have_fmt = false;
	char why[200] = "no data chunk";
	uint64_t size, pos = 12;
	struct stat st;
	int res = -EINVAL, r;

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "rb");
	if (w->f == NULL || fstat(fileno(w->f), &st) < 0) {
		res = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		goto fail;
	}
	size = (uint64_t)st.st_size;
	if (fread(hdr, 1, 12, w->f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
		snprintf(why, sizeof(why), "not a RIFF/WAVE file");
		goto bad;
	}
	/* Every length is checked against the file: the file is untrusted. */
	for (int i = 0; i < 64; i++) {
		uint64_t skip;
		uint32_t len;

		if (pos + 8 > size || fread(ck, 1, 8, w->f) != 8)
			break;
		pos += 8;
		len = le32(ck + 4);
		if (memcmp(ck, "data", 4) == 0) {
			if (!have_fmt) {
				snprintf(why, sizeof(why), "data chunk before the fmt chunk");
				goto bad;
			}
			if (len > size - pos) {
				snprintf(why, sizeof(why), "data chunk of %u bytes, but only %llu bytes "
						"follow in the file", len, (unsigned long long)(size - pos));
				goto bad;
			}
			w->data_start = (long)pos;
			w->frames = len / (w->format->width * w->channels);
			w->data_left = w->frames * w->format->width * w->channels;
			return 0;
		}
		if (len > size - pos) {
			snprintf(why, sizeof(why), "'%.4s' chunk of %u bytes runs past the end of the file",
					(const char *)ck, len);
			goto bad;
		}
		/* chunks are padded to an even length */
		skip = (uint64_t)len + (len & 1);
		if (memcmp(ck, "fmt ", 4) == 0) {
			uint32_t n = len < sizeof(fmt) ? len : (uint32_t)sizeof(fmt);

			if (len < 16 || fread(fmt, 1, n, w->f) != n) {
				snprintf(why, sizeof(why), "fmt chunk of %u bytes (at least 16)", len);
				goto bad;
			}
			if ((r = wav_parse_fmt(w, fmt, len, why, sizeof(why))) < 0) {
				res = r;
				goto bad;
			}
			have_fmt = true;
			pos += n;
			skip -= n;
		}
		if (fseek(w->f, (long)skip, SEEK_CUR) != 0)
			break;
		pos += skip;
	}
bad:
	snprintf(err, err_size, "%s: %s", path, why);
fail:
	if (w->f != NULL)
		fclose(w->f);
	w->f = NULL;
	return res;
}

int vg_wav_rewind(struct vg_wav *w)
{
	w->data_left = w->frames * w->format->width * w->channels;
	return fseek(w->f, w->data_start, SEEK_SET) == 0 ? 0 : -errno;
}

uint32_t vg_wav_read(struct vg_wav *w, const struct vg_format *fmt, uint32_t channels,
		uint32_t frames, void *dst)
{
	uint8_t in[64 * 8];
	uint32_t in_frame = w->format->width * w->channels, n, c;
	uint8_t *out = dst;

	if (fmt == w->format && channels == w->channels) {
		/* the stream takes the file's own format: the bytes as they are */
		if ((uint64_t)frames * in_frame > w->data_left)
			frames = (uint32_t)(w->data_left / in_frame);
		n = (uint32_t)fread(dst, in_frame, frames, w->f);
		w->data_left -= (uint64_t)n * in_frame;
		return n;
	}
	for (n = 0; n < frames; n++) {
		if (w->data_left < in_frame || fread(in, 1, in_frame, w->f) != in_frame)
			break;
		w->data_left -= in_frame;
		for (c = 0; c < channels; c++) {
			/* Missing channels repeat the file's last one. */
			uint32_t sc = c < w->channels ? c : w->channels - 1;
			double x = vg_sample_get(w->format, in + sc * w->format->width);
			vg_sample_put(fmt, out, x);
			out += fmt->width;
		}
	}
	return n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
}

static void wav_header(struct vg_wav *w, uint8_t *h)
{
	uint32_t block = w->format->width * w->channels;
	uint32_t data = (uint32_t)(w->frames_written * block);
	uint16_t tag = w->format->is_float ? WAV_FLOAT : w->format->law == VG_LAW_MU ? WAV_MULAW :
		w->format->law == VG_LAW_A ? WAV_ALAW : WAV_PCM;

	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data + (data & 1));
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	put_le16(h + 20, tag);
	put_le16(h + 22, (uint16_t)w->channels);
	put_le32(h + 24, w->rate);
	put_le32(h + 28, w->rate * block);
	put_le16(h + 32, (uint16_t)block);
	/* arecord: S24_LE is 24 bits in 4 bytes, which aplay reads back as S24_LE */
	put_le16(h + 34, w->format->bits);
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data);
}

int vg_wav_open_write(struct vg_wav *w, const char *path, const struct vg_format *fmt,
		uint32_t rate, uint32_t channels)
{
	uint8_t h[44];

	memset(w, 0, sizeof(*w));
	/* WAV is little endian: only the LE formats WAV can describe are written. */
	if (fmt->big_endian || (!fmt->is_signed && fmt->width > 1) || (fmt->is_signed && fmt->width == 1))
		return -ENOTSUP;
	w->f = fopen(path, "wb");
	if (w->f == NULL)
		return -errno;
	w->format = fmt;
	w->writing = true;
	w->rate = rate;
	w->channels = channels;
	wav_header(w, h);
	return fwrite(h, 1, 44, w->f) == 44 ? 0 : -EIO;
}

int vg_wav_write(struct vg_wav *w, const void *data, uint32_t frames)
{
	size_t n = (size_t)frames * w->format->width * w->channels;

	if (fwrite(data, 1, n, w->f) != n)
		return -EIO;
	w->frames_written += frames;
	return 0;
}

int vg_wav_close(struct vg_wav *w)
{
	uint8_t h[44];
	int res = 0;

	if (w->f == NULL)
		return 0;
	if (w->writing) {
		/* the pad byte of an odd-sized data chunk */
		if ((w->frames_written * w->format->width * w->channels) & 1)
			fputc(0, w->f);
		wav_header(w, h);
		if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, 44, w->f) != 44)
			res = -EIO;
	}
	if (fclose(w->f) != 0)
		res = -EIO;
	w->f = NULL;
	return res;
}
