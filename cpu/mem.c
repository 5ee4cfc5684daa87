/*
 * Segmented memory accesses (segment usability, read/write rights, expand-up and
 * expand-down limits, canonical checks in 64-bit mode) and port I/O with the IOPL
 * and TSS I/O-permission-bitmap check.
 */
#include "cpu/cpu.h"

#include "system/log.h"

static inline bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

_Noreturn static void seg_fault(X86CPU *cpu, int seg)
{
    cpu_raise_err(cpu, seg == R_SS ? EXCP_SS : EXCP_GP, 0);
}

/* Linear address of seg:offset for an access of `size` bytes, after the checks. */
static uint64_t seg_linear(X86CPU *cpu, int seg, uint64_t offset, unsigned size,
                           bool write)
{
    const X86Segment *sg = &cpu->s.seg[seg];

    if (cpu->code_mode == X86_MODE_64) {
        uint64_t linear = offset + ((seg == R_FS || seg == R_GS) ? sg->base : 0);
        if (!is_canonical(linear) || !is_canonical(linear + size - 1)) {
            seg_fault(cpu, seg);
        }
        return linear;
    }
    if (cpu->s.cr0 & X86_CR0_PE) {
        if (sg->unusable || !sg->present) {
            seg_fault(cpu, seg);
        }
        if (sg->s) {
            bool code = sg->type & 8;
            if (write && (code || !(sg->type & 2))) {
                seg_fault(cpu, seg);
            }
            if (!write && code && !(sg->type & 2)) {
                seg_fault(cpu, seg);
            }
        }
    }
    uint64_t last = offset + size - 1;
    if (!(sg->type & 8) && (sg->type & 4)) {
        /* expand-down data: valid offsets are limit+1 .. 0xffff or 0xffffffff */
        uint64_t top = sg->db ? 0xffffffffull : 0xffffull;
        if (offset <= sg->limit || last > top) {
            seg_fault(cpu, seg);
        }
    } else if (last > sg->limit) {
        seg_fault(cpu, seg);
    }
    return (sg->base + offset) & 0xffffffffull;
}

uint64_t cpu_ld_slow(X86CPU *cpu, int seg, uint64_t offset, unsigned size)
{
    uint64_t linear = seg_linear(cpu, seg, offset, size, false);
    return cpu_ld_linear(cpu, linear, size, cpu->cpl == 3);
}

void cpu_st_slow(X86CPU *cpu, int seg, uint64_t offset, uint64_t value, unsigned size)
{
    uint64_t linear = seg_linear(cpu, seg, offset, size, true);
    cpu_st_linear(cpu, linear, value, size, cpu->cpl == 3);
}

/* ---- port I/O ---- */

/* Does the TSS bitmap allow ports port..port+size-1? (#GP(0) if not) */
static void io_permission_check(X86CPU *cpu, uint16_t port, unsigned size)
{
    const X86Segment *tr = &cpu->s.tr;
    unsigned iopl = (cpu->s.rflags >> 12) & 3;

    if (!(cpu->s.cr0 & X86_CR0_PE)) {
        return;
    }
    if (!(cpu->s.rflags & X86_FLAG_VM) && cpu->cpl <= (int)iopl) {
        return;
    }
    /* only a 32/64-bit TSS has a bitmap */
    if (!tr->present || (tr->type & ~2) != 9 || tr->limit < 0x67) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint32_t bitmap = (uint32_t)cpu_ld_linear(cpu, tr->base + 0x66, 2, false);
    uint32_t byte = bitmap + port / 8;
    if ((uint64_t)byte + 1 > tr->limit) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint32_t bits = (uint32_t)cpu_ld_linear(cpu, tr->base + byte, 2, false);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
}

uint32_t cpu_port_in(X86CPU *cpu, uint16_t port, unsigned size)
{
    io_permission_check(cpu, port, size);
    return (uint32_t)address_space_ld(cpu->io, port, size);
}

void cpu_port_out(X86CPU *cpu, uint16_t port, uint32_t value, unsigned size)
{
    io_permission_check(cpu, port, size);
    address_space_st(cpu->io, port, value, size);
}
