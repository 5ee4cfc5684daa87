/*
 * MC146818A real-time clock with 128 bytes of CMOS RAM (ports 0x70/0x71, IRQ 8).
 *
 * The time is not ticked: it is kept as "RTC seconds" (a zone-less count of seconds
 * since 1970-01-01 00:00:00 of whatever calendar the guest sees) at a reference
 * instant of CLOCK_VIRTUAL, and the clock registers are computed on each read.
 * Updates happen once per second at a fixed phase; while SET is on, or while the
 * divider chain is held in reset, the clock is frozen and the time lives in the
 * register bytes themselves, which the guest may rewrite. A 1 Hz timer sets the
 * update-ended and alarm flags; another timer, armed only while periodic interrupts
 * are enabled, produces PF at the rate selected in register A.
 */
#include "hw/timer/mc146818.h"
#include "hw/core/isa.h"
#include "system/timer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define RTC_UIP_WINDOW_NS   244000            /* UIP is high this long before an update */
#define RTC_DIVIDER_HZ      32768
#define RTC_SECS_PER_DAY    86400

typedef struct Mc146818State {
    DeviceState parent_obj;
    /* properties */
    uint16_t iobase;
    uint8_t irq_num;
    char *base;                 /* "utc" or "localtime" */
    char *start;                /* optional fixed start "YYYY-MM-DDTHH:MM:SS" */

    MemoryRegion io;
    IRQ *irq;
    int irq_level;
    uint8_t cmos[MC146818_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked;

    bool frozen;                /* the clock bytes in cmos[] hold the time */
    int64_t time_base;          /* RTC seconds at base_ns */
    int64_t base_ns;            /* virtual time of an update: fixes the one-second phase */
    int wday_offset;            /* guest weekday minus computed weekday, 0..6 */
    int64_t div_base_ns;        /* when the divider chain last started */
    uint64_t pf_index;          /* periodic periods counted so far */
    Timer update_timer;
    Timer periodic_timer;
} Mc146818State;

#define MC146818(o) OBJECT_CHECK(Mc146818State, (o), TYPE_MC146818_RTC)

/* Registers whose value is computed from the running clock. */
static bool rtc_is_clock_reg(unsigned index)
{
    switch (index) {
    case MC146818_SECONDS:
    case MC146818_MINUTES:
    case MC146818_HOURS:
    case MC146818_DAY_OF_WEEK:
    case MC146818_DAY_OF_MONTH:
    case MC146818_MONTH:
    case MC146818_YEAR:
    case MC146818_CENTURY:
        return true;
    default:
        return false;
    }
}

/* ---- calendar arithmetic (proleptic Gregorian, day 0 = 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static bool rtc_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in [1, y). */
static int64_t rtc_leaps_before(int64_t y)
{
    int64_t n = y - 1;
    return floor_div(n, 4) - floor_div(n, 100) + floor_div(n, 400);
}

static int64_t rtc_days_before_year(int64_t y)
{
    return 365 * (y - 1970) + rtc_leaps_before(y) - rtc_leaps_before(1970);
}

static const uint16_t rtc_days_before_month[2][13] = {
    { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 },
    { 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366 },
};

/* month 1..12, day >= 1 (a day past the month's end spills into the next month). */
static int64_t rtc_days_from_date(int64_t year, int month, int day)
{
    return rtc_days_before_year(year) + rtc_days_before_month[rtc_leap_year(year)][month - 1] +
           day - 1;
}

static void rtc_date_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t y = 1970 + floor_div(days * 400, 146097);
    while (rtc_days_before_year(y + 1) <= days) {
        y++;
    }
    while (rtc_days_before_year(y) > days) {
        y--;
    }
    int doy = (int)(days - rtc_days_before_year(y));
    int leap = rtc_leap_year(y);
    int m = 1;
    while (m < 12 && rtc_days_before_month[leap][m] <= doy) {
        m++;
    }
    *year = y;
    *month = m;
    *day = doy - rtc_days_before_month[leap][m - 1] + 1;
}

/* ---- register encoding (BCD or binary, 12 or 24 hours) ---- */

static bool rtc_binary(const Mc146818State *s)
{
    return s->cmos[MC146818_REG_B] & MC146818_B_DM_BINARY;
}

static uint8_t rtc_to_reg(const Mc146818State *s, int v)
{
    v %= 100;
    return rtc_binary(s) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int rtc_from_reg(const Mc146818State *s, uint8_t b)
{
    return rtc_binary(s) ? b : (b >> 4) * 10 + (b & 0x0f);
}

static uint8_t rtc_hour_to_reg(const Mc146818State *s, int hour)
{
    if (s->cmos[MC146818_REG_B] & MC146818_B_24H) {
        return rtc_to_reg(s, hour);
    }
    int h12 = hour % 12 ? hour % 12 : 12;
    return rtc_to_reg(s, h12) | (hour >= 12 ? 0x80 : 0);
}

static int rtc_hour_from_reg(const Mc146818State *s, uint8_t b)
{
    if (s->cmos[MC146818_REG_B] & MC146818_B_24H) {
        return rtc_from_reg(s, b);
    }
    int h = rtc_from_reg(s, b & 0x7f);
    if (h == 12) {
        h = 0;
    }
    return (b & 0x80) ? h + 12 : h;
}

/* Write the clock registers for RTC time `secs` into regs (indexed like the CMOS). */
static void rtc_encode(const Mc146818State *s, int64_t secs, uint8_t *regs)
{
    int64_t days = floor_div(secs, RTC_SECS_PER_DAY);
    int sod = (int)(secs - days * RTC_SECS_PER_DAY);
    int64_t year;
    int month, day;
    rtc_date_from_days(days, &year, &month, &day);
    if (year < 0) {
        year = 0;
    }
    int wday = (int)floor_mod(days + 4 + s->wday_offset, 7);   /* 1970-01-01: Thursday */

    regs[MC146818_SECONDS] = rtc_to_reg(s, sod % 60);
    regs[MC146818_MINUTES] = rtc_to_reg(s, sod / 60 % 60);
    regs[MC146818_HOURS] = rtc_hour_to_reg(s, sod / 3600);
    regs[MC146818_DAY_OF_WEEK] = rtc_to_reg(s, wday + 1);
    regs[MC146818_DAY_OF_MONTH] = rtc_to_reg(s, day);
    regs[MC146818_MONTH] = rtc_to_reg(s, month);
    regs[MC146818_YEAR] = rtc_to_reg(s, (int)(year % 100));
    regs[MC146818_CENTURY] = rtc_to_reg(s, (int)(year / 100 % 100));
}

/* The RTC time held in the clock bytes of cmos[]; also learns the guest's weekday. */
static int64_t rtc_decode(Mc146818State *s)
{
    const uint8_t *r = s->cmos;
    int64_t year = rtc_from_reg(s, r[MC146818_YEAR]) +
                   100 * (int64_t)rtc_from_reg(s, r[MC146818_CENTURY]);
    int month = rtc_from_reg(s, r[MC146818_MONTH]);
    int day = rtc_from_reg(s, r[MC146818_DAY_OF_MONTH]);
    month = month < 1 ? 1 : month > 12 ? 12 : month;
    day = day < 1 ? 1 : day;
    int64_t days = rtc_days_from_date(year, month, day);
    int64_t secs = days * RTC_SECS_PER_DAY + rtc_hour_from_reg(s, r[MC146818_HOURS]) * 3600 +
                   rtc_from_reg(s, r[MC146818_MINUTES]) * 60 +
                   rtc_from_reg(s, r[MC146818_SECONDS]);
    int guest_wday = rtc_from_reg(s, r[MC146818_DAY_OF_WEEK]) - 1;
    int64_t computed = floor_mod(floor_div(secs, RTC_SECS_PER_DAY) + 4, 7);
    s->wday_offset = (int)floor_mod(guest_wday - computed, 7);
    return secs;
}

/* ---- the running clock ---- */

static bool rtc_divider_running(const Mc146818State *s)
{
    /* DV = 11x holds the divider chain in reset */
    return ((s->cmos[MC146818_REG_A] & MC146818_A_DV_MASK) >> 4) < 6;
}

static int64_t rtc_now_secs(const Mc146818State *s, int64_t now)
{
    return s->time_base + floor_div(now - s->base_ns, NS_PER_SEC);
}

static void rtc_update_irq(Mc146818State *s)
{
    uint8_t pending = s->cmos[MC146818_REG_C] & s->cmos[MC146818_REG_B] &
                      (MC146818_C_PF | MC146818_C_AF | MC146818_C_UF);
    int level = pending != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
}

static void rtc_arm_update(Mc146818State *s, int64_t now)
{
    if (s->frozen) {
        timer_del(&s->update_timer);
        return;
    }
    int64_t k = floor_div(now - s->base_ns, NS_PER_SEC) + 1;
    timer_mod(&s->update_timer, s->base_ns + k * NS_PER_SEC);
}

/* Stop the clock: the current time goes into the clock bytes. */
static void rtc_freeze(Mc146818State *s, int64_t now)
{
    if (s->frozen) {
        return;
    }
    rtc_encode(s, rtc_now_secs(s, now), s->cmos);
    s->frozen = true;
    rtc_arm_update(s, now);
}

/* Restart the clock from the clock bytes, keeping the one-second phase. */
static void rtc_thaw(Mc146818State *s, int64_t now)
{
    if (!s->frozen) {
        return;
    }
    s->time_base = rtc_decode(s);
    s->base_ns += floor_div(now - s->base_ns, NS_PER_SEC) * NS_PER_SEC;
    s->frozen = false;
    rtc_arm_update(s, now);
}

static void rtc_apply_frozen(Mc146818State *s, int64_t now)
{
    bool want = (s->cmos[MC146818_REG_B] & MC146818_B_SET) || !rtc_divider_running(s);
    if (want) {
        rtc_freeze(s, now);
    } else {
        rtc_thaw(s, now);
    }
}

static bool rtc_alarm_matches(uint8_t alarm, uint8_t now)
{
    return (alarm & 0xc0) == 0xc0 || alarm == now;
}

static void rtc_update_cb(void *opaque)
{
    Mc146818State *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (s->frozen) {
        return;
    }
    uint8_t regs[MC146818_CMOS_SIZE];
    rtc_encode(s, rtc_now_secs(s, now), regs);
    s->cmos[MC146818_REG_C] |= MC146818_C_UF;
    if (rtc_alarm_matches(s->cmos[MC146818_SECONDS_ALARM], regs[MC146818_SECONDS]) &&
        rtc_alarm_matches(s->cmos[MC146818_MINUTES_ALARM], regs[MC146818_MINUTES]) &&
        rtc_alarm_matches(s->cmos[MC146818_HOURS_ALARM], regs[MC146818_HOURS])) {
        s->cmos[MC146818_REG_C] |= MC146818_C_AF;
    }
    rtc_update_irq(s);
    rtc_arm_update(s, now);
}

static bool rtc_uip(const Mc146818State *s, int64_t now)
{
    return !s->frozen &&
           floor_mod(now - s->base_ns, NS_PER_SEC) >= NS_PER_SEC - RTC_UIP_WINDOW_NS;
}

/* ---- periodic interrupt ---- */

/* Length of a period in 32768 Hz divider ticks; 0 when the rate select is 0. */
static uint64_t rtc_period_ticks(const Mc146818State *s)
{
    unsigned rs = s->cmos[MC146818_REG_A] & MC146818_A_RS_MASK;
    if (rs == 0) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7;            /* 1 and 2 repeat 256 Hz and 128 Hz */
    }
    return UINT64_C(1) << (rs - 1);
}

static uint64_t rtc_divider_ticks(const Mc146818State *s, int64_t now)
{
    int64_t e = now - s->div_base_ns;
    if (e < 0) {
        e = 0;
    }
    return (uint64_t)(e / NS_PER_SEC) * RTC_DIVIDER_HZ +
           (uint64_t)(e % NS_PER_SEC) * RTC_DIVIDER_HZ / NS_PER_SEC;
}

/* First virtual time at which the divider has counted `ticks`. */
static int64_t rtc_divider_time(const Mc146818State *s, uint64_t ticks)
{
    return s->div_base_ns + (int64_t)(ticks / RTC_DIVIDER_HZ) * NS_PER_SEC +
           (int64_t)(((ticks % RTC_DIVIDER_HZ) * NS_PER_SEC + RTC_DIVIDER_HZ - 1) /
                     RTC_DIVIDER_HZ);
}

static uint64_t rtc_period_index(const Mc146818State *s, int64_t now)
{
    uint64_t period = rtc_period_ticks(s);
    return period ? rtc_divider_ticks(s, now) / period : 0;
}

/* Set PF if a period ended since we last looked (PF runs whether or not PIE is set). */
static void rtc_sync_pf(Mc146818State *s, int64_t now)
{
    if (!rtc_divider_running(s) || !rtc_period_ticks(s)) {
        return;
    }
    uint64_t idx = rtc_period_index(s, now);
    if (idx != s->pf_index) {
        s->pf_index = idx;
        s->cmos[MC146818_REG_C] |= MC146818_C_PF;
    }
}

static void rtc_arm_periodic(Mc146818State *s)
{
    uint64_t period = rtc_period_ticks(s);
    if (period && rtc_divider_running(s) && (s->cmos[MC146818_REG_B] & MC146818_B_PIE)) {
        timer_mod(&s->periodic_timer, rtc_divider_time(s, (s->pf_index + 1) * period));
    } else {
        timer_del(&s->periodic_timer);
    }
}

static void rtc_periodic_cb(void *opaque)
{
    Mc146818State *s = opaque;
    rtc_sync_pf(s, clock_get_ns(CLOCK_VIRTUAL));
    rtc_update_irq(s);
    rtc_arm_periodic(s);
}

/* ---- register access ---- */

static void rtc_write_reg_a(Mc146818State *s, uint8_t v, int64_t now)
{
    bool was_running = rtc_divider_running(s);
    rtc_sync_pf(s, now);                       /* periods ended under the old rate */
    s->cmos[MC146818_REG_A] = v & ~MC146818_A_UIP;
    if (!was_running && rtc_divider_running(s)) {
        /* the chain restarts: the first update comes half a second later */
        s->div_base_ns = now;
        s->base_ns = now - NS_PER_SEC / 2;
    }
    rtc_apply_frozen(s, now);
    s->pf_index = rtc_period_index(s, now);
    rtc_arm_periodic(s);
}

static void rtc_write_reg_b(Mc146818State *s, uint8_t v, int64_t now)
{
    rtc_sync_pf(s, now);
    if (v & MC146818_B_SET) {
        v &= ~MC146818_B_UIE;                  /* SET going high clears UIE */
    }
    s->cmos[MC146818_REG_B] = v;
    rtc_apply_frozen(s, now);
    rtc_arm_periodic(s);
    rtc_update_irq(s);
}

static void rtc_write(Mc146818State *s, unsigned index, uint8_t v)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    index &= MC146818_CMOS_SIZE - 1;
    if (rtc_is_clock_reg(index)) {
        if (s->frozen) {
            s->cmos[index] = v;
        } else {
            /* a running clock changes from the written value on, same phase */
            rtc_freeze(s, now);
            s->cmos[index] = v;
            rtc_thaw(s, now);
        }
        return;
    }
    switch (index) {
    case MC146818_REG_A:
        rtc_write_reg_a(s, v, now);
        break;
    case MC146818_REG_B:
        rtc_write_reg_b(s, v, now);
        break;
    case MC146818_REG_C:
    case MC146818_REG_D:
        break;                                  /* read-only */
    default:
        s->cmos[index] = v;
        break;
    }
}

static uint8_t rtc_read(Mc146818State *s, unsigned index, bool side_effects)
{
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    index &= MC146818_CMOS_SIZE - 1;
    if (rtc_is_clock_reg(index)) {
        if (s->frozen) {
            return s->cmos[index];
        }
        uint8_t regs[MC146818_CMOS_SIZE];
        rtc_encode(s, rtc_now_secs(s, now), regs);
        return regs[index];
    }
    switch (index) {
    case MC146818_REG_A:
        return s->cmos[MC146818_REG_A] | (rtc_uip(s, now) ? MC146818_A_UIP : 0);
    case MC146818_REG_C: {
        rtc_sync_pf(s, now);
        uint8_t flags = s->cmos[MC146818_REG_C];
        if (flags & s->cmos[MC146818_REG_B] & (MC146818_C_PF | MC146818_C_AF | MC146818_C_UF)) {
            flags |= MC146818_C_IRQF;
        }
        if (side_effects) {
            s->cmos[MC146818_REG_C] = 0;
            rtc_update_irq(s);
        }
        return flags;
    }
    case MC146818_REG_D:
        return MC146818_D_VRT;
    default:
        return s->cmos[index];
    }
}

static uint64_t rtc_io_read(void *opaque, uint64_t addr, unsigned size)
{
    Mc146818State *s = opaque;
    if (addr == 0) {
        return 0xff;                            /* the index port is write-only */
    }
    return rtc_read(s, s->index, true);
}

static void rtc_io_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    Mc146818State *s = opaque;
    if (addr == 0) {
        s->index = value & (MC146818_CMOS_SIZE - 1);
        s->nmi_masked = value & 0x80;
    } else {
        rtc_write(s, s->index, (uint8_t)value);
    }
}

static const MemoryRegionOps rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .min_access = 1,
    .max_access = 1,
};

void mc146818_set_cmos(DeviceState *rtc, int index, uint8_t value)
{
    rtc_write(MC146818(rtc), (unsigned)index, value);
}

uint8_t mc146818_get_cmos(DeviceState *rtc, int index)
{
    return rtc_read(MC146818(rtc), (unsigned)index, false);
}

/* ---- the device ---- */

static bool rtc_parse_start(const char *text, int64_t *secs)
{
    int year, month, day, hour, min, sec, end = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &min, &sec,
               &end) != 6 || text[end] != '\0') {
        return false;
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
        min < 0 || min > 59 || sec < 0 || sec > 59) {
        return false;
    }
    int leap = rtc_leap_year(year);
    if (day > rtc_days_before_month[leap][month] - rtc_days_before_month[leap][month - 1]) {
        return false;
    }
    *secs = rtc_days_from_date(year, month, day) * RTC_SECS_PER_DAY + hour * 3600 +
            min * 60 + sec;
    return true;
}

static bool rtc_realize(DeviceState *dev, Error **errp)
{
    Mc146818State *s = MC146818(dev);
    int64_t start;
    bool localtime_base;

    if (!s->base || strcmp(s->base, "utc") == 0) {
        localtime_base = false;
    } else if (strcmp(s->base, "localtime") == 0) {
        localtime_base = true;
    } else {
        error_setg(errp, "device '%s': base must be utc or localtime, not '%s'",
                   TYPE_MC146818_RTC, s->base);
        return false;
    }
    if (s->start && *s->start) {
        if (!rtc_parse_start(s->start, &start)) {
            error_setg(errp, "device '%s': bad start '%s' (want YYYY-MM-DDTHH:MM:SS)",
                       TYPE_MC146818_RTC, s->start);
            return false;
        }
    } else {
        time_t host = time(NULL);
        start = (int64_t)host;
        if (localtime_base) {
            struct tm tm;
            localtime_r(&host, &tm);
            start += tm.tm_gmtoff;
        }
    }
    if (!isa_device_bus(dev, errp)) {
        return false;
    }

    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    memset(s->cmos, 0, sizeof(s->cmos));
    s->cmos[MC146818_REG_A] = 0x26;             /* 32768 Hz divider, 1024 Hz rate */
    s->cmos[MC146818_REG_B] = MC146818_B_24H;
    s->cmos[MC146818_REG_D] = MC146818_D_VRT;
    s->time_base = start;
    s->base_ns = now;
    s->div_base_ns = now;
    s->wday_offset = 0;
    s->frozen = false;
    s->pf_index = rtc_period_index(s, now);
    rtc_encode(s, start, s->cmos);

    s->irq = isa_get_irq(dev, s->irq_num);
    memory_region_init_io(&s->io, &rtc_io_ops, s, "mc146818-rtc", 2);
    isa_register_ioport(dev, &s->io, s->iobase);
    rtc_arm_update(s, now);
    return true;
}

/* RESET pin: interrupt enables and flags clear; the time and the RAM survive. */
static void rtc_reset(DeviceState *dev)
{
    Mc146818State *s = MC146818(dev);
    s->cmos[MC146818_REG_B] &= ~(MC146818_B_PIE | MC146818_B_AIE | MC146818_B_UIE |
                                 MC146818_B_SQWE);
    s->cmos[MC146818_REG_C] = 0;
    s->index = 0;
    s->nmi_masked = false;
    rtc_update_irq(s);
    rtc_arm_periodic(s);
}

static void rtc_instance_init(Object *obj)
{
    Mc146818State *s = MC146818(obj);
    timer_init(&s->update_timer, CLOCK_VIRTUAL, rtc_update_cb, s);
    timer_init(&s->periodic_timer, CLOCK_VIRTUAL, rtc_periodic_cb, s);
}

static void rtc_instance_finalize(Object *obj)
{
    Mc146818State *s = MC146818(obj);
    timer_del(&s->update_timer);
    timer_del(&s->periodic_timer);
    memory_region_destroy(&s->io);
}

static const Property rtc_props[] = {
    DEFINE_PROP_UINT("iobase", Mc146818State, iobase, 16, 0x70, "I/O base (index port)"),
    DEFINE_PROP_UINT_RANGE("irq", Mc146818State, irq_num, 8, 8, 0, ISA_NUM_IRQS - 1,
                           "interrupt line"),
    DEFINE_PROP_STRING("base", Mc146818State, base, "utc",
                       "clock base: utc or localtime"),
    DEFINE_PROP_STRING("start", Mc146818State, start, NULL,
                       "fixed start date YYYY-MM-DDTHH:MM:SS"),
    DEFINE_PROP_END,
};

static void rtc_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "MC146818 real-time clock and CMOS RAM";
    dc->props = rtc_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = rtc_realize;
    dc->reset = rtc_reset;
}

static const TypeInfo rtc_type_info = {
    .name = TYPE_MC146818_RTC,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(Mc146818State),
    .class_init = rtc_class_init,
    .instance_init = rtc_instance_init,
    .instance_finalize = rtc_instance_finalize,
};

void mc146818_register_types(void)
{
    type_register(&rtc_type_info);
}
