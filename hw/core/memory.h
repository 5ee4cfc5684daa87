/*
 * The memory map. Regions (RAM, ROM, MMIO, aliases, containers) nest with priorities
 * and may overlap; each address space (guest-physical memory, port I/O) is flattened
 * into a sorted array of ranges whenever the topology changes, so a lookup is a
 * binary search. Engines follow the map through listeners: KVM turns RAM ranges into
 * memslots, the interpreter flushes its TLB. Devices never know which engine runs.
 */
#ifndef HW_CORE_MEMORY_H
#define HW_CORE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct MemoryRegion MemoryRegion;
typedef struct AddressSpace AddressSpace;
typedef struct FlatRange FlatRange;
typedef struct FlatView FlatView;
typedef struct MemoryListener MemoryListener;

typedef struct MemoryRegionOps {
    /* addr is the offset in the region; size is 1, 2, 4 or 8 */
    uint64_t (*read)(void *opaque, uint64_t addr, unsigned size);
    void (*write)(void *opaque, uint64_t addr, uint64_t value, unsigned size);
    /* Access sizes the callbacks implement; the core splits or widens others.
     * 0 means 1 for min and 4 for max. */
    unsigned min_access;
    unsigned max_access;
} MemoryRegionOps;

typedef enum MemoryRegionKind {
    MR_CONTAINER,
    MR_RAM,
    MR_ROM,        /* RAM-backed, guest writes ignored */
    MR_IO,         /* callbacks */
    MR_ALIAS,      /* a window onto part of another region */
} MemoryRegionKind;

struct MemoryRegion {
    char *name;
    MemoryRegionKind kind;
    uint64_t size;
    uint8_t *host;              /* RAM/ROM backing */
    bool host_owned;
    const MemoryRegionOps *ops;
    void *opaque;
    MemoryRegion *alias;
    uint64_t alias_offset;
    /* placement in the container */
    MemoryRegion *container;
    uint64_t addr;
    int priority;
    bool enabled;
    /* children, sorted by descending priority (later-added first among equals) */
    MemoryRegion **subregions;
    unsigned nr_subregions;
};

struct FlatRange {
    uint64_t start;             /* address in the address space */
    uint64_t size;
    MemoryRegion *mr;           /* the terminal region (RAM, ROM or IO) */
    uint64_t offset;            /* offset of `start` within mr */
};

struct FlatView {
    FlatRange *ranges;
    unsigned nr;
};

struct MemoryListener {
    /* Called after each rebuild with every terminal range that disappeared or appeared
     * (a changed range is a del then an add). Either may be NULL. */
    void (*region_del)(MemoryListener *l, const FlatRange *fr);
    void (*region_add)(MemoryListener *l, const FlatRange *fr);
    void (*commit)(MemoryListener *l);
    MemoryListener *next;
};

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView view;
    MemoryListener *listeners;
    uint64_t generation;         /* bumped on every rebuild */
    AddressSpace *next;
};

/* Region constructors. The MemoryRegion is caller storage (usually inside a device). */
void memory_region_init_container(MemoryRegion *mr, const char *name, uint64_t size);
/* Anonymous host memory, zero-filled, page-aligned. */
void memory_region_init_ram(MemoryRegion *mr, const char *name, uint64_t size);
void memory_region_init_rom(MemoryRegion *mr, const char *name, uint64_t size);
/* RAM over caller-owned host memory (not freed by the region). */
void memory_region_init_ram_ptr(MemoryRegion *mr, const char *name, uint64_t size, void *host);
void memory_region_init_io(MemoryRegion *mr, const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
void memory_region_init_alias(MemoryRegion *mr, const char *name, MemoryRegion *orig,
                              uint64_t offset, uint64_t size);
void memory_region_destroy(MemoryRegion *mr);

/* Place sub at addr within container (priority 0, or given). */
void memory_region_add_subregion(MemoryRegion *container, uint64_t addr, MemoryRegion *sub);
void memory_region_add_subregion_overlap(MemoryRegion *container, uint64_t addr,
                                         MemoryRegion *sub, int priority);
void memory_region_del_subregion(MemoryRegion *container, MemoryRegion *sub);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, uint64_t addr);
void memory_region_set_alias_offset(MemoryRegion *mr, uint64_t offset);

/* Batch topology changes: views are rebuilt once at the outermost commit. */
void memory_transaction_begin(void);
void memory_transaction_commit(void);

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name);
void address_space_destroy(AddressSpace *as);
/* Register a listener; it immediately receives region_add for every current range. */
void address_space_add_listener(AddressSpace *as, MemoryListener *l);
void address_space_remove_listener(AddressSpace *as, MemoryListener *l);

/* The flat range holding addr, or NULL (unassigned). */
const FlatRange *address_space_lookup(AddressSpace *as, uint64_t addr);

typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_UNASSIGNED = 1,       /* some byte hit no region (reads give 0xff) */
} MemTxResult;

/* Generic access of any length and alignment; straddles regions as needed. */
MemTxResult address_space_rw(AddressSpace *as, uint64_t addr, void *buf, uint64_t len,
                             bool is_write);
MemTxResult address_space_read(AddressSpace *as, uint64_t addr, void *buf, uint64_t len);
MemTxResult address_space_write(AddressSpace *as, uint64_t addr, const void *buf,
                                uint64_t len);
/* Little-endian access of size 1/2/4/8 (as the CPU and KVM exits do). */
uint64_t address_space_ld(AddressSpace *as, uint64_t addr, unsigned size);
void address_space_st(AddressSpace *as, uint64_t addr, uint64_t value, unsigned size);

/* Host pointer to [addr, addr+len) when it lies wholly inside one RAM (writable when
 * is_write) range, else NULL. This is the bounds check for device DMA. */
void *address_space_map(AddressSpace *as, uint64_t addr, uint64_t len, bool is_write);

/* Dump the flat view (for the monitor and tests). */
#include <stdio.h>
void address_space_dump(AddressSpace *as, FILE *out);

#endif
