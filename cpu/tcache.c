/*
 * The decoded-instruction cache (see tcache.h): block building, the hash lookup,
 * per-page invalidation for self-modifying code, the flush, and specialised
 * handlers for the commonest register forms (ALU reg/reg and reg/imm, INC/DEC,
 * MOV, TEST, Jcc/JMP rel), picked once when a block is built. The specialised
 * handlers compute exactly what the generic ones do (same lazy-flag records), only
 * without the operand-kind dispatch and without materialising all flags for a
 * condition or a carry.
 */
#include "cpu/tcache.h"

#include <stdlib.h>
#include <string.h>

#include "system/error.h"
#include "system/log.h"

#define PAGE_MASK (~UINT64_C(0xfff))

/* ---- handlers for records that must raise (resolved once, at build time) ---- */

static void tc_unsupported(X86CPU *cpu, const X86DecodedInsn *insn)
{
    log_item(LOG_UNIMP, "unimp: %s (%s) at %#llx: #UD\n", x86_op_name(insn->op),
             x86_feature_name(insn->feature), (unsigned long long)cpu->insn_rip);
    cpu_raise(cpu, EXCP_UD);
}

static void tc_no_handler(X86CPU *cpu, const X86DecodedInsn *insn)
{
    log_item(LOG_UNIMP, "unimp: no handler for %s at %#llx: #UD\n",
             x86_op_name(insn->op), (unsigned long long)cpu->insn_rip);
    cpu_raise(cpu, EXCP_UD);
}

static void tc_privileged(X86CPU *cpu, const X86DecodedInsn *insn)
{
    (void)insn;
    cpu_raise_err(cpu, EXCP_GP, 0);
}

/* ---- cache structure ---- */

/* Blocks were dropped: every jump-cache entry made before is stale. */
static void bump_gen(TCache *tc)
{
    if (++tc->gen == 0) {
        memset(tc->jump, 0, sizeof(tc->jump));   /* wrapped: forget them for real */
        tc->gen = 1;
    }
}

static inline unsigned block_hash(uint64_t phys, uint32_t key)
{
    uint64_t h = (phys ^ ((uint64_t)key << 40)) * UINT64_C(0x9e3779b97f4a7c15);
    return (unsigned)(h >> 40) & (TCACHE_HASH - 1);
}

static inline unsigned page_hash(uint64_t page)
{
    uint64_t h = (page >> 12) * UINT64_C(0x9e3779b97f4a7c15);
    return (unsigned)(h >> 40) & (TCACHE_PAGE_HASH - 1);
}

void tcache_flush(TCache *tc)
{
    memset(tc->hash, 0xff, sizeof(tc->hash));
    memset(tc->page_hash, 0xff, sizeof(tc->page_hash));
    tc->nr_blocks = tc->nr_insns = tc->nr_pages = 0;
    tc->stop = true;
    bump_gen(tc);
    tc->stats.flushes++;
}

TCache *tcache_new(void)
{
    TCache *tc = xzalloc(sizeof(*tc));
    tcache_flush(tc);
    tc->stats.flushes = 0;
    tc->stop = false;
    return tc;
}

void tcache_free(TCache *tc)
{
    if (!tc) {
        return;
    }
    for (int i = 0; i < tc->nr_cpus; i++) {
        if (tc->cpus[i]->tcache == tc) {
            tc->cpus[i]->tcache = NULL;
        }
    }
    free(tc);
}

void tcache_attach(TCache *tc, X86CPU *cpu)
{
    for (int i = 0; i < tc->nr_cpus; i++) {
        if (tc->cpus[i] == cpu) {
            cpu->tcache = tc;
            return;
        }
    }
    if (tc->nr_cpus >= TCACHE_MAX_CPUS) {
        cpu->tcache = NULL;       /* runs uncached rather than unprotected */
        return;
    }
    tc->cpus[tc->nr_cpus++] = cpu;
    cpu->tcache = tc;
    /* entries filled before may allow writes to code pages: refill them */
    cpu_tlb_flush_all_mappings(cpu);
}

void tcache_detach(TCache *tc, X86CPU *cpu)
{
    for (int i = 0; i < tc->nr_cpus; i++) {
        if (tc->cpus[i] == cpu) {
            tc->cpus[i] = tc->cpus[--tc->nr_cpus];
            break;
        }
    }
    if (cpu->tcache == tc) {
        cpu->tcache = NULL;
    }
}

static TCachePage *page_find(const TCache *tc, uint64_t page)
{
    for (int32_t i = tc->page_hash[page_hash(page)]; i >= 0; i = tc->pages[i].next) {
        if (tc->pages[i].page == page) {
            return (TCachePage *)&tc->pages[i];
        }
    }
    return NULL;
}

bool tcache_page_has_code(const TCache *tc, uint64_t phys)
{
    const TCachePage *p = page_find(tc, phys & PAGE_MASK);
    return p && p->blocks >= 0;
}

static void hash_unlink(TCache *tc, int32_t index)
{
    TCacheBlock *b = &tc->blocks[index];
    int32_t *link = &tc->hash[block_hash(b->phys, b->key)];
    while (*link >= 0) {
        if (*link == index) {
            *link = b->hash_next;
            return;
        }
        link = &tc->blocks[*link].hash_next;
    }
}

void tcache_invalidate_page(TCache *tc, uint64_t phys)
{
    TCachePage *p = page_find(tc, phys & PAGE_MASK);
    if (!p || p->blocks < 0) {
        return;
    }
    for (int32_t i = p->blocks; i >= 0; i = tc->blocks[i].page_next) {
        hash_unlink(tc, i);
    }
    p->blocks = -1;
    tc->stop = true;
    bump_gen(tc);
    tc->stats.page_invalidations++;
}

void tcache_note_phys_write(TCache *tc, uint64_t phys, unsigned size)
{
    if (!tc || tc->nr_blocks == 0) {
        return;
    }
    tcache_invalidate_page(tc, phys);
    if (size > 1 && ((phys ^ (phys + size - 1)) & PAGE_MASK)) {
        tcache_invalidate_page(tc, phys + size - 1);
    }
}

/* A page starts holding code: no CPU may write it through its TLB any more. */
static void protect_page(TCache *tc, uint64_t page)
{
    for (int c = 0; c < tc->nr_cpus; c++) {
        X86CPU *cpu = tc->cpus[c];
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            TLBEntry *e = &cpu->tlb[i];
            if (e->vpage != ~UINT64_C(0) && e->ppage == page) {
                e->perm &= ~(TLB_WRITE | TLB_USER_WRITE);
            }
        }
    }
}

/* The page record of `page`, created (and protected) if needed; NULL when full. */
static TCachePage *page_get(TCache *tc, uint64_t page)
{
    TCachePage *p = page_find(tc, page);
    if (!p) {
        if (tc->nr_pages >= TCACHE_BLOCKS) {
            return NULL;
        }
        p = &tc->pages[tc->nr_pages];
        p->page = page;
        p->blocks = -1;
        unsigned h = page_hash(page);
        p->next = tc->page_hash[h];
        tc->page_hash[h] = (int32_t)tc->nr_pages++;
    }
    if (p->blocks < 0) {
        protect_page(tc, page);
    }
    return p;
}

/* ---- block building ---- */

/* Does this instruction end a block even though it does not branch? Those that
 * change the mode, the translation, the interrupt shadow or flags the run loop
 * looks at (TF, IF), halt, or talk to devices (which may ask the loop to stop). */
static bool ends_block(const X86DecodedInsn *insn)
{
    if ((insn->flags & (X86_F_REP | X86_F_REPCC)) &&
        (insn->prefixes & (X86_PFX_REP | X86_PFX_REPNE))) {
        return true;        /* a REP loop that yields rewinds RIP to itself */
    }
    switch (insn->op) {
    case X86_OP_MOV_TO_SEG: case X86_OP_MOV_TO_CR: case X86_OP_MOV_TO_DR:
    case X86_OP_LES: case X86_OP_LDS: case X86_OP_LSS: case X86_OP_LFS: case X86_OP_LGS:
    case X86_OP_POPF: case X86_OP_STI: case X86_OP_CLI: case X86_OP_HLT:
    case X86_OP_WRMSR: case X86_OP_RDMSR: case X86_OP_LMSW: case X86_OP_CLTS:
    case X86_OP_INVLPG: case X86_OP_LGDT: case X86_OP_LIDT: case X86_OP_LLDT:
    case X86_OP_LTR: case X86_OP_IN: case X86_OP_OUT: case X86_OP_INS: case X86_OP_OUTS:
    case X86_OP_SWAPGS: case X86_OP_RSM: case X86_OP_INVD: case X86_OP_WBINVD:
    case X86_OP_CPUID: case X86_OP_PAUSE: case X86_OP_FXRSTOR: case X86_OP_UD2:
    case X86_OP_UNSUPPORTED:
        return true;
    case X86_OP_POP:
        switch (insn->operand[0]) {
        case X86_OPND_ES: case X86_OPND_SS: case X86_OPND_DS: case X86_OPND_FS:
        case X86_OPND_GS:
            return true;
        default:
            return false;
        }
    default:
        return false;
    }
}

static ExecFn resolve(X86CPU *cpu, const X86DecodedInsn *insn, ExecFn const *table)
{
    if (insn->op == X86_OP_UNSUPPORTED || !cpu_has_feature(cpu, insn->feature)) {
        return tc_unsupported;
    }
    if ((insn->flags & X86_F_PRIV) && cpu->cpl > 0) {
        return tc_privileged;
    }
    ExecFn fn = insn->op < X86_OP_COUNT ? table[insn->op] : NULL;
    if (!fn) {
        return tc_no_handler;
    }
    return tcache_specialize(insn, cpu->code_mode, fn);
}

TCacheBlock *tcache_lookup(TCache *tc, X86CPU *cpu, uint64_t phys, const uint8_t *host,
                           unsigned room, ExecFn const *table)
{
    uint32_t key = tcache_mode_key(cpu);
    unsigned h = block_hash(phys, key);

    for (int32_t i = tc->hash[h]; i >= 0; i = tc->blocks[i].hash_next) {
        TCacheBlock *b = &tc->blocks[i];
        if (b->phys == phys && b->key == key) {
            return b;
        }
    }
    if (!host) {
        return NULL;
    }
    tc->stats.misses++;
    if (tc->nr_blocks >= TCACHE_BLOCKS || tc->nr_insns + TCACHE_MAX_INSNS > TCACHE_INSNS ||
        tc->nr_pages >= TCACHE_BLOCKS) {
        tcache_flush(tc);
        h = block_hash(phys, key);
    }
    TCachePage *p = page_get(tc, phys & PAGE_MASK);
    if (!p) {
        return NULL;
    }

    TCacheInsn *recs = &tc->insns[tc->nr_insns];
    unsigned count = 0, offset = 0;
    while (count < TCACHE_MAX_INSNS && offset < room) {
        unsigned avail = room - offset;
        TCacheInsn *r = &recs[count];
        int len = x86_decode(host + offset, avail < X86_MAX_INSN_LEN ? avail :
                             X86_MAX_INSN_LEN, cpu->code_mode, &r->insn);
        if (len < 0) {
            break;               /* crosses the page or limit, or faults: slow path */
        }
        r->fn = resolve(cpu, &r->insn, table);
        r->span = 1;
        r->span_len = (uint8_t)len;
        count++;
        offset += (unsigned)len;
        if ((r->insn.flags & X86_F_BRANCH) || ends_block(&r->insn) ||
            r->fn == tc_unsupported || r->fn == tc_privileged || r->fn == tc_no_handler) {
            break;
        }
    }
    tcache_fuse(recs, count);
    if (count == 0) {
        if (p->blocks < 0) {
            /* nothing cached here after all; keep the page writable-fast */
            p->blocks = -1;
        }
        return NULL;
    }
    /* May the run loop go straight on to the next block (tcache_chain)? Only
     * after near branches and plain instructions: they change neither the mode,
     * nor CS, nor the translation. */
    bool chainable;
    switch (recs[count - 1].insn.op) {
    case X86_OP_JCC: case X86_OP_JMP: case X86_OP_CALL: case X86_OP_RET:
    case X86_OP_LOOP: case X86_OP_LOOPE: case X86_OP_LOOPNE: case X86_OP_JCXZ:
        chainable = true;
        break;
    default:
        chainable = !(recs[count - 1].insn.flags & X86_F_BRANCH) &&
                    !ends_block(&recs[count - 1].insn) &&
                    recs[count - 1].fn != tc_unsupported &&
                    recs[count - 1].fn != tc_privileged &&
                    recs[count - 1].fn != tc_no_handler;
        break;
    }
    int32_t index = (int32_t)tc->nr_blocks++;
    TCacheBlock *b = &tc->blocks[index];
    b->phys = phys;
    b->key = key;
    b->count = (uint16_t)count;
    b->bytes = (uint16_t)offset;
    b->insns = recs;
    b->chainable = chainable;
    b->chain = NULL;
    tc->nr_insns += count;
    b->hash_next = tc->hash[h];
    tc->hash[h] = index;
    b->page_next = p->blocks;
    p->blocks = index;
    tc->stats.blocks_built++;
    return b;
}

/* ---- specialised handlers ---- */

static inline uint64_t size_mask(unsigned bits)
{
    return bits >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << bits) - 1;
}

/* CF of the recorded operation without materialising the other flags. */
static inline uint64_t fast_cf(X86CPU *cpu)
{
    uint64_t m = size_mask(cpu->cc_size ? cpu->cc_size : 32);
    switch (cpu->cc_op) {
    case CC_OP_LOGIC:
        return 0;
    case CC_OP_ADD:
        return (cpu->cc_dst & m) < (cpu->cc_src2 & m);
    case CC_OP_SUB:
        return (cpu->cc_src2 & m) < (cpu->cc_src & m);
    case CC_OP_INC:
    case CC_OP_DEC:
        return cpu->cc_src & 1;
    case CC_OP_EFLAGS:
        return cpu->s.rflags & X86_FLAG_CF;
    default:
        return cpu_get_rflags(cpu) & X86_FLAG_CF;
    }
}

/* Jcc condition: the common cases straight from the record, else cpu_cond. */
static inline bool fast_cond(X86CPU *cpu, unsigned cc)
{
    unsigned bits = cpu->cc_size ? cpu->cc_size : 32;
    uint64_t m = size_mask(bits);
    uint64_t sign = UINT64_C(1) << (bits - 1);
    bool r;

    switch (cpu->cc_op) {
    case CC_OP_ADD: case CC_OP_ADC: case CC_OP_SBB: case CC_OP_INC: case CC_OP_DEC:
    case CC_OP_SHL: case CC_OP_SHR: case CC_OP_SAR:
        if ((cc >> 1) == 2) {
            r = (cpu->cc_dst & m) == 0;
        } else if ((cc >> 1) == 4) {
            r = (cpu->cc_dst & sign) != 0;
        } else {
            return cpu_cond(cpu, cc);
        }
        break;
    case CC_OP_SUB: {
        uint64_t a = cpu->cc_src2 & m, b = cpu->cc_src & m;
        int64_t sa = sext(a, bits), sb = sext(b, bits);
        switch (cc >> 1) {
        case 1: r = a < b; break;
        case 2: r = a == b; break;
        case 3: r = a <= b; break;
        case 4: r = (cpu->cc_dst & sign) != 0; break;
        case 6: r = sa < sb; break;
        case 7: r = sa <= sb; break;
        default: return cpu_cond(cpu, cc);
        }
        break;
    }
    case CC_OP_LOGIC: {
        uint64_t d = cpu->cc_dst & m;
        switch (cc >> 1) {
        case 0: case 1: r = false; break;            /* OF, CF = 0 */
        case 2: case 3: r = d == 0; break;            /* ZF, CF|ZF */
        case 4: case 6: r = (d & sign) != 0; break;   /* SF, SF != OF */
        case 7: r = d == 0 || (d & sign); break;      /* ZF | SF != OF */
        default: return cpu_cond(cpu, cc);
        }
        break;
    }
    default:
        return cpu_cond(cpu, cc);
    }
    return (cc & 1) ? !r : r;
}

enum { FA_ADD, FA_OR, FA_AND, FA_SUB, FA_XOR, FA_CMP, FA_TEST };

/* dst op= b on a full 32/64-bit register. */
static inline __attribute__((always_inline)) void fast_alu(X86CPU *cpu, unsigned dreg,
                                                           uint64_t b, int op, unsigned bits)
{
    uint64_t m = size_mask(bits);
    uint64_t a = cpu->s.regs[dreg] & m;
    uint64_t r;
    CCOp cc;

    b &= m;
    switch (op) {
    case FA_ADD: r = a + b; cc = CC_OP_ADD; break;
    case FA_OR: r = a | b; cc = CC_OP_LOGIC; break;
    case FA_AND: case FA_TEST: r = a & b; cc = CC_OP_LOGIC; break;
    case FA_SUB: case FA_CMP: r = a - b; cc = CC_OP_SUB; break;
    default: r = a ^ b; cc = CC_OP_LOGIC; break;
    }
    r &= m;
    if (op != FA_CMP && op != FA_TEST) {
        cpu->s.regs[dreg] = r;
    }
    cpu_set_cc(cpu, cc, bits, r, b, a);
}

#define FAST_ALU_FORMS(name, op, bits)                                                \
    static void fast_##name##_ev_gv_##bits(X86CPU *cpu, const X86DecodedInsn *insn)   \
    { fast_alu(cpu, insn->rm, cpu->s.regs[insn->reg], op, bits); }                    \
    static void fast_##name##_gv_ev_##bits(X86CPU *cpu, const X86DecodedInsn *insn)   \
    { fast_alu(cpu, insn->reg, cpu->s.regs[insn->rm], op, bits); }                    \
    static void fast_##name##_ev_imm_##bits(X86CPU *cpu, const X86DecodedInsn *insn)  \
    { fast_alu(cpu, insn->rm, insn->imm, op, bits); }                                 \
    static void fast_##name##_eax_imm_##bits(X86CPU *cpu, const X86DecodedInsn *insn) \
    { fast_alu(cpu, R_EAX, insn->imm, op, bits); }

#define FAST_ALU_BOTH(name, op) FAST_ALU_FORMS(name, op, 32) FAST_ALU_FORMS(name, op, 64)
FAST_ALU_BOTH(add, FA_ADD)
FAST_ALU_BOTH(or, FA_OR)
FAST_ALU_BOTH(and, FA_AND)
FAST_ALU_BOTH(sub, FA_SUB)
FAST_ALU_BOTH(xor, FA_XOR)
FAST_ALU_BOTH(cmp, FA_CMP)
FAST_ALU_BOTH(test, FA_TEST)

/* The four register forms of each ALU op, for 32 and 64 bits. */
typedef struct FastAluForms {
    ExecFn ev_gv[2], gv_ev[2], ev_imm[2], eax_imm[2];
} FastAluForms;

#define FAST_ALU_ENTRY(name)                                                    \
    { { fast_##name##_ev_gv_32, fast_##name##_ev_gv_64 },                       \
      { fast_##name##_gv_ev_32, fast_##name##_gv_ev_64 },                       \
      { fast_##name##_ev_imm_32, fast_##name##_ev_imm_64 },                     \
      { fast_##name##_eax_imm_32, fast_##name##_eax_imm_64 } }

static const FastAluForms fast_alu_forms[] = {
    [FA_ADD] = FAST_ALU_ENTRY(add), [FA_OR] = FAST_ALU_ENTRY(or),
    [FA_AND] = FAST_ALU_ENTRY(and), [FA_SUB] = FAST_ALU_ENTRY(sub),
    [FA_XOR] = FAST_ALU_ENTRY(xor), [FA_CMP] = FAST_ALU_ENTRY(cmp),
    [FA_TEST] = FAST_ALU_ENTRY(test),
};

static inline __attribute__((always_inline)) void fast_incdec(X86CPU *cpu, unsigned reg,
                                                              bool dec, unsigned bits)
{
    uint64_t m = size_mask(bits);
    uint64_t a = cpu->s.regs[reg] & m;
    uint64_t r = (dec ? a - 1 : a + 1) & m;
    uint64_t cf = fast_cf(cpu);
    cpu->s.regs[reg] = r;
    cpu_set_cc(cpu, dec ? CC_OP_DEC : CC_OP_INC, bits, r, cf, a);
}

static void fast_inc_z32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->reg, false, 32); }
static void fast_dec_z32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->reg, true, 32); }
static void fast_inc_e32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->rm, false, 32); }
static void fast_dec_e32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->rm, true, 32); }
static void fast_inc_e64(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->rm, false, 64); }
static void fast_dec_e64(X86CPU *cpu, const X86DecodedInsn *insn) { fast_incdec(cpu, insn->rm, true, 64); }

static void fast_mov_ev_gv_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->rm] = cpu->s.regs[insn->reg] & 0xffffffffu;
}
static void fast_mov_gv_ev_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = cpu->s.regs[insn->rm] & 0xffffffffu;
}
static void fast_mov_ev_gv_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->rm] = cpu->s.regs[insn->reg];
}
static void fast_mov_gv_ev_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = cpu->s.regs[insn->rm];
}
/* ---- more register forms: IMUL, shifts by an immediate, LEA, MOVZX/MOVSXD, CMOVcc,
 * SETcc (the same results and lazy flags as the generic handlers) ---- */

static inline __attribute__((always_inline)) void fast_imul(X86CPU *cpu, unsigned dreg,
                                                            uint64_t a, uint64_t b,
                                                            unsigned bits)
{
    __int128 p = (__int128)sext(a, bits) * sext(b, bits);
    uint64_t lo = (uint64_t)p & size_mask(bits);
    cpu->s.regs[dreg] = lo;
    cpu_set_cc(cpu, CC_OP_IMUL, bits, lo, (__int128)sext(lo, bits) != p, 0);
}
static void fast_imul_rr_32(X86CPU *cpu, const X86DecodedInsn *insn)
{ fast_imul(cpu, insn->reg, cpu->s.regs[insn->reg], cpu->s.regs[insn->rm], 32); }
static void fast_imul_rr_64(X86CPU *cpu, const X86DecodedInsn *insn)
{ fast_imul(cpu, insn->reg, cpu->s.regs[insn->reg], cpu->s.regs[insn->rm], 64); }
static void fast_imul_rri_32(X86CPU *cpu, const X86DecodedInsn *insn)
{ fast_imul(cpu, insn->reg, cpu->s.regs[insn->rm], insn->imm, 32); }
static void fast_imul_rri_64(X86CPU *cpu, const X86DecodedInsn *insn)
{ fast_imul(cpu, insn->reg, cpu->s.regs[insn->rm], insn->imm, 64); }

enum { FS_SHL, FS_SHR, FS_SAR };

/* SHL/SHR/SAR reg, imm8: a zero count writes the register back (a 32-bit one is
 * zero-extended) and leaves the flags. */
static inline __attribute__((always_inline)) void fast_shift_ri(X86CPU *cpu,
                                                                const X86DecodedInsn *insn,
                                                                int kind, unsigned bits)
{
    uint64_t m = size_mask(bits);
    uint64_t v = cpu->s.regs[insn->rm] & m;
    unsigned count = (unsigned)insn->imm & (bits == 64 ? 63 : 31);
    uint64_t r;
    if (count == 0) {
        cpu->s.regs[insn->rm] = v;
        return;
    }
    switch (kind) {
    case FS_SHL:
        r = (v << count) & m;
        cpu->s.regs[insn->rm] = r;
        cpu_set_cc(cpu, CC_OP_SHL, bits, r, count, v);
        break;
    case FS_SHR:
        r = v >> count;
        cpu->s.regs[insn->rm] = r;
        cpu_set_cc(cpu, CC_OP_SHR, bits, r, count, v);
        break;
    default:
        r = (uint64_t)(sext(v, bits) >> count) & m;
        cpu->s.regs[insn->rm] = r;
        cpu_set_cc(cpu, CC_OP_SAR, bits, r, count, v);
        break;
    }
}
static void fast_shl_ri_32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SHL, 32); }
static void fast_shl_ri_64(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SHL, 64); }
static void fast_shr_ri_32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SHR, 32); }
static void fast_shr_ri_64(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SHR, 64); }
static void fast_sar_ri_32(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SAR, 32); }
static void fast_sar_ri_64(X86CPU *cpu, const X86DecodedInsn *insn) { fast_shift_ri(cpu, insn, FS_SAR, 64); }

static void fast_lea_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = exec_ea(cpu, insn) & 0xffffffffu;
}
static void fast_lea_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = exec_ea(cpu, insn);
}

/* MOVZX from a byte register (AH..BH without REX, SPL..R15B with it) or a word one */
static void fast_movzx_b(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = reg_read(cpu, insn->rm, 8, insn->rex != 0);
}
static void fast_movzx_w(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = cpu->s.regs[insn->rm] & 0xffff;
}
static void fast_movsxd_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = (uint64_t)(int64_t)(int32_t)cpu->s.regs[insn->rm];
}

/* CMOVcc reg, reg: a 32-bit one writes its destination (zero-extended) either way */
static void fast_cmov_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t v = fast_cond(cpu, insn->opcode & 15) ? cpu->s.regs[insn->rm]
                                                   : cpu->s.regs[insn->reg];
    cpu->s.regs[insn->reg] = v & 0xffffffffu;
}
static void fast_cmov_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    if (fast_cond(cpu, insn->opcode & 15)) {
        cpu->s.regs[insn->reg] = cpu->s.regs[insn->rm];
    }
}

/* ADC/SBB between registers or with an immediate (the carry in from the lazy flags) */
static inline __attribute__((always_inline)) void fast_adcsbb(X86CPU *cpu, unsigned dreg,
                                                              uint64_t b, bool sbb,
                                                              unsigned bits)
{
    uint64_t m = size_mask(bits);
    uint64_t a = cpu->s.regs[dreg] & m;
    uint64_t cin = fast_cf(cpu);
    b &= m;
    uint64_t r = (sbb ? a - b - cin : a + b + cin) & m;
    cpu->s.regs[dreg] = r;
    cpu_set_cc(cpu, sbb ? CC_OP_SBB : CC_OP_ADC, bits, r, b, a);
}
#define FAST_ADCSBB_FORMS(name, sbb, bits)                                              \
    static void fast_##name##_ev_gv_##bits(X86CPU *cpu, const X86DecodedInsn *insn)     \
    { fast_adcsbb(cpu, insn->rm, cpu->s.regs[insn->reg], sbb, bits); }                  \
    static void fast_##name##_gv_ev_##bits(X86CPU *cpu, const X86DecodedInsn *insn)     \
    { fast_adcsbb(cpu, insn->reg, cpu->s.regs[insn->rm], sbb, bits); }                  \
    static void fast_##name##_ev_imm_##bits(X86CPU *cpu, const X86DecodedInsn *insn)    \
    { fast_adcsbb(cpu, insn->rm, insn->imm, sbb, bits); }
FAST_ADCSBB_FORMS(adc, false, 32)
FAST_ADCSBB_FORMS(adc, false, 64)
FAST_ADCSBB_FORMS(sbb, true, 32)
FAST_ADCSBB_FORMS(sbb, true, 64)

/* PUSH/POP of a 64-bit register in 64-bit mode (the stack is always 64 bits wide
 * there); the store or load comes first, so a fault leaves RSP as it was. POP RSP
 * keeps the value read. */
static void fast_push_r64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t sp = cpu->s.regs[R_ESP] - 8;
    cpu_st(cpu, R_SS, sp, cpu->s.regs[insn->reg], 8);
    cpu->s.regs[R_ESP] = sp;
}
static void fast_pop_r64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t sp = cpu->s.regs[R_ESP];
    uint64_t v = cpu_ld(cpu, R_SS, sp, 8);
    cpu->s.regs[R_ESP] = sp + 8;
    cpu->s.regs[insn->reg] = v;
}

static void fast_setcc_r(X86CPU *cpu, const X86DecodedInsn *insn)
{
    reg_write(cpu, insn->rm, 8, fast_cond(cpu, insn->opcode & 15) ? 1 : 0, insn->rex != 0);
}

/* MOV between a register and memory: the operand-kind dispatch of exec_read/write is
 * skipped; cpu_ld/cpu_st still do every check (inline only on a plain TLB hit). */
static void fast_mov_load_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = cpu_ld(cpu, insn->seg, exec_ea(cpu, insn), 4);
}
static void fast_mov_load_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = cpu_ld(cpu, insn->seg, exec_ea(cpu, insn), 8);
}
static void fast_mov_store_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_st(cpu, insn->seg, exec_ea(cpu, insn), cpu->s.regs[insn->reg] & 0xffffffffu, 4);
}
static void fast_mov_store_64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu_st(cpu, insn->seg, exec_ea(cpu, insn), cpu->s.regs[insn->reg], 8);
}
static void fast_mov_z_imm_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->reg] = insn->imm & 0xffffffffu;
}
static void fast_mov_e_imm_32(X86CPU *cpu, const X86DecodedInsn *insn)
{
    cpu->s.regs[insn->rm] = insn->imm & 0xffffffffu;
}

/* Near relative branches outside 64-bit mode: inside the CS limit the jump needs
 * no check; otherwise exec_jump_near raises #GP as the generic handler would. */
static inline void fast_jump_rel(X86CPU *cpu, const X86DecodedInsn *insn)
{
    uint64_t target = (cpu->s.rip + (uint64_t)insn->rel) & size_mask(insn->opsize);
    if (__builtin_expect(target <= cpu->s.seg[R_CS].limit, 1)) {
        cpu->s.rip = target;
    } else {
        exec_jump_near(cpu, cpu->s.rip + (uint64_t)insn->rel, insn->opsize);
    }
}

static inline __attribute__((always_inline)) void fast_jcc_inline(X86CPU *cpu,
                                                                  const X86DecodedInsn *insn)
{
    if (fast_cond(cpu, insn->opcode & 15)) {
        fast_jump_rel(cpu, insn);
    }
}

static void fast_jcc(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fast_jcc_inline(cpu, insn);
}

static void fast_jmp_rel(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fast_jump_rel(cpu, insn);
}

static inline __attribute__((always_inline)) void fast_jcc64_inline(X86CPU *cpu,
                                                                    const X86DecodedInsn *insn)
{
    if (fast_cond(cpu, insn->opcode & 15)) {
        uint64_t target = cpu->s.rip + (uint64_t)insn->rel;
        if (__builtin_expect(insn->opsize == 64 && sext(target, 48) == (int64_t)target, 1)) {
            cpu->s.rip = target;
        } else {
            exec_jump_near(cpu, target, insn->opsize);   /* #GP(0) when non-canonical */
        }
    }
}

static void fast_jcc64(X86CPU *cpu, const X86DecodedInsn *insn)
{
    fast_jcc64_inline(cpu, insn);
}

/* Fused pairs: the first instruction's record spans both; the branch's record
 * follows it. After the first one runs, insn_rip and insn_rsp move to the branch (a
 * #GP for a target past the CS limit is the branch's, with RSP as the first one left
 * it), then the branch reads the lazy flags just set, in the same handler. */
static inline const X86DecodedInsn *pair_second(const X86DecodedInsn *insn)
{
    const TCacheInsn *first =
        (const TCacheInsn *)(const void *)((const char *)insn - offsetof(TCacheInsn, insn));
    return &first[1].insn;
}

#define FUSED_JCC(name, jcc, stmt)                                                      \
    static void fused_##name##_##jcc(X86CPU *cpu, const X86DecodedInsn *insn)          \
    {                                                                                  \
        stmt;                                                                          \
        cpu->insn_rip += insn->len;                                                    \
        cpu->insn_rsp = cpu->s.regs[R_ESP];                                            \
        jcc##_inline(cpu, pair_second(insn));                                          \
    }
/* The CMP/TEST register forms of one operand size, then INC/DEC */
#define FUSED_CMP_JCC_FORMS(bits, jcc)                                                  \
    FUSED_JCC(cmp_ev_gv_##bits, jcc, fast_alu(cpu, insn->rm, cpu->s.regs[insn->reg], FA_CMP, bits)) \
    FUSED_JCC(cmp_gv_ev_##bits, jcc, fast_alu(cpu, insn->reg, cpu->s.regs[insn->rm], FA_CMP, bits)) \
    FUSED_JCC(cmp_ev_imm_##bits, jcc, fast_alu(cpu, insn->rm, insn->imm, FA_CMP, bits))  \
    FUSED_JCC(cmp_eax_imm_##bits, jcc, fast_alu(cpu, R_EAX, insn->imm, FA_CMP, bits))    \
    FUSED_JCC(test_ev_gv_##bits, jcc, fast_alu(cpu, insn->rm, cpu->s.regs[insn->reg], FA_TEST, bits)) \
    FUSED_JCC(test_ev_imm_##bits, jcc, fast_alu(cpu, insn->rm, insn->imm, FA_TEST, bits)) \
    FUSED_JCC(test_eax_imm_##bits, jcc, fast_alu(cpu, R_EAX, insn->imm, FA_TEST, bits))
FUSED_CMP_JCC_FORMS(32, fast_jcc)
FUSED_CMP_JCC_FORMS(32, fast_jcc64)
FUSED_CMP_JCC_FORMS(64, fast_jcc64)
FUSED_JCC(inc_z32, fast_jcc, fast_incdec(cpu, insn->reg, false, 32))
FUSED_JCC(dec_z32, fast_jcc, fast_incdec(cpu, insn->reg, true, 32))
FUSED_JCC(inc_e32, fast_jcc, fast_incdec(cpu, insn->rm, false, 32))
FUSED_JCC(dec_e32, fast_jcc, fast_incdec(cpu, insn->rm, true, 32))
FUSED_JCC(inc_e32, fast_jcc64, fast_incdec(cpu, insn->rm, false, 32))
FUSED_JCC(dec_e32, fast_jcc64, fast_incdec(cpu, insn->rm, true, 32))
FUSED_JCC(inc_e64, fast_jcc64, fast_incdec(cpu, insn->rm, false, 64))
FUSED_JCC(dec_e64, fast_jcc64, fast_incdec(cpu, insn->rm, true, 64))

#define FUSED_ROW(name, jcc) { fast_##name, jcc, fused_##name##_##jcc }
#define FUSED_CMP_ROWS(bits, jcc)                                                       \
    FUSED_ROW(cmp_ev_gv_##bits, jcc), FUSED_ROW(cmp_gv_ev_##bits, jcc),                 \
    FUSED_ROW(cmp_ev_imm_##bits, jcc), FUSED_ROW(cmp_eax_imm_##bits, jcc),              \
    FUSED_ROW(test_ev_gv_##bits, jcc), FUSED_ROW(test_ev_imm_##bits, jcc),              \
    FUSED_ROW(test_eax_imm_##bits, jcc)

static const struct {
    ExecFn first, second, fused;
} fused_pairs[] = {
    FUSED_CMP_ROWS(32, fast_jcc), FUSED_CMP_ROWS(32, fast_jcc64), FUSED_CMP_ROWS(64, fast_jcc64),
    FUSED_ROW(inc_z32, fast_jcc), FUSED_ROW(dec_z32, fast_jcc),
    FUSED_ROW(inc_e32, fast_jcc), FUSED_ROW(dec_e32, fast_jcc),
    FUSED_ROW(inc_e32, fast_jcc64), FUSED_ROW(dec_e32, fast_jcc64),
    FUSED_ROW(inc_e64, fast_jcc64), FUSED_ROW(dec_e64, fast_jcc64),
};

void tcache_fuse(TCacheInsn *recs, unsigned count)
{
    for (unsigned i = 0; i + 1 < count; i++) {
        TCacheInsn *a = &recs[i], *b = &recs[i + 1];
        for (size_t k = 0; k < sizeof(fused_pairs) / sizeof(fused_pairs[0]); k++) {
            if (fused_pairs[k].first == a->fn && fused_pairs[k].second == b->fn) {
                a->fn = fused_pairs[k].fused;
                a->span = 2;
                a->span_len = (uint8_t)(a->insn.len + b->insn.len);
                i++;
                break;
            }
        }
    }
}

static int fast_alu_index(unsigned op)
{
    switch (op) {
    case X86_OP_ADD: return FA_ADD;
    case X86_OP_OR: return FA_OR;
    case X86_OP_AND: return FA_AND;
    case X86_OP_SUB: return FA_SUB;
    case X86_OP_XOR: return FA_XOR;
    case X86_OP_CMP: return FA_CMP;
    case X86_OP_TEST: return FA_TEST;
    default: return -1;
    }
}

ExecFn tcache_specialize(const X86DecodedInsn *insn, X86CpuMode mode, ExecFn generic)
{
    const uint8_t *o = insn->operand;
    bool reg_rm = !(insn->flags & X86_F_MEM);     /* Ev is a register */
    bool lock = insn->prefixes & X86_PFX_LOCK;
    unsigned bits = insn->opsize;

    if (lock) {
        return generic;
    }
    switch (insn->op) {
    case X86_OP_JCC:
        if (o[0] == X86_OPND_Jb || o[0] == X86_OPND_Jz) {
            return mode == X86_MODE_64 ? fast_jcc64 : fast_jcc;
        }
        return generic;
    case X86_OP_JMP:
        if ((o[0] == X86_OPND_Jb || o[0] == X86_OPND_Jz) && mode != X86_MODE_64) {
            return fast_jmp_rel;
        }
        return generic;
    default:
        break;
    }
    if (insn->op == X86_OP_SETCC && o[0] == X86_OPND_Eb && reg_rm) {
        return fast_setcc_r;                        /* byte forms: any operand size */
    }
    if (bits != 32 && bits != 64) {
        return generic;
    }
    int w = bits == 64;
    switch (insn->op) {
    case X86_OP_IMUL:
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && reg_rm) {
            if (o[2] == X86_OPND__) {
                return w ? fast_imul_rr_64 : fast_imul_rr_32;
            }
            if (o[2] == X86_OPND_Iz || o[2] == X86_OPND_IbS) {
                return w ? fast_imul_rri_64 : fast_imul_rri_32;
            }
        }
        return generic;
    case X86_OP_SHL: case X86_OP_SHR: case X86_OP_SAR:
        if (o[0] == X86_OPND_Ev && o[1] == X86_OPND_Ib && reg_rm) {
            if (insn->op == X86_OP_SHL) {
                return w ? fast_shl_ri_64 : fast_shl_ri_32;
            }
            if (insn->op == X86_OP_SHR) {
                return w ? fast_shr_ri_64 : fast_shr_ri_32;
            }
            return w ? fast_sar_ri_64 : fast_sar_ri_32;
        }
        return generic;
    case X86_OP_LEA:
        return w ? fast_lea_64 : fast_lea_32;
    case X86_OP_PUSH: case X86_OP_POP:
        if (mode == X86_MODE_64 && w && o[0] == X86_OPND_Zv) {
            return insn->op == X86_OP_PUSH ? fast_push_r64 : fast_pop_r64;
        }
        return generic;
    case X86_OP_ADC: case X86_OP_SBB: {
        bool sbb = insn->op == X86_OP_SBB;
        if (o[0] == X86_OPND_Ev && o[1] == X86_OPND_Gv && reg_rm) {
            return sbb ? (w ? fast_sbb_ev_gv_64 : fast_sbb_ev_gv_32)
                       : (w ? fast_adc_ev_gv_64 : fast_adc_ev_gv_32);
        }
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && reg_rm) {
            return sbb ? (w ? fast_sbb_gv_ev_64 : fast_sbb_gv_ev_32)
                       : (w ? fast_adc_gv_ev_64 : fast_adc_gv_ev_32);
        }
        if (o[0] == X86_OPND_Ev && (o[1] == X86_OPND_Iz || o[1] == X86_OPND_IbS) && reg_rm) {
            return sbb ? (w ? fast_sbb_ev_imm_64 : fast_sbb_ev_imm_32)
                       : (w ? fast_adc_ev_imm_64 : fast_adc_ev_imm_32);
        }
        return generic;
    }
    case X86_OP_MOVZX:
        if (o[0] == X86_OPND_Gv && reg_rm && o[1] == X86_OPND_Eb) {
            return fast_movzx_b;
        }
        if (o[0] == X86_OPND_Gv && reg_rm && o[1] == X86_OPND_Ew) {
            return fast_movzx_w;
        }
        return generic;
    case X86_OP_MOVSXD:
        if (w && o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ed && reg_rm) {
            return fast_movsxd_64;
        }
        return generic;
    case X86_OP_CMOVCC:
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && reg_rm) {
            return w ? fast_cmov_64 : fast_cmov_32;
        }
        return generic;
    default:
        break;
    }
    int alu = fast_alu_index(insn->op);
    if (alu >= 0) {
        const FastAluForms *f = &fast_alu_forms[alu];
        if (o[0] == X86_OPND_Ev && o[1] == X86_OPND_Gv && reg_rm) {
            return f->ev_gv[w];
        }
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && reg_rm) {
            return f->gv_ev[w];
        }
        if (o[0] == X86_OPND_Ev && (o[1] == X86_OPND_Iz || o[1] == X86_OPND_IbS) && reg_rm) {
            return f->ev_imm[w];
        }
        if (o[0] == X86_OPND_rAX && o[1] == X86_OPND_Iz) {
            return f->eax_imm[w];
        }
        return generic;
    }
    switch (insn->op) {
    case X86_OP_INC:
    case X86_OP_DEC: {
        bool dec = insn->op == X86_OP_DEC;
        if (o[0] == X86_OPND_Zv && bits == 32) {
            return dec ? fast_dec_z32 : fast_inc_z32;
        }
        if (o[0] == X86_OPND_Ev && reg_rm) {
            if (w) {
                return dec ? fast_dec_e64 : fast_inc_e64;
            }
            return dec ? fast_dec_e32 : fast_inc_e32;
        }
        return generic;
    }
    case X86_OP_MOV:
        if (o[0] == X86_OPND_Ev && o[1] == X86_OPND_Gv && reg_rm) {
            return w ? fast_mov_ev_gv_64 : fast_mov_ev_gv_32;
        }
        if (o[0] == X86_OPND_Ev && o[1] == X86_OPND_Gv && (insn->flags & X86_F_MEM)) {
            return w ? fast_mov_store_64 : fast_mov_store_32;
        }
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && (insn->flags & X86_F_MEM)) {
            return w ? fast_mov_load_64 : fast_mov_load_32;
        }
        if (o[0] == X86_OPND_Gv && o[1] == X86_OPND_Ev && reg_rm) {
            return w ? fast_mov_gv_ev_64 : fast_mov_gv_ev_32;
        }
        if (!w && o[0] == X86_OPND_Zv && o[1] == X86_OPND_Iv) {
            return fast_mov_z_imm_32;
        }
        if (!w && o[0] == X86_OPND_Ev && o[1] == X86_OPND_Iz && reg_rm) {
            return fast_mov_e_imm_32;
        }
        return generic;
    default:
        return generic;
    }
}
