import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// formats/bkm.md rule B27: the header records the architecture, the head, the pooler, the ties and
/// what is carried; the tensors and config must make exactly that.
extension BKMTests {
    func pretraining() throws -> Checkpoint {
        try CheckpointLoader.load(path: Repo.fixture("formats/tiny-bert-pretraining-bin"))
    }

    func testB27TheArchitectureIsRecordedAndTheTiedDecoderStoredOnce() throws {
        let p = try validFile(checkpoint: try pretraining())
        let f = try BKMFile.open(path: p)
        XCTAssertEqual(f.architecture?.className, "BertForPreTraining")
        XCTAssertEqual(f.architecture?.head, .preTraining)
        XCTAssertEqual(f.architecture?.pooler, true)
        XCTAssertNil(f.entry("cls.predictions.decoder.weight"), "the tied decoder is the word embeddings, stored once")
        XCTAssertNotNil(f.entry("cls.seq_relationship.weight"))
        let header = BKMBytes(path: p).header
        let a = header["architecture"]?.objectValue
        XCTAssertEqual(a?["class"]?.stringValue, "BertForPreTraining")
        XCTAssertEqual(a?["tied"]?.arrayValue?.count, 2)
        XCTAssertEqual(header["load_report"]?.objectValue?["tied"]?.arrayValue?.first?.stringValue, "cls.predictions.decoder.weight")
        // Read back: the same checkpoint, the tie and the report included.
        let c = try f.checkpoint()
        XCTAssertEqual(c.architecture, try pretraining().architecture)
        XCTAssertEqual(c.report.tied, ["cls.predictions.decoder.weight"])
    }

    func testB27ARecordThatDisagreesWithTheTensorsIsRefused() throws {
        let source = try pretraining()
        func broken(_ change: @escaping (inout JSONObject) -> Void) throws -> String {
            try brokenMessage({ b in
                guard case .object(var a) = b.header["architecture"]! else { return }
                change(&a)
                b.header["architecture"] = .object(a)
            }, checkpoint: source)
        }
        var m = try broken { $0["class"] = .string("BertForMaskedLM"); $0["head"] = .string("masked-lm") }
        XCTAssertTrue(m.contains("header.architecture") && m.contains("records BertForMaskedLM") && m.contains("make BertForPreTraining"), m)
        m = try broken { $0["class"] = .string("BertLMHeadModel") }
        XCTAssertTrue(m.contains("architecture.class") && m.contains("BertLMHeadModel"), m)
        m = try broken { $0["head"] = .string("token-classification") }
        XCTAssertTrue(m.contains("architecture.head"), m)
        m = try broken { $0["tied"] = .array([]) }
        XCTAssertTrue(m.contains("architecture.tied") && m.contains("cls.predictions.decoder.weight → embeddings.word_embeddings.weight"), m)
        m = try broken { $0["carried"] = .array([.string("pooler.dense.weight")]) }
        XCTAssertTrue(m.contains("header.architecture"), m)
        m = try broken { $0["carried"] = .array([.string("lm_head.weight")]) }
        XCTAssertTrue(m.contains("architecture.carried[0]") && m.contains("not a BERT parameter"), m)
        m = try broken { $0["pooler"] = nil }
        XCTAssertTrue(m.contains("architecture.pooler: missing"), m)
    }
}
