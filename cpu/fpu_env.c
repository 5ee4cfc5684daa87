/*
 * x87 control and state instructions: FNINIT, FNCLEX, FNSTSW (AX and m16), FNSTCW,
 * FLDCW, FNSTENV/FLDENV and FNSAVE/FRSTOR in their four layouts (16- or 32-bit
 * operand size, real/V86 or protected mode), FWAIT, and FXSAVE/FXRSTOR (the 512-byte
 * area, 32-bit and REX.W 64-bit pointer forms, MXCSR and the XMM registers when
 * CR4.OSFXSR is set). The waiting forms (FINIT, FSTSW...) decode as FWAIT followed
 * by the no-wait instruction, so only the no-wait forms exist here.
 */
#include "cpu/fpu.h"

#include <string.h>

#define FXSAVE_MXCSR_MASK 0xffffu      /* DAZ supported, as the SSE unit has it */
#define FXSAVE_AREA 512

/* ---- memory blocks ---- */

static void write_block(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off,
                        const uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    while (i < n) {
        unsigned size = n - i >= 8 ? 8 : n - i >= 4 ? 4 : n - i >= 2 ? 2 : 1;
        uint64_t v = 0;
        memcpy(&v, buf + i, size);
        fpu_mem_st(cpu, insn, off + i, v, size);
        i += size;
    }
}

static void read_block(X86CPU *cpu, const X86DecodedInsn *insn, unsigned off,
                       uint8_t *buf, unsigned n)
{
    unsigned i = 0;
    while (i < n) {
        unsigned size = n - i >= 8 ? 8 : n - i >= 4 ? 4 : n - i >= 2 ? 2 : 1;
        uint64_t v = fpu_mem_ld(cpu, insn, off + i, size);
        memcpy(buf + i, &v, size);
        i += size;
    }
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

/* ---- FSTENV / FLDENV layouts ---- */

static bool env_real(X86CPU *cpu)
{
    return !(cpu->s.cr0 & X86_CR0_PE) || (cpu->s.rflags & X86_FLAG_VM);
}

static unsigned env_size(const X86DecodedInsn *insn)
{
    return insn->opsize == 16 ? 14 : 28;
}

/* Linear 32-bit pointer of a stored selector:offset pair (real-mode formats). */
static uint32_t ptr_linear(uint64_t p)
{
    return (uint32_t)((p >> 32) & 0xffff) * 16 + (uint32_t)p;
}

/* Build the environment image; returns its size (14 or 28). */
static unsigned env_build(X86CPU *cpu, const X86DecodedInsn *insn, uint8_t *out)
{
    X86FpuState *f = &cpu->s.fpu;
    bool real = env_real(cpu);
    uint32_t fip = (uint32_t)f->fip, fdp = (uint32_t)f->fdp;
    uint32_t fcs = (uint32_t)(f->fip >> 32) & 0xffff, fds = (uint32_t)(f->fdp >> 32) & 0xffff;
    uint32_t fop = f->fop & 0x7ff;

    if (cpu->code_mode == X86_MODE_64) {
        fcs = cpu->s.seg[R_CS].selector;
        fds = cpu->s.seg[R_DS].selector;
    }
    if (real) {
        fip = ptr_linear(f->fip);
        fdp = ptr_linear(f->fdp);
    }
    if (insn->opsize == 16) {
        put16(out + 0, f->fcw);
        put16(out + 2, f->fsw);
        put16(out + 4, fpu_tag_word(f));
        if (real) {
            put16(out + 6, fip);
            put16(out + 8, ((fip >> 16) & 0xf) << 12 | fop);
            put16(out + 10, fdp);
            put16(out + 12, ((fdp >> 16) & 0xf) << 12);
        } else {
            put16(out + 6, fip);
            put16(out + 8, fcs);
            put16(out + 10, fdp);
            put16(out + 12, fds);
        }
        return 14;
    }
    put32(out + 0, 0xffff0000u | f->fcw);
    put32(out + 4, 0xffff0000u | f->fsw);
    put32(out + 8, 0xffff0000u | fpu_tag_word(f));
    if (real) {
        put32(out + 12, 0xffff0000u | (fip & 0xffff));
        put32(out + 16, (fip >> 16) << 12 | fop);
        put32(out + 20, 0xffff0000u | (fdp & 0xffff));
        put32(out + 24, (fdp >> 16) << 12);
    } else {
        put32(out + 12, fip);
        put32(out + 16, fop << 16 | fcs);
        put32(out + 20, fdp);
        put32(out + 24, 0xffff0000u | fds);
    }
    return 28;
}

/* Load an environment image (fcw, fsw, tags, pointers). */
static void env_load(X86CPU *cpu, const X86DecodedInsn *insn, const uint8_t *in)
{
    X86FpuState *f = &cpu->s.fpu;
    bool real = env_real(cpu);
    uint32_t fcw, fsw, ftw, fip, fcs = 0, fdp, fds = 0, fop;

    if (insn->opsize == 16) {
        fcw = get16(in); fsw = get16(in + 2); ftw = get16(in + 4);
        fip = get16(in + 6);
        fdp = get16(in + 10);
        if (real) {
            fip |= (get16(in + 8) >> 12) << 16;
            fop = get16(in + 8) & 0x7ff;
            fdp |= (get16(in + 12) >> 12) << 16;
        } else {
            fcs = get16(in + 8);
            fds = get16(in + 12);
            fop = 0;
        }
    } else {
        fcw = get16(in); fsw = get16(in + 4); ftw = get16(in + 8);
        if (real) {
            fip = (get32(in + 12) & 0xffff) | (get32(in + 16) >> 12) << 16;
            fop = get32(in + 16) & 0x7ff;
            fdp = (get32(in + 20) & 0xffff) | (get32(in + 24) >> 12) << 16;
        } else {
            fip = get32(in + 12);
            fcs = get32(in + 16) & 0xffff;
            fop = (get32(in + 16) >> 16) & 0x7ff;
            fdp = get32(in + 20);
            fds = get16(in + 24);
        }
    }
    f->fcw = (uint16_t)((fcw & 0x1f3f) | 0x40);
    fpu_load_fsw(cpu, (uint16_t)fsw);
    f->ftw = fpu_abridge_tags((uint16_t)ftw);
    f->fop = (uint16_t)fop;
    f->fip = fip | (uint64_t)fcs << 32;
    f->fdp = fdp | (uint64_t)fds << 32;
}

static void op_fnstenv(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint8_t buf[28];
    fpu_prepare(cpu, false);
    unsigned n = env_build(cpu, insn, buf);
    write_block(cpu, insn, 0, buf, n);
    cpu->s.fpu.fcw |= FCW_EXC_MASK;
}

static void op_fldenv(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint8_t buf[28];
    fpu_prepare(cpu, true);
    read_block(cpu, insn, 0, buf, env_size(insn));
    env_load(cpu, insn, buf);
}

static void op_fnsave(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    uint8_t buf[28 + 80];
    fpu_prepare(cpu, false);
    unsigned n = env_build(cpu, insn, buf);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(buf + n + 10 * i, f->st[i], 10);
    }
    write_block(cpu, insn, 0, buf, n + 80);
    bool es = (f->fsw & FSW_ES) != 0;
    fpu_reset(f);
    f->fsw |= es ? FSW_ES : 0;      /* so FERR# is released below */
    fpu_update_es(cpu);
}

static void op_frstor(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    uint8_t buf[28 + 80];
    unsigned n = env_size(insn);
    fpu_prepare(cpu, true);
    read_block(cpu, insn, 0, buf, n + 80);
    env_load(cpu, insn, buf);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(f->st[i], buf + n + 10 * i, 10);
        memset(f->st[i] + 10, 0, 6);
    }
}

/* ---- control and status words ---- */

static void op_fninit(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    fpu_prepare(cpu, false);
    bool es = (f->fsw & FSW_ES) != 0;
    fpu_reset(f);
    f->fsw |= es ? FSW_ES : 0;
    fpu_update_es(cpu);
}

static void op_fnclex(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fpu_prepare(cpu, false);
    cpu->s.fpu.fsw &= (uint16_t)~(FSW_EXC | FSW_SF);
    fpu_update_es(cpu);
}

static void op_fnstsw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fpu_prepare(cpu, false);
    if (insn->operand[0] == X86_OPND_AX) {
        reg_write(cpu, R_EAX, 16, cpu->s.fpu.fsw, true);
    } else {
        fpu_mem_st(cpu, insn, 0, cpu->s.fpu.fsw, 2);
    }
}

static void op_fnstcw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fpu_prepare(cpu, false);
    fpu_mem_st(cpu, insn, 0, cpu->s.fpu.fcw, 2);
}

static void op_fldcw(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fpu_prepare(cpu, true);
    uint16_t v = (uint16_t)fpu_mem_ld(cpu, insn, 0, 2);
    cpu->s.fpu.fcw = (uint16_t)((v & 0x1f3f) | 0x40);
    fpu_update_es(cpu);
}

static void op_fwait(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t cr0 = cpu->s.cr0;
    if ((cr0 & X86_CR0_TS) && (cr0 & X86_CR0_MP)) {
        cpu_raise(cpu, EXCP_NM);
    }
    if ((cpu->s.fpu.fsw & FSW_ES) && (cr0 & X86_CR0_NE)) {
        cpu_raise(cpu, EXCP_MF);
    }
}

/* ---- FXSAVE / FXRSTOR ---- */

static unsigned fx_xmm_count(X86CPU *cpu)
{
    if (!(cpu->s.cr4 & X86_CR4_OSFXSR)) {
        return 0;
    }
    return cpu->code_mode == X86_MODE_64 ? 16 : 8;
}

/* #NM with CR0.EM/TS, #GP(0) unless the area's linear address is 16-byte aligned. */
static void fx_check(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fpu_prepare(cpu, false);
    uint64_t base = cpu->s.seg[insn->seg % SEG_COUNT].base;
    if (cpu->code_mode == X86_MODE_64 && insn->seg != R_FS && insn->seg != R_GS) {
        base = 0;
    }
    if ((base + exec_ea(cpu, insn)) & 15) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
}

static bool fx_wide(X86CPU *cpu, const X86DecodedInsn *insn)
{
    return cpu->code_mode == X86_MODE_64 && (insn->rex & X86_REX_W);
}

static void op_fxsave(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    uint8_t buf[FXSAVE_AREA];
    unsigned nxmm;

    fx_check(cpu, insn);
    memset(buf, 0, sizeof(buf));
    put16(buf + 0, f->fcw);
    put16(buf + 2, f->fsw);
    buf[4] = f->ftw;
    put16(buf + 6, f->fop & 0x7ff);
    if (fx_wide(cpu, insn)) {
        memcpy(buf + 8, &f->fip, 8);
        memcpy(buf + 16, &f->fdp, 8);
    } else if (cpu->code_mode == X86_MODE_64) {
        put32(buf + 8, (uint32_t)f->fip);
        put16(buf + 12, cpu->s.seg[R_CS].selector);
        put32(buf + 16, (uint32_t)f->fdp);
        put16(buf + 20, cpu->s.seg[R_DS].selector);
    } else {
        put32(buf + 8, (uint32_t)f->fip);
        put16(buf + 12, (uint32_t)(f->fip >> 32));
        put32(buf + 16, (uint32_t)f->fdp);
        put16(buf + 20, (uint32_t)(f->fdp >> 32));
    }
    put32(buf + 24, f->mxcsr);
    put32(buf + 28, FXSAVE_MXCSR_MASK);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(buf + 32 + 16 * i, f->st[i], 10);
    }
    nxmm = fx_xmm_count(cpu);
    for (unsigned i = 0; i < nxmm; i++) {
        memcpy(buf + 160 + 16 * i, f->xmm[i], 16);
    }
    write_block(cpu, insn, 0, buf, 160 + 16 * nxmm);
}

static void op_fxrstor(X86CPU *cpu, const X86DecodedInsn *insn)
{
    X86FpuState *f = &cpu->s.fpu;
    uint8_t buf[FXSAVE_AREA];
    unsigned nxmm = fx_xmm_count(cpu);

    fx_check(cpu, insn);
    read_block(cpu, insn, 0, buf, 160 + 16 * nxmm);
    uint32_t mxcsr = get32(buf + 24);
    if (mxcsr & ~FXSAVE_MXCSR_MASK) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    f->fcw = (uint16_t)((get16(buf) & 0x1f3f) | 0x40);
    fpu_load_fsw(cpu, (uint16_t)get16(buf + 2));
    f->ftw = buf[4];
    f->fop = (uint16_t)(get16(buf + 6) & 0x7ff);
    if (fx_wide(cpu, insn)) {
        memcpy(&f->fip, buf + 8, 8);
        memcpy(&f->fdp, buf + 16, 8);
    } else {
        f->fip = get32(buf + 8) | (uint64_t)get16(buf + 12) << 32;
        f->fdp = get32(buf + 16) | (uint64_t)get16(buf + 20) << 32;
    }
    for (unsigned i = 0; i < 8; i++) {
        memcpy(f->st[i], buf + 32 + 16 * i, 10);
        memset(f->st[i] + 10, 0, 6);
    }
    f->mxcsr = mxcsr;
    for (unsigned i = 0; i < nxmm; i++) {
        memcpy(f->xmm[i], buf + 160 + 16 * i, 16);
    }
    fpu_update_es(cpu);
}

void fpu_env_register(ExecFn *table)
{
    table[X86_OP_FNSTENV] = op_fnstenv;
    table[X86_OP_FLDENV] = op_fldenv;
    table[X86_OP_FNSAVE] = op_fnsave;
    table[X86_OP_FRSTOR] = op_frstor;
    table[X86_OP_FNINIT] = op_fninit;
    table[X86_OP_FNCLEX] = op_fnclex;
    table[X86_OP_FNSTSW] = op_fnstsw;
    table[X86_OP_FNSTCW] = op_fnstcw;
    table[X86_OP_FLDCW] = op_fldcw;
    table[X86_OP_FWAIT] = op_fwait;
    table[X86_OP_FXSAVE] = op_fxsave;
    table[X86_OP_FXRSTOR] = op_fxrstor;
}
