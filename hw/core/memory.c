/* The memory map: region tree, flattening into sorted ranges, listeners and dispatch. */
#include "hw/core/memory.h"
#include "system/error.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static AddressSpace *all_address_spaces;
static int transaction_depth;
static bool topology_changed;

static void memory_region_init_common(MemoryRegion *mr, const char *name, uint64_t size,
                                      MemoryRegionKind kind)
{
    memset(mr, 0, sizeof(*mr));
    mr->name = xstrdup(name);
    mr->size = size;
    mr->kind = kind;
    mr->enabled = true;
}

void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_common(mr, name, size, MR_CONTAINER);
}

static uint8_t *alloc_host_ram(uint64_t size)
{
    void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        fatal("cannot allocate %" PRIu64 " MiB of guest memory", size >> 20);
    }
    return p;
}

void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_common(mr, name, size, MR_RAM);
    mr->host = alloc_host_ram(size);
    mr->host_owned = true;
}

void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size)
{
    memory_region_init_ram(mr, name, size);
    mr->kind = MR_ROM;
}

void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size, void *host)
{
    memory_region_init_common(mr, name, size, MR_RAM);
    mr->host = host;
}

void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    memory_region_init_common(mr, name, size, MR_IO);
    mr->ops = ops;
    mr->opaque = opaque;
}

void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              uint64_t offset, uint64_t size)
{
    memory_region_init_common(mr, name, size, MR_ALIAS);
    mr->alias = orig;
    mr->alias_offset = offset;
}

void memory_region_destroy(MemoryRegion *mr)
{
    if (mr->container) {
        memory_region_del_subregion(mr->container, mr);
    }
    if (mr->host_owned && mr->host) {
        munmap(mr->host, mr->size ? mr->size : 1);
    }
    free(mr->subregions);
    free(mr->name);
    memset(mr, 0, sizeof(*mr));
}

static void memory_rebuild_all(void);

static void topology_update(void)
{
    topology_changed = true;
    if (transaction_depth == 0) {
        memory_rebuild_all();
    }
}

void memory_transaction_begin(void)
{
    transaction_depth++;
}

void memory_transaction_commit(void)
{
    if (--transaction_depth == 0 && topology_changed) {
        memory_rebuild_all();
    }
}

void memory_region_add_subregion_overlap(MemoryRegion *container, uint64_t addr,
                                         MemoryRegion *sub, int priority)
{
    if (sub->container) {
        abort(); /* a region lives in one container at a time */
    }
    sub->container = container;
    sub->addr = addr;
    sub->priority = priority;
    container->subregions = xrealloc(container->subregions,
                                     sizeof(MemoryRegion *) * (container->nr_subregions + 1));
    /* insert before the first of lower or equal priority: newer wins among equals */
    unsigned i = 0;
    while (i < container->nr_subregions && container->subregions[i]->priority > priority) {
        i++;
    }
    memmove(&container->subregions[i + 1], &container->subregions[i],
            sizeof(MemoryRegion *) * (container->nr_subregions - i));
    container->subregions[i] = sub;
    container->nr_subregions++;
    topology_update();
}

void memory_region_add_subregion(MemoryRegion *container, uint64_t addr, MemoryRegion *sub)
{
    memory_region_add_subregion_overlap(container, addr, sub, 0);
}

void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub)
{
    for (unsigned i = 0; i < container->nr_subregions; i++) {
        if (container->subregions[i] == sub) {
            memmove(&container->subregions[i], &container->subregions[i + 1],
                    sizeof(MemoryRegion *) * (container->nr_subregions - i - 1));
            container->nr_subregions--;
            sub->container = NULL;
            topology_update();
            return;
        }
    }
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        topology_update();
    }
}

void memory_region_set_address(MemoryRegion *mr, uint64_t addr)
{
    if (mr->addr != addr) {
        mr->addr = addr;
        if (mr->container) {
            topology_update();
        }
    }
}

void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset)
{
    if (mr->alias_offset != offset) {
        mr->alias_offset = offset;
        topology_update();
    }
}

/* ---- flattening ---- */

typedef struct ViewBuilder {
    FlatRange *r;
    unsigned nr, cap;
} ViewBuilder;

static void view_insert(ViewBuilder *vb, unsigned at, FlatRange fr)
{
    if (vb->nr == vb->cap) {
        vb->cap = vb->cap ? vb->cap * 2 : 16;
        vb->r = xrealloc(vb->r, sizeof(FlatRange) * vb->cap);
    }
    memmove(&vb->r[at + 1], &vb->r[at], sizeof(FlatRange) * (vb->nr - at));
    vb->r[at] = fr;
    vb->nr++;
}

/* Claim the holes of [start, end) for mr (whose offset 0 is at `base`). Ranges already
 * in the view came from higher-priority regions and win. end == 0 means 2^64. */
static void view_fill(ViewBuilder *vb, MemoryRegion *mr, uint64_t base, uint64_t start,
                      uint64_t last)
{
    uint64_t cur = start;
    unsigned i = 0;
    for (;;) {
        while (i < vb->nr && vb->r[i].start + vb->r[i].size - 1 < cur) {
            i++;
        }
        uint64_t hole_last = last;
        if (i < vb->nr && vb->r[i].start <= last) {
            if (vb->r[i].start <= cur) {
                /* cur is covered: skip past this range */
                uint64_t next = vb->r[i].start + vb->r[i].size;
                if (next == 0 || next - 1 >= last) {
                    return;
                }
                cur = next;
                i++;
                continue;
            }
            hole_last = vb->r[i].start - 1;
        }
        FlatRange fr = { .start = cur, .size = hole_last - cur + 1, .mr = mr,
                         .offset = cur - base };
        view_insert(vb, i, fr);
        i++;
        if (hole_last >= last) {
            return;
        }
        cur = hole_last + 1;
    }
}

/* Render mr placed at `base`, clipped to [clip_first, clip_last]. */
static void render_region(ViewBuilder *vb, MemoryRegion *mr, uint64_t base,
                          uint64_t clip_first, uint64_t clip_last)
{
    if (!mr->enabled || mr->size == 0) {
        return;
    }
    uint64_t first = base;
    uint64_t last = base + mr->size - 1;
    if (last < first) {
        last = UINT64_MAX; /* wraps: clamp */
    }
    if (first < clip_first) {
        first = clip_first;
    }
    if (last > clip_last) {
        last = clip_last;
    }
    if (first > last) {
        return;
    }
    switch (mr->kind) {
    case MR_ALIAS:
        render_region(vb, mr->alias, base - mr->alias_offset, first, last);
        break;
    case MR_CONTAINER:
        for (unsigned i = 0; i < mr->nr_subregions; i++) {
            MemoryRegion *sub = mr->subregions[i];
            render_region(vb, sub, base + sub->addr, first, last);
        }
        break;
    default:
        view_fill(vb, mr, base, first, last);
        break;
    }
}

static void view_merge(ViewBuilder *vb)
{
    unsigned out = 0;
    for (unsigned i = 0; i < vb->nr; i++) {
        if (out > 0) {
            FlatRange *p = &vb->r[out - 1];
            FlatRange *c = &vb->r[i];
            if (p->mr == c->mr && p->start + p->size == c->start &&
                p->offset + p->size == c->offset) {
                p->size += c->size;
                continue;
            }
        }
        vb->r[out++] = vb->r[i];
    }
    vb->nr = out;
}

static bool range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->start == b->start && a->size == b->size && a->mr == b->mr &&
           a->offset == b->offset;
}

static bool view_contains(const FlatView *v, const FlatRange *fr)
{
    for (unsigned i = 0; i < v->nr; i++) {
        if (range_equal(&v->ranges[i], fr)) {
            return true;
        }
    }
    return false;
}

static void address_space_rebuild(AddressSpace *as)
{
    ViewBuilder vb = { 0 };
    if (as->root) {
        render_region(&vb, as->root, 0, 0, UINT64_MAX);
    }
    view_merge(&vb);
    FlatView old = as->view;
    as->view.ranges = vb.r;
    as->view.nr = vb.nr;
    as->generation++;
    for (MemoryListener *l = as->listeners; l; l = l->next) {
        for (unsigned i = 0; l->region_del && i < old.nr; i++) {
            if (!view_contains(&as->view, &old.ranges[i])) {
                l->region_del(l, &old.ranges[i]);
            }
        }
        for (unsigned i = 0; l->region_add && i < as->view.nr; i++) {
            if (!view_contains(&old, &as->view.ranges[i])) {
                l->region_add(l, &as->view.ranges[i]);
            }
        }
        if (l->commit) {
            l->commit(l);
        }
    }
    free(old.ranges);
}

static void memory_rebuild_all(void)
{
    topology_changed = false;
    for (AddressSpace *as = all_address_spaces; as; as = as->next) {
        address_space_rebuild(as);
    }
}

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    memset(as, 0, sizeof(*as));
    as->name = xstrdup(name);
    as->root = root;
    as->next = all_address_spaces;
    all_address_spaces = as;
    address_space_rebuild(as);
}

void address_space_destroy(AddressSpace *as)
{
    for (AddressSpace **p = &all_address_spaces; *p; p = &(*p)->next) {
        if (*p == as) {
            *p = as->next;
            break;
        }
    }
    free(as->view.ranges);
    free(as->name);
    memset(as, 0, sizeof(*as));
}

void address_space_add_listener(AddressSpace *as, MemoryListener *l)
{
    l->next = as->listeners;
    as->listeners = l;
    for (unsigned i = 0; l->region_add && i < as->view.nr; i++) {
        l->region_add(l, &as->view.ranges[i]);
    }
    if (l->commit) {
        l->commit(l);
    }
}

void address_space_remove_listener(AddressSpace *as, MemoryListener *l)
{
    for (MemoryListener **p = &as->listeners; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            return;
        }
    }
}

const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr)
{
    const FlatRange *r = as->view.ranges;
    unsigned lo = 0, hi = as->view.nr;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (addr < r[mid].start) {
            hi = mid;
        } else if (addr - r[mid].start >= r[mid].size) {
            lo = mid + 1;
        } else {
            return &r[mid];
        }
    }
    return NULL;
}

/* ---- dispatch ---- */

static unsigned ops_min(const MemoryRegionOps *ops)
{
    return ops->min_access ? ops->min_access : 1;
}

static unsigned ops_max(const MemoryRegionOps *ops)
{
    return ops->max_access ? ops->max_access : 4;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static uint64_t io_read(MemoryRegion *mr, uint64_t off, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned max = ops_max(ops), min = ops_min(ops);
    if (!ops->read) {
        return size_mask(size);
    }
    if (size > max) {
        uint64_t v = 0;
        for (unsigned done = 0; done < size; done += max) {
            v |= (io_read(mr, off + done, max) & size_mask(max)) << (done * 8);
        }
        return v;
    }
    if (size < min) {
        uint64_t aligned = off & ~(uint64_t)(min - 1);
        uint64_t v = ops->read(mr->opaque, aligned, min);
        return (v >> ((off - aligned) * 8)) & size_mask(size);
    }
    return ops->read(mr->opaque, off, size) & size_mask(size);
}

static void io_write(MemoryRegion *mr, uint64_t off, uint64_t value, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned max = ops_max(ops), min = ops_min(ops);
    if (!ops->write) {
        return;
    }
    if (size > max) {
        for (unsigned done = 0; done < size; done += max) {
            io_write(mr, off + done, (value >> (done * 8)) & size_mask(max), max);
        }
        return;
    }
    if (size < min) {
        uint64_t aligned = off & ~(uint64_t)(min - 1);
        ops->write(mr->opaque, aligned, (value & size_mask(size)) << ((off - aligned) * 8), min);
        return;
    }
    ops->write(mr->opaque, off, value & size_mask(size), size);
}

MemTxResult address_space_rw(AddressSpace *as, uint64_t addr, void *buf, uint64_t len,
                             bool is_write)
{
    uint8_t *p = buf;
    MemTxResult res = MEMTX_OK;
    while (len > 0) {
        const FlatRange *fr = address_space_lookup(as, addr);
        if (!fr) {
            if (!is_write) {
                *p = 0xff;
            }
            res = MEMTX_UNASSIGNED;
            p++;
            addr++;
            len--;
            continue;
        }
        uint64_t off = fr->offset + (addr - fr->start);
        uint64_t avail = fr->size - (addr - fr->start);
        uint64_t n = len < avail ? len : avail;
        MemoryRegion *mr = fr->mr;
        if (mr->kind == MR_IO) {
            unsigned size = 8;
            while (size > 1 && (size > n || (addr & (size - 1)))) {
                size >>= 1;
            }
            n = size;
            if (is_write) {
                uint64_t v = 0;
                memcpy(&v, p, size);
                io_write(mr, off, v, size);
            } else {
                uint64_t v = io_read(mr, off, size);
                memcpy(p, &v, size);
            }
        } else if (is_write) {
            if (mr->kind == MR_RAM) {
                memcpy(mr->host + off, p, n);
            }
        } else {
            memcpy(p, mr->host + off, n);
        }
        p += n;
        addr += n;
        len -= n;
    }
    return res;
}

MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len)
{
    return address_space_rw(as, addr, buf, len, false);
}

MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf, uint64_t len)
{
    return address_space_rw(as, addr, (void *)buf, len, true);
}

uint64_t address_space_ld(AddressSpace *as, uint64_t addr, unsigned size)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    if (fr && addr - fr->start + size <= fr->size) {
        uint64_t off = fr->offset + (addr - fr->start);
        if (fr->mr->kind == MR_IO) {
            return io_read(fr->mr, off, size);
        }
        uint64_t v = 0;
        memcpy(&v, fr->mr->host + off, size);
        return v;
    }
    uint64_t v = 0;
    address_space_rw(as, addr, &v, size, false);
    return v;
}

void address_space_st(AddressSpace *as, uint64_t addr, uint64_t value, unsigned size)
{
    const FlatRange *fr = address_space_lookup(as, addr);
    if (fr && addr - fr->start + size <= fr->size) {
        uint64_t off = fr->offset + (addr - fr->start);
        if (fr->mr->kind == MR_IO) {
            io_write(fr->mr, off, value, size);
        } else if (fr->mr->kind == MR_RAM) {
            memcpy(fr->mr->host + off, &value, size);
        }
        return;
    }
    address_space_rw(as, addr, &value, size, true);
}

void *address_space_map(AddressSpace *as, uint64_t addr, uint64_t len, bool is_write)
{
    if (len == 0) {
        return NULL;
    }
    const FlatRange *fr = address_space_lookup(as, addr);
    if (!fr || (fr->mr->kind != MR_RAM && !(fr->mr->kind == MR_ROM && !is_write))) {
        return NULL;
    }
    uint64_t rel = addr - fr->start;
    if (len > fr->size - rel) {
        return NULL;
    }
    return fr->mr->host + fr->offset + rel;
}

void address_space_dump(AddressSpace *as, FILE *out)
{
    static const char *const kinds[] = { "container", "ram", "rom", "i/o", "alias" };
    fprintf(out, "address-space: %s\n", as->name);
    for (unsigned i = 0; i < as->view.nr; i++) {
        const FlatRange *fr = &as->view.ranges[i];
        fprintf(out, "  %016" PRIx64 "-%016" PRIx64 " (%s) %s +0x%" PRIx64 "\n", fr->start,
                fr->start + fr->size - 1, kinds[fr->mr->kind], fr->mr->name, fr->offset);
    }
}
