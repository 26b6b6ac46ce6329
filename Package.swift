// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "dtma",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dtma", targets: ["dtma"]),
        .library(name: "HTTP1", targets: ["HTTP1"]),
        .library(name: "HTTP1Client", targets: ["HTTP1Client"]),
        .library(name: "DockerEngine", targets: ["DockerEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // No default traits: "FullFoundation" would link Foundation and ICU (~40 MB) for URL-encoded forms.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Pure HTTP/1.1 codec and the engine's stream framings: bytes in, events out, no I/O.
        .target(name: "HTTP1"),
        // Sets the Swift runtime's global enqueue hook, so that tasks can run on NIO's event loops.
        .target(name: "CConcurrencyHook"),
        // An HTTP/1.1 client on SwiftNIO driving HTTP1: bounded keep-alive pool, streams, upgrades.
        .target(
            name: "HTTP1Client",
            dependencies: [
                "HTTP1",
                "CConcurrencyHook",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // JSON read from bytes, only what the caller asks for: a scanner, and a Decoder on it.
        .target(name: "JSONScanning"),
        // The Docker Engine API client over the unix socket (or TCP).
        .target(
            name: "DockerEngine",
            dependencies: [
                "HTTP1",
                "HTTP1Client",
                "JSONScanning",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A small MCP client, just enough to judge a server's health over Streamable HTTP (later SSE, stdio).
        .target(name: "MCPProbe", dependencies: ["HTTP1", "HTTP1Client", "JSONScanning"]),
        .target(
            name: "MCPStdio",
            dependencies: [
                "HTTP1Client", "JSONScanning", "MCPProbe",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // libcurl, for HTTPS to the control plane (Debian libcurl4-openssl-dev).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The control plane's side: an HTTPS client on libcurl, heartbeats, secrets.
        .target(
            name: "ControlPlane",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // libsystemd (Debian libsystemd-dev): sd_notify, the watchdog, the journal.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // Life under systemd: READY/STATUS/STOPPING, a watchdog that proves the event loops answer, journald logs.
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // glibc's malloc_trim, for giving a flood's memory back.
        .target(name: "CMalloc"),
        // The domain: tool specs, the tool manager, the state model, configuration, system figures.
        .target(
            name: "DTMACore",
            dependencies: [
                "CMalloc",
                "HTTP1",
                "DockerEngine",
                "HTTP1Client",
                "ControlPlane",
                "JSONScanning",
                "MCPProbe",
                "MCPStdio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The MCP gateway: a Streamable HTTP endpoint per hosted server, sessions mapped to the servers'.
        .target(
            name: "MCPGateway",
            dependencies: [
                "DTMACore", "HTTP1", "HTTP1Client", "JSONScanning", "MCPStdio",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The control plane's API on Hummingbird: routes, bearer auth, JSON errors.
        .target(
            name: "DTMAServer",
            dependencies: [
                "DTMACore",
                "DockerEngine",
                "HTTP1",
                "JSONScanning",
                "MCPGateway",
                "MCPStdio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // The composition root: every service of `dtma serve`, wired from a configuration.
        .target(
            name: "DTMARuntime",
            dependencies: [
                "ControlPlane", "DTMACore", "DTMAServer", "DockerEngine", "MCPGateway",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "dtma",
            dependencies: [
                "DTMARuntime",
                "ControlPlane",
                "DockerEngine",
                "DTMACore",
                "HTTP1",
                "HTTP1Client",
                "DTMAServer",
                "Systemd",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Benchmark driver for scripts/bench/engine.sh; not part of the daemon.
        .executableTarget(
            name: "EngineBench",
            dependencies: ["DockerEngine", "HTTP1", "HTTP1Client"]
        ),
        // Benchmark driver for scripts/bench/probe.sh; not part of the daemon.
        .executableTarget(
            name: "ProbeBench",
            dependencies: ["DTMACore", "DockerEngine", "HTTP1Client", "MCPProbe", "MCPStdio"]
        ),
        .testTarget(name: "DTMACoreTests", dependencies: ["DTMACore", "JSONScanning", "MCPProbe", "MCPStdio", "DTMATestSupport"]),
        .testTarget(name: "MCPProbeTests", dependencies: ["MCPProbe", "JSONScanning", "DTMATestSupport"]),
        .testTarget(name: "MCPGatewayTests", dependencies: ["MCPGateway", "MCPStdio", "DTMATestSupport"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "DTMATestSupport"]),
        // Shared by the test targets: the stand-in control plane, polling helpers.
        .target(
            name: "DTMATestSupport",
            dependencies: ["ControlPlane", "DTMACore", "DockerEngine", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Tests/Support", exclude: ["Fixtures"]),
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: ["ControlPlane", "DTMATestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "DTMAServerTests",
            dependencies: [
                "DTMAServer", "DTMARuntime", "DTMACore", "HTTP1Client", "JSONScanning", "MCPProbe", "DTMATestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], resources: [.copy("Recorded")]),
        .testTarget(
            name: "DockerEngineTests",
            dependencies: [
                "DockerEngine",
                "DTMATestSupport",
                "JSONScanning",
                "HTTP1",
                "HTTP1Client",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
