#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file (or standard input) line by line as bytes, without decoding: a line that is not
/// UTF-8 must reach `Simulation` as it is, to be reported as a dead letter.
public final class SimulationLineReader: Sequence, IteratorProtocol {
    private let file: UnsafeMutablePointer<FILE>
    private let closeAtEnd: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    /// Opens `path`; `-` is standard input.
    public init(path: String) throws(SimulationIOError) {
        if path == "-" {
            guard let f = fdopen(0, "r") else { throw SimulationIOError(message: "cannot read standard input") }
            file = f
            closeAtEnd = false
        } else {
            guard let f = fopen(path, "r") else {
                let code = errno
                throw SimulationIOError(message: "cannot read '\(path)': \(String(cString: strerror(code)))")
            }
            // fopen succeeds on a directory; reading it fails. (Checked before `self` is complete,
            // so deinit does not close `f` a second time.)
            var st = stat()
            if fstat(fileno(f), &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                fclose(f)
                throw SimulationIOError(message: "cannot read '\(path)': it is a directory")
            }
            file = f
            closeAtEnd = true
        }
    }

    deinit {
        free(buffer)
        if closeAtEnd { fclose(file) }
    }

    /// The next line without its `\n`, or `nil` at the end of the input.
    public func next() -> [UInt8]? {
        let n = getline(&buffer, &capacity, file)
        guard n >= 0, let buffer else { return nil }
        var count = n
        if count > 0, buffer[count - 1] == 0x0A { count -= 1 }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// Whether reading stopped on an error rather than at the end.
    public var failed: Bool { ferror(file) != 0 }
}

/// Buffered writes of JSON lines to a file descriptor (stdout, stderr).
public final class SimulationLineWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let limit: Int

    public init(fileDescriptor: Int32, bufferSize: Int = 64 * 1024) {
        fd = fileDescriptor
        limit = bufferSize
        buffer.reserveCapacity(bufferSize + 4096)
    }

    deinit { flush() }

    /// Appends `bytes` and a newline.
    public func writeLine(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= limit { flush() }
    }

    public func flush() {
        var offset = 0
        buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break  // closed pipe or full disk: nothing sensible left to do
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Input that cannot be read.
public struct SimulationIOError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
