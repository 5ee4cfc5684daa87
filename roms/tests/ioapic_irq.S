/*
 * ioapic_irq.S: interrupts through the IOAPIC with the local APIC enabled, the i8259
 * fully masked, EOIs to the local APIC. Part 1: PIT channel 0 at 1000 Hz arrives on
 * IOAPIC pin 2 (the ISA IRQ 0 override), edge triggered; ring 3 waits for
 * TICKS_WANTED ticks. Part 2: the 16550A's THRE interrupt on pin 4, level triggered,
 * active high: each interrupt leaves the pin's Remote IRR set until the local APIC's
 * EOI reaches the IOAPIC, so the next character's interrupt only comes if that EOI
 * was forwarded (under KVM: the EOI exit of a level-triggered vector). The handler
 * reads IIR first (the line drops), then EOIs. Ring 3 sends a message one character
 * per interrupt; count must be length + 1. Success: status 0x13 (exit code 0x27).
 */
#include "testlib.inc"

#define TICKS_WANTED 50
#define VEC_PIT 0x30
#define VEC_UART 0x31
#define VEC_SPURIOUS 0xff
#define LAPIC_BASE 0xfee00000
#define LAPIC_ID (LAPIC_BASE + 0x20)
#define LAPIC_EOI (LAPIC_BASE + 0xb0)
#define LAPIC_SVR (LAPIC_BASE + 0xf0)
#define SVR_ENABLE_SPURIOUS_FF 0x1ff
#define IOAPIC_BASE 0xfec00000
#define IOAPIC_REGSEL IOAPIC_BASE
#define IOAPIC_WINDOW (IOAPIC_BASE + 0x10)
#define IOAPIC_VERSION_REG 0x01
#define IOAPIC_REDTBL_LO(pin) (0x10 + 2 * (pin))
#define IOAPIC_REDTBL_HI(pin) (0x11 + 2 * (pin))
#define RTE_LEVEL (1 << 15)
#define RTE_MASKED (1 << 16)
#define PIN_PIT 2
#define PIN_UART 4
#define IIR_CAUSE_MASK 0x0f
#define IIR_THRE 0x02
#define STATUS_OK 0x13
#define STATUS_NO_TICKS 0x41
#define STATUS_NO_THRE 0x42
#define STATUS_BAD_COUNT 0x43
#define STATUS_OTHER_CAUSE 0x44
#define STATUS_NO_IOAPIC 0x45

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movb $GATE_INT_DPL0, %cl
    movl $VEC_PIT, %eax
    movl $pit_handler, %edx
    call idt_set_gate
    movl $VEC_UART, %eax
    movl $uart_handler, %edx
    call idt_set_gate
    movl $VEC_SPURIOUS, %eax
    movl $spurious_irq, %edx
    call idt_set_gate
    popl %edx
    popl %ecx
    popl %eax
    ret

pit_handler:
    incl ticks
    movl $0, LAPIC_EOI
    jmp iret_user

uart_handler:
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
2:
    movl $0, LAPIC_EOI
    popl %edx
    popl %eax
    jmp iret_user

spurious_irq:
    incl spurious                           /* no EOI for the spurious vector */
    jmp iret_user

user_main:
    call serial_init
    print_str msg_start
    movb $0xff, %al                         /* the i8259 pair stays silent */
    movb $0xff, %ah
    call pic_init
    movl $SVR_ENABLE_SPURIOUS_FF, LAPIC_SVR

    /* an IOAPIC answers: version register 0x11 or 0x20, 24 pins or more */
    movl $IOAPIC_VERSION_REG, %eax
    call ioapic_read
    movl %eax, %ebx
    shrl $16, %ebx
    andl $0xff, %ebx                        /* highest redirection entry */
    cmpl $(PIN_UART), %ebx
    jb no_ioapic
    cmpl $0xff, %ebx
    je no_ioapic

    /* part 1: PIT on pin 2, edge, to this CPU */
    movl LAPIC_ID, %ebx                     /* the destination: our own APIC ID */
    andl $0xff000000, %ebx
    movl $IOAPIC_REDTBL_HI(PIN_PIT), %eax
    movl %ebx, %edx
    call ioapic_write
    movl $IOAPIC_REDTBL_LO(PIN_PIT), %eax
    movl $VEC_PIT, %edx                     /* fixed, physical, edge, high, unmasked */
    call ioapic_write
    call pit_start_1000hz
    call timeout_start
    sti
1:
    cmpl $TICKS_WANTED, ticks
    jae 2f
    call timeout_expired
    testl %eax, %eax
    jnz no_ticks
    pause
    jmp 1b
2:
    cli
    movl $IOAPIC_REDTBL_LO(PIN_PIT), %eax
    movl $(VEC_PIT | RTE_MASKED), %edx
    call ioapic_write
    print_str msg_ticks
    movl ticks, %eax
    call put_dec
    print_str msg_ticks_end

    /* part 2: THRE on pin 4, level triggered */
    print_str msg_part2
    movl $IOAPIC_REDTBL_HI(PIN_UART), %eax
    movl %ebx, %edx
    call ioapic_write
    movl $IOAPIC_REDTBL_LO(PIN_UART), %eax
    movl $(VEC_UART | RTE_LEVEL), %edx
    call ioapic_write
    outb_imm (COM1+UART_MCR), 0x0b          /* DTR, RTS, OUT2 */
    call timeout_start
    sti
    outb_imm (COM1+UART_IER), 0x02          /* ETBEI: the first THRE comes at once */
    movl $msg_irq, %esi
    xorl %ebx, %ebx
3:
    call wait_tx_ready
    lodsb
    testb %al, %al
    jz 4f
    movw $(COM1+UART_THR), %dx
    outb %al, %dx
    incl %ebx
    jmp 3b
4:
    cli
    outb_imm (COM1+UART_IER), 0
    movl $IOAPIC_REDTBL_LO(PIN_UART), %eax
    movl $(VEC_UART | RTE_LEVEL | RTE_MASKED), %edx
    call ioapic_write
    print_str msg_count
    movl thre_count, %eax
    call put_dec
    print_str msg_for
    movl %ebx, %eax
    call put_dec
    print_str msg_chars
    movl other_count, %eax
    call put_dec
    print_str msg_other
    cmpl $0, other_count
    jne other_cause
    leal 1(%ebx), %eax
    cmpl %eax, thre_count
    jne bad_count
    print_str msg_ok
    movl $STATUS_OK, %eax
    jmp test_exit

no_ioapic:
    print_str msg_no_ioapic
    movl $STATUS_NO_IOAPIC, %eax
    jmp test_exit
no_ticks:
    cli
    print_str msg_no_ticks
    movl ticks, %eax
    call put_dec
    movb $CH_NL, %al
    call putc
    movl $STATUS_NO_TICKS, %eax
    jmp test_exit
other_cause:
    print_str msg_fail_other
    movl $STATUS_OTHER_CAUSE, %eax
    jmp test_exit
bad_count:
    print_str msg_fail_count
    movl $STATUS_BAD_COUNT, %eax
    jmp test_exit

/* ioapic_write: EAX = register index, EDX = value. ioapic_read: EAX = index -> value. */
ioapic_write:
    movl %eax, IOAPIC_REGSEL
    movl %edx, IOAPIC_WINDOW
    ret
ioapic_read:
    movl %eax, IOAPIC_REGSEL
    movl IOAPIC_WINDOW, %eax
    ret

/* wait_tx_ready: spin in ring 3 until the handler saw THRE, then clear the flag;
 * fail the test on the timeout. */
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
ticks:
    .long 0
thre_count:
    .long 0
other_count:
    .long 0
tx_ready:
    .long 0
spurious:
    .long 0

    .section .rodata
msg_start:
    .asciz "ioapic_irq: PIT through IOAPIC pin 2 (edge), LAPIC EOI\n"
msg_ticks:
    .asciz "IOAPIC PIT: "
msg_ticks_end:
    .asciz " ticks\n"
msg_part2:
    .asciz "ioapic_irq: serial THRE through IOAPIC pin 4 (level)\n"
msg_irq:
    .asciz "level-triggered: pack my box with five dozen liquor jugs\n"
msg_count:
    .asciz "IOAPIC serial: "
msg_for:
    .asciz " THRE interrupts for "
msg_chars:
    .asciz " characters, "
msg_other:
    .asciz " other causes\n"
msg_ok:
    .asciz "ioapic_irq: level-triggered EOIs reached the IOAPIC\n"
msg_no_ioapic:
    .asciz "FAIL: no IOAPIC answers at 0xfec00000\n"
msg_no_ticks:
    .asciz "FAIL: timed out waiting for PIT interrupts through the IOAPIC; ticks seen: "
msg_fail_other:
    .asciz "FAIL: pin 4 interrupt with an IIR cause other than THRE\n"
msg_fail_count:
    .asciz "FAIL: expected one THRE interrupt for the enable and one per character\n"
msg_fail_timeout:
    .asciz "\nFAIL: timed out waiting for a level-triggered THRE interrupt (was the last EOI forwarded to the IOAPIC?); count so far: "
