/// The Fixtures folder beside the test sources (Package.swift excludes it from the build).
func fixturesDirectory() -> String {
    let file = #filePath
    return String(file[..<(file.lastIndex(of: "/") ?? file.startIndex)]) + "/Fixtures"
}
