/*
 * The software MMU: page walks (32-bit with PSE, PAE, 4-level long mode), the
 * permission checks (U/S, R/W with CR0.WP, NX with EFER.NXE, reserved bits), the
 * accessed/dirty write-back, and the direct-mapped TLB that turns a linear address
 * into a host pointer for RAM without any region lookup. MMIO (and the local APIC
 * page) go through the address space (or the APIC region) on every access.
 *
 * TLB entry permissions: TLB_READ (present), TLB_USER (user may read), TLB_EXEC
 * (fetch allowed; user fetch also needs TLB_USER), TLB_WRITE (supervisor may
 * write), TLB_USER_WRITE (user may write); the two write bits are set only once
 * the page's dirty bit is set, so the first write walks again and sets it.
 */
#include "cpu/cpu.h"

#include <string.h>

#include "cpu/models.h"
#include "cpu/tcache.h"
#include "system/log.h"

/* Page-table entry bits */
#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)

#define PAGE_MASK (~UINT64_C(0xfff))
#define PHYS_MASK (((UINT64_C(1) << X86_MODEL_PHYS_BITS) - 1) & PAGE_MASK)

/* Access kinds */
enum { ACC_READ, ACC_WRITE, ACC_EXEC };

/* Entry flags (private): the translation came from a global page; from a large
 * (2 or 4 MiB) page. */
#define TLB_GLOBAL (1u << 7)
#define TLB_LARGE (1u << 8)

#define TLB_EMPTY (~UINT64_C(0))

void cpu_tlb_flush(X86CPU *cpu, bool include_global)
{
    for (unsigned i = 0; i < TLB_SIZE; i++) {
        if (include_global || !(cpu->tlb[i].perm & TLB_GLOBAL)) {
            cpu->tlb[i].vpage = TLB_EMPTY;
        }
    }
}

void cpu_tlb_flush_all_mappings(X86CPU *cpu)
{
    cpu_tlb_flush(cpu, true);
}

static inline TLBEntry *tlb_slot(X86CPU *cpu, uint64_t linear)
{
    return &cpu->tlb[(linear >> 12) & (TLB_SIZE - 1)];
}

void cpu_tlb_flush_page(X86CPU *cpu, uint64_t linear)
{
    TLBEntry *e = tlb_slot(cpu, linear);
    if (e->vpage == ((linear & PAGE_MASK) | 1)) {
        e->vpage = TLB_EMPTY;
    }
    /* A large page may cover the address through other slots: drop those too. */
    for (unsigned i = 0; i < TLB_SIZE; i++) {
        TLBEntry *t = &cpu->tlb[i];
        if (t->vpage != TLB_EMPTY && (t->perm & TLB_LARGE) &&
            ((t->vpage ^ linear) & ~UINT64_C(0x3fffff)) == 0) {
            t->vpage = TLB_EMPTY;
        }
    }
}
/* ---- physical access ---- */

static bool is_apic_page(X86CPU *cpu, uint64_t paddr)
{
    return cpu->apic && cpu->apic_mmio && (paddr & PAGE_MASK) == (cpu->apic_base & PAGE_MASK);
}

static uint64_t apic_ld(X86CPU *cpu, uint64_t paddr, unsigned size)
{
    const MemoryRegionOps *ops = cpu->apic_mmio->ops;
    uint64_t off = paddr & 0xfff;
    if (!ops || !ops->read) {
        return ~UINT64_C(0);
    }
    if (size == 8) {
        return ops->read(cpu->apic_mmio->opaque, off, 4) |
               (ops->read(cpu->apic_mmio->opaque, off + 4, 4) << 32);
    }
    return ops->read(cpu->apic_mmio->opaque, off, size);
}

static void apic_st(X86CPU *cpu, uint64_t paddr, uint64_t value, unsigned size)
{
    const MemoryRegionOps *ops = cpu->apic_mmio->ops;
    uint64_t off = paddr & 0xfff;
    if (!ops || !ops->write) {
        return;
    }
    if (size == 8) {
        ops->write(cpu->apic_mmio->opaque, off, value & 0xffffffff, 4);
        ops->write(cpu->apic_mmio->opaque, off + 4, value >> 32, 4);
        return;
    }
    ops->write(cpu->apic_mmio->opaque, off, value, size);
}

uint64_t cpu_ld_phys(X86CPU *cpu, uint64_t addr, unsigned size)
{
    addr &= cpu->a20_mask;
    if (is_apic_page(cpu, addr)) {
        return apic_ld(cpu, addr, size);
    }
    return address_space_ld(cpu->mem, addr, size);
}

void cpu_st_phys(X86CPU *cpu, uint64_t addr, uint64_t value, unsigned size)
{
    addr &= cpu->a20_mask;
    if (is_apic_page(cpu, addr)) {
        apic_st(cpu, addr, value, size);
        return;
    }
    if (cpu->tcache) {
        tcache_note_phys_write(cpu->tcache, addr, size);   /* code written: drop it */
    }
    address_space_st(cpu->mem, addr, value, size);
}

/* ---- page walk ---- */

_Noreturn static void page_fault(X86CPU *cpu, uint64_t linear, uint32_t err)
{
    log_item(LOG_MMU, "mmu: #PF at %#llx err %#x (cr3 %#llx, rip %#llx)\n",
             (unsigned long long)linear, err, (unsigned long long)cpu->s.cr3,
             (unsigned long long)cpu->insn_rip);
    cpu_raise_pf(cpu, linear, err);
}

/* A page-table entry at physical `addr` (4 or 8 bytes). */
static uint64_t pte_load(X86CPU *cpu, uint64_t addr, unsigned size)
{
    return cpu_ld_phys(cpu, addr, size);
}

static void pte_set_bits(X86CPU *cpu, uint64_t addr, uint64_t old, uint64_t bits,
                         unsigned size)
{
    if ((old & bits) != bits) {
        /* only the low 32 bits hold A and D */
        cpu_st_phys(cpu, addr, (old | bits) & 0xffffffff, 4);
    }
    (void)size;
}

typedef struct Walk {
    uint64_t paddr;        /* physical page */
    uint64_t pte_addr[4];  /* entries to mark accessed (and dirty: the last) */
    uint64_t pte_val[4];
    unsigned pte_size, levels;
    bool writable, user, nx, global, large;
} Walk;

/* Walk the tables for `linear`; raises #PF on a missing or reserved-bit entry and on
 * a permission violation of `acc` by a `user` access. */
static void page_walk(X86CPU *cpu, uint64_t linear, int acc, bool user, Walk *w)
{
    X86State *s = &cpu->s;
    bool pae = s->cr4 & X86_CR4_PAE;
    bool nxe = pae && (s->efer & X86_EFER_NXE);
    uint32_t err_base = (acc == ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                        (acc == ACC_EXEC && nxe ? PF_I : 0);
    uint64_t rsvd_high = ~PHYS_MASK & ~PTE_NX & ~UINT64_C(0xfff);
    uint64_t rsvd_nx = nxe ? 0 : PTE_NX;

    memset(w, 0, sizeof(*w));
    w->writable = w->user = true;

    if (!pae) {
        uint64_t pde_addr = (s->cr3 & 0xfffff000) + ((linear >> 22) & 0x3ff) * 4;
        uint64_t pde = pte_load(cpu, pde_addr, 4);
        w->pte_size = 4;
        if (!(pde & PTE_P)) {
            page_fault(cpu, linear, err_base);
        }
        w->pte_addr[0] = pde_addr;
        w->pte_val[0] = pde;
        w->writable &= (pde & PTE_RW) != 0;
        w->user &= (pde & PTE_US) != 0;
        if ((pde & PTE_PS) && (s->cr4 & X86_CR4_PSE)) {
            w->levels = 1;
            w->large = true;
            w->global = (pde & PTE_G) != 0;
            w->paddr = (pde & 0xffc00000) | (linear & 0x3ff000);
        } else {
            uint64_t pte_addr = (pde & 0xfffff000) + ((linear >> 12) & 0x3ff) * 4;
            uint64_t pte = pte_load(cpu, pte_addr, 4);
            if (!(pte & PTE_P)) {
                page_fault(cpu, linear, err_base);
            }
            w->pte_addr[1] = pte_addr;
            w->pte_val[1] = pte;
            w->levels = 2;
            w->writable &= (pte & PTE_RW) != 0;
            w->user &= (pte & PTE_US) != 0;
            w->global = (pte & PTE_G) != 0;
            w->paddr = pte & 0xfffff000;
        }
    } else {
        uint64_t table;
        int level;            /* 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT */
        w->pte_size = 8;
        if (cpu->long_mode) {
            table = s->cr3 & PHYS_MASK;
            level = 3;
        } else {
            uint64_t pdpte_addr = (s->cr3 & 0xffffffe0) + ((linear >> 30) & 3) * 8;
            uint64_t pdpte = pte_load(cpu, pdpte_addr, 8);
            if (!(pdpte & PTE_P)) {
                page_fault(cpu, linear, err_base);
            }
            if (pdpte & (rsvd_high | PTE_NX | 0x1e6)) {
                page_fault(cpu, linear, err_base | PF_P | PF_RSVD);
            }
            table = pdpte & PHYS_MASK;
            level = 1;
        }
        for (;; level--) {
            uint64_t addr = table + ((linear >> (12 + 9 * level)) & 0x1ff) * 8;
            uint64_t e = pte_load(cpu, addr, 8);
            if (!(e & PTE_P)) {
                page_fault(cpu, linear, err_base);
            }
            uint64_t rsvd = rsvd_high | rsvd_nx;
            bool leaf = level == 0 || (level == 1 && (e & PTE_PS));
            if (level == 3) {
                rsvd |= PTE_PS | PTE_G;
            } else if (level == 2 && (e & PTE_PS)) {
                rsvd |= PTE_PS;        /* no 1 GiB pages on the modelled CPU */
            } else if (level == 1 && (e & PTE_PS)) {
                rsvd |= UINT64_C(0x1fe000);
            }
            if (e & rsvd) {
                page_fault(cpu, linear, err_base | PF_P | PF_RSVD);
            }
            int n = w->levels++;
            w->pte_addr[n] = addr;
            w->pte_val[n] = e;
            w->writable &= (e & PTE_RW) != 0;
            w->user &= (e & PTE_US) != 0;
            w->nx |= nxe && (e & PTE_NX);
            if (leaf) {
                w->global = (e & PTE_G) != 0;
                if (level == 1) {
                    w->large = true;
                    w->paddr = (e & PHYS_MASK & ~UINT64_C(0x1fffff)) | (linear & 0x1ff000);
                } else {
                    w->paddr = e & PHYS_MASK;
                }
                break;
            }
            table = e & PHYS_MASK;
        }
    }

    /* permissions */
    if (user && !w->user) {
        page_fault(cpu, linear, err_base | PF_P);
    }
    if (acc == ACC_WRITE && !w->writable && (user || (s->cr0 & X86_CR0_WP))) {
        page_fault(cpu, linear, err_base | PF_P);
    }
    if (acc == ACC_EXEC && w->nx) {
        page_fault(cpu, linear, err_base | PF_P);
    }

    /* accessed bits on every level, dirty on the leaf for writes */
    for (unsigned i = 0; i < w->levels; i++) {
        uint64_t bits = PTE_A;
        if (i == w->levels - 1 && acc == ACC_WRITE) {
            bits |= PTE_D;
        }
        pte_set_bits(cpu, w->pte_addr[i], w->pte_val[i], bits, w->pte_size);
        w->pte_val[i] |= bits;
    }
}

/* Fill the TLB entry for `linear` by walking (or identity without paging). */
static TLBEntry *tlb_fill(X86CPU *cpu, uint64_t linear, int acc, bool user)
{
    TLBEntry *e = tlb_slot(cpu, linear);
    uint64_t paddr;
    uint32_t perm;

    if (!(cpu->s.cr0 & X86_CR0_PG)) {
        paddr = linear & PAGE_MASK & 0xffffffffull;
        perm = TLB_READ | TLB_WRITE | TLB_EXEC | TLB_USER | TLB_USER_WRITE;
    } else {
        Walk w;
        page_walk(cpu, linear, acc, user, &w);
        paddr = w.paddr;
        bool dirty = (w.pte_val[w.levels - 1] & PTE_D) != 0;
        perm = TLB_READ;
        if (!w.nx) {
            perm |= TLB_EXEC;
        }
        if (w.user) {
            perm |= TLB_USER;
        }
        if (dirty && (w.writable || !(cpu->s.cr0 & X86_CR0_WP))) {
            perm |= TLB_WRITE;
        }
        if (dirty && w.writable && w.user) {
            perm |= TLB_USER_WRITE;
        }
        if (w.global && (cpu->s.cr4 & X86_CR4_PGE)) {
            perm |= TLB_GLOBAL;
        }
        if (w.large) {
            perm |= TLB_LARGE;
        }
    }
    paddr &= cpu->a20_mask;

    e->ppage = paddr;
    e->host = NULL;
    if (is_apic_page(cpu, paddr)) {
        perm |= TLB_MMIO;
    } else {
        uint8_t *host = address_space_map(cpu->mem, paddr, 4096, false);
        if (!host) {
            perm |= TLB_MMIO;
        } else {
            e->host = host;
            if (!address_space_map(cpu->mem, paddr, 4096, true)) {
                perm |= TLB_ROM;
            } else if (cpu->tcache && tcache_page_has_code(cpu->tcache, paddr)) {
                /* Decoded code lives here (tcache.h): a write drops it first; other
                 * accesses get an entry without write permission, so the first
                 * write comes back here. */
                if (acc == ACC_WRITE) {
                    tcache_invalidate_page(cpu->tcache, paddr);
                } else {
                    perm &= ~(TLB_WRITE | TLB_USER_WRITE);
                }
            }
        }
    }
    e->perm = perm;
    e->vpage = (linear & PAGE_MASK) | 1;
    return e;
}

/* The entry for `linear` allowing access `acc` by a `user` access. */
static inline TLBEntry *tlb_lookup(X86CPU *cpu, uint64_t linear, int acc, bool user)
{
    TLBEntry *e = tlb_slot(cpu, linear);
    uint32_t need;

    if (e->vpage == ((linear & PAGE_MASK) | 1)) {
        switch (acc) {
        case ACC_READ: need = tlb_data_need(false, user); break;
        case ACC_WRITE: need = tlb_data_need(true, user); break;
        default: need = user ? (TLB_EXEC | TLB_USER) : TLB_EXEC; break;
        }
        if ((e->perm & need) == need) {
            return e;
        }
    }
    return tlb_fill(cpu, linear, acc, user);
}

static uint64_t entry_ld(X86CPU *cpu, TLBEntry *e, uint64_t linear, unsigned size)
{
    uint64_t off = linear & 0xfff;
    if (!(e->perm & TLB_MMIO)) {
        return host_load_le(e->host + off, size);
    }
    return cpu_ld_phys(cpu, e->ppage + off, size);
}

static void entry_st(X86CPU *cpu, TLBEntry *e, uint64_t linear, uint64_t value,
                     unsigned size)
{
    uint64_t off = linear & 0xfff;
    if (e->perm & TLB_ROM) {
        return;
    }
    if (!(e->perm & TLB_MMIO)) {
        host_store_le(e->host + off, value, size);
        return;
    }
    cpu_st_phys(cpu, e->ppage + off, value, size);
}

uint64_t cpu_ld_linear(X86CPU *cpu, uint64_t linear, unsigned size, bool user)
{
    if (((linear & 0xfff) + size) <= 4096) {
        TLBEntry *e = tlb_lookup(cpu, linear, ACC_READ, user);
        return entry_ld(cpu, e, linear, size);
    }
    /* crosses a page: translate both pages, then assemble the bytes */
    uint64_t v = 0;
    unsigned first = 4096 - (linear & 0xfff);
    uint64_t second = linear + first;
    if (!cpu->long_mode) {
        second &= 0xffffffff;
    }
    tlb_lookup(cpu, linear, ACC_READ, user);
    tlb_lookup(cpu, second, ACC_READ, user);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = i < first ? linear + i : second + (i - first);
        TLBEntry *e = tlb_lookup(cpu, a, ACC_READ, user);
        v |= entry_ld(cpu, e, a, 1) << (8 * i);
    }
    return v;
}

void cpu_st_linear(X86CPU *cpu, uint64_t linear, uint64_t value, unsigned size, bool user)
{
    if (((linear & 0xfff) + size) <= 4096) {
        TLBEntry *e = tlb_lookup(cpu, linear, ACC_WRITE, user);
        entry_st(cpu, e, linear, value, size);
        return;
    }
    unsigned first = 4096 - (linear & 0xfff);
    uint64_t second = linear + first;
    if (!cpu->long_mode) {
        second &= 0xffffffff;
    }
    /* both pages must be writable before any byte is written */
    tlb_lookup(cpu, linear, ACC_WRITE, user);
    tlb_lookup(cpu, second, ACC_WRITE, user);
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = i < first ? linear + i : second + (i - first);
        TLBEntry *e = tlb_lookup(cpu, a, ACC_WRITE, user);
        entry_st(cpu, e, a, value >> (8 * i), 1);
    }
}

static bool is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* The linear address of CS:rip for execution: #GP(0) for a non-canonical RIP or one
 * past the CS limit; *max is cut to the bytes left in the segment. */
static uint64_t code_linear(X86CPU *cpu, uint64_t rip, unsigned *max)
{
    const X86Segment *cs = &cpu->s.seg[R_CS];
    if (cpu->code_mode == X86_MODE_64) {
        if (!is_canonical(rip)) {
            cpu_raise_err(cpu, EXCP_GP, 0);
        }
        return rip;
    }
    if (rip > cs->limit) {
        cpu_raise_err(cpu, EXCP_GP, 0);
    }
    uint64_t left = (uint64_t)cs->limit - rip + 1;
    if (left < *max) {
        *max = (unsigned)left;
    }
    return (cs->base + rip) & 0xffffffff;
}

unsigned cpu_fetch_code(X86CPU *cpu, uint64_t rip, uint8_t *buf, unsigned max)
{
    bool user = cpu->cpl == 3;
    uint64_t linear = code_linear(cpu, rip, &max);
    unsigned in_page = 4096 - (linear & 0xfff);
    unsigned n = max < in_page ? max : in_page;
    TLBEntry *e = tlb_lookup(cpu, linear, ACC_EXEC, user);
    if (!(e->perm & TLB_MMIO)) {
        memcpy(buf, e->host + (linear & 0xfff), n);
    } else {
        for (unsigned i = 0; i < n; i++) {
            buf[i] = (uint8_t)cpu_ld_phys(cpu, e->ppage + ((linear + i) & 0xfff), 1);
        }
    }
    return n;
}

/* For the decoded-instruction cache: translate CS:rip for execution (the checks of
 * cpu_fetch_code: canonical address or CS limit, #PF). Sets *phys and *room (bytes
 * from rip to the end of the page and of the segment) and returns the host pointer
 * of the code, or NULL when it is not plain RAM (MMIO, the APIC page). */
const uint8_t *cpu_code_translate(X86CPU *cpu, uint64_t rip, uint64_t *phys, unsigned *room)
{
    unsigned max = 4096;
    uint64_t linear = code_linear(cpu, rip, &max);
    unsigned off = (unsigned)(linear & 0xfff);
    unsigned in_page = 4096 - off;
    TLBEntry *e = tlb_lookup(cpu, linear, ACC_EXEC, cpu->cpl == 3);
    *phys = e->ppage + off;
    *room = max < in_page ? max : in_page;
    if (e->perm & TLB_MMIO) {
        return NULL;
    }
    return e->host + off;
}
