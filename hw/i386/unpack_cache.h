/*
 * A cache of unpacked kernel payloads, so that booting the same bzImage again does
 * not pay for host-side decompression (about a second for an XZ kernel). Entries
 * live in $EMBER_CACHE/unpacked (default ~/.cache/ember/unpacked), keyed by a hash
 * of the compressed payload and checked by a hash of the unpacked bytes. Any
 * problem with the cache (unwritable, corrupt, missing) just means decompressing.
 * EMBER_UNPACK_CACHE=off disables it.
 */
#ifndef HW_I386_UNPACK_CACHE_H
#define HW_I386_UNPACK_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* The unpacked bytes for this payload (malloc'd, *out_len set), or NULL. */
uint8_t *unpack_cache_lookup(const uint8_t *payload, size_t len, size_t max_out,
                             size_t *out_len);
/* Remember the unpacked bytes for this payload (best effort). */
void unpack_cache_store(const uint8_t *payload, size_t len, const uint8_t *out,
                        size_t out_len);
/* A fast 64-bit hash of a buffer (exposed for tests). */
uint64_t unpack_cache_hash(const uint8_t *buf, size_t len);

#endif
