/*
 * The decoder's lookup tables and name tables, built at compile time from
 * cpu/insn.def with designated initializers (GNU ranges for opcode, reg, mod and
 * prefix spans). A slot no row names stays zero: X86_OP_UNDEFINED.
 */
#include "cpu/decode.h"

/* Short flag names used by the rows of insn.def. */
#define MODRM    X86_F_MODRM
#define BYTE     X86_F_BYTE
#define LOCK     X86_F_LOCK
#define I64      X86_F_INV64
#define O64      X86_F_ONLY64
#define D64      X86_F_DEF64
#define F64      X86_F_FORCE64
#define REP      X86_F_REP
#define REPCC    X86_F_REPCC
#define PRIV     X86_F_PRIV
#define MEMONLY  X86_F_MEMONLY
#define REGONLY  X86_F_REGONLY
#define MODRMREG X86_F_MODRM_REG
#define BRANCH   X86_F_BRANCH

/* Mandatory-prefix column(s) a row fills, and the flag it gets. */
#define X86_PSEL_NP  X86_PSEL_NONE
#define X86_PSEL_P66 X86_PSEL_66
#define X86_PSEL_PF3 X86_PSEL_F3
#define X86_PSEL_PF2 X86_PSEL_F2
#define X86_PSEL_ANY X86_PSEL_NONE ... X86_PSEL_F2
#define X86_PFLAG_NP  0
#define X86_PFLAG_P66 X86_F_MANDATORY
#define X86_PFLAG_PF3 X86_F_MANDATORY
#define X86_PFLAG_PF2 X86_F_MANDATORY
#define X86_PFLAG_ANY 0

/* ModRM.mod column(s): 0 for memory forms, 1 for register forms. */
#define X86_MSEL_MEM  0
#define X86_MSEL_REG  1
#define X86_MSEL_BOTH 0 ... 1

#define X86_ROW(id, a, b, c, d, fl, ft)                                     \
    {                                                                       \
        .flags = (fl), .op = X86_OP_##id,                                   \
        .operand = { X86_OPND_##a, X86_OPND_##b, X86_OPND_##c, X86_OPND_##d }, \
        .feature = X86_FEAT_##ft,                                           \
    }
#define X86_ESC_ROW(kind, index) \
    { .flags = X86_F_MODRM, .esc = X86_ESC_##kind, .esc_index = (index) }

const X86InsnInfo x86_map_one[256] = {
#define ONE(opc, id, a, b, c, d, fl, ft) [opc] = X86_ROW(id, a, b, c, d, fl, ft),
#define ONE_GRP(opc, g) [opc] = X86_ESC_ROW(GROUP, X86_GROUP_##g),
#include "cpu/insn.def"
};

const X86InsnInfo x86_map_0f[256][4] = {
#define TWO(opc, p, id, a, b, c, d, fl, ft) \
    [opc][X86_PSEL_##p] = X86_ROW(id, a, b, c, d, (fl) | X86_PFLAG_##p, ft),
#define TWO_GRP(opc, p, g) [opc][X86_PSEL_##p] = X86_ESC_ROW(GROUP, X86_GROUP_##g),
#include "cpu/insn.def"
};

const X86InsnInfo x86_map_0f38[256][4] = {
#define M38(opc, p, id, a, b, c, d, fl, ft) \
    [opc][X86_PSEL_##p] = X86_ROW(id, a, b, c, d, (fl) | MODRM | X86_PFLAG_##p, ft),
#include "cpu/insn.def"
};

const X86InsnInfo x86_map_0f3a[256][4] = {
#define M3A(opc, p, id, a, b, c, d, fl, ft) \
    [opc][X86_PSEL_##p] = X86_ROW(id, a, b, c, d, (fl) | MODRM | X86_PFLAG_##p, ft),
#include "cpu/insn.def"
};

const X86InsnInfo x86_group[X86_GROUP_COUNT][8][2][4] = {
#define GRP(g, r, m, p, id, a, b, c, d, fl, ft)                  \
    [X86_GROUP_##g][r][X86_MSEL_##m][X86_PSEL_##p] =               \
        X86_ROW(id, a, b, c, d, (fl) | MODRM | X86_PFLAG_##p, ft),
#define GRP_RMT(g, r, p, t) \
    [X86_GROUP_##g][r][X86_MSEL_REG][X86_PSEL_##p] = X86_ESC_ROW(RMTAB, X86_RMT_##t),
#include "cpu/insn.def"
};

const X86InsnInfo x86_rm_table[X86_RMT_COUNT][8] = {
#define RMT(t, rm, id, a, b, c, d, fl, ft) \
    [X86_RMT_##t][rm] = X86_ROW(id, a, b, c, d, (fl) | MODRM, ft),
#include "cpu/insn.def"
};

const X86InsnInfo x86_special[X86_SPECIAL_COUNT] = {
#define SPECIAL(name, id, a, b, c, d, fl, ft) \
    [X86_SPECIAL_##name] = X86_ROW(id, a, b, c, d, fl, ft),
#include "cpu/insn.def"
};

static const char *const op_names[X86_OP_COUNT] = {
#define OP(id, name) [X86_OP_##id] = name,
#include "cpu/insn.def"
};

static const char *const operand_kind_names[X86_OPND_COUNT] = {
#define X86_OPND_NAME(k) [X86_OPND_##k] = #k,
    X86_OPERAND_KINDS(X86_OPND_NAME)
#undef X86_OPND_NAME
};

static const char *const feature_names[X86_FEAT_COUNT] = {
#define X86_FEAT_NAME(f) [X86_FEAT_##f] = #f,
    X86_FEATURES(X86_FEAT_NAME)
#undef X86_FEAT_NAME
};

const char *x86_op_name(unsigned op)
{
    return op < X86_OP_COUNT ? op_names[op] : "(bad op)";
}

const char *x86_operand_kind_name(unsigned kind)
{
    return kind < X86_OPND_COUNT ? operand_kind_names[kind] : "(bad kind)";
}

const char *x86_feature_name(unsigned feature)
{
    return feature < X86_FEAT_COUNT ? feature_names[feature] : "(bad feature)";
}
