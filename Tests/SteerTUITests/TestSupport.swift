#if canImport(Glibc)
import Glibc
#endif
import SteerKit
@testable import SteerTUI

/// A buffer filled with a marker, so cells nobody drew show up.
func markedBuffer(_ width: Int, _ height: Int) -> Buffer { Buffer(width: width, height: height, fill: Cell("@")) }

/// The repository's root, from this file's path (Tests/SteerTUITests/TestSupport.swift).
let repositoryRoot: String = {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

let themesDirectory = repositoryRoot + "/themes"

/// Runs `body` with a fresh directory under /tmp, removed afterwards with what it holds
/// (one level of files and directories is all the tests make).
func withScratchDirectory<T>(_ name: String, _ body: (String) throws -> T) rethrows -> T {
    let dir = "/tmp/steertop-tui-tests-\(LibC.pid)-\(name)"
    _ = LibC.makeDirectories(dir)
    defer {
        if case .success(let entries) = LibC.listDirectory(dir) {
            for e in entries where unlink(dir + "/" + e) != 0 { rmdir(dir + "/" + e) }
        }
        rmdir(dir)
    }
    return try body(dir)
}
