/* A cache of unpacked kernel payloads, keyed by the compressed bytes. */
#include "hw/i386/unpack_cache.h"
#include "system/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "EMBRUNPK"

typedef struct CacheHeader {
    char magic[8];
    uint64_t payload_hash;
    uint64_t payload_len;
    uint64_t out_len;
    uint64_t out_hash;
} CacheHeader;

uint64_t unpack_cache_hash(const uint8_t *buf, size_t len)
{
    /* word-at-a-time multiply-xorshift mixing: fast, not cryptographic; a collision
     * would need a crafted kernel and only hands that kernel someone else's bytes
     * that were checked against their own hash */
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, buf + i, 8);
        h ^= w;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= buf[i];
        h *= 0xc4ceb9fe1a85ec53ull;
    }
    h ^= h >> 33;
    return h;
}

static bool cache_enabled(void)
{
    const char *e = getenv("EMBER_UNPACK_CACHE");
    return !(e && (strcmp(e, "off") == 0 || strcmp(e, "0") == 0));
}

/* $EMBER_CACHE/unpacked, else $XDG_CACHE_HOME/ember/unpacked, else ~/.cache/ember/... */
static char *cache_dir(void)
{
    const char *base = getenv("EMBER_CACHE");
    if (base && *base) {
        return xasprintf("%s/unpacked", base);
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) {
        return xasprintf("%s/ember/unpacked", xdg);
    }
    const char *home = getenv("HOME");
    return home && *home ? xasprintf("%s/.cache/ember/unpacked", home) : NULL;
}

static char *cache_path(uint64_t key, size_t len)
{
    char *dir = cache_dir();
    if (!dir) {
        return NULL;
    }
    char *p = xasprintf("%s/%016" PRIx64 "-%zu.vmlinux", dir, key, len);
    free(dir);
    return p;
}

static bool read_full(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r <= 0) {
            return false;
        }
        p += r;
        len -= (size_t)r;
    }
    return true;
}

uint8_t *unpack_cache_lookup(const uint8_t *payload, size_t len, size_t max_out,
                             size_t *out_len)
{
    if (!cache_enabled()) {
        return NULL;
    }
    uint64_t key = unpack_cache_hash(payload, len);
    char *path = cache_path(key, len);
    if (!path) {
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0) {
        return NULL;
    }
    CacheHeader h;
    uint8_t *out = NULL;
    if (!read_full(fd, &h, sizeof(h)) || memcmp(h.magic, CACHE_MAGIC, 8) != 0 ||
        h.payload_hash != key || h.payload_len != len || h.out_len == 0 ||
        h.out_len > max_out) {
        goto fail;
    }
    out = malloc(h.out_len);
    if (!out || !read_full(fd, out, h.out_len) ||
        unpack_cache_hash(out, h.out_len) != h.out_hash) {
        goto fail;
    }
    close(fd);
    *out_len = h.out_len;
    return out;
fail:
    free(out);
    close(fd);
    return NULL;
}

static bool mkdir_p(const char *dir)
{
    char *copy = xstrdup(dir);
    for (char *p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0755);
            *p = '/';
        }
    }
    bool ok = mkdir(copy, 0755) == 0 || errno == EEXIST;
    free(copy);
    return ok;
}

void unpack_cache_store(const uint8_t *payload, size_t len, const uint8_t *out,
                        size_t out_len)
{
    if (!cache_enabled()) {
        return;
    }
    char *dir = cache_dir();
    if (!dir || !mkdir_p(dir)) {
        free(dir);
        return;
    }
    free(dir);
    uint64_t key = unpack_cache_hash(payload, len);
    char *path = cache_path(key, len);
    char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
    CacheHeader h = { .payload_hash = key, .payload_len = len, .out_len = out_len,
                      .out_hash = unpack_cache_hash(out, out_len) };
    memcpy(h.magic, CACHE_MAGIC, 8);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(&h, sizeof(h), 1, f) == 1 && fwrite(out, 1, out_len, f) == out_len;
    if (f && fclose(f) != 0) {
        ok = false;
    }
    /* the rename makes the entry appear whole or not at all */
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
    }
    free(tmp);
    free(path);
}
