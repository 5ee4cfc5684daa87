/*
 * Local APIC (xAPIC as on a Pentium 4: version 0x14, six LVT entries, 8-bit APIC
 * IDs, no x2APIC) for the software interpreter, and the APIC system that carries
 * interrupt messages between local APICs.
 *
 * Messages (IPIs, MSI) are queued on the APIC system and delivered by the outermost
 * sender, so a message sent during a delivery (a self-IPI from a CPU callback, an EOI
 * answered by the IOAPIC) never recurses. Delivery is immediate: Delivery Status
 * reads 0. A software-disabled APIC refuses fixed interrupts and offers no IRR vector;
 * while it is software- or hardware-disabled, LINT0 is the i8259's INTR as ExtINT and
 * LINT1 is NMI whatever the LVTs hold (the power-on state firmware relies on).
 * Timer: a 1 GHz input clock on CLOCK_VIRTUAL, the count computed from the start time;
 * periodic mode keeps its phase, merges ticks missed while the main loop was late and
 * re-arms at most every APIC_TIMER_MIN_PERIOD_NS. TSC: see apic.h.
 */
#include "hw/intc/apic.h"

#include <stdlib.h>
#include <string.h>
#include "system/log.h"
#include "system/timer.h"

#define APIC_MAX_LVT_INDEX 5
#define APIC_VERSION_DIRECTED_EOI (1u << 24)
#define APIC_BROADCAST 0xff
#define APIC_SYSTEM_MAX 255         /* one per APIC ID */
#define APIC_QUEUE_LEN 64
#define APIC_MAX_DELIVERIES 4096        /* per outermost delivery loop */
#define APIC_MAX_IRQ_UPDATES 64
#define APIC_TIMER_MIN_PERIOD_NS 10000

enum {
    LVT_TIMER,
    LVT_THERMAL,
    LVT_PERFMON,
    LVT_LINT0,
    LVT_LINT1,
    LVT_ERROR,
    LVT_COUNT,
};

/* Writable bits of each LVT entry (delivery status and remote IRR are read-only). */
#define LVT_DM_BITS (7u << APIC_DM_SHIFT)
#define LVT_TIMER_MODE_BITS (3u << 17)
static const uint32_t apic_lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = APIC_VECTOR_MASK | APIC_LVT_MASKED | LVT_TIMER_MODE_BITS,
    [LVT_THERMAL] = APIC_VECTOR_MASK | LVT_DM_BITS | APIC_LVT_MASKED,
    [LVT_PERFMON] = APIC_VECTOR_MASK | LVT_DM_BITS | APIC_LVT_MASKED,
    [LVT_LINT0] = APIC_VECTOR_MASK | LVT_DM_BITS | APIC_LVT_ACTIVE_LOW | APIC_TRIGGER_LEVEL |
                  APIC_LVT_MASKED,
    [LVT_LINT1] = APIC_VECTOR_MASK | LVT_DM_BITS | APIC_LVT_ACTIVE_LOW | APIC_TRIGGER_LEVEL |
                  APIC_LVT_MASKED,
    [LVT_ERROR] = APIC_VECTOR_MASK | APIC_LVT_MASKED,
};

#define ICR_LO_WRITABLE \
    (APIC_VECTOR_MASK | LVT_DM_BITS | APIC_DEST_LOGICAL | APIC_ICR_ASSERT | \
     APIC_TRIGGER_LEVEL | (3u << APIC_ICR_SHORTHAND_SHIFT))

typedef struct ApicState ApicState;

typedef struct ApicMessage {
    ApicState *source;          /* sender for shorthands; NULL for MSI */
    uint8_t dest;
    uint8_t shorthand;
    uint8_t mode;
    uint8_t vector;
    bool logical;
    bool level;                 /* level-triggered: sets TMR for fixed vectors */
} ApicMessage;

struct ApicSystem {
    ApicState **apics;
    int nr_apics;
    ApicState *solo_owner;      /* private system of one unattached APIC */
    ApicMessage queue[APIC_QUEUE_LEN];
    unsigned queue_head, queue_count;
    bool delivering;
    unsigned lowest_rotor;      /* tie-break among equal-priority targets */
    void (*eoi_fn)(void *opaque, int vector);
    void *eoi_opaque;
};

struct ApicState {
    DeviceState parent_obj;
    /* properties */
    uint8_t initial_id;
    uint8_t version;
    bool bsp;
    bool directed_eoi;
    uint32_t tsc_khz;
    uint8_t phys_bits;

    MemoryRegion mmio;
    IRQ *lint_inputs;           /* 2 */
    ApicSystem *system;
    const ApicCpuOps *ops;
    void *cpu;

    uint64_t base;              /* IA32_APIC_BASE */
    uint8_t id, tpr, ldr;
    uint32_t dfr, svr;
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t esr_visible, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    bool lint_level[2];         /* electrical level of LINT0/LINT1 */
    bool extint_message;        /* an ExtINT message waits for its INTA */

    Timer timer;
    uint32_t timer_initial;
    uint32_t divide_reg;
    unsigned divide_shift;
    bool timer_running;
    int64_t timer_start;        /* virtual ns when the current count was initial */
    int64_t timer_next;         /* next periodic boundary */
    uint64_t tsc_deadline;
    int64_t tsc_offset;

    bool irq_reported;          /* last value given to interrupt_request */
    bool irq_busy, irq_dirty;
};

#define APIC(o) OBJECT_CHECK(ApicState, (o), TYPE_APIC)

static void apic_update_irq(ApicState *s);
static void apic_accept_fixed(ApicState *s, int vector, bool level);

/* ---- small helpers ---- */

static bool apic_hw_on(const ApicState *s) { return (s->base & APIC_BASE_ENABLE) != 0; }

static bool apic_sw_on(const ApicState *s)
{
    return apic_hw_on(s) && (s->svr & APIC_SVR_ENABLE);
}

static bool vec_test(const uint32_t *bits, int v) { return (bits[v >> 5] >> (v & 31)) & 1; }
static void vec_set(uint32_t *bits, int v) { bits[v >> 5] |= 1u << (v & 31); }
static void vec_clear(uint32_t *bits, int v) { bits[v >> 5] &= ~(1u << (v & 31)); }

/* Highest set vector, or -1. */
static int vec_highest(const uint32_t *bits)
{
    for (int i = 7; i >= 0; i--) {
        if (bits[i]) {
            return i * 32 + 31 - __builtin_clz(bits[i]);
        }
    }
    return -1;
}

static unsigned lvt_mode(uint32_t lvt) { return (lvt >> APIC_DM_SHIFT) & 7; }

static uint32_t lvt_timer_mode(const ApicState *s)
{
    return s->lvt[LVT_TIMER] & LVT_TIMER_MODE_BITS;
}

/* ---- priorities ---- */

static uint8_t apic_ppr(const ApicState *s)
{
    int isrv = vec_highest(s->isr);
    if (isrv < 0 || (s->tpr >> 4) >= (isrv >> 4)) {
        return s->tpr;
    }
    return (uint8_t)(isrv & 0xf0);
}

static uint8_t apic_apr(const ApicState *s)
{
    int isrv = vec_highest(s->isr), irrv = vec_highest(s->irr);
    unsigned isr_class = isrv < 0 ? 0 : (unsigned)isrv >> 4;
    unsigned irr_class = irrv < 0 ? 0 : (unsigned)irrv >> 4;
    unsigned tpr_class = s->tpr >> 4;
    if (tpr_class >= irr_class && tpr_class > isr_class) {
        return s->tpr;
    }
    unsigned best = tpr_class;
    best = isr_class > best ? isr_class : best;
    best = irr_class > best ? irr_class : best;
    return (uint8_t)(best << 4);
}

/* The IRR vector the CPU would get now, or -1. */
static int apic_deliverable_vector(const ApicState *s)
{
    if (!apic_sw_on(s)) {
        return -1;
    }
    int v = vec_highest(s->irr);
    if (v < 0 || (v & 0xf0) <= (apic_ppr(s) & 0xf0)) {
        return -1;
    }
    return v;
}

/* ---- LINT pins and ExtINT ---- */

static bool apic_lint_passthrough(const ApicState *s)
{
    return !apic_sw_on(s);
}

static bool apic_lint_asserted(const ApicState *s, int n)
{
    bool active_low = (s->lvt[LVT_LINT0 + n] & APIC_LVT_ACTIVE_LOW) != 0;
    return s->lint_level[n] != active_low;
}

static bool apic_extint_pending(const ApicState *s)
{
    if (apic_lint_passthrough(s)) {
        return s->lint_level[0] || s->extint_message;
    }
    for (int n = 0; n < 2; n++) {
        uint32_t lvt = s->lvt[LVT_LINT0 + n];
        if (!(lvt & APIC_LVT_MASKED) && lvt_mode(lvt) == APIC_DM_EXTINT &&
            apic_lint_asserted(s, n)) {
            return true;
        }
    }
    return s->extint_message;
}

/* ---- errors and local interrupt sources ---- */

static void apic_local_deliver(ApicState *s, int index);

static void apic_set_error(ApicState *s, uint32_t bit)
{
    bool fresh = !(s->esr_pending & bit);
    s->esr_pending |= bit;
    if (fresh) {
        /* a new error raises the error LVT; an illegal vector there cannot loop
         * because the error it causes is no longer fresh */
        apic_local_deliver(s, LVT_ERROR);
    }
}

static void apic_accept_fixed(ApicState *s, int vector, bool level)
{
    if (!apic_sw_on(s)) {
        return;
    }
    if (vector < 16) {
        apic_set_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    vec_set(s->irr, vector);
    if (level) {
        vec_set(s->tmr, vector);
    } else {
        vec_clear(s->tmr, vector);
    }
    apic_update_irq(s);
}

static void apic_init_reset(ApicState *s);

/* Deliver an interrupt of the given delivery mode to this APIC and its CPU. */
static void apic_deliver(ApicState *s, unsigned mode, int vector, bool level)
{
    const ApicCpuOps *ops = s->ops;
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        apic_accept_fixed(s, vector, level);
        break;
    case APIC_DM_SMI:
        if (ops && ops->smi) {
            ops->smi(s->cpu);
        } else {
            log_item(LOG_UNIMP, "apic %u: SMI not implemented\n", s->id);
        }
        break;
    case APIC_DM_NMI:
        if (ops && ops->nmi) {
            ops->nmi(s->cpu);
        }
        break;
    case APIC_DM_INIT:
        apic_init_reset(s);     /* INIT resets the APIC too, all but ID and base */
        if (ops && ops->init) {
            ops->init(s->cpu);
        }
        break;
    case APIC_DM_SIPI:
        if (ops && ops->sipi) {
            ops->sipi(s->cpu, (uint8_t)vector);
        }
        break;
    case APIC_DM_EXTINT:
        s->extint_message = true;
        apic_update_irq(s);
        break;
    default:
        log_item(LOG_GUEST_ERRORS, "apic %u: reserved delivery mode %u\n", s->id, mode);
        break;
    }
}

/* Raise the interrupt an LVT entry describes (timer, thermal, perfmon, error). */
static void apic_local_deliver(ApicState *s, int index)
{
    uint32_t lvt = s->lvt[index];
    if (!apic_hw_on(s) || (lvt & APIC_LVT_MASKED)) {
        return;
    }
    unsigned mode = (index == LVT_TIMER || index == LVT_ERROR) ? APIC_DM_FIXED : lvt_mode(lvt);
    if (mode == APIC_DM_FIXED || mode == APIC_DM_SMI || mode == APIC_DM_NMI) {
        apic_deliver(s, mode, (int)(lvt & APIC_VECTOR_MASK), false);
    }
}

/* A LINT pin's state or its LVT changed. `rising` is an assertion edge. */
static void apic_lint_service(ApicState *s, int n, bool rising)
{
    uint32_t *lvt = &s->lvt[LVT_LINT0 + n];
    unsigned mode = lvt_mode(*lvt);
    int vector = (int)(*lvt & APIC_VECTOR_MASK);
    if (apic_lint_passthrough(s)) {
        if (n == 1 && rising) {
            apic_deliver(s, APIC_DM_NMI, 0, false);
        }
    } else if (*lvt & APIC_LVT_MASKED) {
        /* nothing: the level is remembered for later */
    } else if (mode == APIC_DM_FIXED && (*lvt & APIC_TRIGGER_LEVEL)) {
        if (apic_lint_asserted(s, n) && !(*lvt & APIC_LVT_REMOTE_IRR)) {
            *lvt |= APIC_LVT_REMOTE_IRR;
            apic_deliver(s, mode, vector, true);
        }
    } else if (rising && (mode == APIC_DM_FIXED || mode == APIC_DM_NMI ||
                          mode == APIC_DM_SMI || mode == APIC_DM_INIT)) {
        apic_deliver(s, mode, vector, false);
    }
    /* ExtINT is level-sensitive: apic_extint_pending looks at the pin */
    apic_update_irq(s);
}

static void apic_lint_handler(void *opaque, int n, int level)
{
    ApicState *s = opaque;
    if (n < 0 || n > 1) {
        return;
    }
    bool passthrough = apic_lint_passthrough(s);
    bool was = passthrough ? s->lint_level[n] : apic_lint_asserted(s, n);
    s->lint_level[n] = level != 0;
    bool now = passthrough ? s->lint_level[n] : apic_lint_asserted(s, n);
    apic_lint_service(s, n, now && !was);
}

/* ---- telling the CPU ---- */

static bool apic_compute_pending(const ApicState *s)
{
    return apic_extint_pending(s) || apic_deliverable_vector(s) >= 0;
}

/* Report changes of "interrupt deliverable"; a callback that changes the state
 * again is answered by the loop, not by recursion. */
static void apic_update_irq(ApicState *s)
{
    if (s->irq_busy) {
        s->irq_dirty = true;
        return;
    }
    s->irq_busy = true;
    for (int round = 0; round < APIC_MAX_IRQ_UPDATES; round++) {
        s->irq_dirty = false;
        bool pending = apic_compute_pending(s);
        if (pending != s->irq_reported) {
            s->irq_reported = pending;
            if (s->ops && s->ops->interrupt_request) {
                s->ops->interrupt_request(s->cpu, pending);
            }
        }
        if (!s->irq_dirty) {
            break;
        }
    }
    s->irq_busy = false;
}

/* ---- the timer ---- */

static int64_t apic_timer_period_ns(const ApicState *s)
{
    return (int64_t)s->timer_initial << s->divide_shift;
}

static uint32_t apic_timer_current(const ApicState *s, int64_t now)
{
    if (!s->timer_running || s->timer_initial == 0 ||
        lvt_timer_mode(s) == APIC_LVT_TIMER_TSC_DEADLINE) {
        return 0;
    }
    int64_t elapsed = now > s->timer_start ? now - s->timer_start : 0;
    uint64_t ticks = (uint64_t)elapsed >> s->divide_shift;
    if (lvt_timer_mode(s) == APIC_LVT_TIMER_PERIODIC) {
        return s->timer_initial - (uint32_t)(ticks % s->timer_initial);
    }
    return ticks >= s->timer_initial ? 0 : s->timer_initial - (uint32_t)ticks;
}

/* (Re)start counting as if `elapsed_ticks` of the current period had passed. */
static void apic_timer_restart(ApicState *s, int64_t now, uint64_t elapsed_ticks)
{
    s->timer_start = now - (int64_t)(elapsed_ticks << s->divide_shift);
    s->timer_next = s->timer_start + apic_timer_period_ns(s);
    s->timer_running = true;
    timer_mod(&s->timer, s->timer_next);
}

static void apic_timer_stop(ApicState *s)
{
    timer_del(&s->timer);
    s->timer_running = false;
}

/* The TSC at virtual time ns (a 64-bit counter: the offset wraps around). */
static uint64_t apic_tsc_at(const ApicState *s, int64_t ns)
{
    uint64_t scaled = (uint64_t)((__int128)ns * s->tsc_khz / 1000000);
    return scaled + (uint64_t)s->tsc_offset;
}

/* Fire the TSC deadline if it is due, else arm the timer for the first virtual ns
 * whose TSC reaches it. */
static void apic_tsc_deadline_arm(ApicState *s)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint64_t now_tsc = apic_tsc_at(s, now);
    if (s->tsc_deadline <= now_tsc) {
        s->tsc_deadline = 0;
        timer_del(&s->timer);
        apic_local_deliver(s, LVT_TIMER);
        return;
    }
    /* in unscaled, offset-free cycles: now's count plus the cycles still to go */
    unsigned __int128 target = (unsigned __int128)((__int128)now * s->tsc_khz / 1000000) +
                               (s->tsc_deadline - now_tsc);
    unsigned __int128 ns = (target * 1000000 + s->tsc_khz - 1) / s->tsc_khz;
    if (ns > INT64_MAX) {
        timer_del(&s->timer);   /* beyond the end of virtual time: never fires */
        return;
    }
    timer_mod(&s->timer, (int64_t)ns);
}

static void apic_timer_expired(void *opaque)
{
    ApicState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (lvt_timer_mode(s) == APIC_LVT_TIMER_TSC_DEADLINE) {
        if (s->tsc_deadline) {
            apic_tsc_deadline_arm(s);
        }
        return;
    }
    if (!s->timer_running || s->timer_initial == 0) {
        return;
    }
    if (lvt_timer_mode(s) == APIC_LVT_TIMER_PERIODIC) {
        int64_t period = apic_timer_period_ns(s);
        s->timer_next += period;
        if (s->timer_next <= now) {            /* late: merge the missed ticks */
            s->timer_next = s->timer_start + ((now - s->timer_start) / period + 1) * period;
        }
        int64_t arm = s->timer_next;
        if (arm < now + APIC_TIMER_MIN_PERIOD_NS && period < APIC_TIMER_MIN_PERIOD_NS) {
            arm = now + APIC_TIMER_MIN_PERIOD_NS;
        }
        timer_mod(&s->timer, arm);
    } else {
        s->timer_running = false;
    }
    apic_local_deliver(s, LVT_TIMER);
}

static void apic_write_timer_initial(ApicState *s, uint32_t val)
{
    if (lvt_timer_mode(s) == APIC_LVT_TIMER_TSC_DEADLINE) {
        return;                 /* ignored in TSC-deadline mode */
    }
    s->timer_initial = val;
    if (val == 0) {
        apic_timer_stop(s);
    } else {
        apic_timer_restart(s, clock_get_ns(CLOCK_VIRTUAL), 0);
    }
}

static void apic_write_divide(ApicState *s, uint32_t val)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint32_t cur = apic_timer_current(s, now);
    s->divide_reg = val & 0xb;
    unsigned code = (s->divide_reg & 3) | ((s->divide_reg >> 1) & 4);
    s->divide_shift = (code + 1) & 7;          /* 0..6 -> /2../128, 7 -> /1 */
    if (s->timer_running && lvt_timer_mode(s) != APIC_LVT_TIMER_TSC_DEADLINE) {
        /* keep the count where it is and go on at the new rate */
        apic_timer_restart(s, now, s->timer_initial - cur);
    }
}

static void apic_write_lvt_timer(ApicState *s, uint32_t val)
{
    uint32_t old_mode = lvt_timer_mode(s);
    uint32_t mode = val & LVT_TIMER_MODE_BITS;
    if (mode == LVT_TIMER_MODE_BITS) {
        mode = 0;               /* reserved: treated as one-shot */
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    uint32_t cur = apic_timer_current(s, now);
    s->lvt[LVT_TIMER] = (val & apic_lvt_writable[LVT_TIMER] & ~LVT_TIMER_MODE_BITS) | mode;
    if (mode == old_mode) {
        return;
    }
    if (mode == APIC_LVT_TIMER_TSC_DEADLINE || old_mode == APIC_LVT_TIMER_TSC_DEADLINE) {
        /* switching to or from TSC-deadline mode disarms the timer */
        apic_timer_stop(s);
        s->timer_initial = 0;
        s->tsc_deadline = 0;
    } else if (s->timer_running) {
        if (cur == 0) {
            apic_timer_stop(s);
        } else {
            apic_timer_restart(s, now, s->timer_initial - cur);
        }
    }
}

/* ---- state resets ---- */

/* Registers after INIT (also the base of power-on reset and global disable). */
static void apic_init_reset(ApicState *s)
{
    apic_timer_stop(s);
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffffu;
    s->svr = 0xff;
    memset(s->irr, 0, sizeof(s->irr));
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    s->esr_visible = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->extint_message = false;
    s->timer_initial = 0;
    s->divide_reg = 0;
    s->divide_shift = 1;
    s->tsc_deadline = 0;
    apic_update_irq(s);
}

static void apic_reset(DeviceState *dev)
{
    ApicState *s = APIC(dev);
    s->id = s->initial_id;
    s->base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (s->bsp ? APIC_BASE_BSP : 0);
    s->tsc_offset = 0;
    apic_init_reset(s);
}

/* ---- message routing ---- */

static bool apic_match_dest(const ApicState *s, const ApicMessage *m)
{
    if (m->dest == APIC_BROADCAST) {
        return true;
    }
    if (!m->logical) {
        return s->id == m->dest;
    }
    switch (s->dfr >> 28) {
    case 0xf:                   /* flat: one bit per APIC */
        return (s->ldr & m->dest) != 0;
    case 0x0:                   /* cluster: high nibble cluster, low nibble members */
        return (s->ldr >> 4) == (m->dest >> 4) && (s->ldr & m->dest & 0x0f) != 0;
    default:
        return false;
    }
}

static ApicState *apic_pick_lowest(ApicSystem *sys, ApicState **cands, int n, int vector)
{
    if (vector >= 16) {
        for (int i = 0; i < n; i++) {       /* a focus processor wins */
            ApicState *c = cands[i];
            if (apic_sw_on(c) && !(c->svr & APIC_SVR_FOCUS_DISABLE) &&
                (vec_test(c->irr, vector) || vec_test(c->isr, vector))) {
                return c;
            }
        }
    }
    ApicState *best = NULL;
    uint8_t best_apr = 0;
    unsigned start = n ? sys->lowest_rotor % (unsigned)n : 0;
    for (int k = 0; k < n; k++) {
        ApicState *c = cands[(start + (unsigned)k) % (unsigned)n];
        if (!apic_sw_on(c)) {
            continue;
        }
        uint8_t apr = apic_apr(c);
        if (!best || apr < best_apr) {
            best = c;
            best_apr = apr;
        }
    }
    sys->lowest_rotor++;
    return best;
}

static void apic_route(ApicSystem *sys, const ApicMessage *m)
{
    ApicState *targets[APIC_SYSTEM_MAX];
    int n = 0;
    for (int i = 0; i < sys->nr_apics; i++) {
        ApicState *a = sys->apics[i];
        if (!apic_hw_on(a)) {
            continue;           /* a globally disabled APIC is off the bus */
        }
        bool hit = m->shorthand == APIC_SHORTHAND_SELF ? a == m->source
                 : m->shorthand == APIC_SHORTHAND_ALL ? true
                 : m->shorthand == APIC_SHORTHAND_OTHERS ? a != m->source
                 : apic_match_dest(a, m);
        if (hit) {
            targets[n++] = a;
        }
    }
    if (m->mode == APIC_DM_LOWEST && n > 0) {
        ApicState *chosen = apic_pick_lowest(sys, targets, n, m->vector);
        n = 0;
        if (chosen) {
            targets[n++] = chosen;
        }
    }
    for (int i = 0; i < n; i++) {
        apic_deliver(targets[i], m->mode, m->vector, m->level);
    }
}

/* Queue a message; the outermost sender delivers everything queued. */
static void apic_system_send(ApicSystem *sys, const ApicMessage *m)
{
    if (sys->queue_count == APIC_QUEUE_LEN) {
        log_item(LOG_GUEST_ERRORS, "apic: message queue full, interrupt dropped\n");
        return;
    }
    sys->queue[(sys->queue_head + sys->queue_count) % APIC_QUEUE_LEN] = *m;
    sys->queue_count++;
    if (sys->delivering) {
        return;
    }
    sys->delivering = true;
    for (int budget = APIC_MAX_DELIVERIES; sys->queue_count && budget > 0; budget--) {
        ApicMessage msg = sys->queue[sys->queue_head];
        sys->queue_head = (sys->queue_head + 1) % APIC_QUEUE_LEN;
        sys->queue_count--;
        apic_route(sys, &msg);
    }
    if (sys->queue_count) {
        log_item(LOG_GUEST_ERRORS, "apic: interrupt storm, %u messages dropped\n",
                 sys->queue_count);
        sys->queue_count = 0;
    }
    sys->delivering = false;
}

static void apic_send_ipi(ApicState *s)
{
    ApicMessage m = {
        .source = s,
        .dest = (uint8_t)(s->icr_hi >> APIC_ICR_DEST_SHIFT),
        .shorthand = (uint8_t)((s->icr_lo >> APIC_ICR_SHORTHAND_SHIFT) & 3),
        .mode = (uint8_t)lvt_mode(s->icr_lo),
        .vector = (uint8_t)(s->icr_lo & APIC_VECTOR_MASK),
        .logical = (s->icr_lo & APIC_DEST_LOGICAL) != 0,
    };                          /* IPIs are edge-triggered */
    if (m.mode == 3 || m.mode == APIC_DM_EXTINT) {
        return;                 /* reserved for IPIs */
    }
    if (m.mode == APIC_DM_INIT && !(s->icr_lo & APIC_ICR_ASSERT) &&
        (s->icr_lo & APIC_TRIGGER_LEVEL)) {
        return;                 /* INIT level de-assert: not on a Pentium 4 */
    }
    if (m.mode <= APIC_DM_LOWEST && m.vector < 16) {
        apic_set_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);   /* sent anyway */
    }
    apic_system_send(s->system, &m);
}

/* ---- EOI ---- */

static void apic_eoi(ApicState *s)
{
    int v = vec_highest(s->isr);
    if (v < 0) {
        return;
    }
    vec_clear(s->isr, v);
    for (int n = 0; n < 2; n++) {
        uint32_t *lvt = &s->lvt[LVT_LINT0 + n];
        if ((*lvt & APIC_LVT_REMOTE_IRR) && (int)(*lvt & APIC_VECTOR_MASK) == v) {
            *lvt &= ~APIC_LVT_REMOTE_IRR;
            apic_lint_service(s, n, false);     /* still asserted: again */
        }
    }
    if (vec_test(s->tmr, v) && !(s->svr & APIC_SVR_SUPPRESS_EOI) && s->system->eoi_fn) {
        s->system->eoi_fn(s->system->eoi_opaque, v);
    }
    apic_update_irq(s);
}

/* ---- registers ---- */

static int apic_lvt_index(uint64_t off)
{
    if (off >= APIC_REG_LVT_TIMER && off <= APIC_REG_LVT_ERROR) {
        return (int)((off - APIC_REG_LVT_TIMER) >> 4);
    }
    return -1;
}

static uint32_t apic_read_reg(ApicState *s, uint64_t off)
{
    if (off >= APIC_REG_ISR && off < APIC_REG_IRR + 0x80) {
        uint32_t *const regs[3] = { s->isr, s->tmr, s->irr };
        unsigned word = (unsigned)(off - APIC_REG_ISR) >> 4;    /* 0..23 */
        return regs[word / 8][word % 8];
    }
    int lvt = apic_lvt_index(off);
    if (lvt >= 0) {
        return s->lvt[lvt];
    }
    switch (off) {
    case APIC_REG_ID:
        return (uint32_t)s->id << 24;
    case APIC_REG_VERSION:
        return s->version | ((uint32_t)APIC_MAX_LVT_INDEX << 16) |
               (s->directed_eoi ? APIC_VERSION_DIRECTED_EOI : 0);
    case APIC_REG_TPR:
        return s->tpr;
    case APIC_REG_APR:
        return apic_apr(s);
    case APIC_REG_PPR:
        return apic_ppr(s);
    case APIC_REG_EOI:
    case APIC_REG_RRD:
        return 0;
    case APIC_REG_LDR:
        return (uint32_t)s->ldr << 24;
    case APIC_REG_DFR:
        return s->dfr | 0x0fffffffu;
    case APIC_REG_SVR:
        return s->svr;
    case APIC_REG_ESR:
        return s->esr_visible;
    case APIC_REG_ICR_LO:
        return s->icr_lo;
    case APIC_REG_ICR_HI:
        return s->icr_hi;
    case APIC_REG_TIMER_INITIAL:
        return s->timer_initial;
    case APIC_REG_TIMER_CURRENT:
        return apic_timer_current(s, clock_get_ns(CLOCK_VIRTUAL));
    case APIC_REG_TIMER_DIVIDE:
        return s->divide_reg;
    default:
        apic_set_error(s, APIC_ESR_ILLEGAL_REGISTER);
        return 0;
    }
}

static void apic_write_svr(ApicState *s, uint32_t val)
{
    uint32_t writable = APIC_VECTOR_MASK | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE |
                        (s->directed_eoi ? APIC_SVR_SUPPRESS_EOI : 0);
    s->svr = val & writable;
    if (!(s->svr & APIC_SVR_ENABLE)) {
        for (int i = 0; i < LVT_COUNT; i++) {
            s->lvt[i] |= APIC_LVT_MASKED;
        }
    }
    apic_update_irq(s);
}

static void apic_write_lvt(ApicState *s, int index, uint32_t val)
{
    if (!apic_sw_on(s)) {
        val |= APIC_LVT_MASKED;   /* cannot unmask while software-disabled */
    }
    if (index == LVT_TIMER) {
        apic_write_lvt_timer(s, val);
    } else {
        uint32_t keep = s->lvt[index] & APIC_LVT_REMOTE_IRR;
        s->lvt[index] = (val & apic_lvt_writable[index]) | keep;
        if (index == LVT_LINT0 || index == LVT_LINT1) {
            /* an unmasked level-triggered pin that is already asserted fires now */
            apic_lint_service(s, index - LVT_LINT0, false);
        }
    }
    apic_update_irq(s);
}

static void apic_write_reg(ApicState *s, uint64_t off, uint32_t val)
{
    int lvt = apic_lvt_index(off);
    if (lvt >= 0) {
        apic_write_lvt(s, lvt, val);
        return;
    }
    if (off >= APIC_REG_ISR && off < APIC_REG_IRR + 0x80) {
        return;                 /* ISR, TMR, IRR are read-only */
    }
    switch (off) {
    case APIC_REG_ID:
        s->id = (uint8_t)(val >> 24);
        break;
    case APIC_REG_TPR:
        s->tpr = (uint8_t)val;
        apic_update_irq(s);
        break;
    case APIC_REG_EOI:
        apic_eoi(s);
        break;
    case APIC_REG_LDR:
        s->ldr = (uint8_t)(val >> 24);
        break;
    case APIC_REG_DFR:
        s->dfr = (val & 0xf0000000u) | 0x0fffffffu;
        break;
    case APIC_REG_SVR:
        apic_write_svr(s, val);
        break;
    case APIC_REG_ESR:
        /* a write makes the errors seen since the last write visible */
        s->esr_visible = s->esr_pending;
        s->esr_pending = 0;
        break;
    case APIC_REG_ICR_LO:
        s->icr_lo = val & ICR_LO_WRITABLE;
        apic_send_ipi(s);
        break;
    case APIC_REG_ICR_HI:
        s->icr_hi = val & 0xff000000u;
        break;
    case APIC_REG_TIMER_INITIAL:
        apic_write_timer_initial(s, val);
        break;
    case APIC_REG_TIMER_DIVIDE:
        apic_write_divide(s, val);
        break;
    case APIC_REG_VERSION:
    case APIC_REG_APR:
    case APIC_REG_PPR:
    case APIC_REG_RRD:
    case APIC_REG_TIMER_CURRENT:
        break;                  /* read-only */
    default:
        apic_set_error(s, APIC_ESR_ILLEGAL_REGISTER);
        break;
    }
}

/* Only aligned 32-bit accesses to a register's first dword reach the registers. */
static bool apic_access_ok(const ApicState *s, uint64_t addr, unsigned size)
{
    return size == 4 && (addr & 0xf) == 0 && addr < APIC_MMIO_SIZE && apic_hw_on(s);
}

static uint64_t apic_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    ApicState *s = opaque;
    return apic_access_ok(s, addr, size) ? apic_read_reg(s, addr) : 0;
}

static void apic_mmio_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    ApicState *s = opaque;
    if (apic_access_ok(s, addr, size)) {
        apic_write_reg(s, addr, (uint32_t)val);
    }
}

static const MemoryRegionOps apic_mmio_ops = {
    .read = apic_mmio_read,
    .write = apic_mmio_write,
    .min_access = 1,            /* see every size, to ignore the wrong ones */
    .max_access = 8,
};

/* ---- the APIC system ---- */

static void apic_system_detach(ApicSystem *sys, ApicState *s)
{
    for (int i = 0; i < sys->nr_apics; i++) {
        if (sys->apics[i] == s) {
            memmove(&sys->apics[i], &sys->apics[i + 1],
                    sizeof(*sys->apics) * (size_t)(sys->nr_apics - i - 1));
            sys->nr_apics--;
            break;
        }
    }
}

static void apic_system_attach(ApicSystem *sys, ApicState *s)
{
    sys->apics = xrealloc(sys->apics, sizeof(*sys->apics) * (size_t)(sys->nr_apics + 1));
    sys->apics[sys->nr_apics++] = s;
    s->system = sys;
}

/* Leave the current system (freeing it if it was private). */
static void apic_leave_system(ApicState *s)
{
    ApicSystem *old = s->system;
    if (!old) {
        return;
    }
    apic_system_detach(old, s);
    s->system = NULL;
    if (old->solo_owner == s) {
        free(old->apics);
        free(old);
    }
}

/* Every APIC always has a system, so IPIs (self at least) need no special case. */
static void apic_join_solo_system(ApicState *s)
{
    ApicSystem *solo = apic_system_new();
    solo->solo_owner = s;
    apic_system_attach(solo, s);
}

ApicSystem *apic_system_new(void) { return xzalloc(sizeof(ApicSystem)); }

void apic_system_free(ApicSystem *sys)
{
    if (!sys) {
        return;
    }
    while (sys->nr_apics > 0) {
        ApicState *s = sys->apics[sys->nr_apics - 1];
        sys->nr_apics--;
        s->system = NULL;
        apic_join_solo_system(s);
    }
    free(sys->apics);
    free(sys);
}

void apic_system_add(ApicSystem *sys, DeviceState *dev)
{
    ApicState *s = APIC(dev);
    if (s->system == sys) {
        return;
    }
    if (sys->nr_apics >= APIC_SYSTEM_MAX) {
        error_report("apic: more than %d local APICs on one system", APIC_SYSTEM_MAX);
        return;
    }
    apic_leave_system(s);
    apic_system_attach(sys, s);
}

void apic_system_deliver_msi(ApicSystem *sys, uint64_t addr, uint32_t data)
{
    if ((addr & 0xfff00000ull) != APIC_DEFAULT_BASE) {
        log_item(LOG_GUEST_ERRORS, "apic: MSI to 0x%llx outside 0xfeexxxxx dropped\n",
                 (unsigned long long)addr);
        return;
    }
    bool level = (data & (1u << 15)) != 0;
    if (level && !(data & (1u << 14))) {
        return;                 /* de-assert message of a level interrupt */
    }
    ApicMessage m = {
        .dest = (uint8_t)(addr >> 12),
        .mode = (uint8_t)((data >> APIC_DM_SHIFT) & 7),
        .vector = (uint8_t)(data & APIC_VECTOR_MASK),
        .logical = (addr & (1u << 2)) != 0,
        .level = level,
    };
    apic_system_send(sys, &m);
}

void apic_system_set_eoi_handler(ApicSystem *sys, void (*fn)(void *opaque, int vector),
                                 void *opaque)
{
    sys->eoi_fn = fn;
    sys->eoi_opaque = opaque;
}

/* ---- the CPU side ---- */

MemoryRegion *apic_get_mmio(DeviceState *dev) { return &APIC(dev)->mmio; }

IRQ *apic_get_lint(DeviceState *dev, int n)
{
    ApicState *s = APIC(dev);
    return (n == 0 || n == 1) ? &s->lint_inputs[n] : NULL;
}

void apic_set_cpu_ops(DeviceState *dev, const ApicCpuOps *ops, void *cpu)
{
    ApicState *s = APIC(dev);
    s->ops = ops;
    s->cpu = cpu;
    s->irq_reported = false;
    apic_update_irq(s);
}

bool apic_interrupt_pending(DeviceState *dev) { return apic_compute_pending(APIC(dev)); }

int apic_acknowledge(DeviceState *dev)
{
    ApicState *s = APIC(dev);
    int vector;
    if (apic_extint_pending(s)) {
        s->extint_message = false;
        vector = (s->ops && s->ops->extint_ack) ? s->ops->extint_ack(s->cpu) & 0xff
                                                : (int)(s->svr & APIC_VECTOR_MASK);
    } else {
        vector = apic_deliverable_vector(s);
        if (vector >= 0) {
            vec_clear(s->irr, vector);
            vec_set(s->isr, vector);
        } else {
            vector = (int)(s->svr & APIC_VECTOR_MASK);  /* spurious: no ISR bit */
        }
    }
    apic_update_irq(s);
    return vector;
}

uint64_t apic_get_base(DeviceState *dev) { return APIC(dev)->base; }

bool apic_set_base(DeviceState *dev, uint64_t value)
{
    ApicState *s = APIC(dev);
    uint64_t addr_mask = APIC_BASE_ADDR_MASK & ((1ull << s->phys_bits) - 1);
    uint64_t valid = addr_mask | APIC_BASE_ENABLE | APIC_BASE_BSP;
    if (value & ~valid) {
        return false;
    }
    bool was_on = apic_hw_on(s);
    bool on = (value & APIC_BASE_ENABLE) != 0;
    /* the BSP flag belongs to the hardware: writes leave it alone */
    s->base = (value & (addr_mask | APIC_BASE_ENABLE)) | (s->base & APIC_BASE_BSP);
    if (was_on && !on) {
        apic_init_reset(s);     /* the APIC loses its state when disabled */
    }
    apic_update_irq(s);
    return true;
}

bool apic_hw_enabled(DeviceState *dev) { return apic_hw_on(APIC(dev)); }

void apic_set_tpr(DeviceState *dev, uint8_t tpr)
{
    ApicState *s = APIC(dev);
    s->tpr = tpr;
    apic_update_irq(s);
}

uint8_t apic_get_tpr(DeviceState *dev) { return APIC(dev)->tpr; }

uint64_t apic_get_tsc(DeviceState *dev)
{
    ApicState *s = APIC(dev);
    return apic_tsc_at(s, clock_get_ns(CLOCK_VIRTUAL));
}

void apic_set_tsc_offset(DeviceState *dev, int64_t offset)
{
    ApicState *s = APIC(dev);
    s->tsc_offset = offset;
    if (s->tsc_deadline) {
        apic_set_tsc_deadline(dev, s->tsc_deadline);    /* re-arm on the new scale */
    }
}

void apic_set_tsc_deadline(DeviceState *dev, uint64_t tsc)
{
    ApicState *s = APIC(dev);
    if (!apic_hw_on(s) || lvt_timer_mode(s) != APIC_LVT_TIMER_TSC_DEADLINE) {
        return;
    }
    timer_del(&s->timer);
    s->tsc_deadline = tsc;
    if (tsc) {
        apic_tsc_deadline_arm(s);
    }
}

uint64_t apic_get_tsc_deadline(DeviceState *dev)
{
    ApicState *s = APIC(dev);
    return lvt_timer_mode(s) == APIC_LVT_TIMER_TSC_DEADLINE ? s->tsc_deadline : 0;
}

/* ---- device ---- */

static void apic_instance_init(Object *obj)
{
    ApicState *s = APIC(obj);
    s->lint_inputs = irq_allocate(apic_lint_handler, s, 2);
    memory_region_init_io(&s->mmio, &apic_mmio_ops, s, "apic", APIC_MMIO_SIZE);
    timer_init(&s->timer, CLOCK_VIRTUAL, apic_timer_expired, s);
    s->divide_shift = 1;
    apic_join_solo_system(s);
}

static void apic_instance_finalize(Object *obj)
{
    ApicState *s = APIC(obj);
    timer_del(&s->timer);
    apic_leave_system(s);
    memory_region_destroy(&s->mmio);
    free(s->lint_inputs);
    s->lint_inputs = NULL;
}

static const Property apic_props[] = {
    DEFINE_PROP_UINT_RANGE("id", ApicState, initial_id, 8, 0, 0, 254, "APIC ID after reset"),
    DEFINE_PROP_UINT_RANGE("version", ApicState, version, 8, 0x14, 0x10, 0x1f,
                           "version byte (the register reads 0x0005xxxx: six LVT entries)"),
    DEFINE_PROP_BOOL("bsp", ApicState, bsp, false, "bootstrap processor (BSP flag)"),
    DEFINE_PROP_BOOL("directed_eoi", ApicState, directed_eoi, false,
                     "offer EOI-broadcast suppression (version bit 24, SVR bit 12)"),
    DEFINE_PROP_UINT_RANGE("tsc_khz", ApicState, tsc_khz, 32, 1000000, 1, 100000000,
                           "TSC frequency: TSC = virtual ns * tsc_khz / 10^6"),
    DEFINE_PROP_UINT_RANGE("phys_bits", ApicState, phys_bits, 8, 36, 32, 52,
                           "physical address width (valid APIC base bits)"),
    DEFINE_PROP_END,
};

static void apic_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "local APIC (xAPIC) of one vCPU for the interpreter";
    dc->props = apic_props;
    dc->user_creatable = false;
    dc->reset = apic_reset;
}

static const TypeInfo apic_type_info = {
    .name = TYPE_APIC,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(ApicState),
    .class_init = apic_class_init,
    .instance_init = apic_instance_init,
    .instance_finalize = apic_instance_finalize,
};

void apic_register_types(void)
{
    type_register(&apic_type_info);
}
