/*
 * ring0_iret.S: ring-0 instructions a software-backed KVM's emulator cannot execute,
 * which Ember's KVM engine hands to its interpreter one at a time: an IRET to the same
 * ring, and INT3 whose handler returns with IRET. Ring 0 does them in test_setup and
 * counts; ring 3 prints the counts and the EBX value the INT3 handler saw.
 * Ends with status 0x1a (process exit code 0x35).
 */
#include "testlib.inc"

#define STATUS_OK 0x1a
#define VEC_BP 3

    .text
test_setup:
    pushal
    movl $VEC_BP, %eax
    movl $int3_handler, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    pushfl
    pushl %cs
    pushl $1f
    iret                                    /* same-ring IRET */
1:
    incl iret_count
    movl $0xb0b0, %ebx
    int3
    int3
int3_last_expected:
    popal
    ret

int3_handler:
    incl int3_count
    movl %ebx, int3_ebx
    movl (%esp), %eax                       /* the return EIP: after the INT3 */
    movl %eax, int3_eip
    iret

user_main:
    call serial_init
    print_str msg_iret
    movl iret_count, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    print_str msg_int3
    movl int3_count, %eax
    call put_hex
    print_str msg_ebx
    movl int3_ebx, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    movl int3_eip, %eax
    subl $int3_last_expected, %eax
    jnz 2f
    print_str msg_eip_ok
2:
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

    .section .rodata
msg_iret:
    .asciz "ring0: same-ring IRETs "
msg_int3:
    .asciz "ring0: INT3 handled "
msg_ebx:
    .asciz " ebx "
msg_eip_ok:
    .asciz "ring0: INT3 pushed the address after it\n"
msg_done:
    .asciz "ring0_iret: done\n"

    .data
    .balign 4
iret_count:
    .long 0
int3_count:
    .long 0
int3_ebx:
    .long 0
int3_eip:
    .long 0
