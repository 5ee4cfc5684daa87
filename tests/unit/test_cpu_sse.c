/*
 * Unit tests for the MMX / SSE / SSE2 handlers (cpu/exec_mmx.c, exec_sse_int.c,
 * exec_sse_fp.c, exec_sse_move.c): machine code is decoded with x86_decode and
 * dispatched to the handler table filled by exec_register_integer and
 * exec_register_simd, on a CPU in flat 32-bit protected mode (or 64-bit mode)
 * with CR4.OSFXSR set. Vectors are checked against values worked out by hand
 * from the SDM's definitions; each block names its instructions in a comment.
 */
#include <math.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "cpu_int_harness.h"
#pragma GCC diagnostic pop

#define MXCSR_DEFAULT 0x1f80u

static void setup_sse(bool mode64)
{
    setup_mode(mode64);
    exec_register_simd(table);
    cpu->s.cr4 |= X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    cpu->s.cr0 &= ~(uint64_t)(X86_CR0_EM | X86_CR0_TS);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
}
static void setup_sse32(void) { setup_sse(false); }
static void setup_sse64(void) { setup_sse(true); }

static void setx(int n, uint64_t lo, uint64_t hi)
{
    memcpy(cpu->s.fpu.xmm[n], &lo, 8);
    memcpy(cpu->s.fpu.xmm[n] + 8, &hi, 8);
}
static uint64_t xq(int n, int i)
{
    uint64_t v;
    memcpy(&v, cpu->s.fpu.xmm[n] + 8 * i, 8);
    return v;
}
static uint32_t xd(int n, int i)
{
    uint32_t v;
    memcpy(&v, cpu->s.fpu.xmm[n] + 4 * i, 4);
    return v;
}
static uint16_t xw(int n, int i)
{
    uint16_t v;
    memcpy(&v, cpu->s.fpu.xmm[n] + 2 * i, 2);
    return v;
}
static void setxf(int n, float a, float b, float c, float d)
{
    float f[4] = { a, b, c, d };
    memcpy(cpu->s.fpu.xmm[n], f, 16);
}
static float xf(int n, int i)
{
    float f;
    memcpy(&f, cpu->s.fpu.xmm[n] + 4 * i, 4);
    return f;
}
static void setxd(int n, double a, double b)
{
    double d[2] = { a, b };
    memcpy(cpu->s.fpu.xmm[n], d, 16);
}
static double xdbl(int n, int i)
{
    double d;
    memcpy(&d, cpu->s.fpu.xmm[n] + 8 * i, 8);
    return d;
}
static uint64_t mmq(int n)
{
    uint64_t v;
    memcpy(&v, cpu->s.fpu.st[n], 8);
    return v;
}
static void setmm(int n, uint64_t v)
{
    memcpy(cpu->s.fpu.st[n], &v, 8);
}
static uint64_t ld64(uint64_t a) { return address_space_ld(&tb->mem, a, 8); }
static void st64(uint64_t a, uint64_t v) { address_space_st(&tb->mem, a, v, 8); }
static void stf(uint64_t a, float f) { uint32_t u; memcpy(&u, &f, 4); st32(a, u); }
static void std64(uint64_t a, double d) { uint64_t u; memcpy(&u, &d, 8); st64(a, u); }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* ===================================================================== moves */

START_TEST(test_movd_movq)
{
    setx(1, 0x1111111111111111ull, 0x2222222222222222ull);
    RUN_OK("b8 ef cd ab 89 66 0f 6e c8");  /* mov eax, 0x89abcdef; movd xmm1, eax */
    ck_assert_uint_eq(xq(1, 0), 0x89abcdefull);
    ck_assert_uint_eq(xq(1, 1), 0);
    st64(DATA, 0x0123456789abcdefull);
    setx(3, ~0ull, ~0ull);
    RUN_OK("f3 0f 7e 1d 00 40 00 00");  /* movq xmm3, qword ptr [0x4000] */
    ck_assert_uint_eq(xq(3, 0), 0x0123456789abcdefull);
    ck_assert_uint_eq(xq(3, 1), 0);                  /* upper zeroed */
    /* movq qword ptr [0x4010], xmm3; movd ebx, xmm1; movd dword ptr [0x4020], xmm1 */
    RUN_OK("66 0f d6 1d 10 40 00 00 66 0f 7e cb 66 0f 7e 0d 20 40 00 00");
    ck_assert_uint_eq(ld64(DATA + 16), 0x0123456789abcdefull);
    ck_assert_uint_eq(E32(R_EBX), 0x89abcdef);
    ck_assert_uint_eq(ld32(DATA + 0x20), 0x89abcdef);
    /* 66 0F D6 to a register zeroes the upper half; F3 0F 7E between registers too */
    setx(4, 5, 6);
    setx(5, 7, 8);
    RUN_OK("f3 0f 7e e5");  /* movq xmm4, xmm5 */
    ck_assert_uint_eq(xq(4, 0), 7);
    ck_assert_uint_eq(xq(4, 1), 0);
    /* MMX: movd/movq and the x87 side effects */
    cpu->s.fpu.fsw = 3u << 11;                       /* TOP = 3 */
    cpu->s.fpu.ftw = 0;
    /* movd mm2, eax; movq mm3, qword ptr [0x4000]; movq qword ptr [0x4030], mm2 */
    RUN_OK("0f 6e d0 0f 6f 1d 00 40 00 00 0f 7f 15 30 40 00 00");
    ck_assert_uint_eq(mmq(2), 0x89abcdefull);
    ck_assert_uint_eq(mmq(3), 0x0123456789abcdefull);
    ck_assert_uint_eq(ld64(DATA + 0x30), 0x89abcdefull);
    ck_assert_uint_eq((cpu->s.fpu.fsw >> 11) & 7, 0);  /* TOP = 0 */
    ck_assert_uint_eq(cpu->s.fpu.ftw, 0xff);           /* all valid */
    ck_assert_uint_eq(cpu->s.fpu.st[2][8], 0xff);      /* exponent all ones */
    ck_assert_uint_eq(cpu->s.fpu.st[2][9], 0xff);
    RUN_OK("0f 7e d9 0f 77");  /* movd ecx, mm3; emms */
    ck_assert_uint_eq(E32(R_ECX), 0x89abcdef);
    ck_assert_uint_eq(cpu->s.fpu.ftw, 0);              /* all empty */
    /* MOVQ2DQ / MOVDQ2Q */
    setx(6, ~0ull, ~0ull);
    RUN_OK("f3 0f d6 f3 f2 0f d6 e1");  /* movq2dq xmm6, mm3; movdq2q mm4, xmm1 */
    ck_assert_uint_eq(xq(6, 0), 0x0123456789abcdefull);
    ck_assert_uint_eq(xq(6, 1), 0);
    ck_assert_uint_eq(mmq(4), 0x89abcdefull);
}
END_TEST

START_TEST(test_movd_movq_64)
{
    /* mov rax, 0x1122334455667788; movq xmm12, rax; movq rbx, xmm12 */
    RUN_OK("48 b8 88 77 66 55 44 33 22 11 66 4c 0f 6e e0 66 4c 0f 7e e3");
    ck_assert_uint_eq(xq(12, 0), 0x1122334455667788ull);
    ck_assert_uint_eq(xq(12, 1), 0);
    ck_assert_uint_eq(REG(R_EBX), 0x1122334455667788ull);
    REG(R_ECX) = ~0ull;
    RUN_OK("66 44 0f 7e e1");  /* movd ecx, xmm12 */                   /* 32-bit write zero-extends */
    ck_assert_uint_eq(REG(R_ECX), 0x55667788ull);
    RUN_OK("48 0f 6e c8 48 0f 7e ca");  /* movq mm1, rax; movq rdx, mm1 */
    ck_assert_uint_eq(REG(R_EDX), 0x1122334455667788ull);
    setx(9, 1, 2);
    /* movdqa xmm15, xmm9; movdqu xmmword ptr [0x4008], xmm15; movdqu xmm8, xmmword ptr [0x4008] */
    RUN_OK("66 45 0f 6f f9 f3 44 0f 7f 3c 25 08 40 00 00 f3 44 0f 6f 04 25 08 40 00 00");
    ck_assert_uint_eq(xq(15, 0), 1);
    ck_assert_uint_eq(xq(15, 1), 2);
    ck_assert_uint_eq(ld64(DATA + 8), 1);
    ck_assert_uint_eq(ld64(DATA + 16), 2);
    ck_assert_uint_eq(xq(8, 1), 2);
    /* movdqa xmm8, xmmword ptr [0x4008] */
    ck_assert_int_eq(run("66 44 0f 6f 04 25 08 40 00 00"), 13);
    RUN_OK("66 44 0f 6f 04 25 10 40 00 00");  /* movdqa xmm8, xmmword ptr [0x4010] */
    ck_assert_uint_eq(xq(8, 0), 2);
}
END_TEST

START_TEST(test_aligned_forms)
{
    setx(0, 0xaaaa, 0xbbbb);
    /* movdqa xmm1, xmmword ptr [0x4008] */
    ck_assert_int_eq(run("66 0f 6f 0d 08 40 00 00"), 13);
    /* movaps xmmword ptr [0x4004], xmm0 */
    ck_assert_int_eq(run("0f 29 05 04 40 00 00"), 13);
    /* movapd xmm1, xmmword ptr [0x4001] */
    ck_assert_int_eq(run("66 0f 28 0d 01 40 00 00"), 13);
    /* paddb xmm0, xmmword ptr [0x4008] */
    ck_assert_int_eq(run("66 0f fc 05 08 40 00 00"), 13);
    /* addps xmm0, xmmword ptr [0x4008] */
    ck_assert_int_eq(run("0f 58 05 08 40 00 00"), 13);
    /* movntdq xmmword ptr [0x4008], xmm0 */
    ck_assert_int_eq(run("66 0f e7 05 08 40 00 00"), 13);
    ck_assert_uint_eq(ld64(DATA + 8), 0);            /* nothing was written */
    /* movups xmmword ptr [0x4004], xmm0; movupd xmm1, xmmword ptr [0x4004]; movdqu xmm2, xmmword ptr [0x4004] */
    RUN_OK("0f 11 05 04 40 00 00 66 0f 10 0d 04 40 00 00 f3 0f 6f 15 04 40 00 00");
    ck_assert_uint_eq(xq(1, 0), 0xaaaa);
    ck_assert_uint_eq(xq(2, 1), 0xbbbb);
    /* scalar and 64-bit memory operands need no alignment */
    /* addss xmm0, dword ptr [0x4004]; movq xmm3, qword ptr [0x4004] */
    RUN_OK("f3 0f 58 05 04 40 00 00 f3 0f 7e 1d 04 40 00 00");
    /* movaps xmm4, xmmword ptr [0x4000]; movntps xmmword ptr [0x4020], xmm0 */
    RUN_OK("0f 28 25 00 40 00 00 0f 2b 05 20 40 00 00");
    ck_assert_uint_eq(ld64(DATA + 0x28), 0xbbbb);
    /* a DS base that misaligns an aligned offset */
    cpu->s.seg[R_DS].base = 8;
    /* movdqa xmm1, xmmword ptr [0x4000] */
    ck_assert_int_eq(run("66 0f 6f 0d 00 40 00 00"), 13);
}
END_TEST

START_TEST(test_movss_movsd_halves)
{
    setx(1, 0x1111111122222222ull, 0x3333333344444444ull);
    setx(2, 0x5555555566666666ull, 0x7777777788888888ull);
    RUN_OK("f3 0f 10 ca");  /* movss xmm1, xmm2 */                  /* register: low dword only */
    ck_assert_uint_eq(xq(1, 0), 0x1111111166666666ull);
    ck_assert_uint_eq(xq(1, 1), 0x3333333344444444ull);
    st64(DATA, 0xdeadbeefcafef00dull);
    RUN_OK("f3 0f 10 0d 00 40 00 00");  /* movss xmm1, dword ptr [0x4000] */    /* memory: zero the rest */
    ck_assert_uint_eq(xq(1, 0), 0xcafef00dull);
    ck_assert_uint_eq(xq(1, 1), 0);
    RUN_OK("f2 0f 10 15 00 40 00 00");  /* movsd xmm2, qword ptr [0x4000] */
    ck_assert_uint_eq(xq(2, 0), 0xdeadbeefcafef00dull);
    ck_assert_uint_eq(xq(2, 1), 0);
    setx(3, 1, 2);
    /* movsd xmm3, xmm2; movss dword ptr [0x4010], xmm3; movsd qword ptr [0x4018], xmm3 */
    RUN_OK("f2 0f 10 da f3 0f 11 1d 10 40 00 00 f2 0f 11 1d 18 40 00 00");
    ck_assert_uint_eq(xq(3, 0), 0xdeadbeefcafef00dull);
    ck_assert_uint_eq(xq(3, 1), 2);
    ck_assert_uint_eq(ld32(DATA + 0x10), 0xcafef00d);
    ck_assert_uint_eq(ld32(DATA + 0x14), 0);
    ck_assert_uint_eq(ld64(DATA + 0x18), 0xdeadbeefcafef00dull);
    /* halves */
    setx(4, 10, 11);
    setx(5, 20, 21);
    st64(DATA + 0x20, 99);
    RUN_OK("0f 12 25 20 40 00 00");  /* movlps xmm4, qword ptr [0x4020] */
    ck_assert_uint_eq(xq(4, 0), 99);
    ck_assert_uint_eq(xq(4, 1), 11);
    RUN_OK("66 0f 16 25 20 40 00 00");  /* movhpd xmm4, qword ptr [0x4020] */
    ck_assert_uint_eq(xq(4, 1), 99);
    /* movhps qword ptr [0x4028], xmm5; movlpd qword ptr [0x4030], xmm5 */
    RUN_OK("0f 17 2d 28 40 00 00 66 0f 13 2d 30 40 00 00");
    ck_assert_uint_eq(ld64(DATA + 0x28), 21);
    ck_assert_uint_eq(ld64(DATA + 0x30), 20);
    setx(4, 10, 11);
    RUN_OK("0f 12 e5");  /* movhlps xmm4, xmm5 */
    ck_assert_uint_eq(xq(4, 0), 21);
    ck_assert_uint_eq(xq(4, 1), 11);
    RUN_OK("0f 16 e5");  /* movlhps xmm4, xmm5 */
    ck_assert_uint_eq(xq(4, 0), 21);
    ck_assert_uint_eq(xq(4, 1), 20);
}
END_TEST

START_TEST(test_masks_insert_extract)
{
    setx(1, 0x8000000000000080ull, 0x0180000000008000ull);
    RUN_OK("66 0f d7 c1");  /* pmovmskb eax, xmm1 */
    ck_assert_uint_eq(E32(R_EAX), (1u << 0) | (1u << 7) | (1u << 9) | (1u << 14));
    setmm(2, 0xff00ff00000080ffull);
    RUN_OK("0f d7 da");  /* pmovmskb ebx, mm2 */
    ck_assert_uint_eq(E32(R_EBX), 0xa3);
    setx(2, 0x800000007fffffffull, 0x0000000180000000ull);
    RUN_OK("0f 50 ca 66 0f 50 d2");  /* movmskps ecx, xmm2; movmskpd edx, xmm2 */
    ck_assert_uint_eq(E32(R_ECX), 0x6);
    ck_assert_uint_eq(E32(R_EDX), 0x1);
    setx(3, 0x0003000200010000ull, 0x0007000600050004ull);
    /* mov eax, 0x1234beef; pinsrw xmm3, eax, 5; pextrw esi, xmm3, 5; pextrw edi, xmm3, 14 */
    RUN_OK("b8 ef be 34 12 66 0f c4 d8 05 66 0f c5 f3 05 66 0f c5 fb 0e");
    ck_assert_uint_eq(xw(3, 5), 0xbeef);
    ck_assert_uint_eq(xw(3, 4), 4);
    ck_assert_uint_eq(E32(R_ESI), 0xbeef);
    ck_assert_uint_eq(E32(R_EDI), 6);                 /* index taken modulo 8 */
    setmm(1, 0x4444333322221111ull);
    st32(DATA, 0xabcd);
    /* pinsrw mm1, word ptr [0x4000], 2; pextrw eax, mm1, 7 */
    RUN_OK("0f c4 0d 00 40 00 00 02 0f c5 c1 07");
    ck_assert_uint_eq(mmq(1), 0x4444abcd22221111ull);
    ck_assert_uint_eq(E32(R_EAX), 0x4444);
    /* masked stores to DS:EDI */
    st64(DATA + 0x40, 0);
    st64(DATA + 0x48, 0);
    setx(4, 0x8877665544332211ull, 0xaaffeeddccbbaa99ull);
    setx(5, 0x0080008000800080ull, 0xff00000000000000ull);
    REG(R_EDI) = DATA + 0x40;
    RUN_OK("66 0f f7 e5");  /* maskmovdqu xmm4, xmm5 */
    ck_assert_uint_eq(ld64(DATA + 0x40), 0x0077005500330011ull);
    ck_assert_uint_eq(ld64(DATA + 0x48), 0xaa00000000000000ull);
    setmm(0, 0x1122334455667788ull);
    setmm(1, 0x8000000000000080ull);
    RUN_OK("0f f7 c1");  /* maskmovq mm0, mm1 */
    ck_assert_uint_eq(ld64(DATA + 0x40), 0x1177005500330088ull);
}
END_TEST

START_TEST(test_shuffles_unpacks)
{
    setx(1, 0x0000000100000000ull, 0x0000000300000002ull);
    RUN_OK("66 0f 70 d1 1b");  /* pshufd xmm2, xmm1, 0x1b */           /* reverse the dwords */
    ck_assert_uint_eq(xq(2, 0), 0x0000000200000003ull);
    ck_assert_uint_eq(xq(2, 1), 0x0000000000000001ull);
    RUN_OK("66 0f 70 d1 55");  /* pshufd xmm2, xmm1, 0x55 */           /* broadcast dword 1 */
    ck_assert_uint_eq(xd(2, 0), 1);
    ck_assert_uint_eq(xd(2, 3), 1);
    setx(3, 0x0003000200010000ull, 0x0007000600050004ull);
    /* pshufhw xmm4, xmm3, 0x1b; pshuflw xmm5, xmm3, 0x00 */
    RUN_OK("f3 0f 70 e3 1b f2 0f 70 eb 00");
    ck_assert_uint_eq(xq(4, 0), 0x0003000200010000ull);
    ck_assert_uint_eq(xq(4, 1), 0x0004000500060007ull);
    ck_assert_uint_eq(xq(5, 0), 0);
    ck_assert_uint_eq(xq(5, 1), 0x0007000600050004ull);
    setmm(0, 0x0003000200010000ull);
    RUN_OK("0f 70 c8 e4 0f 70 d0 1b");  /* pshufw mm1, mm0, 0xe4; pshufw mm2, mm0, 0x1b */
    ck_assert_uint_eq(mmq(1), 0x0003000200010000ull);
    ck_assert_uint_eq(mmq(2), 0x0000000100020003ull);
    setx(6, 0x0000000100000000ull, 0x0000000300000002ull);
    setx(7, 0x0000000b0000000aull, 0x0000000d0000000cull);
    RUN_OK("66 0f 6f c6 0f c6 c7 4e");  /* movdqa xmm0, xmm6; shufps xmm0, xmm7, 0x4e */
    ck_assert_uint_eq(xq(0, 0), 0x0000000300000002ull);
    ck_assert_uint_eq(xq(0, 1), 0x0000000b0000000aull);
    RUN_OK("66 0f 6f c6 66 0f c6 c7 01");  /* movdqa xmm0, xmm6; shufpd xmm0, xmm7, 1 */
    ck_assert_uint_eq(xq(0, 0), 0x0000000300000002ull);
    ck_assert_uint_eq(xq(0, 1), 0x0000000b0000000aull);
    RUN_OK("66 0f 6f c6 0f 14 c7");  /* movdqa xmm0, xmm6; unpcklps xmm0, xmm7 */
    ck_assert_uint_eq(xq(0, 0), 0x0000000a00000000ull);
    ck_assert_uint_eq(xq(0, 1), 0x0000000b00000001ull);
    RUN_OK("66 0f 6f c6 66 0f 15 c7");  /* movdqa xmm0, xmm6; unpckhpd xmm0, xmm7 */
    ck_assert_uint_eq(xq(0, 0), 0x0000000300000002ull);
    ck_assert_uint_eq(xq(0, 1), 0x0000000d0000000cull);
    setx(1, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    setx(2, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
    RUN_OK("66 0f 6f c1 66 0f 60 c2");  /* movdqa xmm0, xmm1; punpcklbw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x1303120211011000ull);
    ck_assert_uint_eq(xq(0, 1), 0x1707160615051404ull);
    RUN_OK("66 0f 6f c1 66 0f 69 c2");  /* movdqa xmm0, xmm1; punpckhwd xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x1b1a0b0a19180908ull);
    RUN_OK("66 0f 6f c1 66 0f 6d c2");  /* movdqa xmm0, xmm1; punpckhqdq xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x0f0e0d0c0b0a0908ull);
    ck_assert_uint_eq(xq(0, 1), 0x1f1e1d1c1b1a1918ull);
    RUN_OK("66 0f 6f c1 66 0f 62 c2");  /* movdqa xmm0, xmm1; punpckldq xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x1716151407060504ull);
    /* MMX low unpack takes a 32-bit memory operand */
    setmm(3, 0x0706050403020100ull);
    st64(DATA, 0xffffffff13121110ull);
    RUN_OK("0f 60 1d 00 40 00 00");  /* punpcklbw mm3, dword ptr [0x4000] */
    ck_assert_uint_eq(mmq(3), 0x1303120211011000ull);
}
END_TEST

/* ========================================================== packed integers */

START_TEST(test_add_sub_saturation)
{
    setx(1, 0x7f80ff0001fe7f80ull, 0x8000800000010002ull);
    setx(2, 0x01ff0101ff017f80ull, 0x0001ffff7fff8000ull);
    RUN_OK("66 0f 6f c1 66 0f fc c2");  /* movdqa xmm0, xmm1; paddb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x807f000100fffe00ull);
    RUN_OK("66 0f 6f c1 66 0f ec c2");  /* movdqa xmm0, xmm1; paddsb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7f80000100ff7f80ull);
    RUN_OK("66 0f 6f c1 66 0f dc c2");  /* movdqa xmm0, xmm1; paddusb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x80ffff01fffffeffull);
    RUN_OK("66 0f 6f c1 66 0f d8 c2");  /* movdqa xmm0, xmm1; psubusb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7e00fe0000fd0000ull);
    RUN_OK("66 0f 6f c1 66 0f e8 c2");  /* movdqa xmm0, xmm1; psubsb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7e81feff02fd0000ull);
    /* words, high qword: 8000 8000 0001 0002 vs 0001 ffff 7fff 8000 */
    RUN_OK("66 0f 6f c1 66 0f ed c2");  /* movdqa xmm0, xmm1; paddsw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x800180007fff8002ull);
    RUN_OK("66 0f 6f c1 66 0f e9 c2");  /* movdqa xmm0, xmm1; psubsw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x8000800180027fffull);
    RUN_OK("66 0f 6f c1 66 0f dd c2");  /* movdqa xmm0, xmm1; paddusw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x8001ffff80008002ull);
    RUN_OK("66 0f 6f c1 66 0f d9 c2");  /* movdqa xmm0, xmm1; psubusw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x7fff000000000000ull);
    RUN_OK("66 0f 6f c1 66 0f f9 c2");  /* movdqa xmm0, xmm1; psubw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x7fff800180028002ull);
    setx(3, 0xffffffffffffffffull, 0x8000000000000000ull);
    setx(4, 1, 0x8000000000000000ull);
    RUN_OK("66 0f 6f c3 66 0f d4 c4");  /* movdqa xmm0, xmm3; paddq xmm0, xmm4 */
    ck_assert_uint_eq(xq(0, 0), 0);
    ck_assert_uint_eq(xq(0, 1), 0);
    /* movdqa xmm0, xmm3; psubq xmm0, xmm4; paddd xmm3, xmm4; psubd xmm4, xmm4 */
    RUN_OK("66 0f 6f c3 66 0f fb c4 66 0f fe dc 66 0f fa e4");
    ck_assert_uint_eq(xq(0, 0), 0xfffffffffffffffeull);
    ck_assert_uint_eq(xq(3, 0), 0xffffffff00000000ull);
    ck_assert_uint_eq(xq(4, 0) | xq(4, 1), 0);
    /* MMX forms touch only the MMX register */
    setmm(0, 0x7fff7fff00010001ull);
    setmm(1, 0x0001800000010001ull);
    RUN_OK("0f ed c1");  /* paddsw mm0, mm1 */
    ck_assert_uint_eq(mmq(0), 0x7fffffff00020002ull);
    st64(DATA, 0x0100010001000100ull);
    RUN_OK("0f fd 05 00 40 00 00");  /* paddw mm0, qword ptr [0x4000] */
    ck_assert_uint_eq(mmq(0), 0x80ff00ff01020102ull);
}
END_TEST

START_TEST(test_multiplies)
{
    setx(1, 0x8000ffff7fff0003ull, 0x0002000300040005ull);
    setx(2, 0x8000ffff7fff0004ull, 0xfffffffe00100020ull);
    RUN_OK("66 0f 6f c1 66 0f d5 c2");  /* movdqa xmm0, xmm1; pmullw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x000000010001000cull);
    RUN_OK("66 0f 6f c1 66 0f e5 c2");  /* movdqa xmm0, xmm1; pmulhw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x400000003fff0000ull);
    RUN_OK("66 0f 6f c1 66 0f e4 c2");  /* movdqa xmm0, xmm1; pmulhuw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x4000fffe3fff0000ull);
    /* pmaddwd: (-32768 * -32768) * 2 wraps to 0x80000000 */
    setx(3, 0x8000800000030002ull, 0xffff000100020001ull);
    setx(4, 0x8000800000050004ull, 0x0003000400060007ull);
    RUN_OK("66 0f 6f c3 66 0f f5 c4");  /* movdqa xmm0, xmm3; pmaddwd xmm0, xmm4 */
    ck_assert_uint_eq(xd(0, 0), 2 * 4 + 3 * 5);
    ck_assert_uint_eq(xd(0, 1), 0x80000000u);
    ck_assert_uint_eq(xd(0, 2), 1 * 7 + 2 * 6);
    ck_assert_uint_eq(xd(0, 3), (uint32_t)(1 * 4 + -1 * 3));
    setx(5, 0x00000000ffffffffull, 0x0000000300000002ull);
    setx(6, 0x12345678ffffffffull, 0xaaaaaaaa80000000ull);
    RUN_OK("66 0f 6f c5 66 0f f4 c6");  /* movdqa xmm0, xmm5; pmuludq xmm0, xmm6 */
    ck_assert_uint_eq(xq(0, 0), 0xfffffffe00000001ull);
    ck_assert_uint_eq(xq(0, 1), 0x100000000ull);
    setmm(0, 0x00000000ffffffffull);
    setmm(1, 0x0000000000000002ull);
    RUN_OK("0f f4 c1");  /* pmuludq mm0, mm1 */
    ck_assert_uint_eq(mmq(0), 0x1fffffffeull);
    /* psadbw: sum of absolute byte differences per qword */
    setx(7, 0x00ff10200a0b0c0dull, 0x0101010101010101ull);
    setx(6, 0xff0020100d0c0b0aull, 0x0000000000000000ull);
    RUN_OK("66 0f 6f c7 66 0f f6 c6");  /* movdqa xmm0, xmm7; psadbw xmm0, xmm6 */
    ck_assert_uint_eq(xq(0, 0), 255 + 255 + 16 + 16 + 3 + 1 + 1 + 3);
    ck_assert_uint_eq(xq(0, 1), 8);
}
END_TEST

START_TEST(test_logic_compare_minmax)
{
    setx(1, 0xff00ff00f0f0f0f0ull, 0x1234567812345678ull);
    setx(2, 0x0ff00ff0ffff0000ull, 0xffffffff00000000ull);
    RUN_OK("66 0f 6f c1 66 0f db c2");  /* movdqa xmm0, xmm1; pand xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x0f000f00f0f00000ull);
    RUN_OK("66 0f 6f c1 66 0f df c2");  /* movdqa xmm0, xmm1; pandn xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x00f000f00f0f0000ull);
    ck_assert_uint_eq(xq(0, 1), 0xedcba98700000000ull);
    /* movdqa xmm0, xmm1; por xmm0, xmm2; movdqa xmm3, xmm1; pxor xmm3, xmm2 */
    RUN_OK("66 0f 6f c1 66 0f eb c2 66 0f 6f d9 66 0f ef da");
    ck_assert_uint_eq(xq(0, 0), 0xfff0fff0fffff0f0ull);
    ck_assert_uint_eq(xq(3, 1), 0xedcba98712345678ull);
    /* movaps xmm4, xmm1; xorps xmm4, xmm4; movapd xmm5, xmm1; andnpd xmm5, xmm2 */
    RUN_OK("0f 28 e1 0f 57 e4 66 0f 28 e9 66 0f 55 ea");
    ck_assert_uint_eq(xq(4, 0) | xq(4, 1), 0);
    ck_assert_uint_eq(xq(5, 1), 0xedcba98700000000ull);
    setx(1, 0x80017f00ff0a0505ull, 0x8000000100007fffull);
    setx(2, 0x7f0180ff000a0506ull, 0x7fff0001ffff8000ull);
    RUN_OK("66 0f 6f c1 66 0f 74 c2");  /* movdqa xmm0, xmm1; pcmpeqb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x00ff000000ffff00ull);
    RUN_OK("66 0f 6f c1 66 0f 64 c2");  /* movdqa xmm0, xmm1; pcmpgtb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x0000ffff00000000ull);
    RUN_OK("66 0f 6f c1 66 0f 65 c2");  /* movdqa xmm0, xmm1; pcmpgtw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x00000000ffffffffull);
    /* movdqa xmm0, xmm1; pcmpeqd xmm0, xmm2; movdqa xmm3, xmm1; pcmpgtd xmm3, xmm2 */
    RUN_OK("66 0f 6f c1 66 0f 76 c2 66 0f 6f d9 66 0f 66 da");
    ck_assert_uint_eq(xq(0, 1), 0);
    ck_assert_uint_eq(xd(3, 3), 0);                  /* 0x80000001 < 0x7fff0001 signed */
    ck_assert_uint_eq(xd(3, 2), 0xffffffffu);        /* 0x00007fff > 0xffff8000 */
    RUN_OK("66 0f 6f c1 66 0f da c2");  /* movdqa xmm0, xmm1; pminub xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7f017f00000a0505ull);
    RUN_OK("66 0f 6f c1 66 0f de c2");  /* movdqa xmm0, xmm1; pmaxub xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x800180ffff0a0506ull);
    RUN_OK("66 0f 6f c1 66 0f ea c2");  /* movdqa xmm0, xmm1; pminsw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x80000001ffff8000ull);
    RUN_OK("66 0f 6f c1 66 0f ee c2");  /* movdqa xmm0, xmm1; pmaxsw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x7fff000100007fffull);
    RUN_OK("66 0f 6f c1 66 0f e0 c2");  /* movdqa xmm0, xmm1; pavgb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x80018080800a0506ull);
    RUN_OK("66 0f 6f c1 66 0f e3 c2");  /* movdqa xmm0, xmm1; pavgw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 1), 0x8000000180008000ull);
}
END_TEST

START_TEST(test_shifts)
{
    setx(1, 0x8000400020001000ull, 0x80000000f0000001ull);
    RUN_OK("66 0f 6f c1 66 0f 71 f0 03");  /* movdqa xmm0, xmm1; psllw xmm0, 3 */
    ck_assert_uint_eq(xq(0, 0), 0x0000000000008000ull);
    RUN_OK("66 0f 6f c1 66 0f 71 d0 0f");  /* movdqa xmm0, xmm1; psrlw xmm0, 15 */
    ck_assert_uint_eq(xq(0, 0), 0x0001000000000000ull);
    RUN_OK("66 0f 6f c1 66 0f 71 e0 0e");  /* movdqa xmm0, xmm1; psraw xmm0, 14 */
    ck_assert_uint_eq(xq(0, 0), 0xfffe000100000000ull);
    RUN_OK("66 0f 6f c1 66 0f 71 e0 10");  /* movdqa xmm0, xmm1; psraw xmm0, 16 */       /* count >= 16: sign fill */
    ck_assert_uint_eq(xq(0, 0), 0xffff000000000000ull);
    RUN_OK("66 0f 6f c1 66 0f 71 f0 10");  /* movdqa xmm0, xmm1; psllw xmm0, 16 */       /* count >= 16: zero */
    ck_assert_uint_eq(xq(0, 0) | xq(0, 1), 0);
    /* movdqa xmm0, xmm1; psrad xmm0, 4; movdqa xmm2, xmm1; psrld xmm2, 32 */
    RUN_OK("66 0f 6f c1 66 0f 72 e0 04 66 0f 6f d1 66 0f 72 d2 20");
    ck_assert_uint_eq(xq(0, 1), 0xf8000000ff000000ull);
    ck_assert_uint_eq(xq(2, 0) | xq(2, 1), 0);
    /* movdqa xmm0, xmm1; psllq xmm0, 4; movdqa xmm2, xmm1; psrlq xmm2, 64 */
    RUN_OK("66 0f 6f c1 66 0f 73 f0 04 66 0f 6f d1 66 0f 73 d2 40");
    ck_assert_uint_eq(xq(0, 1), 0x0000000f00000010ull);
    ck_assert_uint_eq(xq(2, 0) | xq(2, 1), 0);
    /* count from a register: the whole low qword counts */
    setx(3, 0x100000001ull, 0);
    RUN_OK("66 0f 6f c1 66 0f f2 c3");  /* movdqa xmm0, xmm1; pslld xmm0, xmm3 */
    ck_assert_uint_eq(xq(0, 0) | xq(0, 1), 0);
    setx(3, 4, 0xffff);
    RUN_OK("66 0f 6f c1 66 0f f2 c3");  /* movdqa xmm0, xmm1; pslld xmm0, xmm3 */
    ck_assert_uint_eq(xq(0, 1), 0x0000000000000010ull);
    st64(DATA, 33);
    /* movdqa xmm0, xmm1; psrad xmm0, xmmword ptr [0x4000] */
    RUN_OK("66 0f 6f c1 66 0f e2 05 00 40 00 00");
    ck_assert_uint_eq(xq(0, 1), 0xffffffffffffffffull);
    /* byte shifts */
    setx(4, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    /* movdqa xmm0, xmm4; pslldq xmm0, 3; movdqa xmm2, xmm4; psrldq xmm2, 5 */
    RUN_OK("66 0f 6f c4 66 0f 73 f8 03 66 0f 6f d4 66 0f 73 da 05");
    ck_assert_uint_eq(xq(0, 0), 0x0403020100000000ull);
    ck_assert_uint_eq(xq(0, 1), 0x0c0b0a0908070605ull);
    ck_assert_uint_eq(xq(2, 0), 0x0c0b0a0908070605ull);
    ck_assert_uint_eq(xq(2, 1), 0x00000000000f0e0dull);
    RUN_OK("66 0f 6f c4 66 0f 73 d8 10");  /* movdqa xmm0, xmm4; psrldq xmm0, 16 */
    ck_assert_uint_eq(xq(0, 0) | xq(0, 1), 0);
    /* MMX */
    setmm(0, 0x8000000000000001ull);
    setmm(1, 65);
    /* psrlq mm0, 63; movq mm2, mm0; psllq mm2, mm1 */
    RUN_OK("0f 73 d0 3f 0f 6f d0 0f f3 d1");
    ck_assert_uint_eq(mmq(0), 1);
    ck_assert_uint_eq(mmq(2), 0);
}
END_TEST

START_TEST(test_packs)
{
    setx(1, 0x0080ff7f7fff8000ull, 0x00ff0100fffe0001ull);
    setx(2, 0x0000000100020003ull, 0xfff0800000017fffull);
    RUN_OK("66 0f 6f c1 66 0f 63 c2");  /* movdqa xmm0, xmm1; packsswb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7f7ffe017f807f80ull);
    ck_assert_uint_eq(xq(0, 1), 0xf080017f00010203ull);
    RUN_OK("66 0f 6f c1 66 0f 67 c2");  /* movdqa xmm0, xmm1; packuswb xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0xffff00018000ff00ull);
    RUN_OK("66 0f 6f c1 66 0f 6b c2");  /* movdqa xmm0, xmm1; packssdw xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7fff80007fff7fffull);
    ck_assert_uint_eq(xq(0, 1), 0x80007fff00017fffull);
    setmm(0, 0x0100ffff00ff0080ull);
    setmm(1, 0x7fff8000fffe0010ull);
    RUN_OK("0f 67 c1");  /* packuswb mm0, mm1 */
    ck_assert_uint_eq(mmq(0), 0xff000010ff00ff80ull);
}
END_TEST

/* ============================================================ floating point */

START_TEST(test_fp_arith)
{
    setxf(1, 1.5f, -2.0f, 3.0f, 1e30f);
    setxf(2, 2.25f, 0.5f, -3.0f, 1e30f);
    RUN_OK("0f 28 c1 0f 58 c2");  /* movaps xmm0, xmm1; addps xmm0, xmm2 */
    ck_assert(xf(0, 0) == 3.75f && xf(0, 1) == -1.5f && xf(0, 2) == 0.0f && xf(0, 3) == 2e30f);
    RUN_OK("0f 28 c1 0f 59 c2");  /* movaps xmm0, xmm1; mulps xmm0, xmm2 */
    ck_assert(xf(0, 0) == 3.375f && xf(0, 1) == -1.0f && xf(0, 2) == -9.0f);
    ck_assert(isinf(xf(0, 3)));
    ck_assert(cpu->s.fpu.mxcsr & 0x8);                 /* OE */
    ck_assert(cpu->s.fpu.mxcsr & 0x20);                /* PE */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    /* movaps xmm0, xmm1; subps xmm0, xmm2; movaps xmm3, xmm1; divps xmm3, xmm2 */
    RUN_OK("0f 28 c1 0f 5c c2 0f 28 d9 0f 5e da");
    ck_assert(xf(0, 0) == -0.75f && xf(0, 1) == -2.5f && xf(0, 2) == 6.0f && xf(0, 3) == 0.0f);
    ck_assert(xf(3, 1) == -4.0f && xf(3, 2) == -1.0f && xf(3, 3) == 1.0f);
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT | 0x20);  /* 1.5/2.25 inexact */
    /* scalar: the upper lanes are kept */
    setxd(4, 2.0, 7.0);
    setxd(5, 3.0, 9.0);
    /* movapd xmm0, xmm4; addsd xmm0, xmm5; movapd xmm6, xmm5; sqrtsd xmm6, xmm4 */
    RUN_OK("66 0f 28 c4 f2 0f 58 c5 66 0f 28 f5 f2 0f 51 f4");
    ck_assert(xdbl(0, 0) == 5.0 && xdbl(0, 1) == 7.0);
    ck_assert(xdbl(6, 0) == sqrt(2.0) && xdbl(6, 1) == 9.0);
    /* movapd xmm0, xmm4; mulpd xmm0, xmm5; movapd xmm7, xmm4; divsd xmm7, xmm5 */
    RUN_OK("66 0f 28 c4 66 0f 59 c5 66 0f 28 fc f2 0f 5e fd");
    ck_assert(xdbl(0, 0) == 6.0 && xdbl(0, 1) == 63.0);
    ck_assert(xdbl(7, 0) == 2.0 / 3.0 && xdbl(7, 1) == 7.0);
    setxf(1, 4.0f, 9.0f, -1.0f, -0.0f);
    RUN_OK("0f 51 c1");  /* sqrtps xmm0, xmm1 */
    ck_assert(xf(0, 0) == 2.0f && xf(0, 1) == 3.0f);
    ck_assert_uint_eq(xd(0, 2), 0xffc00000u);          /* invalid: QNaN indefinite */
    ck_assert_uint_eq(xd(0, 3), 0x80000000u);          /* sqrt(-0) = -0 */
    ck_assert(cpu->s.fpu.mxcsr & 1);                   /* IE */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    /* inf - inf and NaN propagation: the first operand's NaN wins */
    setxd(1, INFINITY, 0.0);
    setxd(2, INFINITY, 0.0);
    RUN_OK("66 0f 28 c1 66 0f 5c c2");  /* movapd xmm0, xmm1; subpd xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0xfff8000000000000ull);
    setx(1, 0x7ff0000000000001ull, 0x7ff8000000000002ull);   /* SNaN, QNaN */
    setx(2, 0x7ff8000000000003ull, 0x3ff0000000000000ull);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    RUN_OK("66 0f 28 c1 66 0f 58 c2");  /* movapd xmm0, xmm1; addpd xmm0, xmm2 */
    ck_assert_uint_eq(xq(0, 0), 0x7ff8000000000001ull);      /* quieted first */
    ck_assert_uint_eq(xq(0, 1), 0x7ff8000000000002ull);
    ck_assert(cpu->s.fpu.mxcsr & 1);
    /* min/max: NaN or equal operands give the second operand */
    setxf(1, 1.0f, NAN, 0.0f, -5.0f);
    setxf(2, 2.0f, 7.0f, -0.0f, -6.0f);
    /* movaps xmm0, xmm1; minps xmm0, xmm2; movaps xmm3, xmm1; maxps xmm3, xmm2 */
    RUN_OK("0f 28 c1 0f 5d c2 0f 28 d9 0f 5f da");
    ck_assert(xf(0, 0) == 1.0f && xf(0, 1) == 7.0f && xf(0, 3) == -6.0f);
    ck_assert_uint_eq(xd(0, 2), 0x80000000u);          /* -0.0 from the source */
    ck_assert(xf(3, 0) == 2.0f && xf(3, 1) == 7.0f && xf(3, 3) == -5.0f);
    ck_assert_uint_eq(xd(3, 2), 0x80000000u);
    setxd(4, 1.0, 2.0);
    setxd(5, 3.0, -1.0);
    /* movapd xmm0, xmm4; maxsd xmm0, xmm5; movapd xmm6, xmm4; minpd xmm6, xmm5 */
    RUN_OK("66 0f 28 c4 f2 0f 5f c5 66 0f 28 f4 66 0f 5d f5");
    ck_assert(xdbl(0, 0) == 3.0 && xdbl(0, 1) == 2.0);
    ck_assert(xdbl(6, 0) == 1.0 && xdbl(6, 1) == -1.0);
}
END_TEST

START_TEST(test_fp_exceptions)
{
    /* divide by zero with ZE masked: infinity and the flag */
    setxd(1, 1.0, 5.0);
    setxd(2, 0.0, 1.0);
    RUN_OK("66 0f 28 c1 f2 0f 5e c2");  /* movapd xmm0, xmm1; divsd xmm0, xmm2 */
    ck_assert(isinf(xdbl(0, 0)) && xdbl(0, 0) > 0);
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT | 0x4);
    /* unmasked: #XM with the destination unchanged and the flag set */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT & ~0x200u;        /* ZM clear */
    setxd(0, 42.0, 43.0);
    ck_assert_int_eq(run("f2 0f 5e c2"), 19);  /* divsd xmm0, xmm2 */
    ck_assert(xdbl(0, 0) == 42.0);
    ck_assert(cpu->s.fpu.mxcsr & 0x4);
    /* without CR4.OSXMMEXCPT the same is #UD */
    cpu->s.cr4 &= ~(uint64_t)X86_CR4_OSXMMEXCPT;
    ck_assert_int_eq(run("f2 0f 5e c2"), 6);  /* divsd xmm0, xmm2 */
    cpu->s.cr4 |= X86_CR4_OSXMMEXCPT;
    /* an unmasked PE fires on an inexact result */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT & ~0x1000u;
    setxd(3, 1.0, 0.0);
    setxd(4, 3.0, 0.0);
    ck_assert_int_eq(run("f2 0f 5e dc"), 19);  /* divsd xmm3, xmm4 */
    ck_assert(xdbl(3, 0) == 1.0);
    RUN_OK("f2 0f 5e e4");  /* divsd xmm4, xmm4 */                     /* 3/3 is exact */
    ck_assert(xdbl(4, 0) == 1.0);
    /* denormals: DE without DAZ; DAZ treats them as zero; FTZ flushes results */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    setx(5, 0x00000001, 0);                           /* smallest single denormal */
    setxf(6, 1.0f, 0, 0, 0);
    RUN_OK("0f 28 c5 f3 0f 58 c0");  /* movaps xmm0, xmm5; addss xmm0, xmm0 */
    ck_assert_uint_eq(xd(0, 0), 2);
    ck_assert(cpu->s.fpu.mxcsr & 0x2);                 /* DE */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT | 0x40;           /* DAZ */
    RUN_OK("0f 28 c5 f3 0f 58 c0");  /* movaps xmm0, xmm5; addss xmm0, xmm0 */
    ck_assert_uint_eq(xd(0, 0), 0);
    ck_assert(!(cpu->s.fpu.mxcsr & 0x2));
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT | 0x8000;         /* FTZ */
    setxf(7, 1e-20f, 0, 0, 0);
    RUN_OK("0f 28 c7 f3 0f 59 c7");  /* movaps xmm0, xmm7; mulss xmm0, xmm7 */
    ck_assert_uint_eq(xd(0, 0), 0);
    ck_assert((cpu->s.fpu.mxcsr & 0x30) == 0x30);      /* UE, PE */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    RUN_OK("0f 28 c7 f3 0f 59 c7");  /* movaps xmm0, xmm7; mulss xmm0, xmm7 */
    ck_assert(xd(0, 0) != 0 && xf(0, 0) < 1e-38f);     /* denormal result */
    ck_assert((cpu->s.fpu.mxcsr & 0x30) == 0x30);
    /* rounding mode applies to arithmetic: 1 + 2^-30 in single */
    setxf(1, 1.0f, 0, 0, 0);
    setxf(2, 0x1p-30f, 0, 0, 0);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT | (2u << 13);     /* round up */
    RUN_OK("0f 28 c1 f3 0f 58 c2");  /* movaps xmm0, xmm1; addss xmm0, xmm2 */
    ck_assert(xf(0, 0) == 1.0f + 0x1p-23f);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    RUN_OK("0f 28 c1 f3 0f 58 c2");  /* movaps xmm0, xmm1; addss xmm0, xmm2 */
    ck_assert(xf(0, 0) == 1.0f);
}
END_TEST

START_TEST(test_fp_compare)
{
    setxf(1, 1.0f, 2.0f, NAN, 4.0f);
    setxf(2, 1.0f, 3.0f, 1.0f, 3.0f);
    static const uint32_t expect[8][4] = {
        /* EQ */ { ~0u, 0, 0, 0 }, /* LT */ { 0, ~0u, 0, 0 }, /* LE */ { ~0u, ~0u, 0, 0 },
        /* UNORD */ { 0, 0, ~0u, 0 }, /* NEQ */ { 0, ~0u, ~0u, ~0u },
        /* NLT */ { ~0u, 0, ~0u, ~0u }, /* NLE */ { 0, 0, ~0u, ~0u },
        /* ORD */ { ~0u, ~0u, 0, ~0u },
    };
    char code[64];
    for (int p = 0; p < 8; p++) {
        /* movaps xmm0, xmm1; cmpps xmm0, xmm2, p */
        snprintf(code, sizeof(code), "0f 28 c1 0f c2 c2 %02x", p);
        cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
        RUN_OK(code);
        for (int i = 0; i < 4; i++) {
            ck_assert_msg(xd(0, i) == expect[p][i], "pred %d lane %d", p, i);
        }
        /* QNaN: only the signalling predicates (LT LE NLT NLE) raise IE */
        bool ie = p == 1 || p == 2 || p == 5 || p == 6;
        ck_assert_int_eq((cpu->s.fpu.mxcsr & 1) != 0, ie);
    }
    setxd(3, 1.0, 5.0);
    setxd(4, 2.0, 5.0);
    /* movapd xmm0, xmm3; cmpltsd xmm0, xmm4; movapd xmm5, xmm3; cmpeqpd xmm5, xmm4 */
    RUN_OK("66 0f 28 c3 f2 0f c2 c4 01 66 0f 28 eb 66 0f c2 ec 00");
    ck_assert_uint_eq(xq(0, 0), ~0ull);
    ck_assert(xdbl(0, 1) == 5.0);                      /* upper kept */
    ck_assert_uint_eq(xq(5, 0), 0);
    ck_assert_uint_eq(xq(5, 1), ~0ull);
}
END_TEST

START_TEST(test_comis)
{
    uint32_t arith = CF | PF | AF | ZF | SF | OF;
    setxd(1, 1.0, 0);
    setxd(2, 2.0, 0);
    set_flags(arith);
    RUN_OK("66 0f 2f ca");  /* comisd xmm1, xmm2 */                     /* less */
    ck_assert(FLAG(CF) && !FLAG(ZF) && !FLAG(PF) && !FLAG(OF) && !FLAG(SF) && !FLAG(AF));
    set_flags(arith);
    RUN_OK("66 0f 2f d1");  /* comisd xmm2, xmm1 */                     /* greater */
    ck_assert(!FLAG(CF) && !FLAG(ZF) && !FLAG(PF) && !FLAG(OF) && !FLAG(SF) && !FLAG(AF));
    set_flags(0);
    RUN_OK("66 0f 2f c9");  /* comisd xmm1, xmm1 */                     /* equal */
    ck_assert(!FLAG(CF) && FLAG(ZF) && !FLAG(PF));
    setxd(3, NAN, 0);
    set_flags(0);
    RUN_OK("66 0f 2e cb");  /* ucomisd xmm1, xmm3 */                    /* unordered, QNaN: no IE */
    ck_assert(FLAG(CF) && FLAG(ZF) && FLAG(PF) && !FLAG(OF));
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT);
    RUN_OK("66 0f 2f d9");  /* comisd xmm3, xmm1 */                     /* COMISD: QNaN is invalid */
    ck_assert(FLAG(CF) && FLAG(ZF) && FLAG(PF));
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT | 1);
    /* single precision, memory operand */
    stf(DATA, 2.5f);
    setxf(4, 2.5f, 0, 0, 0);
    set_flags(CF);
    RUN_OK("0f 2e 25 00 40 00 00");  /* ucomiss xmm4, dword ptr [0x4000] */
    ck_assert(FLAG(ZF) && !FLAG(CF) && !FLAG(PF));
    setxf(4, -3.0f, 0, 0, 0);
    RUN_OK("0f 2f 25 00 40 00 00");  /* comiss xmm4, dword ptr [0x4000] */
    ck_assert(FLAG(CF) && !FLAG(ZF));
    /* unmasked invalid: #XM, flags left alone */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT & ~0x80u;
    set_flags(0);
    ck_assert_int_eq(run("66 0f 2f d9"), 19);  /* comisd xmm3, xmm1 */
    ck_assert(!FLAG(ZF) && !FLAG(CF));
}
END_TEST

START_TEST(test_rcp_rsqrt)
{
    setxf(1, 2.0f, 0.1f, 0.0f, -4.0f);
    setxf(0, 9.0f, 9.0f, 9.0f, 9.0f);
    RUN_OK("0f 53 d1 f3 0f 53 c1");  /* rcpps xmm2, xmm1; rcpss xmm0, xmm1 */
    ck_assert(fabsf(xf(2, 0) - 0.5f) <= 0.5f * 0x1.8p-12f);
    ck_assert(fabsf(xf(2, 1) - 10.0f) <= 10.0f * 0x1.8p-12f);
    ck_assert(isinf(xf(2, 2)) && xf(2, 2) > 0);
    ck_assert(fabsf(xf(2, 3) + 0.25f) <= 0.25f * 0x1.8p-12f);
    ck_assert(fabsf(xf(0, 0) - 0.5f) <= 0.5f * 0x1.8p-12f && xf(0, 1) == 9.0f);
    setxf(1, 4.0f, 0.25f, -1.0f, INFINITY);
    RUN_OK("0f 52 d1");  /* rsqrtps xmm2, xmm1 */
    ck_assert(fabsf(xf(2, 0) - 0.5f) <= 0.5f * 0x1.8p-12f);
    ck_assert(fabsf(xf(2, 1) - 2.0f) <= 2.0f * 0x1.8p-12f);
    ck_assert_uint_eq(xd(2, 2), 0xffc00000u);
    ck_assert_uint_eq(xd(2, 3), 0);
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT);  /* no flags */
}
END_TEST

/* =============================================================== conversions */

START_TEST(test_cvt_float_int)
{
    setxd(1, NAN, 0);
    RUN_OK("f2 0f 2c c1");  /* cvttsd2si eax, xmm1 */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000u);
    ck_assert(cpu->s.fpu.mxcsr & 1);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    setxd(1, 3e9, 0);
    RUN_OK("f2 0f 2c c1");  /* cvttsd2si eax, xmm1 */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000u);
    ck_assert(cpu->s.fpu.mxcsr & 1);
    setxd(1, -2147483648.9, 0);                        /* truncates into range */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    RUN_OK("f2 0f 2c c1");  /* cvttsd2si eax, xmm1 */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000u);
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, MXCSR_DEFAULT | 0x20);   /* PE only */
    /* MXCSR.RC decides CVTSD2SI */
    static const struct { unsigned rc; int32_t pos, neg; } modes[] = {
        { 0, 2, -2 }, { 1, 2, -3 }, { 2, 3, -2 }, { 3, 2, -2 },
    };
    for (unsigned i = 0; i < 4; i++) {
        cpu->s.fpu.mxcsr = MXCSR_DEFAULT | modes[i].rc << 13;
        setxd(2, 2.5, 0);
        setxd(3, -2.5, 0);
        /* cvtsd2si eax, xmm2; cvtsd2si ebx, xmm3; cvttsd2si ecx, xmm3 */
        RUN_OK("f2 0f 2d c2 f2 0f 2d db f2 0f 2c cb");
        ck_assert_int_eq((int32_t)E32(R_EAX), modes[i].pos);
        ck_assert_int_eq((int32_t)E32(R_EBX), modes[i].neg);
        ck_assert_int_eq((int32_t)E32(R_ECX), -2);
    }
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    setxd(2, 3.5, 0);
    RUN_OK("f2 0f 2d c2");  /* cvtsd2si eax, xmm2 */                    /* ties to even */
    ck_assert_int_eq((int32_t)E32(R_EAX), 4);
    setxf(4, -7.75f, 0, 0, 0);
    RUN_OK("f3 0f 2d c4 f3 0f 2c dc");  /* cvtss2si eax, xmm4; cvttss2si ebx, xmm4 */
    ck_assert_int_eq((int32_t)E32(R_EAX), -8);
    ck_assert_int_eq((int32_t)E32(R_EBX), -7);
    /* integer to float, upper lanes kept */
    setx(5, ~0ull, ~0ull);
    /* mov eax, -3; cvtsi2sd xmm5, eax; cvtsi2ss xmm6, dword ptr [0x4000] */
    RUN_OK("b8 fd ff ff ff f2 0f 2a e8 f3 0f 2a 35 00 40 00 00");
    ck_assert(xdbl(5, 0) == -3.0);
    ck_assert_uint_eq(xq(5, 1), ~0ull);
}
END_TEST

START_TEST(test_cvt_64)
{
    setxd(1, NAN, 0);
    RUN_OK("f2 48 0f 2c c1");  /* cvttsd2si rax, xmm1 */
    ck_assert_uint_eq(REG(R_EAX), 0x8000000000000000ull);
    setxd(1, 1e19, 0);
    RUN_OK("f2 48 0f 2d d9");  /* cvtsd2si rbx, xmm1 */
    ck_assert_uint_eq(REG(R_EBX), 0x8000000000000000ull);
    setxd(1, -1e18, 0);
    RUN_OK("f2 48 0f 2c c9 f2 0f 2c d1");  /* cvttsd2si rcx, xmm1; cvttsd2si edx, xmm1 */
    ck_assert_uint_eq(REG(R_ECX), (uint64_t)-1000000000000000000ll);
    ck_assert_uint_eq(REG(R_EDX), 0x80000000u);        /* 32-bit indefinite */
    /* 64-bit sources round once: 2^63 - 1 becomes 2^63 in single and double */
    /* mov rax, 0x7fffffffffffffff; cvtsi2ss xmm2, rax; cvtsi2sd xmm3, rax */
    RUN_OK("48 b8 ff ff ff ff ff ff ff 7f f3 48 0f 2a d0 f2 48 0f 2a d8");
    ck_assert(xf(2, 0) == 0x1p63f);
    ck_assert(xdbl(3, 0) == 0x1p63);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT | (3u << 13);     /* toward zero */
    RUN_OK("f3 48 0f 2a d0 f2 48 0f 2a d8");  /* cvtsi2ss xmm2, rax; cvtsi2sd xmm3, rax */
    ck_assert(xf(2, 0) == 0x1p63f - 0x1p39f);
    ck_assert(xdbl(3, 0) == 0x1p63 - 0x1p10);
    ck_assert(cpu->s.fpu.mxcsr & 0x20);
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    setxf(10, 1.5f, 0, 0, 0);
    RUN_OK("f3 4d 0f 2d ca");  /* cvtss2si r9, xmm10 */
    ck_assert_uint_eq(REG(R_R9), 2);
}
END_TEST

START_TEST(test_cvt_packed)
{
    setxf(1, 1.5f, -2.25f, 1e10f, NAN);
    RUN_OK("0f 5a c1");  /* cvtps2pd xmm0, xmm1 */
    ck_assert(xdbl(0, 0) == 1.5 && xdbl(0, 1) == -2.25);
    setxd(2, 0.1, 1e300);
    setx(3, ~0ull, ~0ull);
    RUN_OK("66 0f 5a da");  /* cvtpd2ps xmm3, xmm2 */
    ck_assert(xf(3, 0) == 0.1f && isinf(xf(3, 1)));
    ck_assert_uint_eq(xq(3, 1), 0);                    /* upper zeroed */
    ck_assert(cpu->s.fpu.mxcsr & 0x8);                 /* OE */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    setxd(4, 7.0, 8.0);
    RUN_OK("f3 0f 5a e1 f2 0f 5a ea");  /* cvtss2sd xmm4, xmm1; cvtsd2ss xmm5, xmm2 */
    ck_assert(xdbl(4, 0) == 1.5 && xdbl(4, 1) == 8.0);
    ck_assert(xf(5, 0) == 0.1f);
    RUN_OK("66 0f 5b f1 f3 0f 5b f9");  /* cvtps2dq xmm6, xmm1; cvttps2dq xmm7, xmm1 */
    ck_assert_int_eq((int32_t)xd(6, 0), 2);
    ck_assert_int_eq((int32_t)xd(6, 1), -2);
    ck_assert_uint_eq(xd(6, 2), 0x80000000u);          /* 1e10 out of range */
    ck_assert_uint_eq(xd(6, 3), 0x80000000u);          /* NaN */
    ck_assert_int_eq((int32_t)xd(7, 0), 1);
    ck_assert_int_eq((int32_t)xd(7, 1), -2);
    setx(1, 0xffffffff00000003ull, 0x7fffffff80000000ull);
    RUN_OK("0f 5b c1");  /* cvtdq2ps xmm0, xmm1 */
    ck_assert(xf(0, 0) == 3.0f && xf(0, 1) == -1.0f && xf(0, 2) == -0x1p31f &&
              xf(0, 3) == 0x1p31f);
    RUN_OK("f3 0f e6 c1");  /* cvtdq2pd xmm0, xmm1 */
    ck_assert(xdbl(0, 0) == 3.0 && xdbl(0, 1) == -1.0);
    setxd(2, -1.5, 2.5);
    setx(3, ~0ull, ~0ull);
    RUN_OK("f2 0f e6 da 66 0f e6 e2");  /* cvtpd2dq xmm3, xmm2; cvttpd2dq xmm4, xmm2 */
    ck_assert_int_eq((int32_t)xd(3, 0), -2);
    ck_assert_int_eq((int32_t)xd(3, 1), 2);
    ck_assert_uint_eq(xq(3, 1), 0);
    ck_assert_int_eq((int32_t)xd(4, 0), -1);
    ck_assert_int_eq((int32_t)xd(4, 1), 2);
    /* MMX forms */
    setmm(0, 0xfffffffb00000007ull);                   /* -5, 7 */
    setx(5, ~0ull, 0x1234ull);
    RUN_OK("0f 2a e8 66 0f 2a f0");  /* cvtpi2ps xmm5, mm0; cvtpi2pd xmm6, mm0 */
    ck_assert(xf(5, 0) == 7.0f && xf(5, 1) == -5.0f);
    ck_assert_uint_eq(xq(5, 1), 0x1234ull);            /* upper kept */
    ck_assert(xdbl(6, 0) == 7.0 && xdbl(6, 1) == -5.0);
    setxf(1, -1.5f, 2.5f, 0, 0);
    /* cvtps2pi mm1, xmm1; cvttps2pi mm2, xmm1; cvtpd2pi mm3, xmm2; cvttpd2pi mm4, xmm2 */
    RUN_OK("0f 2d c9 0f 2c d1 66 0f 2d da 66 0f 2c e2");
    ck_assert_uint_eq(mmq(1), 0x00000002fffffffeull);
    ck_assert_uint_eq(mmq(2), 0x00000002ffffffffull);
    ck_assert_uint_eq(mmq(3), 0x00000002fffffffeull);
    ck_assert_uint_eq(mmq(4), 0x00000002ffffffffull);
    ck_assert_uint_eq(cpu->s.fpu.ftw, 0xff);
    /* NaN conversion keeps the payload and quiets it */
    setx(7, 0x7f800001ull, 0);                         /* single SNaN */
    cpu->s.fpu.mxcsr = MXCSR_DEFAULT;
    RUN_OK("f3 0f 5a c7");  /* cvtss2sd xmm0, xmm7 */
    ck_assert_uint_eq(xq(0, 0), 0x7ff8000020000000ull);
    ck_assert(cpu->s.fpu.mxcsr & 1);
    (void)fbits; (void)dbits; (void)std64;
}
END_TEST

/* ============================================================ MXCSR, checks */

START_TEST(test_mxcsr)
{
    st32(DATA, 0x1f80 | (3u << 13) | 0x8040);
    /* ldmxcsr dword ptr [0x4000]; stmxcsr dword ptr [0x4004] */
    RUN_OK("0f ae 15 00 40 00 00 0f ae 1d 04 40 00 00");
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, 0xff80 | 0x40);
    ck_assert_uint_eq(ld32(DATA + 4), 0xffc0);
    st32(DATA, 0x11f80);                               /* reserved bit 16 */
    ck_assert_int_eq(run("0f ae 15 00 40 00 00"), 13);  /* ldmxcsr dword ptr [0x4000] */
    ck_assert_uint_eq(cpu->s.fpu.mxcsr, 0xffc0);       /* unchanged */
    st32(DATA, 0x80001f80);
    ck_assert_int_eq(run("0f ae 15 00 40 00 00"), 13);  /* ldmxcsr dword ptr [0x4000] */
}
END_TEST

START_TEST(test_availability)
{
    /* CR4.OSFXSR clear: SSE is #UD, MMX still works */
    cpu->s.cr4 &= ~(uint64_t)X86_CR4_OSFXSR;
    ck_assert_int_eq(run("0f 58 c1"), 6);  /* addps xmm0, xmm1 */
    ck_assert_int_eq(run("0f ae 15 00 40 00 00"), 6);  /* ldmxcsr dword ptr [0x4000] */
    ck_assert_int_eq(run("66 0f fc c1"), 6);  /* paddb xmm0, xmm1 */
    RUN_OK("0f fc c1 0f 77");  /* paddb mm0, mm1; emms */
    cpu->s.cr4 |= X86_CR4_OSFXSR;
    /* CR0.TS: #NM */
    cpu->s.cr0 |= X86_CR0_TS;
    ck_assert_int_eq(run("0f 28 c1"), 7);  /* movaps xmm0, xmm1 */
    ck_assert_int_eq(run("0f fc c1"), 7);  /* paddb mm0, mm1 */
    ck_assert_int_eq(run("0f 77"), 7);  /* emms */
    cpu->s.cr0 &= ~(uint64_t)X86_CR0_TS;
    /* CR0.EM: #UD, before #NM */
    cpu->s.cr0 |= X86_CR0_EM | X86_CR0_TS;
    ck_assert_int_eq(run("0f 28 c1"), 6);  /* movaps xmm0, xmm1 */
    ck_assert_int_eq(run("0f ef c0"), 6);  /* pxor mm0, mm0 */
    cpu->s.cr0 &= ~(uint64_t)(X86_CR0_EM | X86_CR0_TS);
    RUN_OK("0f 28 c1");  /* movaps xmm0, xmm1 */
}
END_TEST

START_TEST(test_long_mode_regs)
{
    setx(9, 0x0000000100000002ull, 0x0000000300000004ull);
    setx(10, 0x0000001000000020ull, 0x0000003000000040ull);
    /* movdqa xmm14, xmm9; paddd xmm14, xmm10; pshufd xmm13, xmm14, 0x1b */
    RUN_OK("66 45 0f 6f f1 66 45 0f fe f2 66 45 0f 70 ee 1b");
    ck_assert_uint_eq(xq(14, 0), 0x0000001100000022ull);
    ck_assert_uint_eq(xq(14, 1), 0x0000003300000044ull);
    ck_assert_uint_eq(xq(13, 0), 0x0000004400000033ull);
    setxd(11, 1.0, 0);
    setxd(12, 1.0, 0);
    /* addsd xmm11, xmm12; comisd xmm11, xmm12; pmovmskb r10d, xmm9 */
    RUN_OK("f2 45 0f 58 dc 66 45 0f 2f dc 66 45 0f d7 d1");
    ck_assert(xdbl(11, 0) == 2.0);
    ck_assert(!FLAG(ZF) && !FLAG(CF));
    ck_assert_uint_eq(REG(R_R10), 0);
}
END_TEST

static Suite *sse_suite(void)
{
    Suite *s = suite_create("cpu_sse");
    TCase *tc = tcase_create("flat32");
    tcase_add_checked_fixture(tc, setup_sse32, teardown);
    tcase_add_test(tc, test_movd_movq);
    tcase_add_test(tc, test_aligned_forms);
    tcase_add_test(tc, test_movss_movsd_halves);
    tcase_add_test(tc, test_masks_insert_extract);
    tcase_add_test(tc, test_shuffles_unpacks);
    tcase_add_test(tc, test_add_sub_saturation);
    tcase_add_test(tc, test_multiplies);
    tcase_add_test(tc, test_logic_compare_minmax);
    tcase_add_test(tc, test_shifts);
    tcase_add_test(tc, test_packs);
    tcase_add_test(tc, test_fp_arith);
    tcase_add_test(tc, test_fp_exceptions);
    tcase_add_test(tc, test_fp_compare);
    tcase_add_test(tc, test_comis);
    tcase_add_test(tc, test_rcp_rsqrt);
    tcase_add_test(tc, test_cvt_float_int);
    tcase_add_test(tc, test_cvt_packed);
    tcase_add_test(tc, test_mxcsr);
    tcase_add_test(tc, test_availability);
    suite_add_tcase(s, tc);

    TCase *tc64 = tcase_create("long64");
    tcase_add_checked_fixture(tc64, setup_sse64, teardown);
    tcase_add_test(tc64, test_movd_movq_64);
    tcase_add_test(tc64, test_cvt_64);
    tcase_add_test(tc64, test_long_mode_regs);
    suite_add_tcase(s, tc64);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
