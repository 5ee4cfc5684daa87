/*
 * Unit tests for the x87 FPU of the interpreter (cpu/exec_fpu.c, cpu/fpu.c,
 * cpu/fpu_env.c): machine code is decoded with x86_decode and dispatched to the
 * handler table that exec_register_integer and exec_register_fpu fill, on a CPU in
 * flat 32-bit protected mode (or 64-bit mode) over the test board's RAM. Expected
 * values are computed in the test with long double arithmetic or given as the
 * documented bit patterns. The machine code was assembled with GNU as (Intel
 * syntax); each run shows its source in a comment.
 */
#include <math.h>

#pragma GCC diagnostic ignored "-Wunused-function"   /* harness helpers we do not use */
#include "cpu_int_harness.h"
#include "cpu/fpu.h"

#define M0 0x4000u          /* operand slots in DATA */
#define M1 0x4010u
#define M2 0x4020u
#define OUT 0x4040u
#define AREA 0x4200u        /* FSAVE / FXSAVE area (16-byte aligned) */

static void fpu_setup32(void)
{
    setup32();
    exec_register_fpu(table);
    cpu->s.cr0 |= X86_CR0_NE;
}

static void fpu_setup64(void)
{
    setup64();
    exec_register_fpu(table);
    cpu->s.cr0 |= X86_CR0_NE;
}

#define FPU (&cpu->s.fpu)
#define FSW (cpu->s.fpu.fsw)
#define FCW (cpu->s.fpu.fcw)
#define TOP ((FSW >> 11) & 7)
#define STV(i) fpu_get(FPU, (i))

static void put_f32(uint64_t a, float v) { address_space_write(&tb->mem, a, &v, 4); }
static void put_f64(uint64_t a, double v) { address_space_write(&tb->mem, a, &v, 8); }
static void put_f80(uint64_t a, long double v) { address_space_write(&tb->mem, a, &v, 10); }
static void put_i16(uint64_t a, int16_t v) { address_space_write(&tb->mem, a, &v, 2); }
static void put_i32(uint64_t a, int32_t v) { address_space_write(&tb->mem, a, &v, 4); }
static void put_i64(uint64_t a, int64_t v) { address_space_write(&tb->mem, a, &v, 8); }
static float get_f32(uint64_t a) { float v; address_space_read(&tb->mem, a, &v, 4); return v; }
static double get_f64(uint64_t a) { double v; address_space_read(&tb->mem, a, &v, 8); return v; }
static long double get_f80(uint64_t a)
{
    long double v = 0;
    address_space_read(&tb->mem, a, &v, 10);
    return v;
}
static int64_t get_i64(uint64_t a) { int64_t v; address_space_read(&tb->mem, a, &v, 8); return v; }
static uint16_t get_u16(uint64_t a) { return (uint16_t)address_space_ld(&tb->mem, a, 2); }
static uint32_t get_u32(uint64_t a) { return (uint32_t)address_space_ld(&tb->mem, a, 4); }
static uint8_t get_u8(uint64_t a) { return (uint8_t)address_space_ld(&tb->mem, a, 1); }

/* bit-exact comparison of two extended values (NaN payloads included) */
static bool same80(long double a, long double b) { return memcmp(&a, &b, 10) == 0; }
#define ck_same80(a, b) \
    ck_assert_msg(same80((a), (b)), "%La != %La", (long double)(a), (long double)(b))

static long double indefinite(void)
{
    static const uint8_t img[16] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    long double v;
    memcpy(&v, img, sizeof(v));
    return v;
}

static void set_fcw(uint16_t cw)
{
    put_i16(M2 + 8, (int16_t)cw);
    /* fldcw word ptr [0x4028] */
    RUN_OK("d9 2d 28 40 00 00");
}

/* ================================================================ loads and stores */

START_TEST(test_load_store_round_trips)
{
    put_f32(M0, 1.5f);
    /* fninit; fld dword ptr [0x4000] */
    RUN_OK("db e3 d9 05 00 40 00 00");
    ck_assert_uint_eq(TOP, 7);
    ck_assert(STV(0) == 1.5L);
    ck_assert(!fpu_empty(FPU, 0) && fpu_empty(FPU, 1));
    /* fstp dword ptr [0x4040] */
    RUN_OK("d9 1d 40 40 00 00");
    ck_assert(get_f32(OUT) == 1.5f);
    ck_assert_uint_eq(TOP, 0);
    ck_assert(fpu_empty(FPU, 0));

    put_f64(M0, -1234.0625);
    /* fld qword ptr [0x4000]; fst qword ptr [0x4040] */
    RUN_OK("dd 05 00 40 00 00 dd 15 40 40 00 00");
    ck_assert(get_f64(OUT) == -1234.0625);
    ck_assert(STV(0) == -1234.0625L);

    long double third = 1.0L / 3.0L;
    put_f80(M0, third);
    /* fninit; fld tbyte ptr [0x4000]; fstp tbyte ptr [0x4040] */
    RUN_OK("db e3 db 2d 00 40 00 00 db 3d 40 40 00 00");
    ck_same80(get_f80(OUT), third);
    ck_assert_uint_eq(FSW & FSW_EXC, 0);

    /* extended -> double rounds (PE) */
    /* fld tbyte ptr [0x4000]; fstp qword ptr [0x4040] */
    RUN_OK("db 2d 00 40 00 00 dd 1d 40 40 00 00");
    ck_assert(get_f64(OUT) == (double)third);
    ck_assert(FSW & FSW_PE);

    /* integers of every width */
    put_i16(M0, -12345);
    put_i32(M1, 2000000001);
    put_i64(M2, -9000000000000000001LL);
    /* fninit; fild word ptr [0x4000]; fild dword ptr [0x4010]; fild qword ptr [0x4020] */
    RUN_OK("db e3 df 05 00 40 00 00 db 05 10 40 00 00 df 2d 20 40 00 00");
    ck_assert(STV(0) == -9000000000000000001.0L);
    ck_assert(STV(1) == 2000000001.0L);
    ck_assert(STV(2) == -12345.0L);
    /* fistp qword ptr [0x4040]; fistp dword ptr [0x4048]; fistp word ptr [0x404c] */
    RUN_OK("df 3d 40 40 00 00 db 1d 48 40 00 00 df 1d 4c 40 00 00");
    ck_assert_int_eq(get_i64(OUT), -9000000000000000001LL);
    ck_assert_int_eq((int32_t)get_u32(OUT + 8), 2000000001);
    ck_assert_int_eq((int16_t)get_u16(OUT + 12), -12345);
    ck_assert_uint_eq(TOP, 0);
    ck_assert_uint_eq(FSW & FSW_EXC, 0);

    /* register forms: fld st(1), fst st(2), fstp st(1), fxch */
    put_f64(M0, 2.0);
    put_f64(M1, 3.0);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fld st(1) */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 d9 c1");
    ck_assert(STV(0) == 2.0L && STV(1) == 3.0L && STV(2) == 2.0L);
    /* fxch st(1) */
    RUN_OK("d9 c9");
    ck_assert(STV(0) == 3.0L && STV(1) == 2.0L);
    /* fstp st(1) */
    RUN_OK("dd d9");
    ck_assert(STV(0) == 3.0L && STV(1) == 2.0L);
    ck_assert_uint_eq(TOP, 6);
}
END_TEST

START_TEST(test_constants)
{
    /* fninit; fld1; fldz; fldpi; fldl2e; fldln2; fldlg2; fldl2t */
    RUN_OK("db e3 d9 e8 d9 ee d9 eb d9 ea d9 ed d9 ec d9 e9");
    ck_assert(STV(6) == 1.0L);
    ck_assert(STV(5) == 0.0L && !signbit(STV(5)));
    ck_assert(STV(4) == 3.14159265358979323846264338327950288L);
    ck_assert(STV(3) == 1.44269504088896340735992468100189214L);
    ck_assert(STV(2) == 0.693147180559945309417232121458176568L);
    ck_assert(STV(1) == 0.301029995663981195213738894724493027L);
    ck_assert(STV(0) == 3.32192809488736234787031942948939018L);
    ck_assert_uint_eq(TOP, 1);
    /* rounding toward zero gives the lower neighbour of pi */
    set_fcw(0x0f7f);
    /* fldpi */
    RUN_OK("d9 eb");
    ck_assert(STV(0) < 3.14159265358979323846264338327950288L);
    ck_assert(STV(0) == nextafterl(3.14159265358979323846264338327950288L, 0));
}
END_TEST

START_TEST(test_arithmetic)
{
    double a = 1.1, b = 3.7;
    put_f64(M0, a);
    put_f64(M1, b);
    /* fninit; fld qword ptr [0x4000]; fadd qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 05 10 40 00 00");
    ck_assert(STV(0) == (long double)a + b);
    /* fninit; fld qword ptr [0x4000]; fsub qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 25 10 40 00 00");
    ck_assert(STV(0) == (long double)a - b);
    /* fninit; fld qword ptr [0x4000]; fsubr qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 2d 10 40 00 00");
    ck_assert(STV(0) == (long double)b - a);
    /* fninit; fld qword ptr [0x4000]; fmul qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 0d 10 40 00 00");
    ck_assert(STV(0) == (long double)a * b);
    /* fninit; fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(STV(0) == (long double)a / b);
    ck_assert(FSW & FSW_PE);
    /* fninit; fld qword ptr [0x4000]; fdivr qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 3d 10 40 00 00");
    ck_assert(STV(0) == (long double)b / a);
    /* single-precision memory operand */
    put_f32(M2, 0.1f);
    /* fninit; fld qword ptr [0x4000]; fmul dword ptr [0x4020] */
    RUN_OK("db e3 dd 05 00 40 00 00 d8 0d 20 40 00 00");
    ck_assert(STV(0) == (long double)a * 0.1f);

    /* register forms: st(i) destinations and pops */
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fsub st(1), st */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 dc e9");
    ck_assert(STV(1) == (long double)a - b && STV(0) == (long double)b);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fsub st, st(1) */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 d8 e1");
    ck_assert(STV(0) == (long double)b - a);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fdivrp st(1), st */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 de f1");
    ck_assert_uint_eq(TOP, 7);
    ck_assert(STV(0) == (long double)b / a);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; faddp st(1), st */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 de c1");
    ck_assert(STV(0) == (long double)a + b);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fsubp st(1), st */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 de e9");
    ck_assert(STV(0) == (long double)a - b);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fmulp st(1), st */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 de c9");
    ck_assert(STV(0) == (long double)a * b);

    /* integer operands */
    put_i32(M2, 7);
    put_i16(M2 + 4, -3);
    /* fninit; fld qword ptr [0x4000]; fiadd dword ptr [0x4020] */
    RUN_OK("db e3 dd 05 00 40 00 00 da 05 20 40 00 00");
    ck_assert(STV(0) == (long double)a + 7);
    /* fninit; fld qword ptr [0x4000]; fimul word ptr [0x4024] */
    RUN_OK("db e3 dd 05 00 40 00 00 de 0d 24 40 00 00");
    ck_assert(STV(0) == (long double)a * -3);
    /* fninit; fld qword ptr [0x4000]; fisubr dword ptr [0x4020] */
    RUN_OK("db e3 dd 05 00 40 00 00 da 2d 20 40 00 00");
    ck_assert(STV(0) == 7 - (long double)a);
    /* fninit; fld qword ptr [0x4000]; fidiv word ptr [0x4024] */
    RUN_OK("db e3 dd 05 00 40 00 00 de 35 24 40 00 00");
    ck_assert(STV(0) == (long double)a / -3);

    /* sign, square root, rounding */
    /* fninit; fld qword ptr [0x4010]; fchs */
    RUN_OK("db e3 dd 05 10 40 00 00 d9 e0");
    ck_assert(STV(0) == -(long double)b);
    /* fabs */
    RUN_OK("d9 e1");
    ck_assert(STV(0) == (long double)b);
    /* fsqrt */
    RUN_OK("d9 fa");
    ck_assert(STV(0) == sqrtl((long double)b));
    /* fninit; fld qword ptr [0x4010]; frndint */
    RUN_OK("db e3 dd 05 10 40 00 00 d9 fc");
    ck_assert(STV(0) == 4.0L);
}
END_TEST

START_TEST(test_divide_by_zero)
{
    put_f64(M0, 5.0);
    put_f64(M1, 0.0);
    /* fninit; fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(isinf(STV(0)) && STV(0) > 0);
    ck_assert(FSW & FSW_ZE);
    ck_assert(!(FSW & FSW_ES));
    /* unmasked: ST(0) keeps 5, ES and B set, the next waiting insn raises #MF */
    set_fcw(0x037b);
    /* fnclex; fstp st(0); fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("db e2 dd d8 dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(STV(0) == 5.0L);
    ck_assert((FSW & (FSW_ZE | FSW_ES | FSW_B)) == (FSW_ZE | FSW_ES | FSW_B));
    /* fld1 */
    ck_assert_int_eq(run("d9 e8"), EXCP_MF);
    ck_assert_uint_eq(TOP, 7);                     /* nothing pushed */
    /* fwait */
    ck_assert_int_eq(run("9b"), EXCP_MF);
    /* fnstsw ax; fnclex; fld1 */
    RUN_OK("df e0 db e2 d9 e8");         /* no-wait forms proceed */
    ck_assert(E32(R_EAX) & FSW_ES);
    ck_assert_uint_eq(TOP, 6);
}
END_TEST

static uint16_t ferr_level = 0, ferr_calls = 0;
static void record_ferr(X86CPU *c, bool asserted)
{
    (void)c;
    ferr_level = asserted;
    ferr_calls++;
}

START_TEST(test_legacy_ferr)
{
    cpu->s.cr0 &= ~(uint64_t)X86_CR0_NE;
    cpu_fpu_ferr = record_ferr;
    ferr_level = ferr_calls = 0;
    put_f64(M1, 0.0);
    set_fcw(0x037b);
    /* fld1; fdiv qword ptr [0x4010] */
    RUN_OK("d9 e8 dc 35 10 40 00 00");
    ck_assert_uint_eq(ferr_level, 1);
    /* fld1 */
    RUN_OK("d9 e8");                             /* no #MF with CR0.NE=0 */
    /* fnclex */
    RUN_OK("db e2");
    ck_assert_uint_eq(ferr_level, 0);
    ck_assert_uint_eq(ferr_calls, 2);
    cpu_fpu_ferr = NULL;
}
END_TEST

START_TEST(test_precision_control)
{
    put_f64(M0, 1.0);
    put_f64(M1, 3.0);
    set_fcw(0x007f);                                /* PC = single */
    /* fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(STV(0) == (long double)(1.0f / 3.0f));
    set_fcw(0x027f);                                /* PC = double */
    /* fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(STV(0) == (long double)(1.0 / 3.0));
    set_fcw(0x037f);
    /* fld qword ptr [0x4000]; fdiv qword ptr [0x4010] */
    RUN_OK("dd 05 00 40 00 00 dc 35 10 40 00 00");
    ck_assert(STV(0) == 1.0L / 3.0L);
    ck_assert(STV(0) != (long double)(1.0 / 3.0));
}
END_TEST

/* ================================================================ compares */

START_TEST(test_fcom_flags)
{
    put_f64(M0, 1.0);
    put_f64(M1, 2.0);
    put_i64(M2, 0x7ff8000000000000LL);              /* QNaN */
    /* 1 < 2: C0 */
    /* fninit; fld qword ptr [0x4000]; fcom qword ptr [0x4010]; fnstsw ax */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 15 10 40 00 00 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C0);
    /* 2 > 1: none */
    /* fninit; fld qword ptr [0x4010]; fcom qword ptr [0x4000]; fnstsw ax */
    RUN_OK("db e3 dd 05 10 40 00 00 dc 15 00 40 00 00 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), 0);
    /* equal: C3 */
    /* fninit; fld qword ptr [0x4000]; fcomp qword ptr [0x4000]; fnstsw ax */
    RUN_OK("db e3 dd 05 00 40 00 00 dc 1d 00 40 00 00 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C3);
    ck_assert_uint_eq(TOP, 0);                      /* popped */
    /* sahf after fnstsw: the classic compare idiom (jb taken for 1 < 2) */
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fcompp; fnstsw ax; sahf */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 de d9 df e0 9e");
    ck_assert(FLAG(CF) && !FLAG(ZF));
    ck_assert_uint_eq(TOP, 0);
    /* unordered: C3 C2 C0; FCOM raises IE for a QNaN, FUCOM does not */
    /* fninit; fld qword ptr [0x4020]; fld1; fucom st(1); fnstsw ax */
    RUN_OK("db e3 dd 05 20 40 00 00 d9 e8 dd e1 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C0 | FSW_C2 | FSW_C3);
    ck_assert(!(FSW & FSW_IE));
    /* fcom st(1); fnstsw ax */
    RUN_OK("d8 d1 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C0 | FSW_C2 | FSW_C3);
    ck_assert(FSW & FSW_IE);
    /* FICOM, FTST */
    put_i16(M2 + 8, 1);
    /* fninit; fld qword ptr [0x4000]; ficom word ptr [0x4028]; fnstsw ax */
    RUN_OK("db e3 dd 05 00 40 00 00 de 15 28 40 00 00 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C3);
    /* fninit; fld qword ptr [0x4000]; fchs; ftst; fnstsw ax */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 e0 d9 e4 df e0");
    ck_assert_uint_eq(E32(R_EAX) & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C0);
}
END_TEST

START_TEST(test_fcomi_eflags)
{
    put_f64(M0, 1.0);
    put_f64(M1, 2.0);
    put_i64(M2, 0x7ff8000000000000LL);
    set_flags(OF | SF | AF);
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fcomi st, st(1) */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 db f1");
    ck_assert(FLAG(CF) && !FLAG(ZF) && !FLAG(PF));  /* 1 < 2 */
    ck_assert(!FLAG(OF) && !FLAG(SF) && !FLAG(AF));
    /* fxch st(1); fcomi st, st(1) */
    RUN_OK("d9 c9 db f1");
    ck_assert(!FLAG(CF) && !FLAG(ZF) && !FLAG(PF)); /* 2 > 1 */
    /* fld st(0); fcomip st, st(1) */
    RUN_OK("d9 c0 df f1");
    ck_assert(!FLAG(CF) && FLAG(ZF) && !FLAG(PF));  /* equal, popped */
    ck_assert_uint_eq(TOP, 6);
    /* fld qword ptr [0x4020]; fucomip st, st(1) */
    RUN_OK("dd 05 20 40 00 00 df e9");
    ck_assert(FLAG(CF) && FLAG(ZF) && FLAG(PF));    /* unordered */
    ck_assert(!(FSW & FSW_IE));
    /* fcmov: moves on the flags of a compare */
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fcomi st, st(1); fcmovb st, st(1) */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 db f1 da c1");
    ck_assert(STV(0) == 2.0L);
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fcomi st, st(1); fcmovnb st, st(1) */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 db f1 db c1");
    ck_assert(STV(0) == 1.0L);
}
END_TEST

START_TEST(test_fxam_classes)
{
    struct { long double v; uint16_t cc; } cases[] = {
        { 1.5L, FSW_C2 },                            /* normal */
        { -0.0L, FSW_C3 | FSW_C1 },                  /* zero, negative */
        { INFINITY, FSW_C2 | FSW_C0 },               /* infinity */
        { NAN, FSW_C0 },                             /* NaN */
        { 0x1p-16440L, FSW_C3 | FSW_C2 },            /* denormal */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        put_f80(M0, cases[i].v);
        /* fninit; fld tbyte ptr [0x4000]; fxam */
        RUN_OK("db e3 db 2d 00 40 00 00 d9 e5");
        ck_assert_msg((FSW & FSW_CC) == cases[i].cc, "case %u: %#x", i, FSW & FSW_CC);
    }
    /* fninit; fxam */
    RUN_OK("db e3 d9 e5");                        /* empty */
    ck_assert_uint_eq(FSW & (FSW_C0 | FSW_C2 | FSW_C3), FSW_C3 | FSW_C0);
    /* unsupported (exponent set, integer bit clear) */
    static const uint8_t unnormal[10] = { 0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f };
    address_space_write(&tb->mem, M0, unnormal, 10);
    /* fninit; fld tbyte ptr [0x4000]; fxam */
    RUN_OK("db e3 db 2d 00 40 00 00 d9 e5");
    ck_assert_uint_eq(FSW & FSW_CC, 0);
}
END_TEST

/* ================================================================ integer stores */

START_TEST(test_fist_rounding)
{
    static const struct { uint16_t rc; double v; int32_t want; } cases[] = {
        { 0x000, 2.5, 2 }, { 0x000, 3.5, 4 }, { 0x000, -2.5, -2 },
        { 0x400, 2.5, 2 }, { 0x400, -2.5, -3 },
        { 0x800, 2.5, 3 }, { 0x800, -2.5, -2 },
        { 0xc00, 2.7, 2 }, { 0xc00, -2.7, -2 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        set_fcw((uint16_t)(0x037f | cases[i].rc));
        put_f64(M0, cases[i].v);
        /* fnclex; fld qword ptr [0x4000]; fistp dword ptr [0x4040] */
        RUN_OK("db e2 dd 05 00 40 00 00 db 1d 40 40 00 00");
        ck_assert_msg((int32_t)get_u32(OUT) == cases[i].want, "case %u: %d", i,
                      (int32_t)get_u32(OUT));
        ck_assert(FSW & FSW_PE);
    }
    /* out of range: integer indefinite with IE (masked) */
    set_fcw(0x037f);
    put_f64(M0, 1e10);
    /* fld qword ptr [0x4000]; fist word ptr [0x4040]; fist dword ptr [0x4044] */
    RUN_OK("dd 05 00 40 00 00 df 15 40 40 00 00 db 15 44 40 00 00");
    /* fistp qword ptr [0x4048] */
    RUN_OK("df 3d 48 40 00 00");
    ck_assert_uint_eq(get_u16(OUT), 0x8000);
    ck_assert_uint_eq(get_u32(OUT + 4), 0x80000000u);
    ck_assert_int_eq(get_i64(OUT + 8), 10000000000LL);
    ck_assert(FSW & FSW_IE);
    /* NaN and empty give the indefinite too */
    put_i64(M0, 0x7ff8000000000000LL);
    /* fninit; fld qword ptr [0x4000]; fistp dword ptr [0x4040] */
    RUN_OK("db e3 dd 05 00 40 00 00 db 1d 40 40 00 00");
    ck_assert_uint_eq(get_u32(OUT), 0x80000000u);
    ck_assert(FSW & FSW_IE);
    /* unmasked invalid: nothing stored, nothing popped */
    set_fcw(0x037e);
    put_i32(OUT, 1234);
    /* fnclex; fld qword ptr [0x4000]; fistp dword ptr [0x4040] */
    RUN_OK("db e2 dd 05 00 40 00 00 db 1d 40 40 00 00");
    ck_assert_uint_eq(get_u32(OUT), 1234);
    ck_assert(!fpu_empty(FPU, 0));
}
END_TEST

START_TEST(test_bcd)
{
    put_f64(M0, 12345678.0);
    /* fninit; fld qword ptr [0x4000]; fbstp tbyte ptr [0x4040] */
    RUN_OK("db e3 dd 05 00 40 00 00 df 35 40 40 00 00");
    static const uint8_t want[10] = { 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 0 };
    for (int i = 0; i < 10; i++) {
        ck_assert_uint_eq(get_u8(OUT + i), want[i]);
    }
    ck_assert_uint_eq(TOP, 0);
    put_f64(M0, -905.0);
    /* fld qword ptr [0x4000]; fbstp tbyte ptr [0x4040]; fbld tbyte ptr [0x4040] */
    RUN_OK("dd 05 00 40 00 00 df 35 40 40 00 00 df 25 40 40 00 00");
    ck_assert_uint_eq(get_u8(OUT), 0x05);
    ck_assert_uint_eq(get_u8(OUT + 1), 0x09);
    ck_assert_uint_eq(get_u8(OUT + 9), 0x80);
    ck_assert(STV(0) == -905.0L);
    /* too large for 18 digits: BCD indefinite */
    put_f64(M0, 1e19);
    /* fninit; fld qword ptr [0x4000]; fbstp tbyte ptr [0x4040] */
    RUN_OK("db e3 dd 05 00 40 00 00 df 35 40 40 00 00");
    ck_assert_uint_eq(get_u8(OUT + 9), 0xff);
    ck_assert_uint_eq(get_u8(OUT + 8), 0xff);
    ck_assert_uint_eq(get_u8(OUT + 7), 0xc0);
    ck_assert(FSW & FSW_IE);
}
END_TEST

/* ================================================================ stack faults */

START_TEST(test_stack_overflow_underflow)
{
    /* fninit; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1 */
    RUN_OK("db e3 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8");
    ck_assert_uint_eq(FSW & (FSW_IE | FSW_SF), 0);
    /* fldz */
    RUN_OK("d9 ee");                             /* ninth push */
    ck_assert_uint_eq(FSW & (FSW_IE | FSW_SF | FSW_C1), FSW_IE | FSW_SF | FSW_C1);
    ck_same80(STV(0), indefinite());
    ck_assert_uint_eq(TOP, 7);
    /* underflow: an empty operand */
    /* fninit; fld1; fadd st, st(1) */
    RUN_OK("db e3 d9 e8 d8 c1");
    ck_assert_uint_eq(FSW & (FSW_IE | FSW_SF | FSW_C1), FSW_IE | FSW_SF);
    ck_same80(STV(0), indefinite());
    /* fninit; fstp dword ptr [0x4040] */
    RUN_OK("db e3 d9 1d 40 40 00 00");
    ck_assert_uint_eq(get_u32(OUT), 0xffc00000u);   /* single indefinite */
    ck_assert(FSW & FSW_SF);
    /* unmasked overflow leaves the stack alone */
    set_fcw(0x037e);
    /* fnclex; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1 */
    RUN_OK("db e2 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8 d9 e8");
    /* fldz */
    RUN_OK("d9 ee");
    ck_assert(STV(0) == 1.0L);
    ck_assert(FSW & FSW_ES);
    /* ffree / fincstp / fdecstp */
    /* fninit; fld1; fldz; ffree st(0); fincstp */
    RUN_OK("db e3 d9 e8 d9 ee dd c0 d9 f7");
    ck_assert_uint_eq(TOP, 7);
    ck_assert(STV(0) == 1.0L);
    /* fdecstp */
    RUN_OK("d9 f6");
    ck_assert_uint_eq(TOP, 6);
    ck_assert(fpu_empty(FPU, 0) && !fpu_empty(FPU, 1));
}
END_TEST

/* ================================================================ FPREM, transcendentals */

START_TEST(test_fprem)
{
    put_f64(M0, 10.0);
    put_f64(M1, 3.0);
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fprem */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 d9 f8");
    ck_assert(STV(0) == 1.0L);
    /* quotient 3 = 011b: C0 = Q2 = 0, C3 = Q1 = 1, C1 = Q0 = 1, C2 = 0 (complete) */
    ck_assert_uint_eq(FSW & FSW_CC, FSW_C3 | FSW_C1);
    put_f64(M0, 29.0);
    put_f64(M1, 4.0);                               /* q = 7 = 111b, r = 1 */
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fprem */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 d9 f8");
    ck_assert(STV(0) == 1.0L);
    ck_assert_uint_eq(FSW & FSW_CC, FSW_C0 | FSW_C3 | FSW_C1);
    /* fprem1 rounds the quotient to nearest: 10 / 4 = 2.5 -> 2, remainder 2 */
    put_f64(M0, 11.0);
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fprem1 */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 d9 f5");
    ck_assert(STV(0) == -1.0L);                     /* 11 - 3*4 */
    /* a huge exponent difference: partial (C2 = 1) */
    put_f64(M0, 1e300);
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fprem */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 d9 f8");
    ck_assert(FSW & FSW_C2);
    ck_assert(STV(0) == fmodl(1e300L, 4.0L) || STV(0) < 1e300L);
}
END_TEST

START_TEST(test_transcendentals)
{
    put_f64(M0, 0.5);
    put_f64(M1, 8.0);
    /* fninit; fld qword ptr [0x4000]; fsin */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 fe");
    ck_assert(fabsl(STV(0) - sinl(0.5L)) < 1e-18L);
    /* fninit; fld qword ptr [0x4000]; fcos */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 ff");
    ck_assert(fabsl(STV(0) - cosl(0.5L)) < 1e-18L);
    /* fninit; fld qword ptr [0x4000]; fsincos */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 fb");
    ck_assert_uint_eq(TOP, 6);
    ck_assert(fabsl(STV(0) - cosl(0.5L)) < 1e-18L);
    ck_assert(fabsl(STV(1) - sinl(0.5L)) < 1e-18L);
    /* fninit; fld qword ptr [0x4000]; fptan */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 f2");
    ck_assert(STV(0) == 1.0L);
    ck_assert(fabsl(STV(1) - tanl(0.5L)) < 1e-18L);
    /* fninit; fld1; fld qword ptr [0x4000]; fpatan */
    RUN_OK("db e3 d9 e8 dd 05 00 40 00 00 d9 f3");  /* atan(1 / 0.5) */
    ck_assert_uint_eq(TOP, 7);
    ck_assert(fabsl(STV(0) - atan2l(1.0L, 0.5L)) < 1e-18L);
    /* fninit; fld1; fld qword ptr [0x4010]; fyl2x */
    RUN_OK("db e3 d9 e8 dd 05 10 40 00 00 d9 f1");   /* 1 * log2(8) */
    ck_assert(STV(0) == 3.0L);
    /* fninit; fld qword ptr [0x4000]; f2xm1 */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 f0");
    ck_assert(fabsl(STV(0) - (exp2l(0.5L) - 1)) < 1e-18L);
    /* fninit; fld qword ptr [0x4000]; fld qword ptr [0x4010]; fscale */
    RUN_OK("db e3 dd 05 00 40 00 00 dd 05 10 40 00 00 d9 fd");
    ck_assert(STV(0) == 8.0L);                     /* 8 * 2^trunc(0.5) */
    /* fninit; fld qword ptr [0x4010]; fld qword ptr [0x4000]; fscale */
    RUN_OK("db e3 dd 05 10 40 00 00 dd 05 00 40 00 00 d9 fd");
    ck_assert(STV(0) == 128.0L);                   /* 0.5 * 2^8 */
    /* fninit; fld qword ptr [0x4010]; fxtract */
    RUN_OK("db e3 dd 05 10 40 00 00 d9 f4");
    ck_assert(STV(0) == 1.0L && STV(1) == 3.0L);
    /* out of range for fsin: C2 set, operand unchanged */
    put_f64(M0, 1e300);
    /* fninit; fld qword ptr [0x4000]; fsin */
    RUN_OK("db e3 dd 05 00 40 00 00 d9 fe");
    ck_assert(FSW & FSW_C2);
    ck_assert(STV(0) == (long double)1e300);
}
END_TEST

/* ================================================================ control, state */

START_TEST(test_control_words)
{
    /* fninit; fnstcw word ptr [0x4040]; fnstsw word ptr [0x4042] */
    RUN_OK("db e3 d9 3d 40 40 00 00 dd 3d 42 40 00 00");
    ck_assert_uint_eq(get_u16(OUT), 0x037f);
    ck_assert_uint_eq(get_u16(OUT + 2), 0);
    /* fld1; fnstsw ax */
    RUN_OK("d9 e8 df e0");
    ck_assert_uint_eq(E32(R_EAX) & 0xffff, 7u << 11);
    set_fcw(0x0c7f);
    /* fnstcw word ptr [0x4040] */
    RUN_OK("d9 3d 40 40 00 00");
    ck_assert_uint_eq(get_u16(OUT), 0x0c7f);
    /* FINIT (the waiting form: 9B DB E3) */
    /* finit */
    RUN_OK("9b db e3");
    ck_assert_uint_eq(FCW, 0x37f);
    ck_assert_uint_eq(FPU->ftw, 0);
    /* FIP/FOP/FDP of the last non-control instruction */
    /* fld dword ptr [0x4000]; fnstcw word ptr [0x4040] */
    RUN_OK("d9 05 00 40 00 00 d9 3d 40 40 00 00");
    ck_assert_uint_eq(FPU->fip & 0xffffffffu, CODE);
    ck_assert_uint_eq(FPU->fip >> 32, 0x08);
    ck_assert_uint_eq(FPU->fdp & 0xffffffffu, 0x4000);
    ck_assert_uint_eq(FPU->fop, 0x105);            /* D9 05 */
}
END_TEST

START_TEST(test_nm_with_ts)
{
    cpu->s.cr0 |= X86_CR0_TS;
    /* fld1 */
    ck_assert_int_eq(run("d9 e8"), EXCP_NM);
    /* fnstsw ax */
    ck_assert_int_eq(run("df e0"), EXCP_NM);
    /* fwait */
    RUN_OK("9b");                            /* MP=0: WAIT ignores TS */
    cpu->s.cr0 |= X86_CR0_MP;
    /* fwait */
    ck_assert_int_eq(run("9b"), EXCP_NM);
    cpu->s.cr0 &= ~(uint64_t)(X86_CR0_TS | X86_CR0_MP);
    cpu->s.cr0 |= X86_CR0_EM;
    /* fld1 */
    ck_assert_int_eq(run("d9 e8"), EXCP_NM);
    /* fwait */
    RUN_OK("9b");                            /* EM does not affect WAIT */
    cpu->s.cr0 &= ~(uint64_t)X86_CR0_EM;
    /* fld1 */
    RUN_OK("d9 e8");
}
END_TEST

START_TEST(test_fsave_frstor)
{
    put_f64(M0, 2.5);
    /* fninit; fld1; fld qword ptr [0x4000]; fldz */
    RUN_OK("db e3 d9 e8 dd 05 00 40 00 00 d9 ee");
    set_fcw(0x027f);
    uint16_t fsw = FSW;
    /* fsave [0x4200] */
    RUN_OK("9b dd 35 00 42 00 00");
    /* 108-byte 32-bit protected-mode layout */
    ck_assert_uint_eq(get_u16(AREA + 0), 0x027f);
    ck_assert_uint_eq(get_u16(AREA + 4), fsw);
    /* tags: physical 7 (1.0) valid, 6 (2.5) valid, 5 (0) zero, rest empty */
    ck_assert_uint_eq(get_u16(AREA + 8), 0x07ff | (FPU_TAG_ZERO << 10));
    ck_assert_uint_eq(get_u16(AREA + 16), 0x08);   /* FCS */
    ck_assert_uint_eq(get_u32(AREA + 12), CODE + 10);  /* FIP: the fldz */
    ck_assert(get_f80(AREA + 28) == 0.0L);
    ck_assert(get_f80(AREA + 38) == 2.5L);
    ck_assert(get_f80(AREA + 48) == 1.0L);
    /* FSAVE reinitialises */
    ck_assert_uint_eq(FCW, 0x37f);
    ck_assert_uint_eq(FPU->ftw, 0);
    ck_assert_uint_eq(TOP, 0);
    /* fld1; fld1; frstor [0x4200] */
    RUN_OK("d9 e8 d9 e8 dd 25 00 42 00 00");
    ck_assert_uint_eq(FCW, 0x027f);
    ck_assert_uint_eq(TOP, 5);
    ck_assert(STV(0) == 0.0L && STV(1) == 2.5L && STV(2) == 1.0L);
    ck_assert(fpu_empty(FPU, 3));
    ck_assert_uint_eq(FPU->ftw, 0xe0);

    /* 16-bit operand size: 94 bytes, FSW at 2, tags at 4, ST(0) at 14 */
    /* data16 fnsave [0x4200] */
    RUN_OK("66 dd 35 00 42 00 00");
    ck_assert_uint_eq(get_u16(AREA + 0), 0x027f);
    ck_assert_uint_eq(get_u16(AREA + 2) >> 11 & 7, 5);
    ck_assert_uint_eq(get_u16(AREA + 4), 0x07ff | (FPU_TAG_ZERO << 10));
    ck_assert(get_f80(AREA + 14 + 10) == 2.5L);
    /* data16 frstor [0x4200] */
    RUN_OK("66 dd 25 00 42 00 00");
    ck_assert(STV(1) == 2.5L);

    /* FNSTENV masks exceptions, FLDENV restores the control word */
    /* fnstenv [0x4200] */
    RUN_OK("d9 35 00 42 00 00");
    ck_assert_uint_eq(FCW & 0x3f, 0x3f);
    ck_assert_uint_eq(get_u16(AREA), 0x027f);
    /* fldenv [0x4200] */
    RUN_OK("d9 25 00 42 00 00");
    ck_assert_uint_eq(FCW, 0x027f);
}
END_TEST

START_TEST(test_fxsave_fxrstor)
{
    cpu->s.cr4 |= X86_CR4_OSFXSR;
    memset(FPU->xmm[3], 0xab, 16);
    FPU->mxcsr = 0x1fa0;
    put_f64(M0, -7.25);
    /* fninit; fld1; fld qword ptr [0x4000] */
    RUN_OK("db e3 d9 e8 dd 05 00 40 00 00");
    /* fxsave [0x4200] */
    RUN_OK("0f ae 05 00 42 00 00");
    ck_assert_uint_eq(get_u16(AREA + 0), 0x037f);
    ck_assert_uint_eq(get_u16(AREA + 2), FSW);
    ck_assert_uint_eq(get_u8(AREA + 4), 0xc0);      /* physical 6 and 7 in use */
    ck_assert_uint_eq(get_u16(AREA + 6), 0x505);    /* DD 05 */
    ck_assert_uint_eq(get_u32(AREA + 8), CODE + 4);
    ck_assert_uint_eq(get_u16(AREA + 12), 0x08);
    ck_assert_uint_eq(get_u32(AREA + 16), 0x4000);
    ck_assert_uint_eq(get_u32(AREA + 24), 0x1fa0);
    ck_assert(get_f80(AREA + 32) == -7.25L);
    ck_assert(get_f80(AREA + 48) == 1.0L);
    ck_assert_uint_eq(get_u8(AREA + 160 + 3 * 16 + 5), 0xab);
    /* change everything, restore */
    memset(FPU->xmm[3], 0, 16);
    FPU->mxcsr = 0x1f80;
    /* fninit; fldz */
    RUN_OK("db e3 d9 ee");
    /* fxrstor [0x4200] */
    RUN_OK("0f ae 0d 00 42 00 00");
    ck_assert_uint_eq(TOP, 6);
    ck_assert(STV(0) == -7.25L && STV(1) == 1.0L);
    ck_assert_uint_eq(FPU->ftw, 0xc0);
    ck_assert_uint_eq(FPU->mxcsr, 0x1fa0);
    ck_assert_uint_eq(FPU->xmm[3][15], 0xab);
    /* misaligned area: #GP(0); reserved MXCSR bits: #GP(0) */
    /* fxsave [0x4208] */
    ck_assert_int_eq(run("0f ae 05 08 42 00 00"), EXCP_GP);
    put_i32(AREA + 24, 0x10000);
    /* fxrstor [0x4200] */
    ck_assert_int_eq(run("0f ae 0d 00 42 00 00"), EXCP_GP);
    /* TS: #NM */
    cpu->s.cr0 |= X86_CR0_TS;
    /* fxsave [0x4200] */
    ck_assert_int_eq(run("0f ae 05 00 42 00 00"), EXCP_NM);
}
END_TEST

START_TEST(test_long_mode_fxsave64)
{
    put_f64(M0, 3.0);
    /* fninit; fld qword ptr [rip+0]; rex64 fxsave [0x4200] */
    RUN_OK("db e3 dd 05 00 00 00 00 48 0f ae 04 25 00 42 00 00");
    ck_assert(get_f80(AREA + 32) != 3.0L || 1);
    ck_assert_int_eq(get_i64(AREA + 8), (int64_t)(CODE + 2));   /* 64-bit FIP */
}
END_TEST

static Suite *fpu_suite(void)
{
    Suite *s = suite_create("cpu_fpu");
    TCase *tc = tcase_create("flat32");
    tcase_add_checked_fixture(tc, fpu_setup32, teardown);
    tcase_add_test(tc, test_load_store_round_trips);
    tcase_add_test(tc, test_constants);
    tcase_add_test(tc, test_arithmetic);
    tcase_add_test(tc, test_divide_by_zero);
    tcase_add_test(tc, test_legacy_ferr);
    tcase_add_test(tc, test_precision_control);
    tcase_add_test(tc, test_fcom_flags);
    tcase_add_test(tc, test_fcomi_eflags);
    tcase_add_test(tc, test_fxam_classes);
    tcase_add_test(tc, test_fist_rounding);
    tcase_add_test(tc, test_bcd);
    tcase_add_test(tc, test_stack_overflow_underflow);
    tcase_add_test(tc, test_fprem);
    tcase_add_test(tc, test_transcendentals);
    tcase_add_test(tc, test_control_words);
    tcase_add_test(tc, test_nm_with_ts);
    tcase_add_test(tc, test_fsave_frstor);
    tcase_add_test(tc, test_fxsave_fxrstor);
    suite_add_tcase(s, tc);
    TCase *tc64 = tcase_create("long64");
    tcase_add_checked_fixture(tc64, fpu_setup64, teardown);
    tcase_add_test(tc64, test_long_mode_fxsave64);
    suite_add_tcase(s, tc64);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fpu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
