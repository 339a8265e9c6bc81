import BertModel
import Foundation

/// `finetune --plot`: the run as TensorBoard or W&B draws it. The loss and the task's metric in
/// two panels over one step axis, the running values as lines, the eval points (`--eval`) as
/// open markers with the eval metric, and the model's name as the title.
public enum TrainingCurve {
    /// One evaluation during or after training: its step, the eval metric, and the eval loss when known.
    public struct EvalPoint: Sendable, Equatable {
        public var step: Int
        public var metricName: String
        public var metric: Double
        public var loss: Double?
        public init(step: Int, metricName: String, metric: Double, loss: Double? = nil) {
            self.step = step
            self.metricName = metricName
            self.metric = metric
            self.loss = loss
        }
    }

    /// The chart's title for a model path: its last path component (a folder's or file's name, without
    /// the `.bkm`/`.safetensors` extension), not the path.
    public static func modelName(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        let last = (p as NSString).lastPathComponent
        for ext in [".bkm", ".safetensors", ".bin", ".h5"] where last.hasSuffix(ext) && last.count > ext.count {
            return String(last.dropLast(ext.count))
        }
        return last.isEmpty ? path : last
    }

    public static func chart(title: String, reports: [TrainingReport], evalPoints: [EvalPoint] = []) -> StackedChart {
        let metric = reports.first?.metricName ?? evalPoints.first?.metricName ?? "metric"
        // The running (training) values under plain names, the eval points under "eval …".
        var loss = [StackedChart.Series(name: "loss", points: reports.map { (Double($0.step), $0.loss) })]
        let evalLoss = evalPoints.compactMap { p in p.loss.map { (x: Double(p.step), y: $0) } }
        if !evalLoss.isEmpty { loss.append(.init(name: "eval loss", points: evalLoss, style: .markers)) }
        var scores = [StackedChart.Series(name: metric.lowercased(), points: reports.map { (Double($0.step), $0.metric) })]
        if !evalPoints.isEmpty {
            let name = evalPoints[0].metricName
            scores.append(.init(name: "eval \(name.lowercased())", points: evalPoints.map { (Double($0.step), $0.metric) }, style: .markers))
        }
        return StackedChart(title: title, xLabel: "step", panels: [.init(yLabel: "loss", series: loss),
                                                                   .init(yLabel: metric.lowercased(), series: scores)])
    }

    public static func svg(title: String, reports: [TrainingReport], evalPoints: [EvalPoint] = []) -> String {
        chart(title: title, reports: reports, evalPoints: evalPoints).svg()
    }
}
