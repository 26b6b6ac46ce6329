import ArgumentParser
import DTMACore
import FoundationEssentials
import HTTP1
import HTTP1Client

/// Where the CLI finds the daemon on this machine: dtma's own settings give the port and the key.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: "Env file with the daemon's settings (KEY=value lines).")
    var envFile: String = DTMAConfig.defaultEnvFile

    @Option(name: .long, help: "The daemon's address (default: http://127.0.0.1 and DTMA_PORT from the settings).")
    var url: String?
}

/// The daemon's API as the CLI calls it.
struct LocalDaemon {
    let client: HTTP1Client
    let key: String
    let address: String

    init(_ options: DaemonOptions) throws {
        let config: DTMAConfig
        do {
            config = try DTMAConfig.load(environment: ProcessInfo.processInfo.environment, envFile: options.envFile)
        } catch {
            throw CLIError("cannot read dtma's settings: \(error)")
        }
        var host = ["0.0.0.0", "::", ""].contains(config.listenHost) ? "127.0.0.1" : config.listenHost
        var port = config.listenPort
        if let url = options.url {
            guard let parsed = Self.hostAndPort(url) else { throw CLIError("--url must look like http://127.0.0.1:30000") }
            (host, port) = parsed
        }
        var configuration = HTTP1Client.Configuration()
        configuration.connectTimeout = .seconds(3)
        configuration.requestTimeout = .seconds(600)  // a deploy waits for its image pull
        client = HTTP1Client(endpoint: .tcp(host: host, port: port), configuration: configuration)
        key = config.inboundKeys[0]
        address = "http://\(host):\(port)"
    }

    static func hostAndPort(_ url: String) -> (String, Int)? {
        guard url.hasPrefix("http://") else { return nil }
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" }
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) else { return nil }
        return (String(authority[..<colon]).trimmingBrackets, port)
    }

    func request(_ method: String, _ path: String, body: [UInt8]? = nil) -> HTTP1Request {
        var headers: HTTP1Headers = ["Authorization": "Bearer \(key)"]
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        return HTTP1Request(method: method, target: path, headers: headers, body: body)
    }

    /// The answer's body when 2xx; otherwise the API's own words as the error.
    func call(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        let response: HTTP1Response
        do {
            response = try await client.execute(request(method, path, body: body))
        } catch {
            throw CLIError("cannot reach dtma at \(address): \(error) (is `systemctl status dtma` running?)")
        }
        guard (200..<300).contains(response.status) else { throw CLIError(apiFailure: response.status, body: response.body) }
        return response.body
    }
}

/// What the API says when it refuses: `{"success": false, "error": "…", "code": "…"}`.
struct APIAnswer: Decodable {
    var success: Bool?
    var message: String?
    var error: String?
    var code: String?
}

/// A failure the CLI reports in one line and exits 1 with.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    init(apiFailure status: Int, body: [UInt8]) {
        let answer = try? JSONDecoder().decode(APIAnswer.self, from: Data(body))
        let words = answer?.error ?? answer?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        description = "dtma answered \(status): \(words)\(answer?.code.map { " (\($0))" } ?? "")"
    }
}

extension StringProtocol {
    var trimmingBrackets: String { String(self.drop { $0 == "[" }.reversed().drop { $0 == "]" }.reversed()) }
}

/// Runs a client command: a `CLIError` is one line on stderr and exit status 1.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        printToStandardError("dtma: \(error)")
        throw ExitCode.failure
    }
}
