import BertFormats
import BertModel
import BertTensors
import BertTokenizer
import BertVerify
import Foundation
import TestSupport
import XCTest

/// The real all-mpnet-base-v2 (golden/fetch-mpnet.sh) against sentence-transformers and transformers
/// (golden/generate_mpnet_real.py). bert-base sized: the checkpoint and model are loaded once.
final class MPNetRealCheckpointTests: XCTestCase {
    nonisolated(unsafe) private static var loaded: (Checkpoint, BertModel)?

    private func model() throws -> (Checkpoint, BertModel) {
        if let m = Self.loaded { return m }
        let c = try CheckpointLoader.load(path: try Repo.requireMPNet())
        let m = (c, try BertModel(checkpoint: c))
        Self.loaded = m
        return m
    }

    override class func tearDown() { loaded = nil }

    /// config.json names MPNetForMaskedLM; the weights hold MPNetModel + pooler, as sentence-transformers loads it.
    func testTheSentenceTransformersFolderIsReadAsTheBareEncoder() throws {
        let (c, m) = try model()
        XCTAssertEqual(c.architecture.className, "MPNetModel")
        XCTAssertEqual(m.head, HeadKind.none)
        XCTAssertTrue(c.report.warnings.contains { $0.contains("MPNetForMaskedLM") && $0.contains("AutoModel") }, "\(c.report.warnings)")
        // Without modules.json the same weights under MPNetForMaskedLM are refused: lm_head is missing.
        let tensors = try SafeTensorsFile.read(path: Repo.mpnet + "/model.safetensors").named
        XCTAssertThrowsError(try Checkpoint.bind(config: BertConfig(contentsOf: Repo.mpnet + "/config.json"), tensors: tensors)) { e in
            XCTAssertTrue(((e as? LocalizedError)?.errorDescription ?? "").contains("lm_head.dense.weight"), "\(e)")
        }
    }

    /// issue 14's bar: cosine ≥ 0.99999 with SentenceTransformer.encode on every corpus text (one
    /// batch here, eight there: padding must not matter).
    func testEmbedMatchesSentenceTransformersEncode() throws {
        let (_, m) = try model()
        let golden = try SafeTensorsFile.read(path: Repo.expected("st/mpnet-corpus.safetensors"))
        let texts = try JSONParser.parse(Array(golden.metadataDictionary["texts"]!.utf8), file: "texts").arrayValue!.map { $0.stringValue! }
        let expected = try golden.named.entries.first { $0.name == "embeddings" }!.tensor.floats()
        XCTAssertEqual(expected.count, texts.count * 768)
        let got = try m.sentenceEmbeddings(m.encodeSentences(texts.map { TextInput($0) }).input)
        for (i, e) in got.enumerated() {
            let r = Array(expected[i * 768..<(i + 1) * 768])
            var dot = 0.0, ee = 0.0, rr = 0.0
            for k in 0..<768 {
                let a = Double(e[k]), b = Double(r[k])
                dot += a * b
                ee += a * a
                rr += b * b
            }
            XCTAssertGreaterThanOrEqual(dot / (ee * rr).squareRoot(), 0.99999, "text \(i): \(texts[i].prefix(40))")
        }
    }

    /// Every layer's taps and the attention probabilities (the relative bias enters each) against
    /// transformers, at the bar issue 5 set for MiniLM: 1e-4 absolute, cosine 0.99999.
    func testVerifyPassesEveryLayer() throws {
        let (_, m) = try model()
        let g = try GoldenFile.read(path: Repo.expected("mpnet.acts.safetensors"), layers: 12, head: m.head)
        let r = try Verifier.verify(model: m, golden: g)
        XCTAssertTrue(r.passed, r.taps.filter { !$0.passed }.map { "\($0.goldenName) \($0.maxAbsError)" }.joined(separator: ", "))
        XCTAssertEqual(Set(g.entries.compactMap(\.tap.layer)), Set(0..<12), "every layer compared")
        for t in r.taps {
            XCTAssertLessThanOrEqual(t.maxAbsError, 1e-4, t.goldenName)
            XCTAssertGreaterThanOrEqual(t.cosine, 0.99999, t.goldenName)
        }
    }

    /// folder → .bkm → safetensors: every tensor of the file back under its name, bit for bit.
    func testConvertRoundTripsBitForBit() throws {
        let (c, _) = try model()
        let dir = Repo.temporaryDirectory(#function)
        try CheckpointExporter.write(c, to: dir + "/m.bkm")
        let back = try BKMFile.open(path: dir + "/m.bkm").checkpoint()
        try CheckpointExporter.write(back, to: dir + "/m.safetensors")
        let source = try SafeTensorsFile.read(path: Repo.mpnet + "/model.safetensors").named
        let written = try SafeTensorsFile.read(path: dir + "/m.safetensors").named
        func bytes(_ t: RawTensor) -> [UInt8] { Array(UnsafeRawBufferPointer(t.bytes)) }
        let want = Dictionary(uniqueKeysWithValues: source.entries.filter { !$0.name.hasSuffix("position_ids") }.map { ($0.name, bytes($0.tensor)) })
        XCTAssertEqual(Set(written.entries.map(\.name)), Set(want.keys))
        for e in written.entries { XCTAssertTrue(want[e.name] == bytes(e.tensor), e.name) }
    }
}
