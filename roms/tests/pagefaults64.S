/*
 * pagefaults64.S: page faults under IA-32e (4-level) paging, seen from 32-bit ring-3
 * code in compatibility mode. Ring 0 builds identity-mapped page tables over the first
 * 4 MiB (a 2 MiB page, then 4 KiB pages with four special ones), a 64-bit IDT and TSS,
 * enables long mode with NX, and handles #PF in 64-bit code: it records the error code
 * and CR2 and resumes ring 3 at a recovery address with SYSEXIT. Ring 3 then reads a
 * not-present page (error 4), writes a read-only user page (error 7), reads a
 * supervisor page (error 5) and jumps into a no-execute page (error 0x15). This is the
 * paging test a software-backed KVM (kvm_pvm) can run: it allows paging only in
 * IA-32e mode. Ends with status 0x17 (process exit code 0x2f).
 */
#include "testlib.inc"
#include "pagefault_probes.inc"

#define STATUS_OK 0x17
#define PAGE_NO_EXECUTE 0x303000
#define PTE_USER_RW 7
#define PDE_LARGE_USER_RW 0x87
#define PTE_NX_HIGH 0x80000000                  /* bit 63, in the entry's high word */
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define EFER_NXE 0x800
#define CR4_PAE 0x20
#define CR0_PG 0x80000000
#define TSS64_SIZE 104
#define GATE64_INT 0x8e

    .text
test_setup:
    pushal
    /* PML4[0] -> PDPT, PDPT[0] -> PD, PD[0] = 2 MiB page at 0, PD[1] -> PT (2-4 MiB) */
    movl $pdpt, %eax
    orl $PTE_USER_RW, %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $PTE_USER_RW, %eax
    movl %eax, pdpt
    movl $PDE_LARGE_USER_RW, pd
    movl $pt, %eax
    orl $PTE_USER_RW, %eax
    movl %eax, pd + 8
    xorl %ecx, %ecx
1:
    movl %ecx, %eax
    shll $12, %eax
    addl $(0x200000 | PTE_USER_RW), %eax
    movl %eax, pt(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b
    movl $0, pt + ((PAGE_NOT_PRESENT - 0x200000) >> 12) * 8
    movl $(PAGE_READ_ONLY | 5), pt + ((PAGE_READ_ONLY - 0x200000) >> 12) * 8
    movl $(PAGE_SUPERVISOR | 3), pt + ((PAGE_SUPERVISOR - 0x200000) >> 12) * 8
    movl $PTE_NX_HIGH, pt + ((PAGE_NO_EXECUTE - 0x200000) >> 12) * 8 + 4
    /* 64-bit IDT: #PF to pf64, every other vector to unexpected64 */
    xorl %eax, %eax
2:
    movl $unexpected64, %edx
    cmpl $14, %eax
    jne 3f
    movl $pf64, %edx
3:
    movl %eax, %edi
    shll $4, %edi
    addl $idt64, %edi
    movw %dx, (%edi)
    movw $SEL_KCODE64, 2(%edi)
    movb $0, 4(%edi)
    movb $GATE64_INT, 5(%edi)
    shrl $16, %edx
    movw %dx, 6(%edi)
    movl $0, 8(%edi)
    movl $0, 12(%edi)
    incl %eax
    cmpl $256, %eax
    jne 2b
    /* 64-bit TSS: RSP0 = the BSP's kernel stack top, no I/O bitmap */
    movl tss_array + 4, %eax
    movl %eax, tss64 + 4
    movw $TSS64_SIZE, tss64 + 102
    movl $gdt + SEL_TSS64, %ecx
    movl $tss64, %edx
    movl $(TSS64_SIZE - 1), %eax
    call gdt_set_tss
    movl $0, 8(%ecx)                        /* base 63:32 and the reserved dword */
    movl $0, 12(%ecx)
    /* long mode: PAE, CR3, EFER.LME and NXE, then paging */
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $(EFER_LME | EFER_NXE), %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    /* IA-32e mode is active; this code runs on in compatibility mode */
    lidt idt64_descriptor
    movw $SEL_TSS64, %ax
    ltr %ax
    popal
    ret

    .code64
/* #PF in 64-bit mode. Stack: error code, RIP, CS, RFLAGS, RSP, SS. */
pf64:
    popq %rax
    movl %eax, pf_error(%rip)
    movq %cr2, %rax
    movl %eax, pf_cr2(%rip)
    movl 24(%rsp), %ecx                     /* the user stack pointer */
    movl pf_recover_eip(%rip), %edx
    pushq 16(%rsp)                          /* the user's RFLAGS (interrupts off) */
    popfq
    sysexit                                 /* to compatibility mode, ring 3 */

/* anything else ends the run: the 32-bit reporting routines cannot run here */
unexpected64:
    movl $STATUS_EXCEPTION, %eax
    movw $EXIT_PORT, %dx
    outl %eax, %dx
1:
    hlt
    jmp 1b
    .code32

user_main:
    call serial_init
    print_str msg_start
    call pf_probes
    movl $1f, pf_recover_eip
    movl $PAGE_NO_EXECUTE, %eax
    jmp *%eax
1:
    call pf_print
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

    .section .rodata
msg_start:
    .asciz "pagefaults64: #PF error codes and CR2 under IA-32e paging, NX\n"
msg_done:
    .asciz "pagefaults64: done\n"

    .data
    .balign 4
    .word 0
idt64_descriptor:
    .word 256 * 16 - 1
    .long idt64

    .bss
    .balign 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4096
pt:
    .skip 4096
idt64:
    .skip 256 * 16
    .balign 16
tss64:
    .skip TSS64_SIZE
