/*
 * System instruction handlers: descriptor tables (LGDT/LIDT/SGDT/SIDT/LLDT/SLDT/
 * LTR/STR), segment queries (VERR/VERW/LAR/LSL/ARPL), control and debug registers,
 * MSRs, CPUID, the TSC, HLT, CLI/STI, cache and TLB control, SYSENTER/SYSEXIT,
 * SYSCALL/SYSRET, SWAPGS, and the far transfers and interrupts (JMPF, CALLF, RETF,
 * IRET, INT n, INT3, INTO, INT1), whose work is in excp.c.
 */
#include "cpu/exec.h"

#include <string.h>

#include "cpu/excp.h"
#include "cpu/models.h"
#include "cpu/seg.h"
#include "system/log.h"
#include "system/timer.h"

/* MSR numbers */
enum {
    MSR_TSC = 0x10, MSR_PLATFORM_ID = 0x17, MSR_APIC_BASE = 0x1b,
    MSR_FEATURE_CONTROL = 0x3a, MSR_BIOS_SIGN = 0x8b, MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
    MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MISC_ENABLE = 0x1a0,
    MSR_DEBUGCTL = 0x1d9, MSR_MTRR_PHYS_FIRST = 0x200, MSR_MTRR_PHYS_LAST = 0x20f,
    MSR_MTRR_FIX64K = 0x250, MSR_MTRR_FIX16K_80000 = 0x258, MSR_MTRR_FIX16K_A0000 = 0x259,
    MSR_MTRR_FIX4K_FIRST = 0x268, MSR_MTRR_FIX4K_LAST = 0x26f, MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080, MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083, MSR_FMASK = 0xc0000084, MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
};

/* ---- MSR storage in X86State.msrs (so both engines and snapshots see them) ---- */

static uint64_t *msr_slot(X86CPU *cpu, uint32_t index, bool create)
{
    X86State *s = &cpu->s;
    for (uint32_t i = 0; i < s->nr_msrs && i < X86_MAX_MSRS; i++) {
        if (s->msrs[i].index == index) {
            return &s->msrs[i].value;
        }
    }
    if (!create || s->nr_msrs >= X86_MAX_MSRS) {
        return NULL;
    }
    s->msrs[s->nr_msrs].index = index;
    s->msrs[s->nr_msrs].value = 0;
    return &s->msrs[s->nr_msrs++].value;
}

static uint64_t msr_get(X86CPU *cpu, uint32_t index)
{
    uint64_t *p = msr_slot(cpu, index, false);
    if (p) {
        return *p;
    }
    return index == MSR_PAT ? UINT64_C(0x0007040600070406) : 0;
}

static void msr_put(X86CPU *cpu, uint32_t index, uint64_t value)
{
    uint64_t *p = msr_slot(cpu, index, true);
    if (p) {
        *p = value;
    } else {
        log_item(LOG_UNIMP, "unimp: MSR store full, %#x dropped\n", index);
    }
}

uint64_t cpu_get_tsc(X86CPU *cpu)
{
    uint64_t khz = cpu->tsc_khz ? cpu->tsc_khz : 1000000;
    unsigned __int128 t = (unsigned __int128)(uint64_t)clock_get_ns(CLOCK_VIRTUAL) * khz;
    return (uint64_t)(t / 1000000) + cpu->tsc_offset;
}

static bool is_storage_msr(uint32_t i)
{
    return i == MSR_SYSENTER_CS || i == MSR_SYSENTER_ESP || i == MSR_SYSENTER_EIP ||
           i == MSR_PAT || i == MSR_MTRR_DEF_TYPE || i == MSR_MTRR_FIX64K ||
           i == MSR_MTRR_FIX16K_80000 || i == MSR_MTRR_FIX16K_A0000 ||
           (i >= MSR_MTRR_FIX4K_FIRST && i <= MSR_MTRR_FIX4K_LAST) ||
           (i >= MSR_MTRR_PHYS_FIRST && i <= MSR_MTRR_PHYS_LAST) ||
           i == MSR_MISC_ENABLE || i == MSR_DEBUGCTL || i == MSR_BIOS_SIGN ||
           i == MSR_STAR || i == MSR_LSTAR || i == MSR_CSTAR || i == MSR_FMASK ||
           i == MSR_KERNEL_GS_BASE || i == MSR_TSC_AUX;
}

static bool model_has_lm(X86CPU *cpu)
{
    return cpu_has_feature(cpu, X86_FEAT_LM);
}

bool cpu_rdmsr(X86CPU *cpu, uint32_t index, uint64_t *value)
{
    switch (index) {
    case MSR_TSC: *value = cpu_get_tsc(cpu); return true;
    case MSR_APIC_BASE: *value = cpu->s.apic_base; return true;
    case MSR_PLATFORM_ID: case MSR_MCG_CAP: case MSR_MCG_STATUS: *value = 0; return true;
    case MSR_FEATURE_CONTROL: *value = 1; return true;     /* locked, VMX off */
    case MSR_MTRRCAP: *value = 0x508; return true;         /* 8 variable, fixed, WC */
    case MSR_EFER: *value = cpu->s.efer; return true;
    case MSR_FS_BASE: *value = cpu->s.seg[R_FS].base; return true;
    case MSR_GS_BASE: *value = cpu->s.seg[R_GS].base; return true;
    default:
        if (is_storage_msr(index)) {
            if ((index >= MSR_STAR && index <= MSR_TSC_AUX) && !model_has_lm(cpu) &&
                index != MSR_STAR) {
                return false;
            }
            *value = msr_get(cpu, index);
            return true;
        }
        return false;
    }
}

bool cpu_wrmsr(X86CPU *cpu, uint32_t index, uint64_t value)
{
    switch (index) {
    case MSR_TSC:
        cpu->tsc_offset += value - cpu_get_tsc(cpu);
        return true;
    case MSR_APIC_BASE:
        cpu->s.apic_base = value;
        cpu->apic_base = value & ~UINT64_C(0xfff);
        if (cpu->apic_base_changed) {
            cpu->apic_base_changed(cpu, value);
        }
        cpu_tlb_flush_all_mappings(cpu);
        return true;
    case MSR_EFER: {
        uint64_t ok = X86_EFER_SCE | X86_EFER_NXE | (model_has_lm(cpu) ? X86_EFER_LME : 0);
        if (value & ~(ok | X86_EFER_LMA)) {
            return false;
        }
        if (((value ^ cpu->s.efer) & X86_EFER_LME) && (cpu->s.cr0 & X86_CR0_PG)) {
            return false;
        }
        uint64_t old = cpu->s.efer;
        cpu->s.efer = (value & ok) | (cpu->s.efer & X86_EFER_LMA);
        if ((old ^ cpu->s.efer) & X86_EFER_NXE) {
            cpu_tlb_flush(cpu, true);
        }
        return true;
    }
    case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
    case MSR_LSTAR: case MSR_CSTAR:
        if ((uint64_t)((int64_t)(value << 16) >> 16) != value || !model_has_lm(cpu)) {
            return false;
        }
        if (index == MSR_FS_BASE) {
            cpu->s.seg[R_FS].base = value;
        } else if (index == MSR_GS_BASE) {
            cpu->s.seg[R_GS].base = value;
        } else {
            msr_put(cpu, index, value);
        }
        return true;
    case MSR_PLATFORM_ID: case MSR_MCG_STATUS: case MSR_FEATURE_CONTROL:
        return true;          /* writes ignored */
    default:
        if (is_storage_msr(index)) {
            msr_put(cpu, index, value);
            return true;
        }
        return false;
    }
}

static void op_rdmsr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint32_t index = (uint32_t)cpu->s.regs[R_ECX];
    uint64_t v;
    if (!cpu_rdmsr(cpu, index, &v)) {
        log_item(LOG_UNIMP, "unimp: rdmsr %#x: #GP\n", index);
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    cpu->s.regs[R_EAX] = (uint32_t)v;
    cpu->s.regs[R_EDX] = v >> 32;
}

static void op_wrmsr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint32_t index = (uint32_t)cpu->s.regs[R_ECX];
    uint64_t v = (cpu->s.regs[R_EDX] << 32) | (uint32_t)cpu->s.regs[R_EAX];
    if (!cpu_wrmsr(cpu, index, v)) {
        log_item(LOG_UNIMP, "unimp: wrmsr %#x <- %#llx: #GP\n", index,
                 (unsigned long long)v);
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
}

/* ---- CPUID, TSC, misc ---- */

static void op_cpuid(X86CPU *cpu, const X86DecodedInsn *insn)
{
    const X86CpuModel *m = cpu->model ? cpu->model : x86_cpu_model_default();
    uint32_t out[4];
    x86_cpu_model_cpuid(m, (uint32_t)cpu->s.regs[R_EAX], (uint32_t)cpu->s.regs[R_ECX],
                        cpu->apic_id, cpu->nr_cpus > 0 ? cpu->nr_cpus : 1, out);
    cpu->s.regs[R_EAX] = out[0];
    cpu->s.regs[R_EBX] = out[1];
    cpu->s.regs[R_ECX] = out[2];
    cpu->s.regs[R_EDX] = out[3];
}

static void op_rdtsc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if ((cpu->s.cr4 & (1u << 2)) && cpu->cpl > 0) {      /* CR4.TSD */
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint64_t t = cpu_get_tsc(cpu);
    cpu->s.regs[R_EAX] = (uint32_t)t;
    cpu->s.regs[R_EDX] = t >> 32;
    if (insn->op == X86_OP_RDTSCP) {
        cpu->s.regs[R_ECX] = (uint32_t)msr_get(cpu, MSR_TSC_AUX);
    }
}

static void op_gp0(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_raise_err(cpu, EXCP_GP, 0);
}

static void op_ud(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_raise(cpu, EXCP_UD);
}

static void op_nop(X86CPU *cpu, const X86DecodedInsn *insn)
{
}

static void op_hlt(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->halted = true;
}

static unsigned iopl_of(X86CPU *cpu)
{
    return (cpu->s.rflags >> 12) & 3;
}

#define X86_CR4_VME (1u << 0)
#define X86_CR4_PVI (1u << 1)

static void op_cli_sti(X86CPU *cpu, const X86DecodedInsn *insn)
{
    bool set = insn->op == X86_OP_STI;
    uint64_t bit = X86_FLAG_IF;
    bool pe = cpu->s.cr0 & X86_CR0_PE;
    bool v86 = cpu->s.rflags & X86_FLAG_VM;

    if (pe && (v86 ? iopl_of(cpu) < 3 : cpu->cpl > (int)iopl_of(cpu))) {
        bool virt = v86 ? (cpu->s.cr4 & X86_CR4_VME) : (cpu->cpl == 3 && (cpu->s.cr4 & X86_CR4_PVI));
        if (!virt || (set && (cpu->s.rflags & X86_FLAG_VIP))) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        bit = X86_FLAG_VIF;
    }
    if (set) {
        if (bit == X86_FLAG_IF && !(cpu->s.rflags & X86_FLAG_IF)) {
            cpu->inhibit_irq = true;
        }
        cpu->s.rflags |= bit;
    } else {
        cpu->s.rflags &= ~bit;
    }
}

/* ---- descriptor tables ---- */

static uint64_t ea_plus(const X86DecodedInsn *insn, uint64_t ea, uint64_t add)
{
    return trunc_bits(ea + add, insn->addrsize);
}

static void op_lgdt_lidt(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = exec_ea(cpu, insn);
    bool mode64 = cpu->code_mode == X86_MODE_64;
    uint16_t limit = (uint16_t)cpu_ld(cpu, insn->seg, ea, 2);
    uint64_t base = cpu_ld(cpu, insn->seg, ea_plus(insn, ea, 2), mode64 ? 8 : 4);
    if (!mode64 && insn->opsize == 16) {
        base &= 0xffffff;
    }
    X86DescTable *t = insn->op == X86_OP_LGDT ? &cpu->s.gdt : &cpu->s.idt;
    t->base = base;
    t->limit = limit;
}

static void op_sgdt_sidt(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = exec_ea(cpu, insn);
    bool mode64 = cpu->code_mode == X86_MODE_64;
    X86DescTable *t = insn->op == X86_OP_SGDT ? &cpu->s.gdt : &cpu->s.idt;
    cpu_st(cpu, insn->seg, ea, t->limit, 2);
    cpu_st(cpu, insn->seg, ea_plus(insn, ea, 2), t->base, mode64 ? 8 : 4);
}

/* SLDT/STR/SMSW: 16 bits to memory, the operand size to a register. */
static void store_ev16(X86CPU *cpu, const X86DecodedInsn *insn, uint64_t value)
{
    if (insn->mod != 3) {
        cpu_st(cpu, insn->seg, exec_ea(cpu, insn), value & 0xffff, 2);
    } else {
        reg_write(cpu, insn->rm, insn->opsize, value, insn->rex != 0);
    }
}

static void require_protected(X86CPU *cpu)
{
    if (!(cpu->s.cr0 & X86_CR0_PE) || (cpu->s.rflags & X86_FLAG_VM)) {
        cpu_raise(cpu, EXCP_UD);
    }
}

static void op_sldt_str(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    store_ev16(cpu, insn, insn->op == X86_OP_SLDT ? cpu->s.ldt.selector : cpu->s.tr.selector);
}

static void op_smsw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    store_ev16(cpu, insn, cpu->s.cr0);
}

/* Read a system descriptor (16 bytes in long mode) from the GDT; raises #GP(sel). */
static void read_system_desc(X86CPU *cpu, uint16_t sel, X86Segment *d, uint64_t *raw)
{
    if (sel & 4) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!seg_read_desc(cpu, sel, raw)) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    seg_decode(d, sel, *raw);
    if (cpu->long_mode) {
        if ((sel & 0xfff8) + 15u > cpu->s.gdt.limit) {
            cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
        }
        uint64_t hi = cpu_ld_linear(cpu, seg_desc_addr(cpu, sel) + 8, 8, false);
        d->base |= (hi & 0xffffffff) << 32;
    }
}

static void op_lldt(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    uint16_t sel = (uint16_t)exec_read(cpu, insn, 0);
    X86Segment d;
    uint64_t raw;
    if ((sel & ~3u) == 0) {
        seg_set_null(&cpu->s.ldt, sel);
        return;
    }
    read_system_desc(cpu, sel, &d, &raw);
    if (d.s || d.type != DESC_LDT) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!d.present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    cpu->s.ldt = d;
}

static void op_ltr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    uint16_t sel = (uint16_t)exec_read(cpu, insn, 0);
    X86Segment d;
    uint64_t raw;
    if ((sel & ~3u) == 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    read_system_desc(cpu, sel, &d, &raw);
    bool ok = !d.s && (d.type == DESC_TSS32_AVAIL || (!cpu->long_mode && d.type == DESC_TSS16_AVAIL));
    if (!ok) {
        cpu_raise_err(cpu, EXCP_GP, sel & 0xfffc);
    }
    if (!d.present) {
        cpu_raise_err(cpu, EXCP_NP, sel & 0xfffc);
    }
    /* mark busy in the GDT */
    cpu_st_linear(cpu, seg_desc_addr(cpu, sel) + 5, (uint8_t)(raw >> 40) | 2, 1, false);
    d.type |= 2;
    cpu->s.tr = d;
}

static void op_lmsw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t v = exec_read(cpu, insn, 0) & 0xf;
    uint64_t cr0 = cpu->s.cr0;
    cpu->s.cr0 = (cr0 & ~UINT64_C(0xe)) | v | (cr0 & X86_CR0_PE);
    cpu_update_mode(cpu);
}

static void op_clts(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.cr0 &= ~(uint64_t)X86_CR0_TS;
}

static void op_invlpg(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t ea = exec_ea(cpu, insn);
    uint64_t base = cpu->s.seg[insn->seg].base;
    if (cpu->code_mode == X86_MODE_64) {
        cpu_tlb_flush_page(cpu, (insn->seg == R_FS || insn->seg == R_GS) ? base + ea : ea);
    } else {
        cpu_tlb_flush_page(cpu, (base + ea) & 0xffffffff);
    }
}

/* ---- VERR / VERW / LAR / LSL / ARPL ---- */

static void set_zf(X86CPU *cpu, bool z)
{
    exec_set_flags(cpu, X86_FLAG_ZF, z ? X86_FLAG_ZF : 0);
}

/* Is `sel` visible at the CPL/RPL (privilege rule of VERR/VERW/LAR/LSL)? */
static bool seg_query(X86CPU *cpu, uint16_t sel, X86Segment *d, uint64_t *raw)
{
    if ((sel & ~3u) == 0 || !seg_read_desc(cpu, sel, raw)) {
        return false;
    }
    seg_decode(d, sel, *raw);
    if (desc_is_code(d) && desc_conforming(d)) {
        return true;
    }
    return d->dpl >= cpu->cpl && d->dpl >= (sel & 3u);
}

static void op_verr_verw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    uint16_t sel = (uint16_t)exec_read(cpu, insn, 0);
    X86Segment d;
    uint64_t raw;
    bool ok = seg_query(cpu, sel, &d, &raw) && d.s;
    if (ok) {
        ok = insn->op == X86_OP_VERR ? desc_readable(&d) : desc_writable_data(&d);
        if (insn->op == X86_OP_VERW && !(d.dpl >= cpu->cpl && d.dpl >= (sel & 3u))) {
            ok = false;
        }
    }
    set_zf(cpu, ok);
}

static void op_lar_lsl(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    uint16_t sel = (uint16_t)exec_read(cpu, insn, 1);
    X86Segment d;
    uint64_t raw;
    bool ok = seg_query(cpu, sel, &d, &raw);
    if (ok && !d.s) {
        bool lm = cpu->long_mode;
        switch (d.type) {
        case DESC_LDT: case DESC_TSS32_AVAIL: case DESC_TSS32_BUSY: break;
        case DESC_TSS16_AVAIL: case DESC_TSS16_BUSY: ok = !lm; break;
        case DESC_CALL16: case DESC_TASK: ok = !lm && insn->op == X86_OP_LAR; break;
        case DESC_CALL32: ok = insn->op == X86_OP_LAR; break;
        default: ok = false; break;
        }
    }
    if (ok) {
        uint64_t v = insn->op == X86_OP_LAR ? ((raw >> 32) & 0x00f0ff00) : d.limit;
        exec_write(cpu, insn, 0, v);
    }
    set_zf(cpu, ok);
}

static void op_arpl(X86CPU *cpu, const X86DecodedInsn *insn)
{
    require_protected(cpu);
    uint16_t dst = (uint16_t)exec_read(cpu, insn, 0);
    uint16_t src = (uint16_t)exec_read(cpu, insn, 1);
    if ((dst & 3) < (src & 3)) {
        exec_write(cpu, insn, 0, (dst & ~3u) | (src & 3u));
        set_zf(cpu, true);
    } else {
        set_zf(cpu, false);
    }
}

/* ---- control and debug registers ---- */

#define CR0_DEFINED (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | \
                     X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD |  \
                     X86_CR0_PG)
#define CR4_DEFINED 0x7ffu       /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */

static void write_cr0(X86CPU *cpu, uint64_t v)
{
    X86State *s = &cpu->s;
    uint64_t old = s->cr0;
    if (v >> 32) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    v = (v & CR0_DEFINED) | X86_CR0_ET;
    if (((v & X86_CR0_PG) && !(v & X86_CR0_PE)) || ((v & X86_CR0_NW) && !(v & X86_CR0_CD))) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if ((v & X86_CR0_PG) && !(old & X86_CR0_PG) && (s->efer & X86_EFER_LME)) {
        if (!(s->cr4 & X86_CR4_PAE) || s->seg[R_CS].l) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        s->efer |= X86_EFER_LMA;
    }
    if (!(v & X86_CR0_PG) && (old & X86_CR0_PG) && (s->efer & X86_EFER_LMA)) {
        if (cpu->code_mode == X86_MODE_64) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        s->efer &= ~(uint64_t)X86_EFER_LMA;
    }
    s->cr0 = v;
    if ((old ^ v) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)) {
        cpu_tlb_flush(cpu, true);
    }
    cpu_update_mode(cpu);
}

static void write_cr4(X86CPU *cpu, uint64_t v)
{
    X86State *s = &cpu->s;
    uint64_t old = s->cr4;
    if (v & ~(uint64_t)CR4_DEFINED) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if ((s->efer & X86_EFER_LMA) && !(v & X86_CR4_PAE)) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    s->cr4 = v;
    if ((old ^ v) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE)) {
        cpu_tlb_flush(cpu, true);
    }
}

static void op_mov_to_cr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = cpu->code_mode == X86_MODE_64 ? 64 : 32;
    uint64_t v = reg_read(cpu, insn->rm, bits, true);
    switch (insn->reg) {
    case 0: write_cr0(cpu, v); break;
    case 2: cpu->s.cr2 = v; break;
    case 3:
        if (cpu->long_mode && (v >> X86_MODEL_PHYS_BITS)) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        cpu->s.cr3 = v;
        cpu_tlb_flush(cpu, false);
        break;
    case 4: write_cr4(cpu, v); break;
    case 8:
        if (v & ~UINT64_C(0xf)) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        if (cpu->cr8_write) {
            cpu->cr8_write(cpu, v);
        } else {
            cpu->s.cr8 = v;
        }
        break;
    default:
        cpu_raise(cpu, EXCP_UD);
    }
}

static void op_mov_from_cr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = cpu->code_mode == X86_MODE_64 ? 64 : 32;
    uint64_t v;
    switch (insn->reg) {
    case 0: v = cpu->s.cr0; break;
    case 2: v = cpu->s.cr2; break;
    case 3: v = cpu->s.cr3; break;
    case 4: v = cpu->s.cr4; break;
    case 8: v = cpu->cr8_read ? cpu->cr8_read(cpu) : cpu->s.cr8; break;
    default: cpu_raise(cpu, EXCP_UD);
    }
    reg_write(cpu, insn->rm, bits, v, true);
}

static unsigned dr_index(X86CPU *cpu, unsigned n)
{
    if (n == 4 || n == 5) {
        if (cpu->s.cr4 & (1u << 3)) {        /* CR4.DE */
            cpu_raise(cpu, EXCP_UD);
        }
        return n + 2;
    }
    return n;
}

static void op_mov_dr(X86CPU *cpu, const X86DecodedInsn *insn)
{
    unsigned bits = cpu->code_mode == X86_MODE_64 ? 64 : 32;
    unsigned n = dr_index(cpu, insn->reg & 7);
    if (insn->op == X86_OP_MOV_FROM_DR) {
        reg_write(cpu, insn->rm, bits, cpu->s.dr[n], true);
        return;
    }
    uint64_t v = reg_read(cpu, insn->rm, bits, true);
    if (n >= 6 && (v >> 32)) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    if (n == 6) {
        v = (v & 0xe00f) | 0xffff0ff0;
    } else if (n == 7) {
        v = (v & 0xffff2bff) | 0x400;
    }
    cpu->s.dr[n] = v;
}

/* ---- fast system calls ---- */

static void set_flat(X86Segment *seg, uint16_t sel, bool code, bool lm, int dpl)
{
    x86_segment_set_flat(seg, sel, code, lm);
    seg->dpl = (uint8_t)dpl;
    seg->type |= 1;           /* accessed */
}

static void op_sysenter(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86State *s = &cpu->s;
    uint16_t cs = (uint16_t)msr_get(cpu, MSR_SYSENTER_CS);
    if (!(s->cr0 & X86_CR0_PE) || (cs & 0xfffc) == 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    bool lm = cpu->long_mode;
    s->rflags &= ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_RF);
    set_flat(&s->seg[R_SS], (uint16_t)((cs & 0xfffc) + 8), false, false, 0);
    set_flat(&s->seg[R_CS], cs & 0xfffc, true, lm, 0);
    uint64_t eip = msr_get(cpu, MSR_SYSENTER_EIP), esp = msr_get(cpu, MSR_SYSENTER_ESP);
    s->rip = lm ? eip : (uint32_t)eip;
    s->regs[R_ESP] = lm ? esp : (uint32_t)esp;
    cpu_update_mode(cpu);
}

static void op_sysexit(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86State *s = &cpu->s;
    uint16_t cs = (uint16_t)msr_get(cpu, MSR_SYSENTER_CS);
    if (!(s->cr0 & X86_CR0_PE) || (cs & 0xfffc) == 0 || cpu->cpl != 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    bool to64 = insn->opsize == 64;
    uint16_t ncs = (uint16_t)(((cs & 0xfffc) + (to64 ? 32 : 16)) | 3);
    set_flat(&s->seg[R_SS], (uint16_t)(ncs + 8), false, false, 3);
    set_flat(&s->seg[R_CS], ncs, true, to64, 3);
    s->rip = to64 ? s->regs[R_EDX] : (uint32_t)s->regs[R_EDX];
    s->regs[R_ESP] = to64 ? s->regs[R_ECX] : (uint32_t)s->regs[R_ECX];
    cpu_update_mode(cpu);
}

static void op_syscall(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86State *s = &cpu->s;
    if (!(s->efer & X86_EFER_SCE) || !(s->cr0 & X86_CR0_PE)) {
        cpu_raise(cpu, EXCP_UD);
    }
    uint64_t star = msr_get(cpu, MSR_STAR);
    uint16_t cs = (uint16_t)((star >> 32) & 0xfffc);
    uint64_t fl = cpu_get_rflags(cpu);
    if (cpu->long_mode) {
        s->regs[R_ECX] = s->rip;
        s->regs[R_R11] = fl & ~(uint64_t)X86_FLAG_RF;
        bool from64 = cpu->code_mode == X86_MODE_64;
        s->rip = msr_get(cpu, from64 ? MSR_LSTAR : MSR_CSTAR);
        s->rflags = (fl & ~msr_get(cpu, MSR_FMASK) & ~(uint64_t)X86_FLAG_RF) | 2;
        set_flat(&s->seg[R_CS], cs, true, true, 0);
    } else {
        s->regs[R_ECX] = (uint32_t)s->rip;
        s->rip = (uint32_t)star;
        s->rflags &= ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_RF);
        set_flat(&s->seg[R_CS], cs, true, false, 0);
    }
    set_flat(&s->seg[R_SS], (uint16_t)(cs + 8), false, false, 0);
    cpu_update_mode(cpu);
}

static void op_sysret(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86State *s = &cpu->s;
    if (!(s->efer & X86_EFER_SCE)) {
        cpu_raise(cpu, EXCP_UD);
    }
    if (!(s->cr0 & X86_CR0_PE) || cpu->cpl != 0) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint16_t base = (uint16_t)((msr_get(cpu, MSR_STAR) >> 48) & 0xfffc);
    if (cpu->long_mode) {
        bool to64 = insn->opsize == 64;
        uint64_t rip = to64 ? s->regs[R_ECX] : (uint32_t)s->regs[R_ECX];
        if ((uint64_t)((int64_t)(rip << 16) >> 16) != rip) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        cpu->cc_op = CC_OP_EFLAGS;
        s->rflags = (s->regs[R_R11] & 0x3c7fd7) | 2;
        set_flat(&s->seg[R_CS], (uint16_t)((to64 ? base + 16 : base) | 3), true, to64, 3);
        s->rip = rip;
    } else {
        s->rflags |= X86_FLAG_IF;
        set_flat(&s->seg[R_CS], (uint16_t)(base | 3), true, false, 3);
        s->rip = (uint32_t)s->regs[R_ECX];
    }
    set_flat(&s->seg[R_SS], (uint16_t)((base + 8) | 3), false, false, 3);
    cpu_update_mode(cpu);
}

static void op_swapgs(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t k = msr_get(cpu, MSR_KERNEL_GS_BASE);
    msr_put(cpu, MSR_KERNEL_GS_BASE, cpu->s.seg[R_GS].base);
    cpu->s.seg[R_GS].base = k;
}

/* ---- far transfers and interrupts ---- */

/* The selector:offset of a far JMP/CALL (Ap immediate or Mp memory). */
static void far_pointer(X86CPU *cpu, const X86DecodedInsn *insn, uint16_t *sel,
                        uint64_t *off)
{
    if (insn->operand[0] == X86_OPND_Ap) {
        *sel = insn->imm2;
        *off = insn->imm;
        return;
    }
    uint64_t ea = exec_ea(cpu, insn);
    unsigned size = insn->opsize / 8;
    *off = cpu_ld(cpu, insn->seg, ea, size);
    *sel = (uint16_t)cpu_ld(cpu, insn->seg, ea_plus(insn, ea, size), 2);
}

static void op_jmpf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint16_t sel;
    uint64_t off;
    far_pointer(cpu, insn, &sel, &off);
    excp_far_jmp(cpu, sel, off, insn->opsize);
}

static void op_callf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint16_t sel;
    uint64_t off;
    far_pointer(cpu, insn, &sel, &off);
    excp_far_call(cpu, sel, off, insn->opsize);
}

static void op_retf(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint16_t imm = insn->operand[0] == X86_OPND_Iw ? (uint16_t)insn->imm : 0;
    excp_far_ret(cpu, insn->opsize, imm);
}

static void op_iret(X86CPU *cpu, const X86DecodedInsn *insn)
{
    excp_iret(cpu, insn->opsize);
}

static void op_int(X86CPU *cpu, const X86DecodedInsn *insn)
{
    switch (insn->op) {
    case X86_OP_INT:
        excp_deliver(cpu, (int)(insn->imm & 0xff), EXCP_SRC_INTN, false, 0);
        break;
    case X86_OP_INT3:
        excp_deliver(cpu, EXCP_BP, EXCP_SRC_SOFT, false, 0);
        break;
    case X86_OP_INTO:
        if (cpu_get_rflags(cpu) & X86_FLAG_OF) {
            excp_deliver(cpu, EXCP_OF, EXCP_SRC_SOFT, false, 0);
        }
        break;
    default:
        excp_deliver(cpu, EXCP_DB, EXCP_SRC_INT1, false, 0);
        break;
    }
}

/* ---- registration ---- */

void exec_register_system(ExecFn *table)
{
    exec_register_io(table);
    static const struct { uint16_t op; ExecFn fn; } ops[] = {
        { X86_OP_LGDT, op_lgdt_lidt }, { X86_OP_LIDT, op_lgdt_lidt },
        { X86_OP_SGDT, op_sgdt_sidt }, { X86_OP_SIDT, op_sgdt_sidt },
        { X86_OP_SLDT, op_sldt_str }, { X86_OP_STR, op_sldt_str },
        { X86_OP_LLDT, op_lldt }, { X86_OP_LTR, op_ltr },
        { X86_OP_SMSW, op_smsw }, { X86_OP_LMSW, op_lmsw }, { X86_OP_CLTS, op_clts },
        { X86_OP_INVLPG, op_invlpg }, { X86_OP_VERR, op_verr_verw },
        { X86_OP_VERW, op_verr_verw }, { X86_OP_LAR, op_lar_lsl },
        { X86_OP_LSL, op_lar_lsl }, { X86_OP_ARPL, op_arpl },
        { X86_OP_MOV_TO_CR, op_mov_to_cr }, { X86_OP_MOV_FROM_CR, op_mov_from_cr },
        { X86_OP_MOV_TO_DR, op_mov_dr }, { X86_OP_MOV_FROM_DR, op_mov_dr },
        { X86_OP_RDMSR, op_rdmsr }, { X86_OP_WRMSR, op_wrmsr }, { X86_OP_CPUID, op_cpuid },
        { X86_OP_RDTSC, op_rdtsc }, { X86_OP_RDTSCP, op_rdtsc }, { X86_OP_RDPMC, op_gp0 },
        { X86_OP_HLT, op_hlt }, { X86_OP_CLI, op_cli_sti }, { X86_OP_STI, op_cli_sti },
        { X86_OP_WBINVD, op_nop }, { X86_OP_INVD, op_nop }, { X86_OP_UD2, op_ud },
        { X86_OP_RSM, op_ud },
        { X86_OP_SYSENTER, op_sysenter }, { X86_OP_SYSEXIT, op_sysexit },
        { X86_OP_SYSCALL, op_syscall }, { X86_OP_SYSRET, op_sysret },
        { X86_OP_SWAPGS, op_swapgs },
        { X86_OP_JMPF, op_jmpf }, { X86_OP_CALLF, op_callf }, { X86_OP_RETF, op_retf },
        { X86_OP_IRET, op_iret }, { X86_OP_INT, op_int }, { X86_OP_INT3, op_int },
        { X86_OP_INTO, op_int }, { X86_OP_INT1, op_int },
    };
    for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        table[ops[i].op] = ops[i].fn;
    }
    /* NOP-like forms the integer side may already have */
    static const uint16_t noplike[] = {
        X86_OP_NOP, X86_OP_PAUSE, X86_OP_PREFETCH, X86_OP_LFENCE, X86_OP_MFENCE,
        X86_OP_SFENCE,
    };
    for (unsigned i = 0; i < sizeof(noplike) / sizeof(noplike[0]); i++) {
        if (!table[noplike[i]]) {
            table[noplike[i]] = op_nop;
        }
    }
}
