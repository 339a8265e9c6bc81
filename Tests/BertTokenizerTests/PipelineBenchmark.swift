import BertTokenizer
import Foundation
import TestSupport
import XCTest

/// Not a timed test: golden/bench-tokenizer-pipelines.py runs it (release build) with
/// BERTKIT_PIPELINE_BENCH=<texts.jsonl> and reads the figures it prints; otherwise it is skipped.
final class PipelineBenchmark: XCTestCase {
    func testThroughput() throws {
        guard let path = ProcessInfo.processInfo.environment["BERTKIT_PIPELINE_BENCH"] else {
            throw XCTSkip("set BERTKIT_PIPELINE_BENCH to a JSONL file of texts (golden/bench-tokenizer-pipelines.py does)")
        }
        let texts = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }.map { $0["text"] as! String }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        for name in ["roberta-bpe", "xlmr-unigram", "albert-unigram"] {
            let tok = try PipelineTokenizer(tokenizerJSON: Repo.fixture("tokenizers/\(name)/tokenizer.json"))
            for t in texts.prefix(200) { _ = try tok.encode(t) }  // warm up
            var best = Double.infinity, tokens = 0
            for _ in 0..<3 {
                tokens = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for t in texts { tokens += try tok.encode(t).ids.count }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            print(String(format: "BENCH bertkit %@ %.4f s %d texts %d bytes %d tokens", name, best, texts.count, bytes, tokens))
        }
    }
}
