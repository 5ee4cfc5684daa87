/*
 * Tests of the interpreter's system core: interrupt delivery (real mode and
 * protected mode, with the stack switch), IRET, segment-load faults, paging
 * (#PF error codes, CR2, A/D bits, PSE, PAE, NX, INVLPG, global pages), double and
 * triple faults, the I/O permission bitmap, CPUID and MSRs. Guest code is given as
 * machine-code bytes and run until HLT.
 */
#include <check.h>
#include <stdlib.h>

#include "cpu/cpu.h"
#include "cpu/seg.h"
#include "tests/unit/cpu_harness.h"

#define CODE     0x20000u      /* main code */
#define HLT_STUB 0x6000u       /* a handler that halts */
#define CODE3    0x30000u      /* ring-3 code */
#define STACK3   0x38000u      /* ring-3 stack top */

static const uint8_t hlt[] = { 0xf4 };

static CpuHarness *pm_new(void)
{
    CpuHarness *h = ch_new();
    ch_setup_pm32(h);
    ch_write(h, HLT_STUB, hlt, 1);
    return h;
}

/* Dword n of the frame at the current ESP. */
static uint32_t frame(CpuHarness *h, int n)
{
    return ch_rd32(h, (uint32_t)h->cpu.s.regs[R_ESP] + 4u * (uint32_t)n);
}

/* ---- real mode ---- */

START_TEST(test_real_mode_int_and_iret)
{
    CpuHarness *h = ch_new();
    X86State *s = &h->cpu.s;
    x86_segment_set_real(&s->seg[R_CS], 0, true);
    x86_segment_set_real(&s->seg[R_SS], 0, false);
    s->regs[R_ESP] = 0x7000;
    s->rflags = 0x202;
    ch_wr32(h, 0x21 * 4, 0x00008000);                  /* IVT[0x21] = 0000:8000 */
    static const uint8_t handler[] = { 0x9c, 0x58, 0xcf };   /* pushf; pop ax; iret */
    ch_write(h, 0x8000, handler, sizeof(handler));
    static const uint8_t code[] = { 0xcd, 0x21, 0xf4 };       /* int 0x21; hlt */
    ch_run(h, 0x7c00, code, sizeof(code));

    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(s->rip, 0x7c03);
    ck_assert_uint_eq(s->regs[R_ESP] & 0xffff, 0x7000);
    ck_assert_uint_eq(s->regs[R_EAX] & X86_FLAG_IF, 0);      /* IF clear in the handler */
    ck_assert(cpu_get_rflags(&h->cpu) & X86_FLAG_IF);        /* restored by IRET */
    /* the frame the INT pushed: IP, CS, FLAGS */
    ck_assert_uint_eq(address_space_ld(&h->mem, 0x6ffa, 2), 0x7c02);
    ck_assert_uint_eq(address_space_ld(&h->mem, 0x6ffc, 2), 0);
    ck_assert(address_space_ld(&h->mem, 0x6ffe, 2) & X86_FLAG_IF);
    ch_free(h);
}
END_TEST

/* ---- protected-mode segment faults ---- */

START_TEST(test_gp_out_of_limit_selector)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, EXCP_GP, HLT_STUB, 0, false);
    /* mov ax, 0x1000; mov ds, ax */
    static const uint8_t code[] = { 0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(h->cpu.s.rip, HLT_STUB + 1);
    ck_assert_uint_eq(frame(h, 0), 0x1000);          /* error code: the selector */
    ck_assert_uint_eq(frame(h, 1), CODE + 4);        /* EIP of the faulting MOV */
    ck_assert_uint_eq(frame(h, 2), CH_CS0);
    ck_assert_uint_eq(h->cpu.s.regs[R_ESP], CH_STACK0 - 16);
    ck_assert_uint_eq(h->cpu.s.seg[R_DS].selector, CH_DS0);   /* DS unchanged */
    ch_free(h);
}
END_TEST

START_TEST(test_gp_null_ss)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, EXCP_GP, HLT_STUB, 0, false);
    /* xor eax, eax; mov ss, ax */
    static const uint8_t code[] = { 0x31, 0xc0, 0x8e, 0xd0, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, HLT_STUB + 1);
    ck_assert_uint_eq(frame(h, 0), 0);
    ck_assert_uint_eq(frame(h, 1), CODE + 2);
    ck_assert_uint_eq(h->cpu.s.seg[R_SS].selector, CH_DS0);
    ch_free(h);
}
END_TEST

/* ---- paging ---- */

/* #PF handler: mov eax, cr2; hlt */
static const uint8_t pf_handler[] = { 0x0f, 0x20, 0xd0, 0xf4 };
#define PF_STUB 0x6100u

static CpuHarness *paging_new(void)
{
    CpuHarness *h = pm_new();
    ch_write(h, PF_STUB, pf_handler, sizeof(pf_handler));
    ch_set_gate(h, EXCP_PF, PF_STUB, 0, false);
    ch_setup_paging32(h);
    return h;
}

START_TEST(test_pf_not_present_read)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, ch_pte(0x300000), 0);
    static const uint8_t code[] = { 0xa1, 0x10, 0x00, 0x30, 0x00, 0xf4 };  /* mov eax,[0x300010] */
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, PF_STUB + 4);
    ck_assert_uint_eq(h->cpu.s.regs[R_EAX], 0x300010);
    ck_assert_uint_eq(h->cpu.s.cr2, 0x300010);
    ck_assert_uint_eq(frame(h, 0), 0);                /* not present, read, supervisor */
    ck_assert_uint_eq(frame(h, 1), CODE);
    ch_free(h);
}
END_TEST

START_TEST(test_pf_read_only_write_wp)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, ch_pte(0x300000), 0x300000 | 1);     /* present, read-only, supervisor */
    h->cpu.s.cr0 |= X86_CR0_WP;
    static const uint8_t code[] = { 0xa3, 0x00, 0x00, 0x30, 0x00, 0xf4 };  /* mov [0x300000],eax */
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, PF_STUB + 4);
    ck_assert_uint_eq(frame(h, 0), PF_P | PF_W);
    ck_assert_uint_eq(h->cpu.s.cr2, 0x300000);
    ch_free(h);
}
END_TEST

START_TEST(test_pf_read_only_write_no_wp)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, ch_pte(0x300000), 0x300000 | 1);
    h->cpu.s.cr0 &= ~(uint64_t)X86_CR0_WP;
    h->cpu.s.regs[R_EAX] = 0xdeadbeef;
    static const uint8_t code[] = { 0xa3, 0x00, 0x00, 0x30, 0x00, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + 6);        /* no fault: supervisor, WP=0 */
    ck_assert_uint_eq(ch_rd32(h, 0x300000), 0xdeadbeef);
    ch_free(h);
}
END_TEST

START_TEST(test_pf_user_access_to_supervisor_page)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, ch_pte(0x300000), 0x300000 | 3);     /* supervisor only */
    static const uint8_t code[] = { 0xa1, 0x00, 0x00, 0x30, 0x00, 0xf4 };
    ch_write(h, CODE3, code, sizeof(code));
    ch_enter_ring3(h, CODE3, STACK3);
    h->cpu.halted = false;
    cpu_exec(&h->cpu, 100);
    ck_assert_uint_eq(h->cpu.s.rip, PF_STUB + 4);
    ck_assert_uint_eq(h->cpu.cpl, 0);
    ck_assert_uint_eq(h->cpu.s.regs[R_ESP], CH_TSS_ESP0 - 24);
    ck_assert_uint_eq(frame(h, 0), PF_P | PF_U);
    ck_assert_uint_eq(frame(h, 1), CODE3);
    ck_assert_uint_eq(frame(h, 2), CH_CS3);
    ch_free(h);
}
END_TEST

START_TEST(test_accessed_and_dirty_bits)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, ch_pte(0x300000), 0x300000 | 3);
    ch_wr32(h, ch_pte(0x301000), 0x301000 | 3);
    ch_wr32(h, CH_PD, CH_PT | 7);
    /* mov eax,[0x300000]; mov [0x301000],eax; hlt */
    static const uint8_t code[] = { 0xa1, 0x00, 0x00, 0x30, 0x00,
                                    0xa3, 0x00, 0x10, 0x30, 0x00, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + 11);
    ck_assert_uint_eq(ch_rd32(h, ch_pte(0x300000)) & 0x60, 0x20);   /* A, not D */
    ck_assert_uint_eq(ch_rd32(h, ch_pte(0x301000)) & 0x60, 0x60);   /* A and D */
    ck_assert(ch_rd32(h, CH_PD) & 0x20);                              /* PDE accessed */
    ck_assert(ch_rd32(h, ch_pte(CODE)) & 0x20);                       /* fetch: A */
    ch_free(h);
}
END_TEST

START_TEST(test_pse_4mib_page)
{
    CpuHarness *h = pm_new();
    ch_wr32(h, CH_PD + 0, 0x00000083);      /* 0-4 MiB -> 0, 4 MiB page */
    ch_wr32(h, CH_PD + 4, 0x00000083);      /* 4-8 MiB -> 0 as well */
    h->cpu.s.cr3 = CH_PD;
    h->cpu.s.cr4 |= X86_CR4_PSE;
    h->cpu.s.cr0 |= X86_CR0_PG;
    ch_wr32(h, 0x5000, 0x12345678);
    static const uint8_t code[] = { 0xa1, 0x00, 0x50, 0x40, 0x00, 0xf4 };  /* mov eax,[0x405000] */
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + 6);
    ck_assert_uint_eq(h->cpu.s.regs[R_EAX], 0x12345678);
    ck_assert(ch_rd32(h, CH_PD + 4) & 0x20);
    ch_free(h);
}
END_TEST

/* PAE tables: PDPT at CH_PD, PD at 0x103000, PT at 0x104000 mapping 0-2 MiB. */
static void pae_setup(CpuHarness *h, bool nxe)
{
    for (uint32_t i = 0; i < 512; i++) {
        ch_wr64(h, 0x104000 + i * 8, ((uint64_t)i << 12) | 7);
        ch_wr64(h, 0x103000 + i * 8, 0);
        ch_wr64(h, 0x105000 + i * 8, 0);
    }
    ch_wr64(h, 0x103000, 0x104000 | 7);
    ch_wr64(h, CH_PD + 0, 0x103000 | 1);
    ch_wr64(h, CH_PD + 8, 0x105000 | 1);                /* 1-2 GiB */
    ch_wr64(h, 0x105000, 0x200000 | 0x87);              /* 0x40000000: 2 MiB page -> 2 MiB */
    h->cpu.s.cr3 = CH_PD;
    h->cpu.s.cr4 |= X86_CR4_PAE;
    if (nxe) {
        h->cpu.s.efer |= X86_EFER_NXE;
    }
    h->cpu.s.cr0 |= X86_CR0_PG;
    cpu_tlb_flush_all_mappings(&h->cpu);
}

START_TEST(test_pae_walk)
{
    CpuHarness *h = pm_new();
    pae_setup(h, false);
    ch_wr32(h, 0x201234, 0xcafef00d);
    static const uint8_t code[] = { 0xa1, 0x34, 0x12, 0x00, 0x40, 0xf4 };  /* mov eax,[0x40001234] */
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + 6);
    ck_assert_uint_eq(h->cpu.s.regs[R_EAX], 0xcafef00d);
    ch_free(h);
}
END_TEST

START_TEST(test_nx_fetch_fault)
{
    CpuHarness *h = pm_new();
    ch_write(h, PF_STUB, pf_handler, sizeof(pf_handler));
    ch_set_gate(h, EXCP_PF, PF_STUB, 0, false);
    pae_setup(h, true);
    ch_wr64(h, 0x104000 + (CODE3 >> 12) * 8, CODE3 | 7 | (1ull << 63));
    ch_write(h, CODE3, hlt, 1);
    /* mov eax, CODE3; jmp eax */
    static const uint8_t code[] = { 0xb8, 0x00, 0x00, 0x03, 0x00, 0xff, 0xe0 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, PF_STUB + 4);
    ck_assert_uint_eq(h->cpu.s.cr2, CODE3);
    ck_assert_uint_eq(frame(h, 0), PF_P | PF_I);
    ck_assert_uint_eq(frame(h, 1), CODE3);
    ch_free(h);
}
END_TEST

START_TEST(test_invlpg_flushes_one_page)
{
    CpuHarness *h = paging_new();
    ch_wr32(h, 0x300000, 0xa);
    ch_wr32(h, 0x301000, 0xb);
    ch_wr32(h, 0x302000, 0xc);
    ch_wr32(h, 0x303000, 0xd);
    static const uint8_t code[] = {
        0xa1, 0x00, 0x00, 0x30, 0x00,                               /* mov eax,[0x300000] */
        0x8b, 0x1d, 0x00, 0x20, 0x30, 0x00,                         /* mov ebx,[0x302000] */
        0xc7, 0x05, 0x00, 0x1c, 0x10, 0x00, 0x07, 0x10, 0x30, 0x00, /* PTE 0x300000 -> 0x301000 */
        0xc7, 0x05, 0x08, 0x1c, 0x10, 0x00, 0x07, 0x30, 0x30, 0x00, /* PTE 0x302000 -> 0x303000 */
        0xb8, 0x00, 0x00, 0x30, 0x00,                               /* mov eax,0x300000 */
        0x0f, 0x01, 0x38,                                           /* invlpg [eax] */
        0x8b, 0x0d, 0x00, 0x00, 0x30, 0x00,                         /* mov ecx,[0x300000] */
        0x8b, 0x15, 0x00, 0x20, 0x30, 0x00,                         /* mov edx,[0x302000] */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + sizeof(code));
    ck_assert_uint_eq(h->cpu.s.regs[R_ECX], 0xb);     /* re-walked */
    ck_assert_uint_eq(h->cpu.s.regs[R_EDX], 0xc);     /* still the stale translation */
    ch_free(h);
}
END_TEST

START_TEST(test_global_page_survives_cr3_reload)
{
    CpuHarness *h = paging_new();
    h->cpu.s.cr4 |= X86_CR4_PGE;
    ch_wr32(h, ch_pte(0x300000), 0x300000 | 0x103);   /* global */
    ch_wr32(h, 0x300000, 0xa);
    ch_wr32(h, 0x301000, 0xb);
    ch_wr32(h, 0x302000, 0xc);
    ch_wr32(h, 0x303000, 0xd);
    static const uint8_t code[] = {
        0xa1, 0x00, 0x00, 0x30, 0x00,
        0x8b, 0x1d, 0x00, 0x20, 0x30, 0x00,
        0xc7, 0x05, 0x00, 0x1c, 0x10, 0x00, 0x07, 0x11, 0x30, 0x00, /* -> 0x301000, G */
        0xc7, 0x05, 0x08, 0x1c, 0x10, 0x00, 0x07, 0x30, 0x30, 0x00,
        0x0f, 0x20, 0xd8,                                           /* mov eax, cr3 */
        0x0f, 0x22, 0xd8,                                           /* mov cr3, eax */
        0x8b, 0x0d, 0x00, 0x00, 0x30, 0x00,
        0x8b, 0x15, 0x00, 0x20, 0x30, 0x00,
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, CODE + sizeof(code));
    ck_assert_uint_eq(h->cpu.s.regs[R_ECX], 0xa);     /* global: kept */
    ck_assert_uint_eq(h->cpu.s.regs[R_EDX], 0xd);     /* non-global: flushed */
    ch_free(h);
}
END_TEST

/* ---- privilege changes ---- */

START_TEST(test_ring3_interrupt_stack_switch_and_iret)
{
    CpuHarness *h = pm_new();
    static const uint8_t h80[] = { 0xbb, 0x55, 0x00, 0x00, 0x00, 0xcf };  /* mov ebx,0x55; iret */
    ch_write(h, 0x6200, h80, sizeof(h80));
    ch_set_gate(h, 0x80, 0x6200, 3, false);
    ch_set_gate(h, 0x81, HLT_STUB, 3, true);
    static const uint8_t code3[] = { 0xcd, 0x80, 0xcd, 0x81 };
    ch_write(h, CODE3, code3, sizeof(code3));
    ch_enter_ring3(h, CODE3, STACK3);
    h->cpu.s.rflags = 0x202;
    cpu_exec(&h->cpu, 100);

    X86State *s = &h->cpu.s;
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(s->rip, HLT_STUB + 1);
    ck_assert_uint_eq(s->regs[R_EBX], 0x55);           /* the 0x80 handler ran */
    ck_assert_uint_eq(h->cpu.cpl, 0);
    ck_assert_uint_eq(s->seg[R_CS].selector, CH_CS0);
    ck_assert_uint_eq(s->seg[R_SS].selector, CH_DS0);
    ck_assert_uint_eq(s->regs[R_ESP], CH_TSS_ESP0 - 20);
    /* frame of INT 0x81: pushed at ring 3 after the IRET returned there */
    ck_assert_uint_eq(frame(h, 0), CODE3 + 4);
    ck_assert_uint_eq(frame(h, 1), CH_CS3);
    ck_assert(frame(h, 2) & X86_FLAG_IF);
    ck_assert_uint_eq(frame(h, 3), STACK3);
    ck_assert_uint_eq(frame(h, 4), CH_DS3);
    ck_assert(s->rflags & X86_FLAG_IF);                 /* trap gate keeps IF */
    ch_free(h);
}
END_TEST

START_TEST(test_int_gate_dpl_check)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, 0x80, HLT_STUB, 0, false);           /* DPL 0: not for ring 3 */
    ch_set_gate(h, EXCP_GP, 0x6300, 0, false);
    ch_write(h, 0x6300, hlt, 1);
    static const uint8_t code3[] = { 0xcd, 0x80 };
    ch_write(h, CODE3, code3, sizeof(code3));
    ch_enter_ring3(h, CODE3, STACK3);
    cpu_exec(&h->cpu, 100);
    ck_assert_uint_eq(h->cpu.s.rip, 0x6301);
    ck_assert_uint_eq(frame(h, 0), 0x80 * 8 + 2);       /* IDT, not EXT */
    ck_assert_uint_eq(frame(h, 1), CODE3);
    ch_free(h);
}
END_TEST

/* ---- double and triple faults ---- */

START_TEST(test_double_fault)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, EXCP_DF, HLT_STUB, 0, false);
    ch_set_gate(h, EXCP_GP, 0x6300, 0, false);
    ch_wr32(h, CH_IDT + EXCP_GP * 8 + 4, ch_rd32(h, CH_IDT + EXCP_GP * 8 + 4) & ~0x8000u);
    static const uint8_t code[] = { 0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(!h->cpu.triple_fault);
    ck_assert_uint_eq(h->cpu.s.rip, HLT_STUB + 1);
    ck_assert_uint_eq(frame(h, 0), 0);                  /* #DF error code */
    ck_assert_uint_eq(frame(h, 1), CODE + 4);
    ch_free(h);
}
END_TEST

START_TEST(test_triple_fault)
{
    CpuHarness *h = pm_new();
    h->cpu.s.idt.limit = 0;                             /* nothing can be delivered */
    static const uint8_t code[] = { 0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(h->cpu.triple_fault);
    ck_assert(!h->cpu.halted);
    ck_assert_uint_eq(cpu_exec(&h->cpu, 10), 0);        /* stays stopped until reset */
    ch_free(h);
}
END_TEST

/* ---- I/O permission ---- */

typedef struct PortArg { uint16_t port; unsigned size; uint32_t value; } PortArg;

static void do_port_in(X86CPU *cpu, void *opaque)
{
    PortArg *a = opaque;
    a->value = cpu_port_in(cpu, a->port, a->size);
}

START_TEST(test_io_bitmap)
{
    CpuHarness *h = pm_new();
    ch_enter_ring3(h, CODE3, STACK3);
    uint32_t err = 0xffff;
    PortArg a = { 0x80, 1, 0 };

    /* all denied */
    ck_assert_int_eq(ch_try(h, do_port_in, &a, &err), EXCP_GP);
    ck_assert_uint_eq(err, 0);
    /* allow port 0x80 only */
    address_space_st(&h->mem, CH_TSS + CH_TSS_IOMAP + 0x80 / 8, 0xfe, 1);
    ck_assert_int_eq(ch_try(h, do_port_in, &a, &err), -1);
    ck_assert_uint_eq(a.value, 0x5a);
    a.port = 0x81;
    ck_assert_int_eq(ch_try(h, do_port_in, &a, &err), EXCP_GP);
    a.port = 0x80;
    a.size = 2;                                          /* 0x80-0x81: 0x81 denied */
    ck_assert_int_eq(ch_try(h, do_port_in, &a, &err), EXCP_GP);
    /* IOPL 3 skips the bitmap */
    h->cpu.s.rflags |= X86_FLAG_IOPL;
    a.port = 0x81;
    a.size = 1;
    ck_assert_int_eq(ch_try(h, do_port_in, &a, &err), -1);
    ch_free(h);
}
END_TEST

/* ---- CPUID and MSRs ---- */

START_TEST(test_cpuid_vendor)
{
    CpuHarness *h = pm_new();
    static const uint8_t code[] = { 0x31, 0xc0, 0x0f, 0xa2, 0xf4 };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.regs[R_EBX], 0x756e6547);   /* "Genu" */
    ck_assert_uint_eq(h->cpu.s.regs[R_EDX], 0x49656e69);   /* "ineI" */
    ck_assert_uint_eq(h->cpu.s.regs[R_ECX], 0x6c65746e);   /* "ntel" */
    ck_assert_uint_ge(h->cpu.s.regs[R_EAX], 1);
    ch_free(h);
}
END_TEST

START_TEST(test_msr_round_trip_and_unknown)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, EXCP_GP, HLT_STUB, 0, false);
    static const uint8_t code[] = {
        0xb9, 0x74, 0x01, 0x00, 0x00,       /* mov ecx, 0x174 (SYSENTER_CS) */
        0xb8, 0x34, 0x12, 0x00, 0x00,       /* mov eax, 0x1234 */
        0x31, 0xd2,                         /* xor edx, edx */
        0x0f, 0x30,                         /* wrmsr */
        0x31, 0xc0,                         /* xor eax, eax */
        0x0f, 0x32,                         /* rdmsr */
        0x89, 0xc3,                         /* mov ebx, eax */
        0xb9, 0x45, 0x23, 0x01, 0x00,       /* mov ecx, 0x12345 */
        0x0f, 0x32,                         /* rdmsr: #GP */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.regs[R_EBX], 0x1234);
    ck_assert_uint_eq(h->cpu.s.rip, HLT_STUB + 1);
    ck_assert_uint_eq(frame(h, 0), 0);
    ck_assert_uint_eq(frame(h, 1), CODE + 25);
    uint64_t v;
    ck_assert(cpu_rdmsr(&h->cpu, 0x174, &v));
    ck_assert_uint_eq(v, 0x1234);
    ch_free(h);
}
END_TEST

START_TEST(test_privileged_at_cpl3)
{
    CpuHarness *h = pm_new();
    ch_set_gate(h, EXCP_GP, HLT_STUB, 0, false);
    static const uint8_t code3[] = { 0x0f, 0x20, 0xc0 };     /* mov eax, cr0 */
    ch_write(h, CODE3, code3, sizeof(code3));
    ch_enter_ring3(h, CODE3, STACK3);
    cpu_exec(&h->cpu, 100);
    ck_assert_uint_eq(h->cpu.s.rip, HLT_STUB + 1);
    ck_assert_uint_eq(frame(h, 0), 0);
    ck_assert_uint_eq(frame(h, 1), CODE3);
    ch_free(h);
}
END_TEST

static Suite *cpu_system_suite(void)
{
    Suite *s = suite_create("cpu_system");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_real_mode_int_and_iret);
    tcase_add_test(tc, test_gp_out_of_limit_selector);
    tcase_add_test(tc, test_gp_null_ss);
    tcase_add_test(tc, test_pf_not_present_read);
    tcase_add_test(tc, test_pf_read_only_write_wp);
    tcase_add_test(tc, test_pf_read_only_write_no_wp);
    tcase_add_test(tc, test_pf_user_access_to_supervisor_page);
    tcase_add_test(tc, test_accessed_and_dirty_bits);
    tcase_add_test(tc, test_pse_4mib_page);
    tcase_add_test(tc, test_pae_walk);
    tcase_add_test(tc, test_nx_fetch_fault);
    tcase_add_test(tc, test_invlpg_flushes_one_page);
    tcase_add_test(tc, test_global_page_survives_cr3_reload);
    tcase_add_test(tc, test_ring3_interrupt_stack_switch_and_iret);
    tcase_add_test(tc, test_int_gate_dpl_check);
    tcase_add_test(tc, test_double_fault);
    tcase_add_test(tc, test_triple_fault);
    tcase_add_test(tc, test_io_bitmap);
    tcase_add_test(tc, test_cpuid_vendor);
    tcase_add_test(tc, test_msr_round_trip_and_unknown);
    tcase_add_test(tc, test_privileged_at_cpl3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpu_system_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
