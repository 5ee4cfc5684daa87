/*
 * The interpreter CPU's core state helpers: reset, the mode (CPL, code size, long
 * mode) derived from the control registers and segments, raising faults (a longjmp
 * back to the run loop), and the lazy arithmetic flags.
 */
#include "cpu/cpu.h"

#include <string.h>

#include "cpu/models.h"

/* ---- modes ---- */

void cpu_update_mode(X86CPU *cpu)
{
    X86State *s = &cpu->s;

    cpu->long_mode = (s->efer & X86_EFER_LMA) != 0;
    if (!(s->cr0 & X86_CR0_PE)) {
        cpu->cpl = 0;
        cpu->code_mode = s->seg[R_CS].db ? X86_MODE_32 : X86_MODE_16;
    } else if (s->rflags & X86_FLAG_VM) {
        cpu->cpl = 3;
        cpu->code_mode = X86_MODE_16;
    } else {
        /* CPL is kept in SS.DPL (as KVM does): the transfers keep them equal. */
        cpu->cpl = s->seg[R_SS].dpl;
        if (cpu->long_mode && s->seg[R_CS].l) {
            cpu->code_mode = X86_MODE_64;
        } else {
            cpu->code_mode = s->seg[R_CS].db ? X86_MODE_32 : X86_MODE_16;
        }
    }
}

void cpu_reset(X86CPU *cpu)
{
    x86_state_reset(&cpu->s);
    if (cpu->model) {
        const X86CpuModel *m = cpu->model;
        uint32_t fam = m->family > 15 ? 15 : m->family;
        uint32_t ext_fam = m->family > 15 ? m->family - 15 : 0;
        cpu->s.regs[R_EDX] = (ext_fam << 20) | ((m->model >> 4) << 16) | (fam << 8) |
                             ((m->model & 15) << 4) | (m->stepping & 15);
    }
    cpu->s.apic_base = 0xfee00000ull | (1ull << 11) | (cpu->index == 0 ? 1ull << 8 : 0);
    cpu->apic_base = 0xfee00000ull;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->halted = false;
    cpu->inhibit_irq = false;
    cpu->wait_for_sipi = false;
    cpu->fault_depth = 0;
    cpu->excp_ext = false;
    cpu->nmi_blocked = false;
    cpu->triple_fault = false;
    if (cpu->a20_mask == 0) {
        cpu->a20_mask = ~UINT64_C(0);
    }
    cpu_tlb_flush_all_mappings(cpu);
    cpu_update_mode(cpu);
}

/* ---- faults ---- */

static bool vector_has_error_code(int vector)
{
    return vector == EXCP_DF || (vector >= EXCP_TS && vector <= EXCP_PF) ||
           vector == EXCP_AC;
}

_Noreturn void cpu_raise_err(X86CPU *cpu, int vector, uint32_t error_code)
{
    cpu->excp_vector = vector;
    cpu->excp_error = error_code;
    cpu->excp_has_error = vector_has_error_code(vector);
    longjmp(cpu->fault_env, 1);
}

_Noreturn void cpu_raise(X86CPU *cpu, int vector)
{
    cpu_raise_err(cpu, vector, 0);
}

_Noreturn void cpu_raise_pf(X86CPU *cpu, uint64_t linear, uint32_t error_code)
{
    cpu->s.cr2 = linear;
    cpu_raise_err(cpu, EXCP_PF, error_code);
}

/* ---- lazy flags ---- */

static inline uint64_t size_mask(unsigned bits)
{
    return bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << bits) - 1;
}

static inline bool parity_even(uint64_t v)
{
    return !__builtin_parity((unsigned)(v & 0xff));
}

/* The six arithmetic flags of the recorded operation. */
static uint64_t cc_compute(const X86CPU *cpu)
{
    unsigned bits = cpu->cc_size ? cpu->cc_size : 32;
    uint64_t mask = size_mask(bits);
    uint64_t sign = UINT64_C(1) << (bits - 1);
    uint64_t dst = cpu->cc_dst & mask, src = cpu->cc_src & mask, src2 = cpu->cc_src2 & mask;
    bool cf = false, of = false, af = false;
    uint64_t cin;

    switch (cpu->cc_op) {
    case CC_OP_ADD:
        cf = dst < src2;
        of = ((src2 ^ ~src) & (src2 ^ dst) & sign) != 0;
        af = ((src2 ^ src ^ dst) & 0x10) != 0;
        break;
    case CC_OP_ADC:
        cin = (dst - src2 - src) & mask;
        cf = cin ? dst <= src2 : dst < src2;
        of = ((src2 ^ ~src) & (src2 ^ dst) & sign) != 0;
        af = ((src2 ^ src ^ dst) & 0x10) != 0;
        break;
    case CC_OP_SUB:
        cf = src2 < src;
        of = ((src2 ^ src) & (src2 ^ dst) & sign) != 0;
        af = ((src2 ^ src ^ dst) & 0x10) != 0;
        break;
    case CC_OP_SBB:
        cin = (src2 - src - dst) & mask;
        cf = cin ? src2 <= src : src2 < src;
        of = ((src2 ^ src) & (src2 ^ dst) & sign) != 0;
        af = ((src2 ^ src ^ dst) & 0x10) != 0;
        break;
    case CC_OP_LOGIC:
        break;
    case CC_OP_INC:
        cf = src & 1;
        of = dst == sign;
        af = (dst & 0xf) == 0;
        break;
    case CC_OP_DEC:
        cf = src & 1;
        of = dst == sign - 1;
        af = (dst & 0xf) == 0xf;
        break;
    case CC_OP_SHL:
        cf = src <= bits && src ? (src2 >> (bits - src)) & 1 : 0;
        of = cf ^ ((dst & sign) != 0);
        break;
    case CC_OP_SHR:
        cf = src ? (src >= 64 ? 0 : (src2 >> (src - 1)) & 1) : 0;
        of = (src2 & sign) != 0;
        break;
    case CC_OP_SAR: {
        int64_t v = (bits >= 64) ? (int64_t)src2 : ((int64_t)(src2 << (64 - bits)) >> (64 - bits));
        unsigned sh = src ? (unsigned)(src - 1) : 0;
        cf = src ? ((v >> (sh > 63 ? 63 : sh)) & 1) : 0;
        of = false;
        break;
    }
    case CC_OP_MUL:
    case CC_OP_IMUL:
        cf = of = cpu->cc_src != 0;
        break;
    default:
        return cpu->s.rflags & X86_ARITH_FLAGS;
    }
    return (cf ? X86_FLAG_CF : 0) | (parity_even(dst) ? X86_FLAG_PF : 0) |
           (af ? X86_FLAG_AF : 0) | (dst == 0 ? X86_FLAG_ZF : 0) |
           ((dst & sign) ? X86_FLAG_SF : 0) | (of ? X86_FLAG_OF : 0);
}

uint64_t cpu_get_rflags(X86CPU *cpu)
{
    if (cpu->cc_op != CC_OP_EFLAGS) {
        cpu->s.rflags = (cpu->s.rflags & ~(uint64_t)X86_ARITH_FLAGS) | cc_compute(cpu);
        cpu->cc_op = CC_OP_EFLAGS;
    }
    return cpu->s.rflags | 2;
}

/* Bits that exist in RFLAGS (everything else reads as zero, bit 1 as one). */
#define RFLAGS_DEFINED (X86_ARITH_FLAGS | X86_FLAG_TF | X86_FLAG_IF | X86_FLAG_DF | \
                        X86_FLAG_IOPL | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM |   \
                        X86_FLAG_AC | X86_FLAG_VIF | X86_FLAG_VIP | X86_FLAG_ID)

void cpu_set_rflags(X86CPU *cpu, uint64_t value, uint64_t writable_mask)
{
    uint64_t old = cpu_get_rflags(cpu);
    uint64_t mask = writable_mask & RFLAGS_DEFINED;
    cpu->s.rflags = ((old & ~mask) | (value & mask)) | 2;
    if ((old ^ cpu->s.rflags) & X86_FLAG_VM) {
        cpu_update_mode(cpu);
    }
}

uint64_t cpu_popf_mask(X86CPU *cpu, unsigned opbits)
{
    uint64_t mask = X86_ARITH_FLAGS | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT |
                    X86_FLAG_AC | X86_FLAG_ID;
    unsigned iopl = (cpu->s.rflags >> 12) & 3;

    if (cpu->s.rflags & X86_FLAG_VM) {
        if (iopl < 3) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        mask |= X86_FLAG_IF;
    } else {
        if (cpu->cpl == 0) {
            mask |= X86_FLAG_IOPL;
        }
        if (cpu->cpl <= (int)iopl) {
            mask |= X86_FLAG_IF;
        }
    }
    if (opbits == 16) {
        mask &= 0xffff;
    }
    return mask;
}

bool cpu_cond(X86CPU *cpu, unsigned cc)
{
    uint64_t f = cpu_get_rflags(cpu);
    bool r;

    switch ((cc >> 1) & 7) {
    case 0: r = f & X86_FLAG_OF; break;
    case 1: r = f & X86_FLAG_CF; break;
    case 2: r = f & X86_FLAG_ZF; break;
    case 3: r = f & (X86_FLAG_CF | X86_FLAG_ZF); break;
    case 4: r = f & X86_FLAG_SF; break;
    case 5: r = f & X86_FLAG_PF; break;
    case 6: r = !(f & X86_FLAG_SF) != !(f & X86_FLAG_OF); break;
    default: r = (f & X86_FLAG_ZF) || (!(f & X86_FLAG_SF) != !(f & X86_FLAG_OF)); break;
    }
    return (cc & 1) ? !r : r;
}

/* ---- features ---- */

bool cpu_has_feature(X86CPU *cpu, unsigned feature)
{
    const X86CpuModel *m = cpu->model;

    if (feature == X86_FEAT_BASE) {
        return true;
    }
    if (!m) {
        return feature <= X86_FEAT_CX16;
    }
    switch (feature) {
    case X86_FEAT_FPU: return m->features_edx & CPUID_1_EDX_FPU;
    case X86_FEAT_MMX: return m->features_edx & CPUID_1_EDX_MMX;
    case X86_FEAT_SSE: return m->features_edx & CPUID_1_EDX_SSE;
    case X86_FEAT_SSE2: return m->features_edx & CPUID_1_EDX_SSE2;
    case X86_FEAT_CMOV: return m->features_edx & CPUID_1_EDX_CMOV;
    case X86_FEAT_CX8: return m->features_edx & CPUID_1_EDX_CX8;
    case X86_FEAT_TSC: return m->features_edx & CPUID_1_EDX_TSC;
    case X86_FEAT_MSR: return m->features_edx & CPUID_1_EDX_MSR;
    case X86_FEAT_SEP: return m->features_edx & CPUID_1_EDX_SEP;
    case X86_FEAT_FXSR: return m->features_edx & CPUID_1_EDX_FXSR;
    case X86_FEAT_CLFLUSH: return m->features_edx & CPUID_1_EDX_CLFSH;
    case X86_FEAT_SYSCALL: return m->ext_features_edx & CPUID_EXT_EDX_SYSCALL;
    case X86_FEAT_LM: return m->ext_features_edx & CPUID_EXT_EDX_LM;
    case X86_FEAT_CX16: return m->features_ecx & CPUID_1_ECX_CX16;
    case X86_FEAT_RDTSCP: return m->ext_features_edx & CPUID_EXT_EDX_RDTSCP;
    case X86_FEAT_SSE3: return m->features_ecx & CPUID_1_ECX_SSE3;
    case X86_FEAT_POPCNT: return m->features_ecx & CPUID_1_ECX_POPCNT;
    default: return false;
    }
}
