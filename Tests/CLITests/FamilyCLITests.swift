import BertFormats
import Foundation
import TestSupport
import XCTest

/// The RoBERTa / XLM-RoBERTa / ELECTRA / DistilBERT / MPNet fixtures (golden/generate_roberta.py, generate_electra.py,
/// generate_distilbert.py, generate_mpnet.py) through the command line: convert,
/// verify, run (transformers' pipelines: golden/expected/families/pipelines.json and
/// question-answering.json, golden/generate_family_pipelines.py), embed, diff, validate, attention,
/// finetune and evaluate.
final class FamilyCLITests: XCTestCase {
    static func pipelines() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("families/pipelines.json")))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func folder(_ name: String, _ format: String = "safetensors") -> String { FamilyFixtures.folder(name, format) }

    func json(_ r: ToolRun, file: StaticString = #filePath, line: UInt = #line) -> Any? {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    // MARK: convert, inspect, verify

    /// A folder → .bkm → folder: the tokenizer files come back byte for byte, the tensors under RoBERTa's
    /// names (the library tests compare every byte of every fixture); the .bkm alone verifies.
    func testConvertRoundTripsAFolderAndTheBKMVerifies() throws {
        let dir = Repo.temporaryDirectory()
        for name in ["roberta-masked-lm", "xlmr-token-classification"] {
            let bkm = dir + "/\(name).bkm", out = dir + "/\(name)-out"
            let c = try ToolRun.run(["convert", folder(name), bkm])
            XCTAssertEqual(c.status, 0, c.stderr)
            let back = try ToolRun.run(["convert", bkm, out])
            XCTAssertEqual(back.status, 0, back.stderr)
            // The slow files (vocab.json + merges.txt, sentencepiece.bpe.model) are carried only when the
            // tokenizer is built from them (tok-wire's rule); these folders have a tokenizer.json.
            for f in ["tokenizer.json", "tokenizer_config.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: out + "/" + f), FileManager.default.contents(atPath: folder(name) + "/" + f),
                               "\(name): \(f) byte for byte")
            }
            let inspect = try ToolRun.run(["inspect", bkm])
            XCTAssertEqual(inspect.status, 0, inspect.stderr)
            let cls = name.hasPrefix("roberta") ? "RobertaForMaskedLM" : "XLMRobertaForTokenClassification"
            XCTAssertTrue(inspect.stdout.contains("architecture: \(cls): \(name.hasPrefix("roberta") ? "roberta" : "xlm-roberta") encoder"), inspect.stdout)
            let v = try ToolRun.run(["verify", bkm, Repo.expected("families/\(name).acts.safetensors")])
            XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
        }
    }

    /// Every source format converts (Keras included) and verifies against the same golden; mpnet-pooler's
    /// golden holds a 170-token text, so relative distances past 128 (the shared last bucket) are checked.
    func testEveryFormatConvertsAndVerifies() throws {
        let dir = Repo.temporaryDirectory()
        let names: Set = ["roberta-sequence-classification", "xlmr-masked-lm", "mpnet-pooler"]
        for (name, _, formats) in FamilyFixtures.all where names.contains(name) {
            for format in formats {
                let bkm = dir + "/\(name)-\(format).bkm"
                let c = try ToolRun.run(["convert", folder(name, format), bkm])
                XCTAssertEqual(c.status, 0, "\(name) \(format): " + c.stderr)
                let v = try ToolRun.run(["verify", bkm, Repo.expected("families/\(name).acts.safetensors")])
                XCTAssertEqual(v.status, 0, "\(name) \(format): " + v.stdout + v.stderr)
            }
        }
    }

    // MARK: run = transformers' pipelines

    func testFillMaskIsThePipelines() throws {
        let golden = try Self.pipelines()["fill-mask"] as! [String: [[String: Any]]]
        for (name, cases) in golden.sorted(by: { $0.key < $1.key }) {
            let inputs = cases.map { $0["input"] as! String }
            let got = json(try ToolRun.run(["run", folder(name)] + inputs + ["--top-k", "3", "--json"])) as? [[[String: Any]]] ?? []
            XCTAssertEqual(got.count, cases.count, name)
            for (g, c) in zip(got, cases) {
                let want = c["output"] as! [[String: Any]]
                XCTAssertEqual(g.map { $0["token"] as? Int }, want.map { $0["token"] as? Int }, "\(name): \(c["input"]!)")
                XCTAssertEqual(g.map { $0["token_str"] as? String }, want.map { $0["token_str"] as? String }, "\(name): \(c["input"]!)")
                XCTAssertEqual(g.map { $0["sequence"] as? String }, want.map { $0["sequence"] as? String }, "\(name): \(c["input"]!)")
                // Softmax of logits that agree with PyTorch's to ~1e-6 (verify); the pipelines' bar is 1e-5.
                assertClose(g.map { Float($0["score"] as! Double) }, want.map { Float($0["score"] as! Double) }, atol: 1e-5, label: name)
            }
        }
    }

    func testTextClassificationScoresAreThePipelines() throws {
        let golden = try Self.pipelines()["text-classification"] as! [String: [[String: Any]]]
        for (name, cases) in golden.sorted(by: { $0.key < $1.key }) {
            let inputs = cases.map { $0["input"] as! String }
            let got = json(try ToolRun.run(["run", folder(name)] + inputs + ["--json"])) as? [[String: Any]] ?? []
            XCTAssertEqual(got.count, cases.count, name)
            for (g, c) in zip(got, cases) {
                let want = c["output"] as! [[String: Any]]
                let scores = g["scores"] as? [String: Double] ?? [:]
                // bertkit labels a regression by its value; the pipeline by LABEL_0 (whose score is the value).
                if !name.hasSuffix("-regression") { XCTAssertEqual(g["label"] as? String, want[0]["label"] as? String, "\(name): \(c["input"]!)") }
                // The pipeline's softmax / sigmoid / identity of logits within ~1e-6 of PyTorch's.
                for w in want {
                    XCTAssertEqual(scores[w["label"] as! String] ?? .nan, w["score"] as! Double, accuracy: 1e-5, "\(name): \(c["input"]!)")
                }
            }
        }
    }

    /// Word grouping over byte-level BPE (`Ġ` starts a word) and SentencePiece (`▁`), with the
    /// pipeline's character offsets, for every aggregation strategy.
    func testTokenClassificationIsThePipelinesForEveryAggregation() throws {
        let golden = try Self.pipelines()["token-classification"] as! [String: [String: [[String: Any]]]]
        for (name, strategies) in golden.sorted(by: { $0.key < $1.key }) {
            for (strategy, cases) in strategies.sorted(by: { $0.key < $1.key }) {
                let inputs = cases.map { $0["input"] as! String }
                let got = json(try ToolRun.run(["run", folder(name)] + inputs + ["--json", "--aggregation", strategy])) as? [[[String: Any]]] ?? []
                XCTAssertEqual(got.count, cases.count, "\(name) \(strategy)")
                for (i, (g, c)) in zip(got, cases).enumerated() {
                    // Probabilities from logits within ~1e-6 of PyTorch's; the pipelines' bar is 1e-5.
                    assertEntities(g, c["output"] as! [[String: Any]], scoreTolerance: 1e-5, label: "\(name) \(strategy) text \(i + 1)")
                }
            }
        }
    }

    /// transformers 4.57.6's question-answering pipeline (5.x removed it).
    func testQuestionAnsweringIsThePipelines() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Repo.expected("families/question-answering.json")))
        let golden = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        // The pipeline's top_k: it keeps top_k * 2 + 10 spans per window before summing those with the same
        // text, so another top_k can reorder the answers (DistilBERT's "When was the meeting?"). The golden
        // holds the answers above the last (the last only checks the gap below them).
        let topK = golden["top_k"] as! Int
        for name in golden.keys.sorted() where name.hasSuffix("-question-answering") {
            for c in golden[name] as! [[String: Any]] {
                let want = c["output"] as! [[String: Any]]
                let r = try ToolRun.run(["run", folder(name), "--question", c["question"] as! String, "--context", c["context"] as! String,
                                         "--top-k", String(topK), "--json"])
                let all = (json(r) as? [Any])?.first.flatMap { ($0 as? [[String: Any]]) ?? ($0 as? [String: Any]).map { [$0] } } ?? []
                let got = Array(all.prefix(want.count))
                XCTAssertEqual(got.map { $0["answer"] as? String }, want.map { $0["answer"] as? String }, "\(name): \(c["question"]!)")
                XCTAssertEqual(got.map { $0["start"] as? Int }, want.map { $0["start"] as? Int }, "\(name)")
                XCTAssertEqual(got.map { $0["end"] as? Int }, want.map { $0["end"] as? Int }, "\(name)")
                // Products of two softmaxes of logits within ~1e-6 of PyTorch's.
                assertClose(got.map { Float($0["score"] as! Double) }, want.map { Float($0["score"] as! Double) }, atol: 1e-5, label: name)
            }
        }
    }

    func testMultipleChoiceScoresAreTheModels() throws {
        let golden = try Self.pipelines()["multiple-choice"] as! [String: [[String: Any]]]
        for (name, cases) in golden.sorted(by: { $0.key < $1.key }) {
            for c in cases {
                let choices = c["choices"] as! [String], want = c["output"] as! [[String: Any]]
                let r = try ToolRun.run(["run", folder(name), c["context"] as! String] + choices.flatMap { ["--choice", $0] } + ["--json"])
                let got = (json(r) as? [[[String: Any]]])?.first ?? []
                XCTAssertEqual(got.map { $0["choice"] as? String }, choices, name)
                // Softmax over the choices of logits within ~1e-6 of PyTorch's.
                assertClose(got.map { Float($0["score"] as! Double) }, want.map { Float($0["score"] as! Double) }, atol: 1e-5, label: name)
            }
        }
    }

    /// `embed` with the sentence-transformers Pooling (mean) + Normalize on a RoBERTa, an ELECTRA and a DistilBERT
    /// encoder, against sentence-transformers' own `sentence_embedding` (the golden record.py wrote).
    func testEmbedIsSentenceTransformers() throws {
        for name in ["roberta-sentence-transformers", "electra-sentence-transformers", "distilbert-sentence-transformers",
                     "albert-sentence-transformers"] {
            try assertEmbedIsSentenceTransformers(name)
        }
    }

    func assertEmbedIsSentenceTransformers(_ name: String) throws {
        let g = try SafeTensorsFile.read(path: Repo.expected("families/\(name).acts.safetensors"))
        let texts = try JSONDecoder().decode([AnyTexts].self, from: Data(g.metadataDictionary["texts"]!.utf8))
        let single = texts.compactMap(\.single)
        let want = g["sentence_embedding"]!.floats(), d = g["sentence_embedding"]!.shape[1]
        let r = try ToolRun.run(["embed", Repo.fixture("families/\(name)")] + single + ["--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = CLI.json(r.stdout)
        let rows = o["embeddings"] as? [[Double]] ?? []
        for (k, t) in texts.enumerated() where t.single != nil {
            let i = single.firstIndex(of: t.single!)!
            // Mean pooling and L2 normalisation of hidden states within ~1e-6 of PyTorch's.
            assertClose(rows[i].map { Float($0) }, Array(want[k * d..<(k + 1) * d]), atol: 1e-5, label: "\(name) text \(k + 1)")
        }
    }

    /// A golden's `texts` entry: one text, or a text and its pair.
    struct AnyTexts: Decodable {
        var single: String?
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            single = try? c.decode(String.self)
        }
    }

    // MARK: diff, validate, attention

    func testDiffValidateAndAttentionWorkUnchanged() throws {
        for (name, other) in [("roberta-sequence-classification", "roberta-regression"), ("electra-sequence-classification", "electra-multi-label"),
                              ("distilbert-sequence-classification", "distilbert-regression"),
                              ("mpnet-sequence-classification", "mpnet-regression"),
                              ("albert-sequence-classification", "albert-multiple-choice")] {
            try assertDiffValidateAndAttentionWork(name, other: other)
        }
    }

    func assertDiffValidateAndAttentionWork(_ name: String, other otherName: String) throws {
        let dir = Repo.temporaryDirectory(name)
        let golden = Repo.expected("families/\(name).acts.safetensors")
        let d = try ToolRun.run(["diff", folder(name), golden])
        XCTAssertEqual(d.status, 0, d.stdout + d.stderr)
        let same = try ToolRun.run(["diff", folder(name), folder(name, "keras"), "--text", "Hello world!"])
        XCTAssertEqual(same.status, 0, same.stdout + same.stderr)
        let other = try ToolRun.run(["diff", folder(name), folder(otherName), "--text", "Hello world!"])
        XCTAssertNotEqual(other.status, 0, "two different models differ")
        let v = try ToolRun.run(["validate", folder(name), "--golden", golden, "--json"])
        XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
        let a = try ToolRun.run(["attention", folder(name), "The cat sat on the mat.", "-o", dir + "/a.svg"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let svg = try String(contentsOfFile: dir + "/a.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"), "an SVG")
    }

    // MARK: limits

    /// 66 positions with pad 1 serve 64 tokens: a longer text is truncated to 64 by default (and says
    /// so) and refused with --no-truncate, naming the numbers.
    func testALongTextIsCutToTheUsablePositions() throws {
        let long = String(repeating: "the cat sat on the mat ", count: 40)
        let r = try ToolRun.run(["run", folder("roberta-sequence-classification"), long, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("truncated to 64"), r.stderr)
        let refused = try ToolRun.run(["run", folder("roberta-sequence-classification"), long, "--no-truncate"])
        CLI.assertBadInput(refused, names: ["64"])
    }

    // MARK: finetune, evaluate

    /// Every task fine-tunes a RoBERTa / XLM-R checkpoint (a new head where the task needs one), saves a
    /// checkpoint that loads and evaluates, and writes transformers' names back.
    func testFinetuneAndEvaluateEveryTask() throws {
        let dir = Repo.temporaryDirectory()
        let data = Repo.golden("data")
        let tinyText = dir + "/tiny-vocab-texts.txt"
        try (0..<16).map { k in ["the cat sat on the mat.", "the team won the game today.", "stock prices rose in the city.",
                                 "the quick brown fox jumps over the lazy dog."][k % 4] }.joined(separator: "\n").appending("\n")
            .write(toFile: tinyText, atomically: true, encoding: .utf8)
        let tasks: [(String, String, [String], [String])] = [
            ("roberta-pooler", "sequence-classification", ["--train", data + "/text-label.csv", "--labels", "World,Sports,Business,Sci/Tech"],
             ["--data", data + "/text-label.csv"]),
            ("roberta-pooler", "sequence-classification", ["--train", data + "/problems/topics.csv", "--problem-type", "multi_label_classification",
                                                           "--labels", "sport,money,tech"], ["--data", data + "/problems/topics.csv"]),
            ("xlmr-pooler", "token-classification", ["--train", data + "/ner/train.conll"], ["--data", data + "/ner/test.conll"]),
            ("roberta-masked-lm", "masked-lm", ["--train", data + "/mlm/train.txt"], ["--data", data + "/mlm/heldout.txt"]),
            // 64 positions: windows of 64 tokens advancing by 16 (run_qa's defaults, 384 / 128, do not fit).
            ("roberta-pooler", "question-answering", ["--train", data + "/squad-mini/train.json", "--max-seq-len", "64", "--doc-stride", "16"],
             ["--data", data + "/squad-mini/dev.jsonl", "--max-seq-len", "64", "--doc-stride", "16"]),
            ("xlmr-pooler", "multiple-choice", ["--train", data + "/multiple-choice/train.csv"], ["--data", data + "/multiple-choice/test.csv"]),
            // ELECTRA (golden/generate_electra.py): new heads on the bare encoder through embeddings_project
            // (SequenceSummary for multiple choice), and the generator.
            ("electra-model", "sequence-classification", ["--train", data + "/text-label.csv", "--labels", "World,Sports,Business,Sci/Tech"],
             ["--data", data + "/text-label.csv"]),
            ("electra-model", "token-classification", ["--train", data + "/ner/train.conll"], ["--data", data + "/ner/test.conll"]),
            ("electra-masked-lm", "masked-lm", ["--train", data + "/mlm/train.txt"], ["--data", data + "/mlm/heldout.txt"]),
            ("electra-model", "question-answering", ["--train", data + "/squad-mini/train.json", "--max-seq-len", "64", "--doc-stride", "16"],
             ["--data", data + "/squad-mini/dev.jsonl", "--max-seq-len", "64", "--doc-stride", "16"]),
            ("electra-model", "multiple-choice", ["--train", data + "/multiple-choice/train.csv"], ["--data", data + "/multiple-choice/test.csv"]),
            // DistilBERT: a new pre_classifier + classifier on token 0, no token types; 40 positions (the longest
            // question leaves 6 context tokens a window, so a stride of 4).
            ("distilbert-base", "sequence-classification", ["--train", data + "/problems/topics.csv", "--problem-type", "multi_label_classification",
                                                            "--labels", "sport,money,tech"], ["--data", data + "/problems/topics.csv"]),
            ("distilbert-base", "token-classification", ["--train", data + "/ner/train.conll"], ["--data", data + "/ner/test.conll"]),
            // The fixture's 217-token vocabulary makes mlm/train.txt all [UNK] (special, never masked): texts in its words.
            ("distilbert-masked-lm", "masked-lm", ["--train", tinyText], ["--data", tinyText]),
            ("distilbert-base", "question-answering", ["--train", data + "/squad-mini/train.json", "--max-seq-len", "40", "--doc-stride", "4"],
             ["--data", data + "/squad-mini/dev.jsonl", "--max-seq-len", "40", "--doc-stride", "4"]),
            ("distilbert-base", "multiple-choice", ["--train", data + "/multiple-choice/train.csv"], ["--data", data + "/multiple-choice/test.csv"]),
            // MPNet (golden/generate_mpnet.py): the relative position bias trains with every head; no token
            // types; new RoBERTa-like heads on `<s>`, multiple choice on the pooler (mpnet-pooler has one).
            ("mpnet-no-pooler", "sequence-classification", ["--train", data + "/text-label.csv", "--labels", "World,Sports,Business,Sci/Tech"],
             ["--data", data + "/text-label.csv"]),
            ("mpnet-no-pooler", "sequence-classification", ["--train", data + "/problems/topics.csv", "--problem-type", "multi_label_classification",
                                                            "--labels", "sport,money,tech"], ["--data", data + "/problems/topics.csv"]),
            ("mpnet-no-pooler", "token-classification", ["--train", data + "/ner/train.conll"], ["--data", data + "/ner/test.conll"]),
            ("mpnet-masked-lm", "masked-lm", ["--train", data + "/mlm/train.txt"], ["--data", data + "/mlm/heldout.txt"]),
            // 64 positions; the 600-piece vocabulary makes the longest squad-mini question 45 tokens, which
            // leaves a window 15 context tokens: a stride of 8.
            ("mpnet-no-pooler", "question-answering", ["--train", data + "/squad-mini/train.json", "--max-seq-len", "64", "--doc-stride", "8"],
             ["--data", data + "/squad-mini/dev.jsonl", "--max-seq-len", "64", "--doc-stride", "8"]),
            ("mpnet-pooler", "multiple-choice", ["--train", data + "/multiple-choice/train.csv"], ["--data", data + "/multiple-choice/test.csv"]),
            // ALBERT (golden/generate_albert.py): shared layers (4 over 2 groups; model-inner2 2 per group), new
            // pooled heads on the bare encoder, the embedding_size-wide MLM and pre-training (MLM + sentence order).
            ("albert-model", "sequence-classification", ["--train", data + "/text-label.csv", "--labels", "World,Sports,Business,Sci/Tech"],
             ["--data", data + "/text-label.csv"]),
            ("albert-model-inner2", "token-classification", ["--train", data + "/ner/train.conll"], ["--data", data + "/ner/test.conll"]),
            ("albert-masked-lm", "masked-lm", ["--train", data + "/mlm/train.txt"], ["--data", data + "/mlm/heldout.txt"]),
            ("albert-model", "question-answering", ["--train", data + "/squad-mini/train.json", "--max-seq-len", "64", "--doc-stride", "16"],
             ["--data", data + "/squad-mini/dev.jsonl", "--max-seq-len", "64", "--doc-stride", "16"]),
            ("albert-model", "multiple-choice", ["--train", data + "/multiple-choice/train.csv"], ["--data", data + "/multiple-choice/test.csv"]),
        ]
        for (k, (model, task, train, eval)) in tasks.enumerated() {
            let out = dir + "/m\(k).bkm"
            let f = try ToolRun.run(["finetune", folder(model), "--task", task] + train + ["--steps", "3", "--lr", "1e-3", "--seed", "1", "-o", out])
            XCTAssertEqual(f.status, 0, "\(model) \(task): " + f.stderr)
            let e = try ToolRun.run(["evaluate", out] + eval + ["--json"])
            XCTAssertEqual(e.status, 0, "\(model) \(task): " + e.stderr)
            let folderOut = dir + "/m\(k)"
            XCTAssertEqual(try ToolRun.run(["convert", out, folderOut]).status, 0)
            let config = try String(contentsOfFile: folderOut + "/config.json", encoding: .utf8)
            let prefix = model.hasPrefix("roberta") ? "\"Roberta" : model.hasPrefix("xlmr") ? "\"XLMRoberta"
                : model.hasPrefix("distilbert") ? "\"DistilBert" : model.hasPrefix("mpnet") ? "\"MPNet"
                : model.hasPrefix("albert") ? "\"Albert" : "\"Electra"
            XCTAssertTrue(config.contains(prefix), "\(task): \(config.prefix(400))")
            if model.hasPrefix("mpnet") {
                // One bias table serves every layer; each head's loss reaches it, and it is written back under MPNet's name.
                let bias = "mpnet.encoder.relative_attention_bias.weight"
                let trained = try SafeTensorsFile.read(path: folderOut + "/model.safetensors")[bias]?.floats()
                // The bare MPNetModel fixtures store it unprefixed.
                let source = try SafeTensorsFile.read(path: folder(model) + "/model.safetensors")
                let before = (source[bias] ?? source["encoder.relative_attention_bias.weight"])?.floats()
                XCTAssertNotNil(trained, "\(model) \(task): \(bias) written back")
                XCTAssertNotNil(before, "\(model): the fixture's relative position bias")
                XCTAssertNotEqual(trained, before, "\(model) \(task): 3 steps at lr 1e-3 move the relative position bias")
            }
        }
    }

    /// AlbertForPreTraining: `run --task next-sentence` reports the sentence-order head (label 0: A then
    /// B in their order, as NSP's "is next") as the softmax of the golden's `sop_logits` (record.py on the
    /// pair "[MASK] won the game?" / "The team [MASK]."); without --task the masked LM fills the mask.
    func testAlbertPreTrainingRunsItsSentenceOrderHeadAsNextSentence() throws {
        let g = try SafeTensorsFile.read(path: Repo.expected("families/albert-pre-training.acts.safetensors"))
        let logits = g["sop_logits"]!.floats()
        XCTAssertEqual(g["sop_logits"]!.shape, [3, 2])
        let (a, b) = (logits[2], logits[3])  // row 1: the pair
        let isNext = 1 / (1 + exp(b - a))
        let r = try ToolRun.run(["run", folder("albert-pre-training"), "[MASK] won the game?", "--pair", "The team [MASK].",
                                 "--task", "next-sentence", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Double]]) ?? []
        // Softmax of logits within ~1e-6 of PyTorch's (FamilyGoldenTests).
        XCTAssertEqual(got.first?["is_next"] ?? -1, Double(isNext), accuracy: 1e-5, r.stdout)
        XCTAssertEqual(got.first?["not_next"] ?? -1, Double(1 - isNext), accuracy: 1e-5, r.stdout)
        let m = try ToolRun.run(["run", folder("albert-pre-training"), "The cat sat on the [MASK].", "--json"])
        XCTAssertEqual(m.status, 0, m.stderr)
    }

    /// RoBERTa has no next-sentence head: asking for one is refused by name.
    func testAHeadTheFamilyLacksIsRefusedByName() throws {
        let r = try ToolRun.run(["run", folder("roberta-pooler"), "Hello", "--task", "next-sentence", "--pair", "World"])
        CLI.assertBadInput(r, names: ["next-sentence", "RobertaModel"])
        let d = try ToolRun.run(["run", folder("distilbert-base"), "Hello", "--task", "next-sentence", "--pair", "World"])
        CLI.assertBadInput(d, names: ["next-sentence", "DistilBertModel"])
        let m = try ToolRun.run(["run", folder("mpnet-pooler"), "Hello", "--task", "next-sentence", "--pair", "World"])
        CLI.assertBadInput(m, names: ["next-sentence", "MPNetModel"])
    }
}
