import BertFormats

// transformers models/mpnet/modeling_mpnet.py, MPNetEncoder.compute_position_bias: from
// arange(S) (the padding does not move it), bias[head, i, j] = relative_attention_bias[bucket(j − i),
// head], computed once per forward and added to every layer's scaled scores (attentionForward).

/// out[heads, S, S] from the bucket table [buckets, heads].
func relativePositionBiasForward(out: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, rule: RelativeAttentionBias,
                                 seq: Int, heads: Int) {
    for i in 0..<seq {
        for j in 0..<seq {
            let row = table + rule.bucket(relative: j - i) * heads
            for h in 0..<heads { out[(h * seq + i) * seq + j] = row[h] }
        }
    }
}

// Backward: nn.Embedding's scatter of the bias gradient into the buckets, summed over the batch
// (the bias is expanded over it) and, called once per layer, over the layers that all add it.
/// Adds dbias[B, heads, S, S] (the scores' gradient of one layer) into dtable[buckets, heads].
func relativePositionBiasBackward(dtable: UnsafeMutablePointer<Float>, dbias: UnsafePointer<Float>, rule: RelativeAttentionBias,
                                  batch: Int, seq: Int, heads: Int) {
    for i in 0..<seq {
        for j in 0..<seq {
            let row = dtable + rule.bucket(relative: j - i) * heads
            for h in 0..<heads {
                var s: Float = 0
                for b in 0..<batch { s += dbias[((b * heads + h) * seq + i) * seq + j] }
                row[h] += s
            }
        }
    }
}
