/*
 * Differential test of the interpreter against the host CPU (tests/difftest): 150,000
 * random ring-3 snippets with seed 1 (20,000 in each of ALU, shifts, bit operations,
 * multiply/divide, strings, moves; 10,000 SSE2 with XMM registers and MXCSR compared;
 * 10,000 x87 with the control, status and tag words compared; 10,000 BCD adjustments
 * in 32-bit compatibility mode) run natively in a forked child
 * and in the interpreter; registers, flags (undefined ones masked), exceptions and
 * the touched memory must all match. Skipped (passes vacuously with a note) only on
 * hosts that are not x86-64.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/difftest/campaign.h"
#include "tests/difftest/interp_runner.h"
#include "tests/difftest/native.h"

/* Cases per class */
static uint64_t class_count(int cls)
{
    switch (cls) {
    case DT_CLASS_SSE2: return 10000;
    case DT_CLASS_X87: return 10000;
    case DT_CLASS_BCD: return 10000;
    default: return 20000;
    }
}
#define DIFFTEST_COUNT 150000u

static DtRunner *native, *interp;

static void setup(void)
{
    char err[256];
    native = native_runner_new(err, sizeof(err));
    if (!native) {
        fprintf(stderr, "test_difftest: no native runner: %s\n", err);
    }
    interp = interp_runner_new(err, sizeof(err));
    ck_assert_msg(interp != NULL, "interpreter runner: %s", err);
}

static void teardown(void)
{
    if (native) {
        native->destroy(native);
    }
    interp->destroy(interp);
}

START_TEST(test_random_snippets_match_host)
{
    if (!native) {
        return;
    }
    uint64_t total = 0, faults_muldiv = 0, mismatches = 0;
    for (int k = 0; k < DT_CLASS_COUNT; k++) {
        uint64_t count = class_count(k);
        if (!count) {
            continue;
        }
        DtOptions o = { .seed = 1, .count = count, .cls = k, .minimize = true,
                        .max_reports = 5, .out = stdout };
        DtStats st;
        ck_assert_msg(dt_campaign(native, interp, &o, &st), "a runner failed");
        ck_assert_msg(st.cases[k] == count, "class %s ran only %llu cases",
                      dt_class_name(k), (unsigned long long)st.cases[k]);
        total += st.cases[k];
        faults_muldiv += st.faults[DT_CLASS_MULDIV];
        mismatches += st.total_mismatches;
    }
    ck_assert_uint_eq(total, DIFFTEST_COUNT);
    ck_assert_msg(faults_muldiv > 0, "no #DE case was generated");
    ck_assert_msg(mismatches == 0, "%llu mismatches (reproducers above)",
                  (unsigned long long)mismatches);
}
END_TEST

/* The comparison itself must notice a difference in each compared part. */
START_TEST(test_compare_detects_differences)
{
    DtCase c;
    dt_gen_case(&c, 1, 0, DT_CLASS_ALU);
    ck_assert_uint_gt(c.len, 0);
    DtResult *a = calloc(2, sizeof(*a)), *b = a + 1;
    char why[160];
    ck_assert(interp->run_batch(interp, &c, a, 1));
    *b = *a;
    ck_assert(dt_compare(&c, a, b, why, sizeof(why)));
    b->regs[5] ^= 1;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->data[100] ^= 0x10;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->stack[7] ^= 1;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->rflags ^= DT_DF;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->xmm[9][15] ^= 0x80;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->mxcsr ^= 0x20;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->fsw ^= 0x0001;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->fcw ^= 0x0400;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    *b = *a;
    b->vector = 0;
    ck_assert(!dt_compare(&c, a, b, why, sizeof(why)));
    free(a);
}
END_TEST

/* Known results from the interpreter runner: DIV by zero raises #DE at its RIP. */
START_TEST(test_interp_runner_reports_de)
{
    DtCase c = { .len = 9, .ngroups = 1, .group_end = { 9 } };
    static const uint8_t code[9] = { 0x41, 0xb9, 0, 0, 0, 0, 0x41, 0xf7, 0xf1 };
    for (unsigned i = 0; i < sizeof(code); i++) {
        c.code[i] = code[i];                   /* mov r9d,0; div r9d */
    }
    c.regs[3] = DT_DATA;
    DtResult *r = calloc(1, sizeof(*r));
    ck_assert(interp->run_batch(interp, &c, r, 1));
    ck_assert_int_eq(r->vector, 0);
    ck_assert_uint_eq(r->rip, DT_CODE + 6);
    ck_assert_uint_eq(r->regs[9], 0);
    ck_assert_uint_eq(r->regs[4], DT_STACK_INIT);
    free(r);
}
END_TEST

/* The interpreter runner loads and returns XMM registers and MXCSR: PADDD xmm0, xmm1
 * then DIVSD xmm2, xmm3 (1.0 / 0.0 sets ZE, gives +inf). */
START_TEST(test_interp_runner_vector_state)
{
    static const uint8_t code[] = { 0x66, 0x0f, 0xfe, 0xc1, 0xf2, 0x0f, 0x5e, 0xd3 };
    DtCase c = { .len = sizeof(code), .ngroups = 1, .group_end = { sizeof(code) },
                 .mxcsr = DT_MXCSR_INIT };
    memcpy(c.code, code, sizeof(code));
    c.regs[3] = DT_DATA;
    for (int i = 0; i < 16; i++) {
        c.xmm[0][i] = (uint8_t)i;
        c.xmm[1][i] = 0x10;
    }
    uint64_t one = UINT64_C(0x3ff0000000000000);
    memcpy(c.xmm[2], &one, 8);
    DtResult *r = calloc(1, sizeof(*r));
    ck_assert(interp->run_batch(interp, &c, r, 1));
    ck_assert_int_eq(r->vector, -1);
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_eq(r->xmm[0][i], (uint8_t)(i + 0x10));
    }
    uint64_t q;
    memcpy(&q, r->xmm[2], 8);
    ck_assert_uint_eq(q, UINT64_C(0x7ff0000000000000));
    ck_assert_uint_eq(r->mxcsr, DT_MXCSR_INIT | 0x4);
    ck_assert_uint_eq(r->fcw, DT_FCW_INIT);
    ck_assert_uint_eq(r->fsw, 0);
    free(r);
}
END_TEST

/* 64-bit loads and stores at CPL 3 (the interpreter's inline RAM path): a read of a
 * supervisor-only page of the runner (its GDT) is #PF with error code 5 (present,
 * user) reported at the load; a store into the snippet's own next instruction
 * takes effect before it runs (self-modifying code). */
START_TEST(test_interp_runner_user_access_and_smc)
{
    static const uint8_t read_gdt[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x30, 0x00, 0x10 };
    DtCase c = { .len = sizeof(read_gdt), .ngroups = 1, .group_end = { sizeof(read_gdt) } };
    memcpy(c.code, read_gdt, sizeof(read_gdt));          /* mov rax, [DT_CODE + 0x3000] */
    c.regs[3] = DT_DATA;
    DtResult *r = calloc(1, sizeof(*r));
    ck_assert(interp->run_batch(interp, &c, r, 1));
    ck_assert_int_eq(r->vector, 14);
    ck_assert_uint_eq(r->error_code, 5);
    ck_assert_uint_eq(r->rip, DT_CODE);

    /* mov byte [rip + 1], 2 (patches the immediate of the next instruction);
     * mov eax, 1 */
    static const uint8_t smc[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02,
                                   0xb8, 0x01, 0x00, 0x00, 0x00 };
    DtCase d = { .len = sizeof(smc), .ngroups = 1, .group_end = { sizeof(smc) } };
    memcpy(d.code, smc, sizeof(smc));
    d.regs[3] = DT_DATA;
    ck_assert(interp->run_batch(interp, &d, r, 1));
    ck_assert_int_eq(r->vector, -1);
    ck_assert_uint_eq(r->regs[0], 2);
    if (native) {
        DtResult *n = calloc(1, sizeof(*n));
        char why[160];
        ck_assert(native->run_batch(native, &d, n, 1));
        ck_assert_msg(dt_compare(&d, n, r, why, sizeof(why)), "%s", why);
        free(n);
    }
    free(r);
}
END_TEST

/* Long REP STOSQ/MOVSB (the interpreter's page-at-a-time path and its element-loop
 * fallbacks) against the host CPU: a fill crossing from the data page into the stack
 * page, an overlapping copy with the destination one byte above the source (the
 * element order replicates a byte) and one with it below. */
START_TEST(test_interp_runner_long_rep_strings)
{
    if (!native) {
        return;
    }
    static const uint8_t stos[] = {
        0x48, 0xc7, 0xc7, 0x80, 0x1f, 0x00, 0x10,       /* mov rdi, DT_DATA + 0xf80 */
        0x48, 0xc7, 0xc1, 0x28, 0x00, 0x00, 0x00,       /* mov rcx, 40 */
        0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  /* mov rax, imm64 */
        0xf3, 0x48, 0xab,                               /* rep stosq */
    };
    static const uint8_t movs_up[] = {
        0x48, 0xc7, 0xc6, 0x00, 0x11, 0x00, 0x10,       /* mov rsi, DT_DATA + 0x100 */
        0x48, 0xc7, 0xc7, 0x01, 0x11, 0x00, 0x10,       /* mov rdi, DT_DATA + 0x101 */
        0x48, 0xc7, 0xc1, 0xc8, 0x00, 0x00, 0x00,       /* mov rcx, 200 */
        0xf3, 0xa4,                                     /* rep movsb */
    };
    static const uint8_t movs_down[] = {
        0x48, 0xc7, 0xc6, 0x01, 0x12, 0x00, 0x10,       /* mov rsi, DT_DATA + 0x201 */
        0x48, 0xc7, 0xc7, 0x00, 0x12, 0x00, 0x10,       /* mov rdi, DT_DATA + 0x200 */
        0x48, 0xc7, 0xc1, 0x2c, 0x01, 0x00, 0x00,       /* mov rcx, 300 */
        0xf3, 0xa4,                                     /* rep movsb */
    };
    const struct { const uint8_t *code; size_t len; } progs[] = {
        { stos, sizeof(stos) }, { movs_up, sizeof(movs_up) }, { movs_down, sizeof(movs_down) },
    };
    DtResult *a = calloc(2, sizeof(*a)), *b = a + 1;
    for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
        DtCase c = { .len = (uint16_t)progs[i].len, .ngroups = 1,
                     .group_end = { (uint16_t)progs[i].len }, .mxcsr = DT_MXCSR_INIT,
                     .mem_seed = 42 + i };
        memcpy(c.code, progs[i].code, progs[i].len);
        c.regs[3] = DT_DATA;
        ck_assert(native->run_batch(native, &c, a, 1));
        ck_assert(interp->run_batch(interp, &c, b, 1));
        char why[160];
        ck_assert_int_eq(a->vector, -1);
        ck_assert_uint_eq(b->regs[1], 0);                    /* RCX ran down */
        ck_assert_msg(dt_compare(&c, a, b, why, sizeof(why)), "program %zu: %s", i, why);
    }
    free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("difftest");
    TCase *tc = tcase_create("difftest");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_compare_detects_differences);
    tcase_add_test(tc, test_interp_runner_reports_de);
    tcase_add_test(tc, test_interp_runner_vector_state);
    tcase_add_test(tc, test_interp_runner_user_access_and_smc);
    tcase_add_test(tc, test_interp_runner_long_rep_strings);
    tcase_add_test(tc, test_random_snippets_match_host);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
