/// `POST /containers/{id}/exec`: a command to run inside a running container.
public struct ExecConfig: Codable, Sendable, Equatable {
    public var cmd: [String]
    public var attachStdin: Bool
    public var attachStdout = true
    public var attachStderr = true
    public var tty = false
    public var env: [String]?
    public var workingDir: String?
    public var user: String?

    public init(cmd: [String], attachStdin: Bool = false) {
        self.cmd = cmd
        self.attachStdin = attachStdin
    }

    enum CodingKeys: String, CodingKey {
        case cmd = "Cmd", attachStdin = "AttachStdin", attachStdout = "AttachStdout", attachStderr = "AttachStderr"
        case tty = "Tty", env = "Env", workingDir = "WorkingDir", user = "User"
    }
}

/// `GET /exec/{id}/json`.
public struct ExecInspect: Codable, Sendable, Equatable {
    public var id: String
    public var running: Bool
    public var exitCode: Int?
    public var containerID: String

    enum CodingKeys: String, CodingKey {
        case id = "ID", running = "Running", exitCode = "ExitCode", containerID = "ContainerID"
    }
}

struct IDResponse: Codable, Sendable {
    var id: String
    enum CodingKeys: String, CodingKey { case id = "Id" }
}
