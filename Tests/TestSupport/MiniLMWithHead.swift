import BertFormats
import Foundation
import XCTest

/// all-MiniLM-L6-v2 (from .cache, never committed) with a head committed by golden/head_models.py:
/// `golden/fixtures/minilm-heads/NAME/{config.json, head.safetensors}`. The composed checkpoint is
/// the model the pipeline goldens ran.
public enum MiniLMWithHead {
    public static func folder(_ name: String) -> String { Repo.fixture("minilm-heads/" + name) }

    public static func checkpoint(_ name: String) throws -> Checkpoint {
        let dir = folder(name)
        var raw = try CheckpointLoader.readRaw(path: Repo.requireMiniLM())
        raw.config = try BertConfig(contentsOf: dir + "/config.json")
        let head = try SafeTensorsFile.read(path: dir + "/head.safetensors").named
        raw.tensors.entries += head.entries
        return try raw.bind()
    }
}
