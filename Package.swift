// swift-tools-version:6.1
import PackageDescription

// Layers, bottom to top (each depends only on the ones above it in this list):
//   CBertKit / CHDF5   C shims: OpenBLAS loader, CPU features, CRC32C; libhdf5 via pkg-config
//   BertTensors        dtypes, tensors, half floats, BLAS, mapped files, atomic writes
//   BertFormats        config.json, vocab, safetensors, .bkm, HDF5, PyTorch .bin, the weight-name table
//   BertTokenizer      BertTokenizer-identical WordPiece; tokenizer.json pipelines (BPE, Unigram), SentencePiece models
//   BertModel          forward + backward, optimizers, fine-tuning
//   BertVerify         goldens, verify, diff, validate, SVG/HTML pictures
//   bertkit            the command-line tool (the only target that imports ArgumentParser)
//   BertFuzz           the fuzz targets' checks (Fuzz/Harness); the regression tests replay them
let package = Package(
    name: "BertKit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bertkit", targets: ["bertkit"]),
        .library(name: "BertKit", targets: ["BertTensors", "BertFormats", "BertTokenizer", "BertModel", "BertVerify"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // The kernels between the GEMMs are always optimised: a debug build of the tests (and the
        // fine-tuning test in it) would otherwise spend minutes in unoptimised C loops.
        .target(name: "CBertKit", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "BertTensors", dependencies: [
            "CBertKit",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BertFormats", dependencies: ["BertTensors", "CHDF5"]),
        // SwiftProtobuf reads SentencePiece model files (SentencePiece/SentencePieceModel.pb.swift).
        .target(name: "BertTokenizer", dependencies: ["BertFormats", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["SentencePiece/sentencepiece_model.proto"]),
        // Optimised even in debug builds: the training kernels' SIMD code is ~10x slower unoptimised,
        // which would put the learnability test (a real fine-tuning) far over its time budget.
        .target(name: "BertModel", dependencies: ["BertTensors", "BertFormats", "BertTokenizer"],
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "BertVerify", dependencies: ["BertModel"]),
        .executableTarget(name: "bertkit", dependencies: [
            "BertVerify",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["BertTensors", "BertFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "BertTensorsTests", dependencies: ["BertTensors", "TestSupport"]),
        .testTarget(name: "BertFormatsTests", dependencies: ["BertFormats", "TestSupport"]),
        .testTarget(name: "BertTokenizerTests", dependencies: ["BertTokenizer", "TestSupport"]),
        .testTarget(name: "BertModelTests", dependencies: ["BertModel", "BertVerify", "TestSupport"]),
        .testTarget(name: "BertVerifyTests", dependencies: ["BertVerify", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
        .target(name: "BertFuzz", dependencies: ["BertTensors", "BertFormats", "BertTokenizer", "BertVerify"], path: "Fuzz/Harness"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["BertFuzz", "TestSupport"]),
    ]
)

// The libFuzzer executables, one per FuzzTarget, exist only for fuzz builds (.ci/fuzz):
//   BERTKIT_FUZZ=1 swift build -c debug --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address
// Elsewhere they would not link (LLVMFuzzerRunDriver comes with -sanitize=fuzzer). A fuzz build
// is the libraries and the targets alone: the tool does not link with -sanitize=fuzzer, and the
// tests are not needed.
if Context.environment["BERTKIT_FUZZ"] != nil {
    package.products.removeAll { $0.name == "bertkit" }
    package.targets.removeAll { $0.name == "bertkit" || $0.name == "TestSupport" || $0.type == .test }
    for name in ["safetensors", "safetensors-index", "bkm", "zip", "pickle", "json", "config", "vocab", "tokenizer-json",
                 "tokenizer-config", "vocab-merges", "sentencepiece", "charsmap", "csv", "jsonl", "golden", "hdf5"] {
        package.targets.append(.executableTarget(name: "fuzz-" + name, dependencies: ["BertFuzz"], path: "Fuzz/Targets/fuzz-" + name))
    }
}
