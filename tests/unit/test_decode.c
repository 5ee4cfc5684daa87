/* Unit tests for the x86 decoder (cpu/decode.c): hand-written instructions for
 * each addressing form, prefix rule, size rule and map, with the expected record. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/x86_state.h"

#define M16 X86_MODE_16
#define M32 X86_MODE_32
#define M64 X86_MODE_64

static uint8_t buf[32];

/* Decode hex text ("8b 42 10") in `mode`; all bytes are available. */
static int dec(X86CpuMode mode, const char *hex, X86DecodedInsn *d)
{
    size_t n = 0;
    unsigned v;
    int used;
    memset(buf, 0xcc, sizeof(buf));
    while (sscanf(hex, " %2x%n", &v, &used) == 1) {
        ck_assert_uint_lt(n, sizeof(buf));
        buf[n++] = (uint8_t)v;
        hex += used;
    }
    memset(d, 0x5a, sizeof(*d));
    return x86_decode(buf, n, mode, d);
}

/* Decode and require a valid instruction of `len` bytes with operation `op`. */
static void dec_ok(X86CpuMode mode, const char *hex, int len, unsigned op, X86DecodedInsn *d)
{
    int r = dec(mode, hex, d);
    ck_assert_msg(r == len, "'%s' mode %d: length %d, expected %d", hex, mode, r, len);
    ck_assert_msg(d->op == op, "'%s': op %s, expected %s", hex, x86_op_name(d->op),
                  x86_op_name(op));
    ck_assert_int_eq(d->len, len);
}

static void dec_invalid(X86CpuMode mode, const char *hex)
{
    X86DecodedInsn d;
    int r = dec(mode, hex, &d);
    ck_assert_msg(r == X86_DECODE_INVALID, "'%s' mode %d: got %d, expected #UD", hex, mode, r);
}

START_TEST(test_16bit_addressing)
{
    X86DecodedInsn d;
    /* mov ax, [bp+si+0x10]: BP-based, so SS */
    dec_ok(M16, "8b 42 10", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EBP);
    ck_assert_uint_eq(d.index, R_ESI);
    ck_assert_int_eq(d.disp, 0x10);
    ck_assert_uint_eq(d.seg, R_SS);
    ck_assert_uint_eq(d.addrsize, 16);
    ck_assert_uint_eq(d.opsize, 16);
    ck_assert(x86_insn_has_mem(&d));
    /* negative disp8 is sign-extended */
    dec_ok(M16, "8b 42 f0", 3, X86_OP_MOV, &d);
    ck_assert_int_eq(d.disp, -16);
    /* [bx+si] defaults to DS; an override replaces it */
    dec_ok(M16, "8b 00", 2, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EBX);
    ck_assert_uint_eq(d.index, R_ESI);
    ck_assert_uint_eq(d.seg, R_DS);
    dec_ok(M16, "26 8b 42 10", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.seg, R_ES);
    ck_assert(d.prefixes & X86_PFX_SEG);
    /* the last segment override wins */
    dec_ok(M16, "26 2e 8b 00", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.seg, R_CS);
    /* mod 0 rm 6: disp16 alone; [bp+disp16] is mod 2 */
    dec_ok(M16, "8b 06 34 12", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    ck_assert_int_eq(d.disp, 0x1234);
    ck_assert_uint_eq(d.seg, R_DS);
    dec_ok(M16, "8b 86 00 80", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EBP);
    ck_assert_int_eq(d.disp, -0x8000);
    ck_assert_uint_eq(d.seg, R_SS);
    /* [di] */
    dec_ok(M16, "8b 05", 2, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EDI);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    /* 67 switches 16-bit code to 32-bit addressing (SIB) and back */
    dec_ok(M16, "67 8b 04 24", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.addrsize, 32);
    ck_assert_uint_eq(d.base, R_ESP);
    ck_assert_uint_eq(d.seg, R_SS);
    dec_ok(M32, "67 8b 42 10", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.addrsize, 16);
    ck_assert_uint_eq(d.index, R_ESI);
}
END_TEST

START_TEST(test_32bit_sib)
{
    X86DecodedInsn d;
    /* mov eax, [ecx*4 + 0x12345678]: SIB base 5 with mod 0 means disp32, no base */
    dec_ok(M32, "8b 04 8d 78 56 34 12", 7, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    ck_assert_uint_eq(d.index, R_ECX);
    ck_assert_uint_eq(d.scale, 2);
    ck_assert_int_eq(d.disp, 0x12345678);
    ck_assert_uint_eq(d.seg, R_DS);
    /* the same SIB with mod 1: base EBP, so SS */
    dec_ok(M32, "8b 44 8d 08", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EBP);
    ck_assert_uint_eq(d.seg, R_SS);
    ck_assert_int_eq(d.disp, 8);
    /* index 4 means none: [esp] */
    dec_ok(M32, "8b 04 24", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_ESP);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    ck_assert_uint_eq(d.seg, R_SS);
    /* mod 0 rm 5 is an absolute disp32 outside 64-bit mode */
    dec_ok(M32, "8b 05 00 10 00 00", 6, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    ck_assert_int_eq(d.disp, 0x1000);
    /* disp32 is sign-extended */
    dec_ok(M32, "8b 80 00 00 00 80", 6, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EAX);
    ck_assert_int_eq(d.disp, -0x80000000LL);
}
END_TEST

START_TEST(test_64bit_addressing)
{
    X86DecodedInsn d;
    /* mov rax, [rip+0x10] */
    dec_ok(M64, "48 8b 05 10 00 00 00", 7, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_RIP_BASE);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    ck_assert_int_eq(d.disp, 0x10);
    ck_assert_uint_eq(d.opsize, 64);
    ck_assert_uint_eq(d.addrsize, 64);
    ck_assert_uint_eq(d.rex, 0x48);
    ck_assert(d.prefixes & X86_PFX_REX);
    /* SIB with no base and no index is absolute, not RIP-relative */
    dec_ok(M64, "8b 04 25 00 10 00 00", 7, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    /* REX.B extends rm for registers and the base for memory */
    dec_ok(M64, "49 89 c0", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.mod, 3);
    ck_assert_uint_eq(d.rm, R_R8);
    ck_assert_uint_eq(d.reg, R_EAX);
    ck_assert(!x86_insn_has_mem(&d));
    dec_ok(M64, "41 8b 00", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_R8);
    ck_assert_uint_eq(d.opsize, 32);
    /* REX.R extends reg */
    dec_ok(M64, "4c 89 c0", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.reg, R_R8);
    ck_assert_uint_eq(d.rm, R_EAX);
    /* r13 as base still needs a displacement; r12 as base needs a SIB */
    dec_ok(M64, "41 8b 45 00", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_R13);
    ck_assert_uint_eq(d.seg, R_DS);
    dec_ok(M64, "41 8b 04 24", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_R12);
    /* SIB base 5, mod 0 with REX.B: still disp32 without base */
    dec_ok(M64, "41 8b 04 25 00 10 00 00", 8, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    /* REX.X: index 4 becomes r12, which is a real index */
    dec_ok(M64, "42 8b 04 20", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.base, R_EAX);
    ck_assert_uint_eq(d.index, R_R12);
    dec_ok(M64, "4a 8b 04 c8", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.index, R_R9);
    ck_assert_uint_eq(d.scale, 3);
    /* 67 in 64-bit mode: 32-bit addressing, still RIP(EIP)-relative */
    dec_ok(M64, "67 8b 05 10 00 00 00", 7, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.addrsize, 32);
    ck_assert_uint_eq(d.base, X86_RIP_BASE);
}
END_TEST

START_TEST(test_rex_rules)
{
    X86DecodedInsn d;
    /* a REX before a legacy prefix is ignored: mov ax, imm16 */
    dec_ok(M64, "48 66 b8 34 12", 5, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.rex, 0);
    ck_assert(!(d.prefixes & X86_PFX_REX));
    ck_assert_uint_eq(d.opsize, 16);
    ck_assert_uint_eq(d.imm, 0x1234);
    /* REX right before the opcode: REX.W wins over 66, 64-bit immediate */
    dec_ok(M64, "66 48 b8 88 77 66 55 44 33 22 11", 11, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.opsize, 64);
    ck_assert_uint_eq(d.imm, 0x1122334455667788ULL);
    /* B8+r: the register comes from the opcode and REX.B */
    dec_ok(M64, "49 bf 01 00 00 00 00 00 00 00", 10, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.reg, R_R15);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Zv);
    ck_assert_uint_eq(d.operand[1], X86_OPND_Iv);
    /* of two REX prefixes only the last counts */
    dec_ok(M64, "48 41 50", 3, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.rex, 0x41);
    ck_assert_uint_eq(d.reg, R_R8);
    /* 40-4F are INC/DEC outside 64-bit mode */
    dec_ok(M32, "41", 1, X86_OP_INC, &d);
    ck_assert_uint_eq(d.reg, R_ECX);
    dec_ok(M32, "48", 1, X86_OP_DEC, &d);
}
END_TEST

START_TEST(test_operand_size_immediates)
{
    X86DecodedInsn d;
    dec_ok(M32, "05 78 56 34 12", 5, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.opsize, 32);
    ck_assert_uint_eq(d.imm, 0x12345678);
    /* 66: Iz shrinks to 16 bits */
    dec_ok(M32, "66 05 34 12", 4, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.opsize, 16);
    ck_assert_uint_eq(d.imm, 0x1234);
    ck_assert(d.prefixes & X86_PFX_OPSIZE);
    /* and grows in 16-bit code */
    dec_ok(M16, "66 05 78 56 34 12", 6, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.opsize, 32);
    dec_ok(M16, "05 34 12", 3, X86_OP_ADD, &d);
    /* 64-bit operand: Iz stays 32 bits, sign-extended */
    dec_ok(M64, "48 05 ff ff ff ff", 6, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.opsize, 64);
    ck_assert_uint_eq(d.imm, UINT64_MAX);
    dec_ok(M64, "48 c7 c0 00 00 00 80", 7, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.imm, 0xffffffff80000000ULL);
    /* Ib is zero-extended, IbS (83, 6A, 6B) sign-extended */
    dec_ok(M32, "83 c0 ff", 3, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.imm, UINT64_MAX);
    ck_assert_uint_eq(d.operand[1], X86_OPND_IbS);
    dec_ok(M32, "80 c0 ff", 3, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.imm, 0xff);
    ck_assert_uint_eq(d.opsize, 8);
    dec_ok(M32, "6b c0 fe", 3, X86_OP_IMUL, &d);
    ck_assert_uint_eq(d.imm, (uint64_t)-2);
    /* ENTER has two immediates */
    dec_ok(M32, "c8 10 00 01", 4, X86_OP_ENTER, &d);
    ck_assert_uint_eq(d.imm, 0x10);
    ck_assert_uint_eq(d.imm2, 1);
    /* direct far jump: offset then selector, offset size from the operand size */
    dec_ok(M32, "ea 78 56 34 12 00 f0", 7, X86_OP_JMPF, &d);
    ck_assert_uint_eq(d.imm, 0x12345678);
    ck_assert_uint_eq(d.imm2, 0xf000);
    dec_ok(M16, "ea 5b e0 00 f0", 5, X86_OP_JMPF, &d);
    ck_assert_uint_eq(d.imm, 0xe05b);
    ck_assert_uint_eq(d.imm2, 0xf000);
    /* byte forms report opsize 8; MOVZX reports its destination size */
    dec_ok(M32, "00 c0", 2, X86_OP_ADD, &d);
    ck_assert_uint_eq(d.opsize, 8);
    dec_ok(M32, "0f b6 c0", 3, X86_OP_MOVZX, &d);
    ck_assert_uint_eq(d.opsize, 32);
    ck_assert_uint_eq(d.operand[1], X86_OPND_Eb);
}
END_TEST

START_TEST(test_moffs)
{
    X86DecodedInsn d;
    dec_ok(M32, "a1 78 56 34 12", 5, X86_OP_MOV, &d);
    ck_assert(x86_insn_has_mem(&d));
    ck_assert_int_eq(d.disp, 0x12345678);
    ck_assert_uint_eq(d.base, X86_NO_REG);
    ck_assert_uint_eq(d.index, X86_NO_REG);
    ck_assert_uint_eq(d.seg, R_DS);
    /* 67: the address shrinks, the operand does not */
    dec_ok(M32, "67 a1 34 12", 4, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.addrsize, 16);
    ck_assert_uint_eq(d.opsize, 32);
    ck_assert_int_eq(d.disp, 0x1234);
    dec_ok(M16, "a0 34 12", 3, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.opsize, 8);
    dec_ok(M16, "67 a0 78 56 34 12", 6, X86_OP_MOV, &d);
    /* 64-bit mode: a full 8-byte address (zero-extended, not sign-extended) */
    dec_ok(M64, "48 a3 f0 de bc 9a 78 56 34 f2", 10, X86_OP_MOV, &d);
    ck_assert_uint_eq((uint64_t)d.disp, 0xf23456789abcdef0ULL);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "67 a1 00 00 00 80", 6, X86_OP_MOV, &d);
    ck_assert_int_eq(d.disp, 0x80000000LL);
    dec_ok(M64, "65 a0 00 00 00 00 00 00 00 00", 10, X86_OP_MOV, &d);
    ck_assert_uint_eq(d.seg, R_GS);
}
END_TEST

START_TEST(test_branches)
{
    X86DecodedInsn d;
    /* Jz: 16 bits in 16-bit code, 32 with 66 */
    dec_ok(M16, "e8 34 12", 3, X86_OP_CALL, &d);
    ck_assert_int_eq(d.rel, 0x1234);
    ck_assert_uint_eq(d.opsize, 16);
    dec_ok(M16, "66 e8 00 00 01 00", 6, X86_OP_CALL, &d);
    ck_assert_int_eq(d.rel, 0x10000);
    dec_ok(M32, "e9 fb ff ff ff", 5, X86_OP_JMP, &d);
    ck_assert_int_eq(d.rel, -5);
    dec_ok(M32, "66 e9 fc ff", 4, X86_OP_JMP, &d);
    ck_assert_int_eq(d.rel, -4);
    /* 64-bit mode: near branches are 64-bit, 66 is ignored (Intel) */
    dec_ok(M64, "66 e9 00 01 00 00", 6, X86_OP_JMP, &d);
    ck_assert_uint_eq(d.opsize, 64);
    ck_assert_int_eq(d.rel, 0x100);
    dec_ok(M64, "0f 85 00 00 00 80", 6, X86_OP_JCC, &d);
    ck_assert_int_eq(d.rel, -0x80000000LL);
    ck_assert_uint_eq(d.opcode & 15, 5);
    ck_assert_uint_eq(d.map, X86_MAP_0F);
    dec_ok(M16, "0f 85 fe ff", 4, X86_OP_JCC, &d);
    dec_ok(M32, "eb fe", 2, X86_OP_JMP, &d);
    ck_assert_int_eq(d.rel, -2);
    ck_assert(d.flags & X86_F_BRANCH);
    dec_ok(M32, "74 05", 2, X86_OP_JCC, &d);
    ck_assert_uint_eq(d.opcode & 15, 4);
    /* JCXZ/LOOP size their counter by the address size */
    dec_ok(M64, "67 e3 10", 3, X86_OP_JCXZ, &d);
    ck_assert_uint_eq(d.addrsize, 32);
    /* push/pop/call default to 64-bit; 66 makes them 16-bit */
    dec_ok(M64, "50", 1, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "66 50", 2, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.opsize, 16);
    dec_ok(M64, "ff 34 24", 3, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "68 ff ff ff ff", 5, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.imm, UINT64_MAX);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "66 6a 80", 3, X86_OP_PUSH, &d);
    ck_assert_uint_eq(d.opsize, 16);
    ck_assert_uint_eq(d.imm, (uint64_t)-128);
    dec_ok(M64, "ff d0", 2, X86_OP_CALL, &d);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M32, "9a 00 00 00 00 08 00", 7, X86_OP_CALLF, &d);
    dec_ok(M64, "c3", 1, X86_OP_RET, &d);
    dec_ok(M64, "48 cf", 2, X86_OP_IRET, &d);
    ck_assert_uint_eq(d.opsize, 64);
    /* MOV with a register is no branch */
    dec_ok(M32, "89 c0", 2, X86_OP_MOV, &d);
    ck_assert(!(d.flags & X86_F_BRANCH));
}
END_TEST

START_TEST(test_nop_pause_xchg)
{
    X86DecodedInsn d;
    dec_ok(M32, "90", 1, X86_OP_NOP, &d);
    dec_ok(M32, "f3 90", 2, X86_OP_PAUSE, &d);
    dec_ok(M64, "f3 90", 2, X86_OP_PAUSE, &d);
    /* REX.B 90 is xchg r8, rax: not a NOP */
    dec_ok(M64, "41 90", 2, X86_OP_XCHG, &d);
    ck_assert_uint_eq(d.reg, R_R8);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Zv);
    ck_assert_uint_eq(d.operand[1], X86_OPND_rAX);
    dec_ok(M64, "49 90", 2, X86_OP_XCHG, &d);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "48 90", 2, X86_OP_NOP, &d);
    dec_ok(M32, "66 90", 2, X86_OP_NOP, &d);
    dec_ok(M32, "93", 1, X86_OP_XCHG, &d);
    ck_assert_uint_eq(d.reg, R_EBX);
    /* multi-byte NOPs */
    dec_ok(M32, "0f 1f 44 00 00", 5, X86_OP_NOP, &d);
    dec_ok(M64, "66 2e 0f 1f 84 00 00 00 00 00", 10, X86_OP_NOP, &d);
}
END_TEST

START_TEST(test_lock_rules)
{
    X86DecodedInsn d;
    dec_ok(M32, "f0 01 00", 3, X86_OP_ADD, &d);
    ck_assert(d.prefixes & X86_PFX_LOCK);
    ck_assert(d.flags & X86_F_LOCK);
    dec_invalid(M32, "f0 01 c0");       /* register destination */
    dec_invalid(M32, "f0 03 00");       /* memory only as source */
    dec_invalid(M32, "f0 90");          /* not lockable */
    dec_invalid(M32, "f0 80 38 01");    /* CMP is not lockable */
    dec_invalid(M32, "f0 8b 00");
    dec_ok(M32, "f0 80 30 01", 4, X86_OP_XOR, &d);
    dec_ok(M32, "f0 0f c7 08", 4, X86_OP_CMPXCHG8B, &d);
    dec_ok(M64, "f0 48 0f c7 08", 5, X86_OP_CMPXCHG16B, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_CX16);
    dec_ok(M32, "f0 0f b1 0a", 4, X86_OP_CMPXCHG, &d);
    dec_ok(M32, "f0 87 03", 3, X86_OP_XCHG, &d);
    dec_ok(M32, "f0 f6 10", 3, X86_OP_NOT, &d);
    dec_ok(M32, "f0 0f ba 28 03", 5, X86_OP_BTS, &d);
    dec_invalid(M32, "f0 0f ba 20 03");  /* BT */
    dec_invalid(M32, "f0 0f 20 c0");     /* MOV from CR0 */
}
END_TEST

START_TEST(test_length_limit)
{
    X86DecodedInsn d;
    uint8_t b[20];
    /* 14 prefixes + NOP = 15 bytes: fine */
    memset(b, 0x66, sizeof(b));
    b[14] = 0x90;
    ck_assert_int_eq(x86_decode(b, sizeof(b), M32, &d), 15);
    ck_assert_uint_eq(d.op, X86_OP_NOP);
    /* 15 prefixes: the opcode would be byte 16 */
    b[14] = 0x66;
    b[15] = 0x90;
    ck_assert_int_eq(x86_decode(b, sizeof(b), M32, &d), X86_DECODE_TOO_LONG);
    ck_assert_int_eq(x86_decode(b, 15, M32, &d), X86_DECODE_TOO_LONG);
    /* with fewer bytes available we cannot tell yet */
    ck_assert_int_eq(x86_decode(b, 14, M32, &d), X86_DECODE_NEED_MORE);
    /* 10 prefixes + add [eax], imm32 = 16 bytes: too long because of the immediate */
    memset(b, 0x3e, 10);
    memcpy(b + 10, "\x81\x00\x01\x02\x03\x04", 6);
    ck_assert_int_eq(x86_decode(b, 16, M32, &d), X86_DECODE_TOO_LONG);
    ck_assert_int_eq(x86_decode(b, 15, M32, &d), X86_DECODE_TOO_LONG);
    ck_assert_int_eq(x86_decode(b + 1, 15, M32, &d), 15);
}
END_TEST

START_TEST(test_need_more)
{
    static const char *const insns[] = {
        "8b 04 8d 78 56 34 12", "66 48 0f 7e c0", "f3 0f 10 05 10 00 00 00",
        "48 b8 01 02 03 04 05 06 07 08", "c8 10 00 01", "66 0f 3a 0f c1 08",
        "d9 e8", "f0 0f c7 08", "0f 01 f8", "67 a1 34 12", "e8 01 02 03 04",
    };
    X86DecodedInsn d;
    for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
        X86CpuMode mode = i == 1 || i == 3 || i == 8 ? M64 : M32;
        int len = dec(mode, insns[i], &d);
        ck_assert_msg(len > 0, "'%s' should decode, got %d", insns[i], len);
        for (int avail = 0; avail < len; avail++) {
            ck_assert_msg(x86_decode(buf, avail, mode, &d) == X86_DECODE_NEED_MORE,
                          "'%s' with %d bytes", insns[i], avail);
        }
        ck_assert_int_eq(x86_decode(buf, len, mode, &d), len);
    }
    /* an invalid opcode is reported without waiting for more bytes */
    ck_assert_int_eq(x86_decode((const uint8_t *)"\x0f\x0a", 2, M32, &d), X86_DECODE_INVALID);
}
END_TEST

START_TEST(test_control_debug_registers)
{
    X86DecodedInsn d;
    /* MOV CR/DR: mod is ignored, so no SIB or displacement follows */
    dec_ok(M32, "0f 20 00", 3, X86_OP_MOV_FROM_CR, &d);
    ck_assert_uint_eq(d.mod, 3);
    ck_assert_uint_eq(d.rm, R_EAX);
    ck_assert_uint_eq(d.reg, 0);
    ck_assert(!x86_insn_has_mem(&d));
    ck_assert(d.flags & X86_F_PRIV);
    dec_ok(M32, "0f 22 5c", 3, X86_OP_MOV_TO_CR, &d);    /* mov cr3, esp (mod 1, rm 4) */
    ck_assert_uint_eq(d.reg, 3);
    ck_assert_uint_eq(d.rm, R_ESP);
    dec_ok(M32, "0f 22 a5", 3, X86_OP_MOV_TO_CR, &d);    /* mov cr4, ebp (mod 2, rm 5) */
    ck_assert_uint_eq(d.reg, 4);
    dec_ok(M64, "44 0f 20 c0", 4, X86_OP_MOV_FROM_CR, &d);   /* cr8 */
    ck_assert_uint_eq(d.reg, 8);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "0f 22 d8", 3, X86_OP_MOV_TO_CR, &d);
    ck_assert_uint_eq(d.opsize, 64);
    dec_invalid(M32, "0f 20 c8");        /* cr1 */
    dec_invalid(M32, "0f 22 e8");        /* cr5 */
    dec_invalid(M64, "44 0f 22 c8");     /* cr9 */
    dec_ok(M32, "0f 23 f8", 3, X86_OP_MOV_TO_DR, &d);    /* dr7 */
    ck_assert_uint_eq(d.reg, 7);
    dec_ok(M32, "0f 21 30", 3, X86_OP_MOV_FROM_DR, &d);  /* dr6 */
    dec_invalid(M64, "44 0f 21 c0");     /* dr8 */
    /* segment registers */
    dec_ok(M32, "8e d8", 2, X86_OP_MOV_TO_SEG, &d);
    ck_assert_uint_eq(d.reg, R_DS);
    dec_ok(M32, "8c c8", 2, X86_OP_MOV_FROM_SEG, &d);
    ck_assert_uint_eq(d.reg, R_CS);
    dec_invalid(M32, "8e c8");           /* mov cs, ax */
    dec_invalid(M32, "8e f0");           /* segment register 6 */
    dec_invalid(M32, "8c f8");
}
END_TEST

START_TEST(test_x87)
{
    X86DecodedInsn d;
    /* register forms, by reg and rm */
    dec_ok(M32, "d8 c1", 2, X86_OP_FADD, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_ST0);
    ck_assert_uint_eq(d.operand[1], X86_OPND_STi);
    ck_assert_uint_eq(d.rm, 1);
    ck_assert_uint_eq(d.feature, X86_FEAT_FPU);
    dec_ok(M32, "dc e9", 2, X86_OP_FSUB, &d);            /* fsub st(1), st */
    ck_assert_uint_eq(d.operand[0], X86_OPND_STi);
    dec_ok(M32, "dc e1", 2, X86_OP_FSUBR, &d);
    dec_ok(M32, "de f9", 2, X86_OP_FDIVP, &d);
    /* register forms by the whole ModRM byte */
    dec_ok(M32, "d9 e8", 2, X86_OP_FLD1, &d);
    dec_ok(M32, "d9 ee", 2, X86_OP_FLDZ, &d);
    dec_ok(M32, "d9 d0", 2, X86_OP_FNOP, &d);
    dec_ok(M32, "d9 ff", 2, X86_OP_FCOS, &d);
    dec_ok(M32, "de d9", 2, X86_OP_FCOMPP, &d);
    dec_ok(M32, "da e9", 2, X86_OP_FUCOMPP, &d);
    dec_ok(M32, "db e3", 2, X86_OP_FNINIT, &d);
    dec_ok(M32, "df e0", 2, X86_OP_FNSTSW, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_AX);
    dec_ok(M32, "db f1", 2, X86_OP_FCOMI, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_CMOV);
    dec_ok(M32, "da c2", 2, X86_OP_FCMOVB, &d);
    dec_invalid(M32, "d9 d1");
    dec_invalid(M32, "d9 e2");
    dec_invalid(M32, "de d8");
    dec_invalid(M32, "df e1");
    /* memory forms, by reg */
    dec_ok(M32, "dd 38", 2, X86_OP_FNSTSW, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Mw);
    dec_ok(M32, "d9 7d fe", 3, X86_OP_FNSTCW, &d);
    ck_assert_uint_eq(d.seg, R_SS);
    dec_ok(M32, "df 2c 24", 3, X86_OP_FILD, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Mqi);
    dec_ok(M32, "db 28", 2, X86_OP_FLD, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Mfe);
    dec_ok(M16, "dd 06 34 12", 4, X86_OP_FLD, &d);
    dec_invalid(M32, "d9 08");           /* D9 /1 memory */
    /* FWAIT is its own instruction */
    dec_ok(M32, "9b db e3", 1, X86_OP_FWAIT, &d);
}
END_TEST

START_TEST(test_sse_prefix_variants)
{
    X86DecodedInsn d;
    dec_ok(M32, "0f 58 c1", 3, X86_OP_ADDPS, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_SSE);
    ck_assert(!(d.flags & X86_F_MANDATORY));
    dec_ok(M32, "66 0f 58 c1", 4, X86_OP_ADDPD, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_SSE2);
    ck_assert(d.flags & X86_F_MANDATORY);
    ck_assert_uint_eq(d.opsize, 32);     /* the 66 was consumed */
    dec_ok(M32, "f3 0f 58 c1", 4, X86_OP_ADDSS, &d);
    ck_assert_uint_eq(d.operand[1], X86_OPND_Wd);
    dec_ok(M32, "f2 0f 58 c1", 4, X86_OP_ADDSD, &d);
    /* F2/F3 win over 66 in any order; 66 stays an operand-size prefix */
    dec_ok(M32, "66 f3 0f 58 c1", 5, X86_OP_ADDSS, &d);
    ck_assert_uint_eq(d.opsize, 16);
    dec_ok(M32, "f3 66 0f 58 c1", 5, X86_OP_ADDSS, &d);
    /* the last of F2/F3 wins */
    dec_ok(M32, "f2 f3 0f 58 c1", 5, X86_OP_ADDSS, &d);
    ck_assert(d.prefixes & X86_PFX_REP);
    ck_assert(!(d.prefixes & X86_PFX_REPNE));
    /* integer forms: MMX without prefix, XMM with 66 */
    dec_ok(M32, "0f fe c1", 3, X86_OP_PADDD, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Pq);
    ck_assert_uint_eq(d.feature, X86_FEAT_MMX);
    dec_ok(M32, "66 0f fe c1", 4, X86_OP_PADDD, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Vx);
    dec_ok(M32, "66 0f 6f 00", 4, X86_OP_MOVDQA, &d);
    dec_ok(M32, "f3 0f 6f 00", 4, X86_OP_MOVDQU, &d);
    dec_ok(M32, "0f 6f 00", 3, X86_OP_MOVQ, &d);
    dec_ok(M32, "66 0f 70 c1 1b", 5, X86_OP_PSHUFD, &d);
    ck_assert_uint_eq(d.imm, 0x1b);
    /* a prefix with no form of its own is ignored */
    dec_ok(M32, "f3 0f 60 c1", 4, X86_OP_PUNPCKLBW, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Pq);
    dec_ok(M32, "66 0f 77", 3, X86_OP_EMMS, &d);
    /* REX.W with a consumed 66: movq xmm0, rax */
    dec_ok(M64, "66 48 0f 6e c0", 5, X86_OP_MOVD, &d);
    ck_assert_uint_eq(d.opsize, 64);
    /* shifts by immediate (groups 12-14) */
    dec_ok(M32, "66 0f 73 d8 08", 5, X86_OP_PSRLDQ, &d);
    dec_ok(M32, "0f 71 d0 03", 4, X86_OP_PSRLW, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Nq);
    dec_invalid(M32, "0f 73 d8 08");     /* PSRLDQ has no MMX form */
    dec_invalid(M32, "0f 71 10 03");     /* register only */
    /* forms split by mod */
    dec_ok(M32, "0f 12 00", 3, X86_OP_MOVLPS, &d);
    dec_ok(M32, "0f 12 c1", 3, X86_OP_MOVHLPS, &d);
    dec_invalid(M32, "0f 2b c1");        /* MOVNTPS needs memory */
    dec_invalid(M32, "0f 50 00");        /* MOVMSKPS needs a register */
    /* three-byte maps: decoded for length, marked unsupported */
    dec_ok(M32, "66 0f 38 00 c1", 5, X86_OP_UNSUPPORTED, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_SSSE3);
    ck_assert_uint_eq(d.map, X86_MAP_0F38);
    dec_ok(M32, "66 0f 3a 0f 44 24 08 04", 8, X86_OP_UNSUPPORTED, &d);
    ck_assert_uint_eq(d.map, X86_MAP_0F3A);
    ck_assert_uint_eq(d.imm, 4);
    dec_invalid(M32, "0f 38 ff c0");
    dec_ok(M32, "0f 0f c1 b4", 4, X86_OP_UNSUPPORTED, &d);   /* 3DNow! pfmul */
    ck_assert_uint_eq(d.feature, X86_FEAT_AMD3DNOW);
}
END_TEST

START_TEST(test_groups)
{
    X86DecodedInsn d;
    /* group 3: only TEST has an immediate */
    dec_ok(M32, "f6 c0 12", 3, X86_OP_TEST, &d);
    ck_assert_uint_eq(d.imm, 0x12);
    dec_ok(M32, "f7 c0 78 56 34 12", 6, X86_OP_TEST, &d);
    ck_assert_uint_eq(d.imm, 0x12345678);
    dec_ok(M32, "66 f7 c0 34 12", 5, X86_OP_TEST, &d);
    dec_ok(M16, "f7 06 00 01 34 12", 6, X86_OP_TEST, &d);
    dec_ok(M32, "f6 d0", 2, X86_OP_NOT, &d);
    dec_ok(M32, "f7 e1", 2, X86_OP_MUL, &d);
    dec_ok(M32, "f7 f9", 2, X86_OP_IDIV, &d);
    dec_ok(M32, "f7 e9", 2, X86_OP_IMUL1, &d);
    /* group 1 */
    dec_ok(M32, "81 38 78 56 34 12", 6, X86_OP_CMP, &d);
    dec_ok(M32, "82 c0 01", 3, X86_OP_ADD, &d);
    dec_invalid(M64, "82 c0 01");
    /* group 2 */
    dec_ok(M32, "c1 e0 04", 3, X86_OP_SHL, &d);
    dec_ok(M32, "d1 f8", 2, X86_OP_SAR, &d);
    ck_assert_uint_eq(d.operand[1], X86_OPND_ONE);
    dec_ok(M32, "d3 e8", 2, X86_OP_SHR, &d);
    ck_assert_uint_eq(d.operand[1], X86_OPND_CL);
    /* groups 4, 5, 1A, 11 */
    dec_ok(M32, "fe c0", 2, X86_OP_INC, &d);
    dec_invalid(M32, "fe d0");
    dec_ok(M32, "ff 2d 00 10 00 00", 6, X86_OP_JMPF, &d);
    dec_invalid(M32, "ff e8");           /* far jump needs memory */
    dec_invalid(M32, "ff f8");
    dec_ok(M32, "8f 00", 2, X86_OP_POP, &d);
    dec_invalid(M32, "8f 08");
    dec_ok(M32, "c6 00 12", 3, X86_OP_MOV, &d);
    dec_invalid(M32, "c6 08 12");
    /* 0F groups */
    dec_ok(M32, "0f ba e0 05", 4, X86_OP_BT, &d);
    dec_invalid(M32, "0f ba c0 05");
    dec_ok(M32, "0f 00 d8", 3, X86_OP_LTR, &d);
    ck_assert(d.flags & X86_F_PRIV);
    dec_ok(M32, "0f 01 10", 3, X86_OP_LGDT, &d);
    dec_ok(M32, "0f 01 38", 3, X86_OP_INVLPG, &d);
    dec_ok(M32, "0f 01 e0", 3, X86_OP_SMSW, &d);
    dec_ok(M32, "0f 01 f0", 3, X86_OP_LMSW, &d);
    dec_ok(M32, "0f 01 d0", 3, X86_OP_UNSUPPORTED, &d);   /* XGETBV: beyond the model */
    ck_assert_uint_eq(d.feature, X86_FEAT_XSAVE);
    dec_invalid(M32, "0f 01 c0");
    dec_ok(M64, "0f 01 f8", 3, X86_OP_SWAPGS, &d);
    dec_invalid(M32, "0f 01 f8");        /* SWAPGS: 64-bit mode only */
    dec_ok(M32, "0f 01 f9", 3, X86_OP_RDTSCP, &d);
    dec_ok(M32, "0f ae e8", 3, X86_OP_LFENCE, &d);
    dec_ok(M32, "0f ae f0", 3, X86_OP_MFENCE, &d);
    dec_ok(M32, "0f ae f8", 3, X86_OP_SFENCE, &d);
    dec_ok(M32, "0f ae 00", 3, X86_OP_FXSAVE, &d);
    ck_assert_uint_eq(d.operand[0], X86_OPND_Mfx);
    dec_ok(M32, "0f ae 08", 3, X86_OP_FXRSTOR, &d);
    dec_ok(M32, "0f ae 10", 3, X86_OP_LDMXCSR, &d);
    dec_ok(M32, "0f ae 18", 3, X86_OP_STMXCSR, &d);
    dec_ok(M32, "0f ae 38", 3, X86_OP_CLFLUSH, &d);
    dec_ok(M32, "0f 18 08", 3, X86_OP_PREFETCH, &d);
    dec_ok(M32, "0f c7 0e", 3, X86_OP_CMPXCHG8B, &d);
    dec_invalid(M32, "0f c7 c8");
}
END_TEST

START_TEST(test_64bit_mode_changes)
{
    static const char *const gone[] = {
        "06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61",
        "62 00", "c4 00", "c5 00", "ce", "d4 0a", "d5 0a", "d6", "9a 00 00 00 00 00 00",
        "ea 00 00 00 00 00 00",
    };
    X86DecodedInsn d;
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        dec_invalid(M64, gone[i]);
        ck_assert_msg(dec(M32, gone[i], &d) > 0, "'%s' is valid in 32-bit mode", gone[i]);
    }
    /* VEX/EVEX encodings are LES/LDS/BOUND with a register: #UD outside 64-bit too */
    dec_invalid(M32, "c5 f8 77");
    dec_invalid(M32, "62 c0");
    dec_ok(M32, "c4 07", 2, X86_OP_LES, &d);
    dec_ok(M32, "63 c8", 2, X86_OP_ARPL, &d);
    dec_ok(M64, "48 63 c8", 3, X86_OP_MOVSXD, &d);
    ck_assert_uint_eq(d.operand[1], X86_OPND_Ed);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "0f 05", 2, X86_OP_SYSCALL, &d);
    dec_ok(M64, "48 0f 07", 3, X86_OP_SYSRET, &d);
    dec_ok(M32, "0f 34", 2, X86_OP_SYSENTER, &d);
    dec_ok(M32, "0f 35", 2, X86_OP_SYSEXIT, &d);
    dec_ok(M64, "48 0f c9", 3, X86_OP_BSWAP, &d);
    ck_assert_uint_eq(d.reg, R_ECX);
    ck_assert_uint_eq(d.opsize, 64);
    dec_ok(M64, "41 0f c8", 3, X86_OP_BSWAP, &d);
    ck_assert_uint_eq(d.reg, R_R8);
    /* 64-bit-only and mode-independent system forms */
    dec_ok(M32, "0f a2", 2, X86_OP_CPUID, &d);
    dec_ok(M32, "0f 31", 2, X86_OP_RDTSC, &d);
    dec_ok(M32, "0f 32", 2, X86_OP_RDMSR, &d);
    dec_ok(M32, "0f 30", 2, X86_OP_WRMSR, &d);
    dec_ok(M32, "0f 0b", 2, X86_OP_UD2, &d);
    dec_ok(M32, "0f 4c c1", 3, X86_OP_CMOVCC, &d);
    ck_assert_uint_eq(d.feature, X86_FEAT_CMOV);
    dec_ok(M32, "0f c3 00", 3, X86_OP_MOVNTI, &d);
    dec_ok(M32, "f4", 1, X86_OP_HLT, &d);
    dec_invalid(M32, "0f ff c0");        /* UD0 */
    dec_invalid(M32, "0f b9 c0");        /* UD1 */
    dec_invalid(M32, "8d c0");           /* LEA needs memory */
}
END_TEST

START_TEST(test_strings_and_io)
{
    X86DecodedInsn d;
    dec_ok(M32, "f3 a5", 2, X86_OP_MOVS, &d);
    ck_assert(d.prefixes & X86_PFX_REP);
    ck_assert(d.flags & X86_F_REP);
    ck_assert_uint_eq(d.seg, R_DS);
    dec_ok(M32, "26 a4", 2, X86_OP_MOVS, &d);
    ck_assert_uint_eq(d.seg, R_ES);      /* the source segment is overridable */
    ck_assert_uint_eq(d.opsize, 8);
    dec_ok(M32, "f2 ae", 2, X86_OP_SCAS, &d);
    ck_assert(d.prefixes & X86_PFX_REPNE);
    ck_assert(d.flags & X86_F_REPCC);
    dec_ok(M16, "66 6d", 2, X86_OP_INS, &d);
    ck_assert_uint_eq(d.opsize, 32);
    dec_ok(M32, "e6 80", 2, X86_OP_OUT, &d);
    ck_assert_uint_eq(d.imm, 0x80);
    dec_ok(M32, "ed", 1, X86_OP_IN, &d);
    dec_ok(M32, "cd 80", 2, X86_OP_INT, &d);
    dec_ok(M32, "cc", 1, X86_OP_INT3, &d);
    dec_ok(M32, "d7", 1, X86_OP_XLAT, &d);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(x86_op_name(X86_OP_ADD), "add");
    ck_assert_str_eq(x86_op_name(X86_OP_CMPXCHG16B), "cmpxchg16b");
    ck_assert_str_eq(x86_op_name(X86_OP_COUNT + 5), "(bad op)");
    ck_assert_str_eq(x86_operand_kind_name(X86_OPND_Ev), "Ev");
    ck_assert_str_eq(x86_operand_kind_name(X86_OPND_Wx), "Wx");
    ck_assert_str_eq(x86_feature_name(X86_FEAT_SSE2), "SSE2");
    /* every operation has a name */
    for (unsigned op = 0; op < X86_OP_COUNT; op++) {
        ck_assert_ptr_nonnull(x86_op_name(op));
        ck_assert_uint_gt(strlen(x86_op_name(op)), 0);
    }
    ck_assert_uint_le(sizeof(X86DecodedInsn), 48);
}
END_TEST

/* Walk the one-byte and 0F maps in every mode: each result is a legal code, and a
 * valid length never exceeds what was available or 15. */
START_TEST(test_table_walk)
{
    X86DecodedInsn d;
    uint8_t b[16];
    unsigned valid = 0;
    for (int mode = M16; mode <= M64; mode++) {
        for (unsigned two = 0; two < 2; two++) {
            for (unsigned op = 0; op < 256; op++) {
                for (unsigned modrm = 0; modrm < 256; modrm += 7) {
                    memset(b, 0x11, sizeof(b));
                    unsigned n = 0;
                    if (two) {
                        b[n++] = 0x0f;
                    }
                    b[n++] = op;
                    b[n++] = modrm;
                    int r = x86_decode(b, sizeof(b) - 1, mode, &d);
                    ck_assert(r == X86_DECODE_INVALID || r == X86_DECODE_TOO_LONG ||
                              (r >= 1 && r <= 15));
                    if (r > 0) {
                        ck_assert_int_eq(d.len, r);
                        ck_assert_uint_lt(d.op, X86_OP_COUNT);
                        ck_assert_uint_ne(d.op, X86_OP_UNDEFINED);
                        valid++;
                    }
                }
            }
        }
    }
    ck_assert_uint_gt(valid, 10000);
}
END_TEST

static Suite *decode_suite(void)
{
    Suite *s = suite_create("decode");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, test_16bit_addressing);
    tcase_add_test(tc, test_32bit_sib);
    tcase_add_test(tc, test_64bit_addressing);
    tcase_add_test(tc, test_rex_rules);
    tcase_add_test(tc, test_operand_size_immediates);
    tcase_add_test(tc, test_moffs);
    tcase_add_test(tc, test_branches);
    tcase_add_test(tc, test_nop_pause_xchg);
    tcase_add_test(tc, test_lock_rules);
    tcase_add_test(tc, test_length_limit);
    tcase_add_test(tc, test_need_more);
    tcase_add_test(tc, test_control_debug_registers);
    tcase_add_test(tc, test_x87);
    tcase_add_test(tc, test_sse_prefix_variants);
    tcase_add_test(tc, test_groups);
    tcase_add_test(tc, test_64bit_mode_changes);
    tcase_add_test(tc, test_strings_and_io);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_table_walk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decode_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
