#ifndef DTMA_CSYSTEMD_SHIM_H
#define DTMA_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

// sd_journal_send is variadic; dtma calls sd_journal_sendv with an iovec array instead, which
// Swift can call directly. Nothing else here needs a wrapper.

#endif
