/// A growable byte buffer with a read cursor, shared by every incremental decoder in this module.
///
/// Decoders append whatever arrives from the socket and consume from the front; consumed bytes are
/// reclaimed lazily so that feeding one byte at a time stays linear.
struct ByteQueue: Sendable {
    private var storage: [UInt8] = []
    private(set) var readIndex = 0

    var readableCount: Int { storage.count - readIndex }
    var isEmpty: Bool { readIndex == storage.count }

    mutating func append<Bytes: Sequence>(contentsOf bytes: Bytes) where Bytes.Element == UInt8 {
        compactIfWorthwhile()
        storage.append(contentsOf: bytes)
    }

    subscript(offset: Int) -> UInt8 { storage[readIndex + offset] }

    /// Offset (from the read cursor) of the first `byte` at or after `offset`, if any.
    func firstOffset(of byte: UInt8, from offset: Int = 0) -> Int? {
        var i = readIndex + offset
        while i < storage.count {
            if storage[i] == byte { return i - readIndex }
            i += 1
        }
        return nil
    }

    /// Removes and returns the first `count` readable bytes.
    mutating func read(_ count: Int) -> [UInt8] {
        precondition(count <= readableCount)
        let bytes = Array(storage[readIndex..<readIndex + count])
        readIndex += count
        return bytes
    }

    /// Returns the first `count` readable bytes without consuming them.
    func peek(_ count: Int) -> ArraySlice<UInt8> {
        storage[readIndex..<readIndex + count]
    }

    mutating func skip(_ count: Int) {
        precondition(count <= readableCount)
        readIndex += count
    }

    mutating func readAll() -> [UInt8] { read(readableCount) }

    private mutating func compactIfWorthwhile() {
        if readIndex == storage.count {
            storage.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 4096, readIndex >= storage.count / 2 {
            storage.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
