// libFuzzer targets for the parsers that take bytes other people wrote (issue 12):
// STEERFUZZ_TARGET picks one of record, rules, theme, snapshot, iperf, keys. Built by `fuzz/run`
// with -sanitize=fuzzer,address. SwiftPM links an executable's entry point as
// `steerfuzz_main`, so that calls libFuzzer's driver (LLVMFuzzerRunDriver) with the target.
#if canImport(Glibc)
import Glibc
#endif
import SteerKit
import SteerTUI

let target: String = {
    guard let p = getenv("STEERFUZZ_TARGET") else { return "record" }
    return String(cString: p)
}()
nonisolated(unsafe) let scratch = TemporaryDirectory(prefix: "steerfuzz")

/// int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t)) in libFuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("steerfuzz_main")
public func steerfuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, { data, size in fuzzOne(data, size) })
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    switch target {
    case "record":
        // The line decoder (replay's) and the text escaping of whatever it decoded.
        if let record = try? RecordCodec.decode(bytes) { _ = TerminalText.escape("\(record)") }
    case "rules":
        // One definition of validity: replay's decoder and stats' reader must agree on
        // every line, for the same kind of reason; a disagreement is a crash to keep.
        var replay: JSONError?
        do throws(JSONError) { _ = try RecordCodec.decode(bytes) } catch { replay = error }
        let stats = RunExtractor.verdict(bytes)
        if (replay == nil) != (stats == nil) || replay?.category != stats?.category {
            fatalError("replay and stats disagree: \(replay?.description ?? "taken") vs \(stats?.description ?? "taken")")
        }
    case "theme":
        let text = String(decoding: bytes, as: UTF8.self)
        _ = Theme.parse(text, name: "fuzz", file: "fuzz.theme")
    case "snapshot":
        // The loader reads a file: bounded read, JSON, types, names, then the value check.
        let path = scratch.file("s.json")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if fd >= 0 {
            _ = write(fd, data, size)
            close(fd)
        }
        if let s = try? Snapshot.load(path) { _ = SnapshotCheck.problems(s, possibleCPUs: 64) }
    case "iperf":
        var parser = IperfParser(maxLineBytes: 4096, maxDocumentBytes: 1 << 16)
        var events = parser.feed(bytes)
        parser.finish(into: &events)
    case "keys":
        var decoder = KeyDecoder()
        for b in bytes { _ = decoder.feed(.byte(b)) }
        _ = decoder.timeOut()
    default:
        fatalError("STEERFUZZ_TARGET must be record, rules, theme, snapshot, iperf or keys")
    }
    return 0
}
