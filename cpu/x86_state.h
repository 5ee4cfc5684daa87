/*
 * The architectural state of one x86-64 CPU, shared by both engines: the KVM engine
 * copies it to and from the kernel, the interpreter executes on it. The gdbstub,
 * monitor, tracing and snapshots read only this.
 */
#ifndef CPU_X86_STATE_H
#define CPU_X86_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS, SEG_COUNT };

/* RFLAGS bits */
#define X86_FLAG_CF   0x0001u
#define X86_FLAG_PF   0x0004u
#define X86_FLAG_AF   0x0010u
#define X86_FLAG_ZF   0x0040u
#define X86_FLAG_SF   0x0080u
#define X86_FLAG_TF   0x0100u
#define X86_FLAG_IF   0x0200u
#define X86_FLAG_DF   0x0400u
#define X86_FLAG_OF   0x0800u
#define X86_FLAG_IOPL 0x3000u
#define X86_FLAG_NT   0x4000u
#define X86_FLAG_RF   0x10000u
#define X86_FLAG_VM   0x20000u
#define X86_FLAG_AC   0x40000u
#define X86_FLAG_VIF  0x80000u
#define X86_FLAG_VIP  0x100000u
#define X86_FLAG_ID   0x200000u

/* CR0 / CR4 / EFER bits */
#define X86_CR0_PE (1u << 0)
#define X86_CR0_MP (1u << 1)
#define X86_CR0_EM (1u << 2)
#define X86_CR0_TS (1u << 3)
#define X86_CR0_ET (1u << 4)
#define X86_CR0_NE (1u << 5)
#define X86_CR0_WP (1u << 16)
#define X86_CR0_AM (1u << 18)
#define X86_CR0_NW (1u << 29)
#define X86_CR0_CD (1u << 30)
#define X86_CR0_PG (1u << 31)
#define X86_CR4_PSE (1u << 4)
#define X86_CR4_PAE (1u << 5)
#define X86_CR4_PGE (1u << 7)
#define X86_CR4_OSFXSR (1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)
#define X86_EFER_SCE (1u << 0)
#define X86_EFER_LME (1u << 8)
#define X86_EFER_LMA (1u << 10)
#define X86_EFER_NXE (1u << 11)

/* A segment register with its hidden descriptor cache. */
typedef struct X86Segment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;          /* byte granular (already scaled by G) */
    uint8_t type;            /* 4-bit descriptor type */
    bool s, present, db, l, g, avl, unusable;
    uint8_t dpl;
} X86Segment;

typedef struct X86DescTable {
    uint64_t base;
    uint16_t limit;
} X86DescTable;

typedef struct X86FpuState {
    uint16_t fcw, fsw;
    uint8_t ftw;             /* abridged tag word (FXSAVE format) */
    uint16_t fop;
    uint64_t fip, fdp;
    uint8_t st[8][16];       /* 80-bit registers in 16-byte slots (FXSAVE layout) */
    uint8_t xmm[16][16];
    uint32_t mxcsr;
} X86FpuState;

#define X86_MAX_MSRS 64

typedef struct X86State {
    uint64_t regs[16];
    uint64_t rip;
    uint64_t rflags;
    X86Segment seg[SEG_COUNT];
    X86Segment ldt, tr;
    X86DescTable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t apic_base;
    uint64_t dr[8];
    X86FpuState fpu;
    /* other MSRs the engines carry (SYSENTER, STAR/LSTAR, PAT, TSC...) */
    uint32_t nr_msrs;
    struct { uint32_t index; uint64_t value; } msrs[X86_MAX_MSRS];
} X86State;

/* Fill a segment as the CPU does for real-mode selector loads. */
void x86_segment_set_real(X86Segment *s, uint16_t selector, bool code);
/* Flat 4 GiB protected-mode segment (code: type 0xb, data: 0x3), 32- or 64-bit. */
void x86_segment_set_flat(X86Segment *s, uint16_t selector, bool code, bool long_mode);
/* Architectural state after RESET/INIT (CS:IP = F000:FFF0, base FFFF0000). */
void x86_state_reset(X86State *st);

#endif
