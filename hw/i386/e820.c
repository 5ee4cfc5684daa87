/* The e820 memory map: a sorted, non-overlapping range table and its serializations. */
#include "hw/i386/e820.h"
#include "system/error.h"

#include <stdlib.h>
#include <string.h>

void e820_init(E820Table *t)
{
    memset(t, 0, sizeof(*t));
}

static int e820_entry_cmp(const void *a, const void *b)
{
    const E820Entry *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

bool e820_add(E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0) {
        return true;
    }
    if (type == 0 || size > UINT64_MAX - addr) {
        return false;
    }
    uint64_t end = addr + size;
    /* cutting the new range out of the old ones splits at most one entry in two */
    E820Entry tmp[E820_MAX_ENTRIES + 2];
    unsigned n = 0;
    for (unsigned i = 0; i < t->nr; i++) {
        const E820Entry *e = &t->entries[i];
        uint64_t e_end = e->addr + e->size;
        if (e_end <= addr || e->addr >= end) {
            tmp[n++] = *e;
            continue;
        }
        if (e->addr < addr) {
            tmp[n++] = (E820Entry){ e->addr, addr - e->addr, e->type };
        }
        if (e_end > end) {
            tmp[n++] = (E820Entry){ end, e_end - end, e->type };
        }
    }
    tmp[n++] = (E820Entry){ addr, size, type };
    qsort(tmp, n, sizeof(tmp[0]), e820_entry_cmp);

    unsigned out = 0;
    for (unsigned i = 0; i < n; i++) {
        if (out > 0) {
            E820Entry *prev = &tmp[out - 1];
            if (prev->type == tmp[i].type && prev->addr + prev->size == tmp[i].addr) {
                prev->size += tmp[i].size;
                continue;
            }
        }
        tmp[out++] = tmp[i];
    }
    if (out > E820_MAX_ENTRIES) {
        return false;
    }
    memcpy(t->entries, tmp, sizeof(tmp[0]) * out);
    t->nr = out;
    return true;
}

void e820_build_pc(E820Table *t, uint64_t below_4g, uint64_t above_4g)
{
    e820_init(t);
    uint64_t low_ram = below_4g < E820_EBDA_START ? below_4g : E820_EBDA_START;
    e820_add(t, 0, low_ram, E820_RAM);
    if (below_4g > E820_EBDA_START) {
        e820_add(t, E820_EBDA_START, E820_LOW_RAM_END - E820_EBDA_START, E820_RESERVED);
    }
    e820_add(t, E820_BIOS_START, E820_HIGH_RAM_START - E820_BIOS_START, E820_RESERVED);
    if (below_4g > E820_HIGH_RAM_START) {
        uint64_t top = below_4g < E820_APIC_AREA_START ? below_4g : E820_APIC_AREA_START;
        e820_add(t, E820_HIGH_RAM_START, top - E820_HIGH_RAM_START, E820_RAM);
    }
    e820_add(t, E820_APIC_AREA_START, E820_4G - E820_APIC_AREA_START, E820_RESERVED);
    if (above_4g) {
        e820_add(t, E820_4G, above_4g, E820_RAM);
    }
}

bool e820_range_is(const E820Table *t, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0) {
        return true;
    }
    if (size > UINT64_MAX - addr) {
        return false;
    }
    uint64_t cur = addr, end = addr + size;
    /* entries are sorted and merged: walk them while they keep covering `cur` */
    for (unsigned i = 0; i < t->nr && cur < end; i++) {
        const E820Entry *e = &t->entries[i];
        uint64_t e_end = e->addr + e->size;
        if (e_end <= cur) {
            continue;
        }
        if (e->addr > cur || e->type != type) {
            return false;
        }
        cur = e_end;
    }
    return cur >= end;
}

uint64_t e820_total(const E820Table *t, uint32_t type)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < t->nr; i++) {
        if (t->entries[i].type == type) {
            sum += t->entries[i].size;
        }
    }
    return sum;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

unsigned e820_serialize(const E820Table *t, uint8_t *dst, unsigned max)
{
    unsigned n = t->nr < max ? t->nr : max;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = dst + i * E820_ENTRY_SIZE;
        put_le(p, t->entries[i].addr, 8);
        put_le(p + 8, t->entries[i].size, 8);
        put_le(p + 16, t->entries[i].type, 4);
    }
    return n;
}

uint8_t *e820_to_fw_cfg(const E820Table *t, size_t *len)
{
    *len = (size_t)t->nr * E820_ENTRY_SIZE;
    uint8_t *blob = xzalloc(*len ? *len : 1);
    e820_serialize(t, blob, t->nr);
    return blob;
}
