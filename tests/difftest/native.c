/*
 * Native runner: the host CPU is the oracle. A child process is forked per batch;
 * it maps the code, data and stack pages at the fixed addresses of gen.h, builds a
 * trampoline (raw bytes, below) and runs every case of the batch: the prologue saves
 * the host's callee-saved registers and stack pointer, loads RFLAGS and all 16 GPRs
 * from an input block and jumps to the snippet; the epilogue placed right after the
 * snippet stores all GPRs and RFLAGS to an output block and returns to C. A fault
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) is caught on an alternate signal stack;
 * the handler records the vector (the kernel's trap number), error code, RIP and
 * registers from the signal context and siglongjmps back. Results go to a shared
 * mapping; if the child dies anyway, the case it was on is reported as
 * DT_VEC_CRASH and a new child continues with the next one.
 */
#include "tests/difftest/native.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__)
DtRunner *native_runner_new(char *err, size_t errlen)
{
    snprintf(err, errlen, "native runner needs an x86-64 host");
    return NULL;
}
#else

#define NT_TRAMP   UINT64_C(0x10010000)     /* prologue */
#define NT_IO      UINT64_C(0x10011000)     /* input/output block */
#define NT_IN      (NT_IO + 0)              /* 16 GPRs, then RFLAGS */
#define NT_IN_FL   (NT_IO + 128)
#define NT_OUT     (NT_IO + 256)
#define NT_OUT_FL  (NT_IO + 384)
#define NT_HOSTSP  (NT_IO + 512)
#define NT_MXCSR0  (NT_IO + 520)            /* DT_MXCSR_INIT, reloaded for the C code */
#define NT_FAR32   (NT_IO + 528)            /* m16:32 far pointer: DT_CODE, 32-bit CS */
#define NT_TRAMP32 (NT_TRAMP + 0x800)       /* prologue of mode32 cases */
#define NT_USER_CS32 0x23                   /* Linux's ring-3 compatibility-mode CS */
#define NT_FX_IN   (NT_IO + 1024)           /* FXRSTOR image loaded before the snippet */
#define NT_FX_OUT  (NT_IO + 1536)           /* FXSAVE image stored after it */
#define NT_BATCH   512u

typedef struct NtShared {
    volatile uint64_t done;                 /* cases finished by the child */
    DtResult results[NT_BATCH];
} NtShared;

typedef struct NativeRunner {
    DtRunner base;
    NtShared *shared;
} NativeRunner;

/* ---------------------------------------------------------------- code bytes */

typedef struct Code {
    uint8_t *p;
    unsigned n;
} Code;

static void put(Code *c, uint8_t b)
{
    c->p[c->n++] = b;
}

static void put32(Code *c, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        put(c, (uint8_t)(v >> (8 * i)));
    }
}

/* REX.W op reg, [abs32] (ModRM mod 00 rm 100, SIB base 101 index 100) */
static void put_abs(Code *c, uint8_t op, int reg, uint64_t addr)
{
    put(c, (uint8_t)(0x48 | ((reg & 8) ? 4 : 0)));
    put(c, op);
    put(c, (uint8_t)(((reg & 7) << 3) | 4));
    put(c, 0x25);
    put32(c, (uint32_t)addr);
}

/* 0F AE /n [abs32]: FXSAVE (0), FXRSTOR (1), LDMXCSR (2) */
static void put_0fae(Code *c, int n, uint64_t addr)
{
    put(c, 0x0f);
    put(c, 0xae);
    put(c, (uint8_t)((n << 3) | 4));
    put(c, 0x25);
    put32(c, (uint32_t)addr);
}

/* The prologue at p; mode32 ends with a far jump into compatibility mode. */
static unsigned build_prologue(uint8_t *p, bool mode32)
{
    Code c = { p, 0 };
    put(&c, 0x53);                                  /* push rbx */
    put(&c, 0x55);                                  /* push rbp */
    for (int r = 12; r <= 15; r++) {                /* push r12..r15 */
        put(&c, 0x41);
        put(&c, (uint8_t)(0x50 + (r & 7)));
    }
    put_abs(&c, 0x89, 4, NT_HOSTSP);                /* mov [hostsp], rsp */
    put(&c, 0xff);                                  /* push qword [in_flags] */
    put(&c, 0x34);
    put(&c, 0x25);
    put32(&c, (uint32_t)NT_IN_FL);
    put(&c, 0x9d);                                  /* popfq */
    put_0fae(&c, 1, NT_FX_IN);                      /* fxrstor [fx_in] */
    for (int r = 0; r < 16; r++) {
        if (r != 4) {
            put_abs(&c, 0x8b, r, NT_IN + (uint64_t)r * 8);
        }
    }
    put_abs(&c, 0x8b, 4, NT_IN + 4 * 8);            /* rsp last */
    if (mode32) {
        put(&c, 0xff);                              /* jmp far [NT_FAR32] */
        put(&c, 0x2c);
        put(&c, 0x25);
        put32(&c, (uint32_t)NT_FAR32);
    } else {
        put(&c, 0xe9);                              /* jmp DT_CODE */
        put32(&c, (uint32_t)(DT_CODE - (NT_TRAMP + c.n + 4)));
    }
    return c.n;
}

static unsigned build_epilogue(uint8_t *p)
{
    Code c = { p, 0 };
    for (int r = 0; r < 16; r++) {
        put_abs(&c, 0x89, r, NT_OUT + (uint64_t)r * 8);
    }
    put_0fae(&c, 0, NT_FX_OUT);                     /* fxsave [fx_out] */
    put(&c, 0xdb);                                  /* fninit */
    put(&c, 0xe3);
    put_0fae(&c, 2, NT_MXCSR0);                     /* ldmxcsr: defaults for C */
    put_abs(&c, 0x8b, 4, NT_HOSTSP);                /* mov rsp, [hostsp] */
    put(&c, 0x9c);                                  /* pushfq */
    put(&c, 0x58);                                  /* pop rax */
    put_abs(&c, 0x89, 0, NT_OUT_FL);
    put(&c, 0xfc);                                  /* cld (the ABI wants DF clear) */
    for (int r = 15; r >= 12; r--) {
        put(&c, 0x41);
        put(&c, (uint8_t)(0x58 + (r & 7)));
    }
    put(&c, 0x5d);                                  /* pop rbp */
    put(&c, 0x5b);                                  /* pop rbx */
    put(&c, 0xc3);                                  /* ret */
    return c.n;
}

/* ---------------------------------------------------------------- the child */

static sigjmp_buf nt_jmp;
static volatile sig_atomic_t nt_active;
static DtResult *nt_fault_out;

static const int gregs_of[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Vector and x87 state out of an FXSAVE image */
static void nt_take_fx(DtResult *r, const uint8_t *fx)
{
    memcpy(&r->fcw, fx + 0, 2);
    memcpy(&r->fsw, fx + 2, 2);
    r->ftw = fx[4];
    memcpy(&r->mxcsr, fx + 24, 4);
    memcpy(r->xmm, fx + 160, sizeof(r->xmm));
}

static void nt_signal(int sig, siginfo_t *info, void *uctx_v)
{
    ucontext_t *uc = uctx_v;
    if (!nt_active) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    DtResult *r = nt_fault_out;
    const greg_t *gr = uc->uc_mcontext.gregs;
    for (int i = 0; i < 16; i++) {
        r->regs[i] = (uint64_t)gr[gregs_of[i]];
    }
    r->rflags = (uint64_t)gr[REG_EFL];
    r->rip = (uint64_t)gr[REG_RIP];
    r->vector = (int)gr[REG_TRAPNO];
    r->error_code = (uint32_t)gr[REG_ERR];
    if (uc->uc_mcontext.fpregs) {
        nt_take_fx(r, (const uint8_t *)uc->uc_mcontext.fpregs);
    }
    nt_active = 0;
    siglongjmp(nt_jmp, 1);
}

static void *map_fixed(uint64_t addr, size_t len, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uint64_t)(uintptr_t)p != addr) {
        return NULL;
    }
    return p;
}

static void nt_run_one(const DtCase *c, DtResult *r, uint8_t *code, uint8_t *data,
                       uint8_t *stack, uint64_t *io)
{
    void (*enter)(void) = (void (*)(void))(uintptr_t)(c->mode32 ? NT_TRAMP32 : NT_TRAMP);

    memset(r, 0, offsetof(DtResult, data));
    dt_fill_memory(c->mem_seed, data, stack);
    memset(code, 0xcc, DT_PAGE);
    memcpy(code, c->code, c->len);
    if (c->mode32) {
        code[c->len] = 0x0f;        /* UD2: its SIGILL brings the state back */
        code[c->len + 1] = 0x0b;
    } else {
        build_epilogue(code + c->len);
    }
    memcpy(io, c->regs, sizeof(c->regs));
    io[4] = DT_STACK_INIT;
    io[(NT_IN_FL - NT_IO) / 8] = 0x202 | (c->rflags & DT_FLAGS_COMPARED);
    io[(NT_MXCSR0 - NT_IO) / 8] = DT_MXCSR_INIT;
    uint8_t *fx = (uint8_t *)io + (NT_FX_IN - NT_IO);
    memset(fx, 0, 512);
    uint16_t fcw = DT_FCW_INIT;
    memcpy(fx, &fcw, 2);
    memcpy(fx + 24, &c->mxcsr, 4);
    memcpy(fx + 160, c->xmm, sizeof(c->xmm));
    nt_fault_out = r;
    if (sigsetjmp(nt_jmp, 1) == 0) {
        nt_active = 1;
        enter();
        nt_active = 0;
        memcpy(r->regs, io + (NT_OUT - NT_IO) / 8, sizeof(r->regs));
        r->rflags = io[(NT_OUT_FL - NT_IO) / 8];
        nt_take_fx(r, (const uint8_t *)io + (NT_FX_OUT - NT_IO));
        r->rip = DT_CODE + c->len;
        r->vector = -1;
    } else if (c->mode32 && r->vector == 6 && r->rip == DT_CODE + c->len) {
        r->vector = -1;                 /* reached the UD2 end marker */
    }
    memcpy(r->data, data, DT_PAGE);
    memcpy(r->stack, stack, DT_PAGE);
}

static void nt_child(NtShared *sh, const DtCase *cases, size_t start, size_t n)
{
    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    struct sigaction sa;

    if (sigaltstack(&ss, NULL) != 0) {
        _exit(3);
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = nt_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    uint8_t *code = map_fixed(DT_CODE, DT_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    uint8_t *data = map_fixed(DT_DATA, 2 * DT_PAGE, PROT_READ | PROT_WRITE);
    uint8_t *tramp = map_fixed(NT_TRAMP, DT_PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
    uint64_t *io = map_fixed(NT_IO, DT_PAGE, PROT_READ | PROT_WRITE);
    if (!code || !data || !tramp || !io) {
        _exit(4);
    }
    uint8_t *stack = data + DT_PAGE;
    build_prologue(tramp, false);
    build_prologue(tramp + (NT_TRAMP32 - NT_TRAMP), true);
    uint32_t code32 = (uint32_t)DT_CODE;
    uint16_t cs32 = NT_USER_CS32;
    memcpy((uint8_t *)io + (NT_FAR32 - NT_IO), &code32, 4);
    memcpy((uint8_t *)io + (NT_FAR32 - NT_IO) + 4, &cs32, 2);
    alarm(60);

    for (size_t i = start; i < n; i++) {
        nt_run_one(&cases[i], &sh->results[i], code, data, stack, io);
        sh->done = i + 1;
    }
    _exit(0);
}

/* ---------------------------------------------------------------- the parent */

static bool nt_run_chunk(NativeRunner *nr, const DtCase *cases, DtResult *out, size_t n)
{
    NtShared *sh = nr->shared;
    size_t start = 0;

    while (start < n) {
        sh->done = start;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(nr->base.err, sizeof(nr->base.err), "fork: %s", strerror(errno));
            return false;
        }
        if (pid == 0) {
            nt_child(sh, cases, start, n);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                snprintf(nr->base.err, sizeof(nr->base.err), "waitpid: %s",
                         strerror(errno));
                return false;
            }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            break;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) >= 3 && sh->done == start) {
            snprintf(nr->base.err, sizeof(nr->base.err),
                     "native child could not set up its pages (status %d)",
                     WEXITSTATUS(status));
            return false;
        }
        size_t lost = sh->done;
        if (lost >= n) {
            break;
        }
        memset(&sh->results[lost], 0, offsetof(DtResult, data));
        sh->results[lost].vector = DT_VEC_CRASH;
        start = lost + 1;
    }
    memcpy(out, sh->results, n * sizeof(DtResult));
    return true;
}

static bool nt_run_batch(DtRunner *r, const DtCase *cases, DtResult *out, size_t n)
{
    NativeRunner *nr = (NativeRunner *)r;
    for (size_t i = 0; i < n; i += NT_BATCH) {
        size_t k = n - i < NT_BATCH ? n - i : NT_BATCH;
        if (!nt_run_chunk(nr, cases + i, out + i, k)) {
            return false;
        }
    }
    return true;
}

static void nt_destroy(DtRunner *r)
{
    NativeRunner *nr = (NativeRunner *)r;
    munmap(nr->shared, sizeof(NtShared));
    free(nr);
}

DtRunner *native_runner_new(char *err, size_t errlen)
{
    NativeRunner *nr = calloc(1, sizeof(*nr));
    if (!nr) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    nr->shared = mmap(NULL, sizeof(NtShared), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (nr->shared == MAP_FAILED) {
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        free(nr);
        return NULL;
    }
    nr->base.name = "native";
    nr->base.run_batch = nt_run_batch;
    nr->base.destroy = nt_destroy;
    return &nr->base;
}

#endif
