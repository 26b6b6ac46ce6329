import CConcurrencyHook
import NIOCore
import NIOPosix

/// Runs Swift Concurrency's global executor on NIO's event loop (what SwiftNIO's
/// `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor` does, for a binary
/// with the Swift runtime linked in statically). A task then resumes on the thread that completed
/// its I/O instead of waking a Dispatch thread: a probe went from 18 thread switches to 4.
///
/// One loop, not one per core. Every task queued on a loop waits while the kernel leaves that
/// loop's thread waiting, and with two loops on two cores it did: a hundred containerd-shims
/// waking at once kept a runnable loop thread off the CPU for 256 ms, and `/health` under load
/// stalled 200–700 ms; with one loop no answer in the same test took 20 ms. A daemon that
/// manages tools should leave the other cores to them anyway.
///
/// Call first thing in the process; later calls return the first answer. Nothing may block a
/// task for long afterwards: it would block the whole daemon.
public enum ConcurrencyOnNIO {
    public static func install() -> Bool { installed }

    private static let installed: Bool = {
        NIOSingletons.groupLoopCountSuggestion = 1  // before anything starts the singleton group
        return dtma_install_enqueue_global_hook(unsafeBitCast(enqueueOnEventLoop, to: UnsafeMutableRawPointer.self))
    }()

    /// The group's only loop, cast once rather than on every job.
    private static let loop = MultiThreadedEventLoopGroup.singleton.next() as! any NIOSerialEventLoopExecutor

    /// The runtime's hook signature: the job, and the enqueue it replaces.
    private static let enqueueOnEventLoop: @convention(thin) (UnownedJob, @convention(thin) (UnownedJob) -> Void) -> Void = { job, _ in
        loop.enqueue(ExecutorJob(job))
    }
}
