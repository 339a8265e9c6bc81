import BertFormats
import BertTensors
import Foundation
import TestSupport
import XCTest

/// formats/bkm.md B27 for the other families: `architecture.model_type` is the config's, `class` one
/// of that family's classes; the canonical tensor names are the same in every family and the
/// family's spelling comes back on export.
extension BKMTests {
    func testB27ARobertaFileRecordsItsFamilyAndRoundTripsItsNames() throws {
        let source = try FamilyFixtures.checkpoint("roberta-sequence-classification")
        let p = try validFile(checkpoint: source)
        let f = try BKMFile.open(path: p)
        XCTAssertEqual(f.architecture?.className, "RobertaForSequenceClassification")
        XCTAssertEqual(BKMBytes(path: p).header["architecture"]?.objectValue?["model_type"]?.stringValue, "roberta")
        XCTAssertNotNil(f.entry("classifier.dense.weight"))
        XCTAssertEqual(f.entry("classifier.weight")?.sourceName, "classifier.out_proj.weight")
        let back = try f.checkpoint()
        XCTAssertEqual(back.architecture, source.architecture)
        let names = CheckpointExporter.huggingFaceTensors(back).map(\.name)
        let file = try SafeTensorsFile.read(path: FamilyFixtures.weights("roberta-sequence-classification", "safetensors")).named.entries.map(\.name)
        XCTAssertEqual(Set(names), Set(file), "written back under RoBERTa's names (roberta.…, classifier.out_proj.…)")
    }

    func testB27ARobertaRecordOfAnotherFamilyIsRefused() throws {
        let source = try FamilyFixtures.checkpoint("roberta-masked-lm")
        func broken(_ change: @escaping (inout JSONObject) -> Void) throws -> String {
            try brokenMessage({ b in
                guard case .object(var a) = b.header["architecture"]! else { return }
                change(&a)
                b.header["architecture"] = .object(a)
            }, checkpoint: source)
        }
        var m = try broken { $0["model_type"] = .string("bert") }
        XCTAssertTrue(m.contains("architecture.model_type") && m.contains("\"bert\" disagrees with the config's model_type \"roberta\""), m)
        m = try broken { $0["class"] = .string("BertForMaskedLM") }
        XCTAssertTrue(m.contains("architecture.class") && m.contains("not a RoBERTa class") && m.contains("RobertaForMaskedLM"), m)
        m = try broken { $0["class"] = .string("RobertaForCausalLM") }
        XCTAssertTrue(m.contains("architecture.class") && m.contains("RobertaForCausalLM"), m)
    }
}
