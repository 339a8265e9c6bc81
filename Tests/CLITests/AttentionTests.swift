import Foundation
import TestSupport
import XCTest

final class AttentionCLITests: XCTestCase {
    /// Reads one F32 tensor from a safetensors file (8-byte header length, JSON header, data).
    func tensor(_ path: String, _ name: String) throws -> (shape: [Int], values: [Float]) {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(d.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: d.subdata(in: 8..<(8 + n))) as! [String: Any]
        let e = header[name] as! [String: Any]
        let offsets = e["data_offsets"] as! [Int]
        let raw = d.subdata(in: (8 + n + offsets[0])..<(8 + n + offsets[1]))
        let values = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (e["shape"] as! [Int], values)
    }

    func testCellsEqualTheForwardsProbabilities() throws {
        let dir = Repo.temporaryDirectory()
        let text = "the cat sat on the mat"
        let svgPath = dir + "/a.svg", dump = dir + "/acts.safetensors"
        let r = try ToolRun.run(["attention", Repo.fixture("tiny-bert"), text, "--layer", "1", "--head", "1", "-o", svgPath])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try ToolRun.run(["dump", Repo.fixture("tiny-bert"), text, "-o", dump]).status, 0)
        let (shape, probs) = try tensor(dump, "encoder.layer.1.attention.probs")
        let s = shape[3]
        let svg = try XMLNode.parse(try String(contentsOfFile: svgPath, encoding: .utf8))
        let cells = svg.all("rect").filter { $0.attributes["data-value"] != nil }
        XCTAssertEqual(cells.count, s * s)
        for c in cells {
            let i = Int(c.attributes["data-row"]!)!, j = Int(c.attributes["data-col"]!)!
            // data-value is printed with 6 decimals.
            XCTAssertEqual(Double(c.attributes["data-value"]!)!, Double(probs[(1 * s + i) * s + j]), accuracy: 5.1e-7, "cell \(i),\(j)")
        }
        let labels = svg.all("text").map(\.text)
        XCTAssertTrue(labels.contains("[CLS]") && labels.contains("cat"), "\(labels)")

        let grid = dir + "/g.svg"
        XCTAssertEqual(try ToolRun.run(["attention", Repo.fixture("tiny-bert"), text, "--grid", "-o", grid]).status, 0)
        let g = try XMLNode.parse(try String(contentsOfFile: grid, encoding: .utf8))
        XCTAssertEqual(g.all("rect").filter { $0.attributes["data-value"] != nil }.count, shape[0] * 2 * shape[1] * s * s,
                       "every layer × head (tiny-bert has 2 layers)")
    }
}
