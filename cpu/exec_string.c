/*
 * String instruction handlers: MOVS STOS LODS CMPS SCAS INS OUTS, with REP and
 * REPE/REPNE.
 *
 * rSI, rDI and rCX are used at the address size; the source (X operand) honours a
 * segment override, the destination is always ES:rDI. DF selects the direction.
 * A REP loop commits rCX/rSI/rDI after every element, so a fault in the middle
 * restarts the instruction with the remaining count. Long loops run in chunks:
 * after STRING_CHUNK elements, or when an interrupt the CPU could take is pending,
 * the handler rewinds RIP to the instruction and returns, giving the run loop an
 * interrupt window; the next execution continues where it stopped. Forward REP
 * MOVS/STOS in 64-bit mode move whole page chunks on host memory when the TLB allows
 * (str_bulk).
 */
#include "cpu/exec.h"

#include <stdatomic.h>
#include <string.h>

#define STRING_CHUNK 1024

typedef enum StrOp { STR_MOVS, STR_STOS, STR_LODS, STR_CMPS, STR_SCAS, STR_INS,
                     STR_OUTS } StrOp;

static inline int64_t str_delta(X86CPU *cpu, unsigned bytes)
{
    return (cpu->s.rflags & X86_FLAG_DF) ? -(int64_t)bytes : (int64_t)bytes;
}

static inline void advance(X86CPU *cpu, const X86DecodedInsn *insn, int reg, int64_t delta)
{
    exec_set_addr_reg(cpu, insn, reg, exec_addr_reg(cpu, insn, reg) + (uint64_t)delta);
}

/* One element; returns true when the compared values were equal (CMPS/SCAS). */
static bool str_element(X86CPU *cpu, const X86DecodedInsn *insn, StrOp op, unsigned bits)
{
    unsigned bytes = bits / 8;
    int64_t delta = str_delta(cpu, bytes);
    uint64_t a, b;

    switch (op) {
    case STR_MOVS:
        a = cpu_ld(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), bytes);
        cpu_st(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI), a, bytes);
        advance(cpu, insn, R_ESI, delta);
        advance(cpu, insn, R_EDI, delta);
        return false;
    case STR_STOS:
        cpu_st(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI),
               reg_read(cpu, R_EAX, bits, true), bytes);
        advance(cpu, insn, R_EDI, delta);
        return false;
    case STR_LODS:
        a = cpu_ld(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), bytes);
        reg_write(cpu, R_EAX, bits, a, true);
        advance(cpu, insn, R_ESI, delta);
        return false;
    case STR_CMPS:
        a = cpu_ld(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), bytes);
        b = cpu_ld(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI), bytes);
        advance(cpu, insn, R_ESI, delta);
        advance(cpu, insn, R_EDI, delta);
        cpu_set_cc(cpu, CC_OP_SUB, bits, trunc_bits(a - b, bits), b, a);
        return a == b;
    case STR_SCAS:
        a = reg_read(cpu, R_EAX, bits, true);
        b = cpu_ld(cpu, R_ES, exec_addr_reg(cpu, insn, R_EDI), bytes);
        advance(cpu, insn, R_EDI, delta);
        cpu_set_cc(cpu, CC_OP_SUB, bits, trunc_bits(a - b, bits), b, a);
        return a == b;
    case STR_INS: {
        uint64_t addr = exec_addr_reg(cpu, insn, R_EDI);
        /* Probe the destination before reading the port: a #PF here must not
         * consume device data that the restarted instruction would read again. */
        cpu_st(cpu, R_ES, addr, 0, bytes);
        a = cpu_port_in(cpu, (uint16_t)cpu->s.regs[R_EDX], bytes);
        cpu_st(cpu, R_ES, addr, a, bytes);
        advance(cpu, insn, R_EDI, delta);
        return false;
    }
    case STR_OUTS:
        a = cpu_ld(cpu, insn->seg, exec_addr_reg(cpu, insn, R_ESI), bytes);
        cpu_port_out(cpu, (uint16_t)cpu->s.regs[R_EDX], (uint32_t)a, bytes);
        advance(cpu, insn, R_ESI, delta);
        return false;
    }
    return false;
}

/* Should a REP loop stop to let the run loop look at a pending event? */
static bool str_should_yield(X86CPU *cpu, unsigned done)
{
    if (done >= STRING_CHUNK) {
        return true;
    }
    int req = atomic_load_explicit(&cpu->interrupt_request, memory_order_relaxed);
    if (!req) {
        return false;
    }
    if (req & ~CPU_INTERRUPT_HARD) {
        return true;
    }
    return (cpu->s.rflags & X86_FLAG_IF) != 0;   /* a maskable one is takeable */
}

/* REP MOVS/STOS going forward in 64-bit mode with 64-bit addresses: a page at a time
 * straight on host memory while both sides hit the TLB on plain RAM (cpu_ram_fast:
 * write permission, no MMIO/ROM/code page, no FS/GS base). Registers are committed
 * after every chunk, as the element loop does after every element. An overlapping
 * MOVS with the destination above the source (where element order shows) is left to
 * the element loop. Returns the count left for it; *done counts elements moved. */
#define STRING_BULK_CHUNK (64u * 1024u)

static uint64_t str_bulk(X86CPU *cpu, const X86DecodedInsn *insn, StrOp op,
                         unsigned bits, uint64_t count, unsigned *done)
{
    unsigned bytes = bits / 8;
    uint64_t value = op == STR_STOS ? reg_read(cpu, R_EAX, bits, true) : 0;

    while (count != 0 && *done < STRING_BULK_CHUNK) {
        uint64_t di = cpu->s.regs[R_EDI], si = cpu->s.regs[R_ESI];
        uint64_t n = (4096 - (di & 0xfff)) / bytes;
        if (op == STR_MOVS) {
            uint64_t ns = (4096 - (si & 0xfff)) / bytes;
            n = ns < n ? ns : n;
        }
        n = n < count ? n : count;
        if (n == 0) {
            break;                      /* an element straddles a page: element loop */
        }
        size_t len = (size_t)n * bytes;
        uint8_t *dst = cpu_ram_fast(cpu, R_ES, di, (unsigned)len, true);
        if (!dst) {
            break;
        }
        if (op == STR_STOS) {
            if (bytes == 1) {
                memset(dst, (int)(value & 0xff), len);
            } else {
                for (size_t i = 0; i < len; i += bytes) {
                    memcpy(dst + i, &value, bytes);
                }
            }
        } else {
            const uint8_t *src = cpu_ram_fast(cpu, insn->seg, si, (unsigned)len, false);
            if (!src || (dst > src && dst < src + len)) {
                break;
            }
            memmove(dst, src, len);     /* no overlap, or dst below src: the same bytes
                                           as the element order */
            cpu->s.regs[R_ESI] = si + len;
        }
        cpu->s.regs[R_EDI] = di + len;
        count -= n;
        cpu->s.regs[R_ECX] = count;
        *done += (unsigned)n;
    }
    return count;
}

static void str_run(X86CPU *cpu, const X86DecodedInsn *insn, StrOp op)
{
    unsigned bits = insn->opsize;
    bool conditional = op == STR_CMPS || op == STR_SCAS;

    if ((op == STR_INS || op == STR_OUTS) && bits > 32) {
        bits = 32;
    }
    if (!(insn->prefixes & (X86_PFX_REP | X86_PFX_REPNE))) {
        str_element(cpu, insn, op, bits);
        return;
    }
    /* F3 is REPE and F2 REPNE for CMPS/SCAS; either is plain REP for the others. */
    bool stop_when_equal = conditional && (insn->prefixes & X86_PFX_REPNE);
    bool stop_when_diff = conditional && !(insn->prefixes & X86_PFX_REPNE);
    uint64_t count = exec_addr_reg(cpu, insn, R_ECX);
    unsigned done = 0;

    if ((op == STR_MOVS || op == STR_STOS) && cpu->code_mode == X86_MODE_64 &&
        insn->addrsize == 64 && !(cpu->s.rflags & X86_FLAG_DF)) {
        count = str_bulk(cpu, insn, op, bits, count, &done);
        if (count == 0) {
            return;
        }
        if (done >= STRING_BULK_CHUNK || (done && str_should_yield(cpu, 0))) {
            cpu->s.rip = cpu->insn_rip;          /* restart to continue the loop */
            return;
        }
        done = 0;
    }

    while (count != 0) {
        bool eq = str_element(cpu, insn, op, bits);
        count = trunc_bits(count - 1, insn->addrsize);
        exec_set_addr_reg(cpu, insn, R_ECX, count);
        if ((stop_when_equal && eq) || (stop_when_diff && !eq) || count == 0) {
            return;
        }
        if (str_should_yield(cpu, ++done)) {
            cpu->s.rip = cpu->insn_rip;      /* restart to continue the loop */
            return;
        }
    }
}

static void exec_movs(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_MOVS); }
static void exec_stos(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_STOS); }
static void exec_lods(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_LODS); }
static void exec_cmps(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_CMPS); }
static void exec_scas(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_SCAS); }
static void exec_ins(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_INS); }
static void exec_outs(X86CPU *cpu, const X86DecodedInsn *insn) { str_run(cpu, insn, STR_OUTS); }

void exec_register_string(ExecFn *table)
{
    table[X86_OP_MOVS] = exec_movs;
    table[X86_OP_STOS] = exec_stos;
    table[X86_OP_LODS] = exec_lods;
    table[X86_OP_CMPS] = exec_cmps;
    table[X86_OP_SCAS] = exec_scas;
    table[X86_OP_INS] = exec_ins;
    table[X86_OP_OUTS] = exec_outs;
}
