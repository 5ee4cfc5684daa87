/*
 * bzImage payload decompression on the host: gzip through zlib, xz (with its x86 BCJ
 * filter) through liblzma, zstd through libzstd when configured. Output grows in
 * steps up to a caller-given cap, so a hostile payload cannot exhaust host memory.
 */
#include "hw/i386/bzimage_unpack.h"
#include "hw/i386/unpack_cache.h"
#include "config-host.h"

#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

/* liblzma's dictionary limit for untrusted streams: the kernel uses 32 MiB */
#define XZ_MEMLIMIT (256ull << 20)
#define INITIAL_OUTPUT (4u << 20)
/* the size hint in the file is untrusted: never allocate more than this up front */
#define MAX_INITIAL_OUTPUT (256u << 20)

static const struct {
    BzPayloadFormat fmt;
    const char *name;
    uint8_t magic[6];
    size_t magic_len;
} payload_formats[] = {
    { BZ_PAYLOAD_GZIP, "gzip", { 0x1f, 0x8b }, 2 },
    { BZ_PAYLOAD_XZ, "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
    { BZ_PAYLOAD_ZSTD, "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
    { BZ_PAYLOAD_LZMA, "lzma", { 0x5d, 0x00, 0x00 }, 3 },
    { BZ_PAYLOAD_BZIP2, "bzip2", { 'B', 'Z', 'h' }, 3 },
    { BZ_PAYLOAD_LZ4, "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4 },
    { BZ_PAYLOAD_LZO, "lzo", { 0x89, 'L', 'Z', 'O' }, 4 },
};
#define NR_PAYLOAD_FORMATS (sizeof(payload_formats) / sizeof(payload_formats[0]))

BzPayloadFormat bzimage_payload_format(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < NR_PAYLOAD_FORMATS; i++) {
        if (len >= payload_formats[i].magic_len &&
            memcmp(p, payload_formats[i].magic, payload_formats[i].magic_len) == 0) {
            return payload_formats[i].fmt;
        }
    }
    return BZ_PAYLOAD_UNKNOWN;
}

const char *bzimage_payload_format_name(BzPayloadFormat fmt)
{
    for (size_t i = 0; i < NR_PAYLOAD_FORMATS; i++) {
        if (payload_formats[i].fmt == fmt) {
            return payload_formats[i].name;
        }
    }
    return "unknown";
}

/* The output buffer: grows by doubling up to max. */
typedef struct OutBuf {
    uint8_t *data;
    size_t len, cap, max;
} OutBuf;

static void outbuf_init(OutBuf *o, size_t hint, size_t max)
{
    o->max = max;
    /* a little slack lets the decoder see the end of the stream without a resize */
    if (hint > 0 && hint <= MAX_INITIAL_OUTPUT) {
        hint += 65536;
    } else {
        hint = INITIAL_OUTPUT;
    }
    o->cap = hint < max ? hint : max;
    if (o->cap == 0) {
        o->cap = 1;
    }
    o->data = xmalloc(o->cap);
    o->len = 0;
}

/* Make room for more output; false when the cap is reached. */
static bool outbuf_grow(OutBuf *o)
{
    if (o->cap >= o->max) {
        return false;
    }
    size_t cap = o->cap > o->max / 2 ? o->max : o->cap * 2;
    o->data = xrealloc(o->data, cap);
    o->cap = cap;
    return true;
}

static void too_large(const char *path, const char *fmt, size_t max, Error **errp)
{
    error_setg(errp, "%s: %s payload decompresses to more than %zu MiB", path, fmt,
               max >> 20);
}

static bool unpack_gzip(const uint8_t *in, size_t len, OutBuf *o, const char *path,
                        Error **errp)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (len > UINT32_MAX || inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        error_setg(errp, "%s: cannot start the gzip decoder", path);
        return false;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)len;
    bool ok = false;
    for (;;) {
        if (o->len == o->cap && !outbuf_grow(o)) {
            too_large(path, "gzip", o->max, errp);
            break;
        }
        size_t room = o->cap - o->len;
        zs.next_out = o->data + o->len;
        zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt before = zs.avail_out;
        int r = inflate(&zs, Z_NO_FLUSH);
        o->len += before - zs.avail_out;
        if (r == Z_STREAM_END) {
            ok = true;
            break;
        }
        if (r == Z_BUF_ERROR && zs.avail_out == 0) {
            continue;               /* output full: grow */
        }
        if (r == Z_OK) {
            continue;
        }
        if (r == Z_BUF_ERROR) {
            error_setg(errp, "%s: gzip payload is truncated", path);
        } else {
            error_setg(errp, "%s: corrupt gzip payload (%s)", path,
                       zs.msg ? zs.msg : "bad data");
        }
        break;
    }
    inflateEnd(&zs);
    return ok;
}

static bool unpack_xz(const uint8_t *in, size_t len, OutBuf *o, const char *path,
                      Error **errp)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    /* no LZMA_CONCATENATED: stop at the end of the first stream, before the size
     * trailer the kernel build appends */
    if (lzma_stream_decoder(&strm, XZ_MEMLIMIT, 0) != LZMA_OK) {
        error_setg(errp, "%s: cannot start the xz decoder", path);
        return false;
    }
    strm.next_in = in;
    strm.avail_in = len;
    bool ok = false;
    for (;;) {
        if (o->len == o->cap && !outbuf_grow(o)) {
            too_large(path, "xz", o->max, errp);
            break;
        }
        strm.next_out = o->data + o->len;
        strm.avail_out = o->cap - o->len;
        size_t before = strm.avail_out;
        lzma_ret r = lzma_code(&strm, LZMA_FINISH);
        o->len += before - strm.avail_out;
        if (r == LZMA_STREAM_END) {
            ok = true;
            break;
        }
        if (r == LZMA_OK || (r == LZMA_BUF_ERROR && strm.avail_out == 0)) {
            continue;
        }
        const char *why;
        switch (r) {
        case LZMA_BUF_ERROR: why = "truncated data"; break;
        case LZMA_MEMLIMIT_ERROR:
        case LZMA_MEM_ERROR: why = "dictionary too large"; break;
        case LZMA_FORMAT_ERROR: why = "not an xz stream"; break;
        case LZMA_OPTIONS_ERROR: why = "unsupported options or filters"; break;
        default: why = "bad data"; break;
        }
        error_setg(errp, "%s: corrupt xz payload (%s)", path, why);
        break;
    }
    lzma_end(&strm);
    return ok;
}

#ifdef CONFIG_ZSTD
static bool unpack_zstd(const uint8_t *in, size_t len, OutBuf *o, const char *path,
                        Error **errp)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx) {
        error_setg(errp, "%s: cannot start the zstd decoder", path);
        return false;
    }
    /* the kernel's -22 --ultra frames use windows up to 2^27 bytes */
    ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27);
    ZSTD_inBuffer ib = { in, len, 0 };
    bool ok = false;
    for (;;) {
        if (o->len == o->cap && !outbuf_grow(o)) {
            too_large(path, "zstd", o->max, errp);
            break;
        }
        ZSTD_outBuffer ob = { o->data, o->cap, o->len };
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        o->len = ob.pos;
        if (ZSTD_isError(r)) {
            error_setg(errp, "%s: corrupt zstd payload (%s)", path, ZSTD_getErrorName(r));
            break;
        }
        if (r == 0) {
            ok = true;              /* frame complete */
            break;
        }
        if (ib.pos == ib.size && ob.pos < ob.size) {
            error_setg(errp, "%s: zstd payload is truncated", path);
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return ok;
}
#endif

uint8_t *bzimage_decompress(const uint8_t *payload, size_t len, size_t max_out,
                            size_t *out_len, const char *path, Error **errp)
{
    BzPayloadFormat fmt = bzimage_payload_format(payload, len);
    /* the kernel build appends the uncompressed size: use it as a first guess only */
    size_t hint = 0;
    if (len >= 8) {
        const uint8_t *t = payload + len - 4;
        hint = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    }
    size_t cached_len;
    uint8_t *cached = unpack_cache_lookup(payload, len, max_out, &cached_len);
    if (cached) {
        *out_len = cached_len;
        return cached;
    }
    OutBuf o = { 0 };
    bool ok;
    switch (fmt) {
    case BZ_PAYLOAD_GZIP:
        outbuf_init(&o, hint, max_out);
        ok = unpack_gzip(payload, len, &o, path, errp);
        break;
    case BZ_PAYLOAD_XZ:
        outbuf_init(&o, hint, max_out);
        ok = unpack_xz(payload, len, &o, path, errp);
        break;
    case BZ_PAYLOAD_ZSTD:
#ifdef CONFIG_ZSTD
        outbuf_init(&o, hint, max_out);
        ok = unpack_zstd(payload, len, &o, path, errp);
        break;
#else
        error_setg(errp, "%s: the kernel payload is zstd-compressed but this Ember was "
                   "built without libzstd; use -machine pc,linux-unpack=off", path);
        return NULL;
#endif
    case BZ_PAYLOAD_UNKNOWN:
        error_setg(errp, "%s: unknown kernel payload compression (magic %02x %02x); "
                   "use -machine pc,linux-unpack=off", path, len > 0 ? payload[0] : 0,
                   len > 1 ? payload[1] : 0);
        return NULL;
    default:
        error_setg(errp, "%s: unsupported payload compression %s, use "
                   "-machine pc,linux-unpack=off", path, bzimage_payload_format_name(fmt));
        return NULL;
    }
    if (!ok) {
        free(o.data);
        return NULL;
    }
    unpack_cache_store(payload, len, o.data, o.len);
    *out_len = o.len;
    return o.data;
}
