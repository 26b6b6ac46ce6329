import Foundation

/// The environment for a child `dtma` the tests start: `settings`, plus the sanitizer and
/// backtrace options the test run itself has (scripts/chaos/sanitizers.sh), so that a child built
/// with a sanitizer reports the same way.
public func childEnvironment(_ settings: [String: String]) -> [String: String] {
    let inherited = ProcessInfo.processInfo.environment.filter { $0.key.hasSuffix("SAN_OPTIONS") || $0.key == "SWIFT_BACKTRACE" }
    return inherited.merging(settings) { _, own in own }
}
