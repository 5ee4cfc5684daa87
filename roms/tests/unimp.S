/*
 * unimp.S: an instruction beyond the emulated CPU model (POPCNT, which Ember's models do
 * not advertise) must raise #UD in the guest, whose handler reports it and resumes; the
 * emulator itself carries on (and logs it under -d unimp). Interpreter-only: a real CPU
 * under KVM has POPCNT. Ends with status 0x16 (process exit code 0x2d).
 */
#include "testlib.inc"

#define STATUS_OK 0x16

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movl $6, %eax
    movl $ud_handler, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    popl %edx
    popl %ecx
    popl %eax
    ret

/* #UD: note it, resume at recover_eip. Stack: EIP, CS, EFLAGS, ESP, SS. */
ud_handler:
    movl (%esp), %eax
    movl %eax, ud_eip
    movl recover_eip, %eax
    movl %eax, (%esp)
    jmp iret_user

user_main:
    call serial_init
    movl $1f, recover_eip
    movl $0xf0f0, %eax
popcnt_insn:
    popcntl %eax, %ebx
1:
    print_str msg_ud
    movl ud_eip, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    cmpl $popcnt_insn, ud_eip
    jne 2f
    print_str msg_ok
    movl $STATUS_OK, %eax
    jmp test_exit
2:
    print_str msg_bad
    movl $STATUS_EXCEPTION, %eax
    jmp test_exit

    .section .rodata
msg_ud:
    .asciz "unimp: #UD at "
msg_ok:
    .asciz "unimp: the guest took #UD for POPCNT and went on\n"
msg_bad:
    .asciz "FAIL: no #UD at the POPCNT instruction\n"

    .data
    .balign 4
recover_eip:
    .long 0
ud_eip:
    .long 0
