/*
 * smp.S: bringing up application processors (run with -smp 2). The BSP, in ring 3
 * with paging off (so physical addresses such as the LAPIC's work directly),
 * software-enables its local APIC, copies a real-mode trampoline to 0x8000 and sends
 * INIT and SIPI (vector 0x08) to all other CPUs through the ICR. Each AP switches to
 * protected mode in the trampoline, reads its APIC ID, loads its own TSS and drops to
 * ring 3, where it registers with `lock xadd` and prints "AP <id> up". Once the
 * expected APs are in (or on a timeout) the BSP closes registration (APs arriving
 * later park without taking part); then every registered CPU adds COUNT_PER_CPU to a
 * shared counter with `lock incl`, concurrently, and the BSP checks the total. Status: 0x20 + CPUs seen when the total is right (0x22,
 * exit code 0x45, with two CPUs), 0x30 + CPUs seen when it is wrong.
 */
#include "testlib.inc"

#define AP_COUNT_EXPECTED 1
#define COUNT_PER_CPU 1000000
#define TRAMPOLINE_ADDR 0x8000
#define SIPI_VECTOR (TRAMPOLINE_ADDR >> 12)
#define LAPIC_BASE 0xfee00000
#define LAPIC_ID (LAPIC_BASE + 0x20)
#define LAPIC_SVR (LAPIC_BASE + 0xf0)
#define LAPIC_ICR_LO (LAPIC_BASE + 0x300)
#define LAPIC_ICR_HI (LAPIC_BASE + 0x310)
#define SVR_ENABLE_SPURIOUS_FF 0x1ff
#define ICR_ALL_BUT_SELF (3 << 18)
#define ICR_ASSERT (1 << 14)
#define ICR_INIT (ICR_ALL_BUT_SELF | ICR_ASSERT | (5 << 8))
#define ICR_SIPI (ICR_ALL_BUT_SELF | ICR_ASSERT | (6 << 8) | SIPI_VECTOR)
#define ICR_BUSY (1 << 12)
#define STATUS_BASE_OK 0x20
#define STATUS_BASE_BAD_TOTAL 0x30
#define STATUS_SPURIOUS 0x41
#define VEC_SPURIOUS 0xff
#define REGISTRATION_CLOSED 0x80000000

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movb $GATE_INT_DPL0, %cl
    movl $VEC_SPURIOUS, %eax
    movl $spurious_irq, %edx
    call idt_set_gate
    popl %edx
    popl %ecx
    popl %eax
    ret

spurious_irq:
    jmp iret_user

/* ---- BSP, ring 3 ---- */
user_main:
    call serial_init
    call print_lock
    print_str msg_bsp
    movl LAPIC_ID, %eax
    shrl $24, %eax
    call put_dec
    movb $CH_NL, %al
    call putc
    call print_unlock

    movl $SVR_ENABLE_SPURIOUS_FF, LAPIC_SVR

    movl $ap_trampoline, %esi
    movl $TRAMPOLINE_ADDR, %edi
    movl $(ap_trampoline_end - ap_trampoline), %ecx
    rep movsb

    movl $0, LAPIC_ICR_HI
    movl $ICR_INIT, LAPIC_ICR_LO
    call icr_wait
    movl $ICR_SIPI, LAPIC_ICR_LO
    call icr_wait

    /* wait for the APs; the MP specification's second SIPI goes out only if none
     * showed up (a second SIPI to a running AP is ignored anyway) */
    call timeout_start
    xorl %ebx, %ebx                         /* second SIPI sent? */
1:
    cmpl $AP_COUNT_EXPECTED, aps_up
    jae 3f
    call timeout_expired
    testl %eax, %eax
    jnz 3f
    testl %ebx, %ebx
    jnz 2f
    rdtsc
    subl timeout_lo, %eax
    cmpl $0x40000000, %eax                  /* about a quarter of a second in */
    jb 2f
    movl $ICR_SIPI, LAPIC_ICR_LO
    call icr_wait
    movl $1, %ebx
2:
    pause
    jmp 1b
3:
    /* close registration, reading the number of APs in at that instant */
8:
    movl aps_up, %eax
    movl %eax, %edx
    orl $REGISTRATION_CLOSED, %edx
    lock cmpxchgl %edx, aps_up
    jne 8b
    movl %eax, aps_in
    leal 1(%eax), %edi                      /* EDI = CPUs seen, the BSP included */
    call print_lock
    print_str msg_cpus
    movl %edi, %eax
    call put_dec
    print_str msg_cpus_end
    call print_unlock

    /* everyone counts at once */
    movl $1, go
    movl $COUNT_PER_CPU, %ecx
4:
    lock incl counter
    loop 4b
    call timeout_start
5:
    movl aps_done, %eax
    cmpl aps_in, %eax
    jae 6f
    call timeout_expired
    testl %eax, %eax
    jnz 6f
    pause
    jmp 5b
6:
    movl %edi, %eax
    movl $COUNT_PER_CPU, %edx
    mull %edx
    movl %eax, %esi                         /* expected total */
    call print_lock
    print_str msg_counter
    movl counter, %eax
    call put_dec
    print_str msg_expected
    movl %esi, %eax
    call put_dec
    print_str msg_close
    call print_unlock
    cmpl $0, spurious_aps
    jne bad_ap
    leal STATUS_BASE_OK(%edi), %eax
    cmpl counter, %esi
    je 7f
    leal STATUS_BASE_BAD_TOTAL(%edi), %eax
7:
    jmp test_exit

bad_ap:
    print_str msg_bad_ap
    movl $STATUS_SPURIOUS, %eax
    jmp test_exit

/* icr_wait: until the local APIC has sent the IPI (bounded). */
icr_wait:
    pushl %ecx
    movl $1000000, %ecx
1:
    testl $ICR_BUSY, LAPIC_ICR_LO
    jz 2f
    pause
    loop 1b
2:
    popl %ecx
    ret

/* ---- AP, ring 3 (EAX = CPU number = APIC ID) ---- */
ap_user_main:
    movl %eax, %ebx
    movl $1, %eax
    lock xaddl %eax, aps_up
    testl $REGISTRATION_CLOSED, %eax
    jnz 4f                                  /* too late: take no part */
    call print_lock
    print_str msg_ap
    movl %ebx, %eax
    call put_dec
    print_str msg_ap_up
    call print_unlock
1:
    cmpl $0, go
    jne 2f
    pause
    jmp 1b
2:
    movl $COUNT_PER_CPU, %ecx
3:
    lock incl counter
    loop 3b
    lock incl aps_done
4:
    movl $SYS_HALT, %eax
    call sys_call

/* ---- AP, ring 0 ---- */

/* The trampoline runs at TRAMPOLINE_ADDR in real mode (CS = 0x0800, IP = 0): load the
 * GDT, enter protected mode, jump to ap_entry32. Position independent. */
    .code16
ap_trampoline:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_gdt_descriptor - ap_trampoline)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $SEL_KCODE, $ap_entry32
    .balign 4
    .word 0
ap_gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt
ap_trampoline_end:
    .code32

ap_entry32:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl LAPIC_ID, %eax
    shrl $24, %eax
    testl %eax, %eax                        /* APIC ID 0 is the BSP's */
    jz 2f
    cmpl $MAX_CPUS, %eax
    jae 2f
    leal 1(%eax), %ecx
    imull $KSTACK_SIZE, %ecx, %ecx
    leal kstacks(%ecx), %esp
    call cpu_load_tables
    movl $ap_user_main, %ebx
    jmp enter_user
2:
    lock incl spurious_aps                  /* an ID we have no stack for */
1:
    cli
    hlt
    jmp 1b

    .data
    .balign 4
aps_up:
    .long 0
aps_in:
    .long 0
aps_done:
    .long 0
spurious_aps:
    .long 0
go:
    .long 0
counter:
    .long 0

    .section .rodata
msg_bsp:
    .asciz "BSP: APIC ID "
msg_ap:
    .asciz "AP "
msg_ap_up:
    .asciz " up\n"
msg_cpus:
    .asciz "smp: "
msg_cpus_end:
    .asciz " CPUs running\n"
msg_counter:
    .asciz "smp: counter "
msg_expected:
    .asciz " (expected "
msg_close:
    .asciz ")\n"
msg_bad_ap:
    .asciz "FAIL: an AP came up with an APIC ID this test has no stack for\n"
