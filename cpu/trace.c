/*
 * Instruction tracing (-d in_asm, -d cpu, -d exec) for the interpreter: capstone
 * disassembly of each executed instruction, register dumps and address lines,
 * written to the log. Capstone handles for the three code modes are opened on
 * first use and kept; tracing runs in the main-loop thread only.
 */
#include "cpu/trace.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <string.h>

/* ---- disassembly ---- */

typedef struct TraceDisasm {
    bool tried;
    bool ok;
    csh handle;
} TraceDisasm;

static TraceDisasm trace_disasm[3];     /* by X86CpuMode */

static const cs_mode trace_cs_modes[3] = {
    [X86_MODE_16] = CS_MODE_16,
    [X86_MODE_32] = CS_MODE_32,
    [X86_MODE_64] = CS_MODE_64,
};

static csh *trace_handle(X86CpuMode mode)
{
    if ((unsigned)mode > X86_MODE_64) {
        return NULL;
    }
    TraceDisasm *d = &trace_disasm[mode];
    if (!d->tried) {
        d->tried = true;
        d->ok = cs_open(CS_ARCH_X86, trace_cs_modes[mode], &d->handle) == CS_ERR_OK;
        if (d->ok) {
            cs_option(d->handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
            cs_option(d->handle, CS_OPT_DETAIL, CS_OPT_OFF);
        }
    }
    return d->ok ? &d->handle : NULL;
}

bool trace_disas(X86CpuMode mode, uint64_t rip, const uint8_t *bytes, unsigned len,
                 char *buf, size_t size)
{
    if (size == 0) {
        return false;
    }
    csh *h = trace_handle(mode);
    cs_insn *insn = NULL;
    size_t n = 0;
    if (h && len > 0) {
        n = cs_disasm(*h, bytes, len > X86_MAX_INSN_LEN ? X86_MAX_INSN_LEN : len, rip, 1,
                      &insn);
    }
    if (n == 0) {
        snprintf(buf, size, "(bad)");
        return false;
    }
    if (insn[0].op_str[0]) {
        snprintf(buf, size, "%s %s", insn[0].mnemonic, insn[0].op_str);
    } else {
        snprintf(buf, size, "%s", insn[0].mnemonic);
    }
    cs_free(insn, n);
    return true;
}

/* "0x<linear> <CS>:<rip>" with widths by code mode. */
static void trace_format_address(X86CPU *cpu, uint64_t rip, char *buf, size_t size)
{
    uint64_t linear = cpu->s.seg[R_CS].base + rip;
    uint16_t cs = cpu->s.seg[R_CS].selector;
    switch (cpu->code_mode) {
    case X86_MODE_64:
        snprintf(buf, size, "0x%016" PRIx64 " %04x:%016" PRIx64, linear, cs, rip);
        break;
    case X86_MODE_32:
        snprintf(buf, size, "0x%08" PRIx64 " %04x:%08" PRIx64, linear & 0xffffffffu, cs,
                 rip & 0xffffffffu);
        break;
    default:
        snprintf(buf, size, "0x%08" PRIx64 " %04x:%04" PRIx64, linear & 0xffffffffu, cs,
                 rip & 0xffffu);
        break;
    }
}

/* ---- register dump ---- */

/* The descriptor's attribute bits as they sit in bits 8-23 of its high dword. */
static uint32_t trace_seg_attrs(const X86Segment *s)
{
    return (uint32_t)(s->type & 0xf) << 8 | (uint32_t)s->s << 12 |
           (uint32_t)(s->dpl & 3) << 13 | (uint32_t)s->present << 15 |
           (uint32_t)s->avl << 20 | (uint32_t)s->l << 21 | (uint32_t)s->db << 22 |
           (uint32_t)s->g << 23;
}

static void trace_dump_seg(FILE *out, const char *name, const X86Segment *s, bool wide)
{
    if (wide) {
        fprintf(out, "%-3s=%04x %016" PRIx64 " %08x %08x\n", name, s->selector, s->base,
                s->limit, trace_seg_attrs(s));
    } else {
        fprintf(out, "%-3s=%04x %08" PRIx64 " %08x %08x\n", name, s->selector,
                s->base & 0xffffffffu, s->limit, trace_seg_attrs(s));
    }
}

/* Letters for the set status flags, '-' for clear ones: D O S Z A P C. */
static void trace_flag_letters(uint64_t fl, char out[8])
{
    static const struct { uint32_t bit; char letter; } letters[] = {
        { X86_FLAG_DF, 'D' }, { X86_FLAG_OF, 'O' }, { X86_FLAG_SF, 'S' },
        { X86_FLAG_ZF, 'Z' }, { X86_FLAG_AF, 'A' }, { X86_FLAG_PF, 'P' },
        { X86_FLAG_CF, 'C' },
    };
    for (int i = 0; i < 7; i++) {
        out[i] = (fl & letters[i].bit) ? letters[i].letter : '-';
    }
    out[7] = '\0';
}

static void trace_dump(X86CPU *cpu, uint64_t rip, FILE *out)
{
    static const char *const seg_names[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    static const char *const reg64[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    };
    const X86State *s = &cpu->s;
    uint64_t fl = cpu_get_rflags(cpu);
    char letters[8];
    trace_flag_letters(fl, letters);
    bool wide = cpu->long_mode;

    if (wide) {
        /* the order of the register file's numbering, two per line like 32-bit */
        for (int i = 0; i < 16; i++) {
            fprintf(out, "%-3s=%016" PRIx64 "%s", reg64[i], s->regs[i],
                    (i % 4 == 3) ? "\n" : " ");
        }
        fprintf(out, "RIP=%016" PRIx64 " RFL=%08" PRIx64 " [%s] CPL=%d II=%d HLT=%d\n",
                rip, fl, letters, cpu->cpl, cpu->inhibit_irq, cpu->halted);
    } else {
        fprintf(out, "EAX=%08" PRIx64 " EBX=%08" PRIx64 " ECX=%08" PRIx64 " EDX=%08" PRIx64
                "\n", s->regs[R_EAX] & 0xffffffffu, s->regs[R_EBX] & 0xffffffffu,
                s->regs[R_ECX] & 0xffffffffu, s->regs[R_EDX] & 0xffffffffu);
        fprintf(out, "ESI=%08" PRIx64 " EDI=%08" PRIx64 " EBP=%08" PRIx64 " ESP=%08" PRIx64
                "\n", s->regs[R_ESI] & 0xffffffffu, s->regs[R_EDI] & 0xffffffffu,
                s->regs[R_EBP] & 0xffffffffu, s->regs[R_ESP] & 0xffffffffu);
        fprintf(out, "EIP=%08" PRIx64 " EFL=%08" PRIx64 " [%s] CPL=%d II=%d HLT=%d\n",
                rip & 0xffffffffu, fl & 0xffffffffu, letters, cpu->cpl, cpu->inhibit_irq,
                cpu->halted);
    }
    for (int i = 0; i < SEG_COUNT; i++) {
        trace_dump_seg(out, seg_names[i], &s->seg[i], wide);
    }
    trace_dump_seg(out, "LDT", &s->ldt, wide);
    trace_dump_seg(out, "TR", &s->tr, wide);
    if (wide) {
        fprintf(out, "GDT=     %016" PRIx64 " %08x\n", s->gdt.base, s->gdt.limit);
        fprintf(out, "IDT=     %016" PRIx64 " %08x\n", s->idt.base, s->idt.limit);
        fprintf(out, "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64
                "\n", s->cr0, s->cr2, s->cr3, s->cr4);
    } else {
        fprintf(out, "GDT=     %08" PRIx64 " %08x\n", s->gdt.base & 0xffffffffu,
                s->gdt.limit);
        fprintf(out, "IDT=     %08" PRIx64 " %08x\n", s->idt.base & 0xffffffffu,
                s->idt.limit);
        fprintf(out, "CR0=%08" PRIx64 " CR2=%08" PRIx64 " CR3=%08" PRIx64 " CR4=%08" PRIx64
                "\n", s->cr0 & 0xffffffffu, s->cr2 & 0xffffffffu, s->cr3 & 0xffffffffu,
                s->cr4 & 0xffffffffu);
    }
    fprintf(out, "EFER=%016" PRIx64 " icount=%" PRIu64 "\n", s->efer, cpu->icount);
}

void trace_cpu_state(X86CPU *cpu, FILE *out)
{
    trace_dump(cpu, cpu->s.rip, out);
}

/* ---- per instruction ---- */

void trace_insn(X86CPU *cpu, const uint8_t *bytes, unsigned len)
{
    uint64_t rip = cpu->insn_rip;
    uint64_t linear = cpu->s.seg[R_CS].base + rip;
    if (!log_addr_wanted(cpu->code_mode == X86_MODE_64 ? linear : linear & 0xffffffffu)) {
        return;                         /* outside -dfilter */
    }
    char where[64];
    trace_format_address(cpu, rip, where, sizeof(where));
    FILE *out = log_file();
    if (log_enabled(LOG_EXEC)) {
        fprintf(out, "exec %s\n", where);
    }
    if (log_enabled(LOG_CPU)) {
        trace_dump(cpu, rip, out);
    }
    if (log_enabled(LOG_IN_ASM)) {
        if (len > X86_MAX_INSN_LEN) {
            len = X86_MAX_INSN_LEN;
        }
        char hex[3 * X86_MAX_INSN_LEN + 1];
        size_t pos = 0;
        for (unsigned i = 0; i < len; i++) {
            pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, i ? " %02x" : "%02x",
                                    bytes[i]);
        }
        hex[pos] = '\0';
        char text[192];
        trace_disas(cpu->code_mode, rip, bytes, len, text, sizeof(text));
        /* the byte column is as wide as 7 bytes; longer instructions push it out */
        fprintf(out, "%s: %-20s  %s\n", where, hex, text);
    }
}
