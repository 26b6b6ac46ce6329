#include "concurrency_hook.h"

#include <stddef.h>

// Defined by the Swift concurrency runtime (include/swift/Runtime/ConcurrencyHooks.def).
extern void *swift_task_enqueueGlobal_hook;

bool dtma_install_enqueue_global_hook(void *hook) {
    void *expected = NULL;
    return __atomic_compare_exchange_n(&swift_task_enqueueGlobal_hook, &expected, hook, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}
