import JSONScanning

/// The keys a deploy body may have, at every depth. `JSONDecoder` ignores a key it does not know
/// and keeps one of two equal keys, so `"privileged": true` or a second `"HostConfig"` would be
/// dropped while the caller believes it got what it asked for. The body is read once more against
/// this shape first: an unknown key (in any case) or a repeated one is a 400 naming it.
indirect enum DeployKeys: Sendable {
    /// A value whose keys, if it has any, are not dtma's business (the decoder checks its type).
    case value
    /// An object with exactly these keys, each optional.
    case object([String: DeployKeys])
    /// An object whose keys are the caller's (labels, port bindings), each value of one shape.
    case map(DeployKeys)
    /// An array whose elements have one shape.
    case array(DeployKeys)

    /// What `POST /tools` accepts: contract.md's body and dtma's additions, nothing else.
    static let deployBody = DeployKeys.object([
        "dockerImageUrl": .value,
        "instanceNameOnToolbox": .value,
        "accountToolInstanceId": .value,
        "publicPorts": .value,
        "labels": .map(.value),
        "mcpTransportType": .value,
        "mcpEndpointPath": .value,
        "resourceTemplate": .value,
        "resources": .object(["memoryMB": .value, "cpus": .value, "pids": .value, "diskMB": .value]),
        "probe": .object([
            "transport": .value, "port": .value, "path": .value, "periodSeconds": .value, "timeoutSeconds": .value,
            "initialDelaySeconds": .value, "failureThreshold": .value, "successThreshold": .value, "action": .value,
        ]),
        "baseConfigOverrideJson": .object([
            "Env": .value, "Cmd": .value, "Entrypoint": .value, "WorkingDir": .value, "User": .value,
            "Labels": .map(.value),
            "HostConfig": .object([
                "PortBindings": .map(.array(.object(["HostIp": .value, "HostPort": .value]))),
                "Memory": .value, "NanoCpus": .value, "PidsLimit": .value,
                "RestartPolicy": .object(["Name": .value, "MaximumRetryCount": .value]),
                "CapAdd": .value, "ReadonlyRootfs": .value,
                // Read so that a request for them gets its own refusal (DeployRequest.refuseHostAccess).
                "Privileged": .value, "Binds": .value, "Mounts": .value, "Devices": .value,
                "NetworkMode": .value, "PidMode": .value, "IpcMode": .value,
            ]),
        ]),
    ])

    /// A server of `/mcp/groups` and `/mcp/validate`: a deploy body, and what the control plane's
    /// second generation adds to it (`portBindings`, `environmentVariables`, and its own records of
    /// the server, which dtma accepts and does not act on).
    static let serverItem = deployBody.adding([
        "portBindings": .map(.array(.object(["HostIp": .value, "HostPort": .value]))),
        "environmentVariables": .map(.value),
        "mcpServerCapabilities": .value, "mcpDiscoveryMetadata": .value, "requiredOAuthProviders": .value,
    ])

    /// `POST /mcp/groups`.
    static let groupBody = DeployKeys.object([
        "groupId": .value,
        "servers": .array(serverItem),
        "options": .object(["sharedNetworking": .value, "dependencyOrder": .value, "maxConcurrentDeployments": .value, "healthTimeoutMs": .value]),
    ])

    /// `POST /mcp/validate`.
    static let validateBody = DeployKeys.object(["servers": .array(serverItem)])

    private func adding(_ more: [String: DeployKeys]) -> DeployKeys {
        guard case .object(let members) = self else { return self }
        return .object(members.merging(more) { _, new in new })
    }

    /// Throws for the first key this shape does not have, or the first key an object repeats.
    func audit(_ body: [UInt8]) throws(ToolSpecError) {
        do {
            try JSONScanner.document(body) { scanner in try check(&scanner, at: "") }
        } catch let error as ToolSpecError {
            throw error
        } catch {
            throw ToolSpecError(.invalidJSON, field: nil, "the body is not valid JSON")
        }
    }

    private func check(_ scanner: inout JSONScanner, at path: String) throws {
        switch self {
        case .value:
            try scanner.skipValue()
        case .array(let element):
            var index = 0
            try scanner.elements { scanner in
                try element.check(&scanner, at: "\(path)[\(index)]")
                index += 1
            }
        case .object, .map:
            var seen = Set<String>()
            try scanner.members { key, scanner in
                let field = path.isEmpty ? Self.shown(key) : "\(path).\(Self.shown(key))"
                guard seen.insert(key).inserted else {
                    throw ToolSpecError(.invalidJSON, field: field, "\(field) is given twice")
                }
                guard let shape = self.member(key) else {
                    throw ToolSpecError(.notSupported, field: field, "\(field) is not a setting dtma supports")
                }
                try shape.check(&scanner, at: field)
            }
        }
    }

    /// A key as an error may name it: printable, and short.
    private static func shown(_ key: String) -> String {
        let printable = String(key.unicodeScalars.map { $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" })
        return printable.count > 64 ? printable.prefix(64) + "…" : printable
    }

    private func member(_ key: String) -> DeployKeys? {
        switch self {
        case .object(let members): members[key]
        case .map(let shape): shape
        case .value, .array: nil
        }
    }
}
