/*
 * Unit tests for the interpreter's integer instruction handlers (cpu/exec_*.c):
 * machine code is decoded with x86_decode and dispatched straight to the handler
 * table that exec_register_integer fills (independent of the run loop), on a CPU
 * in flat 32-bit protected mode (or 64-bit mode) over the test board's RAM.
 * Flags are read back through cpu_get_rflags. Only flags the SDM defines are
 * asserted.
 */
#include "cpu_int_harness.h"

/* ================================================================ arithmetic */

START_TEST(test_add_sub_8bit_flags)
{
    RUN_OK("b0 7f 04 01");                       /* mov al,7f; add al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x80);
    ck_assert(FLAG(OF) && FLAG(SF) && FLAG(AF) && !FLAG(CF) && !FLAG(ZF));
    RUN_OK("b0 ff 04 01");                       /* 0xff + 1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0);
    ck_assert(FLAG(CF) && FLAG(ZF) && FLAG(AF) && FLAG(PF) && !FLAG(OF) && !FLAG(SF));
    RUN_OK("b0 80 2c 01");                       /* 0x80 - 1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x7f);
    ck_assert(FLAG(OF) && !FLAG(SF) && !FLAG(CF) && FLAG(AF));
    RUN_OK("b0 00 2c 01");                       /* 0 - 1: borrow */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xff);
    ck_assert(FLAG(CF) && FLAG(SF) && !FLAG(OF) && !FLAG(ZF));
    RUN_OK("b0 05 3c 05");                       /* cmp al,5 leaves al */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 5);
    ck_assert(FLAG(ZF) && !FLAG(CF));
}
END_TEST

START_TEST(test_add_16_32bit_and_high_byte)
{
    REG(R_EAX) = 0xdead0000;
    RUN_OK("66 b8 ff 7f 66 05 01 00");           /* mov ax,7fff; add ax,1 */
    ck_assert_uint_eq(E32(R_EAX), 0xdead8000);
    ck_assert(FLAG(OF) && FLAG(SF) && !FLAG(CF));
    RUN_OK("b8 ff ff ff ff 05 01 00 00 00");     /* 0xffffffff + 1 */
    ck_assert_uint_eq(E32(R_EAX), 0);
    ck_assert(FLAG(CF) && FLAG(ZF) && !FLAG(OF));
    /* add ah, bl (00 dc): AH is register 4 without REX */
    RUN_OK("b8 00 10 00 00 b3 05 00 dc");
    ck_assert_uint_eq(E32(R_EAX), 0x1500);
    /* add [mem], imm8 sign-extended (83 05 disp32 ib) */
    st32(DATA, 10);
    RUN_OK("83 05 00 40 00 00 fe");
    ck_assert_uint_eq(ld32(DATA), 8);
    ck_assert(FLAG(CF));                          /* 10 + 0xfffffffe carries */
}
END_TEST

START_TEST(test_adc_sbb)
{
    RUN_OK("f9 b0 ff 14 00");                    /* stc; mov al,ff; adc al,0 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0);
    ck_assert(FLAG(CF) && FLAG(ZF) && FLAG(AF));
    RUN_OK("f9 b0 7f 14 00");                    /* 0x7f + 0 + 1: overflow */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x80);
    ck_assert(FLAG(OF) && !FLAG(CF));
    RUN_OK("f8 b0 ff 14 00");                    /* no carry in */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xff);
    ck_assert(!FLAG(CF) && !FLAG(ZF));
    RUN_OK("f9 b0 00 1c 00");                    /* stc; sbb al,0: borrow */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xff);
    ck_assert(FLAG(CF) && FLAG(SF));
    RUN_OK("f9 b8 00 00 00 80 1d 00 00 00 00");  /* 0x80000000 - 0 - 1 */
    ck_assert_uint_eq(E32(R_EAX), 0x7fffffff);
    ck_assert(FLAG(OF) && !FLAG(CF));
    /* 64-bit style carry chain at 32 bits: 0xffffffff:0xffffffff + 1 */
    RUN_OK("b8 ff ff ff ff ba ff ff ff ff 05 01 00 00 00 83 d2 00");
    ck_assert_uint_eq(E32(R_EAX), 0);
    ck_assert_uint_eq(E32(R_EDX), 0);
    ck_assert(FLAG(CF) && FLAG(ZF));
}
END_TEST

START_TEST(test_inc_dec_keep_cf)
{
    RUN_OK("f9 b8 ff ff ff 7f 40");              /* stc; inc eax */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000);
    ck_assert(FLAG(CF) && FLAG(OF) && FLAG(SF) && FLAG(AF));
    RUN_OK("f8 48");                             /* clc; dec eax */
    ck_assert_uint_eq(E32(R_EAX), 0x7fffffff);
    ck_assert(!FLAG(CF) && FLAG(OF) && !FLAG(SF));
    RUN_OK("f9 b0 ff fe c0");                    /* inc al: 0xff -> 0, CF kept */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0);
    ck_assert(FLAG(ZF) && FLAG(CF) && !FLAG(OF));
    /* after an ADD that set CF, DEC must keep it */
    RUN_OK("b0 ff 04 02 fe c8");                 /* add al,2 (CF=1); dec al */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0);
    ck_assert(FLAG(CF) && FLAG(ZF));
}
END_TEST

START_TEST(test_logic_neg_not)
{
    RUN_OK("b0 ff 04 01 b8 f0 00 00 80 25 0f 00 00 80");  /* CF=1, then and */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000);
    ck_assert(!FLAG(CF) && !FLAG(OF) && FLAG(SF) && !FLAG(ZF));
    RUN_OK("31 c0");                             /* xor eax,eax */
    ck_assert_uint_eq(REG(R_EAX), 0);
    ck_assert(FLAG(ZF) && FLAG(PF) && !FLAG(CF) && !FLAG(OF));
    RUN_OK("b0 03 0c 04");                       /* or al,4 -> 7: odd parity */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 7);
    ck_assert(!FLAG(PF) && !FLAG(ZF));
    RUN_OK("b8 0f 00 00 00 a9 f0 00 00 00");     /* test eax,0xf0 */
    ck_assert_uint_eq(E32(R_EAX), 0x0f);
    ck_assert(FLAG(ZF));
    set_flags(CF | ZF);
    RUN_OK("f7 d0");                             /* not eax: no flags */
    ck_assert_uint_eq(E32(R_EAX), 0xfffffff0);
    ck_assert(FLAG(CF) && FLAG(ZF));
    RUN_OK("b0 01 f6 d8");                       /* neg al */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xff);
    ck_assert(FLAG(CF) && FLAG(SF));
    RUN_OK("b0 00 f6 d8");
    ck_assert(!FLAG(CF) && FLAG(ZF));
    RUN_OK("b0 80 f6 d8");
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x80);
    ck_assert(FLAG(OF) && FLAG(CF));
}
END_TEST

/* ==================================================================== shifts */

START_TEST(test_shifts)
{
    RUN_OK("b0 81 d0 e0");                       /* shl al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x02);
    ck_assert(FLAG(CF) && FLAG(OF) && !FLAG(ZF));
    set_flags(CF | OF);
    RUN_OK("b0 40 c0 e0 00");                    /* shl al,0: flags untouched */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x40);
    ck_assert(FLAG(CF) && FLAG(OF));
    set_flags(ZF);
    RUN_OK("b0 40 b1 20 d2 e0");                 /* shl al,cl with cl=32 -> masked 0 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x40);
    ck_assert(FLAG(ZF) && !FLAG(CF));
    RUN_OK("b8 01 00 00 f0 c1 e0 04");           /* shl eax,4 */
    ck_assert_uint_eq(E32(R_EAX), 0x10);
    ck_assert(FLAG(CF) && !FLAG(ZF) && !FLAG(SF));
    RUN_OK("b8 01 00 00 00 b1 21 d3 e0");        /* shl eax,cl with cl=33 -> 1 */
    ck_assert_uint_eq(E32(R_EAX), 2);
    RUN_OK("b0 81 d0 e8");                       /* shr al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x40);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("b0 81 d0 f8");                       /* sar al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xc0);
    ck_assert(FLAG(CF) && !FLAG(OF) && FLAG(SF));
    RUN_OK("b0 81 c0 f8 07");                    /* sar al,7 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xff);
    ck_assert(!FLAG(CF));
    RUN_OK("66 b8 00 80 66 c1 e8 0f");           /* shr ax,15 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 1);
    ck_assert(!FLAG(CF) && !FLAG(ZF));
}
END_TEST

START_TEST(test_rotates)
{
    RUN_OK("b0 81 d0 c0");                       /* rol al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x03);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("b0 01 d0 c8");                       /* ror al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x80);
    ck_assert(FLAG(CF) && FLAG(OF));
    set_flags(ZF | SF);
    RUN_OK("b8 78 56 34 12 c1 c0 08");           /* rol eax,8: SF/ZF kept */
    ck_assert_uint_eq(E32(R_EAX), 0x34567812);
    ck_assert(!FLAG(CF) && FLAG(ZF) && FLAG(SF));
    RUN_OK("f8 b0 80 d0 d0");                    /* clc; rcl al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x00);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("d0 d0");                             /* rcl al,1 again: carry comes in */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x01);
    ck_assert(!FLAG(CF));
    RUN_OK("f9 b0 01 d0 d8");                    /* stc; rcr al,1 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x80);
    ck_assert(FLAG(CF));
    RUN_OK("f9 b0 55 c0 d0 09");                 /* rcl al,9: a full 9-bit turn */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x55);
    ck_assert(FLAG(CF));
    RUN_OK("f9 b8 00 00 00 00 c1 d8 04");        /* stc; rcr eax,4 */
    ck_assert_uint_eq(E32(R_EAX), 0x10000000);
    ck_assert(!FLAG(CF));
    RUN_OK("f8 66 b8 01 80 66 c1 d0 02");        /* clc; rcl ax,2 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0004 | 0x0001);  /* 0x8001 -> 0x0005 */
    ck_assert(!FLAG(CF));
}
END_TEST

START_TEST(test_double_shifts)
{
    RUN_OK("b8 34 12 00 00 bb 00 00 00 f0 0f a4 d8 04");   /* shld eax,ebx,4 */
    ck_assert_uint_eq(E32(R_EAX), 0x1234f);
    ck_assert_uint_eq(E32(R_EBX), 0xf0000000);
    ck_assert(!FLAG(CF) && !FLAG(ZF));
    RUN_OK("b8 38 12 00 00 bb 0f 00 00 00 0f ac d8 04");   /* shrd eax,ebx,4 */
    ck_assert_uint_eq(E32(R_EAX), 0xf0000123);
    ck_assert(FLAG(CF) && FLAG(SF));
    RUN_OK("b8 00 00 00 80 bb ff ff ff ff b1 01 0f a5 d8");  /* shld eax,ebx,cl=1 */
    ck_assert_uint_eq(E32(R_EAX), 1);
    ck_assert(FLAG(CF) && FLAG(OF));               /* sign changed */
    set_flags(CF);
    RUN_OK("b8 34 12 00 00 b1 00 0f a5 d8");       /* count 0: nothing */
    ck_assert_uint_eq(E32(R_EAX), 0x1234);
    ck_assert(FLAG(CF));
    RUN_OK("66 b8 34 12 66 bb cd ab 66 0f a4 d8 08");      /* shld ax,bx,8 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x34ab);
}
END_TEST

/* ========================================================== multiply/divide */

START_TEST(test_mul_imul)
{
    RUN_OK("b0 10 b3 10 f6 e3");                 /* mul bl */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x100);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("b0 02 b3 10 f6 e3");
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x20);
    ck_assert(!FLAG(CF) && !FLAG(OF));
    RUN_OK("b8 00 00 00 80 bb 04 00 00 00 f7 e3");   /* mul ebx */
    ck_assert_uint_eq(E32(R_EAX), 0);
    ck_assert_uint_eq(E32(R_EDX), 2);
    ck_assert(FLAG(CF));
    RUN_OK("66 b8 00 01 66 bb 00 01 66 f7 e3");      /* mul bx: DX:AX */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0);
    ck_assert_uint_eq(REG(R_EDX) & 0xffff, 1);
    RUN_OK("b0 ff b3 02 f6 eb");                 /* imul bl: -1 * 2 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0xfffe);
    ck_assert(!FLAG(CF) && !FLAG(OF));
    RUN_OK("b0 80 b3 02 f6 eb");                 /* -128 * 2 = -256 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0xff00);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("b8 ff ff ff ff bb 05 00 00 00 f7 eb");   /* imul ebx: -5 */
    ck_assert_uint_eq(E32(R_EAX), 0xfffffffb);
    ck_assert_uint_eq(E32(R_EDX), 0xffffffff);
    ck_assert(!FLAG(CF));
    RUN_OK("b8 00 00 01 00 bb 00 00 01 00 0f af c3");  /* imul eax,ebx */
    ck_assert_uint_eq(E32(R_EAX), 0);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("bb 05 00 00 00 6b c3 fd");           /* imul eax,ebx,-3 */
    ck_assert_uint_eq(E32(R_EAX), 0xfffffff1);
    ck_assert(!FLAG(CF) && !FLAG(OF));
    RUN_OK("bb 00 01 00 00 69 c3 00 00 00 01");  /* imul eax,ebx,0x1000000 */
    ck_assert_uint_eq(E32(R_EAX), 0);
    ck_assert(FLAG(CF) && FLAG(OF));
    RUN_OK("66 b8 00 40 66 bb 02 00 66 0f af c3");   /* imul ax,bx: 0x8000 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x8000);
    ck_assert(FLAG(OF));
}
END_TEST

START_TEST(test_div_idiv)
{
    RUN_OK("66 b8 64 00 b3 07 f6 f3");           /* div bl: 100 / 7 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, (2 << 8) | 14);
    RUN_OK("ba 01 00 00 00 b8 00 00 00 00 bb 02 00 00 00 f7 f3");  /* div ebx */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000);
    ck_assert_uint_eq(E32(R_EDX), 0);
    RUN_OK("66 b8 34 12 b3 00");
    ck_assert_int_eq(run("f6 f3"), EXCP_DE);      /* divide by zero */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x1234);
    ck_assert_uint_eq(cpu->s.rip, CODE);
    RUN_OK("66 b8 00 10 b3 01");
    ck_assert_int_eq(run("f6 f3"), EXCP_DE);      /* quotient 0x1000 > 0xff */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x1000);
    RUN_OK("b8 f9 ff ff ff 99 bb 02 00 00 00 f7 fb");  /* idiv: -7 / 2 */
    ck_assert_uint_eq(E32(R_EAX), 0xfffffffd);
    ck_assert_uint_eq(E32(R_EDX), 0xffffffff);
    RUN_OK("b8 00 00 00 80 99 bb ff ff ff ff");
    ck_assert_int_eq(run("f7 fb"), EXCP_DE);      /* INT_MIN / -1 */
    ck_assert_uint_eq(E32(R_EAX), 0x80000000);
    RUN_OK("66 b8 80 ff b3 ff");
    ck_assert_int_eq(run("f6 fb"), EXCP_DE);      /* -128 / -1 = 128 */
    RUN_OK("66 b8 81 ff b3 ff f6 fb");            /* -127 / -1 = 127 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 127);
}
END_TEST

/* ===================================================================== moves */

START_TEST(test_movzx_movsx_cbw)
{
    RUN_OK("bb 80 ff 00 00 0f b6 c3");           /* movzx eax,bl */
    ck_assert_uint_eq(E32(R_EAX), 0x80);
    RUN_OK("0f be c3");                          /* movsx eax,bl */
    ck_assert_uint_eq(E32(R_EAX), 0xffffff80);
    RUN_OK("0f b7 c3");                          /* movzx eax,bx */
    ck_assert_uint_eq(E32(R_EAX), 0xff80);
    RUN_OK("0f bf c3");                          /* movsx eax,bx */
    ck_assert_uint_eq(E32(R_EAX), 0xffffff80);
    RUN_OK("66 0f be c7");                       /* movsx ax,bh */
    ck_assert_uint_eq(E32(R_EAX), 0xffffffff);
    RUN_OK("b8 80 00 00 00 66 98");              /* cbw */
    ck_assert_uint_eq(E32(R_EAX), 0xff80);
    RUN_OK("b8 00 80 00 00 98");                 /* cwde */
    ck_assert_uint_eq(E32(R_EAX), 0xffff8000);
    RUN_OK("99");                                /* cdq */
    ck_assert_uint_eq(E32(R_EDX), 0xffffffff);
    RUN_OK("b8 00 00 00 00 99");
    ck_assert_uint_eq(E32(R_EDX), 0);
    RUN_OK("66 b8 00 80 66 99");                 /* cwd */
    ck_assert_uint_eq(REG(R_EDX) & 0xffff, 0xffff);
    st32(DATA, 0xcafebabe);
    RUN_OK("a1 00 40 00 00");                    /* mov eax,[moffs] */
    ck_assert_uint_eq(E32(R_EAX), 0xcafebabe);
    RUN_OK("b0 11 a2 03 40 00 00");              /* mov [moffs+3],al */
    ck_assert_uint_eq(ld32(DATA), 0x11febabe);
}
END_TEST

START_TEST(test_xchg_xadd_cmpxchg)
{
    RUN_OK("b8 01 00 00 00 bb 02 00 00 00 93");  /* xchg eax,ebx */
    ck_assert_uint_eq(E32(R_EAX), 2);
    ck_assert_uint_eq(E32(R_EBX), 1);
    st32(DATA, 0x55);
    RUN_OK("87 1d 00 40 00 00");                 /* xchg [DATA],ebx */
    ck_assert_uint_eq(E32(R_EBX), 0x55);
    ck_assert_uint_eq(ld32(DATA), 1);
    RUN_OK("b8 05 00 00 00 bb 03 00 00 00 0f c1 d8");   /* xadd eax,ebx */
    ck_assert_uint_eq(E32(R_EAX), 8);
    ck_assert_uint_eq(E32(R_EBX), 5);
    RUN_OK("b8 05 00 00 00 0f c1 c0");           /* xadd eax,eax */
    ck_assert_uint_eq(E32(R_EAX), 10);
    st32(DATA, 0xffffffff);
    RUN_OK("bb 01 00 00 00 f0 0f c1 1d 00 40 00 00");   /* lock xadd [DATA],ebx */
    ck_assert_uint_eq(ld32(DATA), 0);
    ck_assert_uint_eq(E32(R_EBX), 0xffffffff);
    ck_assert(FLAG(CF) && FLAG(ZF));
    /* cmpxchg ecx,ebx: equal */
    RUN_OK("b8 05 00 00 00 b9 05 00 00 00 bb 09 00 00 00 0f b1 d9");
    ck_assert_uint_eq(E32(R_ECX), 9);
    ck_assert_uint_eq(E32(R_EAX), 5);
    ck_assert(FLAG(ZF));
    /* not equal: accumulator loaded */
    RUN_OK("b8 04 00 00 00 b9 05 00 00 00 0f b1 d9");
    ck_assert_uint_eq(E32(R_ECX), 5);
    ck_assert_uint_eq(E32(R_EAX), 5);
    ck_assert(!FLAG(ZF) && FLAG(CF));             /* 4 - 5 borrows */
    /* cmpxchg8b [DATA] */
    st32(DATA, 0x11111111);
    st32(DATA + 4, 0x22222222);
    RUN_OK("b8 11 11 11 11 ba 22 22 22 22 bb 33 33 33 33 b9 44 44 44 44 "
           "0f c7 0d 00 40 00 00");
    ck_assert(FLAG(ZF));
    ck_assert_uint_eq(ld32(DATA), 0x33333333);
    ck_assert_uint_eq(ld32(DATA + 4), 0x44444444);
    RUN_OK("0f c7 0d 00 40 00 00");              /* now different */
    ck_assert(!FLAG(ZF));
    ck_assert_uint_eq(E32(R_EAX), 0x33333333);
    ck_assert_uint_eq(E32(R_EDX), 0x44444444);
    RUN_OK("b8 78 56 34 12 0f c8");              /* bswap eax */
    ck_assert_uint_eq(E32(R_EAX), 0x78563412);
}
END_TEST

START_TEST(test_cmov_setcc_lahf_xlat)
{
    RUN_OK("b8 01 00 00 00 bb 02 00 00 00 39 d8 0f 44 c3");  /* cmp; cmove */
    ck_assert_uint_eq(E32(R_EAX), 1);
    RUN_OK("0f 4c c3");                          /* cmovl: 1 < 2 */
    ck_assert_uint_eq(E32(R_EAX), 2);
    RUN_OK("39 d8 0f 94 c1 0f 95 c5");           /* sete cl; setne ch */
    ck_assert_uint_eq(REG(R_ECX) & 0xffff, 0x0001);
    set_flags(SF | CF | PF);
    RUN_OK("9f");                                /* lahf */
    ck_assert_uint_eq((REG(R_EAX) >> 8) & 0xff, 0x80 | 0x04 | 0x02 | 0x01);
    RUN_OK("b4 41 9e");                          /* mov ah,41; sahf: ZF CF */
    ck_assert(FLAG(ZF) && FLAG(CF) && !FLAG(SF) && !FLAG(PF));
    RUN_OK("f8 f5");                             /* clc; cmc */
    ck_assert(FLAG(CF));
    RUN_OK("fd");
    ck_assert(FLAG(DF));
    RUN_OK("fc");
    ck_assert(!FLAG(DF));
    for (int i = 0; i < 16; i++) {
        address_space_st(&tb->mem, DATA + i, 0xa0 + i, 1);
    }
    RUN_OK("bb 00 40 00 00 b0 05 d7");           /* xlat */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0xa5);
}
END_TEST

/* ===================================================================== stack */

START_TEST(test_push_pop_pusha)
{
    RUN_OK("b8 11 00 00 00 50 6a ff 66 6a fe");  /* push eax; push -1; push word -2 */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 10);
    ck_assert_uint_eq(ld32(STACK_TOP - 4), 0x11);
    ck_assert_uint_eq(ld32(STACK_TOP - 8), 0xffffffff);
    ck_assert_uint_eq(address_space_ld(&tb->mem, STACK_TOP - 10, 2), 0xfffe);
    RUN_OK("66 5b 59");                          /* pop bx; pop ecx */
    ck_assert_uint_eq(REG(R_EBX) & 0xffff, 0xfffe);
    ck_assert_uint_eq(E32(R_ECX), 0xffffffff);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 4);
    RUN_OK("5c");                                /* pop esp: value wins */
    ck_assert_uint_eq(E32(R_ESP), 0x11);
    REG(R_ESP) = STACK_TOP;
    RUN_OK("54");                                /* push esp: old value */
    ck_assert_uint_eq(ld32(STACK_TOP - 4), STACK_TOP);
    RUN_OK("8f 05 00 40 00 00");                 /* pop [DATA] */
    ck_assert_uint_eq(ld32(DATA), STACK_TOP);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
    for (int r = 0; r < 8; r++) {
        if (r != R_ESP) {
            REG(r) = 0x100 + r;
        }
    }
    RUN_OK("60");                                /* pusha */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 32);
    ck_assert_uint_eq(ld32(STACK_TOP - 4), 0x100);          /* eax first */
    ck_assert_uint_eq(ld32(STACK_TOP - 16), 0x103);         /* ebx */
    ck_assert_uint_eq(ld32(STACK_TOP - 20), STACK_TOP);     /* esp before */
    ck_assert_uint_eq(ld32(STACK_TOP - 32), 0x107);         /* edi last */
    for (int r = 0; r < 8; r++) {
        if (r != R_ESP) {
            REG(r) = 0;
        }
    }
    st32(STACK_TOP - 20, 0x1234);                /* the saved ESP is ignored */
    RUN_OK("61");                                /* popa */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
    for (int r = 0; r < 8; r++) {
        if (r != R_ESP) {
            ck_assert_uint_eq(E32(r), 0x100 + r);
        }
    }
    RUN_OK("66 60");                             /* pushaw */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 16);
    ck_assert_uint_eq(address_space_ld(&tb->mem, STACK_TOP - 2, 2), 0x100);
    RUN_OK("66 61");
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
    /* 16-bit stack segment: only SP moves */
    cpu->s.seg[R_SS].db = false;
    REG(R_ESP) = 0xabcd0010;
    RUN_OK("50");
    ck_assert_uint_eq(E32(R_ESP), 0xabcd000c);
    ck_assert_uint_eq(ld32(0x000c), 0x100);
}
END_TEST

START_TEST(test_pushf_popf)
{
    set_flags(CF | ZF);
    RUN_OK("9c");                                /* pushfd */
    uint32_t img = ld32(STACK_TOP - 4);
    ck_assert_uint_eq(img & (CF | ZF | 2), CF | ZF | 2);
    ck_assert_uint_eq(img & (X86_FLAG_VM | X86_FLAG_RF), 0);
    /* CPL 0: IOPL and IF writable */
    st32(STACK_TOP - 4, X86_FLAG_IOPL | X86_FLAG_IF | SF);
    RUN_OK("9d");
    ck_assert(FLAG(SF) && !FLAG(CF) && !FLAG(ZF));
    ck_assert_uint_eq(cpu->s.rflags & (X86_FLAG_IOPL | X86_FLAG_IF),
                      X86_FLAG_IOPL | X86_FLAG_IF);
    /* CPL 3 with IOPL 0: neither IOPL nor IF changes, no fault */
    cpu_set_rflags(cpu, 0, X86_FLAG_IOPL | X86_FLAG_IF);
    cpu->s.seg[R_SS].dpl = 3;
    cpu->s.seg[R_CS].dpl = 3;
    cpu_update_mode(cpu);
    ck_assert_int_eq(cpu->cpl, 3);
    REG(R_ESP) = STACK_TOP - 4;
    st32(STACK_TOP - 4, X86_FLAG_IOPL | X86_FLAG_IF | CF);
    RUN_OK("9d");
    ck_assert(FLAG(CF));
    ck_assert_uint_eq(cpu->s.rflags & (X86_FLAG_IOPL | X86_FLAG_IF), 0);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
}
END_TEST

START_TEST(test_enter_leave)
{
    REG(R_EBP) = 0x9000;
    RUN_OK("c8 10 00 00");                       /* enter 16,0 */
    ck_assert_uint_eq(ld32(STACK_TOP - 4), 0x9000);
    ck_assert_uint_eq(E32(R_EBP), STACK_TOP - 4);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 4 - 16);
    RUN_OK("c9");                                /* leave */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
    ck_assert_uint_eq(E32(R_EBP), 0x9000);
    RUN_OK("c8 08 00 01");                       /* enter 8,1 */
    ck_assert_uint_eq(ld32(STACK_TOP - 4), 0x9000);           /* old ebp */
    ck_assert_uint_eq(ld32(STACK_TOP - 8), STACK_TOP - 4);    /* frame pointer */
    ck_assert_uint_eq(E32(R_EBP), STACK_TOP - 4);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 8 - 8);
    /* level 2 copies the outer frame pointer from [ebp-4] */
    REG(R_ESP) = STACK_TOP;
    REG(R_EBP) = 0x9000;
    st32(0x9000 - 4, 0xfeedf00d);
    RUN_OK("c8 00 00 02");
    ck_assert_uint_eq(ld32(STACK_TOP - 8), 0xfeedf00d);
    ck_assert_uint_eq(ld32(STACK_TOP - 12), STACK_TOP - 4);
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 12);
}
END_TEST

/* ================================================================== branches */

static bool ref_cond(unsigned cc, uint64_t f)
{
    bool cf = f & CF, zf = f & ZF, sf = f & SF, of = f & OF, pf = f & PF, r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return (cc & 1) ? !r : r;
}

START_TEST(test_jcc_all_conditions)
{
    static const uint64_t bits[5] = { CF, ZF, SF, OF, PF };
    char code[64];
    for (unsigned combo = 0; combo < 32; combo++) {
        uint64_t f = 0;
        for (int b = 0; b < 5; b++) {
            if (combo & (1u << b)) {
                f |= bits[b];
            }
        }
        for (unsigned cc = 0; cc < 16; cc++) {
            /* jcc +1 over a "inc ecx" (41): ECX counts not-taken */
            REG(R_ECX) = 0;
            snprintf(code, sizeof(code), "%02x 01 41", 0x70 + cc);
            set_flags(f);
            RUN_OK(code);
            ck_assert_msg((REG(R_ECX) == 0) == ref_cond(cc, f),
                          "jcc %x flags %#llx", cc, (unsigned long long)f);
            REG(R_ECX) = 0;
            snprintf(code, sizeof(code), "0f %02x 01 00 00 00 41", 0x80 + cc);
            set_flags(f);
            RUN_OK(code);
            ck_assert_msg((REG(R_ECX) == 0) == ref_cond(cc, f),
                          "jcc rel32 %x flags %#llx", cc, (unsigned long long)f);
            /* setcc al */
            snprintf(code, sizeof(code), "0f %02x c0", 0x90 + cc);
            set_flags(f);
            RUN_OK(code);
            ck_assert_uint_eq(REG(R_EAX) & 0xff, ref_cond(cc, f));
        }
    }
}
END_TEST

START_TEST(test_call_ret_jmp)
{
    RUN_OK("e8 02 00 00 00 eb 01 c3");           /* call the ret; jmp over it */
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP);
    ck_assert_uint_eq(ld32(STACK_TOP - 4), CODE + 5);   /* return address */
    ck_assert_int_eq(steps, 3);                  /* call, ret, jmp (lands at end) */
    /* indirect call through a register and ret imm16 */
    REG(R_EAX) = CODE + 9;
    RUN_OK("6a 07 6a 07 ff d0 eb 04 90 c2 04 00");
    ck_assert_uint_eq(E32(R_ESP), STACK_TOP - 4);       /* ret 4 dropped one push */
    /* jmp [mem] */
    st32(DATA, CODE + 8);
    RUN_OK("ff 25 00 40 00 00 41 41");
    ck_assert_int_eq(steps, 1);
    /* jump beyond the CS limit: #GP, RIP unchanged */
    cpu->s.seg[R_CS].limit = 0xffff;
    ck_assert_int_eq(run("e9 00 00 01 00"), EXCP_GP);
    ck_assert_uint_eq(cpu->s.rip, CODE);
}
END_TEST

START_TEST(test_loop_jcxz)
{
    REG(R_ECX) = 3;
    REG(R_EAX) = 0;
    RUN_OK("40 e2 fd");                          /* inc eax; loop back */
    ck_assert_uint_eq(E32(R_EAX), 3);
    ck_assert_uint_eq(E32(R_ECX), 0);
    /* address size 16: CX only */
    REG(R_ECX) = 0x00010001;
    RUN_OK("67 e2 fd");
    ck_assert_uint_eq(E32(R_ECX), 0x00010000);
    ck_assert_int_eq(steps, 1);
    REG(R_ECX) = 0x00010000;
    REG(R_EAX) = 0;
    RUN_OK("67 e3 01 40");                       /* jcxz: CX == 0 */
    ck_assert_uint_eq(E32(R_EAX), 0);
    RUN_OK("e3 01 40");                          /* jecxz: ECX != 0 */
    ck_assert_uint_eq(E32(R_EAX), 1);
    /* loope stops when ZF clears: compare eax with 2 after each inc */
    REG(R_ECX) = 10;
    REG(R_EAX) = 0;
    RUN_OK("40 83 f8 01 e1 fa");                 /* inc; cmp eax,1; loope */
    ck_assert_uint_eq(E32(R_EAX), 2);
    ck_assert_uint_eq(E32(R_ECX), 8);
    REG(R_ECX) = 10;
    REG(R_EAX) = 0;
    RUN_OK("40 83 f8 04 e0 fa");                 /* loopne until eax == 4 */
    ck_assert_uint_eq(E32(R_EAX), 4);
    ck_assert_uint_eq(E32(R_ECX), 6);
}
END_TEST

/* =================================================================== strings */

START_TEST(test_rep_movs_stos_lods)
{
    address_space_write(&tb->mem, 0x2000, "hello world!", 12);
    REG(R_ESI) = 0x2000;
    REG(R_EDI) = 0x3000;
    REG(R_ECX) = 5;
    RUN_OK("f3 a4");                             /* rep movsb */
    char out[8] = { 0 };
    address_space_read(&tb->mem, 0x3000, out, 5);
    ck_assert_str_eq(out, "hello");
    ck_assert_uint_eq(E32(R_ESI), 0x2005);
    ck_assert_uint_eq(E32(R_EDI), 0x3005);
    ck_assert_uint_eq(E32(R_ECX), 0);
    ck_assert_uint_eq(ld8(0x3005), 0);
    /* DF=1, dwords, backwards */
    for (int i = 0; i < 4; i++) {
        st32(0x2100 + 4 * i, 0x1000 + i);
    }
    REG(R_ESI) = 0x210c;
    REG(R_EDI) = 0x310c;
    REG(R_ECX) = 4;
    RUN_OK("fd f3 a5 fc");
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(ld32(0x3100 + 4 * i), 0x1000 + i);
    }
    ck_assert_uint_eq(E32(R_ESI), 0x20fc);
    ck_assert_uint_eq(E32(R_EDI), 0x30fc);
    /* a long rep stosb runs in several chunks, restarting the instruction */
    REG(R_EDI) = 0x10000;
    REG(R_ECX) = 5000;
    REG(R_EAX) = 0x5a;
    RUN_OK("f3 aa");
    ck_assert_uint_eq(E32(R_ECX), 0);
    ck_assert_uint_eq(E32(R_EDI), 0x10000 + 5000);
    ck_assert_uint_eq(ld8(0x10000), 0x5a);
    ck_assert_uint_eq(ld8(0x10000 + 4999), 0x5a);
    ck_assert_uint_eq(ld8(0x10000 + 5000), 0);
    ck_assert_int_ge(steps, 5);
    /* a pending NMI makes a REP yield after one element */
    REG(R_EDI) = 0x11000;
    REG(R_ECX) = 10;
    atomic_store(&cpu->interrupt_request, CPU_INTERRUPT_NMI);
    address_space_write(&tb->mem, CODE, "\xf3\xaa", 2);
    cpu->s.rip = CODE;
    ck_assert_int_eq(step(), -1);
    ck_assert_uint_eq(cpu->s.rip, CODE);
    ck_assert_uint_eq(E32(R_ECX), 9);
    atomic_store(&cpu->interrupt_request, 0);
    /* lodsd / stosw, and a segment override applies to the source only */
    st32(0x2200, 0x89abcdef);
    REG(R_ESI) = 0x2200;
    RUN_OK("ad");
    ck_assert_uint_eq(E32(R_EAX), 0x89abcdef);
    ck_assert_uint_eq(E32(R_ESI), 0x2204);
    REG(R_EDI) = 0x3200;
    RUN_OK("66 ab");
    ck_assert_uint_eq(address_space_ld(&tb->mem, 0x3200, 4), 0xcdef);
    ck_assert_uint_eq(E32(R_EDI), 0x3202);
    cpu->s.seg[R_FS].base = 0x20000;
    address_space_st(&tb->mem, 0x20040, 0x77, 1);
    REG(R_ESI) = 0x40;
    REG(R_EDI) = 0x3300;
    RUN_OK("64 a4");                             /* movsb fs:[esi] -> es:[edi] */
    ck_assert_uint_eq(ld8(0x3300), 0x77);
}
END_TEST

START_TEST(test_cmps_scas)
{
    address_space_write(&tb->mem, 0x2000, "abcdef", 6);
    address_space_write(&tb->mem, 0x3000, "abcxef", 6);
    REG(R_ESI) = 0x2000;
    REG(R_EDI) = 0x3000;
    REG(R_ECX) = 6;
    RUN_OK("f3 a6");                             /* repe cmpsb */
    ck_assert_uint_eq(E32(R_ECX), 2);
    ck_assert_uint_eq(E32(R_ESI), 0x2004);
    ck_assert_uint_eq(E32(R_EDI), 0x3004);
    ck_assert(!FLAG(ZF) && FLAG(CF));             /* 'd' < 'x' */
    REG(R_ESI) = 0x2000;
    REG(R_EDI) = 0x3000;
    REG(R_ECX) = 3;
    RUN_OK("f3 a6");                             /* equal run: count exhausted */
    ck_assert_uint_eq(E32(R_ECX), 0);
    ck_assert(FLAG(ZF));
    REG(R_EDI) = 0x3000;
    REG(R_ECX) = 6;
    REG(R_EAX) = 'x';
    RUN_OK("f2 ae");                             /* repne scasb */
    ck_assert(FLAG(ZF));
    ck_assert_uint_eq(E32(R_EDI), 0x3004);
    ck_assert_uint_eq(E32(R_ECX), 2);
    REG(R_EDI) = 0x3000;
    REG(R_ECX) = 6;
    REG(R_EAX) = 'q';
    RUN_OK("f2 ae");                             /* not found */
    ck_assert(!FLAG(ZF));
    ck_assert_uint_eq(E32(R_ECX), 0);
    REG(R_EDI) = 0x3000;
    RUN_OK("ae");                                /* single scasb: 'q' - 'a' */
    ck_assert(!FLAG(ZF) && !FLAG(CF));
    ck_assert_uint_eq(E32(R_EDI), 0x3001);
}
END_TEST

/* ====================================================================== bits */

START_TEST(test_bt_family)
{
    static const uint8_t zero[64];
    address_space_write(&tb->mem, DATA - 16, zero, sizeof(zero));
    REG(R_EBX) = DATA;
    REG(R_EAX) = 100;                            /* dword +12, bit 4 */
    RUN_OK("0f ab 03");                          /* bts [ebx],eax */
    ck_assert_uint_eq(ld32(DATA + 12), 0x10);
    ck_assert(!FLAG(CF));
    RUN_OK("0f ab 03");
    ck_assert(FLAG(CF));
    RUN_OK("0f a3 03");                          /* bt */
    ck_assert(FLAG(CF));
    RUN_OK("0f b3 03");                          /* btr */
    ck_assert(FLAG(CF));
    ck_assert_uint_eq(ld32(DATA + 12), 0);
    REG(R_EAX) = (uint32_t)-1;                   /* bit 31 of the dword below */
    RUN_OK("0f bb 03");                          /* btc */
    ck_assert(!FLAG(CF));
    ck_assert_uint_eq(ld32(DATA - 4), 0x80000000);
    REG(R_EAX) = 0x20;
    RUN_OK("0f ba e0 05");                       /* bt eax,5 */
    ck_assert(FLAG(CF));
    RUN_OK("0f ba e8 25");                       /* bts eax,37 -> bit 5 */
    ck_assert(FLAG(CF));
    RUN_OK("b9 23 00 00 00 0f ab c8");           /* bts eax,ecx (35 -> bit 3) */
    ck_assert_uint_eq(E32(R_EAX), 0x28);
    st32(DATA, 0);
    RUN_OK("0f ba 2b 03");                       /* bts dword [ebx],3: no offset */
    ck_assert_uint_eq(ld32(DATA), 8);
}
END_TEST

START_TEST(test_bsf_bsr)
{
    RUN_OK("bb f0 00 00 00 0f bc c3");           /* bsf eax,ebx */
    ck_assert_uint_eq(E32(R_EAX), 4);
    ck_assert(!FLAG(ZF));
    RUN_OK("0f bd c3");                          /* bsr */
    ck_assert_uint_eq(E32(R_EAX), 7);
    RUN_OK("b8 ee 00 00 00 bb 00 00 00 00 0f bc c3");
    ck_assert(FLAG(ZF));
    ck_assert_uint_eq(E32(R_EAX), 0xee);          /* destination unchanged */
    RUN_OK("bb 00 00 00 80 0f bd c3");
    ck_assert_uint_eq(E32(R_EAX), 31);
}
END_TEST

/* ======================================================================= BCD */

START_TEST(test_bcd)
{
    RUN_OK("b0 79 04 35 27");                    /* 79 + 35 = 114 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x14);
    ck_assert(FLAG(CF) && FLAG(AF));
    RUN_OK("b0 12 04 34 27");                    /* 12 + 34 = 46 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x46);
    ck_assert(!FLAG(CF));
    RUN_OK("b0 35 2c 47 2f");                    /* 35 - 47 = -12 -> 88 borrow */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x88);
    ck_assert(FLAG(CF));
    RUN_OK("b0 47 2c 35 2f");                    /* 47 - 35 = 12 */
    ck_assert_uint_eq(REG(R_EAX) & 0xff, 0x12);
    ck_assert(!FLAG(CF));
    RUN_OK("66 b8 08 00 04 05 37");              /* 8 + 5 = 13 unpacked */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0103);
    ck_assert(FLAG(CF) && FLAG(AF));
    RUN_OK("66 b8 03 00 04 05 37");              /* 3 + 5 = 8: no adjust */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0008);
    ck_assert(!FLAG(CF) && !FLAG(AF));
    RUN_OK("66 b8 03 01 2c 05 3f");              /* 13 - 5 = 8 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0008);
    ck_assert(FLAG(CF) && FLAG(AF));
    RUN_OK("b0 3f d4 0a");                       /* aam: 63 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0603);
    ck_assert(!FLAG(ZF));
    ck_assert_int_eq(run("d4 00"), EXCP_DE);
    RUN_OK("66 b8 05 06 d5 0a");                 /* aad: 65 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0041);
    RUN_OK("66 b8 00 00 d5 0a");
    ck_assert(FLAG(ZF));
    RUN_OK("66 b8 05 06 d5 10");                 /* aad 16: 0x65 */
    ck_assert_uint_eq(REG(R_EAX) & 0xffff, 0x0065);
}
END_TEST

/* ================================================================ addressing */

START_TEST(test_addressing_16bit)
{
    cpu->s.seg[R_SS].base = 0x10000;
    st32(0x10120, 0x5555aaaa);
    st32(0x00120, 0x11112222);
    REG(R_EBP) = 0x100;
    REG(R_ESI) = 0x20;
    REG(R_EBX) = 0x100;
    RUN_OK("67 8b 02");                          /* mov eax,[bp+si]: SS */
    ck_assert_uint_eq(E32(R_EAX), 0x5555aaaa);
    RUN_OK("67 8b 00");                          /* mov eax,[bx+si]: DS */
    ck_assert_uint_eq(E32(R_EAX), 0x11112222);
    RUN_OK("3e 67 8b 02");                       /* ds:[bp+si] */
    ck_assert_uint_eq(E32(R_EAX), 0x11112222);
    /* offsets wrap at 64 KiB */
    REG(R_EBP) = 0xfff0;
    REG(R_ESI) = 0x130;
    RUN_OK("67 8b 02");
    ck_assert_uint_eq(E32(R_EAX), 0x5555aaaa);
    REG(R_EBX) = 0xffff;
    REG(R_ESI) = 2;
    RUN_OK("67 8d 40 05");                       /* lea eax,[bx+si+5] */
    ck_assert_uint_eq(E32(R_EAX), 6);
    RUN_OK("67 8d 06 34 12");                    /* lea eax,[0x1234] */
    ck_assert_uint_eq(E32(R_EAX), 0x1234);
}
END_TEST

START_TEST(test_lea_32)
{
    REG(R_EAX) = 0x100;
    REG(R_EBX) = 0x10;
    RUN_OK("8d 44 98 10");                       /* lea eax,[eax+ebx*4+0x10] */
    ck_assert_uint_eq(E32(R_EAX), 0x150);
    REG(R_EAX) = 0xfffffff0;
    RUN_OK("8d 04 18");                          /* lea eax,[eax+ebx]: wraps */
    ck_assert_uint_eq(E32(R_EAX), 0);
    REG(R_EAX) = 0x12345;
    RUN_OK("66 8d 04 18");                       /* lea ax,[eax+ebx]: truncated */
    ck_assert_uint_eq(E32(R_EAX), 0x12355);   /* upper half kept */
    RUN_OK("8d 05 78 56 34 12");                 /* lea eax,[disp32] */
    ck_assert_uint_eq(E32(R_EAX), 0x12345678);
    REG(R_EBP) = 0x40;
    REG(R_ECX) = 3;
    RUN_OK("8d 54 4d fe");                       /* lea edx,[ebp+ecx*2-2] */
    ck_assert_uint_eq(E32(R_EDX), 0x44);
}
END_TEST

/* ==================================================================== 64-bit */

START_TEST(test_long_mode_registers)
{
    ck_assert_int_eq(cpu->code_mode, X86_MODE_64);
    RUN_OK("48 b8 88 77 66 55 44 33 22 11");     /* mov rax,imm64 */
    ck_assert_uint_eq(REG(R_EAX), 0x1122334455667788ull);
    RUN_OK("b8 01 00 00 00");                    /* mov eax,1 zero-extends */
    ck_assert_uint_eq(REG(R_EAX), 1);
    REG(R_EAX) = ~0ull;
    RUN_OK("66 b8 34 12");                       /* mov ax: upper kept */
    ck_assert_uint_eq(REG(R_EAX), 0xffffffffffff1234ull);
    RUN_OK("b0 00");                             /* mov al */
    ck_assert_uint_eq(REG(R_EAX), 0xffffffffffff1200ull);
    RUN_OK("49 c7 c0 78 56 34 92");              /* mov r8,sign-extended imm32 */
    ck_assert_uint_eq(REG(R_R8), 0xffffffff92345678ull);
    REG(R_R9) = ~0ull;
    REG(R_R10) = 1;
    RUN_OK("45 01 d1");                          /* add r9d,r10d */
    ck_assert_uint_eq(REG(R_R9), 0);
    ck_assert(FLAG(CF) && FLAG(ZF));
    REG(R_ESI) = 0x1111;
    REG(R_EDX) = 0x2222;
    RUN_OK("40 b6 07");                          /* mov sil,7 (REX) */
    ck_assert_uint_eq(REG(R_ESI), 0x1107);
    RUN_OK("b6 07");                             /* mov dh,7 (no REX) */
    ck_assert_uint_eq(REG(R_EDX), 0x0722);
    REG(R_EBX) = 0x80000000;
    RUN_OK("48 63 c3");                          /* movsxd rax,ebx */
    ck_assert_uint_eq(REG(R_EAX), 0xffffffff80000000ull);
    REG(R_EAX) = 0x80000000;
    RUN_OK("48 98");                             /* cdqe */
    ck_assert_uint_eq(REG(R_EAX), 0xffffffff80000000ull);
    RUN_OK("48 99");                             /* cqo */
    ck_assert_uint_eq(REG(R_EDX), ~0ull);
    /* 32-bit cmov with a false condition still zero-extends */
    REG(R_ECX) = ~0ull;
    set_flags(0);
    RUN_OK("0f 44 cb");                          /* cmove ecx,ebx (not taken) */
    ck_assert_uint_eq(REG(R_ECX), 0xffffffffull);
    REG(R_R8) = 0x0102030405060708ull;
    RUN_OK("41 50 41 5b");                       /* push r8; pop r11 */
    ck_assert_uint_eq(REG(R_R11), 0x0102030405060708ull);
    ck_assert_uint_eq(REG(R_ESP), STACK_TOP);
    RUN_OK("41 50");
    ck_assert_uint_eq(REG(R_ESP), STACK_TOP - 8);
    ck_assert_uint_eq(address_space_ld(&tb->mem, STACK_TOP - 8, 8), 0x0102030405060708ull);
    RUN_OK("48 8d 05 10 00 00 00");              /* lea rax,[rip+0x10] */
    ck_assert_uint_eq(REG(R_EAX), CODE + 7 + 0x10);
    REG(R_EAX) = 0xfffffff0;
    REG(R_EBX) = 0x20;
    RUN_OK("48 8d 04 18");                       /* lea rax,[rax+rbx] */
    ck_assert_uint_eq(REG(R_EAX), 0x100000010ull);
    REG(R_EAX) = 0xfffffff0;
    RUN_OK("67 48 8d 04 18");                    /* 32-bit address size wraps */
    ck_assert_uint_eq(REG(R_EAX), 0x10);
    /* 64-bit mul/div */
    REG(R_EAX) = 1ull << 63;
    REG(R_EBX) = 4;
    RUN_OK("48 f7 e3");                          /* mul rbx */
    ck_assert_uint_eq(REG(R_EAX), 0);
    ck_assert_uint_eq(REG(R_EDX), 2);
    RUN_OK("48 f7 f3");                          /* div rbx: back */
    ck_assert_uint_eq(REG(R_EAX), 1ull << 63);
    ck_assert_uint_eq(REG(R_EDX), 0);
    REG(R_EAX) = 1ull << 63;
    RUN_OK("48 99 48 c7 c3 ff ff ff ff");        /* cqo; mov rbx,-1 */
    ck_assert_int_eq(run("48 f7 fb"), EXCP_DE);   /* INT64_MIN / -1 */
    /* shifts use 6-bit counts with REX.W */
    REG(R_EAX) = 1;
    RUN_OK("48 c1 e0 24");                       /* shl rax,36 */
    ck_assert_uint_eq(REG(R_EAX), 1ull << 36);
    RUN_OK("f9 48 d1 d8");                       /* stc; rcr rax,1 */
    ck_assert_uint_eq(REG(R_EAX), (1ull << 63) | (1ull << 35));
    ck_assert(!FLAG(CF));
    /* near call/ret are 64-bit */
    REG(R_ESP) = STACK_TOP;
    RUN_OK("e8 01 00 00 00 90 48 83 c4 08");     /* call over a nop; add rsp,8 */
    ck_assert_uint_eq(address_space_ld(&tb->mem, STACK_TOP - 8, 8), CODE + 5);
    ck_assert_uint_eq(REG(R_ESP), STACK_TOP);
}
END_TEST

static Suite *integer_suite(void)
{
    Suite *s = suite_create("cpu_integer");
    TCase *tc = tcase_create("flat32");
    tcase_add_checked_fixture(tc, setup32, teardown);
    tcase_add_test(tc, test_add_sub_8bit_flags);
    tcase_add_test(tc, test_add_16_32bit_and_high_byte);
    tcase_add_test(tc, test_adc_sbb);
    tcase_add_test(tc, test_inc_dec_keep_cf);
    tcase_add_test(tc, test_logic_neg_not);
    tcase_add_test(tc, test_shifts);
    tcase_add_test(tc, test_rotates);
    tcase_add_test(tc, test_double_shifts);
    tcase_add_test(tc, test_mul_imul);
    tcase_add_test(tc, test_div_idiv);
    tcase_add_test(tc, test_movzx_movsx_cbw);
    tcase_add_test(tc, test_xchg_xadd_cmpxchg);
    tcase_add_test(tc, test_cmov_setcc_lahf_xlat);
    tcase_add_test(tc, test_push_pop_pusha);
    tcase_add_test(tc, test_pushf_popf);
    tcase_add_test(tc, test_enter_leave);
    tcase_add_test(tc, test_jcc_all_conditions);
    tcase_add_test(tc, test_call_ret_jmp);
    tcase_add_test(tc, test_loop_jcxz);
    tcase_add_test(tc, test_rep_movs_stos_lods);
    tcase_add_test(tc, test_cmps_scas);
    tcase_add_test(tc, test_bt_family);
    tcase_add_test(tc, test_bsf_bsr);
    tcase_add_test(tc, test_bcd);
    tcase_add_test(tc, test_addressing_16bit);
    tcase_add_test(tc, test_lea_32);
    suite_add_tcase(s, tc);

    TCase *tc64 = tcase_create("long64");
    tcase_add_checked_fixture(tc64, setup64, teardown);
    tcase_add_test(tc64, test_long_mode_registers);
    suite_add_tcase(s, tc64);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(integer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
