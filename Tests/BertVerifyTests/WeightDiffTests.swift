import BertFormats
import BertTensors
import BertVerify
import XCTest

final class WeightDiffTests: XCTestCase {
    private func checkpoint(_ params: [(String, [Float])]) throws -> Checkpoint {
        guard case .object(let o) = try JSONParser.parse(Array(#"{"vocab_size": 4, "hidden_size": 2, "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 2}"#.utf8), file: "c") else { fatalError() }
        return Checkpoint(config: try BertConfig(json: o, file: "c"), vocabulary: nil, tokenizer: nil,
                          parameters: params.map { ($0.0, RawTensor(floats: $0.1, shape: [$0.1.count])) })
    }

    func testRanksByRelativeChangeAndListsOneSided() throws {
        let a = try checkpoint([("x", [1, 0, 0, 0]), ("y", [3, 4]), ("same", [1, 2]), ("only.a", [1]), ("shape", [1, 2])])
        let b = try checkpoint([("x", [1, 0, 0, 0.5]), ("y", [3, 4.05]), ("same", [1, 2]), ("only.b", [1]), ("shape", [1, 2, 3])])
        let d = WeightDiff(a, b)
        XCTAssertEqual(d.entries.map(\.name), ["x", "y", "same"])
        XCTAssertEqual(d.entries[0].relativeChange, 0.5, accuracy: 1e-12)
        XCTAssertEqual(d.entries[1].relativeChange, 0.01, accuracy: 1e-6)
        XCTAssertEqual(d.entries[1].maxAbsDifference, 0.05, accuracy: 1e-6)
        XCTAssertTrue(d.entries[2].identical)
        XCTAssertFalse(d.entries[0].identical)
        XCTAssertEqual(d.onlyInA, ["only.a"])
        XCTAssertEqual(d.onlyInB, ["only.b"])
        XCTAssertEqual(d.shapeMismatches.map { [$0.name, "\($0.shapeA)", "\($0.shapeB)"] }, [["shape", "[2]", "[3]"]])
    }

    func testNaNRanksFirst() throws {
        let d = WeightDiff(try checkpoint([("ok", [1, 2]), ("bad", [1, 2])]), try checkpoint([("ok", [1, 3]), ("bad", [.nan, 2])]))
        XCTAssertEqual(d.entries.first?.name, "bad")
    }
}
