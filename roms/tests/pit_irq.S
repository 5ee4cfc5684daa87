/*
 * pit_irq.S: timer interrupts through the i8259. Ring 0 builds the tables and serves
 * IRQ 0 (count, EOI to the master PIC). Ring 3 remaps the PICs to 0x20/0x28 with only
 * IRQ 0 unmasked, programs PIT channel 0 as a 1000 Hz rate generator, checks that its
 * count moves and stays within the divisor, enables interrupts and spins until
 * TICKS_WANTED more ticks arrived after the first, timing them with the ACPI PM timer
 * (3.579545 MHz at port 0x608) to check the rate is not too fast. Success:
 * "PIT: N ticks" and status 0x11 (exit code 0x23).
 */
#include "testlib.inc"

#define TICKS_WANTED 100
#define VEC_IRQ0 PIC_VECTOR_BASE
#define STATUS_OK 0x11
#define STATUS_NO_TICKS 0x41
#define STATUS_PIT_STUCK 0x42
#define STATUS_PIT_RANGE 0x43
#define COUNT_READS 10000
#define STATUS_TOO_FAST 0x44
#define PM_TIMER_PORT 0x608
#define PM_TIMER_HZ 3579545
#define PM_TICKS_PER_MS_80PCT 2863              /* 80 % of 3579.545: the lower bound */

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movb $GATE_INT_DPL0, %cl
    movl $VEC_IRQ0, %eax
    movl $irq0_handler, %edx
    call idt_set_gate
    movl $(PIC_VECTOR_BASE + 7), %eax       /* spurious master IRQ 7: no EOI */
    movl $spurious_irq, %edx
    call idt_set_gate
    popl %edx
    popl %ecx
    popl %eax
    ret

irq0_handler:
    incl ticks
    pushl %eax
    movb $PIC_EOI, %al
    outb %al, $PIC1_CMD
    popl %eax
    jmp iret_user

spurious_irq:
    incl spurious
    jmp iret_user

user_main:
    call serial_init
    print_str msg_start
    movb $0xfe, %al                         /* master: IRQ 0 only */
    movb $0xff, %ah                         /* slave: all masked */
    call pic_init
    call pit_start_1000hz

    /* the counter must count down from at most the divisor */
    call pit_read_count
    movl %eax, %ebx
    cmpl $PIT_HZ_DIVISOR_1000, %eax
    ja pit_range
    movl $COUNT_READS, %ecx
1:
    call pit_read_count
    cmpl $PIT_HZ_DIVISOR_1000, %eax
    ja pit_range
    cmpl %eax, %ebx
    jne 2f
    loop 1b
    print_str msg_stuck
    movl $STATUS_PIT_STUCK, %eax
    jmp test_exit
2:
    call timeout_start
    sti
    movl $1, %ebx                           /* wait for the first tick */
    call wait_ticks
    movl ticks, %esi                        /* ticks and PM time at the start */
    call pm_timer_read
    movl %eax, %edi
    leal TICKS_WANTED(%esi), %ebx
    call wait_ticks
    call pm_timer_read
    cli
    subl %edi, %eax
    andl $0xffffff, %eax                    /* the PM timer has 24 bits */
    movl %eax, %edi                         /* EDI = elapsed PM ticks */
    movl ticks, %ecx
    subl %esi, %ecx                         /* ECX = PIT ticks counted */
    print_str msg_ticks
    movl %ecx, %eax
    call put_dec
    print_str msg_ticks_in
    movl %edi, %eax
    movl $1000, %edx
    mull %edx
    movl $PM_TIMER_HZ, %ebx
    divl %ebx
    call put_dec
    print_str msg_ms
    movl spurious, %eax
    call put_dec
    print_str msg_spurious_end
    /* at 1000 Hz, N ticks take N ms: fewer than 80 % of that is a PIT running fast */
    movl %ecx, %eax
    movl $PM_TICKS_PER_MS_80PCT, %edx
    mull %edx
    cmpl %eax, %edi
    jb too_fast
    movl $STATUS_OK, %eax
    jmp test_exit

too_fast:
    print_str msg_too_fast
    movl $STATUS_TOO_FAST, %eax
    jmp test_exit

/* wait_ticks: spin in ring 3 until ticks >= EBX, or fail the test on the timeout. */
wait_ticks:
    pushl %eax
1:
    cmpl %ebx, ticks
    jae 2f
    call timeout_expired
    testl %eax, %eax
    jnz no_ticks
    pause
    jmp 1b
2:
    popl %eax
    ret

/* pm_timer_read: EAX = the ACPI PM timer (24 bits). */
pm_timer_read:
    pushl %edx
    movw $PM_TIMER_PORT, %dx
    inl %dx, %eax
    andl $0xffffff, %eax
    popl %edx
    ret

no_ticks:
    cli
    print_str msg_no_ticks
    movl ticks, %eax
    call put_dec
    movb $CH_NL, %al
    call putc
    movl $STATUS_NO_TICKS, %eax
    jmp test_exit

pit_range:
    print_str msg_range
    call put_hex
    movb $CH_NL, %al
    call putc
    movl $STATUS_PIT_RANGE, %eax
    jmp test_exit

    .data
    .balign 4
ticks:
    .long 0
spurious:
    .long 0

    .section .rodata
msg_start:
    .asciz "pit_irq: PIT channel 0 at 1000 Hz through the i8259 (IRQ 0)\n"
msg_ticks:
    .asciz "PIT: "
msg_ticks_in:
    .asciz " ticks in "
msg_ms:
    .asciz " ms while ring 3 waited ("
msg_too_fast:
    .asciz "FAIL: the ticks came faster than 1000 Hz (by the ACPI PM timer)\n"
msg_spurious_end:
    .asciz " spurious)\n"
msg_no_ticks:
    .asciz "FAIL: timed out waiting for timer interrupts; ticks seen: "
msg_stuck:
    .asciz "FAIL: the PIT channel 0 count does not move\n"
msg_range:
    .asciz "FAIL: PIT count above the programmed divisor: "
