/*
 * v86.S: virtual-8086 mode. Ring 0 enters V86 mode with IRET (EFLAGS.VM=1), where
 * 16-bit code uses real-mode addressing (segment * 16 + offset) to store and load
 * through two different segment:offset pairs naming the same byte, then leaves with
 * INT 0x81 (IOPL 3). The ring-0 handler checks the V86 stack frame (VM set in the saved
 * EFLAGS, the V86 segment registers pushed, DS/ES/FS/GS zeroed on entry) and the values
 * computed. A second entry at IOPL 0 runs CLI, which must raise #GP(0) from V86 mode.
 * Ends with status 0x15 (process exit code 0x2b).
 */
#include "testlib.inc"

#define STATUS_OK 0x15
#define V86_CODE 0x8000          /* where the 16-bit code is copied (below 1 MiB) */
#define V86_SEG 0x0700           /* CS = 0x700: 0x7000 + 0x1000 = V86_CODE */
#define V86_STACK_SEG 0x0900
#define VEC_V86_DONE 0x81
#define EFLAGS_VM 0x20000

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    movl $VEC_V86_DONE, %eax
    movl $v86_done, %edx
    movb $GATE_INT_DPL3, %cl
    call idt_set_gate
    movl $0x82, %eax
    movl $v86_enter_gate, %edx
    call idt_set_gate
    movl $13, %eax
    movl $v86_gp, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    /* copy the 16-bit code below 1 MiB */
    movl $v86_code_start, %esi
    movl $V86_CODE, %edi
    movl $(v86_code_end - v86_code_start), %ecx
    rep movsb
    popl %edx
    popl %ecx
    popl %eax
    ret

/* enter V86 at CS:IP = V86_SEG:0x1000 with the given EFLAGS (in EAX) */
enter_v86:
    pushl $0                     /* GS */
    pushl $0                     /* FS */
    pushl $0x1234                /* DS */
    pushl $0x5678                /* ES */
    pushl $V86_STACK_SEG         /* SS */
    pushl $0x0ffe                /* SP */
    pushl %eax                   /* EFLAGS with VM */
    pushl $V86_SEG               /* CS */
    pushl $0x1000                /* IP */
    iret

/* ring 0 is entered from user_main through int 0x80-like service: it runs in ring 3
 * first (serial set-up), then asks ring 0 to enter V86 via the debug gate below */
user_main:
    call serial_init
    print_str msg_start
    int $0x82                    /* to ring 0: enter V86 with IOPL 3 */
1:
    jmp 1b

/* int 0x82 from ring 3: enter V86 mode (first run, IOPL 3) */
v86_enter_gate:
    movl $(EFLAGS_VM | 0x3002), %eax
    jmp enter_v86

/* INT 0x81 from V86 mode. Stack: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS. */
v86_done:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    print_str msg_vm
    movl 8(%esp), %eax
    andl $EFLAGS_VM, %eax
    call put_hex
    print_str msg_cs
    movl 4(%esp), %eax
    call put_hex
    print_str msg_ds
    movl 24(%esp), %eax
    call put_hex
    print_str msg_es
    movl 20(%esp), %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    print_str msg_values
    movl %ebx, %eax              /* the byte read back through the other segment */
    call put_hex
    movb $CH_SPACE, %al
    call putc
    movl %edx, %eax              /* the linear address computed in V86 mode */
    call put_hex
    movb $CH_NL, %al
    call putc
    /* second entry: IOPL 0, where CLI faults */
    movl $(EFLAGS_VM | 0x0002), %eax
    jmp enter_v86

/* #GP: from V86 mode (the CLI at IOPL 0). Stack: error, EIP, CS, EFLAGS, ... */
v86_gp:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    print_str msg_gp
    movl (%esp), %eax
    call put_hex
    print_str msg_vm
    movl 12(%esp), %eax
    andl $EFLAGS_VM, %eax
    call put_hex
    print_str msg_ip
    movl 4(%esp), %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

/* 16-bit code run in V86 mode at V86_SEG:0x1000 (position-independent). */
    .code16
v86_code_start:
    cmpw $0, %cs:0               /* harmless real-mode style access */
    movw $0x2000, %ax
    movw %ax, %ds                /* DS = 0x2000: linear 0x20000 + offset */
    movb $0xa5, 0x0345           /* linear 0x20345 */
    movw $0x2034, %ax
    movw %ax, %es                /* ES = 0x2034: 0x20340 + 5 = 0x20345 */
    xorl %ebx, %ebx
    movb %es:0x0005, %bl         /* the same byte through another segment */
    movw %ds, %dx
    movzwl %dx, %edx
    shll $4, %edx
    addl $0x0345, %edx           /* EDX = the linear address */
    int $VEC_V86_DONE            /* IOPL 3: goes through the IDT to ring 0 */
    cli                          /* second run at IOPL 0: #GP(0) */
1:
    jmp 1b
v86_code_end:
    .code32

    .section .rodata
msg_start:
    .asciz "v86: real-mode addressing in virtual-8086 mode\n"
msg_vm:
    .asciz " vm "
msg_cs:
    .asciz " cs "
msg_ds:
    .asciz " ds "
msg_es:
    .asciz " es "
msg_ip:
    .asciz " ip "
msg_values:
    .asciz "V86: byte "
msg_gp:
    .asciz "GP from V86: error "
msg_done:
    .asciz "v86: done\n"
