import TestSupport
import BertFormats
import BertModel
import XCTest

final class ParameterLayoutTests: XCTestCase {
    func testQueryKeyValueFormOneWeightAndOneBias() {
        let c = RandomBert.config(layers: 2, hidden: 32)
        let layout = ParameterLayout(config: c, architecture: Architecture(head: .none, pooler: true))
        for l in 0..<2 {
            let n = "encoder.layer.\(l).attention.self."
            let q = layout[n + "query.weight"]!.offset
            XCTAssertEqual(layout[n + "key.weight"]!.offset, q + 32 * 32)
            XCTAssertEqual(layout[n + "value.weight"]!.offset, q + 2 * 32 * 32)
            XCTAssertEqual(layout[n + "query.bias"]!.offset, q + 3 * 32 * 32)
            XCTAssertEqual(layout[n + "key.bias"]!.offset, q + 3 * 32 * 32 + 32)
            XCTAssertEqual(layout[n + "value.bias"]!.offset, q + 3 * 32 * 32 + 64)
        }
        // Every parameter once, back to back.
        let all = parameterTable(c, pooler: true, classifier: false)
        XCTAssertEqual(Set(layout.entries.map(\.name)), Set(all.map(\.name)))
        XCTAssertEqual(layout.count, all.reduce(0) { $0 + $1.shape.reduce(1, *) })
        var next = 0
        for e in layout.entries {
            XCTAssertEqual(e.offset, next, e.name)
            next += e.count
        }
    }
}
