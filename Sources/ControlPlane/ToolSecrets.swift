extension ControlPlaneClient {
    public static let secretsPath = "/fetch-tool-secrets"

    /// `POST /fetch-tool-secrets {"tool_instance_db_id": …}` → `{"secrets": {"NAME": "value" | null}}`.
    /// Null means "not set". The values are never logged, by this client or its callers.
    public func fetchToolSecrets(toolInstanceID: String) async throws -> [String: String?] {
        struct Request: Encodable {
            var toolInstanceDBID: String
            enum CodingKeys: String, CodingKey { case toolInstanceDBID = "tool_instance_db_id" }
        }
        struct Answer: Decodable {
            var secrets: [String: String?]
        }
        return try await post(Self.secretsPath, Request(toolInstanceDBID: toolInstanceID), expecting: Answer.self).secrets
    }
}
