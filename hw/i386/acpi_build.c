/*
 * ACPI table builder: lays out RSDP, FACS, DSDT, FADT, MADT, RSDT and XSDT in one
 * buffer for a given guest-physical base, with the DSDT's AML assembled by hand
 * (a tiny emitter for names, packages, scopes, devices and resource buffers).
 */
#include "hw/i386/acpi_build.h"
#include "hw/i386/pc.h"

#include <stdlib.h>
#include <string.h>

/* ---- a growable byte buffer with little-endian emitters ---- */

typedef struct ByteBuf {
    uint8_t *data;
    size_t len, cap;
} ByteBuf;

static void bb_reserve(ByteBuf *b, size_t extra)
{
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra) {
            cap *= 2;
        }
        b->data = xrealloc(b->data, cap);
        memset(b->data + b->cap, 0, cap - b->cap);
        b->cap = cap;
    }
}

static void bb_put(ByteBuf *b, const void *p, size_t n)
{
    bb_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void bb_u8(ByteBuf *b, uint8_t v)
{
    bb_put(b, &v, 1);
}

static void bb_le(ByteBuf *b, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        bb_u8(b, (uint8_t)(v >> (8 * i)));
    }
}

static void bb_zeros(ByteBuf *b, size_t n)
{
    bb_reserve(b, n);
    memset(b->data + b->len, 0, n);
    b->len += n;
}

static void bb_align(ByteBuf *b, size_t align)
{
    while (b->len % align) {
        bb_u8(b, 0);
    }
}

static void bb_free(ByteBuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static void set_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return (uint8_t)(0 - sum);
}

/* ---- AML emitter ---- */

enum {
    AML_ZERO = 0x00,
    AML_ONE = 0x01,
    AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0a,
    AML_WORD_PREFIX = 0x0b,
    AML_DWORD_PREFIX = 0x0c,
    AML_QWORD_PREFIX = 0x0e,
    AML_SCOPE_OP = 0x10,
    AML_BUFFER_OP = 0x11,
    AML_PACKAGE_OP = 0x12,
    AML_EXT_OP_PREFIX = 0x5b,
    AML_DEVICE_OP = 0x82,       /* after the 0x5b prefix */
    AML_ROOT_CHAR = 0x5c,
};

/* PkgLength counts its own encoding bytes: one byte up to 63, else 2-4 bytes with
 * the low nibble in the lead byte and the rest in following bytes. */
static void aml_pkg_length(ByteBuf *b, size_t body)
{
    size_t total = body + 1;
    if (total <= 0x3f) {
        bb_u8(b, (uint8_t)total);
        return;
    }
    unsigned extra = 1;
    while (extra < 3 && (body + 1 + extra) >= ((size_t)1 << (4 + 8 * extra))) {
        extra++;
    }
    total = body + 1 + extra;
    bb_u8(b, (uint8_t)((extra << 6) | (total & 0xf)));
    for (unsigned i = 0; i < extra; i++) {
        bb_u8(b, (uint8_t)(total >> (4 + 8 * i)));
    }
}

/* op [ext] PkgLength <prefix bytes> <body> */
static void aml_wrap(ByteBuf *out, const uint8_t *op, size_t op_len, const ByteBuf *body)
{
    bb_put(out, op, op_len);
    aml_pkg_length(out, body->len);
    bb_put(out, body->data, body->len);
}

static void aml_name_seg(ByteBuf *b, const char *seg)
{
    /* a NameSeg is four characters, padded with '_' */
    char s[4] = { '_', '_', '_', '_' };
    for (int i = 0; i < 4 && seg[i]; i++) {
        s[i] = seg[i];
    }
    bb_put(b, s, 4);
}

static void aml_integer(ByteBuf *b, uint64_t v)
{
    if (v == 0) {
        bb_u8(b, AML_ZERO);
    } else if (v == 1) {
        bb_u8(b, AML_ONE);
    } else if (v <= 0xff) {
        bb_u8(b, AML_BYTE_PREFIX);
        bb_u8(b, (uint8_t)v);
    } else if (v <= 0xffff) {
        bb_u8(b, AML_WORD_PREFIX);
        bb_le(b, v, 2);
    } else if (v <= 0xffffffffu) {
        bb_u8(b, AML_DWORD_PREFIX);
        bb_le(b, v, 4);
    } else {
        bb_u8(b, AML_QWORD_PREFIX);
        bb_le(b, v, 8);
    }
}

/* Name(seg, Integer) */
static void aml_name_int(ByteBuf *b, const char *seg, uint64_t v)
{
    bb_u8(b, AML_NAME_OP);
    aml_name_seg(b, seg);
    aml_integer(b, v);
}

/* A compressed EISA id ("PNP0A03") as the 32-bit integer AML stores. */
static uint32_t aml_eisa_id(const char *id)
{
    uint16_t vendor = (uint16_t)(((id[0] - 0x40) & 0x1f) << 10 |
                                 ((id[1] - 0x40) & 0x1f) << 5 | ((id[2] - 0x40) & 0x1f));
    uint16_t product = (uint16_t)strtoul(id + 3, NULL, 16);
    /* both halves are big-endian in memory */
    return (uint32_t)(vendor >> 8) | (uint32_t)(vendor & 0xff) << 8 |
           (uint32_t)(product >> 8) << 16 | (uint32_t)(product & 0xff) << 24;
}

/* ---- resource descriptors for _CRS ---- */

enum {
    RES_TYPE_MEMORY = 0,
    RES_TYPE_IO = 1,
    RES_TYPE_BUS = 2,
    /* general flags: producer, positive decode, min and max fixed */
    RES_GENERAL_FIXED_PRODUCER = 0x0c,
};

static void res_word_space(ByteBuf *b, uint8_t type, uint8_t type_flags, uint16_t min,
                           uint16_t max)
{
    bb_u8(b, 0x88);                 /* Word Address Space Descriptor */
    bb_le(b, 13, 2);
    bb_u8(b, type);
    bb_u8(b, RES_GENERAL_FIXED_PRODUCER);
    bb_u8(b, type_flags);
    bb_le(b, 0, 2);                 /* granularity */
    bb_le(b, min, 2);
    bb_le(b, max, 2);
    bb_le(b, 0, 2);                 /* translation */
    bb_le(b, (uint32_t)max - min + 1, 2);
}

static void res_dword_memory(ByteBuf *b, uint32_t min, uint32_t max)
{
    bb_u8(b, 0x87);                 /* DWord Address Space Descriptor */
    bb_le(b, 23, 2);
    bb_u8(b, RES_TYPE_MEMORY);
    bb_u8(b, RES_GENERAL_FIXED_PRODUCER);
    bb_u8(b, 0x03);                 /* read/write, cacheable */
    bb_le(b, 0, 4);
    bb_le(b, min, 4);
    bb_le(b, max, 4);
    bb_le(b, 0, 4);
    bb_le(b, (uint64_t)max - min + 1, 4);
}

static void res_io_port(ByteBuf *b, uint16_t base, uint8_t len)
{
    bb_u8(b, 0x47);                 /* I/O Port Descriptor */
    bb_u8(b, 0x01);                 /* 16-bit decode */
    bb_le(b, base, 2);
    bb_le(b, base, 2);
    bb_u8(b, 1);
    bb_u8(b, len);
}

/* Name(_CRS, ResourceTemplate(){...}) of the PCI root bridge */
static void aml_pci_crs(ByteBuf *out, uint32_t hole_start, uint32_t hole_end)
{
    ByteBuf res = { 0 };
    res_word_space(&res, RES_TYPE_BUS, 0, 0x00, 0xff);
    res_io_port(&res, 0xcf8, 8);
    res_word_space(&res, RES_TYPE_IO, 0x03, 0x0000, 0x0cf7);
    res_word_space(&res, RES_TYPE_IO, 0x03, 0x0d00, 0xffff);
    res_dword_memory(&res, 0x000a0000, 0x000bffff);
    res_dword_memory(&res, hole_start, hole_end);
    bb_u8(&res, 0x79);              /* End Tag; checksum 0 = "don't check" */
    bb_u8(&res, 0x00);

    ByteBuf body = { 0 };
    aml_integer(&body, res.len);    /* BufferSize */
    bb_put(&body, res.data, res.len);

    bb_u8(out, AML_NAME_OP);
    aml_name_seg(out, "_CRS");
    const uint8_t op = AML_BUFFER_OP;
    aml_wrap(out, &op, 1, &body);
    bb_free(&body);
    bb_free(&res);
}

static void aml_build_dsdt_body(ByteBuf *aml, const AcpiConfig *cfg)
{
    /* Name(\_S5, Package(4) { SLP_TYPa, SLP_TYPb, 0, 0 }) at the root */
    ByteBuf pkg = { 0 };
    bb_u8(&pkg, 4);                 /* NumElements */
    aml_integer(&pkg, PC_ACPI_SLP_TYP_S5);
    aml_integer(&pkg, PC_ACPI_SLP_TYP_S5);
    aml_integer(&pkg, 0);
    aml_integer(&pkg, 0);
    bb_u8(aml, AML_NAME_OP);
    aml_name_seg(aml, "_S5_");
    const uint8_t pkg_op = AML_PACKAGE_OP;
    aml_wrap(aml, &pkg_op, 1, &pkg);
    bb_free(&pkg);

    /* Scope(\_SB) { Device(PCI0) { _HID, _UID, _BBN, _CRS } } */
    ByteBuf dev = { 0 };
    aml_name_seg(&dev, "PCI0");
    bb_u8(&dev, AML_NAME_OP);
    aml_name_seg(&dev, "_HID");
    bb_u8(&dev, AML_DWORD_PREFIX);
    bb_le(&dev, aml_eisa_id("PNP0A03"), 4);
    aml_name_int(&dev, "_UID", 0);
    aml_name_int(&dev, "_BBN", 0);
    uint64_t hs = cfg->pci_hole_start ? cfg->pci_hole_start : PC_BELOW_4G_MAX;
    uint64_t he = cfg->pci_hole_end ? cfg->pci_hole_end : PC_IOAPIC_BASE - 1;
    aml_pci_crs(&dev, (uint32_t)hs, (uint32_t)he);

    ByteBuf scope = { 0 };
    bb_u8(&scope, AML_ROOT_CHAR);
    aml_name_seg(&scope, "_SB_");
    const uint8_t dev_op[2] = { AML_EXT_OP_PREFIX, AML_DEVICE_OP };
    aml_wrap(&scope, dev_op, 2, &dev);
    const uint8_t scope_op = AML_SCOPE_OP;
    aml_wrap(aml, &scope_op, 1, &scope);
    bb_free(&scope);
    bb_free(&dev);
}

/* ---- tables ---- */

static const char acpi_oem_id[6] = { 'E', 'M', 'B', 'E', 'R', ' ' };
static const char acpi_oem_table_id[8] = { 'E', 'M', 'B', 'E', 'R', 'P', 'C', ' ' };

/* Begin a table at the current (aligned) position; returns its offset. */
static size_t table_begin(ByteBuf *b, const char sig[4], uint8_t revision)
{
    bb_align(b, 8);
    size_t start = b->len;
    bb_put(b, sig, 4);
    bb_le(b, 0, 4);                 /* length, patched by table_end */
    bb_u8(b, revision);
    bb_u8(b, 0);                    /* checksum, patched by table_end */
    bb_put(b, acpi_oem_id, 6);
    bb_put(b, acpi_oem_table_id, 8);
    bb_le(b, 1, 4);                 /* OEM revision */
    bb_put(b, "EMBR", 4);           /* creator id */
    bb_le(b, 1, 4);                 /* creator revision */
    return start;
}

static void table_end(ByteBuf *b, size_t start)
{
    size_t len = b->len - start;
    set_le(b->data + start + 4, len, 4);
    b->data[start + 9] = 0;
    b->data[start + 9] = acpi_checksum(b->data + start, len);
}

/* Generic Address Structure in system I/O space */
static void gas_io(ByteBuf *b, uint8_t bit_width, uint8_t access_size, uint64_t port)
{
    bb_u8(b, port ? 1 : 0);         /* address space: system I/O */
    bb_u8(b, port ? bit_width : 0);
    bb_u8(b, 0);                    /* bit offset */
    bb_u8(b, port ? access_size : 0);
    bb_le(b, port, 8);
}

static size_t build_fadt(ByteBuf *b, uint64_t facs, uint64_t dsdt)
{
    const uint32_t pm1_evt = PC_ACPI_PM_BASE;
    const uint32_t pm1_cnt = PC_ACPI_PM_BASE + 4;
    const uint32_t pm_tmr = PC_ACPI_PM_BASE + 8;
    size_t start = table_begin(b, "FACP", 4);
    bb_le(b, facs, 4);              /* FIRMWARE_CTRL */
    bb_le(b, dsdt, 4);              /* DSDT */
    bb_u8(b, 0);                    /* reserved (INT_MODEL in ACPI 1.0) */
    bb_u8(b, 0);                    /* preferred PM profile: unspecified */
    bb_le(b, PC_ACPI_SCI_IRQ, 2);   /* SCI_INT */
    bb_le(b, 0, 4);                 /* SMI_CMD: none, ACPI is always enabled */
    bb_u8(b, 0);                    /* ACPI_ENABLE */
    bb_u8(b, 0);                    /* ACPI_DISABLE */
    bb_u8(b, 0);                    /* S4BIOS_REQ */
    bb_u8(b, 0);                    /* PSTATE_CNT */
    bb_le(b, pm1_evt, 4);           /* PM1a_EVT_BLK */
    bb_le(b, 0, 4);                 /* PM1b_EVT_BLK */
    bb_le(b, pm1_cnt, 4);           /* PM1a_CNT_BLK */
    bb_le(b, 0, 4);                 /* PM1b_CNT_BLK */
    bb_le(b, 0, 4);                 /* PM2_CNT_BLK */
    bb_le(b, pm_tmr, 4);            /* PM_TMR_BLK */
    bb_le(b, 0, 4);                 /* GPE0_BLK */
    bb_le(b, 0, 4);                 /* GPE1_BLK */
    bb_u8(b, 4);                    /* PM1_EVT_LEN */
    bb_u8(b, 2);                    /* PM1_CNT_LEN */
    bb_u8(b, 0);                    /* PM2_CNT_LEN */
    bb_u8(b, 4);                    /* PM_TMR_LEN */
    bb_u8(b, 0);                    /* GPE0_BLK_LEN */
    bb_u8(b, 0);                    /* GPE1_BLK_LEN */
    bb_u8(b, 0);                    /* GPE1_BASE */
    bb_u8(b, 0);                    /* CST_CNT */
    bb_le(b, 101, 2);               /* P_LVL2_LAT > 100: no C2 */
    bb_le(b, 1001, 2);              /* P_LVL3_LAT > 1000: no C3 */
    bb_le(b, 0, 2);                 /* FLUSH_SIZE */
    bb_le(b, 0, 2);                 /* FLUSH_STRIDE */
    bb_u8(b, 0);                    /* DUTY_OFFSET */
    bb_u8(b, 0);                    /* DUTY_WIDTH */
    bb_u8(b, 0);                    /* DAY_ALRM */
    bb_u8(b, 0);                    /* MON_ALRM */
    bb_u8(b, 0x32);                 /* CENTURY: CMOS register 0x32 */
    bb_le(b, ACPI_BOOT_ARCH_LEGACY_DEVICES | ACPI_BOOT_ARCH_8042, 2);
    bb_u8(b, 0);                    /* reserved */
    bb_le(b, ACPI_FADT_F_WBINVD | ACPI_FADT_F_PROC_C1 | ACPI_FADT_F_SLP_BUTTON |
             ACPI_FADT_F_FIX_RTC | ACPI_FADT_F_RESET_REG_SUP, 4);
    gas_io(b, 8, 1, PC_RESET_CONTROL_PORT);   /* RESET_REG */
    bb_u8(b, 0x06);                 /* RESET_VALUE: full reset via 0xcf9 */
    bb_zeros(b, 3);                 /* reserved */
    bb_le(b, facs, 8);              /* X_FIRMWARE_CTRL */
    bb_le(b, dsdt, 8);              /* X_DSDT */
    gas_io(b, 32, 2, pm1_evt);      /* X_PM1a_EVT_BLK */
    gas_io(b, 0, 0, 0);             /* X_PM1b_EVT_BLK */
    gas_io(b, 16, 2, pm1_cnt);      /* X_PM1a_CNT_BLK */
    gas_io(b, 0, 0, 0);             /* X_PM1b_CNT_BLK */
    gas_io(b, 0, 0, 0);             /* X_PM2_CNT_BLK */
    gas_io(b, 32, 3, pm_tmr);       /* X_PM_TMR_BLK */
    gas_io(b, 0, 0, 0);             /* X_GPE0_BLK */
    gas_io(b, 0, 0, 0);             /* X_GPE1_BLK */
    table_end(b, start);
    return start;
}

static size_t build_madt(ByteBuf *b, const AcpiConfig *cfg)
{
    size_t start = table_begin(b, "APIC", 3);
    bb_le(b, PC_LAPIC_BASE, 4);
    bb_le(b, 1, 4);                 /* PCAT_COMPAT: dual 8259s present */
    for (int i = 0; i < cfg->nr_cpus; i++) {
        bb_u8(b, ACPI_MADT_LOCAL_APIC);
        bb_u8(b, 8);
        bb_u8(b, (uint8_t)i);       /* ACPI processor UID */
        bb_u8(b, (uint8_t)i);       /* APIC id */
        bb_le(b, 1, 4);             /* enabled */
    }
    bb_u8(b, ACPI_MADT_IO_APIC);
    bb_u8(b, 12);
    bb_u8(b, cfg->ioapic_id);
    bb_u8(b, 0);
    bb_le(b, PC_IOAPIC_BASE, 4);
    bb_le(b, 0, 4);                 /* GSI base */

    static const struct {
        uint8_t irq;
        uint32_t gsi;
        uint16_t flags;
    } overrides[] = {
        { 0, 2, 0x0005 },               /* PIT: edge, active high */
        { PC_ACPI_SCI_IRQ, PC_ACPI_SCI_IRQ, 0x000d },   /* SCI: level, active high */
    };
    for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++) {
        bb_u8(b, ACPI_MADT_INT_OVERRIDE);
        bb_u8(b, 10);
        bb_u8(b, 0);                /* bus: ISA */
        bb_u8(b, overrides[i].irq);
        bb_le(b, overrides[i].gsi, 4);
        bb_le(b, overrides[i].flags, 2);
    }
    bb_u8(b, ACPI_MADT_LOCAL_APIC_NMI);
    bb_u8(b, 6);
    bb_u8(b, 0xff);                 /* all processors */
    bb_le(b, 0, 2);                 /* conforming polarity/trigger */
    bb_u8(b, 1);                    /* LINT1 */
    table_end(b, start);
    return start;
}

bool acpi_build_tables(AcpiTables *out, const AcpiConfig *cfg, uint64_t base, Error **errp)
{
    memset(out, 0, sizeof(*out));
    if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MAX_CPUS) {
        error_setg(errp, "ACPI: %d CPUs is out of range (1 to %d)", cfg->nr_cpus,
                   ACPI_MAX_CPUS);
        return false;
    }
    if (base & 15) {
        error_setg(errp, "ACPI: table base 0x%llx is not 16-byte aligned",
                   (unsigned long long)base);
        return false;
    }
    ByteBuf b = { 0 };

    /* RSDP first so the BIOS-area scan finds it at once; filled in at the end */
    size_t rsdp = b.len;
    bb_zeros(&b, ACPI_RSDP_SIZE);

    bb_align(&b, 64);               /* the FACS must be 64-byte aligned */
    size_t facs = b.len;
    bb_put(&b, "FACS", 4);
    bb_le(&b, ACPI_FACS_SIZE, 4);
    bb_le(&b, 0, 4);                /* hardware signature */
    bb_le(&b, 0, 4);                /* firmware waking vector */
    bb_le(&b, 0, 4);                /* global lock */
    bb_le(&b, 0, 4);                /* flags */
    bb_le(&b, 0, 8);                /* X firmware waking vector */
    bb_u8(&b, 1);                   /* version */
    bb_zeros(&b, ACPI_FACS_SIZE - 33);

    size_t dsdt = table_begin(&b, "DSDT", 2);   /* revision 2: 64-bit integers */
    ByteBuf aml = { 0 };
    aml_build_dsdt_body(&aml, cfg);
    bb_put(&b, aml.data, aml.len);
    bb_free(&aml);
    table_end(&b, dsdt);

    size_t fadt_pos = build_fadt(&b, base + facs, base + dsdt);
    size_t madt_pos = build_madt(&b, cfg);

    const uint64_t entries[] = { base + fadt_pos, base + madt_pos };
    const size_t nr_entries = sizeof(entries) / sizeof(entries[0]);
    size_t rsdt = table_begin(&b, "RSDT", 1);
    for (size_t i = 0; i < nr_entries; i++) {
        bb_le(&b, entries[i], 4);
    }
    table_end(&b, rsdt);
    size_t xsdt = table_begin(&b, "XSDT", 1);
    for (size_t i = 0; i < nr_entries; i++) {
        bb_le(&b, entries[i], 8);
    }
    table_end(&b, xsdt);

    if (base + b.len > 0x100000000ull) {
        error_setg(errp, "ACPI: tables at 0x%llx would cross 4 GiB",
                   (unsigned long long)base);
        bb_free(&b);
        return false;
    }

    uint8_t *r = b.data + rsdp;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, acpi_oem_id, 6);
    r[15] = 2;                      /* revision: ACPI 2.0+, XSDT valid */
    set_le(r + 16, base + rsdt, 4);
    set_le(r + 20, ACPI_RSDP_SIZE, 4);
    set_le(r + 24, base + xsdt, 8);
    r[8] = acpi_checksum(r, 20);
    r[32] = acpi_checksum(r, ACPI_RSDP_SIZE);

    out->buf = b.data;
    out->len = b.len;
    out->base = base;
    out->rsdp = base + rsdp;
    out->facs = base + facs;
    out->dsdt = base + dsdt;
    out->fadt = base + fadt_pos;
    out->madt = base + madt_pos;
    out->rsdt = base + rsdt;
    out->xsdt = base + xsdt;
    return true;
}

void acpi_tables_free(AcpiTables *t)
{
    free(t->buf);
    memset(t, 0, sizeof(*t));
}

bool acpi_install(AddressSpace *as, const AcpiConfig *cfg, uint64_t base, uint64_t max_len,
                  uint64_t *rsdp_addr, uint64_t *used_len, Error **errp)
{
    AcpiTables t;
    if (!acpi_build_tables(&t, cfg, base, errp)) {
        return false;
    }
    if (t.len > max_len) {
        error_setg(errp, "ACPI: tables need %zu bytes, only %llu available at 0x%llx",
                   t.len, (unsigned long long)max_len, (unsigned long long)base);
        acpi_tables_free(&t);
        return false;
    }
    if (!address_space_map(as, base, t.len, true)) {
        error_setg(errp, "ACPI: 0x%llx-0x%llx is not guest RAM", (unsigned long long)base,
                   (unsigned long long)(base + t.len - 1));
        acpi_tables_free(&t);
        return false;
    }
    address_space_write(as, base, t.buf, t.len);
    *rsdp_addr = t.rsdp;
    if (used_len) {
        *used_len = t.len;
    }
    acpi_tables_free(&t);
    return true;
}
