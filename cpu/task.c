/*
 * Hardware task switches (see task.h), in the order of the SDM's task-switch
 * operation: check the new TSS descriptor, read the whole new TSS, save the current
 * task's dynamic state into its TSS, update the busy bits and the back link, load TR,
 * set CR0.TS, then load CR3, EFLAGS, EIP, the general registers, LDTR and the segment
 * registers of the new task, checking each descriptor (#TS, #NP, #SS).
 */
#include "cpu/task.h"

#include <string.h>

#include "cpu/seg.h"
#include "system/log.h"

/* Offsets in a 32-bit TSS */
#define TSS32_LINK 0x00
#define TSS32_CR3 0x1c
#define TSS32_EIP 0x20
#define TSS32_EFLAGS 0x24
#define TSS32_REGS 0x28          /* EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
#define TSS32_SEGS 0x48          /* ES CS SS DS FS GS, 4 bytes each */
#define TSS32_LDT 0x60
#define TSS32_MIN_LIMIT 0x67
/* Offsets in a 16-bit TSS */
#define TSS16_LINK 0x00
#define TSS16_IP 0x0e
#define TSS16_FLAGS 0x10
#define TSS16_REGS 0x12          /* AX CX DX BX SP BP SI DI, 2 bytes each */
#define TSS16_SEGS 0x22          /* ES CS SS DS, 2 bytes each */
#define TSS16_LDT 0x2a
#define TSS16_MIN_LIMIT 0x2b

#define DESC_BUSY_BIT 2          /* in the type field: available 1/9 -> busy 3/11 */

/* The new task's state, read completely before anything changes. */
typedef struct TaskImage {
    uint32_t cr3, eip, eflags;
    uint32_t regs[8];
    uint16_t segs[SEG_COUNT];
    uint16_t ldt;
} TaskImage;

static bool tss_is_32(unsigned type)
{
    return type & 8;
}

static uint32_t tss_ld(X86CPU *cpu, uint64_t base, unsigned off, unsigned size)
{
    return (uint32_t)cpu_ld_linear(cpu, base + off, size, false);
}

static void tss_st(X86CPU *cpu, uint64_t base, unsigned off, uint32_t v, unsigned size)
{
    cpu_st_linear(cpu, base + off, v, size, false);
}

static void read_image(X86CPU *cpu, const X86Segment *tss, TaskImage *t)
{
    static const int seg16_order[4] = { R_ES, R_CS, R_SS, R_DS };
    memset(t, 0, sizeof(*t));
    if (tss_is_32(tss->type)) {
        t->cr3 = tss_ld(cpu, tss->base, TSS32_CR3, 4);
        t->eip = tss_ld(cpu, tss->base, TSS32_EIP, 4);
        t->eflags = tss_ld(cpu, tss->base, TSS32_EFLAGS, 4);
        for (int i = 0; i < 8; i++) {
            t->regs[i] = tss_ld(cpu, tss->base, TSS32_REGS + 4u * (unsigned)i, 4);
        }
        for (int i = 0; i < 6; i++) {       /* ES CS SS DS FS GS: the R_ order */
            t->segs[i] = (uint16_t)tss_ld(cpu, tss->base, TSS32_SEGS + 4u * (unsigned)i, 2);
        }
        t->ldt = (uint16_t)tss_ld(cpu, tss->base, TSS32_LDT, 2);
        return;
    }
    t->eip = tss_ld(cpu, tss->base, TSS16_IP, 2);
    t->eflags = tss_ld(cpu, tss->base, TSS16_FLAGS, 2);
    for (int i = 0; i < 8; i++) {
        t->regs[i] = tss_ld(cpu, tss->base, TSS16_REGS + 2u * (unsigned)i, 2);
    }
    for (int i = 0; i < 4; i++) {
        t->segs[seg16_order[i]] = (uint16_t)tss_ld(cpu, tss->base, TSS16_SEGS + 2u * (unsigned)i, 2);
    }
    t->ldt = (uint16_t)tss_ld(cpu, tss->base, TSS16_LDT, 2);
}

/* Save the current task's dynamic fields into its TSS. */
static void save_current(X86CPU *cpu, uint32_t eflags)
{
    static const int seg16_order[4] = { R_ES, R_CS, R_SS, R_DS };
    const X86State *s = &cpu->s;
    const X86Segment *tr = &s->tr;
    if (tss_is_32(tr->type)) {
        tss_st(cpu, tr->base, TSS32_EIP, (uint32_t)s->rip, 4);
        tss_st(cpu, tr->base, TSS32_EFLAGS, eflags, 4);
        for (int i = 0; i < 8; i++) {
            tss_st(cpu, tr->base, TSS32_REGS + 4u * (unsigned)i, (uint32_t)s->regs[i], 4);
        }
        for (int i = 0; i < 6; i++) {
            tss_st(cpu, tr->base, TSS32_SEGS + 4u * (unsigned)i, s->seg[i].selector, 2);
        }
        return;
    }
    tss_st(cpu, tr->base, TSS16_IP, (uint16_t)s->rip, 2);
    tss_st(cpu, tr->base, TSS16_FLAGS, (uint16_t)eflags, 2);
    for (int i = 0; i < 8; i++) {
        tss_st(cpu, tr->base, TSS16_REGS + 2u * (unsigned)i, (uint16_t)s->regs[i], 2);
    }
    for (int i = 0; i < 4; i++) {
        tss_st(cpu, tr->base, TSS16_SEGS + 2u * (unsigned)i, s->seg[seg16_order[i]].selector, 2);
    }
}

/* Set or clear the busy bit of the TSS descriptor `sel` in the GDT. */
static void set_busy(X86CPU *cpu, uint16_t sel, bool busy)
{
    uint64_t addr = cpu->s.gdt.base + (sel & 0xfff8u) + 5;
    uint8_t access = (uint8_t)cpu_ld_linear(cpu, addr, 1, false);
    access = busy ? (uint8_t)(access | DESC_BUSY_BIT) : (uint8_t)(access & ~DESC_BUSY_BIT);
    cpu_st_linear(cpu, addr, access, 1, false);
}

/* LDTR from the new TSS: null, or an LDT descriptor in the GDT. */
static void load_ldt(X86CPU *cpu, uint16_t sel)
{
    X86Segment d;
    uint64_t desc;
    if ((sel & ~3u) == 0) {
        seg_set_null(&cpu->s.ldt, sel);
        return;
    }
    if ((sel & 4) || !seg_read_desc(cpu, sel, &desc)) {
        cpu_raise_err(cpu, EXCP_TS, sel & 0xfffc);
    }
    seg_decode(&d, sel, desc);
    if (d.s || d.type != DESC_LDT) {
        cpu_raise_err(cpu, EXCP_TS, sel & 0xfffc);
    }
    if (!d.present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    cpu->s.ldt = d;
}

/* CS of the new task; its RPL becomes the CPL. */
static void load_cs(X86CPU *cpu, uint16_t sel)
{
    X86Segment cs;
    uint64_t desc;
    if ((sel & ~3u) == 0 || !seg_read_desc(cpu, sel, &desc)) {
        cpu_raise_err(cpu, EXCP_TS, sel & 0xfffc);
    }
    seg_decode(&cs, sel, desc);
    unsigned rpl = sel & 3u;
    if (!desc_is_code(&cs) || (desc_conforming(&cs) ? cs.dpl > rpl : cs.dpl != rpl)) {
        cpu_raise_err(cpu, EXCP_TS, sel & 0xfffc);
    }
    if (!cs.present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    seg_set_accessed(cpu, sel, desc);
    seg_set_cs(cpu, &cs, (int)rpl);
}

unsigned task_switch(X86CPU *cpu, uint16_t tss_sel, TaskSource src, uint32_t ext)
{
    X86State *s = &cpu->s;
    X86Segment nt;
    uint64_t desc;
    bool iret = src == TASK_FROM_IRET;
    int bad_desc = iret ? EXCP_TS : EXCP_GP;

    log_item(LOG_INT, "int: task switch to TSS %#x (%s)\n", tss_sel,
             src == TASK_FROM_JMP ? "jmp" : src == TASK_FROM_CALL ? "call" :
             src == TASK_FROM_INT ? "interrupt" : "iret");
    /* the new TSS descriptor: in the GDT, a TSS, available (busy for IRET), present,
     * long enough */
    if ((tss_sel & 4) || !seg_read_desc(cpu, tss_sel, &desc)) {
        cpu_raise_err(cpu, bad_desc, (tss_sel & 0xfffc) | ext);
    }
    seg_decode(&nt, tss_sel, desc);
    unsigned want = iret ? DESC_BUSY_BIT : 0;
    if (nt.s || (nt.type != (DESC_TSS32_AVAIL | want) && nt.type != (DESC_TSS16_AVAIL | want))) {
        cpu_raise_err(cpu, bad_desc, (tss_sel & 0xfffc) | ext);
    }
    if (!nt.present) {
        cpu_raise_err(cpu, EXCP_NP, (tss_sel & 0xfffc) | ext);
    }
    bool new32 = tss_is_32(nt.type);
    if (nt.limit < (new32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) {
        cpu_raise_err(cpu, EXCP_TS, (tss_sel & 0xfffc) | ext);
    }
    uint32_t old_limit_min = tss_is_32(s->tr.type) ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT;
    if (s->tr.limit < old_limit_min) {
        cpu_raise_err(cpu, EXCP_TS, (s->tr.selector & 0xfffc) | ext);
    }

    TaskImage t;
    read_image(cpu, &nt, &t);
    uint32_t old_eflags = (uint32_t)cpu_get_rflags(cpu);
    if (iret) {
        old_eflags &= ~(uint32_t)X86_FLAG_NT;
    }
    uint16_t old_sel = s->tr.selector;

    /* the old task: its state, its busy bit (JMP, IRET) */
    save_current(cpu, old_eflags);
    if (src == TASK_FROM_JMP || iret) {
        set_busy(cpu, old_sel, false);
    }
    /* the link (CALL, interrupt) and the new busy bit */
    if (src == TASK_FROM_CALL || src == TASK_FROM_INT) {
        tss_st(cpu, nt.base, new32 ? TSS32_LINK : TSS16_LINK, old_sel, 2);
        t.eflags |= X86_FLAG_NT;
    }
    if (!iret) {
        set_busy(cpu, tss_sel, true);
    }
    nt.type |= DESC_BUSY_BIT;
    s->tr = nt;
    s->cr0 |= X86_CR0_TS;

    /* the new task's registers: from here on faults belong to the new task */
    if (new32 && (s->cr0 & X86_CR0_PG)) {
        s->cr3 = t.cr3;
        cpu_tlb_flush(cpu, false);
    }
    uint32_t keep = new32 ? 0 : 0xffff0000u;   /* a 16-bit TSS holds the low halves */
    for (int i = 0; i < 8; i++) {
        s->regs[i] = (s->regs[i] & keep) | t.regs[i];
    }
    s->rip = new32 ? t.eip : (uint16_t)t.eip;
    uint64_t flags = new32 ? t.eflags : ((cpu_get_rflags(cpu) & 0xffff0000u) | t.eflags);
    s->rflags = flags | 2;
    cpu->cc_op = CC_OP_EFLAGS;
    for (int i = 0; i < SEG_COUNT; i++) {
        if (!new32 && (i == R_FS || i == R_GS)) {
            continue;                           /* not in a 16-bit TSS: unchanged */
        }
        s->seg[i].selector = t.segs[i];
    }
    cpu_update_mode(cpu);
    load_ldt(cpu, t.ldt);
    if (s->rflags & X86_FLAG_VM) {
        for (int i = 0; i < SEG_COUNT; i++) {
            seg_load_real(cpu, i, t.segs[i]);
        }
        cpu_update_mode(cpu);
    } else {
        load_cs(cpu, t.segs[R_CS]);
        X86Segment ss;
        seg_check_stack(cpu, t.segs[R_SS], cpu->cpl, EXCP_TS, &ss);
        s->seg[R_SS] = ss;
        static const int data_segs[4] = { R_ES, R_DS, R_FS, R_GS };
        for (int i = 0; i < 4; i++) {
            if (new32 || (data_segs[i] != R_FS && data_segs[i] != R_GS)) {
                seg_load_data(cpu, data_segs[i], t.segs[data_segs[i]], EXCP_TS);
            }
        }
    }
    if (s->rip > s->seg[R_CS].limit) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    return new32 ? 4 : 2;
}

void task_far_transfer(X86CPU *cpu, uint16_t sel, uint64_t desc, TaskSource src)
{
    X86Segment d;
    seg_decode(&d, sel, desc);
    unsigned max_pl = (unsigned)cpu->cpl > (sel & 3u) ? (unsigned)cpu->cpl : (sel & 3u);
    if (cpu->long_mode || d.s) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (d.type == DESC_TASK) {
        if (d.dpl < max_pl) {
            cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
        }
        if (!d.present) {
            cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
        }
        task_switch(cpu, (uint16_t)(desc >> 16), src, 0);
        return;
    }
    if (d.type != DESC_TSS32_AVAIL && d.type != DESC_TSS16_AVAIL) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);      /* busy TSS, or no TSS at all */
    }
    if (d.dpl < max_pl) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    task_switch(cpu, sel, src, 0);
}
