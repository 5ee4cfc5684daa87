/*
 * Host-side decompression of a bzImage payload (the compressed vmlinux that the
 * kernel's own decompressor would unpack): format detection by magic, gzip (zlib),
 * xz with the x86 BCJ filter (liblzma), zstd (libzstd, when built with it), with a
 * hard cap on the output size against decompression bombs.
 */
#ifndef HW_I386_BZIMAGE_UNPACK_H
#define HW_I386_BZIMAGE_UNPACK_H

#include <stddef.h>
#include <stdint.h>
#include "system/error.h"

typedef enum BzPayloadFormat {
    BZ_PAYLOAD_UNKNOWN,
    BZ_PAYLOAD_GZIP,
    BZ_PAYLOAD_XZ,
    BZ_PAYLOAD_ZSTD,
    BZ_PAYLOAD_LZMA,
    BZ_PAYLOAD_BZIP2,
    BZ_PAYLOAD_LZ4,
    BZ_PAYLOAD_LZO,
} BzPayloadFormat;

BzPayloadFormat bzimage_payload_format(const uint8_t *p, size_t len);
const char *bzimage_payload_format_name(BzPayloadFormat fmt);

/* Decompress a payload of any supported format into a malloc'd buffer of at most
 * max_out bytes. Trailing bytes after the compressed stream (the kernel appends the
 * uncompressed size as le32) are ignored. Errors name `path`. */
uint8_t *bzimage_decompress(const uint8_t *payload, size_t len, size_t max_out,
                            size_t *out_len, const char *path, Error **errp);

#endif
