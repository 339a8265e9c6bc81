import BertFormats
@testable import BertModel
import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// golden/expected/pipelines/fill-mask.json (golden/generate_fill_mask.py): transformers' fill-mask
/// pipeline on MiniLM under a random masked-LM head, and under a pre-training head.
struct FillMaskGolden: Decodable {
    struct Options: Decodable {
        var top_k: Int?
        var targets: [String]?
    }
    struct Target: Decodable {
        var target: String
        var token: String?
        var id: Int?
        var in_vocabulary: Bool
    }
    struct Case: Decodable {
        var name: String
        var options: Options
        var inputs: [String]
        var outputs: [FillMaskPrediction]
        var targets: [Target]?
        var target_ids: [Int]?
    }
    struct PreTraining: Decodable {
        var model: String
        var `case`: Case
    }
    var model: String
    var mask_token: String
    var cases: [Case]
    var pre_training: PreTraining

    static func load() throws -> FillMaskGolden {
        try JSONDecoder().decode(FillMaskGolden.self, from: Data(contentsOf: URL(fileURLWithPath: Repo.expected("pipelines/fill-mask.json"))))
    }
}

/// Compares predictions: lists of the same length, token, token_str and sequence equal, scores
/// within 1e-5 (the bar; bertkit's logits match PyTorch's to ~1e-5 and these probabilities
/// are ≤ 0.01, so 1e-5 absolute is far above the rounding and far below a wrong softmax).
func assertSamePredictions(_ got: [FillMaskPrediction], _ want: [FillMaskPrediction], label: String,
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(label): texts", file: file, line: line)
    for (t, (g, w)) in zip(got, want).enumerated() {
        switch (g, w) {
        case (.oneMask, .oneMask), (.severalMasks, .severalMasks): break
        default: XCTFail("\(label) text \(t + 1): \(g) is not the same shape as \(w)", file: file, line: line)
        }
        XCTAssertEqual(g.masks.count, w.masks.count, "\(label) text \(t + 1): masks", file: file, line: line)
        for (m, (gl, wl)) in zip(g.masks, w.masks).enumerated() {
            let at = "\(label) text \(t + 1) mask \(m + 1)"
            XCTAssertEqual(gl.map(\.token), wl.map(\.token), "\(at): tokens", file: file, line: line)
            assertSameScalars(gl.map(\.tokenStr), wl.map(\.tokenStr), "\(at): token_str", file: file, line: line)
            assertSameScalars(gl.map(\.sequence), wl.map(\.sequence), "\(at): sequence", file: file, line: line)
            assertClose(gl.map { Float($0.score) }, wl.map { Float($0.score) }, atol: 1e-5, label: "\(at): score", file: file, line: line)
        }
    }
}

final class FillMaskTests: XCTestCase {
    nonisolated(unsafe) static var models: [String: BertModel] = [:]

    static func model(_ name: String) throws -> BertModel {
        if let m = models[name] { return m }
        let m = try BertModel(checkpoint: try MiniLMWithHead.checkpoint(name))
        models[name] = m
        return m
    }

    func testPredictionsEqualThePipelines() throws {
        _ = try Repo.requireMiniLM()
        let golden = try FillMaskGolden.load()
        let pipeline = try FillMask(model: try Self.model("fill-mask"))
        XCTAssertEqual(pipeline.maskToken, golden.mask_token)
        for c in golden.cases {
            var ids: [Int]? = nil
            if let targets = c.options.targets {
                let resolved = try pipeline.resolve(targets: targets)
                for (r, w) in zip(resolved, c.targets!) {
                    XCTAssertEqual(r.id, w.id, "\(c.name): target \(w.target)")
                    assertSameScalars([r.token ?? "nil"], [w.token ?? "nil"], "\(c.name): target \(w.target)")
                    XCTAssertEqual(r.inVocabulary, w.in_vocabulary, "\(c.name): target \(w.target)")
                }
                ids = resolved.compactMap(\.id)
                XCTAssertEqual(Set(ids!), Set(c.target_ids!), c.name)
            }
            // All texts of a case in one padded batch, as `run` sends them; the pipeline ran each alone.
            let out = try pipeline(c.inputs.map { TextInput($0) }, topK: c.options.top_k ?? 5, targets: ids)
            assertSamePredictions(out.predictions, c.outputs, label: c.name)
        }
    }

    func testPreTrainingHeadFillsMasks() throws {
        _ = try Repo.requireMiniLM()
        let c = try FillMaskGolden.load().pre_training.case
        let out = try FillMask(model: try Self.model("pre-training"))(c.inputs.map { TextInput($0) })
        assertSamePredictions(out.predictions, c.outputs, label: c.name)
    }

    func testTextWithoutTheMaskTokenIsRefused() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try FillMask(model: try Self.model("fill-mask"))
        // "[mask]" is not the mask token: the added token is matched as written, before lowercasing.
        for texts in [["The [MASK] sat.", "No mask here."], ["The [MASK] sat.", "A [mask] in lower case."]] {
            XCTAssertThrowsError(try pipeline(texts.map { TextInput($0) })) { e in
                XCTAssertEqual(e as? PipelineError, .badInput(index: 1, problem: "the text has no [MASK], the model's mask token"))
            }
        }
        // A mask cut off by truncation: the message says so.
        let long = String(repeating: "word ", count: 600) + "[MASK]"
        XCTAssertThrowsError(try pipeline([TextInput(long)])) { e in
            XCTAssertTrue((e as? LocalizedError)?.errorDescription?.contains("it was truncated") == true, "\(e)")
        }
        XCTAssertThrowsError(try pipeline([TextInput(long)], truncate: false)) { e in
            XCTAssertEqual(e as? ModelError, .textTooLong(row: 0, tokens: 603, limit: 512))
        }
        XCTAssertThrowsError(try pipeline([TextInput("[MASK]")], topK: 0)) { e in XCTAssertEqual(e as? FillMaskError, .badTopK(0)) }
    }

    func testTargetsThatAreNoTokenAreRefused() throws {
        _ = try Repo.requireMiniLM()
        let pipeline = try FillMask(model: try Self.model("fill-mask"))
        XCTAssertThrowsError(try pipeline.resolve(targets: ["\u{200B}", ""])) { e in
            XCTAssertEqual(e as? FillMaskError, .noUsableTarget(targets: ["\u{200B}", ""]))
        }
    }

    func testOtherHeadsAreRefusedNamingTheHead() throws {
        _ = try Repo.requireMiniLM()
        XCTAssertThrowsError(try FillMask(model: try Self.model("next-sentence"))) { e in
            XCTAssertEqual(e as? PipelineError, .taskNotSupported(task: "fill-mask", architecture: "BertForNextSentencePrediction",
                                                                  supportedBy: ["BertForMaskedLM", "BertForPreTraining"]))
        }
    }

    func testTopIndicesTakesTheLargestFirstAndLowerIndexOnTies() {
        let v: [Float] = [0.1, 0.5, 0.3, 0.5, -1, 0.7, 0.2, 0.3]
        XCTAssertEqual(topIndices(v, 3), [5, 1, 3])
        XCTAssertEqual(topIndices(v, 5), [5, 1, 3, 2, 7])
        XCTAssertEqual(topIndices(v, 20), [5, 1, 3, 2, 7, 6, 0, 4])
        // The windowed path (k · 16 < n) against a full sort.
        let many = (0..<1000).map { Float(($0 * 7919) % 1009) / 1009 }
        XCTAssertEqual(topIndices(many, 12), Array(many.indices.sorted { many[$0] > many[$1] || many[$0] == many[$1] && $0 < $1 }.prefix(12)))
    }
}
