import DockerEngine

/// The registry digest of an image as the engine has it (`RepoDigests`: `name@sha256:…`), for
/// the labels and reports of what was deployed, and for the check of a digest a request pinned.
enum ImageDigest {
    /// The digest a reference pins (`name@sha256:…`); nil for a tag.
    static func pinned(_ reference: String) -> String? {
        ImageReference(parsing: reference).map(\.tagOrDigest).flatMap { $0.hasPrefix("sha256:") ? $0 : nil }
    }

    /// The image's digest at the reference's repository (any repository's when none matches, as
    /// for a Docker Hub name the engine shortens); nil for an image no registry served.
    static func resolved(_ reference: String, repoDigests: [String]?) -> String? {
        let entries = (repoDigests ?? []).compactMap { entry -> (name: Substring, digest: String)? in
            guard let at = entry.lastIndex(of: "@") else { return nil }
            return (entry[..<at], String(entry[entry.index(after: at)...]))
        }
        let name = ImageReference(parsing: reference)?.name
        if let pinned = pinned(reference), entries.contains(where: { $0.digest == pinned }) { return pinned }
        return (entries.first { name != nil && String($0.name) == name } ?? entries.first)?.digest
    }
}
