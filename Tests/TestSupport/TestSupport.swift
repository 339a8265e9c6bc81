import BertTensors
import Foundation
import XCTest

/// Paths into the repository, found from this file's location so tests run from any folder.
public enum Repo {
    public static let root: String = {
        var u = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { u.deleteLastPathComponent() }
        return u.path
    }()

    public static func golden(_ rel: String) -> String { root + "/golden/" + rel }
    public static func fixture(_ rel: String) -> String { root + "/golden/fixtures/" + rel }
    public static func expected(_ rel: String) -> String { root + "/golden/expected/" + rel }

    /// all-MiniLM-L6-v2, fetched by `golden/fetch-minilm.sh` (the README's test command runs it).
    public static var miniLM: String {
        ProcessInfo.processInfo.environment["BERTKIT_MINILM"] ?? root + "/.cache/models/all-MiniLM-L6-v2"
    }

    /// all-mpnet-base-v2, fetched by `golden/fetch-mpnet.sh` (.ci/deps runs it).
    public static var mpnet: String {
        ProcessInfo.processInfo.environment["BERTKIT_MPNET"] ?? root + "/.cache/models/all-mpnet-base-v2"
    }

    /// The all-mpnet-base-v2 folder, or a test failure with the command that fetches it.
    public static func requireMPNet(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let p = mpnet
        guard FileManager.default.fileExists(atPath: p + "/model.safetensors") else {
            XCTFail("all-mpnet-base-v2 is not at \(p)\n---> HINT: run golden/fetch-mpnet.sh (.ci/deps does)", file: file, line: line)
            throw XCTSkip("all-mpnet-base-v2 missing")
        }
        return p
    }

    /// Every test folder lives under `$TMPDIR/bertkit-tests/<pid>`, removed when the test process
    /// exits, and a dead process's root (a crashed run) at the next start: a suite run copies models
    /// into hundreds of folders, and leaving them filled the disk.
    public static let testRoot: String = {
        let base = NSTemporaryDirectory() + "bertkit-tests", fm = FileManager.default
        try? fm.createDirectory(atPath: base, withIntermediateDirectories: true)
        for d in (try? fm.contentsOfDirectory(atPath: base)) ?? [] {
            if let pid = Int32(d), kill(pid, 0) != 0, errno == ESRCH { try? fm.removeItem(atPath: base + "/" + d) }
        }
        let r = base + "/\(getpid())"
        try? fm.createDirectory(atPath: r, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "bertkit-tests/\(getpid())") }
        return r
    }()

    /// The MiniLM folder, or a test failure with the command that fetches it.
    public static func requireMiniLM(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let p = miniLM
        guard FileManager.default.fileExists(atPath: p + "/model.safetensors") else {
            XCTFail("all-MiniLM-L6-v2 is not at \(p)\n---> HINT: run golden/fetch-minilm.sh (the README's test command does)",
                    file: file, line: line)
            throw XCTSkip("MiniLM missing")
        }
        return p
    }

    /// A fresh empty folder under the test process's own root (`testRoot`).
    public static func temporaryDirectory(_ name: String = #function) -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let p = testRoot + "/bertkit-test-\(safe)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}

/// Compares two float arrays: shape first, then every element within `atol + rtol·|expected|`.
/// On failure it reports max abs and rel error, the worst index and the first few differing pairs.
public func assertClose(
    _ actual: [Float], _ expected: [Float], shape: [Int]? = nil, atol: Float, rtol: Float = 0, label: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)\(shape.map { " (shape \($0))" } ?? "")",
                file: file, line: line)
        return
    }
    var maxAbs: Float = 0, maxRel: Float = 0, worst = 0, bad: [Int] = []
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        if a.isNaN != e.isNaN || (a.isInfinite || e.isInfinite) && a != e { bad.append(i); worst = i; maxAbs = .infinity; continue }
        if a.isNaN { continue }
        let d = abs(a - e)
        if d > maxAbs { maxAbs = d; worst = i }
        if e != 0 { maxRel = max(maxRel, d / abs(e)) }
        if d > atol + rtol * abs(e) { bad.append(i) }
    }
    if !bad.isEmpty {
        let pairs = bad.prefix(5).map { "[\($0)] \(actual[$0]) vs \(expected[$0])" }.joined(separator: ", ")
        XCTFail("\(label): \(bad.count)/\(actual.count) values outside atol \(atol) rtol \(rtol); max abs \(maxAbs), max rel \(maxRel), worst index \(worst); first: \(pairs)",
                file: file, line: line)
    }
}

/// Runs the built `bertkit` binary and captures its output and exit code.
public struct ToolRun {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public static var binary: String {
        // swift test builds products into the same folder as the test bundle.
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("bertkit").path
    }

    @discardableResult
    public static func run(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> ToolRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let s = stdin { inp.fileHandleForWriting.write(Data(s.utf8)) }
        try? inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a full stderr pipe cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return ToolRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }
}
