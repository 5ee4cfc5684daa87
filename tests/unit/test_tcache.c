/*
 * Unit tests of the decoded-instruction cache (cpu/tcache.c) through the run loop:
 * self-modifying code (a loop that patches an immediate it already executed, in
 * the same block), a write through another linear alias of the code's physical
 * page, blocks that run to a page end and an instruction that crosses it, the
 * STI interrupt shadow when STI is inside a block, the pool flush, and fused
 * DEC/INC + Jcc pairs (instruction count, and a fault of the branch reported at the
 * branch).
 */
#include <check.h>
#include <string.h>

#include "cpu/tcache.h"
#include "tests/unit/cpu_harness.h"

#define CODE 0x30000u

typedef struct Fixture {
    CpuHarness *h;
    TCache *tc;
} Fixture;

/* Flat 32-bit protected mode, ring 0, with an engine-style cache attached (one that
 * is kept between cpu_exec calls). */
static Fixture fx_new(void)
{
    Fixture f;
    f.h = ch_new();
    ch_setup_pm32(f.h);
    f.tc = tcache_new();
    tcache_attach(f.tc, &f.h->cpu);
    return f;
}

static void fx_free(Fixture *f)
{
    tcache_free(f->tc);
    ch_free(f->h);
}

/* mov ecx,3; mov ebx,0; L: mov eax,1; add ebx,eax; mov dword [PATCH],100;
 * dec ecx; jnz L; hlt -- PATCH is the immediate of `mov eax,1` (CODE + 0xb) or an
 * alias of it. The first pass adds 1, the two after it 100 each. */
static void smc_loop(uint8_t *code, uint32_t patch)
{
    static const uint8_t tmpl[] = {
        0xb9, 0x03, 0x00, 0x00, 0x00,                    /* mov ecx, 3 */
        0xbb, 0x00, 0x00, 0x00, 0x00,                    /* mov ebx, 0 */
        0xb8, 0x01, 0x00, 0x00, 0x00,                    /* L: mov eax, 1 */
        0x01, 0xc3,                                      /* add ebx, eax */
        0xc7, 0x05, 0, 0, 0, 0, 0x64, 0x00, 0x00, 0x00,  /* mov dword [patch], 100 */
        0x49,                                            /* dec ecx */
        0x75, 0xec,                                      /* jnz L */
        0xf4,                                            /* hlt */
    };
    memcpy(code, tmpl, sizeof(tmpl));
    memcpy(code + 19, &patch, 4);
}

START_TEST(test_self_modifying_immediate)
{
    Fixture f = fx_new();
    uint8_t code[31];
    smc_loop(code, CODE + 0xb);
    ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 201);
    ck_assert_uint_eq(ch_rd32(f.h, CODE + 0xb), 100);
    ck_assert_uint_ge(f.tc->stats.page_invalidations, 1);
    ck_assert_uint_ge(f.tc->stats.blocks_built, 2);
    fx_free(&f);
}
END_TEST

/* The same loop under paging, patching through linear 0x300000, a second mapping
 * of the code's physical page. */
START_TEST(test_write_through_linear_alias)
{
    Fixture f = fx_new();
    ch_setup_paging32(f.h);
    ch_wr32(f.h, ch_pte(0x300000), CODE | 0x7);        /* alias: 0x300000 -> CODE */
    cpu_tlb_flush(&f.h->cpu, true);
    uint8_t code[31];
    smc_loop(code, 0x300000 + 0xb);
    ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 201);
    ck_assert_uint_ge(f.tc->stats.page_invalidations, 1);
    fx_free(&f);
}
END_TEST

/* A loop whose body runs to the last byte of a page and goes on in the next one:
 * blocks end at the page end; the branch back chains within the page only. */
START_TEST(test_block_to_page_end)
{
    Fixture f = fx_new();
    static const uint8_t code[] = {
        0xb9, 0x05, 0x00, 0x00, 0x00,     /* 0x32ff6: mov ecx, 5 */
        0x40, 0x40, 0x40, 0x40, 0x40,     /* 0x32ffb: L: inc eax x5 (to 0x32fff) */
        0x43,                             /* 0x33000: inc ebx */
        0x49,                             /* dec ecx */
        0x75, 0xf7,                       /* jnz L */
        0xf4,                             /* hlt */
    };
    f.h->cpu.s.regs[R_EAX] = 0;
    f.h->cpu.s.regs[R_EBX] = 0;
    uint64_t n = ch_run(f.h, 0x32ff6, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EAX], 25);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 5);
    ck_assert_uint_eq(n, 1 + 5 * 8 + 1);              /* exact instruction count */
    ck_assert_uint_eq(f.h->cpu.s.rip, 0x33005);
    fx_free(&f);
}
END_TEST

/* An instruction that crosses the page end runs the slow way, between blocks. */
START_TEST(test_insn_crossing_page_end)
{
    Fixture f = fx_new();
    static const uint8_t code[] = {
        0x40, 0x40, 0x40, 0x40, 0x40, 0x40,   /* 0x31ff8: inc eax x6 */
        0xbb, 0x78, 0x56, 0x34, 0x12,         /* 0x31ffe: mov ebx, 0x12345678 */
        0x40,                                 /* 0x32003: inc eax */
        0xf4,
    };
    f.h->cpu.s.regs[R_EAX] = 0;
    uint64_t n = ch_run(f.h, 0x31ff8, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EAX], 7);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 0x12345678);
    ck_assert_uint_eq(n, 9);
    fx_free(&f);
}
END_TEST

static int ack_vector_0x40(X86CPU *cpu)
{
    atomic_fetch_and(&cpu->interrupt_request, ~CPU_INTERRUPT_HARD);
    return 0x40;
}

/* STI; inc eax; inc eax; inc eax; hlt with an interrupt pending: it is taken
 * after exactly one instruction in STI's shadow, although the incs form a block.
 * The handler copies EAX to EBX and halts. */
START_TEST(test_sti_shadow_inside_block)
{
    Fixture f = fx_new();
    static const uint8_t handler[] = { 0x89, 0xc3, 0xf4 };   /* mov ebx, eax; hlt */
    static const uint8_t code[] = { 0x90, 0xfb, 0x40, 0x40, 0x40, 0xf4 };
    ch_write(f.h, 0x34000, handler, sizeof(handler));
    ch_set_gate(f.h, 0x40, 0x34000, 0, false);
    f.h->cpu.ack_interrupt = ack_vector_0x40;
    f.h->cpu.s.regs[R_EAX] = 0;
    f.h->cpu.s.regs[R_EBX] = 0xdead;
    atomic_fetch_or(&f.h->cpu.interrupt_request, CPU_INTERRUPT_HARD);
    ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 1);
    ck_assert_uint_eq(f.h->cpu.s.rip, 0x34003);
    fx_free(&f);
}
END_TEST

/* Without a pending interrupt STI's block boundary changes nothing. */
START_TEST(test_sti_without_interrupt)
{
    Fixture f = fx_new();
    static const uint8_t code[] = { 0xfb, 0x40, 0x40, 0x40, 0xf4 };
    f.h->cpu.s.regs[R_EAX] = 0;
    uint64_t n = ch_run(f.h, CODE, code, sizeof(code));
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EAX], 3);
    ck_assert_uint_eq(n, 5);
    ck_assert(f.h->cpu.s.rflags & X86_FLAG_IF);
    fx_free(&f);
}
END_TEST

/* Direct cache operations: a built block is found again; invalidating its page
 * drops it (a rebuild follows) and the page stops being a code page; flush empties. */
START_TEST(test_lookup_invalidate_flush)
{
    Fixture f = fx_new();
    static const uint8_t code[] = { 0x40, 0x43, 0xeb, 0xfc };   /* inc eax; inc ebx; jmp -4 */
    ch_write(f.h, CODE, code, sizeof(code));
    X86CPU *cpu = &f.h->cpu;
    cpu->s.rip = CODE;
    uint64_t phys;
    unsigned room;
    const uint8_t *host = cpu_code_translate(cpu, CODE, &phys, &room);
    ck_assert_ptr_nonnull(host);
    ck_assert_uint_eq(phys, CODE);
    ck_assert_uint_eq(room, 4096);
    static ExecFn table[X86_OP_COUNT];
    exec_register_integer(table);
    TCacheBlock *b = tcache_lookup(f.tc, cpu, phys, host, room, table);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->count, 3);                 /* ends at the jump */
    ck_assert_uint_eq(b->bytes, 4);
    ck_assert(tcache_page_has_code(f.tc, CODE + 0x800));
    ck_assert_ptr_eq(tcache_lookup(f.tc, cpu, phys, host, room, table), b);
    tcache_invalidate_page(f.tc, CODE + 0x123);
    ck_assert(!tcache_page_has_code(f.tc, CODE));
    TCacheBlock *b2 = tcache_lookup(f.tc, cpu, phys, host, room, table);
    ck_assert_ptr_nonnull(b2);
    ck_assert_ptr_ne(b2, b);
    tcache_flush(f.tc);
    ck_assert(!tcache_page_has_code(f.tc, CODE));
    ck_assert_uint_eq(f.tc->nr_blocks, 0);
    fx_free(&f);
}
END_TEST

/* A CPU-side physical store (as for page-table A/D bits) into a code page drops
 * its blocks. */
START_TEST(test_phys_store_invalidates)
{
    Fixture f = fx_new();
    static const uint8_t code[] = { 0x40, 0xf4 };
    ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(tcache_page_has_code(f.tc, CODE));
    cpu_st_phys(&f.h->cpu, CODE + 0x100, 0, 4);
    ck_assert(!tcache_page_has_code(f.tc, CODE));
    fx_free(&f);
}
END_TEST

/* mov ecx,1000; xor eax,eax; L: add eax,2; dec ecx; jnz L; hlt: the DEC/JNZ pair
 * runs fused, yet every instruction is counted. */
START_TEST(test_fused_loop_counts_every_instruction)
{
    Fixture f = fx_new();
    static const uint8_t code[] = {
        0xb9, 0xe8, 0x03, 0x00, 0x00,      /* mov ecx, 1000 */
        0x31, 0xc0,                        /* xor eax, eax */
        0x83, 0xc0, 0x02,                  /* L: add eax, 2 */
        0x49,                              /* dec ecx */
        0x75, 0xfa,                        /* jnz L */
        0xf4,                              /* hlt */
    };
    uint64_t retired = ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EAX], 2000);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_ECX], 0);
    ck_assert_uint_eq(retired, 2 + 3 * 1000 + 1);
    fx_free(&f);
}
END_TEST

/* Fused CMP/TEST + Jcc: xor ecx,ecx; xor ebx,ebx; L: inc ecx; test ecx,1; jz S;
 * inc ebx; S: cmp ecx,1000; jb L; hlt -- EBX counts the odd values of ECX (500). */
START_TEST(test_fused_compare_and_branch)
{
    Fixture f = fx_new();
    static const uint8_t code[] = {
        0x31, 0xc9,                                 /* xor ecx, ecx */
        0x31, 0xdb,                                 /* xor ebx, ebx */
        0x41,                                       /* L: inc ecx */
        0xf7, 0xc1, 0x01, 0x00, 0x00, 0x00,         /* test ecx, 1 */
        0x74, 0x01,                                 /* jz S */
        0x43,                                       /* inc ebx */
        0x81, 0xf9, 0xe8, 0x03, 0x00, 0x00,         /* S: cmp ecx, 1000 */
        0x72, 0xee,                                 /* jb L */
        0xf4,                                       /* hlt */
    };
    uint64_t retired = ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_ECX], 1000);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_EBX], 500);
    /* 2 + 1000 * 5 (inc, test, jz, cmp, jb) + 500 (inc ebx) + 1 (hlt) */
    ck_assert_uint_eq(retired, 2 + 1000 * 5 + 500 + 1);
    ck_assert(cpu_get_rflags(&f.h->cpu) & X86_FLAG_ZF);  /* the last CMP: 1000 == 1000 */
    fx_free(&f);
}
END_TEST

/* mov ecx,2; dec ecx; jnz past the CS limit: the fused pair's DEC is done and the
 * #GP(0) is the JNZ's (the frame's EIP is the branch). */
START_TEST(test_fused_branch_fault_is_the_branchs)
{
    Fixture f = fx_new();
    static const uint8_t code[] = {
        0xb9, 0x02, 0x00, 0x00, 0x00,      /* mov ecx, 2 */
        0x49,                              /* dec ecx */
        0x75, 0x40,                        /* jnz CODE + 0x48: beyond the limit */
        0xf4, 0xf4, 0xf4, 0xf4,
        0xf4,                              /* CODE + 0xc: the #GP handler */
    };
    ch_set_gate(f.h, 13, CODE + 0xc, 0, false);
    f.h->cpu.s.seg[R_CS].limit = CODE + 0x1f;
    ch_run(f.h, CODE, code, sizeof(code));
    ck_assert(f.h->cpu.halted);
    ck_assert_uint_eq(f.h->cpu.s.rip, CODE + 0xd);
    ck_assert_uint_eq(f.h->cpu.s.regs[R_ECX], 1);
    uint32_t esp = (uint32_t)f.h->cpu.s.regs[R_ESP];
    ck_assert_uint_eq(ch_rd32(f.h, esp), 0);              /* error code */
    ck_assert_uint_eq(ch_rd32(f.h, esp + 4), CODE + 6);   /* EIP: the JNZ */
    fx_free(&f);
}
END_TEST

static Suite *tcache_suite(void)
{
    Suite *s = suite_create("tcache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_self_modifying_immediate);
    tcase_add_test(tc, test_write_through_linear_alias);
    tcase_add_test(tc, test_block_to_page_end);
    tcase_add_test(tc, test_insn_crossing_page_end);
    tcase_add_test(tc, test_sti_shadow_inside_block);
    tcase_add_test(tc, test_sti_without_interrupt);
    tcase_add_test(tc, test_lookup_invalidate_flush);
    tcase_add_test(tc, test_phys_store_invalidates);
    tcase_add_test(tc, test_fused_loop_counts_every_instruction);
    tcase_add_test(tc, test_fused_branch_fault_is_the_branchs);
    tcase_add_test(tc, test_fused_compare_and_branch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tcache_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
