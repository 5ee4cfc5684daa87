/* Unit tests: the memory map (priorities, overlap, aliases, straddling accesses,
 * access-size adaptation, listeners, DMA bounds). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/memory.h"

typedef struct Mmio {
    uint8_t regs[64];
    int reads, writes;
    unsigned last_size;
    uint64_t last_addr;
} Mmio;

static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    Mmio *m = opaque;
    m->reads++;
    m->last_size = size;
    m->last_addr = addr;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < sizeof(m->regs); i++) {
        v |= (uint64_t)m->regs[addr + i] << (8 * i);
    }
    return v;
}

static void mmio_write(void *opaque, uint64_t addr, uint64_t v, unsigned size)
{
    Mmio *m = opaque;
    m->writes++;
    m->last_size = size;
    m->last_addr = addr;
    for (unsigned i = 0; i < size && addr + i < sizeof(m->regs); i++) {
        m->regs[addr + i] = (uint8_t)(v >> (8 * i));
    }
}

static const MemoryRegionOps byte_ops = { .read = mmio_read, .write = mmio_write,
                                          .min_access = 1, .max_access = 1 };
static const MemoryRegionOps dword_ops = { .read = mmio_read, .write = mmio_write,
                                           .min_access = 4, .max_access = 4 };
static const MemoryRegionOps any_ops = { .read = mmio_read, .write = mmio_write,
                                         .min_access = 1, .max_access = 8 };

START_TEST(test_priority_and_overlap)
{
    MemoryRegion root, ram, hole;
    Mmio dev = { 0 };
    AddressSpace as;
    memory_region_init_container(&root, "root", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 0x10000);
    memory_region_init_io(&hole, &any_ops, &dev, "hole", 0x1000);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion_overlap(&root, 0x4000, &hole, 1);
    address_space_init(&as, &root, "test");

    ck_assert_uint_eq(as.view.nr, 3);               /* ram | hole | ram */
    const FlatRange *fr = address_space_lookup(&as, 0x4800);
    ck_assert_ptr_eq(fr->mr, &hole);
    ck_assert_uint_eq(fr->offset, 0x0);
    ck_assert_uint_eq(fr->start, 0x4000);
    fr = address_space_lookup(&as, 0x5000);
    ck_assert_ptr_eq(fr->mr, &ram);
    ck_assert_uint_eq(fr->offset, 0x5000);
    ck_assert_ptr_null(address_space_lookup(&as, 0x10000));

    /* writes hit the higher-priority region, RAM below it stays untouched */
    address_space_st(&as, 0x4004, 0xdeadbeef, 4);
    ck_assert_uint_eq(dev.regs[4], 0xef);
    ck_assert_uint_eq(ram.host[0x4004], 0);
    /* disabling the overlay exposes RAM */
    memory_region_set_enabled(&hole, false);
    ck_assert_uint_eq(as.view.nr, 1);
    address_space_st(&as, 0x4004, 0x11223344, 4);
    ck_assert_uint_eq(ram.host[0x4004], 0x44);
    /* a lower-priority overlay is hidden by RAM */
    memory_region_set_enabled(&hole, true);
    memory_region_del_subregion(&root, &hole);
    memory_region_add_subregion_overlap(&root, 0x4000, &hole, -1);
    ck_assert_ptr_eq(address_space_lookup(&as, 0x4000)->mr, &ram);
    address_space_destroy(&as);
    memory_region_destroy(&hole);
    memory_region_destroy(&ram);
    memory_region_destroy(&root);
}
END_TEST

START_TEST(test_equal_priority_newest_wins_and_move)
{
    MemoryRegion root, a, b;
    Mmio da = { 0 }, db = { 0 };
    AddressSpace as;
    memory_region_init_container(&root, "root", 0x10000);
    memory_region_init_io(&a, &any_ops, &da, "a", 0x100);
    memory_region_init_io(&b, &any_ops, &db, "b", 0x100);
    memory_region_add_subregion(&root, 0x100, &a);
    memory_region_add_subregion(&root, 0x180, &b);
    address_space_init(&as, &root, "io");
    ck_assert_ptr_eq(address_space_lookup(&as, 0x180)->mr, &b);
    ck_assert_ptr_eq(address_space_lookup(&as, 0x17f)->mr, &a);
    memory_region_set_address(&b, 0x1000);
    ck_assert_ptr_eq(address_space_lookup(&as, 0x180)->mr, &a);
    ck_assert_ptr_eq(address_space_lookup(&as, 0x1000)->mr, &b);
    ck_assert_ptr_null(address_space_lookup(&as, 0x200));
    address_space_destroy(&as);
}
END_TEST

START_TEST(test_alias_and_nested_containers)
{
    MemoryRegion root, sub, ram, alias;
    AddressSpace as;
    memory_region_init_container(&root, "root", UINT64_MAX);
    memory_region_init_container(&sub, "sub", 0x2000);
    memory_region_init_ram(&ram, "ram", 0x4000);
    memory_region_init_alias(&alias, "alias", &ram, 0x3000, 0x1000);
    memory_region_add_subregion(&sub, 0x1000, &alias);
    memory_region_add_subregion(&root, 0x100000, &sub);
    address_space_init(&as, &root, "test");
    ram.host[0x3010] = 0x5a;
    uint8_t b = 0;
    address_space_read(&as, 0x101010, &b, 1);
    ck_assert_uint_eq(b, 0x5a);
    const FlatRange *fr = address_space_lookup(&as, 0x101000);
    ck_assert_ptr_eq(fr->mr, &ram);
    ck_assert_uint_eq(fr->offset, 0x3000);
    ck_assert_ptr_null(address_space_lookup(&as, 0x100000));   /* container hole */
    /* an alias clipped by its container */
    memory_region_set_alias_offset(&alias, 0x0);
    ram.host[0x10] = 0xa5;
    address_space_read(&as, 0x101010, &b, 1);
    ck_assert_uint_eq(b, 0xa5);
    address_space_destroy(&as);
}
END_TEST

START_TEST(test_straddling_access)
{
    MemoryRegion root, ram, io;
    Mmio dev = { 0 };
    AddressSpace as;
    memory_region_init_container(&root, "root", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 0x1000);
    memory_region_init_io(&io, &byte_ops, &dev, "dev", 0x10);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion(&root, 0x1000, &io);
    address_space_init(&as, &root, "test");
    /* a 4-byte store at 0xffe: two bytes to RAM, two to the device */
    address_space_st(&as, 0xffe, 0x44332211, 4);
    ck_assert_uint_eq(ram.host[0xffe], 0x11);
    ck_assert_uint_eq(ram.host[0xfff], 0x22);
    ck_assert_uint_eq(dev.regs[0], 0x33);
    ck_assert_uint_eq(dev.regs[1], 0x44);
    ck_assert_uint_eq(address_space_ld(&as, 0xffe, 4), 0x44332211);
    /* past the device: unassigned bytes read as 0xff */
    ck_assert_uint_eq(address_space_ld(&as, 0x100e, 4), 0xffff0000u | dev.regs[14] |
                      (uint32_t)dev.regs[15] << 8);
    uint8_t buf[4];
    ck_assert_int_eq(address_space_read(&as, 0x2000, buf, 4), MEMTX_UNASSIGNED);
    ck_assert_uint_eq(buf[0], 0xff);
    address_space_destroy(&as);
}
END_TEST

START_TEST(test_access_size_adaptation)
{
    MemoryRegion root, b, d;
    Mmio db = { 0 }, dd = { 0 };
    AddressSpace as;
    memory_region_init_container(&root, "root", 0x10000);
    memory_region_init_io(&b, &byte_ops, &db, "bytes", 0x10);
    memory_region_init_io(&d, &dword_ops, &dd, "dwords", 0x10);
    memory_region_add_subregion(&root, 0x0, &b);
    memory_region_add_subregion(&root, 0x100, &d);
    address_space_init(&as, &root, "io");
    /* a dword access to a byte-only device becomes 4 byte accesses, little-endian */
    address_space_st(&as, 0x4, 0xa1b2c3d4, 4);
    ck_assert_int_eq(db.writes, 4);
    ck_assert_uint_eq(db.last_size, 1);
    ck_assert_uint_eq(db.regs[4], 0xd4);
    ck_assert_uint_eq(db.regs[7], 0xa1);
    ck_assert_uint_eq(address_space_ld(&as, 0x4, 2), 0xc3d4);
    /* a byte read from a dword-only device reads the dword and extracts the byte */
    memcpy(dd.regs + 8, "\x01\x02\x03\x04", 4);
    ck_assert_uint_eq(address_space_ld(&as, 0x10a, 1), 0x03);
    ck_assert_uint_eq(dd.last_size, 4);
    ck_assert_uint_eq(dd.last_addr, 8);
    /* an 8-byte access to the dword device is split in two */
    dd.reads = 0;
    address_space_ld(&as, 0x100, 8);
    ck_assert_int_eq(dd.reads, 2);
    address_space_destroy(&as);
}
END_TEST

typedef struct Recorder {
    MemoryListener l;
    int adds, dels, commits;
    uint64_t last_add_start, last_add_size, last_del_start;
} Recorder;

static void rec_add(MemoryListener *l, const FlatRange *fr)
{
    Recorder *r = (Recorder *)l;
    r->adds++;
    r->last_add_start = fr->start;
    r->last_add_size = fr->size;
}
static void rec_del(MemoryListener *l, const FlatRange *fr)
{
    Recorder *r = (Recorder *)l;
    r->dels++;
    r->last_del_start = fr->start;
}
static void rec_commit(MemoryListener *l) { ((Recorder *)l)->commits++; }

START_TEST(test_listeners_and_transactions)
{
    MemoryRegion root, ram, ram2;
    AddressSpace as;
    Recorder r = { .l = { .region_add = rec_add, .region_del = rec_del, .commit = rec_commit } };
    memory_region_init_container(&root, "root", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 0x100000);
    memory_region_init_ram(&ram2, "ram2", 0x1000);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "test");
    address_space_add_listener(&as, &r.l);
    ck_assert_int_eq(r.adds, 1);                     /* existing ranges replayed */
    ck_assert_uint_eq(r.last_add_size, 0x100000);
    /* a batch of changes produces one rebuild and a minimal diff */
    memory_transaction_begin();
    memory_region_add_subregion(&root, 0x200000, &ram2);
    memory_region_set_address(&ram2, 0x300000);
    ck_assert_int_eq(r.commits, 1);                  /* nothing yet */
    memory_transaction_commit();
    ck_assert_int_eq(r.commits, 2);
    ck_assert_int_eq(r.adds, 2);
    ck_assert_int_eq(r.dels, 0);
    ck_assert_uint_eq(r.last_add_start, 0x300000);
    memory_region_del_subregion(&root, &ram2);
    ck_assert_int_eq(r.dels, 1);
    ck_assert_uint_eq(r.last_del_start, 0x300000);
    address_space_remove_listener(&as, &r.l);
    memory_region_add_subregion(&root, 0x200000, &ram2);
    ck_assert_int_eq(r.adds, 2);                     /* removed listeners hear nothing */
    address_space_destroy(&as);
}
END_TEST

START_TEST(test_dma_map_bounds)
{
    MemoryRegion root, ram, rom, io;
    Mmio dev = { 0 };
    AddressSpace as;
    memory_region_init_container(&root, "root", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 0x10000);
    memory_region_init_rom(&rom, "rom", 0x1000);
    memory_region_init_io(&io, &any_ops, &dev, "io", 0x1000);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion(&root, 0x10000, &io);
    memory_region_add_subregion(&root, 0x20000, &rom);
    address_space_init(&as, &root, "test");
    ck_assert_ptr_eq(address_space_map(&as, 0x100, 0x200, true), ram.host + 0x100);
    ck_assert_ptr_nonnull(address_space_map(&as, 0xff00, 0x100, true));
    ck_assert_ptr_null(address_space_map(&as, 0xff00, 0x101, true));      /* runs into MMIO */
    ck_assert_ptr_null(address_space_map(&as, 0x10000, 4, false));        /* MMIO */
    ck_assert_ptr_null(address_space_map(&as, 0x30000, 4, false));        /* nothing */
    ck_assert_ptr_null(address_space_map(&as, UINT64_MAX - 1, 16, false));/* wraps */
    ck_assert_ptr_null(address_space_map(&as, 0x100, 0, false));
    ck_assert_ptr_nonnull(address_space_map(&as, 0x20000, 4, false));     /* ROM readable */
    ck_assert_ptr_null(address_space_map(&as, 0x20000, 4, true));         /* not writable */
    /* ROM ignores guest writes */
    rom.host[0] = 0x77;
    address_space_st(&as, 0x20000, 0, 1);
    ck_assert_uint_eq(rom.host[0], 0x77);
    address_space_destroy(&as);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_priority_and_overlap);
    tcase_add_test(tc, test_equal_priority_newest_wins_and_move);
    tcase_add_test(tc, test_alias_and_nested_containers);
    tcase_add_test(tc, test_straddling_access);
    tcase_add_test(tc, test_access_size_adaptation);
    tcase_add_test(tc, test_listeners_and_transactions);
    tcase_add_test(tc, test_dma_map_bounds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
