import Foundation
import Testing

/// scripts/test.sh runs the suites in two passes: `parallel` (DTMA_TEST_PASS=parallel), every suite
/// that needs neither a Docker engine nor the machine to itself, in parallel and without dockerd;
/// then `serial`, everything one suite at a time. Unset, every suite runs.
public enum TestPass {
    public static let current = ProcessInfo.processInfo.environment["DTMA_TEST_PASS"]
    static var isParallel: Bool { current == "parallel" }

    /// Where `DTMA_REQUIRE_DOCKER=1` (scripts/test.sh, CI) a missing engine fails the engine suites;
    /// elsewhere they are skipped when the socket is absent.
    public static let engineAvailable = ProcessInfo.processInfo.environment["DTMA_REQUIRE_DOCKER"] == "1"
        || FileManager.default.fileExists(atPath: "/var/run/docker.sock")
}

extension Trait where Self == ConditionTrait {
    /// The suite needs a real Docker engine: it runs in the serial pass.
    public static var requiresEngine: Self {
        .enabled(if: TestPass.engineAvailable && !TestPass.isParallel, "needs a Docker engine (serial pass)")
    }

    /// The suite needs the machine to itself (real processes, timing, the release binary): it runs
    /// in the serial pass.
    public static var serialPass: Self {
        .enabled(if: !TestPass.isParallel, "runs in the serial pass")
    }
}
