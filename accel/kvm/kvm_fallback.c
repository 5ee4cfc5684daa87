/*
 * The KVM engine's fallback for instructions KVM cannot emulate. When KVM exits with
 * an emulation failure (a software-backed KVM such as kvm_pvm emulates guest ring 0
 * with an instruction emulator that lacks, for instance, INT3, protected-mode IRET and
 * task switches), the vCPU's state is copied into an interpreter CPU, Ember's
 * interpreter executes that one instruction (delivering any exception it raises
 * through the guest's IDT, as hardware would), and the state goes back into KVM.
 */
#include "config-host.h"

#ifdef CONFIG_KVM

#include "accel/kvm/kvm_internal.h"
#include "cpu/cpu.h"
#include "cpu/models.h"
#include "cpu/tcache.h"
#include "system/log.h"
#include "system/mainloop.h"

#include <stdlib.h>

bool kvm_fallback_step(KvmCpu *kc)
{
    X86State st;
    if (!kvm_regs_get(kc, &st)) {
        return false;
    }
    X86CPU *cpu = kc->fallback;
    if (!cpu) {
        Machine *m = kc->cpu->machine;
        cpu = kc->fallback = xzalloc(sizeof(*cpu));
        cpu->model = x86_cpu_model_default();
        cpu->index = kc->cpu->index;
        cpu_reset(cpu);
        cpu->mem = &m->as_mem;
        cpu->io = &m->as_io;
        cpu->apic_id = kc->cpu->apic_id;
        cpu->a20_mask = ~UINT64_C(0);
        cpu->one_at_a_time = true;
    }
    cpu->s = st;
    cpu->cc_op = CC_OP_EFLAGS;
    cpu->halted = false;
    cpu->triple_fault = false;
    cpu->inhibit_irq = false;
    cpu->fault_depth = 0;
    cpu_update_mode(cpu);
    cpu_tlb_flush_all_mappings(cpu);

    uint64_t rip = st.rip;
    devlock_lock();
    uint64_t n = cpu_exec(cpu, 1);
    devlock_unlock();
    if (cpu->triple_fault) {
        log_item(LOG_EXITS, "kvm: cpu%d triple fault in the interpreter's step\n",
                 kc->cpu->index);
        return false;
    }
    cpu_get_rflags(cpu);
    log_item(LOG_EXITS, "kvm: cpu%d KVM could not emulate the instruction at %#llx: the "
             "interpreter ran it (%llu retired), RIP now %#llx\n", kc->cpu->index,
             (unsigned long long)rip, (unsigned long long)n,
             (unsigned long long)cpu->s.rip);
    kc->fallback_steps++;
    return kvm_regs_put(kc, &cpu->s);
}

void kvm_fallback_free(KvmCpu *kc)
{
    if (kc->fallback) {
        if (kc->fallback->tcache) {
            tcache_free(kc->fallback->tcache);
        }
        free(kc->fallback);
        kc->fallback = NULL;
    }
}

#endif /* CONFIG_KVM */
