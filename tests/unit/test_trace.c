/*
 * Unit tests for instruction tracing (cpu/trace.c): capstone disassembly in the three
 * code modes, the -d in_asm / -d exec line formats and the -d cpu register dump, and
 * the CPUID models (cpu/models.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/models.h"
#include "cpu/trace.h"
#include "system/log.h"

/* ---- disassembly ---- */

static void expect_disas(X86CpuMode mode, uint64_t rip, const uint8_t *bytes, unsigned len,
                         const char *want)
{
    char buf[128];
    ck_assert_msg(trace_disas(mode, rip, bytes, len, buf, sizeof(buf)),
                  "capstone refused an instruction expected as '%s'", want);
    ck_assert_str_eq(buf, want);
}

START_TEST(test_disas_32)
{
    static const uint8_t cli[] = { 0xfa };
    static const uint8_t mov_esp[] = { 0xbc, 0xa0, 0x59, 0x10, 0x00 };
    static const uint8_t store[] = { 0xa3, 0x58, 0x30, 0x10, 0x00 };
    expect_disas(X86_MODE_32, 0x100010, cli, sizeof(cli), "cli");
    expect_disas(X86_MODE_32, 0x100012, mov_esp, sizeof(mov_esp), "mov esp, 0x1059a0");
    expect_disas(X86_MODE_32, 0x100017, store, sizeof(store),
                 "mov dword ptr [0x103058], eax");
}
END_TEST

START_TEST(test_disas_16_and_64)
{
    static const uint8_t mov_ax[] = { 0xb8, 0x34, 0x12 };
    static const uint8_t jmp_self[] = { 0xeb, 0xfe };
    static const uint8_t mov_rbp[] = { 0x48, 0x89, 0xe5 };
    /* the same bytes mean different things per mode */
    expect_disas(X86_MODE_16, 0, mov_ax, sizeof(mov_ax), "mov ax, 0x1234");
    expect_disas(X86_MODE_32, 0, mov_rbp, sizeof(mov_rbp), "dec eax");
    expect_disas(X86_MODE_64, 0, mov_rbp, sizeof(mov_rbp), "mov rbp, rsp");
    /* relative targets are computed from the instruction's offset */
    expect_disas(X86_MODE_16, 0x100, jmp_self, sizeof(jmp_self), "jmp 0x100");
}
END_TEST

START_TEST(test_disas_bad)
{
    static const uint8_t truncated[] = { 0xbc, 0xa0 };      /* mov esp, imm32 cut short */
    char buf[64];
    ck_assert(!trace_disas(X86_MODE_32, 0, truncated, sizeof(truncated), buf, sizeof(buf)));
    ck_assert_str_eq(buf, "(bad)");
    ck_assert(!trace_disas(X86_MODE_32, 0, truncated, 0, buf, sizeof(buf)));
    /* a tiny buffer is truncated, never overrun */
    static const uint8_t mov_esp[] = { 0xbc, 0xa0, 0x59, 0x10, 0x00 };
    char small[6];
    memset(small, 'x', sizeof(small));
    trace_disas(X86_MODE_32, 0, mov_esp, sizeof(mov_esp), small, sizeof(small));
    ck_assert_uint_eq(strlen(small), 5);
}
END_TEST

/* ---- log lines ---- */

static X86CPU *flat32_cpu(void)
{
    X86CPU *cpu = calloc(1, sizeof(*cpu));
    x86_state_reset(&cpu->s);
    x86_segment_set_flat(&cpu->s.seg[R_CS], 0x08, true, false);
    x86_segment_set_flat(&cpu->s.seg[R_SS], 0x10, false, false);
    cpu->s.cr0 |= X86_CR0_PE;
    cpu->code_mode = X86_MODE_32;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->insn_rip = 0x100012;
    cpu->s.rip = 0x100017;          /* the run loop may already point past it */
    cpu->s.regs[R_EAX] = 0x2badb002;
    return cpu;
}

/* Run fn with the log going to a temporary file; return what was logged. */
static char *capture_log(uint32_t mask, void (*fn)(X86CPU *), X86CPU *cpu)
{
    char path[] = "/tmp/test_trace_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    Error *err = NULL;
    ck_assert(log_set_file(path, &err));
    uint32_t saved = log_mask;
    log_mask = mask;
    fn(cpu);
    log_mask = saved;
    fflush(log_file());
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

static void trace_mov_esp(X86CPU *cpu)
{
    static const uint8_t mov_esp[] = { 0xbc, 0xa0, 0x59, 0x10, 0x00 };
    trace_insn(cpu, mov_esp, sizeof(mov_esp));
}

START_TEST(test_in_asm_line)
{
    X86CPU *cpu = flat32_cpu();
    char *log = capture_log(LOG_IN_ASM, trace_mov_esp, cpu);
    ck_assert_msg(strstr(log, "0x00100012 0008:00100012: bc a0 59 10 00") == log,
                  "unexpected in_asm line: %s", log);
    ck_assert_msg(strstr(log, "  mov esp, 0x1059a0\n") != NULL, "no disassembly: %s", log);
    ck_assert_ptr_null(strstr(log, "EAX="));        /* no register dump without -d cpu */
    free(log);
    free(cpu);
}
END_TEST

START_TEST(test_exec_and_cpu_lines)
{
    X86CPU *cpu = flat32_cpu();
    char *log = capture_log(LOG_EXEC | LOG_CPU, trace_mov_esp, cpu);
    ck_assert_msg(strstr(log, "exec 0x00100012 0008:00100012\n") == log, "%s", log);
    ck_assert_msg(strstr(log, "EAX=2badb002") != NULL, "%s", log);
    ck_assert_msg(strstr(log, "EIP=00100012") != NULL, "the dump shows insn_rip: %s", log);
    ck_assert_ptr_null(strstr(log, "mov esp"));     /* no disassembly without in_asm */
    free(log);
    /* a 16-bit real-mode CPU: the address shows CS:IP with a 4-digit IP */
    cpu->code_mode = X86_MODE_16;
    x86_segment_set_real(&cpu->s.seg[R_CS], 0xf000, true);
    cpu->insn_rip = 0xfff0;
    log = capture_log(LOG_EXEC, trace_mov_esp, cpu);
    ck_assert_msg(strstr(log, "exec 0x000ffff0 f000:fff0\n") == log, "%s", log);
    free(log);
    free(cpu);
}
END_TEST

START_TEST(test_cpu_dump)
{
    X86CPU *cpu = calloc(1, sizeof(*cpu));
    x86_state_reset(&cpu->s);
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->s.rflags = 0x2 | X86_FLAG_ZF | X86_FLAG_CF | X86_FLAG_DF;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    trace_cpu_state(cpu, out);
    fclose(out);
    ck_assert_msg(strstr(text, "EIP=0000fff0 EFL=00000443 [D--Z--C]") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "CS =f000 ffff0000 0000ffff 00009b00") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "SS =0000 00000000 0000ffff 00009300") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "CR0=60000010") != NULL, "%s", text);
    free(text);
    /* long mode: 64-bit registers */
    cpu->long_mode = true;
    cpu->s.regs[R_R15] = 0x123456789abcdef0ull;
    text = NULL;
    out = open_memstream(&text, &len);
    trace_cpu_state(cpu, out);
    fclose(out);
    ck_assert_msg(strstr(text, "R15=123456789abcdef0") != NULL, "%s", text);
    ck_assert_msg(strstr(text, "RIP=000000000000fff0") != NULL, "%s", text);
    free(text);
    free(cpu);
}
END_TEST

/* ---- CPUID models ---- */

START_TEST(test_models)
{
    const X86CpuModel *def = x86_cpu_model_default();
    ck_assert_ptr_nonnull(def);
    ck_assert_ptr_eq(x86_cpu_model_find(def->name), def);
    ck_assert_ptr_null(x86_cpu_model_find("no-such-cpu"));
    ck_assert_ptr_null(x86_cpu_model_find(NULL));
    ck_assert_ptr_nonnull(x86_cpu_model_find("pentium"));

    uint32_t r[4];
    x86_cpu_model_cpuid(def, 0, 0, 0, 1, r);
    ck_assert_uint_eq(r[0], def->max_leaf);
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = '\0';
    ck_assert_str_eq(vendor, def->vendor);

    x86_cpu_model_cpuid(def, 1, 0, 3, 2, r);
    ck_assert_uint_eq((r[0] >> 8) & 0xf, def->family);
    ck_assert_uint_eq(r[1] >> 24, 3);                     /* initial APIC ID */
    ck_assert_uint_eq(r[3], def->features_edx);
    /* the vector units the interpreter implements are advertised */
    ck_assert_uint_eq(r[3] & (CPUID_1_EDX_MMX | CPUID_1_EDX_SSE),
                      CPUID_1_EDX_MMX | CPUID_1_EDX_SSE);
    ck_assert(r[3] & CPUID_1_EDX_APIC);

    /* beyond the maximum basic leaf: the highest basic leaf's answer */
    uint32_t hi[4], top[4];
    x86_cpu_model_cpuid(def, 0x40, 0, 0, 1, hi);
    x86_cpu_model_cpuid(def, def->max_leaf, 0, 0, 1, top);
    ck_assert_mem_eq(hi, top, sizeof(hi));

    /* brand string */
    char brand[49] = { 0 };
    for (uint32_t i = 0; i < 3; i++) {
        x86_cpu_model_cpuid(def, 0x80000002u + i, 0, 0, 1, r);
        memcpy(brand + 16 * i, r, 16);
    }
    ck_assert_str_eq(brand, def->brand);

    /* the P5 model: family 5, no CMOV or PAE, no extended leaves */
    const X86CpuModel *p5 = x86_cpu_model_find("pentium");
    x86_cpu_model_cpuid(p5, 1, 0, 0, 1, r);
    ck_assert_uint_eq((r[0] >> 8) & 0xf, 5);
    ck_assert_uint_eq(r[3] & (CPUID_1_EDX_CMOV | CPUID_1_EDX_PAE), 0);
    uint32_t ext[4];
    x86_cpu_model_cpuid(p5, 0x80000000u, 0, 0, 1, ext);
    x86_cpu_model_cpuid(p5, 1, 0, 0, 1, r);
    ck_assert_mem_eq(ext, r, sizeof(ext));      /* answered as the highest basic leaf */

    char *list = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&list, &len);
    x86_cpu_models_print(out);
    fclose(out);
    ck_assert(strstr(list, "ember") && strstr(list, "pentium"));
    free(list);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_test(tc, test_disas_32);
    tcase_add_test(tc, test_disas_16_and_64);
    tcase_add_test(tc, test_disas_bad);
    tcase_add_test(tc, test_in_asm_line);
    tcase_add_test(tc, test_exec_and_cpu_lines);
    tcase_add_test(tc, test_cpu_dump);
    tcase_add_test(tc, test_models);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
