import BertFormats
import BertTensors
import Foundation

/// One parser under fuzzing. `check` feeds it bytes and checks the invariants every input must
/// keep: the reader returns or throws a `BertKitError` whose message names the file it was given
/// (never traps, never throws a Foundation or untyped error), and what it accepts survives the
/// round trip the tool would make with it. Hangs and memory are bounded by libFuzzer's
/// `-timeout` and `-rss_limit_mb` (.ci/fuzz). Fuzz/README.md lists the targets and their seeds.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case safetensors
    case safetensorsIndex = "safetensors-index"
    case bkm
    case zip
    case pickle
    case json
    case config
    case vocab
    case tokenizerJSON = "tokenizer-json"
    case tokenizerConfig = "tokenizer-config"
    case vocabMerges = "vocab-merges"
    case sentencePiece = "sentencepiece"
    case charsmap
    case csv
    case jsonl
    case golden
    case hdf5

    public enum Outcome: Equatable, Sendable {
        case accepted
        /// The reader refused the input with this message.
        case refused(String)
    }

    /// Runs the target on one input. Throws `InvariantViolation` when an invariant breaks.
    public func check(_ bytes: UnsafeRawBufferPointer) throws -> Outcome {
        let file = Scratch.shared.path(for: self)
        do {
            try run(bytes, file: file)
            return .accepted
        } catch let v as InvariantViolation {
            throw v
        } catch let e as BertKitError {
            let message = e.errorDescription ?? ""
            guard !message.isEmpty else { throw InvariantViolation("\(type(of: e)) has no message: \(e)") }
            guard message.contains(file) else {
                throw InvariantViolation("the message does not name \(file): \(message)")
            }
            return .refused(message)
        } catch {
            throw InvariantViolation("not a typed bertkit error: \(type(of: error)): \(error)")
        }
    }

    public func check(_ bytes: [UInt8]) throws -> Outcome { try bytes.withUnsafeBytes { try check($0) } }

    private func run(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        switch self {
        case .safetensors: try Targets.safetensors(bytes, file: file)
        case .safetensorsIndex: try Targets.safetensorsIndex(bytes, file: file)
        case .bkm: try Targets.bkm(bytes, file: file)
        case .zip: try Targets.zip(bytes, file: file)
        case .pickle: try Targets.pickle(bytes, file: file)
        case .json: try Targets.json(bytes, file: file)
        case .config: try Targets.config(bytes, file: file)
        case .vocab: try Targets.vocab(bytes, file: file)
        case .tokenizerJSON: try Targets.tokenizerJSON(bytes, file: file)
        case .tokenizerConfig: try Targets.tokenizerConfig(bytes, file: file)
        case .vocabMerges: try Targets.vocabMerges(bytes, file: file)
        case .sentencePiece: try Targets.sentencePiece(bytes, file: file)
        case .charsmap: try Targets.charsmap(bytes, file: file)
        case .csv: try Targets.csv(bytes, file: file)
        case .jsonl: try Targets.jsonl(bytes, file: file)
        case .golden: try Targets.golden(bytes, file: file)
        case .hdf5: try Targets.hdf5(bytes, file: file)
        }
    }

    /// The file name the reader sees (the scratch copy of the input for readers that take a path).
    var fileName: String {
        switch self {
        case .safetensors, .golden: "input.safetensors"
        case .safetensorsIndex: "model.safetensors.index.json"
        case .bkm: "input.bkm"
        case .zip: "pytorch_model.bin"
        case .pickle: "data.pkl"
        case .json: "input.json"
        case .config: "config.json"
        case .vocab: "vocab.txt"
        case .tokenizerJSON: "tokenizer.json"
        case .tokenizerConfig: "tokenizer_config.json"
        case .vocabMerges: "vocab.json+merges.txt"
        case .sentencePiece: "sentencepiece.bpe.model"
        case .charsmap: "precompiled_charsmap"
        case .csv: "train.csv"
        case .jsonl: "inputs.jsonl"
        case .hdf5: "model.h5"
        }
    }

    /// Whether the reader takes a path, so the input is written to `file` first.
    var readsAFile: Bool {
        switch self {
        case .safetensorsIndex, .vocab, .tokenizerJSON, .tokenizerConfig, .csv, .jsonl, .hdf5: true
        default: false
        }
    }

    /// libFuzzer's entry: runs `check` and aborts on a broken invariant, so that libFuzzer keeps
    /// the input as a crash. Returns 0 (libFuzzer's "keep going").
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: data == nil ? 0 : size)
        do {
            _ = try check(bytes)
        } catch {
            FileHandle.standardError.write(Data("bertkit fuzz \(rawValue): invariant broken: \(error)\n".utf8))
            abort()
        }
        return 0
    }
}

/// An invariant a fuzz input broke.
public struct InvariantViolation: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
