/*
 * Tests of the interpreter's hardware task switches (cpu/task.c): JMP to a TSS (state
 * saved in the old TSS, busy bits, CR0.TS), CALL to a TSS and IRET back through the
 * link (NT, registers of both tasks), INT through an IDT task gate, an exception with
 * its error code through a task gate, JMP through a task gate in the GDT, and the #GP
 * for a busy TSS. Guest code is machine-code bytes run until HLT.
 */
#include <check.h>

#include "cpu/cpu.h"
#include "tests/unit/cpu_harness.h"

#define CODE      0x20000u     /* task 1 (the harness's TSS at CH_TSS) */
#define CODE2     0x31000u     /* task 2 */
#define TSS2      0x11000u
#define STACK2    0x9000u
#define SAVE      0x40000u     /* where task 2 stores what it saw */
#define SEL_TSS2  0x30
#define SEL_GATE  0x38         /* a task gate in the GDT naming SEL_TSS2 */
#define VEC_TASK  0x40

static uint64_t desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

/* Flat protected mode plus an available 32-bit TSS for task 2 (EIP = CODE2, EAX =
 * 0x1111, EBX = 0x2222, flat ring-0 segments) and a task gate to it. */
static CpuHarness *task_new(const uint8_t *code2, size_t n2)
{
    CpuHarness *h = ch_new();
    ch_setup_pm32(h);
    ch_wr64(h, CH_GDT + SEL_TSS2, desc(TSS2, 0x67, 0x89, 0));
    ch_wr64(h, CH_GDT + SEL_GATE, (uint64_t)SEL_TSS2 << 16 | (UINT64_C(0x85) << 40));
    h->cpu.s.gdt.limit = 0x3f;
    for (unsigned off = 0; off < 0x68; off += 4) {
        ch_wr32(h, TSS2 + off, 0);
    }
    ch_wr32(h, TSS2 + 0x20, CODE2);                     /* EIP */
    ch_wr32(h, TSS2 + 0x24, 0x2);                       /* EFLAGS */
    ch_wr32(h, TSS2 + 0x28, 0x1111);                    /* EAX */
    ch_wr32(h, TSS2 + 0x34, 0x2222);                    /* EBX */
    ch_wr32(h, TSS2 + 0x38, STACK2);                    /* ESP */
    static const unsigned segs[6] = { CH_DS0, CH_CS0, CH_DS0, CH_DS0, CH_DS0, CH_DS0 };
    for (int i = 0; i < 6; i++) {
        ch_wr32(h, TSS2 + 0x48 + 4u * (unsigned)i, segs[i]);
    }
    ch_write(h, CODE2, code2, n2);
    return h;
}

static unsigned gdt_type(CpuHarness *h, unsigned sel)
{
    return (ch_rd32(h, CH_GDT + sel + 4) >> 8) & 0xf;
}

/* Task 2 stores EFLAGS and EBX at SAVE, SAVE+4, then halts. */
static const uint8_t code2_store_halt[] = {
    0x9c, 0x58, 0xa3, 0x00, 0x00, 0x04, 0x00,           /* pushfd; pop eax; mov [SAVE], eax */
    0x89, 0x1d, 0x04, 0x00, 0x04, 0x00,                 /* mov [SAVE+4], ebx */
    0xf4,
};

START_TEST(test_jmp_to_tss)
{
    CpuHarness *h = task_new(code2_store_halt, sizeof(code2_store_halt));
    static const uint8_t code[] = {
        0xb8, 0x78, 0x56, 0x34, 0x12,                   /* mov eax, 0x12345678 */
        0xea, 0x00, 0x00, 0x00, 0x00, SEL_TSS2, 0x00,   /* jmp SEL_TSS2:0 */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    X86State *s = &h->cpu.s;
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(s->rip, CODE2 + sizeof(code2_store_halt));
    ck_assert_uint_eq(s->tr.selector, SEL_TSS2);
    ck_assert_uint_eq(ch_rd32(h, SAVE + 4), 0x2222);    /* task 2's EBX */
    ck_assert_uint_eq(ch_rd32(h, SAVE) & X86_FLAG_NT, 0);
    ck_assert_uint_eq(ch_rd32(h, CH_TSS + 0x20), CODE + 12);   /* old EIP: after the JMP */
    ck_assert_uint_eq(ch_rd32(h, CH_TSS + 0x28), 0x12345678);  /* old EAX */
    ck_assert_uint_eq(gdt_type(h, CH_TSSS), 9);         /* old task no longer busy */
    ck_assert_uint_eq(gdt_type(h, SEL_TSS2), 11);       /* new task busy */
    ck_assert(s->cr0 & X86_CR0_TS);
    ch_free(h);
}
END_TEST

/* Task 2: store EFLAGS and EBX, change EBX, IRET back to task 1. */
static const uint8_t code2_store_iret[] = {
    0x9c, 0x58, 0xa3, 0x00, 0x00, 0x04, 0x00,           /* pushfd; pop eax; mov [SAVE], eax */
    0x89, 0x1d, 0x04, 0x00, 0x04, 0x00,                 /* mov [SAVE+4], ebx */
    0xbb, 0x99, 0x99, 0x00, 0x00,                       /* mov ebx, 0x9999 */
    0xcf,                                               /* iret: back through the link */
};

START_TEST(test_call_and_iret_back)
{
    CpuHarness *h = task_new(code2_store_iret, sizeof(code2_store_iret));
    static const uint8_t code[] = {
        0xbb, 0x33, 0x33, 0x00, 0x00,                   /* mov ebx, 0x3333 */
        0x9a, 0x00, 0x00, 0x00, 0x00, SEL_TSS2, 0x00,   /* call SEL_TSS2:0 */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    X86State *s = &h->cpu.s;
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(s->rip, CODE + sizeof(code));     /* task 1 resumed after the CALL */
    ck_assert_uint_eq(s->tr.selector, CH_TSSS);
    ck_assert_uint_eq(s->regs[R_EBX], 0x3333);          /* task 1's own EBX */
    ck_assert_uint_eq(ch_rd32(h, SAVE + 4), 0x2222);    /* task 2 had its own */
    ck_assert(ch_rd32(h, SAVE) & X86_FLAG_NT);          /* nested while it ran */
    ck_assert_uint_eq(ch_rd32(h, TSS2) & 0xffff, CH_TSSS);     /* the back link */
    ck_assert_uint_eq(ch_rd32(h, TSS2 + 0x34), 0x9999); /* task 2 saved at its IRET */
    ck_assert_uint_eq(gdt_type(h, SEL_TSS2), 9);        /* IRET freed task 2 */
    ck_assert_uint_eq(gdt_type(h, CH_TSSS), 11);
    ck_assert_uint_eq(cpu_get_rflags(&h->cpu) & X86_FLAG_NT, 0);
    ch_free(h);
}
END_TEST

START_TEST(test_int_through_task_gate)
{
    CpuHarness *h = task_new(code2_store_iret, sizeof(code2_store_iret));
    ch_wr64(h, CH_IDT + VEC_TASK * 8, (uint64_t)SEL_TSS2 << 16 | (UINT64_C(0x85) << 40));
    static const uint8_t code[] = {
        0xbb, 0x44, 0x44, 0x00, 0x00,                   /* mov ebx, 0x4444 */
        0xcd, VEC_TASK,                                 /* int VEC_TASK */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(h->cpu.s.rip, CODE + sizeof(code));
    ck_assert_uint_eq(h->cpu.s.regs[R_EBX], 0x4444);
    ck_assert(ch_rd32(h, SAVE) & X86_FLAG_NT);
    ch_free(h);
}
END_TEST

/* Task 2 for an exception: pop the error code into [SAVE], halt. */
static const uint8_t code2_pop_error[] = {
    0x58, 0xa3, 0x00, 0x00, 0x04, 0x00,                 /* pop eax; mov [SAVE], eax */
    0xf4,
};

START_TEST(test_exception_error_code_through_task_gate)
{
    CpuHarness *h = task_new(code2_pop_error, sizeof(code2_pop_error));
    ch_wr64(h, CH_IDT + EXCP_GP * 8, (uint64_t)SEL_TSS2 << 16 | (UINT64_C(0x85) << 40));
    static const uint8_t code[] = {
        0x66, 0xb8, 0x00, 0x10, 0x8e, 0xd8,             /* mov ax, 0x1000; mov ds, ax: #GP */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(h->cpu.s.tr.selector, SEL_TSS2);
    ck_assert_uint_eq(ch_rd32(h, SAVE), 0x1000);        /* the #GP's error code */
    ck_assert_uint_eq(h->cpu.s.regs[R_ESP], STACK2);    /* pushed on task 2's stack */
    ck_assert_uint_eq(ch_rd32(h, CH_TSS + 0x20), CODE + 4);    /* the faulting MOV */
    ch_free(h);
}
END_TEST

START_TEST(test_jmp_through_gdt_task_gate)
{
    CpuHarness *h = task_new(code2_store_halt, sizeof(code2_store_halt));
    static const uint8_t code[] = {
        0xea, 0x00, 0x00, 0x00, 0x00, SEL_GATE, 0x00,   /* jmp SEL_GATE:0 */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert(h->cpu.halted);
    ck_assert_uint_eq(h->cpu.s.tr.selector, SEL_TSS2);
    ck_assert_uint_eq(ch_rd32(h, SAVE + 4), 0x2222);
    ch_free(h);
}
END_TEST

START_TEST(test_busy_tss_is_gp)
{
    CpuHarness *h = task_new(code2_store_halt, sizeof(code2_store_halt));
    ch_set_gate(h, EXCP_GP, 0x6300, 0, false);
    static const uint8_t stub[] = { 0xf4 };
    ch_write(h, 0x6300, stub, 1);
    static const uint8_t code[] = {
        0xea, 0x00, 0x00, 0x00, 0x00, CH_TSSS, 0x00,    /* jmp to the running (busy) task */
        0xf4,
    };
    ch_run(h, CODE, code, sizeof(code));
    ck_assert_uint_eq(h->cpu.s.rip, 0x6301);
    ck_assert_uint_eq(ch_rd32(h, (uint32_t)h->cpu.s.regs[R_ESP]), CH_TSSS);   /* #GP(sel) */
    ck_assert_uint_eq(h->cpu.s.tr.selector, CH_TSSS);
    ch_free(h);
}
END_TEST

static Suite *task_suite(void)
{
    Suite *s = suite_create("cpu_task");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_jmp_to_tss);
    tcase_add_test(tc, test_call_and_iret_back);
    tcase_add_test(tc, test_int_through_task_gate);
    tcase_add_test(tc, test_exception_error_code_through_task_gate);
    tcase_add_test(tc, test_jmp_through_gdt_task_gate);
    tcase_add_test(tc, test_busy_tss_is_gp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(task_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
