/*
 * alu_loop.S: a CPU-bound benchmark for the interpreter. Ring 3 runs a four-instruction
 * loop (add, xor, dec, jnz) for N iterations, then prints
 *   alu_loop: N iterations, checksum 0x........
 * on COM1 and ends with status 0x10 (process exit code 0x21). N comes from the first
 * all-digit word of the multiboot command line (-append 200000000), else
 * DEFAULT_ITERATIONS. The checksum depends on every iteration, so an emulator that
 * skips or repeats instructions prints a different value (compare with QEMU's output).
 * Instructions executed: 4 * N plus a few thousand for start-up and printing.
 */
#include "testlib.inc"

#define STATUS_OK 0x10
#define DEFAULT_ITERATIONS 125000000
#define MB_INFO_CMDLINE 0x4                 /* multiboot info flags: cmdline valid */
#define CH_9 0x39

    .text
/* Ring 0: take the iteration count from the command line (the loader's info block and
 * string lie in low memory; paging is off, so the addresses are usable as they are). */
test_setup:
    pushl %eax
    pushl %ebx
    pushl %ecx
    pushl %esi
    movl $DEFAULT_ITERATIONS, iterations
    movl boot_info, %ebx
    testl $MB_INFO_CMDLINE, (%ebx)
    jz 9f
    movl 16(%ebx), %esi                     /* cmdline */
    testl %esi, %esi
    jz 9f
1:  /* at the start of a word: skip blanks */
    movzbl (%esi), %eax
    testl %eax, %eax
    jz 9f
    cmpl $CH_SPACE, %eax
    jne 2f
    incl %esi
    jmp 1b
2:  /* parse the word as a decimal number; a non-digit rejects it */
    xorl %ecx, %ecx
3:
    movzbl (%esi), %eax
    testl %eax, %eax
    jz 5f
    cmpl $CH_SPACE, %eax
    je 5f
    cmpl $CH_0, %eax
    jb 4f
    cmpl $CH_9, %eax
    ja 4f
    imull $10, %ecx, %ecx
    leal -CH_0(%ecx,%eax), %ecx
    incl %esi
    jmp 3b
4:  /* not a number: skip the rest of the word */
    movzbl (%esi), %eax
    testl %eax, %eax
    jz 9f
    cmpl $CH_SPACE, %eax
    je 1b
    incl %esi
    jmp 4b
5:
    testl %ecx, %ecx
    jz 1b                                   /* "0": keep looking */
    movl %ecx, iterations
9:
    popl %esi
    popl %ecx
    popl %ebx
    popl %eax
    ret

user_main:
    call serial_init
    movl iterations, %ecx
    movl $0x12345678, %eax
    movl $0x9abcdef1, %edx
    .balign 16
1:
    addl %edx, %eax
    xorl %eax, %edx
    decl %ecx
    jnz 1b
    xorl %edx, %eax
    movl %eax, checksum
    print_str msg_head
    movl iterations, %eax
    call put_dec
    print_str msg_mid
    movl checksum, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    movl $STATUS_OK, %eax
    jmp test_exit

    .data
    .balign 4
iterations:
    .long 0
checksum:
    .long 0

    .section .rodata
msg_head:
    .asciz "alu_loop: "
msg_mid:
    .asciz " iterations, checksum "
