/*
 * QEMU's fw_cfg device on I/O ports: item table, name-sorted file directory, the
 * byte-wide data port and the DMA interface (big-endian descriptor in guest memory,
 * read and skip supported, writes rejected with the error bit).
 */
#include "hw/nvram/fw_cfg.h"
#include "hw/core/isa.h"
#include "system/error.h"
#include "system/log.h"

#include <stdlib.h>
#include <string.h>

#define FW_CFG_DMA_CHUNK 4096
#define FW_CFG_DMA_DESC_SIZE 16

typedef struct FwCfgItem {
    uint8_t *data;
    uint32_t len;
} FwCfgItem;

typedef struct FwCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
    FwCfgItem item;
} FwCfgFile;

typedef struct FwCfgState {
    DeviceState parent_obj;
    uint16_t iobase;                       /* property */
    bool dma_enabled;                      /* property */
    FwCfgItem items[2][FW_CFG_FILE_FIRST]; /* [0] generic, [1] arch-local */
    FwCfgFile *files;                      /* sorted by name; key FILE_FIRST + index */
    unsigned nr_files;
    FwCfgItem dir;                         /* FW_CFG_FILE_DIR contents */
    uint16_t cur_key;
    uint32_t cur_offset;
    uint64_t dma_addr;                     /* the DMA address register */
    bool dma_busy;
    AddressSpace *dma_as;
    MemoryRegion ctl_mr;                   /* selector + data */
    MemoryRegion dma_mr;
    bool ctl_mapped, dma_mapped;
} FwCfgState;

#define FW_CFG(o) OBJECT_CHECK(FwCfgState, (o), TYPE_FW_CFG_IO)

static const uint8_t fw_cfg_zeros[FW_CFG_DMA_CHUNK];

static uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t ld_be64(const uint8_t *p)
{
    return (uint64_t)ld_be32(p) << 32 | ld_be32(p + 4);
}

static void st_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void st_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void fw_cfg_item_set(FwCfgItem *it, const void *data, size_t len)
{
    uint8_t *copy = len ? xmalloc(len) : NULL;
    if (len) {
        memcpy(copy, data, len);
    }
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
}

/* The item a key selects (NULL: nothing there). */
static const FwCfgItem *fw_cfg_item(FwCfgState *s, uint16_t key)
{
    unsigned idx = key & FW_CFG_ENTRY_MASK;
    bool arch = (key & FW_CFG_ARCH_LOCAL) != 0;
    if (!arch && idx == FW_CFG_FILE_DIR) {
        return &s->dir;
    }
    if (!arch && idx >= FW_CFG_FILE_FIRST) {
        unsigned f = idx - FW_CFG_FILE_FIRST;
        return f < s->nr_files ? &s->files[f].item : NULL;
    }
    return idx < FW_CFG_FILE_FIRST ? &s->items[arch][idx] : NULL;
}

static void fw_cfg_rebuild_dir(FwCfgState *s)
{
    size_t len = 4 + (size_t)FW_CFG_DIR_ENTRY_SIZE * s->nr_files;
    uint8_t *d = xzalloc(len);
    st_be32(d, s->nr_files);
    for (unsigned i = 0; i < s->nr_files; i++) {
        uint8_t *e = d + 4 + (size_t)FW_CFG_DIR_ENTRY_SIZE * i;
        st_be32(e, s->files[i].item.len);
        st_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        /* e + 6: reserved, zero */
        memcpy(e + 8, s->files[i].name, strnlen(s->files[i].name, FW_CFG_MAX_FILE_PATH - 1));
    }
    free(s->dir.data);
    s->dir.data = d;
    s->dir.len = (uint32_t)len;
}

/* ---- guest interface ---- */

static void fw_cfg_select(FwCfgState *s, uint16_t key)
{
    s->cur_key = key;
    s->cur_offset = 0;
}

static uint8_t fw_cfg_read_byte(FwCfgState *s)
{
    const FwCfgItem *it = fw_cfg_item(s, s->cur_key);
    if (!it || s->cur_offset >= it->len) {
        return 0;
    }
    return it->data[s->cur_offset++];
}

static uint64_t fw_cfg_ctl_read(void *opaque, uint64_t off, unsigned size)
{
    /* the selector is write-only; the data port is 8 bits wide */
    return off == 1 && size == 1 ? fw_cfg_read_byte(opaque) : 0;
}

static void fw_cfg_ctl_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    if (off == 0 && size == 2) {
        fw_cfg_select(opaque, (uint16_t)value);
    }
    /* data port writes: the legacy write interface is gone, ignored */
}

static const MemoryRegionOps fw_cfg_ctl_ops = {
    .read = fw_cfg_ctl_read,
    .write = fw_cfg_ctl_write,
    .min_access = 1,
    .max_access = 2,
};

/* Copy `length` bytes of the selected item from the current offset to guest memory at
 * addr, zeros past the item's end. False on a bad destination. */
static bool fw_cfg_dma_read(FwCfgState *s, uint64_t addr, uint32_t length)
{
    if (length == 0) {
        return true;
    }
    if (addr + (length - 1) < addr) {
        return false;
    }
    const FwCfgItem *it = fw_cfg_item(s, s->cur_key);
    uint32_t avail = it && s->cur_offset < it->len ? it->len - s->cur_offset : 0;
    uint32_t from_item = length < avail ? length : avail;
    uint32_t done = 0;
    bool ok = true;
    /* chunked, so a bad destination stops the transfer early */
    while (done < length) {
        uint32_t chunk = length - done < FW_CFG_DMA_CHUNK ? length - done : FW_CFG_DMA_CHUNK;
        const void *src = fw_cfg_zeros;
        if (done < from_item) {
            if (chunk > from_item - done) {
                chunk = from_item - done;
            }
            src = it->data + s->cur_offset + done;
        }
        if (address_space_write(s->dma_as, addr + done, src, chunk) != MEMTX_OK) {
            ok = false;
            break;
        }
        done += chunk;
    }
    s->cur_offset += done < from_item ? done : from_item;
    return ok;
}

static void fw_cfg_dma_skip(FwCfgState *s, uint32_t length)
{
    const FwCfgItem *it = fw_cfg_item(s, s->cur_key);
    uint32_t len = it ? it->len : 0;
    if (s->cur_offset < len) {
        s->cur_offset = length < len - s->cur_offset ? s->cur_offset + length : len;
    }
}

static void fw_cfg_dma_transfer(FwCfgState *s, uint64_t desc)
{
    uint8_t raw[FW_CFG_DMA_DESC_SIZE];
    if (!s->dma_as || s->dma_busy) {
        return;
    }
    if (desc > UINT64_MAX - FW_CFG_DMA_DESC_SIZE ||
        address_space_read(s->dma_as, desc, raw, sizeof(raw)) != MEMTX_OK) {
        log_item(LOG_GUEST_ERRORS, "fw_cfg: DMA descriptor at 0x%llx is not in memory\n",
                 (unsigned long long)desc);
        return;
    }
    s->dma_busy = true;
    uint32_t control = ld_be32(raw);
    uint32_t length = ld_be32(raw + 4);
    uint64_t addr = ld_be64(raw + 8);
    bool ok = true;
    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, (uint16_t)(control >> 16));
    }
    if (control & FW_CFG_DMA_CTL_READ) {
        ok = fw_cfg_dma_read(s, addr, length);
    } else if (control & FW_CFG_DMA_CTL_WRITE) {
        ok = false; /* no item is guest-writable */
    } else if (control & FW_CFG_DMA_CTL_SKIP) {
        fw_cfg_dma_skip(s, length);
    }
    if (!ok) {
        log_item(LOG_GUEST_ERRORS, "fw_cfg: DMA 0x%x of %u bytes at 0x%llx failed\n",
                 control, length, (unsigned long long)addr);
    }
    uint8_t result[4];
    st_be32(result, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
    address_space_write(s->dma_as, desc, result, sizeof(result));
    s->dma_busy = false;
}

static uint64_t fw_cfg_dma_reg_read(void *opaque, uint64_t off, unsigned size)
{
    /* reads give the "QEMU CFG" signature, big-endian, byte by byte */
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < 8; i++) {
        uint8_t b = (uint8_t)(FW_CFG_DMA_SIGNATURE >> (8 * (7 - (off + i))));
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void fw_cfg_dma_reg_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    FwCfgState *s = opaque;
    for (unsigned i = 0; i < size && off + i < 8; i++) {
        unsigned shift = 8 * (7 - (unsigned)(off + i));
        uint64_t b = (value >> (8 * i)) & 0xff;
        s->dma_addr = (s->dma_addr & ~(UINT64_C(0xff) << shift)) | (b << shift);
    }
    if (off + size == 8) {
        /* the write reaching the least significant byte starts the operation */
        uint64_t desc = s->dma_addr;
        s->dma_addr = 0;
        fw_cfg_dma_transfer(s, desc);
    }
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_reg_read,
    .write = fw_cfg_dma_reg_write,
    .min_access = 1,
    .max_access = 4,
};

/* ---- board interface ---- */

void fw_cfg_set_dma_address_space(DeviceState *dev, AddressSpace *as)
{
    FW_CFG(dev)->dma_as = as;
}

void fw_cfg_add_bytes(DeviceState *dev, uint16_t key, const void *data, size_t len)
{
    FwCfgState *s = FW_CFG(dev);
    unsigned idx = key & FW_CFG_ENTRY_MASK;
    bool arch = (key & FW_CFG_ARCH_LOCAL) != 0;
    if ((key & FW_CFG_WRITE_CHANNEL) || idx >= FW_CFG_FILE_FIRST ||
        (!arch && (idx == FW_CFG_SIGNATURE || idx == FW_CFG_ID || idx == FW_CFG_FILE_DIR))) {
        warn_report("fw_cfg: key 0x%04x cannot be set (use fw_cfg_add_file for files)", key);
        return;
    }
    if (len > UINT32_MAX) {
        warn_report("fw_cfg: item 0x%04x is too large", key);
        return;
    }
    fw_cfg_item_set(&s->items[arch][idx], data, len);
}

void fw_cfg_add_i16(DeviceState *dev, uint16_t key, uint16_t value)
{
    uint8_t b[2] = { (uint8_t)value, (uint8_t)(value >> 8) };
    fw_cfg_add_bytes(dev, key, b, sizeof(b));
}

void fw_cfg_add_i32(DeviceState *dev, uint16_t key, uint32_t value)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = (uint8_t)(value >> (8 * i));
    }
    fw_cfg_add_bytes(dev, key, b, sizeof(b));
}

void fw_cfg_add_i64(DeviceState *dev, uint16_t key, uint64_t value)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(value >> (8 * i));
    }
    fw_cfg_add_bytes(dev, key, b, sizeof(b));
}

void fw_cfg_add_string(DeviceState *dev, uint16_t key, const char *value)
{
    fw_cfg_add_bytes(dev, key, value, strlen(value) + 1);
}

static int fw_cfg_find_file(FwCfgState *s, const char *name)
{
    for (unsigned i = 0; i < s->nr_files; i++) {
        if (strcmp(s->files[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool fw_cfg_add_file(DeviceState *dev, const char *name, const void *data, size_t len)
{
    FwCfgState *s = FW_CFG(dev);
    if (strlen(name) >= FW_CFG_MAX_FILE_PATH || len > UINT32_MAX) {
        warn_report("fw_cfg: file '%s' has a name or size fw_cfg cannot carry", name);
        return false;
    }
    if (fw_cfg_find_file(s, name) >= 0) {
        return fw_cfg_modify_file(dev, name, data, len);
    }
    if (s->nr_files >= FW_CFG_FILE_SLOTS) {
        warn_report("fw_cfg: no room for file '%s'", name);
        return false;
    }
    if (!s->files) {
        s->files = xzalloc(sizeof(FwCfgFile) * FW_CFG_FILE_SLOTS);
    }
    unsigned at = 0;
    while (at < s->nr_files && strcmp(s->files[at].name, name) < 0) {
        at++;
    }
    memmove(&s->files[at + 1], &s->files[at], sizeof(FwCfgFile) * (s->nr_files - at));
    memset(&s->files[at], 0, sizeof(FwCfgFile));
    memcpy(s->files[at].name, name, strlen(name) + 1);
    fw_cfg_item_set(&s->files[at].item, data, len);
    s->nr_files++;
    fw_cfg_rebuild_dir(s);
    return true;
}

bool fw_cfg_modify_file(DeviceState *dev, const char *name, const void *data, size_t len)
{
    FwCfgState *s = FW_CFG(dev);
    int i = fw_cfg_find_file(s, name);
    if (i < 0 || len > UINT32_MAX) {
        return false;
    }
    fw_cfg_item_set(&s->files[i].item, data, len);
    fw_cfg_rebuild_dir(s);
    return true;
}

uint16_t fw_cfg_file_key(DeviceState *dev, const char *name)
{
    int i = fw_cfg_find_file(FW_CFG(dev), name);
    return i < 0 ? 0 : (uint16_t)(FW_CFG_FILE_FIRST + i);
}

/* ---- device ---- */

static bool fw_cfg_realize(DeviceState *dev, Error **errp)
{
    FwCfgState *s = FW_CFG(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    static const char signature[4] = { 'Q', 'E', 'M', 'U' };
    fw_cfg_item_set(&s->items[0][FW_CFG_SIGNATURE], signature, sizeof(signature));
    uint32_t id = FW_CFG_VERSION | (s->dma_enabled ? FW_CFG_VERSION_DMA : 0);
    uint8_t idb[4] = { (uint8_t)id, 0, 0, 0 };
    fw_cfg_item_set(&s->items[0][FW_CFG_ID], idb, sizeof(idb));
    fw_cfg_rebuild_dir(s);

    memory_region_init_io(&s->ctl_mr, &fw_cfg_ctl_ops, s, "fw_cfg", 2);
    isa_register_ioport(dev, &s->ctl_mr, s->iobase);
    s->ctl_mapped = true;
    if (s->dma_enabled) {
        memory_region_init_io(&s->dma_mr, &fw_cfg_dma_ops, s, "fw_cfg-dma", 8);
        isa_register_ioport(dev, &s->dma_mr, (uint16_t)(s->iobase + 4));
        s->dma_mapped = true;
    }
    return true;
}

static void fw_cfg_reset(DeviceState *dev)
{
    FwCfgState *s = FW_CFG(dev);
    fw_cfg_select(s, FW_CFG_SIGNATURE);
    s->dma_addr = 0;
}

static void fw_cfg_instance_finalize(Object *obj)
{
    FwCfgState *s = (FwCfgState *)obj;
    if (s->ctl_mapped) {
        memory_region_destroy(&s->ctl_mr);
    }
    if (s->dma_mapped) {
        memory_region_destroy(&s->dma_mr);
    }
    for (int a = 0; a < 2; a++) {
        for (int i = 0; i < FW_CFG_FILE_FIRST; i++) {
            free(s->items[a][i].data);
        }
    }
    for (unsigned i = 0; i < s->nr_files; i++) {
        free(s->files[i].item.data);
    }
    free(s->files);
    free(s->dir.data);
}

static const Property fw_cfg_props[] = {
    DEFINE_PROP_UINT_RANGE("iobase", FwCfgState, iobase, 16, FW_CFG_IO_BASE, 0, 0xfff4,
                           "selector port (data at +1, DMA address at +4)"),
    DEFINE_PROP_BOOL("dma_enabled", FwCfgState, dma_enabled, true, "DMA interface"),
    DEFINE_PROP_END,
};

static void fw_cfg_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "QEMU firmware configuration interface (I/O ports)";
    dc->props = fw_cfg_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = fw_cfg_realize;
    dc->reset = fw_cfg_reset;
}

static const TypeInfo fw_cfg_type_info = {
    .name = TYPE_FW_CFG_IO,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(FwCfgState),
    .class_init = fw_cfg_class_init,
    .instance_finalize = fw_cfg_instance_finalize,
};

void fw_cfg_register_types(void)
{
    type_register(&fw_cfg_type_info);
}
