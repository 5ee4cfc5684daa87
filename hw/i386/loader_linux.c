/*
 * Linux x86 boot protocol loader for bzImage kernels, without firmware.
 *
 * Classic path: the protected-mode part of the image goes to 1 MiB and the boot CPU
 * enters the kernel's own decompressor, at load address + 0x200 in long mode
 * (XLF_KERNEL_64 kernels) or at the 32-bit entry (code32_start = the load address)
 * for kernels that only have that one.
 * Unpack path: the payload (the compressed vmlinux, located by payload_offset and
 * payload_length) is decompressed on the host, its ELF64 PT_LOAD segments are placed
 * at their physical addresses (which must be the header's pref_address: no
 * relocation is done) and the boot CPU enters startup_64 at the ELF entry point.
 * Both paths build the same boot_params ("zero page"): the setup header copied from
 * the file, loader fields, command line, initrd, e820 map and the ACPI RSDP.
 */
#include "hw/i386/loader.h"
#include "hw/i386/bzimage_unpack.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Setup header fields: offsets in the file and in boot_params alike */
#define HDR_START            0x1f1
#define HDR_SETUP_SECTS      0x1f1
#define HDR_VID_MODE         0x1fa
#define HDR_BOOT_FLAG        0x1fe
#define HDR_JUMP_LEN         0x201   /* second byte of the jump: header length - 2 */
#define HDR_MAGIC            0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_HEAP_END_PTR     0x224
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_RELOCATABLE      0x234
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_PAYLOAD_OFFSET   0x248
#define HDR_PAYLOAD_LENGTH   0x24c
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260
#define HDR_END_MAX          0x290   /* boot_params has room for the header up to here */

/* Other boot_params fields */
#define BP_ORIG_VIDEO_ISVGA   0x00f
#define BP_ACPI_RSDP_ADDR     0x070
#define BP_EXT_RAMDISK_IMAGE  0x0c0
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8
#define BP_E820_TABLE         0x2d0
#define BP_E820_MAX           128
#define BP_SIZE               4096

#define BOOT_FLAG_MAGIC       0xaa55
#define HDRS_MAGIC            0x53726448u     /* "HdrS" */
#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_KEEP_SEGMENTS 0x40
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64         0x0001
#define LOADER_TYPE_UNKNOWN   0xff
#define VID_MODE_NORMAL       0xffff
#define HEAP_END_PTR          0xde00          /* 0xfe00 - 0x200, the usual value */

#define LINUX_LOAD_ADDR       0x100000ull     /* where the protected-mode part goes */
#define LINUX_MIN_VERSION     0x0206
#define DEFAULT_INITRD_MAX    0x37ffffffu

/* ELF64 */
#define ELF_HDR64_SIZE        64
#define ELF_PHDR64_SIZE       56
#define ELF_MAX_PHDRS         64
#define EM_X86_64             62
#define ET_EXEC               2
#define PT_LOAD               1

typedef struct LinuxImage {
    const char *path;
    const uint8_t *data;
    size_t len;
    size_t setup_size;          /* boot sector + setup sectors */
    size_t pm_size;             /* protected-mode part: the rest of the file */
    unsigned hdr_end;           /* end of the setup header in the file */
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    uint32_t initrd_addr_max, cmdline_size;
    uint32_t payload_offset, payload_length;
    uint64_t pref_address;
    uint32_t init_size;
} LinuxImage;

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A header field, or 0 when this header version does not reach it. */
static uint64_t hdr_field(const LinuxImage *img, unsigned off, unsigned bytes)
{
    if (off + bytes > img->hdr_end) {
        return 0;
    }
    return get_le(img->data + off, bytes);
}

static bool linux_parse_header(LinuxImage *img, Error **errp)
{
    const char *path = img->path;
    const uint8_t *d = img->data;
    if (img->len < 1024) {
        error_setg(errp, "%s: too small to be a Linux kernel (%zu bytes)", path, img->len);
        return false;
    }
    if (get_le(d + HDR_BOOT_FLAG, 2) != BOOT_FLAG_MAGIC) {
        error_setg(errp, "%s: not a Linux kernel image (no 0xAA55 boot signature)", path);
        return false;
    }
    if (get_le(d + HDR_MAGIC, 4) != HDRS_MAGIC) {
        error_setg(errp, "%s: not a bzImage (no HdrS setup header)", path);
        return false;
    }
    img->version = (uint16_t)get_le(d + HDR_VERSION, 2);
    if (img->version < LINUX_MIN_VERSION) {
        error_setg(errp, "%s: Linux boot protocol %u.%02u is too old (need 2.06 or newer)",
                   path, img->version >> 8, img->version & 0xff);
        return false;
    }
    unsigned setup_sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
    img->setup_size = (size_t)(setup_sects + 1) * 512;
    if (img->setup_size >= img->len) {
        error_setg(errp, "%s: truncated kernel (setup code of %zu bytes, file of %zu)",
                   path, img->setup_size, img->len);
        return false;
    }
    img->pm_size = img->len - img->setup_size;
    unsigned end = 0x202 + d[HDR_JUMP_LEN];
    if (end > HDR_END_MAX) {
        end = HDR_END_MAX;
    }
    /* 2.06 headers reach at least cmdline_size */
    if (end < HDR_CMDLINE_SIZE + 4) {
        error_setg(errp, "%s: setup header is too short for protocol %u.%02u", path,
                   img->version >> 8, img->version & 0xff);
        return false;
    }
    img->hdr_end = end;
    img->loadflags = d[HDR_LOADFLAGS];
    if (!(img->loadflags & LOADFLAG_LOADED_HIGH)) {
        error_setg(errp, "%s: zImage kernels (not loaded high) are not supported", path);
        return false;
    }
    img->initrd_addr_max = (uint32_t)hdr_field(img, HDR_INITRD_ADDR_MAX, 4);
    if (img->initrd_addr_max == 0) {
        img->initrd_addr_max = DEFAULT_INITRD_MAX;
    }
    img->cmdline_size = (uint32_t)hdr_field(img, HDR_CMDLINE_SIZE, 4);
    if (img->version >= 0x0208) {
        img->payload_offset = (uint32_t)hdr_field(img, HDR_PAYLOAD_OFFSET, 4);
        img->payload_length = (uint32_t)hdr_field(img, HDR_PAYLOAD_LENGTH, 4);
    }
    if (img->version >= 0x020a) {
        img->pref_address = hdr_field(img, HDR_PREF_ADDRESS, 8);
        img->init_size = (uint32_t)hdr_field(img, HDR_INIT_SIZE, 4);
    }
    if (img->version >= 0x020c) {
        img->xloadflags = (uint16_t)hdr_field(img, HDR_XLOADFLAGS, 2);
    }
    return true;
}

/* ---- unpack path: ELF64 vmlinux ---- */

typedef struct ElfSegment {
    uint64_t offset, filesz, paddr, memsz;
} ElfSegment;

/* Validate a vmlinux ELF64 and collect its PT_LOAD segments. */
static bool vmlinux_parse(const LoadContext *ctx, const char *path, const uint8_t *elf,
                          size_t size, ElfSegment *segs, unsigned *nr_segs,
                          uint64_t *entry, uint64_t *lo, uint64_t *hi, Error **errp)
{
    if (size < ELF_HDR64_SIZE || memcmp(elf, "\x7f" "ELF", 4) != 0) {
        error_setg(errp, "%s: the unpacked payload is not an ELF file", path);
        return false;
    }
    if (elf[4] != 2 || elf[5] != 1 || get_le(elf + 18, 2) != EM_X86_64) {
        error_setg(errp, "%s: the unpacked kernel is not a 64-bit x86 ELF; "
                   "use -machine pc,linux-unpack=off", path);
        return false;
    }
    uint64_t phoff = get_le(elf + 32, 8);
    unsigned phentsize = (unsigned)get_le(elf + 54, 2);
    unsigned phnum = (unsigned)get_le(elf + 56, 2);
    if (get_le(elf + 16, 2) != ET_EXEC || phentsize != ELF_PHDR64_SIZE || phnum == 0 ||
        phnum > ELF_MAX_PHDRS || phoff > size ||
        (uint64_t)phnum * ELF_PHDR64_SIZE > size - phoff) {
        error_setg(errp, "%s: the unpacked kernel has a corrupt ELF header", path);
        return false;
    }
    *entry = get_le(elf + 24, 8);
    *nr_segs = 0;
    *lo = UINT64_MAX;
    *hi = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = elf + phoff + (uint64_t)i * ELF_PHDR64_SIZE;
        if (get_le(ph, 4) != PT_LOAD) {
            continue;
        }
        ElfSegment s = {
            .offset = get_le(ph + 8, 8),
            .paddr = get_le(ph + 24, 8),
            .filesz = get_le(ph + 32, 8),
            .memsz = get_le(ph + 40, 8),
        };
        if (s.filesz > s.memsz || s.offset > size || s.filesz > size - s.offset) {
            error_setg(errp, "%s: vmlinux segment %u lies outside the unpacked file",
                       path, i);
            return false;
        }
        if (s.memsz == 0) {
            continue;
        }
        if (s.memsz > UINT64_MAX - s.paddr || !loader_range_ok(ctx, s.paddr, s.memsz)) {
            error_setg(errp, "%s: vmlinux segment 0x%" PRIx64 "+0x%" PRIx64
                       " is outside usable RAM", path, s.paddr, s.memsz);
            return false;
        }
        for (unsigned j = 0; j < *nr_segs; j++) {
            if (loader_ranges_overlap(s.paddr, s.memsz, segs[j].paddr, segs[j].memsz)) {
                error_setg(errp, "%s: vmlinux segments overlap at 0x%" PRIx64, path,
                           s.paddr);
                return false;
            }
        }
        segs[(*nr_segs)++] = s;
        *lo = s.paddr < *lo ? s.paddr : *lo;
        *hi = s.paddr + s.memsz > *hi ? s.paddr + s.memsz : *hi;
    }
    if (*nr_segs == 0) {
        error_setg(errp, "%s: the unpacked kernel has nothing to load", path);
        return false;
    }
    bool entry_ok = false;
    for (unsigned j = 0; j < *nr_segs; j++) {
        if (*entry >= segs[j].paddr && *entry - segs[j].paddr < segs[j].memsz) {
            entry_ok = true;
        }
    }
    if (!entry_ok) {
        error_setg(errp, "%s: vmlinux entry point 0x%" PRIx64
                   " is outside its segments", path, *entry);
        return false;
    }
    return true;
}

static bool linux_load_unpacked(LoadContext *ctx, const LinuxImage *img, uint64_t *entry,
                                Error **errp)
{
    const char *path = img->path;
    if (!(img->xloadflags & XLF_KERNEL_64)) {
        error_setg(errp, "%s: kernel has no 64-bit entry point; use "
                   "-machine pc,linux-unpack=off to boot it through its 32-bit entry", path);
        return false;
    }
    if (img->payload_length == 0 || img->payload_offset > img->pm_size ||
        img->payload_length > img->pm_size - img->payload_offset) {
        error_setg(errp, "%s: payload (offset 0x%x, length 0x%x) lies outside the file",
                   path, img->payload_offset, img->payload_length);
        return false;
    }
    uint64_t ram = ctx->ram_below_4g + ctx->ram_above_4g;
    size_t max_out = (size_t)(ram < LOADER_MAX_UNPACKED ? ram : LOADER_MAX_UNPACKED);
    size_t elf_len = 0;
    const uint8_t *payload = img->data + img->setup_size + img->payload_offset;
    uint8_t *elf = bzimage_decompress(payload, img->payload_length, max_out, &elf_len, path,
                                      errp);
    if (!elf) {
        return false;
    }
    ElfSegment segs[ELF_MAX_PHDRS];
    unsigned nr = 0;
    uint64_t lo, hi;
    bool ok = vmlinux_parse(ctx, path, elf, elf_len, segs, &nr, entry, &lo, &hi, errp);
    if (ok && lo != img->pref_address) {
        error_setg(errp, "%s: vmlinux is linked at 0x%" PRIx64 " but the setup header "
                   "asks for 0x%" PRIx64 "; use -machine pc,linux-unpack=off", path, lo,
                   img->pref_address);
        ok = false;
    }
    /* the kernel proper only needs its segments (checked above); the rest of
     * init_size is kept clear of the initrd all the same, as the boot protocol asks */
    uint64_t reserved_end = hi;
    if (ok && img->pref_address + img->init_size > reserved_end) {
        reserved_end = img->pref_address + img->init_size;
    }
    for (unsigned i = 0; ok && i < nr; i++) {
        ok = loader_write(ctx, segs[i].paddr, elf + segs[i].offset, segs[i].filesz, errp) &&
             loader_zero(ctx, segs[i].paddr + segs[i].filesz,
                         segs[i].memsz - segs[i].filesz, errp);
    }
    free(elf);
    if (ok) {
        ctx->kernel_start = lo;
        ctx->kernel_end = hi;
        ctx->kernel_reserved_end = reserved_end;
    }
    return ok;
}

/* ---- classic path: the image and its decompressor at 1 MiB ---- */

static bool linux_load_classic(LoadContext *ctx, const LinuxImage *img, Error **errp)
{
    const char *path = img->path;
    uint64_t start = LINUX_LOAD_ADDR;
    uint64_t end = start + img->pm_size;
    /* the decompressor unpacks into [pref_address, pref_address + init_size) (at the
     * load address for kernels too old to say); without init_size assume 4x the
     * image, at least 32 MiB */
    uint64_t work_start = img->pref_address ? img->pref_address : start;
    uint64_t work_size = img->init_size;
    if (work_size == 0) {
        work_size = img->pm_size * 4 > (32u << 20) ? img->pm_size * 4 : (32u << 20);
    }
    uint64_t lo = work_start < start ? work_start : start;
    uint64_t hi = work_start + work_size > end ? work_start + work_size : end;
    if (!loader_range_ok(ctx, lo, hi - lo)) {
        error_setg(errp, "%s: the kernel needs RAM up to 0x%" PRIx64 " (%" PRIu64
                   " MiB); give the guest more memory", path, hi,
                   (hi + (1 << 20) - 1) >> 20);
        return false;
    }
    if (!loader_write(ctx, start, img->data + img->setup_size, img->pm_size, errp)) {
        return false;
    }
    ctx->kernel_start = lo;
    ctx->kernel_end = end;
    ctx->kernel_reserved_end = hi;
    return true;
}

/* ---- common: initrd, command line, boot_params ---- */

static bool linux_place_initrd(LoadContext *ctx, const LinuxImage *img,
                               const char *initrd_path, Error **errp)
{
    ctx->initrd_start = 0;
    ctx->initrd_size = 0;
    if (!initrd_path) {
        return true;
    }
    uint64_t size;
    if (!loader_file_size(initrd_path, &size, errp)) {
        return false;
    }
    if (size == 0) {
        return true;
    }
    uint64_t limit = (uint64_t)img->initrd_addr_max + 1;
    if (limit > ctx->ram_below_4g) {
        limit = ctx->ram_below_4g;
    }
    /* the kernel's range covers the image at 1 MiB on the classic path too */
    const LoaderRange avoid[] = { { ctx->kernel_start, ctx->kernel_reserved_end } };
    uint64_t addr = loader_find_top(ctx, size, 4096, limit, avoid, 1);
    if (addr == 0) {
        error_setg(errp, "%s: initrd of %" PRIu64 " KiB does not fit in guest RAM below "
                   "0x%" PRIx64 " beside the kernel; give the guest more memory",
                   initrd_path, (size + 1023) >> 10, limit);
        return false;
    }
    if (!loader_copy_file(ctx, initrd_path, addr, size, errp)) {
        return false;
    }
    ctx->initrd_start = addr;
    ctx->initrd_size = size;
    return true;
}

static void linux_build_boot_params(LoadContext *ctx, const LinuxImage *img,
                                    uint8_t *bp, uint64_t code32_start)
{
    memset(bp, 0, BP_SIZE);
    memcpy(bp + HDR_START, img->data + HDR_START, img->hdr_end - HDR_START);
    put_le(bp + HDR_VID_MODE, VID_MODE_NORMAL, 2);
    bp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNKNOWN;
    bp[HDR_LOADFLAGS] = (uint8_t)((img->loadflags | LOADFLAG_LOADED_HIGH |
                                   LOADFLAG_CAN_USE_HEAP) & ~LOADFLAG_KEEP_SEGMENTS);
    put_le(bp + HDR_HEAP_END_PTR, HEAP_END_PTR, 2);
    if (code32_start) {
        put_le(bp + HDR_CODE32_START, code32_start, 4);
    }
    put_le(bp + HDR_CMD_LINE_PTR, (uint32_t)ctx->cmdline_addr, 4);
    put_le(bp + BP_EXT_CMD_LINE_PTR, ctx->cmdline_addr >> 32, 4);
    put_le(bp + HDR_RAMDISK_IMAGE, (uint32_t)ctx->initrd_start, 4);
    put_le(bp + HDR_RAMDISK_SIZE, (uint32_t)ctx->initrd_size, 4);
    put_le(bp + BP_EXT_RAMDISK_IMAGE, ctx->initrd_start >> 32, 4);
    put_le(bp + BP_EXT_RAMDISK_SIZE, ctx->initrd_size >> 32, 4);
    bp[BP_ORIG_VIDEO_ISVGA] = 0;    /* no screen: headless console */
    if (img->version >= 0x020e) {
        put_le(bp + BP_ACPI_RSDP_ADDR, ctx->rsdp_addr, 8);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)e820_serialize(&ctx->e820, bp + BP_E820_TABLE,
                                                  BP_E820_MAX);
}

bool linux_load(LoadContext *ctx, const char *kernel_path, const char *initrd_path,
                const char *cmdline, bool unpack, X86State *entry, Error **errp)
{
    uint64_t ram = ctx->ram_below_4g + ctx->ram_above_4g;
    uint64_t max_file = ram < LOADER_MAX_KERNEL_FILE ? ram : LOADER_MAX_KERNEL_FILE;
    LinuxImage img = { .path = kernel_path };
    uint8_t *data = loader_read_file(kernel_path, max_file, &img.len, errp);
    if (!data) {
        return false;
    }
    img.data = data;
    bool ok = linux_parse_header(&img, errp);

    const char *cl = cmdline ? cmdline : "";
    size_t cl_len = strlen(cl);
    if (ok && (cl_len > img.cmdline_size || cl_len + 1 > LOADER_CMDLINE_MAX)) {
        uint64_t max = img.cmdline_size < LOADER_CMDLINE_MAX - 1 ? img.cmdline_size
                                                                : LOADER_CMDLINE_MAX - 1;
        error_setg(errp, "%s: command line of %zu bytes is too long (the kernel accepts "
                   "at most %" PRIu64 ")", kernel_path, cl_len, max);
        ok = false;
    }
    /* ACPI first: its e820 entry must be in the map the placement checks use */
    ok = ok && loader_install_acpi(ctx, errp);

    uint64_t rip = 0;
    LoaderEntryMode mode = LOADER_ENTRY_LINUX64;
    if (ok && unpack) {
        ok = linux_load_unpacked(ctx, &img, &rip, errp);
    } else if (ok) {
        ok = linux_load_classic(ctx, &img, errp);
        if (img.xloadflags & XLF_KERNEL_64) {
            rip = LINUX_LOAD_ADDR + 0x200;      /* the decompressor's startup_64 */
        } else {
            mode = LOADER_ENTRY_LINUX32;
            rip = LINUX_LOAD_ADDR;              /* code32_start */
        }
    }
    ok = ok && linux_place_initrd(ctx, &img, initrd_path, errp);

    if (ok) {
        ctx->cmdline_addr = LOADER_CMDLINE_ADDR;
        ctx->info_addr = LOADER_ZERO_PAGE_ADDR;
        uint8_t *bp = xzalloc(BP_SIZE);
        linux_build_boot_params(ctx, &img, bp, unpack ? 0 : LINUX_LOAD_ADDR);
        ok = loader_write(ctx, LOADER_ZERO_PAGE_ADDR, bp, BP_SIZE, errp) &&
             loader_write(ctx, LOADER_CMDLINE_ADDR, cl, cl_len + 1, errp);
        free(bp);
    }
    ok = ok && boot_setup_entry(ctx, mode, rip, entry, errp);
    if (ok) {
        entry->regs[R_ESI] = LOADER_ZERO_PAGE_ADDR;
    }
    free(data);
    return ok;
}
