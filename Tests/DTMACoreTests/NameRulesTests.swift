@testable import DTMACore
import Testing

@Suite("Name rules")
struct NameRulesTests {
    @Test("image references", arguments: [
        ("busybox", true), ("busybox:1.36", true), ("library/busybox:latest", true), ("ghcr.io/acme/tool:v1.2-rc.1", true),
        ("localhost:5000/tool", true), ("registry.example.com:443/a/b/c@sha256:" + String(repeating: "a", count: 64), true),
        ("my_tool__x", true), ("a-b--c", true),
        ("", false), ("Busybox", false), ("busybox:", false), ("-busybox", false), ("busybox-", false), ("a//b", false),
        ("a/b:t@sha256:123", false), ("busybox:tag with space", false), (String(repeating: "a", count: 256), false),
        ("a___b", false), ("a.-b", false),
        ("../x", false), ("..:5000/x", false), ("-a.b/x", false), ("a-.b/x", false), ("host:+5000/x", false),
        ("sha256:1672ae7c9fdf", false), ("sha256:" + String(repeating: "a", count: 64), true), (String(repeating: "a", count: 64), false),
        ("1672ae7c9fdf", true), ("127.0.0.1:5000/dtma-test/busybox:latest", true),
    ])
    func images(reference: String, valid: Bool) {
        #expect(NameRules.isImageReference(reference) == valid)
    }

    @Test("instance names", arguments: [
        ("weather-1", true), ("a", false), ("a1", true), ("A.b_c-9", true),
        ("", false), (".hidden", false), ("a/b", false), ("a..b", false), ("a b", false), ("ü", false),
    ])
    func instances(name: String, valid: Bool) {
        #expect(NameRules.isInstanceName(name) == valid)
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("known vectors (FIPS 180-4 examples)", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(input: String, digest: String) {
        #expect(SHA256.hexDigest(Array(input.utf8)) == digest)
    }

    @Test("a million a's")
    func long() {
        #expect(SHA256.hexDigest([UInt8](repeating: 0x61, count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
