/*
 * tasks.S: hardware task switches. Ring 0 builds two more TSSes: task 2 (ring 0,
 * counts its runs, records its back link and NT, clobbers EBX, IRETs back) reached
 * through a DPL-3 task gate in the GDT (far CALL) and in the IDT (INT 0x41), and task
 * 3, the #GP handler through an IDT task gate, which takes the error code from its
 * stack, points task 1's saved EIP at a recovery address and IRETs back. Ring 3
 * (task 1) calls task 2 twice, provokes #GP(0x1000) and prints what each task saw;
 * its own EBX must survive. Needs a CPU that does task switches (not kvm_pvm's ring-0
 * emulator). Ends with status 0x19 (process exit code 0x33).
 */
#include "testlib.inc"

#define STATUS_OK 0x19
#define SEL_TSS2 (SEL_TSS0 + 8 * 2)          /* spare per-CPU TSS slots */
#define SEL_GATE2 (SEL_TSS0 + 8 * 3)         /* task gate to task 2, DPL 3 */
#define SEL_TSS3 SEL_TSS64                   /* unused here: task 3's TSS */
#define VEC_TASK2 0x41
#define GATE_TASK_DPL3 0xe5
#define GATE_TASK_DPL0 0x85
#define EFLAGS_NT 0x4000
#define TASK_STACK 4096

    .text
/* tss_init: EDI = TSS, EAX = EIP, EDX = stack top: a ring-0 task with flat segments */
tss_init:
    pushl %eax
    pushl %ecx
    pushl %edi
    pushl %eax
    xorl %eax, %eax
    movl $(TSS_SIZE / 4), %ecx
    rep stosl
    popl %eax
    popl %edi
    movl %eax, 0x20(%edi)                   /* EIP */
    movl $2, 0x24(%edi)                     /* EFLAGS */
    movl %edx, 0x38(%edi)                   /* ESP */
    movl $SEL_KDATA, 0x48(%edi)             /* ES */
    movl $SEL_KCODE, 0x4c(%edi)             /* CS */
    movl $SEL_KDATA, 0x50(%edi)             /* SS */
    movl $SEL_KDATA, 0x54(%edi)             /* DS */
    movl $SEL_KDATA, 0x58(%edi)             /* FS */
    movl $SEL_KDATA, 0x5c(%edi)             /* GS */
    movw $TSS_SIZE, 0x66(%edi)              /* no I/O bitmap */
    popl %ecx
    popl %eax
    ret

/* idt_task_gate: EAX = vector, CL = gate byte, DX = TSS selector */
idt_task_gate:
    pushl %edi
    leal idt(,%eax,8), %edi
    movw $0, (%edi)
    movw %dx, 2(%edi)
    movb $0, 4(%edi)
    movb %cl, 5(%edi)
    movw $0, 6(%edi)
    popl %edi
    ret

test_setup:
    pushal
    movl $tss2, %edi
    movl $task2_entry, %eax
    movl $(task_stacks + TASK_STACK), %edx
    call tss_init
    movl $tss3, %edi
    movl $task3_entry, %eax
    movl $(task_stacks + 2 * TASK_STACK), %edx
    call tss_init
    movl $(TSS_SIZE - 1), %eax
    leal gdt + SEL_TSS2, %ecx
    movl $tss2, %edx
    call gdt_set_tss
    leal gdt + SEL_TSS3, %ecx
    movl $tss3, %edx
    call gdt_set_tss
    /* the GDT task gate: selector of task 2's TSS, DPL 3 */
    leal gdt + SEL_GATE2, %ecx
    movl $0, (%ecx)
    movw $SEL_TSS2, 2(%ecx)
    movl $(GATE_TASK_DPL3 << 8), 4(%ecx)
    movl $VEC_TASK2, %eax
    movb $GATE_TASK_DPL3, %cl
    movw $SEL_TSS2, %dx
    call idt_task_gate
    movl $13, %eax
    movb $GATE_TASK_DPL0, %cl
    movw $SEL_TSS3, %dx
    call idt_task_gate
    popal
    ret

/* task 2 (ring 0): note the run, the back link and NT; clobber EBX; back to the caller */
task2_entry:
    incl task2_runs
    movzwl tss2, %eax
    movl %eax, task2_link
    pushfl
    popl %eax
    andl $EFLAGS_NT, %eax
    movl %eax, task2_nt
    movl $0x5555, %ebx
    iret
    jmp task2_entry

/* task 3 (ring 0), the #GP handler: error code, task 1 resumes at recover_eip */
task3_entry:
    popl %eax
    movl %eax, gp_error
    movl recover_eip, %eax
    movl %eax, tss_array + 0x20             /* task 1's saved EIP */
    iret
    jmp task3_entry

user_main:
    call serial_init
    print_str msg_start
    movl $0x1234, %ebx
    lcall $SEL_GATE2, $0
    print_str msg_call
    movl task2_runs, %eax
    call put_hex
    print_str msg_link
    movl task2_link, %eax
    call put_hex
    print_str msg_nt
    movl task2_nt, %eax
    call put_hex
    print_str msg_ebx
    movl %ebx, %eax
    call put_hex
    movb $CH_NL, %al
    call putc

    int $VEC_TASK2
    print_str msg_int
    movl task2_runs, %eax
    call put_hex
    movb $CH_NL, %al
    call putc

    movl $1f, recover_eip
    movw $0x1000, %ax
    movw %ax, %ds
1:
    print_str msg_gp
    movl gp_error, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

    .section .rodata
msg_start:
    .asciz "tasks: hardware task switches\n"
msg_call:
    .asciz "call through task gate: runs "
msg_link:
    .asciz " link "
msg_nt:
    .asciz " nt "
msg_ebx:
    .asciz " task 1 ebx "
msg_int:
    .asciz "int through task gate: runs "
msg_gp:
    .asciz "GP task: error "
msg_done:
    .asciz "tasks: done\n"

    .data
    .balign 4
task2_runs:
    .long 0
task2_link:
    .long 0
task2_nt:
    .long 0
gp_error:
    .long 0
recover_eip:
    .long 0

    .bss
    .balign 16
tss2:
    .skip TSS_SIZE
tss3:
    .skip TSS_SIZE
    .balign 16
task_stacks:
    .skip 2 * TASK_STACK
