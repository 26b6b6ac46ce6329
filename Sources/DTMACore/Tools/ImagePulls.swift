import DockerEngine
import FoundationEssentials
import NIOConcurrencyHelpers

/// The image pulls under way, one engine pull per image however many ask: a deploy and any
/// number of `POST /images/pull` of one image share it, each hearing its progress from when it
/// joined. Each pull's progress is in the state model (`/status`) while it runs.
public final class ImagePulls: Sendable {
    public typealias Listener = @Sendable (PullProgress) -> Void

    private struct Pull {
        var task: Task<Void, any Error>
        var listeners: [Int: Listener] = [:]
        var callers = 0
    }

    private struct Table {
        var nextListener = 0
        var pulls: [String: Pull] = [:]
    }

    /// Progress reaches the state model at most this often, and at once when a layer's status changes.
    static let stateInterval = Duration.milliseconds(500)

    private let engine: any ContainerEngine
    private let state: StateModel
    private let table = NIOLockedValueBox(Table())

    init(engine: any ContainerEngine, state: StateModel) {
        self.engine = engine
        self.state = state
    }

    /// Images being pulled now.
    public var inFlight: Set<String> { table.withLockedValue { Set($0.pulls.keys) } }

    /// Pulls `image`, or joins the pull of it already under way (then `joined` is told first);
    /// `listener` hears each progress line until the pull ends. Throws the engine's error. A caller
    /// that goes away still waits for the end of the pull (the engine would finish it anyway).
    public func pull(_ image: String, joined: @Sendable () -> Void = {}, listener: Listener? = nil) async throws {
        let (task, key, callers) = table.withLockedValue { table -> (Task<Void, any Error>, Int, Int) in
            let key = table.nextListener
            table.nextListener += 1
            if table.pulls[image] == nil { table.pulls[image] = Pull(task: Task { try await self.run(image) }) }
            if let listener { table.pulls[image]!.listeners[key] = listener }
            table.pulls[image]!.callers += 1
            return (table.pulls[image]!.task, key, table.pulls[image]!.callers)
        }
        if callers > 1 {
            joined()
            state.apply(.imagePullCallers(image: image, callers))
        }
        defer { table.withLockedValue { _ = $0.pulls[image]?.listeners.removeValue(forKey: key) } }
        try await task.value
    }

    private func run(_ image: String) async throws {
        defer {
            table.withLockedValue { _ = $0.pulls.removeValue(forKey: image) }
            state.apply(.imagePull(image: image, nil))
        }
        var progress = ImagePullProgress(image: image, startedAt: Date())
        state.apply(.imagePull(image: image, progress))
        var lastShown = ContinuousClock.now
        try await engine.pullImage(image) { line in
            let changed = progress.take(line)
            if changed || ContinuousClock.now - lastShown >= Self.stateInterval {
                lastShown = .now
                state.apply(.imagePull(image: image, progress))
            }
            for listener in table.withLockedValue({ Array(($0.pulls[image]?.listeners ?? [:]).values) }) { listener(line) }
        }
    }
}
