/* Unit tests for the local APIC and the APIC system: three APICs (IDs 0-2, APIC 0 the
 * BSP) on one system, each register window mapped at 0xfee00000 + n * 0x1000 of the
 * test memory map, and a fake CPU per APIC recording what the APIC tells it. */
#include <check.h>
#include <stdlib.h>

#include "hw/intc/apic.h"
#include "hw/intc/ioapic.h"
#include "system/timer.h"
#include "tests/unit/harness.h"

#define NR_APICS 3
#define WINDOW(n) (0xfee00000ull + (uint64_t)(n) * 0x1000)
#define IOAPIC_BASE 0xfec00000ull
#define PIC_VECTOR 0x08

typedef struct FakeCpu {
    int index;
    bool pending;                /* last interrupt_request value */
    int requests;                /* interrupt_request calls */
    int nmis, inits, smis, sipis, extint_acks;
    uint8_t sipi_vector;
    /* behaviours */
    bool self_ipi_on_nmi;        /* write the ICR from inside the callback */
    int ping_pong_to;            /* >= 0: on each interrupt take it, EOI, IPI that APIC */
    int ping_pongs;
} FakeCpu;

static TestBoard *tb;
static ApicSystem *sys;
static DeviceState *apics[NR_APICS];
static FakeCpu cpus[NR_APICS];
static int eoi_vectors[16];
static int nr_eois;

static uint32_t rd(int n, uint32_t off)
{
    return (uint32_t)address_space_ld(&tb->mem, WINDOW(n) + off, 4);
}

static void wr(int n, uint32_t off, uint32_t val)
{
    address_space_st(&tb->mem, WINDOW(n) + off, val, 4);
}

static bool vec_bit(int n, uint32_t reg_base, int v)
{
    return (rd(n, reg_base + 0x10 * (uint32_t)(v / 32)) >> (v % 32)) & 1;
}

static void send_ipi(int from, uint8_t dest, uint32_t lo)
{
    wr(from, APIC_REG_ICR_HI, (uint32_t)dest << 24);
    wr(from, APIC_REG_ICR_LO, lo);
}

static void fake_interrupt_request(void *opaque, bool pending)
{
    FakeCpu *c = opaque;
    c->pending = pending;
    c->requests++;
    if (pending && c->ping_pong_to >= 0) {
        int v = apic_acknowledge(apics[c->index]);
        ck_assert_int_eq(v, 0x50);
        wr(c->index, APIC_REG_EOI, 0);
        c->ping_pongs++;
        send_ipi(c->index, (uint8_t)c->ping_pong_to, 0x50);
    }
}

static void fake_nmi(void *opaque)
{
    FakeCpu *c = opaque;
    c->nmis++;
    if (c->self_ipi_on_nmi) {
        c->self_ipi_on_nmi = false;
        wr(c->index, APIC_REG_ICR_LO, (APIC_SHORTHAND_SELF << APIC_ICR_SHORTHAND_SHIFT) | 0x66);
    }
}

static void fake_init(void *opaque) { ((FakeCpu *)opaque)->inits++; }
static void fake_smi(void *opaque) { ((FakeCpu *)opaque)->smis++; }

static void fake_sipi(void *opaque, uint8_t vector)
{
    FakeCpu *c = opaque;
    c->sipis++;
    c->sipi_vector = vector;
}

static int fake_extint_ack(void *opaque)
{
    FakeCpu *c = opaque;
    c->extint_acks++;
    return PIC_VECTOR + c->extint_acks;
}

static const ApicCpuOps fake_ops = {
    .interrupt_request = fake_interrupt_request,
    .nmi = fake_nmi,
    .init = fake_init,
    .sipi = fake_sipi,
    .extint_ack = fake_extint_ack,
    .smi = fake_smi,
};

static void record_eoi(void *opaque, int vector)
{
    ck_assert_ptr_eq(opaque, &eoi_vectors);
    ck_assert_int_lt(nr_eois, 16);
    eoi_vectors[nr_eois++] = vector;
}

static DeviceState *make_apic(const char *props, int window)
{
    Error *err = NULL;
    DeviceState *dev = device_new(TYPE_APIC);
    ck_assert_ptr_nonnull(dev);
    char *copy = xstrdup(props ? props : "");
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        *eq = '\0';
        ck_assert_msg(device_set_prop(dev, kv, eq + 1, &err), "%s", err ? err->msg : "?");
    }
    free(copy);
    object_add_child(tb->root, "apic", OBJECT(dev));
    object_unref(OBJECT(dev));
    ck_assert(device_realize(dev, NULL, &err));
    if (window >= 0) {
        memory_region_add_subregion(&tb->mem_root, WINDOW(window), apic_get_mmio(dev));
    }
    return dev;
}

static void setup(void)
{
    tb = tb_new();
    apic_register_types();
    ioapic_register_types();
    sys = apic_system_new();
    apic_system_set_eoi_handler(sys, record_eoi, &eoi_vectors);
    nr_eois = 0;
    static const char *const props[NR_APICS] = { "id=0,bsp=on", "id=1", "id=2" };
    for (int i = 0; i < NR_APICS; i++) {
        apics[i] = make_apic(props[i], i);
        apic_system_add(sys, apics[i]);
        cpus[i] = (FakeCpu){ .index = i, .ping_pong_to = -1 };
        apic_set_cpu_ops(apics[i], &fake_ops, &cpus[i]);
    }
}

static void teardown(void)
{
    apic_system_free(sys);
    tb_free(tb);
}

static void enable_all(void)
{
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    }
}

/* Take the pending interrupt like a CPU would (ack + EOI); -1 if none. */
static int take(int n)
{
    if (!apic_interrupt_pending(apics[n])) {
        return -1;
    }
    int v = apic_acknowledge(apics[n]);
    wr(n, APIC_REG_EOI, 0);
    return v;
}

START_TEST(test_reset_values)
{
    for (int i = 0; i < NR_APICS; i++) {
        ck_assert_uint_eq(rd(i, APIC_REG_ID), (uint32_t)i << 24);
        ck_assert_uint_eq(rd(i, APIC_REG_VERSION), 0x00050014);
        ck_assert_uint_eq(rd(i, APIC_REG_SVR), 0xff);
        ck_assert_uint_eq(rd(i, APIC_REG_DFR), 0xffffffff);
        ck_assert_uint_eq(rd(i, APIC_REG_LDR), 0);
        ck_assert_uint_eq(rd(i, APIC_REG_TPR), 0);
        ck_assert_uint_eq(rd(i, APIC_REG_PPR), 0);
        ck_assert_uint_eq(rd(i, APIC_REG_ESR), 0);
        for (uint32_t off = APIC_REG_LVT_TIMER; off <= APIC_REG_LVT_ERROR; off += 0x10) {
            ck_assert_uint_eq(rd(i, off), APIC_LVT_MASKED);
        }
        ck_assert_uint_eq(rd(i, APIC_REG_TIMER_INITIAL), 0);
        ck_assert_uint_eq(rd(i, APIC_REG_TIMER_CURRENT), 0);
        ck_assert(!cpus[i].pending);
    }
    ck_assert_uint_eq(apic_get_base(apics[0]), 0xfee00900ull);
    ck_assert_uint_eq(apic_get_base(apics[1]), 0xfee00800ull);
    /* properties: another id and version byte, and directed EOI advertised */
    DeviceState *extra = make_apic("id=0x27,version=0x15,directed_eoi=on", 5);
    ck_assert_uint_eq(rd(5, APIC_REG_ID), 0x27000000);
    ck_assert_uint_eq(rd(5, APIC_REG_VERSION), 0x01050015);
    /* ID is writable, reset restores the property */
    wr(5, APIC_REG_ID, 0x33000000);
    ck_assert_uint_eq(rd(5, APIC_REG_ID), 0x33000000);
    wr(5, APIC_REG_SVR, 0x1ff);
    device_reset(extra);
    ck_assert_uint_eq(rd(5, APIC_REG_ID), 0x27000000);
    ck_assert_uint_eq(rd(5, APIC_REG_SVR), 0xff);
    /* read-only registers ignore writes */
    wr(0, APIC_REG_VERSION, 0);
    wr(0, APIC_REG_PPR, 0xff);
    ck_assert_uint_eq(rd(0, APIC_REG_VERSION), 0x00050014);
    ck_assert_uint_eq(rd(0, APIC_REG_PPR), 0);
    /* the ID range stops before the broadcast ID */
    Error *err = NULL;
    DeviceState *bad = device_new(TYPE_APIC);
    ck_assert(!device_set_prop(bad, "id", "255", &err));
    error_free(err);
    object_unref(OBJECT(bad));
}
END_TEST

START_TEST(test_software_enable)
{
    /* disabled: fixed IPIs are refused and LVTs stay masked */
    send_ipi(0, 1, 0x41);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x41));
    wr(1, APIC_REG_LVT_LINT0, 0x0000031);
    ck_assert_uint_eq(rd(1, APIC_REG_LVT_LINT0), APIC_LVT_MASKED | 0x31);
    wr(1, APIC_REG_SVR, APIC_SVR_ENABLE | 0xef);
    ck_assert_uint_eq(rd(1, APIC_REG_SVR), 0x1ef);
    send_ipi(0, 1, 0x41);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x41));
    ck_assert(cpus[1].pending);
    wr(1, APIC_REG_LVT_LINT0, 0x0000031);
    ck_assert_uint_eq(rd(1, APIC_REG_LVT_LINT0), 0x31);
    /* software disable masks every LVT and hides the IRR from the CPU */
    wr(1, APIC_REG_SVR, 0xef);
    ck_assert_uint_eq(rd(1, APIC_REG_LVT_LINT0), APIC_LVT_MASKED | 0x31);
    ck_assert(!cpus[1].pending);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x41));
    wr(1, APIC_REG_SVR, APIC_SVR_ENABLE | 0xef);
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(take(1), 0x41);
}
END_TEST

START_TEST(test_fixed_ipi_physical)
{
    enable_all();
    send_ipi(0, 2, 0x40);
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x40));
    ck_assert(cpus[2].pending);
    ck_assert(!cpus[0].pending && !cpus[1].pending);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x40));
    ck_assert_uint_eq(rd(0, APIC_REG_ICR_LO) & APIC_DELIVERY_STATUS, 0);
    ck_assert_uint_eq(rd(0, APIC_REG_ICR_LO), 0x40);
    ck_assert_uint_eq(rd(0, APIC_REG_ICR_HI), 0x02000000);
    /* edge IPIs clear TMR */
    ck_assert(!vec_bit(2, APIC_REG_TMR, 0x40));
    /* no APIC with ID 7: nothing happens */
    send_ipi(0, 7, 0x42);
    for (int i = 0; i < NR_APICS; i++) {
        ck_assert(!vec_bit(i, APIC_REG_IRR, 0x42));
    }
    /* a rewritten ID routes there */
    wr(1, APIC_REG_ID, 7u << 24);
    send_ipi(0, 7, 0x42);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x42));
}
END_TEST

START_TEST(test_logical_flat_and_cluster)
{
    enable_all();
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_LDR, (1u << i) << 24);
    }
    send_ipi(0, 0x06, APIC_DEST_LOGICAL | 0x51);
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x51));
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x51));
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x51));
    ck_assert_uint_eq(rd(1, APIC_REG_LDR), 0x02000000);

    /* cluster model: cluster 1 members 1,2; cluster 2 member 1 */
    static const uint8_t ldr[NR_APICS] = { 0x11, 0x12, 0x21 };
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_DFR, 0x0fffffff);
        wr(i, APIC_REG_LDR, (uint32_t)ldr[i] << 24);
    }
    ck_assert_uint_eq(rd(0, APIC_REG_DFR), 0x0fffffff);
    send_ipi(0, 0x13, APIC_DEST_LOGICAL | 0x52);
    ck_assert(vec_bit(0, APIC_REG_IRR, 0x52));
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x52));
    ck_assert(!vec_bit(2, APIC_REG_IRR, 0x52));
    send_ipi(0, 0x21, APIC_DEST_LOGICAL | 0x53);
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x53));
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x53));
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x53));
    /* the right cluster but no member bit */
    send_ipi(0, 0x24, APIC_DEST_LOGICAL | 0x54);
    ck_assert(!vec_bit(2, APIC_REG_IRR, 0x54));
}
END_TEST

START_TEST(test_broadcast_and_shorthands)
{
    enable_all();
    send_ipi(1, 0xff, 0x61);
    for (int i = 0; i < NR_APICS; i++) {
        ck_assert(vec_bit(i, APIC_REG_IRR, 0x61));
    }
    send_ipi(1, 0xff, APIC_DEST_LOGICAL | 0x62);      /* logical broadcast */
    for (int i = 0; i < NR_APICS; i++) {
        ck_assert(vec_bit(i, APIC_REG_IRR, 0x62));
    }
    send_ipi(1, 0, (APIC_SHORTHAND_SELF << APIC_ICR_SHORTHAND_SHIFT) | 0x63);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x63));
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x63) && !vec_bit(2, APIC_REG_IRR, 0x63));
    send_ipi(1, 0, (APIC_SHORTHAND_ALL << APIC_ICR_SHORTHAND_SHIFT) | 0x64);
    for (int i = 0; i < NR_APICS; i++) {
        ck_assert(vec_bit(i, APIC_REG_IRR, 0x64));
    }
    /* the destination field is ignored with a shorthand */
    send_ipi(1, 1, (APIC_SHORTHAND_OTHERS << APIC_ICR_SHORTHAND_SHIFT) | 0x65);
    ck_assert(vec_bit(0, APIC_REG_IRR, 0x65));
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x65));
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x65));
}
END_TEST

START_TEST(test_lowest_priority)
{
    enable_all();
    static const uint8_t tpr[NR_APICS] = { 0x20, 0x10, 0x30 };
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_TPR, tpr[i]);
    }
    uint32_t lowest = (APIC_DM_LOWEST << APIC_DM_SHIFT) | APIC_DEST_LOGICAL;
    send_ipi(0, 0xff, lowest | 0x71);
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x71));
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x71));
    ck_assert(!vec_bit(2, APIC_REG_IRR, 0x71));
    /* equal priorities: exactly one target per message */
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_TPR, 0);
    }
    apic_system_deliver_msi(sys, 0xfee00000ull | (0xffu << 12),
                            (APIC_DM_LOWEST << APIC_DM_SHIFT) | 0x72);
    int hits = 0;
    for (int i = 0; i < NR_APICS; i++) {
        hits += vec_bit(i, APIC_REG_IRR, 0x72);
    }
    ck_assert_int_eq(hits, 1);
    /* the focus processor (vector already pending there) wins */
    send_ipi(0, 2, 0x73);
    send_ipi(0, 0xff, lowest | 0x73);
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x73) && !vec_bit(1, APIC_REG_IRR, 0x73));
    /* a software-disabled APIC never takes it */
    wr(1, APIC_REG_SVR, 0xff);
    wr(0, APIC_REG_TPR, 0xf0);
    wr(2, APIC_REG_TPR, 0xf0);
    send_ipi(0, 0xff, lowest | 0x74);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x74));
    ck_assert_int_eq(vec_bit(0, APIC_REG_IRR, 0x74) + vec_bit(2, APIC_REG_IRR, 0x74), 1);
}
END_TEST

START_TEST(test_tpr_masking_and_ppr)
{
    enable_all();
    wr(1, APIC_REG_TPR, 0x50);
    send_ipi(0, 1, 0x55);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x55));
    ck_assert(!cpus[1].pending);
    ck_assert(!apic_interrupt_pending(apics[1]));
    ck_assert_uint_eq(rd(1, APIC_REG_PPR), 0x50);
    send_ipi(0, 1, 0x65);
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x65);
    ck_assert_uint_eq(rd(1, APIC_REG_PPR), 0x60);
    ck_assert(!cpus[1].pending);
    wr(1, APIC_REG_EOI, 0);
    ck_assert_uint_eq(rd(1, APIC_REG_PPR), 0x50);
    ck_assert(!cpus[1].pending);            /* 0x55 still below the TPR class */
    /* CR8-style access */
    apic_set_tpr(apics[1], 0x40);
    ck_assert_uint_eq(apic_get_tpr(apics[1]), 0x40);
    ck_assert_uint_eq(rd(1, APIC_REG_TPR), 0x40);
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x55);
    /* APR: max(TPR, ISR, IRR classes) when one is above TPR */
    ck_assert_uint_eq(rd(1, APIC_REG_APR), 0x50);
    wr(1, APIC_REG_TPR, 0x6a);
    ck_assert_uint_eq(rd(1, APIC_REG_APR), 0x6a);
    ck_assert_uint_eq(rd(1, APIC_REG_PPR), 0x6a);
}
END_TEST

START_TEST(test_acknowledge_and_nesting)
{
    enable_all();
    send_ipi(0, 1, 0x40);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x40);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x40));
    ck_assert(vec_bit(1, APIC_REG_ISR, 0x40));
    ck_assert(!cpus[1].pending);
    /* a higher class nests, a lower or equal one waits */
    send_ipi(0, 1, 0x80);
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x80);
    send_ipi(0, 1, 0x30);
    send_ipi(0, 1, 0x8f);
    ck_assert(!cpus[1].pending);
    ck_assert_uint_eq(rd(1, APIC_REG_PPR), 0x80);
    /* EOI retires the highest in-service vector first */
    wr(1, APIC_REG_EOI, 0);
    ck_assert(!vec_bit(1, APIC_REG_ISR, 0x80));
    ck_assert(vec_bit(1, APIC_REG_ISR, 0x40));
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x8f);
    wr(1, APIC_REG_EOI, 0);
    ck_assert(!cpus[1].pending);            /* 0x30 < class 4 still in service */
    wr(1, APIC_REG_EOI, 0);
    ck_assert(!vec_bit(1, APIC_REG_ISR, 0x40));
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(take(1), 0x30);
    ck_assert_int_eq(take(1), -1);
    wr(1, APIC_REG_EOI, 0);                 /* nothing in service: harmless */
    ck_assert_int_eq(nr_eois, 0);
}
END_TEST

START_TEST(test_eoi_broadcast_only_for_level)
{
    enable_all();
    apic_system_deliver_msi(sys, 0xfee01000ull, IOAPIC_MSI_DATA_LEVEL |
                            IOAPIC_MSI_DATA_ASSERT | 0x70);
    apic_system_deliver_msi(sys, 0xfee01000ull, 0x71);
    ck_assert(vec_bit(1, APIC_REG_TMR, 0x70));
    ck_assert(!vec_bit(1, APIC_REG_TMR, 0x71));
    ck_assert_int_eq(take(1), 0x71);
    ck_assert_int_eq(nr_eois, 0);
    ck_assert_int_eq(take(1), 0x70);
    ck_assert_int_eq(nr_eois, 1);
    ck_assert_int_eq(eoi_vectors[0], 0x70);
    /* a level de-assert message does nothing */
    apic_system_deliver_msi(sys, 0xfee01000ull, IOAPIC_MSI_DATA_LEVEL | 0x72);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x72));
    /* EOI-broadcast suppression only where advertised */
    wr(1, APIC_REG_SVR, APIC_SVR_SUPPRESS_EOI | APIC_SVR_ENABLE | 0xff);
    ck_assert_uint_eq(rd(1, APIC_REG_SVR), 0x1ff);
    DeviceState *extra = make_apic("id=9,directed_eoi=on", 5);
    apic_system_add(sys, extra);
    wr(5, APIC_REG_SVR, APIC_SVR_SUPPRESS_EOI | APIC_SVR_ENABLE | 0xff);
    ck_assert_uint_eq(rd(5, APIC_REG_SVR), 0x11ff);
    apic_system_deliver_msi(sys, 0xfee09000ull, IOAPIC_MSI_DATA_LEVEL |
                            IOAPIC_MSI_DATA_ASSERT | 0x73);
    ck_assert_int_eq(apic_acknowledge(extra), 0x73);
    wr(5, APIC_REG_EOI, 0);
    ck_assert_int_eq(nr_eois, 1);
    ck_assert(!vec_bit(5, APIC_REG_ISR, 0x73));
}
END_TEST

START_TEST(test_illegal_vectors_and_esr)
{
    enable_all();
    apic_system_deliver_msi(sys, 0xfee02000ull, 0x05);
    ck_assert(!cpus[2].pending);
    ck_assert_uint_eq(rd(2, APIC_REG_IRR), 0);
    /* errors become visible only after a write to the ESR */
    ck_assert_uint_eq(rd(2, APIC_REG_ESR), 0);
    wr(2, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(2, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
    ck_assert_uint_eq(rd(2, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
    wr(2, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(2, APIC_REG_ESR), 0);
    /* sending one: the sender notes it, the receiver too */
    wr(0, APIC_REG_LVT_ERROR, 0xfe);
    send_ipi(0, 1, 0x03);
    wr(0, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(0, APIC_REG_ESR), APIC_ESR_SEND_ILLEGAL_VECTOR);
    wr(1, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(1, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
    /* the error LVT raised its vector on the sender */
    ck_assert(vec_bit(0, APIC_REG_IRR, 0xfe));
    ck_assert_int_eq(take(0), 0xfe);
    /* an illegal vector in the error LVT itself cannot loop */
    wr(0, APIC_REG_LVT_ERROR, 0x02);
    send_ipi(0, 1, 0x04);
    wr(0, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(0, APIC_REG_ESR),
                      APIC_ESR_SEND_ILLEGAL_VECTOR | APIC_ESR_RECV_ILLEGAL_VECTOR);
    /* a reserved register is an illegal register address */
    wr(1, APIC_REG_ESR, 0);
    rd(1, 0x2f0);
    wr(1, 0x3f0, 1);
    wr(1, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(1, APIC_REG_ESR), APIC_ESR_ILLEGAL_REGISTER);
    /* an illegal vector from an LVT */
    wr(2, APIC_REG_LVT_LINT0, 0x07);
    irq_raise(apic_get_lint(apics[2], 0));
    wr(2, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(2, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
}
END_TEST

START_TEST(test_init_sipi_nmi_smi)
{
    enable_all();
    wr(1, APIC_REG_TPR, 0x20);
    wr(1, APIC_REG_LDR, 0x04000000);
    send_ipi(0, 1, (APIC_DM_INIT << APIC_DM_SHIFT) | APIC_ICR_ASSERT | APIC_TRIGGER_LEVEL);
    ck_assert_int_eq(cpus[1].inits, 1);
    ck_assert_int_eq(cpus[0].inits + cpus[2].inits, 0);
    /* INIT reset the APIC but kept its ID */
    ck_assert_uint_eq(rd(1, APIC_REG_SVR), 0xff);
    ck_assert_uint_eq(rd(1, APIC_REG_TPR), 0);
    ck_assert_uint_eq(rd(1, APIC_REG_LDR), 0);
    ck_assert_uint_eq(rd(1, APIC_REG_ID), 0x01000000);
    /* INIT level de-assert is ignored */
    send_ipi(0, 1, (APIC_DM_INIT << APIC_DM_SHIFT) | APIC_TRIGGER_LEVEL);
    ck_assert_int_eq(cpus[1].inits, 1);
    /* start-up reaches the software-disabled APIC with its vector */
    send_ipi(0, 1, (APIC_DM_SIPI << APIC_DM_SHIFT) | 0x9a);
    ck_assert_int_eq(cpus[1].sipis, 1);
    ck_assert_uint_eq(cpus[1].sipi_vector, 0x9a);
    /* INIT and SIPI to all but self, as an OS brings up APs */
    send_ipi(0, 0, (APIC_SHORTHAND_OTHERS << APIC_ICR_SHORTHAND_SHIFT) |
                   (APIC_DM_INIT << APIC_DM_SHIFT) | APIC_ICR_ASSERT);
    send_ipi(0, 0, (APIC_SHORTHAND_OTHERS << APIC_ICR_SHORTHAND_SHIFT) |
                   (APIC_DM_SIPI << APIC_DM_SHIFT) | 0x10);
    ck_assert_int_eq(cpus[0].inits, 0);
    ck_assert_int_eq(cpus[2].inits, 1);
    ck_assert_int_eq(cpus[2].sipis, 1);
    ck_assert_uint_eq(cpus[2].sipi_vector, 0x10);
    ck_assert_uint_eq(rd(0, APIC_REG_SVR), 0x1ff);   /* the sender kept its state */
    send_ipi(0, 2, (APIC_DM_NMI << APIC_DM_SHIFT));
    ck_assert_int_eq(cpus[2].nmis, 1);
    send_ipi(0, 2, (APIC_DM_SMI << APIC_DM_SHIFT));
    ck_assert_int_eq(cpus[2].smis, 1);
    /* reserved delivery modes send nothing */
    send_ipi(0, 2, (3u << APIC_DM_SHIFT) | 0x40);
    send_ipi(0, 2, (APIC_DM_EXTINT << APIC_DM_SHIFT) | 0x40);
    ck_assert(!apic_interrupt_pending(apics[2]));
    /* NMI by MSI */
    apic_system_deliver_msi(sys, 0xfee00000ull, APIC_DM_NMI << APIC_DM_SHIFT);
    ck_assert_int_eq(cpus[0].nmis, 1);
}
END_TEST

START_TEST(test_lint0_extint)
{
    IRQ *lint0 = apic_get_lint(apics[0], 0);
    ck_assert_ptr_null(apic_get_lint(apics[0], 2));
    /* after reset (software-disabled) LINT0 is the i8259's INTR, as ExtINT */
    irq_raise(lint0);
    ck_assert(cpus[0].pending);
    ck_assert_int_eq(apic_acknowledge(apics[0]), PIC_VECTOR + 1);
    ck_assert_int_eq(cpus[0].extint_acks, 1);
    ck_assert(cpus[0].pending);             /* INTR still high */
    irq_lower(lint0);
    ck_assert(!cpus[0].pending);
    /* the line went away before the INTA: the spurious vector, no PIC cycle */
    ck_assert_int_eq(apic_acknowledge(apics[0]), 0xff);
    ck_assert_int_eq(cpus[0].extint_acks, 1);

    /* enabled, LINT0 programmed as ExtINT (virtual wire) */
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    irq_raise(lint0);
    ck_assert(!cpus[0].pending);            /* LVT still masked */
    wr(0, APIC_REG_LVT_LINT0, APIC_DM_EXTINT << APIC_DM_SHIFT);
    ck_assert(cpus[0].pending);
    /* ExtINT goes before APIC vectors and ignores the TPR */
    wr(0, APIC_REG_TPR, 0xff);
    send_ipi(1, 0, 0x90);
    ck_assert_int_eq(apic_acknowledge(apics[0]), PIC_VECTOR + 2);
    ck_assert(!vec_bit(0, APIC_REG_ISR, 0x90));
    wr(0, APIC_REG_LVT_LINT0, APIC_LVT_MASKED | (APIC_DM_EXTINT << APIC_DM_SHIFT));
    ck_assert(!cpus[0].pending);
    irq_lower(lint0);

    /* hardware-disabled: pass-through again */
    ck_assert(apic_set_base(apics[0], 0xfee00000ull));
    ck_assert(!apic_hw_enabled(apics[0]));
    irq_raise(lint0);
    ck_assert(cpus[0].pending);
    ck_assert_int_eq(apic_acknowledge(apics[0]), PIC_VECTOR + 3);

    /* ExtINT as a message (IOAPIC pin in ExtINT mode) */
    irq_lower(lint0);
    apic_system_deliver_msi(sys, 0xfee01000ull, APIC_DM_EXTINT << APIC_DM_SHIFT);
    ck_assert(cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), PIC_VECTOR + 1);
    ck_assert(!cpus[1].pending);
}
END_TEST

START_TEST(test_lint_fixed_and_nmi)
{
    IRQ *lint0 = apic_get_lint(apics[1], 0), *lint1 = apic_get_lint(apics[1], 1);
    /* disabled: LINT1 is NMI on each rising edge */
    irq_raise(lint1);
    irq_raise(lint1);
    ck_assert_int_eq(cpus[1].nmis, 1);
    irq_lower(lint1);
    wr(1, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    irq_raise(lint1);                       /* masked LVT: nothing */
    irq_lower(lint1);
    ck_assert_int_eq(cpus[1].nmis, 1);
    wr(1, APIC_REG_LVT_LINT1, APIC_DM_NMI << APIC_DM_SHIFT);
    irq_raise(lint1);
    ck_assert_int_eq(cpus[1].nmis, 2);
    irq_lower(lint1);
    /* LINT0 fixed, level-triggered, active low: Remote IRR until EOI */
    wr(1, APIC_REG_LVT_LINT0, APIC_TRIGGER_LEVEL | APIC_LVT_ACTIVE_LOW | 0x58);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x58));      /* low line = asserted */
    ck_assert(rd(1, APIC_REG_LVT_LINT0) & APIC_LVT_REMOTE_IRR);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x58);
    wr(1, APIC_REG_EOI, 0);                         /* still asserted: again */
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x58));
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x58);
    irq_raise(lint0);                               /* de-asserted */
    wr(1, APIC_REG_EOI, 0);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x58));
    ck_assert_uint_eq(rd(1, APIC_REG_LVT_LINT0) & APIC_LVT_REMOTE_IRR, 0);
    /* fixed, edge: one interrupt per rising edge */
    wr(1, APIC_REG_LVT_LINT0, 0x59);
    irq_lower(lint0);
    irq_raise(lint0);
    ck_assert_int_eq(take(1), 0x59);
    irq_raise(lint0);
    ck_assert_int_eq(take(1), -1);
}
END_TEST

START_TEST(test_timer_one_shot)
{
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    wr(0, APIC_REG_TIMER_DIVIDE, 0x3);      /* divide by 16 */
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_DIVIDE), 0x3);
    wr(0, APIC_REG_LVT_TIMER, 0xd0);
    wr(0, APIC_REG_TIMER_INITIAL, 1000);    /* 16000 ns at 1 GHz */
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 1000);
    tb_clock_step(8000);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 500);
    tb_clock_step(7999);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 1);
    ck_assert(!cpus[0].pending);
    tb_clock_step(1);
    ck_assert(cpus[0].pending);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 0);
    ck_assert_int_eq(take(0), 0xd0);
    tb_clock_step(100000);
    ck_assert_int_eq(take(0), -1);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 0);
    /* masked: still counts down, no interrupt */
    wr(0, APIC_REG_LVT_TIMER, APIC_LVT_MASKED | 0xd0);
    wr(0, APIC_REG_TIMER_DIVIDE, 0xb);      /* divide by 1 */
    wr(0, APIC_REG_TIMER_INITIAL, 300);
    tb_clock_step(100);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 200);
    tb_clock_step(200);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 0);
    ck_assert_int_eq(take(0), -1);
    /* writing 0 stops it */
    wr(0, APIC_REG_LVT_TIMER, 0xd0);
    wr(0, APIC_REG_TIMER_INITIAL, 50);
    wr(0, APIC_REG_TIMER_INITIAL, 0);
    tb_clock_step(1000);
    ck_assert_int_eq(take(0), -1);
    /* divide 128 (0xa) and a change of divider mid-count keeps the count */
    wr(0, APIC_REG_TIMER_DIVIDE, 0xa);
    wr(0, APIC_REG_TIMER_INITIAL, 10);
    tb_clock_step(128 * 4);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 6);
    wr(0, APIC_REG_TIMER_DIVIDE, 0xb);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 6);
    tb_clock_step(5);
    ck_assert_int_eq(take(0), -1);
    tb_clock_step(1);
    ck_assert_int_eq(take(0), 0xd0);
}
END_TEST

START_TEST(test_timer_periodic)
{
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    wr(0, APIC_REG_TIMER_DIVIDE, 0x0);      /* divide by 2 */
    wr(0, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | 0xd1);
    wr(0, APIC_REG_TIMER_INITIAL, 5000);    /* 10000 ns period */
    tb_clock_step(9999);
    ck_assert_int_eq(take(0), -1);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 1);
    tb_clock_step(1);
    ck_assert_int_eq(take(0), 0xd1);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 5000);
    /* late by half a period: one interrupt, and the next stays on the grid */
    tb_clock_step(15000);                   /* t = 25000 */
    ck_assert_int_eq(take(0), 0xd1);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_CURRENT), 2500);
    tb_clock_step(4999);                    /* t = 29999 */
    ck_assert_int_eq(take(0), -1);
    tb_clock_step(1);                       /* t = 30000 */
    ck_assert_int_eq(take(0), 0xd1);
    /* many periods late: the missed ticks merge into one */
    tb_clock_step(100000);                  /* t = 130000 */
    ck_assert_int_eq(take(0), 0xd1);
    ck_assert_int_eq(take(0), -1);
    tb_clock_step(10000);
    ck_assert_int_eq(take(0), 0xd1);
    /* count the interrupts over a long run, taking each one */
    int fired = 0;
    for (int i = 0; i < 100; i++) {
        tb_clock_step(1000);
        fired += take(0) == 0xd1;
    }
    ck_assert_int_eq(fired, 10);
    /* switching to one-shot lets the count run out once */
    wr(0, APIC_REG_LVT_TIMER, 0xd1);
    tb_clock_step(10000);
    ck_assert_int_eq(take(0), 0xd1);
    tb_clock_step(30000);
    ck_assert_int_eq(take(0), -1);
}
END_TEST

START_TEST(test_timer_tsc_deadline)
{
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    /* not in deadline mode: the MSR ignores writes */
    apic_set_tsc_deadline(apics[0], apic_get_tsc(apics[0]) + 100);
    ck_assert_uint_eq(apic_get_tsc_deadline(apics[0]), 0);
    wr(0, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | 0xd2);
    ck_assert_uint_eq(rd(0, APIC_REG_LVT_TIMER), APIC_LVT_TIMER_TSC_DEADLINE | 0xd2);
    /* the initial count is ignored in this mode */
    wr(0, APIC_REG_TIMER_INITIAL, 10);
    ck_assert_uint_eq(rd(0, APIC_REG_TIMER_INITIAL), 0);
    uint64_t t0 = apic_get_tsc(apics[0]);
    ck_assert_uint_eq(t0, (uint64_t)clock_get_ns(CLOCK_VIRTUAL));    /* 1 GHz TSC */
    apic_set_tsc_deadline(apics[0], t0 + 5000);
    ck_assert_uint_eq(apic_get_tsc_deadline(apics[0]), t0 + 5000);
    tb_clock_step(4999);
    ck_assert_int_eq(take(0), -1);
    tb_clock_step(1);
    ck_assert_int_eq(take(0), 0xd2);
    ck_assert_uint_eq(apic_get_tsc_deadline(apics[0]), 0);
    tb_clock_step(100000);
    ck_assert_int_eq(take(0), -1);
    /* cleared before it came due: never fires */
    apic_set_tsc_deadline(apics[0], apic_get_tsc(apics[0]) + 1000);
    apic_set_tsc_deadline(apics[0], 0);
    tb_clock_step(5000);
    ck_assert_int_eq(take(0), -1);
    /* a deadline in the past fires at once */
    apic_set_tsc_deadline(apics[0], 1);
    ck_assert_int_eq(take(0), 0xd2);
    /* beyond the end of virtual time at 1 GHz: never fires, never spins */
    apic_set_tsc_deadline(apics[0], UINT64_MAX);
    tb_clock_step(100000);
    ck_assert_int_eq(take(0), -1);
    ck_assert_uint_eq(apic_get_tsc_deadline(apics[0]), UINT64_MAX);
    /* leaving deadline mode disarms */
    apic_set_tsc_deadline(apics[0], apic_get_tsc(apics[0]) + 1000);
    wr(0, APIC_REG_LVT_TIMER, 0xd2);
    tb_clock_step(5000);
    ck_assert_int_eq(take(0), -1);
    /* a 2.5 GHz TSC: 5000 cycles are 2000 ns */
    DeviceState *fast = make_apic("id=9,tsc_khz=2500000", 5);
    wr(5, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    wr(5, APIC_REG_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | 0xd3);
    uint64_t now_ns = (uint64_t)clock_get_ns(CLOCK_VIRTUAL);
    ck_assert_uint_eq(apic_get_tsc(fast), now_ns * 5 / 2);
    apic_set_tsc_deadline(fast, apic_get_tsc(fast) + 5000);
    tb_clock_step(1999);
    ck_assert(!apic_interrupt_pending(fast));
    tb_clock_step(1);
    ck_assert(apic_interrupt_pending(fast));
    ck_assert_int_eq(apic_acknowledge(fast), 0xd3);
    /* an offset moves the TSC (the guest wrote IA32_TSC) */
    apic_set_tsc_offset(fast, -(int64_t)apic_get_tsc(fast));
    ck_assert_uint_eq(apic_get_tsc(fast), 0);
    apic_set_tsc_deadline(fast, 250);
    tb_clock_step(99);
    ck_assert_uint_eq(apic_get_tsc_deadline(fast), 250);
    tb_clock_step(1);
    ck_assert_uint_eq(apic_get_tsc_deadline(fast), 0);
    /* a far-away deadline does not overflow */
    apic_set_tsc_deadline(fast, UINT64_MAX);
    tb_clock_step(1000);
    ck_assert_uint_eq(apic_get_tsc_deadline(fast), UINT64_MAX);
}
END_TEST

START_TEST(test_spurious_vector)
{
    wr(1, APIC_REG_SVR, APIC_SVR_ENABLE | 0x3f);
    send_ipi(0, 1, 0x45);                   /* APIC 0 disabled: can still send */
    ck_assert(cpus[1].pending);
    /* the guest raised the TPR before the CPU took the interrupt */
    wr(1, APIC_REG_TPR, 0x80);
    ck_assert(!cpus[1].pending);
    ck_assert_int_eq(apic_acknowledge(apics[1]), 0x3f);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x45));
    ck_assert_uint_eq(rd(1, APIC_REG_ISR + 0x10), 0);
    ck_assert_uint_eq(rd(1, APIC_REG_ISR + 0x20), 0);
}
END_TEST

/* Route IOAPIC messages to the system and its EOIs back. */
static DeviceState *test_ioapic;

static void ioapic_msi_to_system(void *opaque, uint64_t addr, uint32_t data)
{
    apic_system_deliver_msi(opaque, addr, data);
}

static void eoi_to_ioapic(void *opaque, int vector)
{
    record_eoi(&eoi_vectors, vector);
    ioapic_eoi_broadcast(opaque, vector);
}

static void ioapic_write(uint8_t index, uint32_t val)
{
    address_space_st(&tb->mem, IOAPIC_BASE + IOAPIC_IOREGSEL, index, 4);
    address_space_st(&tb->mem, IOAPIC_BASE + IOAPIC_IOWIN, val, 4);
}

START_TEST(test_ioapic_messages)
{
    Error *err = NULL;
    test_ioapic = device_new(TYPE_IOAPIC);
    object_add_child(tb->root, "ioapic", OBJECT(test_ioapic));
    object_unref(OBJECT(test_ioapic));
    ck_assert(device_realize(test_ioapic, NULL, &err));
    memory_region_add_subregion(&tb->mem_root, IOAPIC_BASE, ioapic_get_mmio(test_ioapic));
    ioapic_set_msi_handler(test_ioapic, ioapic_msi_to_system, sys);
    apic_system_set_eoi_handler(sys, eoi_to_ioapic, test_ioapic);
    enable_all();
    /* pin 3: edge, physical APIC 2, vector 0x43 */
    ioapic_write(IOAPIC_REG_REDTBL + 2 * 3 + 1, 2u << 24);
    ioapic_write(IOAPIC_REG_REDTBL + 2 * 3, 0x43);
    irq_raise(ioapic_get_input(test_ioapic, 3));
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x43));
    ck_assert(!vec_bit(2, APIC_REG_TMR, 0x43));
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x43) && !vec_bit(1, APIC_REG_IRR, 0x43));
    ck_assert_int_eq(take(2), 0x43);
    ck_assert_int_eq(nr_eois, 0);
    /* pin 9: level, logical flat destination 0x02 (APIC 1), vector 0x49 */
    for (int i = 0; i < NR_APICS; i++) {
        wr(i, APIC_REG_LDR, (1u << i) << 24);
    }
    ioapic_write(IOAPIC_REG_REDTBL + 2 * 9 + 1, 0x02u << 24);
    ioapic_write(IOAPIC_REG_REDTBL + 2 * 9, IOAPIC_RTE_LEVEL | IOAPIC_RTE_DEST_LOGICAL | 0x49);
    irq_raise(ioapic_get_input(test_ioapic, 9));
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x49));
    ck_assert(vec_bit(1, APIC_REG_TMR, 0x49));
    ck_assert(!vec_bit(0, APIC_REG_IRR, 0x49) && !vec_bit(2, APIC_REG_IRR, 0x49));
    /* EOI with the line still high: the IOAPIC sends again */
    ck_assert_int_eq(take(1), 0x49);
    ck_assert_int_eq(nr_eois, 1);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x49));
    irq_lower(ioapic_get_input(test_ioapic, 9));
    ck_assert_int_eq(take(1), 0x49);
    ck_assert_int_eq(nr_eois, 2);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x49));
    /* a message outside the APIC window is dropped */
    apic_system_deliver_msi(sys, 0xfed01000ull, 0x44);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x44));
}
END_TEST

START_TEST(test_odd_accesses_ignored)
{
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_TPR, 0x77, 1);
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_TPR, 0x77, 2);
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_TPR, 0x77, 8);
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_TPR + 4, 0x77, 4);
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_TPR + 2, 0x77, 4);
    ck_assert_uint_eq(rd(0, APIC_REG_TPR), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + APIC_REG_VERSION, 1), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + APIC_REG_VERSION, 2), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + APIC_REG_VERSION, 8), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + APIC_REG_VERSION + 4, 4), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + APIC_REG_VERSION + 1, 4), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, WINDOW(0) + 0xffc, 4), 0);
    /* a byte write to the ICR sends nothing */
    address_space_st(&tb->mem, WINDOW(0) + APIC_REG_ICR_LO, 0x40, 1);
    ck_assert_uint_eq(rd(0, APIC_REG_ICR_LO), 0);
    /* none of that counts as an illegal register */
    wr(0, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(0, APIC_REG_ESR), 0);
    ck_assert_uint_eq(rd(0, APIC_REG_VERSION), 0x00050014);
}
END_TEST

START_TEST(test_apic_base_msr)
{
    enable_all();
    /* reserved bits: 0-7, 9, 10 (x2APIC), above 36 physical address bits */
    ck_assert(!apic_set_base(apics[1], 0xfee00801ull));
    ck_assert(!apic_set_base(apics[1], 0xfee00a00ull));
    ck_assert(!apic_set_base(apics[1], 0xfee00c00ull));
    ck_assert(!apic_set_base(apics[1], 0x10fee00800ull));
    ck_assert_uint_eq(apic_get_base(apics[1]), 0xfee00800ull);
    /* relocation; the BSP flag cannot be changed */
    ck_assert(apic_set_base(apics[1], 0xfed00900ull));
    ck_assert_uint_eq(apic_get_base(apics[1]), 0xfed00800ull);
    ck_assert(apic_set_base(apics[0], 0xfee00800ull));
    ck_assert_uint_eq(apic_get_base(apics[0]), 0xfee00900ull);
    /* global disable: state lost, off the bus, registers gone */
    wr(1, APIC_REG_TPR, 0x30);
    send_ipi(0, 1, 0x48);
    ck_assert(cpus[1].pending);
    ck_assert(apic_set_base(apics[1], 0xfee00000ull));
    ck_assert(!cpus[1].pending);
    ck_assert_uint_eq(rd(1, APIC_REG_VERSION), 0);
    send_ipi(0, 1, (APIC_DM_INIT << APIC_DM_SHIFT) | APIC_ICR_ASSERT);
    ck_assert_int_eq(cpus[1].inits, 0);
    ck_assert(apic_set_base(apics[1], 0xfee00800ull));
    ck_assert(apic_hw_enabled(apics[1]));
    ck_assert_uint_eq(rd(1, APIC_REG_SVR), 0xff);
    ck_assert_uint_eq(rd(1, APIC_REG_TPR), 0);
    ck_assert(!vec_bit(1, APIC_REG_IRR, 0x48));
    ck_assert_uint_eq(rd(1, APIC_REG_ID), 0x01000000);
}
END_TEST

START_TEST(test_reentrant_ipis)
{
    enable_all();
    /* a self-IPI sent from inside the NMI callback */
    cpus[1].self_ipi_on_nmi = true;
    send_ipi(0, 1, APIC_DM_NMI << APIC_DM_SHIFT);
    ck_assert_int_eq(cpus[1].nmis, 1);
    ck_assert(vec_bit(1, APIC_REG_IRR, 0x66));
    ck_assert_int_eq(take(1), 0x66);
    /* two CPUs that answer every IPI with an IPI to the other: bounded, no recursion */
    cpus[1].ping_pong_to = 2;
    cpus[2].ping_pong_to = 1;
    send_ipi(0, 1, 0x50);
    int total = cpus[1].ping_pongs + cpus[2].ping_pongs;
    ck_assert_int_gt(total, 100);
    ck_assert_int_lt(total, 100000);
    cpus[1].ping_pong_to = cpus[2].ping_pong_to = -1;
    /* the system still works afterwards */
    wr(1, APIC_REG_EOI, 0);
    wr(2, APIC_REG_EOI, 0);
    send_ipi(0, 2, 0x77);
    ck_assert(vec_bit(2, APIC_REG_IRR, 0x77));
}
END_TEST

START_TEST(test_guest_garbage)
{
    /* every register, every value pattern, on an enabled and a disabled APIC */
    static const uint32_t patterns[] = { 0, 0xffffffff, 0x000000ff, 0x0000ff0f, 0x00070700,
                                         0x000c4500, 0xff0c0600, 0x00060000, 0x80000001 };
    wr(0, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    unsigned seed = 12345;
    for (int round = 0; round < 3; round++) {
        for (uint32_t off = 0; off < APIC_MMIO_SIZE; off += 0x10) {
            for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
                seed = seed * 1103515245u + 12345u;
                if (off == APIC_REG_SVR && !(patterns[p] & APIC_SVR_ENABLE)) {
                    continue;       /* keep APIC 0 mostly enabled */
                }
                wr((int)(seed >> 16) % NR_APICS, off, patterns[p] ^ (seed & 0xff));
                rd(0, off);
            }
        }
        tb_clock_step(1000000);
        for (int i = 0; i < NR_APICS; i++) {
            for (int k = 0; k < 300 && apic_interrupt_pending(apics[i]); k++) {
                apic_acknowledge(apics[i]);
                wr(i, APIC_REG_EOI, 0);
            }
            apic_set_tsc_deadline(apics[i], seed);
            apic_set_base(apics[i], ((uint64_t)seed << 12) | APIC_BASE_ENABLE);
            apic_set_base(apics[i], 0xfee00000ull | APIC_BASE_ENABLE);
        }
        apic_system_deliver_msi(sys, 0xfee00000ull | (seed & 0xff0ff), seed);
    }
    /* still a working APIC */
    device_reset(apics[2]);
    wr(2, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
    wr(2, APIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(2, APIC_REG_ID), 0x02000000);
    apic_system_deliver_msi(sys, 0xfee02000ull, 0x99);
    ck_assert_int_eq(apic_acknowledge(apics[2]), 0x99);
}
END_TEST

static Suite *apic_suite(void)
{
    Suite *s = suite_create("apic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_values);
    tcase_add_test(tc, test_software_enable);
    tcase_add_test(tc, test_fixed_ipi_physical);
    tcase_add_test(tc, test_logical_flat_and_cluster);
    tcase_add_test(tc, test_broadcast_and_shorthands);
    tcase_add_test(tc, test_lowest_priority);
    tcase_add_test(tc, test_tpr_masking_and_ppr);
    tcase_add_test(tc, test_acknowledge_and_nesting);
    tcase_add_test(tc, test_eoi_broadcast_only_for_level);
    tcase_add_test(tc, test_illegal_vectors_and_esr);
    tcase_add_test(tc, test_init_sipi_nmi_smi);
    tcase_add_test(tc, test_lint0_extint);
    tcase_add_test(tc, test_lint_fixed_and_nmi);
    tcase_add_test(tc, test_timer_one_shot);
    tcase_add_test(tc, test_timer_periodic);
    tcase_add_test(tc, test_timer_tsc_deadline);
    tcase_add_test(tc, test_spurious_vector);
    tcase_add_test(tc, test_ioapic_messages);
    tcase_add_test(tc, test_odd_accesses_ignored);
    tcase_add_test(tc, test_apic_base_msr);
    tcase_add_test(tc, test_reentrant_ipis);
    tcase_add_test(tc, test_guest_garbage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(apic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
