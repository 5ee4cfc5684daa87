/*
 * pagefaults.S: page faults under 32-bit (non-PAE) paging, seen from ring 3. Ring 0
 * builds an identity-mapped page table over the first 4 MiB with three special pages
 * and a #PF handler that records the error code and CR2 and resumes at a recovery
 * address. Ring 3 then reads a not-present page (error 4), writes a read-only user page
 * (error 7) and reads a supervisor page (error 5). A software-backed KVM (kvm_pvm)
 * allows paging only in IA-32e mode: pagefaults64.S is this test there.
 * Ends with status 0x18 (process exit code 0x31).
 */
#include "testlib.inc"
#include "pagefault_probes.inc"

#define STATUS_OK 0x18

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    pushl %edi
    /* page table: every page present, writable, user; three exceptions */
    movl $page_table, %edi
    xorl %ecx, %ecx
1:
    movl %ecx, %eax
    shll $12, %eax
    orl $7, %eax
    movl %eax, (%edi,%ecx,4)
    incl %ecx
    cmpl $1024, %ecx
    jne 1b
    movl $0, page_table + (PAGE_NOT_PRESENT >> 12) * 4
    movl $(PAGE_READ_ONLY | 5), page_table + (PAGE_READ_ONLY >> 12) * 4
    movl $(PAGE_SUPERVISOR | 3), page_table + (PAGE_SUPERVISOR >> 12) * 4
    movl $page_table, %eax
    orl $7, %eax
    movl %eax, page_directory
    movl $page_directory, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
    movl $14, %eax
    movl $pf_handler, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    popl %edi
    popl %edx
    popl %ecx
    popl %eax
    ret

/* #PF: record error code and CR2, resume at pf_recover_eip. */
pf_handler:
    popl pf_error
    pushl %eax
    movl %cr2, %eax
    movl %eax, pf_cr2
    movl pf_recover_eip, %eax
    movl %eax, 4(%esp)
    popl %eax
    jmp iret_user

user_main:
    call serial_init
    print_str msg_start
    call pf_probes
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

    .section .rodata
msg_start:
    .asciz "pagefaults: #PF error codes and CR2 under 32-bit paging\n"
msg_done:
    .asciz "pagefaults: done\n"

    .bss
    .balign 4096
page_directory:
    .skip 4096
page_table:
    .skip 4096
