/*
 * The decoded-instruction cache of the interpreter: straight-line blocks of decoded
 * instructions, each with its handler already looked up, keyed by the guest-physical
 * address of the first instruction and a mode key (code mode and CPL). The run loop
 * (interp.c) translates RIP once per block, finds or builds the block and calls the
 * handlers in a row; nothing is decoded twice while the code stays unchanged.
 *
 * A block lies within one 4 KiB physical page and ends after an instruction that may
 * branch (X86_F_BRANCH), that may change how the following code is decoded or run
 * (CR/MSR/segment loads, POPF, STI's and MOV SS's interrupt shadow, HLT, port I/O,
 * descriptor-table loads, INVLPG, ...), before an instruction that crosses the page
 * end, or at TCACHE_MAX_INSNS. Code on MMIO pages is never cached.
 *
 * Self-modifying code: every physical page holding a block is a "code page". The
 * MMU gives code pages no write permission in the TLB, so the first write through
 * any linear alias takes the slow path, which calls tcache_invalidate_page() (all
 * blocks of the page go, the page stops being a code page) before writing; later
 * writes are fast again until code on the page is decoded again. Physical stores
 * of the CPU (page-table A/D bits, descriptor bits) call tcache_note_phys_write().
 * Device DMA (address_space_write/map from a device: today only fw_cfg) is NOT
 * tracked: the engine flushes everything on a memory-map change and on reset.
 *
 * Fused pairs: an INC/DEC of a register, or a register CMP/TEST, followed by a
 * conditional near branch (loop tails and most tests) runs as one handler
 * (tcache_fuse); its record spans both instructions and the branch's record is
 * skipped.
 *
 * Memory is bounded: a fixed pool of blocks and of instruction records; when either
 * runs out the whole cache is flushed.
 *
 * One cache may be shared by the CPUs of a machine (all run in one thread); the
 * CPUs are attached so that a page becoming a code page loses its write
 * permission in every CPU's TLB.
 */
#ifndef CPU_TCACHE_H
#define CPU_TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/exec.h"

#define TCACHE_MAX_INSNS 32           /* instructions per block at most */
#define TCACHE_MAX_CPUS 64            /* CPUs sharing one cache */

/* One cached instruction: the handler to call and the record to call it with. */
typedef struct TCacheInsn {
    ExecFn fn;
    X86DecodedInsn insn;
    uint8_t span;             /* instructions this record's handler runs: 1, or 2 for
                                 a fused pair (the second record stays, unused) */
    uint8_t span_len;         /* their length in bytes */
} TCacheInsn;

typedef struct TCacheBlock {
    uint64_t phys;            /* guest-physical address of the first instruction */
    uint32_t key;             /* mode key (tcache_mode_key) */
    uint16_t count;           /* instructions */
    uint16_t bytes;           /* length in bytes */
    TCacheInsn *insns;        /* `count` records in the pool */
    int32_t hash_next;        /* next block in the hash chain, -1 = end */
    int32_t page_next;        /* next block on the same page, -1 = end */
    bool chainable;           /* ends with a near branch or a plain instruction */
    uint32_t chain_gen;       /* the cache generation `chain` was recorded in */
    int64_t chain_delta;      /* RIP of the successor - RIP of this block */
    struct TCacheBlock *chain;   /* the last successor on the same page, or NULL */
} TCacheBlock;

typedef struct TCacheStats {
    uint64_t blocks_built;
    uint64_t lookups;
    uint64_t misses;
    uint64_t page_invalidations;
    uint64_t flushes;
} TCacheStats;

/* Sizes of the pools and hash tables (powers of two). */
#define TCACHE_BLOCKS 8192
#define TCACHE_INSNS (TCACHE_BLOCKS * 16)
#define TCACHE_HASH 8192
#define TCACHE_PAGE_HASH 4096

/* The jump cache: linear address -> block, shared by the CPUs of the cache. A hit is
 * valid only if the generation is current (no block was dropped since) and the
 * running CPU's TLB still maps the linear page to the block's physical page with
 * execute permission (see cpu_exec). */
#define TCACHE_JUMP 4096
typedef struct TCacheJump {
    uint64_t linear;
    uint32_t key;
    uint32_t gen;
    TCacheBlock *block;
} TCacheJump;

static inline unsigned tcache_jump_index(uint64_t linear)
{
    return (unsigned)(linear ^ (linear >> 12)) & (TCACHE_JUMP - 1);
}

/* A physical page that holds (or held) blocks. */
typedef struct TCachePage {
    uint64_t page;            /* physical page address */
    int32_t blocks;           /* first block on it, -1 = none: not a code page */
    int32_t next;             /* next page in the hash chain */
} TCachePage;

typedef struct TCache {
    bool stop;                /* blocks were dropped: stop the running block */
    bool flush_on_entry;      /* private cache of a CPU outside an engine: cpu_exec
                                 flushes it on entry (host writes are not seen) */
    uint32_t gen;             /* bumped whenever blocks are dropped */
    TCacheJump jump[TCACHE_JUMP];
    int32_t hash[TCACHE_HASH];
    int32_t page_hash[TCACHE_PAGE_HASH];
    uint32_t nr_blocks, nr_insns, nr_pages;
    TCacheBlock blocks[TCACHE_BLOCKS];
    TCachePage pages[TCACHE_BLOCKS];
    TCacheInsn insns[TCACHE_INSNS];
    X86CPU *cpus[TCACHE_MAX_CPUS];
    int nr_cpus;
    TCacheStats stats;
} TCache;

/* A new empty cache; free with tcache_free (detach nothing: the CPUs just stop
 * using it). */
TCache *tcache_new(void);
void tcache_free(TCache *tc);
/* Use `tc` for `cpu` (cpu->tcache = tc and the CPU's TLB is protected for it). */
void tcache_attach(TCache *tc, X86CPU *cpu);
void tcache_detach(TCache *tc, X86CPU *cpu);

/* The key of the CPU's current decoding mode. */
static inline uint32_t tcache_mode_key(const X86CPU *cpu)
{
    return (uint32_t)cpu->code_mode | ((uint32_t)cpu->cpl << 4);
}

/* The block at physical `phys` for the CPU's current mode, building it if needed
 * (may raise a fault through cpu_raise for the first instruction's fetch; the
 * handler table `table` resolves handlers). Returns NULL when the code there cannot
 * be cached (MMIO page, first instruction crosses the page end or does not decode):
 * the caller executes one instruction the slow way. `host` is the host pointer of
 * the page (from the TLB) and `room` the bytes readable from `phys` within the page
 * and the code segment limit. */
TCacheBlock *tcache_lookup(TCache *tc, X86CPU *cpu, uint64_t phys, const uint8_t *host,
                           unsigned room, ExecFn const *table);

/* The block that follows `b` (entered at `rip`, left at `next`) if it is the
 * recorded successor: same physical page, same mode (so the same translation and
 * rights), no block dropped since. The caller checks the CS limit. */
static inline TCacheBlock *tcache_chain(const TCache *tc, const TCacheBlock *b,
                                        uint64_t rip, uint64_t next)
{
    if (b->chain && b->chain_gen == tc->gen && (int64_t)(next - rip) == b->chain_delta) {
        return b->chain;
    }
    return NULL;
}

/* Record `succ` (entered at `next`) as the successor of `b` (entered at `rip`)
 * when both lie on the same physical page. */
static inline void tcache_link(const TCache *tc, TCacheBlock *b, uint64_t rip,
                               uint64_t next, TCacheBlock *succ)
{
    int64_t delta = (int64_t)(next - rip);
    uint64_t target = b->phys + (uint64_t)delta;
    if (b->chainable && succ->phys == target && succ->key == b->key &&
        ((target ^ b->phys) & ~UINT64_C(0xfff)) == 0) {
        b->chain = succ;
        b->chain_delta = delta;
        b->chain_gen = tc->gen;
    }
}

/* Drop every block on the physical page of `phys` (a guest write hit it). */
void tcache_invalidate_page(TCache *tc, uint64_t phys);
/* Does the physical page of `phys` hold cached code? */
bool tcache_page_has_code(const TCache *tc, uint64_t phys);
/* A store of `size` bytes at `phys` is about to happen outside the TLB fast path. */
void tcache_note_phys_write(TCache *tc, uint64_t phys, unsigned size);
/* Drop everything (memory map change, reset). */
void tcache_flush(TCache *tc);


/* The specialised handler for `insn` if there is one, else `generic`. */
/* Fuse instruction pairs of a freshly built run of `count` records (see above). */
void tcache_fuse(TCacheInsn *recs, unsigned count);
ExecFn tcache_specialize(const X86DecodedInsn *insn, X86CpuMode mode, ExecFn generic);

#endif
