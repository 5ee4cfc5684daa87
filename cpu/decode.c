/*
 * The x86 instruction decoder: prefixes, opcode lookup in the tables built from
 * cpu/insn.def, validity checks, ModRM/SIB/displacement and immediates. See
 * cpu/decode.h for the design and the record it fills.
 */
#include "cpu/decode.h"

#include <string.h>

#include "cpu/x86_state.h"

_Static_assert(sizeof(X86DecodedInsn) <= 48, "decoded record must stay compact");

/* Result when `need` bytes (counted from the instruction start) are not there. */
static inline int short_result(size_t need)
{
    return need > X86_MAX_INSN_LEN ? X86_DECODE_TOO_LONG : X86_DECODE_NEED_MORE;
}

/* Little-endian value of n (1, 2, 4 or 8) bytes. */
static inline uint64_t read_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline int64_t sign_extend(uint64_t v, unsigned bytes)
{
    unsigned shift = 64 - 8 * bytes;
    return (int64_t)(v << shift) >> shift;
}

/* 16-bit addressing: base and index for each rm value ([bx+si] ... [bx]). */
static const uint8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
static const uint8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, X86_NO_REG,
                                    X86_NO_REG, X86_NO_REG, X86_NO_REG };

/* Does the register number name an existing control register? (CR8 needs REX.R) */
static inline bool control_reg_exists(unsigned n)
{
    return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

/* Checks on the ModRM.reg operand that no table can express. */
static bool reg_operand_valid(unsigned op, unsigned reg)
{
    switch (op) {
    case X86_OP_MOV_TO_SEG:
        return (reg & 7) < SEG_COUNT && (reg & 7) != R_CS;
    case X86_OP_MOV_FROM_SEG:
        return (reg & 7) < SEG_COUNT;
    case X86_OP_MOV_TO_CR:
    case X86_OP_MOV_FROM_CR:
        return control_reg_exists(reg);
    case X86_OP_MOV_TO_DR:
    case X86_OP_MOV_FROM_DR:
        return reg < 8;
    default:
        return true;
    }
}

/*
 * The form in a row of four mandatory-prefix columns. A prefix the opcode has no
 * form for is ignored, as CPUs ignore reserved prefixes (this is how F3 0F BC ran as
 * BSF before TZCNT existed): F2/F3 fall back to the 66 form if 66 is present, then
 * to the form without prefix; 66 falls back to the form without prefix (and then
 * stays an operand-size prefix). *psel is updated to the column used.
 */
static inline const X86InsnInfo *prefix_column(const X86InsnInfo cols[4], unsigned *psel,
                                               bool has66)
{
    const X86InsnInfo *row = &cols[*psel];
    if (row->op != X86_OP_UNDEFINED || row->esc != X86_ESC_NONE || *psel == X86_PSEL_NONE) {
        return row;
    }
    if (*psel != X86_PSEL_66 && has66) {
        row = &cols[X86_PSEL_66];
        if (row->op != X86_OP_UNDEFINED || row->esc != X86_ESC_NONE) {
            *psel = X86_PSEL_66;
            return row;
        }
    }
    *psel = X86_PSEL_NONE;
    return &cols[X86_PSEL_NONE];
}

int x86_decode(const uint8_t *bytes, size_t avail, X86CpuMode mode,
               X86DecodedInsn *out)
{
    const size_t limit = avail < X86_MAX_INSN_LEN ? avail : X86_MAX_INSN_LEN;
    const bool mode64 = mode == X86_MODE_64;
    size_t pos = 0;
    unsigned pfx = 0, rex = 0, rep = 0, seg_override = R_DS;
    unsigned b;

#define NEED(n) \
    do { \
        if (pos + (n) > limit) { \
            return short_result(pos + (n)); \
        } \
    } while (0)

    /* Legacy prefixes and REX, in any order; only a REX right before the opcode
     * counts, and the last of F2/F3 and of the segment overrides wins. */
    for (;; pos++) {
        NEED(1);
        b = bytes[pos];
        switch (b) {
        case 0xf0: pfx |= X86_PFX_LOCK; break;
        case 0xf2: case 0xf3: rep = b; break;
        case 0x66: pfx |= X86_PFX_OPSIZE; break;
        case 0x67: pfx |= X86_PFX_ADDRSIZE; break;
        case 0x26: seg_override = R_ES; pfx |= X86_PFX_SEG; break;
        case 0x2e: seg_override = R_CS; pfx |= X86_PFX_SEG; break;
        case 0x36: seg_override = R_SS; pfx |= X86_PFX_SEG; break;
        case 0x3e: seg_override = R_DS; pfx |= X86_PFX_SEG; break;
        case 0x64: seg_override = R_FS; pfx |= X86_PFX_SEG; break;
        case 0x65: seg_override = R_GS; pfx |= X86_PFX_SEG; break;
        default:
            if (mode64 && (b & 0xf0) == 0x40) {
                rex = b;
                continue;
            }
            goto opcode;
        }
        rex = 0;
    }

opcode:
    pos++;
    if (rep == 0xf3) {
        pfx |= X86_PFX_REP;
    } else if (rep == 0xf2) {
        pfx |= X86_PFX_REPNE;
    }
    if (rex) {
        pfx |= X86_PFX_REX;
    }
    /* F2/F3 take precedence over 66 as the mandatory prefix. */
    unsigned psel = rep == 0xf3 ? X86_PSEL_F3
                  : rep == 0xf2 ? X86_PSEL_F2
                  : (pfx & X86_PFX_OPSIZE) ? X86_PSEL_66 : X86_PSEL_NONE;
    unsigned map = X86_MAP_ONE;
    const X86InsnInfo *row;
    if (b != 0x0f) {
        row = &x86_map_one[b];
        if (b == 0x90) {
            if (rex & X86_REX_B) {
                row = &x86_special[X86_SPECIAL_XCHG_R8_90];
            } else if (rep == 0xf3) {
                row = &x86_special[X86_SPECIAL_PAUSE_F390];
            }
        } else if (b == 0x63 && mode64) {
            row = &x86_special[X86_SPECIAL_MOVSXD_63];
        }
    } else {
        NEED(1);
        b = bytes[pos++];
        map = X86_MAP_0F;
        if (b == 0x38 || b == 0x3a) {
            map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            NEED(1);
            b = bytes[pos++];
            row = prefix_column(map == X86_MAP_0F38 ? x86_map_0f38[b] : x86_map_0f3a[b],
                                &psel, pfx & X86_PFX_OPSIZE);
        } else if (b == 0x0f) {
            row = &x86_special[X86_SPECIAL_AMD3DNOW];
        } else {
            row = prefix_column(x86_map_0f[b], &psel, pfx & X86_PFX_OPSIZE);
        }
    }
    const unsigned opcode = b;

    /* ModRM, and the group / rm table it selects. */
    unsigned modrm = 0, mod = 3;
    if (row->flags & X86_F_MODRM) {
        NEED(1);
        modrm = bytes[pos++];
        mod = modrm >> 6;
        while (row->esc != X86_ESC_NONE) {
            if (row->esc == X86_ESC_GROUP) {
                row = prefix_column(x86_group[row->esc_index][(modrm >> 3) & 7][mod == 3],
                                    &psel, pfx & X86_PFX_OPSIZE);
            } else {
                row = &x86_rm_table[row->esc_index][modrm & 7];
            }
        }
    }
    if (row->op == X86_OP_CMPXCHG8B && (rex & X86_REX_W)) {
        row = &x86_special[X86_SPECIAL_CMPXCHG16B];
    }

    /* Validity. */
    uint32_t flags = row->flags;
    if (row->op == X86_OP_UNDEFINED) {
        return X86_DECODE_INVALID;
    }
    if (flags & (mode64 ? X86_F_INV64 : X86_F_ONLY64)) {
        return X86_DECODE_INVALID;
    }
    if (flags & X86_F_MODRM_REG) {
        mod = 3;
    } else if (flags & (mod == 3 ? X86_F_MEMONLY : X86_F_REGONLY)) {
        return X86_DECODE_INVALID;
    }
    if ((pfx & X86_PFX_LOCK) && (!(flags & X86_F_LOCK) || mod == 3)) {
        return X86_DECODE_INVALID;
    }
    const unsigned reg = ((modrm >> 3) & 7) | ((rex & X86_REX_R) << 1);
    if (!reg_operand_valid(row->op, reg)) {
        return X86_DECODE_INVALID;
    }

    /* Operand and address size. */
    const bool opsize_pfx = (pfx & X86_PFX_OPSIZE) &&
                            !((flags & X86_F_MANDATORY) && psel == X86_PSEL_66);
    unsigned opsize, addrsize;
    if (flags & X86_F_BYTE) {
        opsize = 8;
    } else if (mode64) {
        if ((flags & X86_F_FORCE64) || (rex & X86_REX_W)) {
            opsize = 64;
        } else if (opsize_pfx) {
            opsize = 16;
        } else {
            opsize = (flags & X86_F_DEF64) ? 64 : 32;
        }
    } else {
        opsize = ((mode == X86_MODE_16) != opsize_pfx) ? 16 : 32;
    }
    if (mode64) {
        addrsize = (pfx & X86_PFX_ADDRSIZE) ? 32 : 64;
    } else {
        addrsize = ((mode == X86_MODE_16) != !!(pfx & X86_PFX_ADDRSIZE)) ? 16 : 32;
    }

    memset(out, 0, sizeof(*out));
    out->op = row->op;
    out->map = map;
    out->opcode = opcode;
    out->opsize = opsize;
    out->addrsize = addrsize;
    out->prefixes = pfx;
    out->rex = rex;
    out->modrm = modrm;
    out->mod = mod;
    out->feature = row->feature;
    memcpy(out->operand, row->operand, sizeof(out->operand));
    out->base = X86_NO_REG;
    out->index = X86_NO_REG;
    unsigned default_seg = R_DS;

    if (flags & X86_F_MODRM) {
        out->reg = reg;
        out->rm = (modrm & 7) | ((rex & X86_REX_B) << 3);
    } else {
        out->reg = (opcode & 7) | ((rex & X86_REX_B) << 3);
    }

    /* The memory operand: SIB and displacement. */
    if (mod != 3) {
        unsigned rm = modrm & 7, disp_bytes;
        flags |= X86_F_MEM;
        if (addrsize == 16) {
            disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
            if (mod == 0 && rm == 6) {
                disp_bytes = 2;
            } else {
                out->base = base16[rm];
                out->index = index16[rm];
            }
        } else {
            disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
            unsigned base = rm;
            if (rm == 4) {
                NEED(1);
                unsigned sib = bytes[pos++];
                unsigned index = ((sib >> 3) & 7) | ((rex & X86_REX_X) << 2);
                out->index = index == R_ESP ? X86_NO_REG : index;
                out->scale = sib >> 6;
                base = sib & 7;
                if (base == 5 && mod == 0) {
                    base = X86_NO_REG;
                    disp_bytes = 4;
                }
            } else if (rm == 5 && mod == 0) {
                base = mode64 ? X86_RIP_BASE : X86_NO_REG;
                disp_bytes = 4;
            }
            if (base < 8) {
                base |= (rex & X86_REX_B) << 3;
            }
            out->base = base;
        }
        if (out->base == R_ESP || out->base == R_EBP) {
            default_seg = R_SS;
        }
        if (disp_bytes) {
            NEED(disp_bytes);
            out->disp = sign_extend(read_le(bytes + pos, disp_bytes), disp_bytes);
            pos += disp_bytes;
        }
    }
    out->seg = (pfx & X86_PFX_SEG) ? seg_override : default_seg;

    /* Immediates, branch displacements and moffs, in operand order. */
    unsigned nimm = 0;
    for (unsigned i = 0; i < 4 && row->operand[i] != X86_OPND__; i++) {
        unsigned kind = row->operand[i], n;
        uint64_t v;
        int64_t value;
        switch (kind) {
        case X86_OPND_Ib:
        case X86_OPND_IbS:
        case X86_OPND_Iw:
        case X86_OPND_Iz:
        case X86_OPND_Iv:
            n = kind == X86_OPND_Ib || kind == X86_OPND_IbS ? 1
              : kind == X86_OPND_Iw ? 2
              : kind == X86_OPND_Iv ? opsize / 8
              : opsize == 16 ? 2 : 4;
            NEED(n);
            v = read_le(bytes + pos, n);
            pos += n;
            if (kind == X86_OPND_IbS || kind == X86_OPND_Iz) {
                v = (uint64_t)sign_extend(v, n);
            }
            if (nimm++ == 0) {
                out->imm = v;
            } else {
                out->imm2 = (uint16_t)v;
            }
            break;
        case X86_OPND_Jb:
        case X86_OPND_Jz:
            n = kind == X86_OPND_Jb ? 1 : opsize == 16 ? 2 : 4;
            NEED(n);
            value = sign_extend(read_le(bytes + pos, n), n);
            pos += n;
            out->rel = value;
            break;
        case X86_OPND_Ap:
            n = opsize == 16 ? 2 : 4;
            NEED(n + 2);
            out->imm = read_le(bytes + pos, n);
            out->imm2 = (uint16_t)read_le(bytes + pos + n, 2);
            pos += n + 2;
            nimm = 2;
            break;
        case X86_OPND_Ob:
        case X86_OPND_Ov:
            n = addrsize / 8;
            NEED(n);
            out->disp = (int64_t)read_le(bytes + pos, n);
            pos += n;
            flags |= X86_F_MEM;
            break;
        default:
            break;
        }
    }
#undef NEED

    out->flags = flags;
    out->len = pos;
    return (int)pos;
}
