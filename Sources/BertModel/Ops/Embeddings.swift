import CBertKit

// transformers models/bert/modeling_bert.py, BertEmbeddings.forward: word + token type + position
// embeddings (absolute positions 0..<seq in every row), then LayerNorm (layerNormForward).

/// Rows `rows` of out[T, H] = word[ids] + type[types] + position[t % seq]. Ids were checked by
/// `BertInput`. inp: ids, types [T].
func embeddingsForward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>,
                       word: UnsafePointer<Float>, position: UnsafePointer<Float>, type: UnsafePointer<Float>,
                       rows: Range<Int>, seq: Int, hidden: Int) {
    bk_embeddings_sum_forward(out + rows.lowerBound * hidden, ids + rows.lowerBound, types + rows.lowerBound,
                              Int32(rows.lowerBound), Int32(rows.count), Int32(seq), Int32(hidden), word, position, type)
}
