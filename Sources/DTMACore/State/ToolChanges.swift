import NIOConcurrencyHelpers

/// Which tools changed since a subscriber last looked. Names pile up in a set while the subscriber
/// is busy (bounded by the number of tools, whatever the rate of changes), and it wakes with all of
/// them at once. Its owner may name tools itself (`recheck`), to look at them again on a timer.
/// Iteration ends when the iterating task is cancelled.
public final class ToolChanges: AsyncSequence, Sendable {
    public typealias Element = Set<String>

    private struct Pending {
        var names: Set<String> = []
        var waiter: CheckedContinuation<Set<String>?, Never>?
        var finished = false
    }

    private let pending = NIOLockedValueBox(Pending())

    init(startingWith names: Set<String>) {
        pending.withLockedValue { $0.names = names }
    }

    /// Adds names to the next wake-up.
    public func recheck(_ names: Set<String>) {
        guard !names.isEmpty else { return }
        let wake = pending.withLockedValue { pending -> (CheckedContinuation<Set<String>?, Never>, Set<String>)? in
            guard !pending.finished else { return nil }
            pending.names.formUnion(names)
            guard let waiter = pending.waiter else { return nil }
            defer { (pending.waiter, pending.names) = (nil, []) }
            return (waiter, pending.names)
        }
        if let (waiter, names) = wake { waiter.resume(returning: names) }
    }

    /// The names changed since the last call, waiting for at least one; nil once cancelled.
    func next() async -> Set<String>? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = pending.withLockedValue { pending -> Set<String>?? in
                    if pending.finished || Task.isCancelled {
                        pending.finished = true
                        return .some(nil)
                    }
                    guard pending.names.isEmpty else {
                        defer { pending.names = [] }
                        return .some(pending.names)
                    }
                    pending.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = pending.withLockedValue { pending -> CheckedContinuation<Set<String>?, Never>? in
                pending.finished = true
                defer { pending.waiter = nil }
                return pending.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let changes: ToolChanges
        public mutating func next() async -> Set<String>? { await changes.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(changes: self) }
}

/// Hands the names of changed tools to every live `ToolChanges`; a subscription nobody holds any
/// more is dropped at the next change.
final class ToolChangeFeed: Sendable {
    private struct Subscriber {
        weak var changes: ToolChanges?
    }

    private let subscribers = NIOLockedValueBox<[Subscriber]>([])

    func subscribe(startingWith names: Set<String>) -> ToolChanges {
        let changes = ToolChanges(startingWith: names)
        subscribers.withLockedValue { $0.append(Subscriber(changes: changes)) }
        return changes
    }

    func publish(_ names: Set<String>) {
        guard !names.isEmpty else { return }
        let live = subscribers.withLockedValue { subscribers in
            subscribers.removeAll { $0.changes == nil }
            return subscribers.compactMap(\.changes)
        }
        for changes in live { changes.recheck(names) }
    }
}
