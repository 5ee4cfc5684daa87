/* The differential-testing driver: batches, comparison, minimization, reports. */
#include "tests/difftest/campaign.h"

#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#define DT_BATCH 1024u

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static uint16_t compared_flags(const DtCase *c, const DtResult *a)
{
    uint16_t undef = a->vector < 0 ? (uint16_t)c->undef_flags
                                   : dt_undef_at(c, a->rip - DT_CODE);
    return (uint16_t)(DT_FLAGS_COMPARED & ~undef);
}

static bool diff_page(const uint8_t *a, const uint8_t *b, uint64_t base, char *why,
                      size_t whylen)
{
    for (unsigned i = 0; i < DT_PAGE; i++) {
        if (a[i] != b[i]) {
            snprintf(why, whylen, "memory at %#llx: %02x vs %02x",
                     (unsigned long long)(base + i), a[i], b[i]);
            return false;
        }
    }
    return true;
}

/* An XMM register as 32 hex digits, most significant byte first */
static void hex128(const uint8_t *v, char *out)
{
    for (int i = 0; i < 16; i++) {
        snprintf(out + 2 * i, 3, "%02x", v[15 - i]);
    }
}

bool dt_compare(const DtCase *c, const DtResult *a, const DtResult *b, char *why,
                size_t whylen)
{
    if (a->vector == DT_VEC_CRASH || b->vector == DT_VEC_CRASH) {
        snprintf(why, whylen, "runner lost the case (crash or runaway)");
        return false;
    }
    if (a->vector != b->vector) {
        snprintf(why, whylen, "exception %d vs %d", a->vector, b->vector);
        return false;
    }
    if (a->rip != b->rip) {
        snprintf(why, whylen, "rip %#llx vs %#llx", (unsigned long long)a->rip,
                 (unsigned long long)b->rip);
        return false;
    }
    uint64_t reg_mask = c->mode32 ? 0xffffffffu : ~UINT64_C(0);
    for (int r = 0; r < 16; r++) {
        if ((a->regs[r] ^ b->regs[r]) & reg_mask) {
            snprintf(why, whylen, "%s %#llx vs %#llx", reg_names[r],
                     (unsigned long long)a->regs[r], (unsigned long long)b->regs[r]);
            return false;
        }
    }
    uint16_t mask = compared_flags(c, a);
    if ((a->rflags ^ b->rflags) & mask) {
        snprintf(why, whylen, "rflags %#llx vs %#llx (compared bits %#x)",
                 (unsigned long long)(a->rflags & mask),
                 (unsigned long long)(b->rflags & mask), mask);
        return false;
    }
    if (a->mxcsr != b->mxcsr) {
        snprintf(why, whylen, "mxcsr %#x vs %#x", a->mxcsr, b->mxcsr);
        return false;
    }
    for (int r = 0; r < 16; r++) {
        if (memcmp(a->xmm[r], b->xmm[r], 16) != 0) {
            char ha[33], hb[33];
            hex128(a->xmm[r], ha);
            hex128(b->xmm[r], hb);
            snprintf(why, whylen, "xmm%d %s vs %s", r, ha, hb);
            return false;
        }
    }
    uint32_t undef = a->vector < 0 ? c->undef_flags : dt_undef_at(c, a->rip - DT_CODE);
    uint16_t fsw_mask = (undef & DT_X87_C1) ? (uint16_t)~DT_FSW_C1 : 0xffff;
    if (a->fcw != b->fcw || ((a->fsw ^ b->fsw) & fsw_mask) || a->ftw != b->ftw) {
        snprintf(why, whylen, "x87 fcw/fsw/ftw %04x/%04x/%02x vs %04x/%04x/%02x",
                 a->fcw, a->fsw, a->ftw, b->fcw, b->fsw, b->ftw);
        return false;
    }
    return diff_page(a->data, b->data, DT_DATA, why, whylen) &&
           diff_page(a->stack, b->stack, DT_STACK, why, whylen);
}

static void print_result(FILE *out, const char *name, const DtCase *c, const DtResult *r)
{
    fprintf(out, "  %-6s: ", name);
    if (r->vector == DT_VEC_CRASH) {
        fprintf(out, "LOST (crash/runaway)\n");
        return;
    }
    if (r->vector >= 0) {
        fprintf(out, "exception %d (error %#x) at rip %#llx\n", r->vector, r->error_code,
                (unsigned long long)r->rip);
    } else {
        fprintf(out, "ended at rip %#llx\n", (unsigned long long)r->rip);
    }
    for (int i = 0; i < 16; i++) {
        fprintf(out, "%s%4s=%016llx", i % 4 ? " " : "    ", reg_names[i],
                (unsigned long long)r->regs[i]);
        if (i % 4 == 3) {
            fputc('\n', out);
        }
    }
    fprintf(out, "    rflags=%#llx (compared bits %#x)\n",
            (unsigned long long)(r->rflags & DT_FLAGS_COMPARED), compared_flags(c, r));
    fprintf(out, "    mxcsr=%#x fcw=%#06x fsw=%#06x ftw=%#04x\n", r->mxcsr, r->fcw, r->fsw,
            r->ftw);
    if (c->cls == DT_CLASS_SSE2) {
        for (int i = 0; i < 16; i++) {
            char h[33];
            hex128(r->xmm[i], h);
            fprintf(out, "%sxmm%-2d=%s", i % 2 ? " " : "    ", i, h);
            if (i % 2) {
                fputc('\n', out);
            }
        }
    }
}

void dt_print_case(FILE *out, const DtCase *c, const DtResult *a, const char *aname,
                   const DtResult *b, const char *bname)
{
    fprintf(out, "case %llu (%s), %u bytes:", (unsigned long long)c->id,
            dt_class_name(c->cls), c->len);
    for (unsigned i = 0; i < c->len; i++) {
        fprintf(out, " %02x", c->code[i]);
    }
    fputc('\n', out);
    csh handle;
    if (cs_open(CS_ARCH_X86, c->mode32 ? CS_MODE_32 : CS_MODE_64, &handle) == CS_ERR_OK) {
        cs_insn *insn;
        size_t n = cs_disasm(handle, c->code, c->len, DT_CODE, 0, &insn);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "    %08llx  %-8s %s\n", (unsigned long long)insn[i].address,
                    insn[i].mnemonic, insn[i].op_str);
        }
        if (n) {
            cs_free(insn, n);
        }
        cs_close(&handle);
    }
    fprintf(out, "  initial:");
    for (int i = 0; i < 16; i++) {
        fprintf(out, "%s%4s=%016llx", i % 4 ? " " : "\n    ", reg_names[i],
                (unsigned long long)(i == 4 ? DT_STACK_INIT : c->regs[i]));
    }
    fprintf(out, "\n    rflags=%#llx, memory seed %#llx, mxcsr %#x\n",
            (unsigned long long)c->rflags, (unsigned long long)c->mem_seed, c->mxcsr);
    if (c->cls == DT_CLASS_SSE2) {
        for (int i = 0; i < 16; i++) {
            char h[33];
            hex128(c->xmm[i], h);
            fprintf(out, "%sxmm%-2d=%s", i % 2 ? " " : "    ", i, h);
            if (i % 2) {
                fputc('\n', out);
            }
        }
    }
    print_result(out, aname, c, a);
    print_result(out, bname, c, b);
}

static bool run_pair(DtRunner *oracle, DtRunner *subject, const DtCase *c,
                     DtResult *a, DtResult *b)
{
    return oracle->run_batch(oracle, c, a, 1) && subject->run_batch(subject, c, b, 1);
}

void dt_minimize(DtRunner *oracle, DtRunner *subject, DtCase *c)
{
    DtResult *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    DtCase *t = malloc(sizeof(*t));
    char why[160];
    bool changed = true;

    while (changed && c->ngroups > 1) {
        changed = false;
        for (int i = c->ngroups - 1; i >= 0; i--) {
            uint32_t keep = ((1u << c->ngroups) - 1) & ~(1u << i);
            if (!dt_case_subset(c, keep, t)) {
                continue;
            }
            if (run_pair(oracle, subject, t, a, b) && !dt_compare(t, a, b, why, sizeof(why))) {
                *c = *t;
                changed = true;
                break;
            }
        }
    }
    free(a);
    free(b);
    free(t);
}

bool dt_campaign(DtRunner *oracle, DtRunner *subject, const DtOptions *o, DtStats *st)
{
    DtCase *cases = malloc(DT_BATCH * sizeof(*cases));
    DtResult *ra = malloc(DT_BATCH * sizeof(*ra));
    DtResult *rb = malloc(DT_BATCH * sizeof(*rb));
    unsigned reported = 0;
    bool ok = true;
    char why[160];

    memset(st, 0, sizeof(*st));
    if (!cases || !ra || !rb) {
        ok = false;
        goto out;
    }
    for (uint64_t base = 0; base < o->count; base += DT_BATCH) {
        size_t n = o->count - base < DT_BATCH ? (size_t)(o->count - base) : DT_BATCH;
        for (size_t i = 0; i < n; i++) {
            uint64_t index = base + i;
            DtClass cls = o->cls >= 0 ? (DtClass)o->cls : (DtClass)(index % DT_CLASS_COUNT);
            dt_gen_case(&cases[i], o->seed, index, cls);
        }
        if (!oracle->run_batch(oracle, cases, ra, n) ||
            !subject->run_batch(subject, cases, rb, n)) {
            if (o->out) {
                fprintf(o->out, "runner failed: %s%s\n", oracle->err, subject->err);
            }
            ok = false;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            const DtCase *c = &cases[i];
            st->cases[c->cls]++;
            if (ra[i].vector >= 0) {
                st->faults[c->cls]++;
            }
            if (dt_compare(c, &ra[i], &rb[i], why, sizeof(why))) {
                continue;
            }
            st->mismatches[c->cls]++;
            st->total_mismatches++;
            if (!o->out || reported >= o->max_reports) {
                continue;
            }
            reported++;
            fprintf(o->out, "MISMATCH (%s) %s\n", dt_class_name(c->cls), why);
            DtCase m = *c;
            DtResult *ma = &ra[i], *mb = &rb[i];
            if (o->minimize && m.ngroups > 1) {
                dt_minimize(oracle, subject, &m);
                if (m.len != c->len && run_pair(oracle, subject, &m, &ra[0], &rb[0])) {
                    /* ra[0]/rb[0] are reused: this batch's results before i are done */
                    ma = &ra[0];
                    mb = &rb[0];
                    dt_compare(&m, ma, mb, why, sizeof(why));
                    fprintf(o->out, "minimal reproducer: %s\n", why);
                }
            }
            dt_print_case(o->out, &m, ma, oracle->name, mb, subject->name);
            fputc('\n', o->out);
        }
    }
    if (o->out) {
        fprintf(o->out, "%-8s %10s %10s %10s\n", "class", "cases", "faults", "mismatches");
        for (int k = 0; k < DT_CLASS_COUNT; k++) {
            if (st->cases[k]) {
                fprintf(o->out, "%-8s %10llu %10llu %10llu\n", dt_class_name(k),
                        (unsigned long long)st->cases[k], (unsigned long long)st->faults[k],
                        (unsigned long long)st->mismatches[k]);
            }
        }
    }
out:
    free(cases);
    free(ra);
    free(rb);
    return ok;
}
