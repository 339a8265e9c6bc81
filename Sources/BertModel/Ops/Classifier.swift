// transformers modeling_bert.py, BertForSequenceClassification: logits = classifier(pooled output)
// (its dropout is the identity at inference).

/// logits[B, L] = pooled[B, H] · weight[L, H]ᵀ + bias.
func classifierForward(logits: UnsafeMutablePointer<Float>, pooled: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, batch: Int, features h: Int, labels: Int) {
    linearBiasRows(out: logits, bias: bias, rows: 0..<batch, cols: labels)
    linearAccumulate(out: logits, inp: pooled, weight: weight, rows: batch, inFeatures: h, outFeatures: labels)
}

// Backward: dpooled[B, H] += dlogits · weight; dweight[L, H] += dlogitsᵀ · pooled; dbias += Σ dlogits.
func classifierBackward(dpooled: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                        dbias: UnsafeMutablePointer<Float>, dlogits: UnsafePointer<Float>, pooled: UnsafePointer<Float>,
                        weight: UnsafePointer<Float>, batch: Int, features h: Int, labels: Int) {
    linearBackward(dinp: dpooled, dweight: dweight, dbias: dbias, dout: dlogits, inp: pooled, weight: weight, rows: batch,
                   inFeatures: h, outFeatures: labels)
}
