/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#include "audio.h"

/* XENSND_PCM_FORMAT_* values (xen/io/sndif.h), the same numbers as ALSA's. */
static const struct vg_format formats[] = {
	{ 0, "s8", 1, 8, true, false, false },
	{ 1, "u8", 1, 8, false, false, false },
	{ 2, "s16_le", 2, 16, true, false, false },
	{ 3, "s16_be", 2, 16, true, false, true },
	{ 4, "u16_le", 2, 16, false, false, false },
	{ 5, "u16_be", 2, 16, false, false, true },
	{ 6, "s24_le", 4, 24, true, false, false },	/* 24 in 32, like ALSA S24_LE */
	{ 7, "s24_be", 4, 24, true, false, true },
	{ 8, "u24_le", 4, 24, false, false, false },
	{ 9, "u24_be", 4, 24, false, false, true },
	{ 10, "s32_le", 4, 32, true, false, false },
	{ 11, "s32_be", 4, 32, true, false, true },
	{ 12, "u32_le", 4, 32, false, false, false },
	{ 13, "u32_be", 4, 32, false, false, true },
	{ 14, "float_le", 4, 32, true, true, false },
	{ 15, "float_be", 4, 32, true, true, true },
	{ 16, "float64_le", 8, 64, true, true, false },
	{ 17, "float64_be", 8, 64, true, true, true },
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

const struct vg_format *vg_format_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < N_FORMATS; i++) {
		if (strcasecmp(formats[i].name, name) == 0)
			return &formats[i];
	}
	return NULL;
}

const struct vg_format *vg_format_get(uint32_t sndif)
{
	return sndif < N_FORMATS ? &formats[sndif] : NULL;
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

void vg_sample_put(const struct vg_format *f, void *dst, double x)
{
	if (x > 1.0)
		x = 1.0;
	if (x < -1.0)
		x = -1.0;
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

int vg_wav_open_read(struct vg_wav *w, const char *path, char *err, size_t err_size)
{
	uint8_t hdr[12], ck[8], fmt[40];
	bool have_fmt = false;
	uint16_t tag = 0, bits = 0, block = 0;

	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "rb");
	if (w->f == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fread(hdr, 1, 12, w->f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4))
		goto bad;
	/* Bounded walk: at most 64 chunks before "data". */
	for (int i = 0; i < 64; i++) {
		uint32_t len;

		if (fread(ck, 1, 8, w->f) != 8)
			goto bad;
		len = le32(ck + 4);
		if (memcmp(ck, "fmt ", 4) == 0) {
			if (len < 16 || len > sizeof(fmt) || fread(fmt, 1, len, w->f) != len)
				goto bad;
			if (len & 1)
				fseek(w->f, 1, SEEK_CUR);
			tag = le16(fmt);
			w->channels = le16(fmt + 2);
			w->rate = le32(fmt + 4);
			block = le16(fmt + 12);
			bits = le16(fmt + 14);
			if (tag == 0xfffe && len >= 26)
				tag = le16(fmt + 24);
			have_fmt = true;
		} else if (memcmp(ck, "data", 4) == 0) {
			if (!have_fmt || w->channels == 0 || w->channels > 64)
				goto bad;
			if (tag == 3 && bits == 32)
				w->format = vg_format_by_name("float_le");
			else if (tag == 3 && bits == 64)
				w->format = vg_format_by_name("float64_le");
			else if (tag == 1 && bits == 8)
				w->format = vg_format_by_name("u8");
			else if (tag == 1 && bits == 16)
				w->format = vg_format_by_name("s16_le");
			else if (tag == 1 && bits == 32 && block == 4 * w->channels)
				w->format = vg_format_by_name("s32_le");
			if (w->format == NULL) {
				snprintf(err, err_size, "%s: unsupported WAV encoding (tag %u, %u bits)",
						path, tag, bits);
				fclose(w->f);
				w->f = NULL;
				return -ENOTSUP;
			}
			w->data_left = len;
			return 0;
		} else {
			if (fseek(w->f, (long)len + (len & 1), SEEK_CUR) != 0)
				goto bad;
		}
	}
bad:
	snprintf(err, err_size, "%s: not a usable RIFF/WAVE file", path);
	fclose(w->f);
	w->f = NULL;
	return -EINVAL;
}

uint32_t vg_wav_read(struct vg_wav *w, const struct vg_format *fmt, uint32_t channels,
		uint32_t frames, void *dst)
{
	uint8_t in[64 * 8];
	uint32_t in_frame = w->format->width * w->channels, n, c;
	uint8_t *out = dst;

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

	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	put_le16(h + 20, w->format->is_float ? 3 : 1);
	put_le16(h + 22, (uint16_t)w->channels);
	put_le32(h + 24, w->rate);
	put_le32(h + 28, w->rate * block);
	put_le16(h + 32, (uint16_t)block);
	put_le16(h + 34, (uint16_t)(w->format->width * 8));
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
		wav_header(w, h);
		if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, 44, w->f) != 44)
			res = -EIO;
	}
	if (fclose(w->f) != 0)
		res = -EIO;
	w->f = NULL;
	return res;
}
