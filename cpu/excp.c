/*
 * Interrupts, exceptions and far control transfers: real-mode IVT delivery,
 * protected-mode IDT interrupt/trap gates with the privilege change and the stack
 * switch from the TSS (16- and 32-bit gates and TSSes, V86 -> ring 0), 64-bit IDT
 * gates with IST, the double and triple fault rules, IRET (real, V86, same
 * privilege, outer ring, back to V86, IRETQ), and far JMP/CALL/RET directly and
 * through call gates (with parameter copying). Task gates, TSS targets and IRET with
 * NT hand over to the hardware task switch (task.c).
 *
 * Every transfer reads and checks everything and pushes its frame first, then
 * commits the registers, so a fault half-way leaves the architectural state as it
 * was (the run loop only rolls back RIP and RSP).
 */
#include "cpu/excp.h"

#include <inttypes.h>

#include "cpu/seg.h"
#include "cpu/task.h"
#include "system/log.h"

/* ---- a stack being built or unwound (not yet committed to RSP) ---- */

typedef struct Stack {
    X86Segment ss;
    uint64_t sp;
    unsigned width;          /* address width of SP: 16, 32, 64 */
    bool user;               /* CPL-3 accesses */
    uint32_t fault_err;      /* #SS error code for a limit violation */
} Stack;

static void stack_init(X86CPU *cpu, Stack *st, const X86Segment *ss, uint64_t sp,
                       int cpl, bool mode64, uint32_t fault_err)
{
    st->ss = *ss;
    st->width = mode64 ? 64 : ss->db ? 32 : 16;
    st->sp = st->width == 64 ? sp : st->width == 32 ? (uint32_t)sp : (uint16_t)sp;
    st->user = cpl == 3;
    st->fault_err = fault_err;
    (void)cpu;
}

static uint64_t stack_linear(X86CPU *cpu, Stack *st, uint64_t off, unsigned size)
{
    if (st->width == 64) {
        if ((uint64_t)((int64_t)(off << 16) >> 16) != off) {
            cpu_raise_err(cpu, EXCP_SS, st->fault_err);
        }
        return off;
    }
    uint64_t last = off + size - 1;
    const X86Segment *ss = &st->ss;
    if (cpu->s.cr0 & X86_CR0_PE) {
        if (!(ss->type & 8) && (ss->type & 4)) {
            uint64_t top = ss->db ? 0xffffffffull : 0xffffull;
            if (off <= ss->limit || last > top) {
                cpu_raise_err(cpu, EXCP_SS, st->fault_err);
            }
        } else if (last > ss->limit) {
            cpu_raise_err(cpu, EXCP_SS, st->fault_err);
        }
    } else if (last > ss->limit) {
        cpu_raise_err(cpu, EXCP_SS, 0);
    }
    return (ss->base + off) & 0xffffffffull;
}

static uint64_t stack_wrap(const Stack *st, uint64_t sp)
{
    return st->width == 64 ? sp : st->width == 32 ? (uint32_t)sp : (uint16_t)sp;
}

static void stack_push(X86CPU *cpu, Stack *st, uint64_t value, unsigned size)
{
    st->sp = stack_wrap(st, st->sp - size);
    cpu_st_linear(cpu, stack_linear(cpu, st, st->sp, size), value, size, st->user);
}

static uint64_t stack_pop(X86CPU *cpu, Stack *st, unsigned size)
{
    uint64_t v = cpu_ld_linear(cpu, stack_linear(cpu, st, st->sp, size), size, st->user);
    st->sp = stack_wrap(st, st->sp + size);
    return v;
}

/* Write the stack pointer back with the stack's width. */
static void stack_commit_sp(X86CPU *cpu, const Stack *st)
{
    uint64_t *rsp = &cpu->s.regs[R_ESP];
    switch (st->width) {
    case 16: *rsp = (*rsp & ~0xffffull) | (st->sp & 0xffff); break;
    case 32: *rsp = (uint32_t)st->sp; break;
    default: *rsp = st->sp; break;
    }
}

static bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* Read and check the code segment `sel` for a transfer through a gate or an
 * interrupt; error codes get `ext`. */
static void load_code_desc(X86CPU *cpu, uint16_t sel, uint32_t ext, X86Segment *cs)
{
    uint64_t desc;
    if ((sel & ~3u) == 0) {
        cpu_raise_err(cpu, EXCP_GP, ext);
    }
    if (!seg_read_desc(cpu, sel, &desc)) {
        cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    }
    seg_decode(cs, sel, desc);
    if (!desc_is_code(cs)) {
        cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    }
}

/* ---- delivery ---- */

static void log_event(X86CPU *cpu, int vector, ExcpSource src, bool has_error,
                      uint32_t error_code)
{
    static const char *const kinds[] = { "exception", "hw", "int", "int", "int1" };
    if (!log_enabled(LOG_INT)) {
        return;
    }
    qemu_log("int: v=%02x %s", vector, kinds[src]);
    if (has_error) {
        qemu_log(" e=%04x", error_code);
    }
    qemu_log(" cpl=%d %04x:%08" PRIx64 " ss:sp=%04x:%08" PRIx64, cpu->cpl,
             cpu->s.seg[R_CS].selector, cpu->s.rip, cpu->s.seg[R_SS].selector,
             cpu->s.regs[R_ESP]);
    if (vector == EXCP_PF) {
        qemu_log(" cr2=%08" PRIx64, cpu->s.cr2);
    }
    qemu_log("\n");
}

static void deliver_real(X86CPU *cpu, int vector)
{
    X86State *s = &cpu->s;
    Stack st;

    if ((uint32_t)vector * 4 + 3 > s->idt.limit) {
        cpu_raise_err(cpu, EXCP_GP, (uint32_t)vector * 8 + 2);
    }
    uint32_t entry = (uint32_t)cpu_ld_linear(cpu, s->idt.base + (uint32_t)vector * 4, 4, false);
    stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], 0, false, 0);
    stack_push(cpu, &st, cpu_get_rflags(cpu), 2);
    stack_push(cpu, &st, s->seg[R_CS].selector, 2);
    stack_push(cpu, &st, s->rip, 2);
    stack_commit_sp(cpu, &st);
    seg_load_real(cpu, R_CS, (uint16_t)(entry >> 16));
    s->rip = entry & 0xffff;
    s->rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_AC | X86_FLAG_RF);
    cpu_update_mode(cpu);
}

static void deliver_long(X86CPU *cpu, int vector, ExcpSource src, bool has_error,
                         uint32_t error_code, uint32_t ext)
{
    X86State *s = &cpu->s;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    X86Segment cs;
    Stack st;

    if ((uint32_t)vector * 16 + 15 > s->idt.limit) {
        cpu_raise_err(cpu, EXCP_GP, idt_err);
    }
    uint64_t lo = cpu_ld_linear(cpu, s->idt.base + (uint64_t)vector * 16, 8, false);
    uint64_t hi = cpu_ld_linear(cpu, s->idt.base + (uint64_t)vector * 16 + 8, 8, false);
    unsigned type = (lo >> 40) & 0xf, dpl = (lo >> 45) & 3;
    if (type != DESC_INT32 && type != DESC_TRAP32) {
        cpu_raise_err(cpu, EXCP_GP, idt_err);
    }
    if ((src == EXCP_SRC_INTN || src == EXCP_SRC_SOFT) && (int)dpl < cpu->cpl) {
        cpu_raise_err(cpu, EXCP_GP, (uint32_t)vector * 8 + 2);
    }
    if (!((lo >> 47) & 1)) {
        cpu_raise_err(cpu, EXCP_NP, idt_err);
    }
    uint16_t sel = (uint16_t)(lo >> 16);
    uint64_t offset = (lo & 0xffff) | ((lo >> 32) & 0xffff0000) | (hi << 32);
    unsigned ist = (lo >> 32) & 7;

    load_code_desc(cpu, sel, ext, &cs);
    if (cs.dpl > cpu->cpl || !cs.l || cs.db) {
        cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    }
    if (!cs.present) {
        cpu_raise_err(cpu, EXCP_NP, (sel & 0xfffc) | ext);
    }
    int new_cpl = desc_conforming(&cs) ? cpu->cpl : cs.dpl;
    uint64_t rsp = s->regs[R_ESP];
    if (new_cpl < cpu->cpl) {
        uint16_t dummy;
        seg_tss_stack(cpu, new_cpl, &dummy, &rsp);
    }
    if (ist) {
        rsp = seg_tss_ist(cpu, (int)ist);
    }
    rsp &= ~UINT64_C(0xf);
    if (!is_canonical(offset)) {
        cpu_raise_err(cpu, EXCP_GP, ext);
    }
    stack_init(cpu, &st, &s->seg[R_SS], rsp, new_cpl, true, ext);
    stack_push(cpu, &st, s->seg[R_SS].selector, 8);
    stack_push(cpu, &st, s->regs[R_ESP], 8);
    stack_push(cpu, &st, cpu_get_rflags(cpu), 8);
    stack_push(cpu, &st, s->seg[R_CS].selector, 8);
    stack_push(cpu, &st, s->rip, 8);
    if (has_error) {
        stack_push(cpu, &st, error_code, 8);
    }
    /* commit */
    if (new_cpl != cpu->cpl) {
        seg_set_null(&s->seg[R_SS], (uint16_t)new_cpl);
        s->seg[R_SS].dpl = (uint8_t)new_cpl;
        s->seg[R_SS].db = true;
    }
    s->regs[R_ESP] = st.sp;
    s->rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM);
    if (type == DESC_INT32) {
        s->rflags &= ~(uint64_t)X86_FLAG_IF;
    }
    seg_set_cs(cpu, &cs, new_cpl);
    s->rip = offset;
}

static void deliver_protected(X86CPU *cpu, int vector, ExcpSource src, bool has_error,
                              uint32_t error_code)
{
    X86State *s = &cpu->s;
    uint32_t ext = (src == EXCP_SRC_FAULT || src == EXCP_SRC_HW) ? 1 : 0;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    bool v86 = (s->rflags & X86_FLAG_VM) != 0;
    X86Segment cs, new_ss;
    Stack st;

    if (src == EXCP_SRC_INTN && v86 && ((s->rflags >> 12) & 3) < 3) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (cpu->long_mode) {
        deliver_long(cpu, vector, src, has_error, error_code, ext);
        return;
    }
    if ((uint32_t)vector * 8 + 7 > s->idt.limit) {
        cpu_raise_err(cpu, EXCP_GP, idt_err);
    }
    uint64_t gate = cpu_ld_linear(cpu, s->idt.base + (uint64_t)vector * 8, 8, false);
    unsigned type = (gate >> 40) & 0x1f;      /* includes the S bit (must be 0) */
    unsigned dpl = (gate >> 45) & 3;
    if (type != DESC_INT16 && type != DESC_TRAP16 && type != DESC_INT32 &&
        type != DESC_TRAP32 && type != DESC_TASK) {
        cpu_raise_err(cpu, EXCP_GP, idt_err);
    }
    if ((src == EXCP_SRC_INTN || src == EXCP_SRC_SOFT) && (int)dpl < cpu->cpl) {
        cpu_raise_err(cpu, EXCP_GP, (uint32_t)vector * 8 + 2);
    }
    if (!((gate >> 47) & 1)) {
        cpu_raise_err(cpu, EXCP_NP, idt_err);
    }
    if (type == DESC_TASK) {
        unsigned tsize = task_switch(cpu, (uint16_t)(gate >> 16), TASK_FROM_INT, ext);
        if (has_error) {
            Stack est;
            stack_init(cpu, &est, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, false, ext);
            stack_push(cpu, &est, error_code, tsize);
            stack_commit_sp(cpu, &est);
        }
        return;
    }
    bool gate32 = type & 8;
    unsigned psize = gate32 ? 4 : 2;
    uint16_t sel = (uint16_t)(gate >> 16);
    uint64_t offset = (gate & 0xffff) | (gate32 ? ((gate >> 32) & 0xffff0000) : 0);

    load_code_desc(cpu, sel, ext, &cs);
    if (cs.dpl > cpu->cpl) {
        cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
    }
    if (!cs.present) {
        cpu_raise_err(cpu, EXCP_NP, (sel & 0xfffc) | ext);
    }
    bool inter = !desc_conforming(&cs) && cs.dpl < cpu->cpl;
    int new_cpl = inter ? cs.dpl : cpu->cpl;
    uint64_t eflags = cpu_get_rflags(cpu);

    if (inter) {
        uint16_t ss_sel;
        uint64_t sp;
        if (v86 && cs.dpl != 0) {
            cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
        }
        seg_tss_stack(cpu, new_cpl, &ss_sel, &sp);
        if ((ss_sel & ~3u) == 0) {
            cpu_raise_err(cpu, EXCP_TS, ext);
        }
        seg_check_stack(cpu, ss_sel, new_cpl, EXCP_TS, &new_ss);
        stack_init(cpu, &st, &new_ss, sp, new_cpl, false, (ss_sel & 0xfffc) | ext);
        if (v86) {
            stack_push(cpu, &st, s->seg[R_GS].selector, psize);
            stack_push(cpu, &st, s->seg[R_FS].selector, psize);
            stack_push(cpu, &st, s->seg[R_DS].selector, psize);
            stack_push(cpu, &st, s->seg[R_ES].selector, psize);
        }
        stack_push(cpu, &st, s->seg[R_SS].selector, psize);
        stack_push(cpu, &st, s->regs[R_ESP], psize);
    } else {
        if (v86) {
            cpu_raise_err(cpu, EXCP_GP, (sel & 0xfffc) | ext);
        }
        stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, false, ext);
    }
    stack_push(cpu, &st, eflags, psize);
    stack_push(cpu, &st, s->seg[R_CS].selector, psize);
    stack_push(cpu, &st, s->rip, psize);
    if (has_error) {
        stack_push(cpu, &st, error_code, psize);
    }
    if (!gate32) {
        offset &= 0xffff;
    }
    if (offset > cs.limit) {
        cpu_raise_err(cpu, EXCP_GP, ext);
    }

    /* commit */
    if (inter) {
        new_ss.selector = (uint16_t)((new_ss.selector & ~3u) | (unsigned)new_cpl);
        s->seg[R_SS] = new_ss;
        if (v86) {
            seg_set_null(&s->seg[R_ES], 0);
            seg_set_null(&s->seg[R_DS], 0);
            seg_set_null(&s->seg[R_FS], 0);
            seg_set_null(&s->seg[R_GS], 0);
        }
    }
    stack_commit_sp(cpu, &st);
    s->rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM);
    if (!(type & 1)) {
        s->rflags &= ~(uint64_t)X86_FLAG_IF;
    }
    seg_set_cs(cpu, &cs, new_cpl);
    s->rip = offset;
}

void excp_deliver(X86CPU *cpu, int vector, ExcpSource src, bool has_error,
                  uint32_t error_code)
{
    log_event(cpu, vector, src, has_error, error_code);
    cpu->halted = false;
    if (!(cpu->s.cr0 & X86_CR0_PE)) {
        deliver_real(cpu, vector);
    } else {
        deliver_protected(cpu, vector, src, has_error, error_code);
    }
    if (vector == EXCP_NMI && src == EXCP_SRC_HW) {
        cpu->nmi_blocked = true;
    }
}

static bool is_contributory(int v)
{
    return v == EXCP_DE || (v >= EXCP_TS && v <= EXCP_GP);
}

bool excp_handle_fault(X86CPU *cpu)
{
    int vector = cpu->excp_vector;
    bool has_error = cpu->excp_has_error;
    uint32_t err = cpu->excp_error;

    if (cpu->fault_depth >= 2) {
        /* a fault while delivering #DF: shutdown */
        log_item(LOG_INT, "int: triple fault (v=%02x while delivering #DF)\n", vector);
        cpu->triple_fault = true;
        cpu->fault_depth = 0;
        return false;
    }
    if (cpu->fault_depth == 1) {
        int first = cpu->excp_first;
        bool df = (is_contributory(first) && is_contributory(vector)) ||
                  (first == EXCP_PF && (is_contributory(vector) || vector == EXCP_PF));
        if (first == EXCP_DF) {
            df = true;
        }
        if (df) {
            if (first == EXCP_DF) {
                cpu->triple_fault = true;
                cpu->fault_depth = 0;
                log_item(LOG_INT, "int: triple fault\n");
                return false;
            }
            vector = EXCP_DF;
            has_error = true;
            err = 0;
            cpu->fault_depth = 2;
        }
    } else {
        cpu->fault_depth = 1;
    }
    if (!(cpu->s.cr0 & X86_CR0_PE)) {
        has_error = false;
    }
    cpu->excp_first = vector;
    excp_deliver(cpu, vector, EXCP_SRC_FAULT, has_error, err);
    cpu->fault_depth = 0;
    return true;
}

/* ---- IRET ---- */

static void iret_real(X86CPU *cpu, unsigned opbits)
{
    X86State *s = &cpu->s;
    unsigned size = opbits / 8;
    Stack st;
    bool v86 = (s->rflags & X86_FLAG_VM) != 0;

    if (v86 && ((s->rflags >> 12) & 3) < 3) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, false, 0);
    uint64_t ip = stack_pop(cpu, &st, size);
    uint16_t cs = (uint16_t)stack_pop(cpu, &st, size);
    uint64_t fl = stack_pop(cpu, &st, size);
    if (ip > s->seg[R_CS].limit && !v86 && opbits == 32) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint64_t mask = X86_ARITH_FLAGS | X86_FLAG_TF | X86_FLAG_IF | X86_FLAG_DF |
                    X86_FLAG_NT | X86_FLAG_IOPL;
    if (opbits == 32) {
        mask |= X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID;
    }
    if (v86) {
        mask &= ~(uint64_t)X86_FLAG_IOPL;
    }
    stack_commit_sp(cpu, &st);
    seg_load_real(cpu, R_CS, cs);
    s->rip = opbits == 32 ? (uint32_t)ip : (uint16_t)ip;
    cpu_set_rflags(cpu, fl, mask);
    cpu->nmi_blocked = false;
}

static void iret_to_v86(X86CPU *cpu, Stack *st, uint64_t eip, uint16_t cs, uint64_t fl)
{
    X86State *s = &cpu->s;
    uint64_t esp = stack_pop(cpu, st, 4);
    uint16_t ss = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t es = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t ds = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t fs = (uint16_t)stack_pop(cpu, st, 4);
    uint16_t gs = (uint16_t)stack_pop(cpu, st, 4);

    s->rflags = (fl & 0x3f7fd7) | 2;    /* all defined flags, VM set */
    cpu->cc_op = CC_OP_EFLAGS;
    seg_load_real(cpu, R_CS, cs);
    seg_load_real(cpu, R_SS, ss);
    seg_load_real(cpu, R_ES, es);
    seg_load_real(cpu, R_DS, ds);
    seg_load_real(cpu, R_FS, fs);
    seg_load_real(cpu, R_GS, gs);
    s->regs[R_ESP] = (uint32_t)esp;
    s->rip = eip & 0xffff;
    cpu_update_mode(cpu);
}

void excp_iret(X86CPU *cpu, unsigned opbits)
{
    X86State *s = &cpu->s;
    unsigned size = opbits / 8;
    Stack st;
    X86Segment cs, ss;
    uint64_t desc;

    if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_FLAG_VM)) {
        iret_real(cpu, opbits);
        return;
    }
    if ((s->rflags & X86_FLAG_NT) && !cpu->long_mode) {
        /* back to the task in this TSS's link field */
        uint16_t link = (uint16_t)cpu_ld_linear(cpu, s->tr.base, 2, false);
        task_switch(cpu, link, TASK_FROM_IRET, 0);
        cpu->nmi_blocked = false;
        return;
    }
    bool mode64 = cpu->code_mode == X86_MODE_64;
    stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, mode64, 0);
    uint64_t eip = stack_pop(cpu, &st, size);
    uint16_t cs_sel = (uint16_t)stack_pop(cpu, &st, size);
    uint64_t fl = stack_pop(cpu, &st, size);

    if ((fl & X86_FLAG_VM) && opbits == 32 && cpu->cpl == 0 && !cpu->long_mode) {
        iret_to_v86(cpu, &st, eip, cs_sel, fl);
        cpu->nmi_blocked = false;
        return;
    }
    unsigned rpl = cs_sel & 3;
    if ((cs_sel & ~3u) == 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (!seg_read_desc(cpu, cs_sel, &desc)) {
        cpu_raise_err(cpu, EXCP_GP, cs_sel & 0xfffc);
    }
    seg_decode(&cs, cs_sel, desc);
    if (!desc_is_code(&cs) || (int)rpl < cpu->cpl ||
        (desc_conforming(&cs) ? cs.dpl > rpl : cs.dpl != rpl) ||
        (cpu->long_mode && cs.l && cs.db)) {
        cpu_raise_err(cpu, EXCP_GP, cs_sel & 0xfffc);
    }
    if (!cs.present) {
        cpu_raise_err(cpu, EXCP_NP, cs_sel & 0xfffc);
    }
    bool outer = (int)rpl > cpu->cpl;
    bool pop_ss = outer || mode64;
    uint64_t new_sp = 0;
    uint16_t ss_sel = 0;
    if (pop_ss) {
        new_sp = stack_pop(cpu, &st, size);
        ss_sel = (uint16_t)stack_pop(cpu, &st, size);
        if ((ss_sel & ~3u) == 0) {
            if (!(cpu->long_mode && cs.l && rpl < 3 && (ss_sel & 3) == rpl)) {
                cpu_raise_err(cpu, EXCP_GP, 0);
            }
            seg_set_null(&ss, ss_sel);
            ss.dpl = (uint8_t)rpl;
            ss.db = true;
        } else {
            seg_check_stack(cpu, ss_sel, (int)rpl, EXCP_GP, &ss);
        }
    }
    bool to64 = cpu->long_mode && cs.l;
    if (!to64) {
        eip = opbits == 16 ? (uint16_t)eip : (uint32_t)eip;
        if (eip > cs.limit) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
    } else if (!is_canonical(eip)) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }

    /* flags writable at the CPL of the IRET */
    unsigned iopl = (s->rflags >> 12) & 3;
    uint64_t mask = X86_ARITH_FLAGS | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT |
                    X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID;
    if (cpu->cpl == 0) {
        mask |= X86_FLAG_IOPL | X86_FLAG_VIF | X86_FLAG_VIP;
    }
    if (cpu->cpl <= (int)iopl) {
        mask |= X86_FLAG_IF;
    }
    if (opbits == 16) {
        mask &= 0xffff;
    }

    /* commit */
    cpu_set_rflags(cpu, fl, mask);
    if (pop_ss) {
        ss.selector = ss_sel;
        s->seg[R_SS] = ss;
        Stack nst;
        stack_init(cpu, &nst, &ss, new_sp, (int)rpl, to64, 0);
        if (to64) {
            s->regs[R_ESP] = new_sp;
        } else {
            stack_commit_sp(cpu, &nst);
        }
    } else {
        stack_commit_sp(cpu, &st);
    }
    seg_set_cs(cpu, &cs, (int)rpl);
    s->rip = eip;
    if (outer) {
        seg_null_invalid_data_segments(cpu);
    }
    cpu->nmi_blocked = false;
}

/* ---- far JMP / CALL / RET ---- */

/* Check a direct code-segment target of JMP/CALL; the new CPL stays the CPL. */
static void check_direct_code(X86CPU *cpu, uint16_t sel, const X86Segment *cs)
{
    unsigned rpl = sel & 3;
    if (desc_conforming(cs) ? cs->dpl > cpu->cpl
                            : (rpl > (unsigned)cpu->cpl || cs->dpl != cpu->cpl)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!cs->present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
}

static uint64_t check_offset(X86CPU *cpu, const X86Segment *cs, uint64_t offset,
                             unsigned opbits)
{
    if (cpu->long_mode && cs->l) {
        if (!is_canonical(offset)) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        return offset;
    }
    offset = opbits == 16 ? (uint16_t)offset : (uint32_t)offset;
    if (offset > cs->limit) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    return offset;
}

typedef struct Gate {
    unsigned type, dpl, params;
    bool present;
    uint16_t sel;
    uint64_t offset;
} Gate;

/* Read a descriptor: a code segment (returns true) or a call gate (false, *gate set).
 * Anything else raises #GP(sel). */
static bool far_target(X86CPU *cpu, uint16_t sel, X86Segment *cs, Gate *gate)
{
    uint64_t desc;
    if ((sel & ~3u) == 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (!seg_read_desc(cpu, sel, &desc)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    seg_decode(cs, sel, desc);
    if (cs->s) {
        if (!desc_is_code(cs)) {
            cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
        }
        seg_set_accessed(cpu, sel, desc);
        return true;
    }
    unsigned type = cs->type;
    bool lm = cpu->long_mode;
    if (!(type == DESC_CALL32 || (!lm && type == DESC_CALL16))) {
        log_item(LOG_UNIMP, "unimp: far transfer to system descriptor type %u (%#x)\n",
                 type, sel);
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    gate->type = type;
    gate->dpl = cs->dpl;
    gate->present = cs->present;
    gate->sel = (uint16_t)(desc >> 16);
    gate->params = (desc >> 32) & 0x1f;
    gate->offset = (desc & 0xffff) | (type == DESC_CALL32 ? ((desc >> 32) & 0xffff0000) : 0);
    if (lm) {
        if ((sel & 0xfff8) + 15u > ((sel & 4) ? cpu->s.ldt.limit : cpu->s.gdt.limit)) {
            cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
        }
        uint64_t hi = cpu_ld_linear(cpu, seg_desc_addr(cpu, sel) + 8, 8, false);
        if ((hi >> 40) & 0x1f) {
            cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
        }
        gate->offset |= hi << 32;
        gate->params = 0;
    }
    if ((int)gate->dpl < cpu->cpl || gate->dpl < (sel & 3u)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!gate->present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    load_code_desc(cpu, gate->sel, 0, cs);
    if (cs->dpl > cpu->cpl || (lm && (!cs->l || cs->db))) {
        cpu_raise_err(cpu, EXCP_GP, gate->sel & 0xfffc);
    }
    if (!cs->present) {
        cpu_raise_err(cpu, EXCP_NP, gate->sel & 0xfffc);
    }
    return false;
}

/* A far JMP/CALL to a TSS or a task gate outside IA-32e mode: the task switch does it
 * all. False for every other target (far_target checks those). */
static bool far_task_target(X86CPU *cpu, uint16_t sel, TaskSource src)
{
    uint64_t desc;
    if (cpu->long_mode || (sel & ~3u) == 0 || !seg_read_desc(cpu, sel, &desc)) {
        return false;
    }
    unsigned type = (desc >> 40) & 0x1f;          /* S bit included: 0 for system */
    if (type != DESC_TASK && type != DESC_TSS16_AVAIL && type != DESC_TSS16_BUSY &&
        type != DESC_TSS32_AVAIL && type != DESC_TSS32_BUSY) {
        return false;
    }
    task_far_transfer(cpu, sel, desc, src);
    return true;
}

void excp_far_jmp(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opbits)
{
    X86State *s = &cpu->s;
    X86Segment cs;
    Gate gate;

    if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_FLAG_VM)) {
        seg_load_real(cpu, R_CS, selector);
        s->rip = opbits == 32 ? (uint32_t)offset : (uint16_t)offset;
        cpu_update_mode(cpu);
        return;
    }
    if (far_task_target(cpu, selector, TASK_FROM_JMP)) {
        return;
    }
    if (far_target(cpu, selector, &cs, &gate)) {
        check_direct_code(cpu, selector, &cs);
    } else {
        if (desc_conforming(&cs) ? cs.dpl > cpu->cpl : cs.dpl != cpu->cpl) {
            cpu_raise_err(cpu, EXCP_GP, gate.sel & 0xfffc);
        }
        offset = gate.offset;
        opbits = gate.type == DESC_CALL16 ? 16 : 32;
    }
    offset = check_offset(cpu, &cs, offset, opbits);
    seg_set_cs(cpu, &cs, cpu->cpl);
    s->rip = offset;
}

void excp_far_call(X86CPU *cpu, uint16_t selector, uint64_t offset, unsigned opbits)
{
    X86State *s = &cpu->s;
    X86Segment cs, new_ss;
    Gate gate;
    Stack st;
    unsigned size = opbits / 8;
    bool mode64 = cpu->code_mode == X86_MODE_64;

    if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_FLAG_VM)) {
        stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, false, 0);
        stack_push(cpu, &st, s->seg[R_CS].selector, size);
        stack_push(cpu, &st, s->rip, size);
        stack_commit_sp(cpu, &st);
        seg_load_real(cpu, R_CS, selector);
        s->rip = opbits == 32 ? (uint32_t)offset : (uint16_t)offset;
        cpu_update_mode(cpu);
        return;
    }
    if (far_task_target(cpu, selector, TASK_FROM_CALL)) {
        return;
    }
    if (far_target(cpu, selector, &cs, &gate)) {
        check_direct_code(cpu, selector, &cs);
        offset = check_offset(cpu, &cs, offset, opbits);
        stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, mode64, 0);
        stack_push(cpu, &st, s->seg[R_CS].selector, size);
        stack_push(cpu, &st, s->rip, size);
        stack_commit_sp(cpu, &st);
        seg_set_cs(cpu, &cs, cpu->cpl);
        s->rip = offset;
        return;
    }

    /* through a call gate */
    unsigned gsize = cpu->long_mode ? 8 : gate.type == DESC_CALL32 ? 4 : 2;
    unsigned gbits = gsize * 8;
    bool to64 = cpu->long_mode;
    offset = check_offset(cpu, &cs, gate.offset, gbits);
    if (!desc_conforming(&cs) && cs.dpl < cpu->cpl) {
        int new_cpl = cs.dpl;
        uint16_t ss_sel;
        uint64_t sp;
        seg_tss_stack(cpu, new_cpl, &ss_sel, &sp);
        if (to64) {
            seg_set_null(&new_ss, (uint16_t)new_cpl);
            new_ss.dpl = (uint8_t)new_cpl;
            new_ss.db = true;
            ss_sel = (uint16_t)new_cpl;
        } else {
            seg_check_stack(cpu, ss_sel, new_cpl, EXCP_TS, &new_ss);
        }
        stack_init(cpu, &st, &new_ss, sp, new_cpl, to64, ss_sel & 0xfffc);
        stack_push(cpu, &st, s->seg[R_SS].selector, gsize);
        stack_push(cpu, &st, s->regs[R_ESP], gsize);
        if (gate.params) {
            Stack old;
            stack_init(cpu, &old, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, false, 0);
            for (int i = (int)gate.params - 1; i >= 0; i--) {
                uint64_t a = stack_linear(cpu, &old, stack_wrap(&old, old.sp + (uint64_t)i * gsize),
                                          gsize);
                stack_push(cpu, &st, cpu_ld_linear(cpu, a, gsize, old.user), gsize);
            }
        }
        stack_push(cpu, &st, s->seg[R_CS].selector, gsize);
        stack_push(cpu, &st, s->rip, gsize);
        new_ss.selector = (uint16_t)((ss_sel & ~3u) | (unsigned)new_cpl);
        s->seg[R_SS] = new_ss;
        stack_commit_sp(cpu, &st);
        seg_set_cs(cpu, &cs, new_cpl);
        s->rip = offset;
        return;
    }
    stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, mode64, 0);
    stack_push(cpu, &st, s->seg[R_CS].selector, gsize);
    stack_push(cpu, &st, s->rip, gsize);
    stack_commit_sp(cpu, &st);
    seg_set_cs(cpu, &cs, cpu->cpl);
    s->rip = offset;
}

void excp_far_ret(X86CPU *cpu, unsigned opbits, uint16_t pop_bytes)
{
    X86State *s = &cpu->s;
    unsigned size = opbits / 8;
    bool mode64 = cpu->code_mode == X86_MODE_64;
    X86Segment cs, ss;
    uint64_t desc;
    Stack st;

    stack_init(cpu, &st, &s->seg[R_SS], s->regs[R_ESP], cpu->cpl, mode64, 0);
    uint64_t ip = stack_pop(cpu, &st, size);
    uint16_t sel = (uint16_t)stack_pop(cpu, &st, size);

    if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_FLAG_VM)) {
        st.sp = stack_wrap(&st, st.sp + pop_bytes);
        stack_commit_sp(cpu, &st);
        seg_load_real(cpu, R_CS, sel);
        s->rip = opbits == 32 ? (uint32_t)ip : (uint16_t)ip;
        cpu_update_mode(cpu);
        return;
    }
    unsigned rpl = sel & 3;
    if ((sel & ~3u) == 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (!seg_read_desc(cpu, sel, &desc)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    seg_decode(&cs, sel, desc);
    if (!desc_is_code(&cs) || (int)rpl < cpu->cpl ||
        (desc_conforming(&cs) ? cs.dpl > rpl : cs.dpl != rpl)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!cs.present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    ip = check_offset(cpu, &cs, ip, opbits);
    st.sp = stack_wrap(&st, st.sp + pop_bytes);
    if ((int)rpl > cpu->cpl) {
        uint64_t new_sp = stack_pop(cpu, &st, size);
        uint16_t ss_sel = (uint16_t)stack_pop(cpu, &st, size);
        if ((ss_sel & ~3u) == 0 && cpu->long_mode && cs.l && rpl < 3) {
            seg_set_null(&ss, ss_sel);
            ss.dpl = (uint8_t)rpl;
            ss.db = true;
        } else {
            seg_check_stack(cpu, ss_sel, (int)rpl, EXCP_GP, &ss);
        }
        ss.selector = ss_sel;
        s->seg[R_SS] = ss;
        Stack nst;
        stack_init(cpu, &nst, &ss, new_sp + pop_bytes, (int)rpl, cpu->long_mode && cs.l, 0);
        stack_commit_sp(cpu, &nst);
        seg_set_cs(cpu, &cs, (int)rpl);
        s->rip = ip;
        seg_null_invalid_data_segments(cpu);
        return;
    }
    stack_commit_sp(cpu, &st);
    seg_set_cs(cpu, &cs, cpu->cpl);
    s->rip = ip;
}
