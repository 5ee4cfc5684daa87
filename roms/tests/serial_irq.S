/*
 * serial_irq.S: the 16550A's transmitter-empty (THRE) interrupt through the i8259
 * (IRQ 4). Ring 0 serves IRQ 4: it reads IIR (which acknowledges a THRE interrupt),
 * counts THRE and any other cause, signals ring 3 and EOIs the master PIC. Ring 3
 * sets MCR.OUT2, enables IER.ETBEI (THR is empty, so the first interrupt comes at
 * once) and sends a message one character per interrupt, checking LSR.THRE before
 * each write. A THRE interrupt must come for the enable and after each character,
 * exactly: count == length + 1. Success: status 0x12 (exit code 0x25).
 */
#include "testlib.inc"

#define VEC_IRQ4 (PIC_VECTOR_BASE + 4)
#define STATUS_OK 0x12
#define STATUS_NO_THRE 0x41
#define STATUS_BAD_COUNT 0x42
#define STATUS_BAD_LSR 0x43
#define STATUS_OTHER_CAUSE 0x44
#define IIR_CAUSE_MASK 0x0f
#define IIR_THRE 0x02

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movb $GATE_INT_DPL0, %cl
    movl $VEC_IRQ4, %eax
    movl $irq4_handler, %edx
    call idt_set_gate
    movl $(PIC_VECTOR_BASE + 7), %eax       /* spurious master IRQ 7: no EOI */
    movl $spurious_irq, %edx
    call idt_set_gate
    popl %edx
    popl %ecx
    popl %eax
    ret

irq4_handler:
    pushl %eax
    pushl %edx
    movw $(COM1+UART_IIR), %dx
    inb %dx, %al
    andb $IIR_CAUSE_MASK, %al
    cmpb $IIR_THRE, %al
    jne 1f
    incl thre_count
    movl $1, tx_ready
    jmp 2f
1:
    incl other_count
    movzbl %al, %eax
    movl %eax, other_iir
2:
    movb $PIC_EOI, %al
    outb %al, $PIC1_CMD
    popl %edx
    popl %eax
    jmp iret_user

spurious_irq:
    incl spurious
    jmp iret_user

user_main:
    call serial_init
    print_str msg_start
    movb $0xef, %al                         /* master: IRQ 4 only */
    movb $0xff, %ah
    call pic_init
    outb_imm (COM1+UART_MCR), 0x0b          /* DTR, RTS, OUT2 (gates the IRQ on PCs) */
    call timeout_start
    sti
    outb_imm (COM1+UART_IER), 0x02          /* ETBEI */

    movl $msg_irq, %esi
    xorl %ebx, %ebx                         /* characters sent */
1:
    call wait_tx_ready
    movw $(COM1+UART_LSR), %dx
    inb %dx, %al
    testb $LSR_THRE, %al
    jnz 2f
    incl lsr_bad
2:
    lodsb
    testb %al, %al
    jz 3f
    movw $(COM1+UART_THR), %dx
    outb %al, %dx
    incl %ebx
    jmp 1b
3:
    cli
    outb_imm (COM1+UART_IER), 0
    print_str msg_count
    movl thre_count, %eax
    call put_dec
    print_str msg_for
    movl %ebx, %eax
    call put_dec
    print_str msg_chars
    movl lsr_bad, %eax
    call put_dec
    print_str msg_lsr
    movl other_count, %eax
    call put_dec
    print_str msg_other

    cmpl $0, other_count
    jne other_cause
    cmpl $0, lsr_bad
    jne bad_lsr
    leal 1(%ebx), %eax
    cmpl %eax, thre_count
    jne bad_count
    print_str msg_ok
    movl $STATUS_OK, %eax
    jmp test_exit

other_cause:
    print_str msg_fail_other
    movl other_iir, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    movl $STATUS_OTHER_CAUSE, %eax
    jmp test_exit
bad_lsr:
    print_str msg_fail_lsr
    movl $STATUS_BAD_LSR, %eax
    jmp test_exit
bad_count:
    print_str msg_fail_count
    movl $STATUS_BAD_COUNT, %eax
    jmp test_exit

/* wait_tx_ready: spin in ring 3 until the IRQ 4 handler saw THRE, then clear the
 * flag; fail the test on the timeout. */
wait_tx_ready:
    pushl %eax
1:
    cmpl $0, tx_ready
    jne 2f
    call timeout_expired
    testl %eax, %eax
    jnz 3f
    pause
    jmp 1b
2:
    movl $0, tx_ready
    popl %eax
    ret
3:
    cli
    outb_imm (COM1+UART_IER), 0
    print_str msg_fail_timeout
    movl thre_count, %eax
    call put_dec
    movb $CH_NL, %al
    call putc
    movl $STATUS_NO_THRE, %eax
    jmp test_exit

    .data
    .balign 4
thre_count:
    .long 0
other_count:
    .long 0
other_iir:
    .long 0
tx_ready:
    .long 0
lsr_bad:
    .long 0
spurious:
    .long 0

    .section .rodata
msg_start:
    .asciz "serial_irq: THRE interrupts through the i8259 (IRQ 4)\n"
msg_irq:
    .asciz "interrupt-driven: the quick brown fox jumps over the lazy dog\n"
msg_count:
    .asciz "serial: "
msg_for:
    .asciz " THRE interrupts for "
msg_chars:
    .asciz " characters; LSR.THRE clear at "
msg_lsr:
    .asciz " writes; "
msg_other:
    .asciz " other causes\n"
msg_ok:
    .asciz "serial: THRE interrupt count OK\n"
msg_fail_other:
    .asciz "FAIL: IRQ 4 with an IIR cause other than THRE: "
msg_fail_lsr:
    .asciz "FAIL: LSR did not show THRE after a THRE interrupt\n"
msg_fail_count:
    .asciz "FAIL: expected one THRE interrupt for the enable and one per character\n"
msg_fail_timeout:
    .asciz "\nFAIL: timed out waiting for a THRE interrupt; count so far: "
