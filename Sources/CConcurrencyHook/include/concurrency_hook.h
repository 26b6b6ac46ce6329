#ifndef DTMA_CONCURRENCY_HOOK_H
#define DTMA_CONCURRENCY_HOOK_H

#include <stdbool.h>

/// Makes `hook` the Swift runtime's global enqueue hook (`swift_task_enqueueGlobal_hook`) unless
/// one is set already; true when installed. SwiftNIO's own installer finds the hook with dlsym,
/// which cannot see it in a binary that links the Swift runtime statically, as dtma ships.
bool dtma_install_enqueue_global_hook(void *hook);

#endif
