import Foundation

/// Where the `xiecha` executable under test is.
///
/// 1. `XIECHA_BINARY` (scripts/test.sh sets it to `.build/debug/xiecha`);
/// 2. next to this test bundle (the same scratch path and configuration, so the same build);
/// 3. `.build/debug/xiecha` in the repository (found from this file's location).
enum XiechaBinary {
    /// The repository root, from this file's location (Tests/XiechaWorkersTests/Support/…).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // XiechaWorkersTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository

    static var candidates: [URL] {
        var out: [URL] = []
        if let env = ProcessInfo.processInfo.environment["XIECHA_BINARY"], !env.isEmpty {
            out.append(URL(fileURLWithPath: env))
            return out  // explicit: use it or fail, never fall back to another build
        }
        // The test bundle lives in <scratch>/<triple>/<config>/xiechaPackageTests.xctest (Linux: an
        // executable); `xiecha` is built next to it.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<3 {
            out.append(dir.appendingPathComponent("xiecha"))
            if dir.lastPathComponent.hasSuffix(".xctest") || dir.lastPathComponent == "Contents" || dir.lastPathComponent == "MacOS" {
                dir = dir.deletingLastPathComponent()
            } else {
                break
            }
        }
        out.append(repositoryRoot.appendingPathComponent(".build/debug/xiecha"))
        return out
    }

    /// The executable, or a failure naming every place looked at.
    static func url() throws -> URL {
        let fm = FileManager.default
        for c in candidates where fm.isExecutableFile(atPath: c.path) { return c }
        throw TestFailure(
            "no xiecha executable; looked at \(candidates.map(\.path)). Build it (swift build --product xiecha) "
                + "or set XIECHA_BINARY")
    }
}
